"""A small in-process runner for import jobs: one thread while there is work, none when there is none.

The web process wakes it after a job is committed; `flask worker` and the
server's start wake it once, so that jobs a crash left queued (or running past
STALE_AFTER) are picked up again. Several processes may run one each: a job is
claimed with a conditional UPDATE, so each runs once.
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import sessionmaker

from .jobs import claim_next, run_job

log = logging.getLogger(__name__)


class Runner:
    """Runs the queued import jobs of one database, one at a time, in a thread of its own."""

    def __init__(self, factory: sessionmaker):
        self.factory = factory
        self._lock = threading.Lock()
        self._pending = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Look for queued jobs now (a thread is started if none runs)."""
        with self._lock:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="imports", daemon=True)
                self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the runner's thread is idle (for shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                self._pending = False
            try:
                while (job_id := claim_next(self.factory)) is not None:
                    run_job(self.factory, job_id)
            except Exception:  # a broken database must not kill the process; the next wake tries again
                log.exception("import runner stopped")
