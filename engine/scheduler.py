"""The timer scheduler: APScheduler wakes at the next due time, not on a polling beat.

One job fires every due timer, then schedules itself at the next due time read
from the database. It is woken earlier when this process commits a nearer timer
(`timers.WAKERS`) and, on PostgreSQL, when any process does (LISTEN/NOTIFY). A
safety net re-reads the database every MAX_SLEEP in case a wake-up was missed.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from . import timers
from core.db import utcnow

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(seconds=30)
JOB_ID = "fire-due-timers"


class TimerScheduler:
    """Fire due timers in this process; any number may run against one PostgreSQL database."""

    def __init__(self, session_factory: sessionmaker[Session], *, batch: int = 50,
                 listen_url: str | None = None):
        self.session_factory = session_factory
        self.batch = batch
        self.listen_url = listen_url
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)
        self._lock = threading.Lock()
        self._woken = False
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def start(self) -> None:
        """Start firing: at once (timers that fell due while everything was down), then on time."""
        timers.WAKERS.append(self.wake)
        self.scheduler.start()
        self._schedule(utcnow())
        if self.listen_url:
            self._listener = threading.Thread(target=self._listen, name="timer-listen", daemon=True)
            self._listener.start()

    def shutdown(self) -> None:
        """Stop firing and wait for the running fire to end."""
        self._stop.set()
        if self.wake in timers.WAKERS:
            timers.WAKERS.remove(self.wake)
        self.scheduler.shutdown(wait=True)
        if self._listener is not None:
            self._listener.join(timeout=5)

    def wake(self, due: datetime) -> None:
        """Make sure the job runs no later than `due`."""
        with self._lock:
            self._woken = True
            job = self.scheduler.get_job(JOB_ID)
            if job is None or job.next_run_time is None or due < job.next_run_time:
                self._schedule_locked(due)

    def _schedule(self, when: datetime) -> None:
        with self._lock:
            self._schedule_locked(when)

    def _schedule_locked(self, when: datetime) -> None:
        if self._stop.is_set():
            return
        self.scheduler.add_job(self.run_due, "date", run_date=max(when, utcnow()), id=JOB_ID,
                               replace_existing=True, misfire_grace_time=None, coalesce=True,
                               max_instances=1)

    def run_due(self) -> int:
        """Fire every due timer, then schedule the next run; return how many fired."""
        fired = 0
        while not self._stop.is_set():
            with self._lock:
                self._woken = False
            claimed = self._claim()
            for timer_id in claimed:
                fired += self._fire(timer_id)
            if len(claimed) < self.batch:
                break
        with self._lock:
            if self._woken:  # a nearer timer was committed while we were busy
                self._schedule_locked(utcnow())
            else:
                self._schedule_locked(self._next_wake())
        return fired

    def _claim(self) -> list[int]:
        with self.session_factory.begin() as session:
            return timers.claim_due(session, self.worker, limit=self.batch)

    def _fire(self, timer_id: int) -> int:
        try:
            with self.session_factory.begin() as session:
                return int(timers.fire(session, timer_id, self.worker))
        except Exception as exc:  # a failing step is retried with backoff, never lost
            log.warning("timer %s failed: %s", timer_id, exc)
            with self.session_factory.begin() as session:
                timers.record_failure(session, timer_id, str(exc) or exc.__class__.__name__)
            return 0

    def _next_wake(self) -> datetime:
        with self.session_factory() as session:
            due = timers.next_due(session)
        cap = utcnow() + MAX_SLEEP
        return min(due, cap) if due is not None else cap

    def _listen(self) -> None:
        import psycopg

        url = self.listen_url.replace("postgresql+psycopg://", "postgresql://")
        while not self._stop.is_set():
            conn = None
            try:
                conn = psycopg.connect(url, autocommit=True)
                conn.execute(f"LISTEN {timers.NOTIFY_CHANNEL}")
                while not self._stop.is_set():
                    for _ in conn.notifies(timeout=0.5, stop_after=1):
                        self._wake_from_database()
            except Exception as exc:  # the database restarted: listen again
                log.warning("timer listener: %s", exc)
                self._stop.wait(1.0)
            finally:
                if conn is not None:
                    conn.close()

    def _wake_from_database(self) -> None:
        with self.session_factory() as session:
            due = timers.next_due(session)
        if due is not None:
            self.wake(due)
