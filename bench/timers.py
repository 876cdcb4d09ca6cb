"""Timer benchmark: 10,000 timers due at the same moment on PostgreSQL.

Run with `.venv/bin/python -m bench.timers`. It prints:

1. The burst: 10,000 instances of tests/fixtures/timer_only.bpmn (an intermediate
   timer at `${due}`, then the end) all due at the same moment T, fired by real
   worker processes (`python -m flask --app app worker`), once with 1 worker and
   once, on a fresh database, with 2. The instances are created first, in
   transactions of 100 through `engine.instances.start_instance`, by 2 processes
   (setup, not timed); T is chosen a little after creation ends (from a calibrated
   rate; if the machine gets busier and creation would overrun T, the run starts
   again on a fresh database with more time), and the workers are started and
   waiting before T. Timed: from T until every instance is completed, taken
   from the database (the latest `process_instances.ended_at`, written in the
   firing transaction); the polling that notices the end is reported too. Also
   the ratio 1-worker time / 2-worker time, and where the CPU went during the
   burst (workers, this database's PostgreSQL backends, everything else): on a
   shared machine other processes skew the times, and the figures say so.
2. Duplicates: `timer.fired` audit entries per instance; sum(count - 1) must be 0.
3. Lag from due time to fired: for each `timer.fired` audit entry, its `at` (set
   when the firing transaction writes it) minus the `due_at` it records; p50 and
   p99 for the burst (queued behind thousands, so large) and for the case the
   target is about: 200 timers due one every 100 ms (~20 s), 1 worker, where
   p99 should be <= 1 s.
4. Throughput: fires per second of each run.
5. A summary against the targets; the same figures go to bench/results/timers.json.

This is a benchmark, not a test: nothing asserts on time. It cleans up after
itself: each run gets its own PostgreSQL database, dropped afterwards, and its
worker processes are stopped (SIGTERM, then SIGKILL) on success, error, Ctrl-C
or SIGTERM. Without a reachable PostgreSQL it says so and exits 0.

`--profile` additionally fires a smaller burst in this process under pyinstrument
(`.venv/bin/pip install pyinstrument`; cProfile when it is missing) through
`engine.scheduler.TimerScheduler.run_due()` and prints where the time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import pstats
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from tests import databases
from tests.databases import POSTGRES_ADMIN_URL


ROOT = Path(__file__).resolve().parents[1]
TIMER_BPMN = ROOT / "tests" / "fixtures" / "timer_only.bpmn"
RESULTS_FILE = ROOT / "bench" / "results" / "timers.json"

BURST = 10_000            # figure 1: timers due at the same moment
CHUNK = 100               # instances created per transaction
CALIBRATION = 200         # instances created (due tomorrow, then deleted) to time creation
CREATORS = 2              # processes creating the burst's instances (setup only)
WARM_UP = 20              # instances started and rolled back in each creating process first
CREATION_MARGIN = 1.3     # T = creation estimate x this ...
READY_ALLOWANCE = 3.0     # ... + seconds for the workers to start and wait
READY_MINIMUM = 1.0       # creation must end this long before T, else it starts again ...
ATTEMPTS = 3              # ... at most this many times, with more time each
SPARSE = 200              # figure 3b: timers ...
SPARSE_INTERVAL = 0.1     # ... due one every this many seconds
POLL = 0.25               # seconds between completion checks (exact times come from the database)
FIRE_DEADLINE = 300.0     # give up on a run after this many seconds past T
PROFILE_TIMERS = 500      # --profile: timers fired in-process

TARGETS = {"duplicates": 0, "sparse_p99_lag_s": 1.0}


# --- small helpers ---------------------------------------------------------------------------

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def now() -> datetime:
    return datetime.now(timezone.utc)


def say(message: str) -> None:
    print(message, flush=True)


def cpu_times() -> tuple[float, float] | None:
    """(busy, steal) jiffies of the whole machine from /proc/stat; None where there is none.

    Busy is user + nice + system + irq + softirq: not idle, iowait, guest (already in
    user) nor steal, the time the hypervisor gave our virtual CPUs to someone else.
    """
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    busy = sum(fields[i] for i in (0, 1, 2, 5, 6) if i < len(fields))
    return busy, fields[7] if len(fields) > 7 else 0.0


def cpu_s_between(before, after) -> tuple[float, float] | tuple[None, None]:
    """CPU seconds the machine was busy, and stolen from it, between two cpu_times() samples."""
    if before is None or after is None:
        return None, None
    tick = os.sysconf("SC_CLK_TCK")
    return (after[0] - before[0]) / tick, (after[1] - before[1]) / tick


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- PostgreSQL database for a run, as tests/conftest.py makes it ------------------------------

def create_postgres_database() -> str:
    return databases.create_postgres_database("dealflow_bench_timers")


# --- worker processes --------------------------------------------------------------------------

class Workers:
    """`python -m flask --app app worker` processes on one database; stderr kept in temp files."""

    def __init__(self, url: str, count: int, logdir: Path):
        self.processes: list[tuple[subprocess.Popen, Path]] = []
        env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_SECRET_KEY": "bench",
               "CRM_SCHEDULER": "on"}
        for index in range(count):
            log = logdir / f"worker-{uuid.uuid4().hex[:6]}-{index}.log"
            with log.open("w") as err:
                process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"],
                                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
            self.processes.append((process, log))

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker has printed that it is firing timers."""
        deadline = time.monotonic() + timeout
        while not all("firing timers" in log.read_text() for _, log in self.processes):
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers not ready after {timeout:.0f} s:\n{self.tails()}")
            time.sleep(0.02)

    def check_alive(self) -> None:
        dead = [p for p, _ in self.processes if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{len(dead)} worker(s) exited early:\n{self.tails()}")

    def cpu_s(self) -> list[float | None]:
        return [process_cpu_s(p.pid) for p, _ in self.processes]

    def warnings(self) -> int:
        """How many fires the workers logged as failed (retried with backoff)."""
        return sum(log.read_text().count("failed:") for _, log in self.processes)

    def tails(self, lines: int = 15) -> str:
        return "\n".join(f"--- {log.name} (exit {p.poll()})\n"
                         + "\n".join(log.read_text().splitlines()[-lines:])
                         for p, log in self.processes)

    def stop(self) -> None:
        """SIGTERM every worker, wait for it, SIGKILL what does not end; survives a Ctrl-C."""
        for process, _ in self.processes:
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process, _ in self.processes:
            try:
                process.wait(timeout=20)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                process.kill()
                process.wait()


def preflight(logdir: Path) -> str | None:
    """Check that `flask --app app worker` can load the app at all (on a scratch SQLite file),
    before spending a minute creating instances; return the error, or None."""
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{logdir / 'preflight.db'}",
           "CRM_SECRET_KEY": "bench"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--help"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode == 0 and "Usage" in done.stdout:
        return None
    return "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])


# --- creating instances (setup, untimed) ------------------------------------------------------

class Late(Exception):
    """Creation cannot end before the due time chosen for it (the machine got busier)."""


def _create_instances(factory, dues: list[str]) -> list[int]:
    """Start one timer_only instance per ISO due time in one transaction; return their ids."""
    from engine import instances

    with factory.begin() as session:
        created = [instances.start_instance(session, "timer_only", data={"due": due}, actor=None)
                   for due in dues]
        session.flush()
        return [instance.id for instance in created]


def _warm_up(factory) -> None:
    """Start WARM_UP instances in a transaction that is rolled back: imports, the spec cache and
    SQLAlchemy's statement cache are ready afterwards and nothing is left behind."""
    from engine import instances

    later = (now() + timedelta(days=1)).isoformat()
    with factory() as session:
        for _ in range(WARM_UP):
            instances.start_instance(session, "timer_only", data={"due": later}, actor=None)
        session.flush()
        session.rollback()


_CREATOR_FACTORY = None


def _creator_init(url: str, ready) -> None:
    global _CREATOR_FACTORY
    from core.db import make_engine, make_session_factory

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to handle: it terminates us

    _CREATOR_FACTORY = make_session_factory(make_engine(url))
    _warm_up(_CREATOR_FACTORY)
    ready.wait(timeout=120)


def _creator_create(dues: list[str]) -> list[int]:
    return _create_instances(_CREATOR_FACTORY, dues)


class Creators:
    """Processes that start instances in parallel, a transaction of CHUNK at a time.

    Terminated by close(), whatever happens; they only ever do setup, never anything timed.
    """

    def __init__(self, url: str, processes: int):
        import multiprocessing

        self.processes = processes
        context = multiprocessing.get_context("spawn")
        ready = context.Barrier(processes + 1)
        self.pool = context.Pool(processes, initializer=_creator_init, initargs=(url, ready))
        try:
            ready.wait(timeout=120)  # every process has imported everything and is warmed up
        except BaseException:
            self.close()
            raise

    def run(self, chunks: list[list[str]]):
        """Yield the ids of each chunk as soon as it is committed."""
        results = self.pool.imap_unordered(_creator_create, chunks)
        for _ in chunks:
            yield results.next(timeout=120)  # bounded: a Pool whose process died waits forever

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


# --- one database with the timer process deployed --------------------------------------------

class Database:
    """A fresh, migrated PostgreSQL database with timer_only deployed, dropped on close."""

    def __init__(self):
        self.url = create_postgres_database()
        self.engine = None
        try:
            from core import migrations
            from engine import definitions
            from core.db import make_engine, make_session_factory

            migrations.upgrade(self.url)  # what create_app does; the workers' create_app finds it done
            self.engine = make_engine(self.url)
            self.factory = make_session_factory(self.engine)
            with self.factory.begin() as session:
                definitions.deploy(session, [(TIMER_BPMN.name, TIMER_BPMN.read_bytes())], actor=None)
        except BaseException:
            self.close()
            raise

    def create(self, dues: list[datetime], creators: Creators | None = None,
               deadline: float | None = None) -> list[int]:
        """Start one timer_only instance per due time, CHUNK per transaction; return their ids.

        With `creators` the chunks are shared between their processes. With `deadline`
        (time.monotonic()), raise Late as soon as the pace so far would miss it.
        """
        chunks = [[due.isoformat() for due in dues[i:i + CHUNK]] for i in range(0, len(dues), CHUNK)]
        done = creators.run(chunks) if creators else (_create_instances(self.factory, c) for c in chunks)
        started, ids = time.monotonic(), []
        for count, chunk_ids in enumerate(done, 1):
            ids.extend(chunk_ids)
            if deadline is None or count < max(2, len(chunks) // 10):
                continue
            elapsed = time.monotonic() - started
            projected = time.monotonic() + elapsed / count * (len(chunks) - count)
            if projected > deadline:
                raise Late(f"creation at {1000 * elapsed / len(ids):.2f} ms per instance would end "
                           f"{projected - deadline:.1f} s too late")
        return ids

    def seconds_per_instance(self, creators: Creators | None = None) -> float:
        """Time creating CALIBRATION instances (due tomorrow) on warm processes, then delete them."""
        if creators is None:
            _warm_up(self.factory)
        tomorrow = now() + timedelta(days=1)
        started = time.perf_counter()
        ids = self.create([tomorrow] * CALIBRATION, creators)
        elapsed = time.perf_counter() - started
        with self.engine.begin() as conn:  # timers, tasks, audit and stage rows go by cascade
            conn.execute(text("DELETE FROM process_instances WHERE id = ANY(:ids)"), {"ids": ids})
        return elapsed / CALIBRATION

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def backend_cpu_s(self) -> dict[int, float]:
        """CPU seconds so far of each PostgreSQL backend serving this database."""
        with self.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity "
                                     "WHERE datname = current_database()")).scalars().all()
        return {pid: cpu for pid in pids if (cpu := process_cpu_s(pid)) is not None}

    def completed(self) -> int:
        return self.scalar("SELECT count(*) FROM process_instances WHERE status = 'completed'")

    def results(self) -> dict:
        """Duplicates, lags and fire times from the audit trail, end times from the instances."""
        with self.engine.connect() as conn:
            fired = conn.execute(text("SELECT instance_id, at, detail FROM audit_entries "
                                      "WHERE action = 'timer.fired'")).all()
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM process_instances "
                                              "GROUP BY status")).all())
            last_end = conn.execute(text("SELECT max(ended_at) FROM process_instances")).scalar()
            timers_left = conn.execute(text("SELECT count(*) FROM timers")).scalar()
        per_instance: dict[int, int] = {}
        per_worker: dict[str, int] = {}
        lags, fired_at = [], []
        for instance_id, at, detail in fired:
            per_instance[instance_id] = per_instance.get(instance_id, 0) + 1
            detail = detail if isinstance(detail, dict) else json.loads(detail)
            per_worker[detail.get("worker")] = per_worker.get(detail.get("worker"), 0) + 1
            at = aware(at)
            fired_at.append(at)
            lags.append((at - aware(datetime.fromisoformat(detail["due_at"]))).total_seconds())
        return {"fired": len(fired), "instances_fired": len(per_instance),
                "duplicates": sum(n - 1 for n in per_instance.values() if n > 1),
                "statuses": statuses, "timers_left": timers_left,
                "fires_per_worker": sorted(per_worker.values(), reverse=True),
                "last_end": aware(last_end) if last_end else None,
                "fired_at": fired_at, "first_fire": min(fired_at) if fired_at else None,
                "last_fire": max(fired_at) if fired_at else None, "lags": lags}

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        databases.drop_postgres_database(self.url)


def cleanup(workers: Workers | None, db: Database) -> None:
    """Stop the workers and drop the database, even through a Ctrl-C or SIGTERM: one arriving
    meanwhile is held back and raised (as KeyboardInterrupt) once both are done.

    Bounded: a worker gets 20 s to finish its fire after SIGTERM, then SIGKILL.
    """
    received: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: received.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        if workers is not None:
            workers.stop()
        db.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise KeyboardInterrupt(f"signal {received[0]}")


@dataclass
class Setup:
    db: Database
    workers: Workers | None
    first_due: datetime
    dues: list[datetime]
    creation_s: float
    calibrated_s: float
    ready_before_due_s: float
    attempts: int


@contextmanager
def prepared(count: int, worker_count: int, spacing: float, creators: int, logdir: Path):
    """A fresh database with `count` timer_only instances, their timers due from T on, `spacing` s
    apart, and `worker_count` workers started and waiting for T; all gone on exit.

    T is chosen from a calibrated creation rate. If the machine gets busier and creation
    falls behind, it starts again on a fresh database with more time (a timer already due
    when its instance starts would fire inside start_instance, outside the measurement).
    """
    margin, allowance = CREATION_MARGIN, READY_ALLOWANCE
    for attempt in range(1, ATTEMPTS + 1):
        db, workers = Database(), None
        try:
            pool = Creators(db.url, creators) if creators > 1 else None
            try:
                per_instance = db.seconds_per_instance(pool)
                lead = per_instance * count * margin + allowance + 0.5 * worker_count
                first = now() + timedelta(seconds=lead)
                say(f"  creation: {1000 * per_instance:.2f} ms per instance with {creators} "
                    f"process{'es' if creators > 1 else ''} (calibrated on {CALIBRATION}); T = now + {lead:.1f} s")
                dues = [first + timedelta(seconds=i * spacing) for i in range(count)]
                deadline = time.monotonic() + (first - now()).total_seconds() - READY_MINIMUM
                started = time.perf_counter()
                db.create(dues, pool, deadline)
                creation_s = time.perf_counter() - started
            finally:
                if pool is not None:
                    pool.close()
            waiting = db.scalar("SELECT count(*) FROM timers WHERE status = 'waiting'")
            if waiting != count:
                raise Late(f"{count - waiting} timers fired while their instances were created")
            if worker_count:
                workers = Workers(db.url, worker_count, logdir)
                workers.wait_ready()
                if now() > first - timedelta(seconds=0.2):
                    raise Late("the workers were not ready and waiting before T")
        except Late as late:
            cleanup(workers, db)
            if attempt == ATTEMPTS:
                raise RuntimeError(f"{late}; the machine is too busy, tried {ATTEMPTS} times") from late
            margin, allowance = margin * 1.6, allowance * 1.6
            say(f"  {late}: starting again on a fresh database with more time")
            continue
        except BaseException:
            cleanup(workers, db)
            raise
        try:
            yield Setup(db, workers, first, dues, creation_s, per_instance,
                        (first - now()).total_seconds(), attempt)
            return
        finally:
            cleanup(workers, db)


# --- the runs ----------------------------------------------------------------------------------

def lag_stats(lags: list[float]) -> dict:
    return {"n": len(lags), "p50_s": round(percentile(lags, 50), 3),
            "p99_s": round(percentile(lags, 99), 3), "max_s": round(max(lags), 3),
            "min_s": round(min(lags), 3)}


def wait_for(db: Database, workers: Workers, count: int, until: datetime) -> float:
    """Poll until `count` instances are completed; return when it was seen (perf_counter).

    Polls the small timers table (a fire deletes the row in the transaction that
    completes the instance), not process_instances, whose rows carry the stored run:
    scanning those every poll would load the database under measurement.
    """
    while db.scalar("SELECT count(*) FROM timers") > 0:
        workers.check_alive()
        if now() > until:
            raise RuntimeError(f"{db.scalar('SELECT count(*) FROM timers')} timers still waiting at "
                               f"{until.isoformat()}:\n{workers.tails()}")
        time.sleep(POLL)
    seen = time.perf_counter()
    completed = db.completed()
    if completed != count:
        raise RuntimeError(f"no timer left but {completed} of {count} instances completed:\n{workers.tails()}")
    return seen


def run_burst(count: int, worker_count: int, logdir: Path) -> dict:
    """Figures 1-4 for one worker count: `count` timers due at T, on a fresh database."""
    say(f"\n[{worker_count} worker{'s' if worker_count > 1 else ''}] {count:,} timers due at the same moment")
    with prepared(count, worker_count, 0.0, CREATORS, logdir) as setup:
        db, workers, due = setup.db, setup.workers, setup.first_due
        say(f"  created {count:,} instances in {setup.creation_s:.1f} s with {CREATORS} processes "
            f"(setup, untimed); {worker_count} worker(s) ready and waiting {setup.ready_before_due_s:.1f} s before T")
        time.sleep(max(0.0, (due - now()).total_seconds()))
        t_perf = time.perf_counter() - max(0.0, (now() - due).total_seconds())
        load = load_average()
        cpu_before, worker_cpu_before, pg_before = cpu_times(), workers.cpu_s(), db.backend_cpu_s()
        seen = wait_for(db, workers, count, due + timedelta(seconds=FIRE_DEADLINE))
        polled_s = seen - t_perf
        cpu_after, worker_cpu_after, pg_after = cpu_times(), workers.cpu_s(), db.backend_cpu_s()
        result = db.results()
        failed_fires = workers.warnings()
    worker_cpu = [round(a - b, 1) if a is not None and b is not None else None
                  for a, b in zip(worker_cpu_after, worker_cpu_before)]
    pg_cpu = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
    machine_cpu, stolen_cpu = cpu_s_between(cpu_before, cpu_after)
    fired_at = sorted(result["fired_at"])
    tenth = [fired_at[min(len(fired_at) - 1, round(i * len(fired_at) / 10))] for i in range(11)]
    deciles = [round(len(fired_at) / 10 / max(1e-6, (b - a).total_seconds()), 1)
               for a, b in zip(tenth, tenth[1:])]
    burst_s = (result["last_end"] - due).total_seconds()
    spread_s = (result["last_fire"] - result["first_fire"]).total_seconds()
    figures = {
        "workers": worker_count, "timers": count, "setup_attempts": setup.attempts,
        "creation_s": round(setup.creation_s, 2),
        "creation_ms_per_instance": round(1000 * setup.creation_s / count, 3),
        "calibrated_ms_per_instance": round(1000 * setup.calibrated_s, 3),
        "ready_before_due_s": round(setup.ready_before_due_s, 2),
        "burst_s": round(burst_s, 3), "burst_polled_s": round(polled_s, 3),
        "first_fire_after_due_s": round((result["first_fire"] - due).total_seconds(), 3),
        "fires_per_s": round(count / burst_s, 1),
        "fires_per_s_first_to_last": round((count - 1) / spread_s, 1) if spread_s > 0 else None,
        "fired": result["fired"], "instances_fired": result["instances_fired"],
        "duplicates": result["duplicates"], "statuses": result["statuses"],
        "timers_left": result["timers_left"], "failed_fire_attempts": failed_fires,
        "fires_per_worker": result["fires_per_worker"],
        "cpu_s": {"workers": worker_cpu, "postgresql_this_db": round(pg_cpu, 1),
                  "machine": round(machine_cpu, 1) if machine_cpu is not None else None,
                  "other": round(machine_cpu - pg_cpu - sum(c or 0 for c in worker_cpu), 1)
                  if machine_cpu is not None else None,
                  "stolen_by_hypervisor": round(stolen_cpu, 1) if stolen_cpu is not None else None,
                  "available": round((os.cpu_count() or 1) * polled_s, 1)},
        "worker_cpu_ms_per_fire": round(1000 * sum(c or 0 for c in worker_cpu) / count, 2),
        "postgresql_cpu_ms_per_fire": round(1000 * pg_cpu / count, 2),
        "load_average_at_due": load, "fires_per_s_by_tenth": deciles, "lag": lag_stats(result["lags"]),
    }
    say(f"  every instance completed {burst_s:.2f} s after T (poll saw it after {polled_s:.2f} s); "
        f"first fire {figures['first_fire_after_due_s']:.3f} s after T")
    say(f"  throughput {figures['fires_per_s']:.1f} fires/s "
        f"({figures['fires_per_s_first_to_last']} fires/s first to last fire; by tenth of the fires: "
        f"{', '.join(f'{rate:.0f}' for rate in deciles)})")
    say(f"  timer.fired entries {result['fired']:,} for {result['instances_fired']:,} instances, "
        f"duplicates {result['duplicates']}, statuses {result['statuses']}, timer rows left "
        f"{result['timers_left']}, failed fire attempts {failed_fires}, "
        f"fires per worker {result['fires_per_worker']}")
    cpu = figures["cpu_s"]
    say(f"  CPU seconds during the burst: worker(s) {cpu['workers']}, PostgreSQL (this database) "
        f"{cpu['postgresql_this_db']}, rest of machine {cpu['other']}, stolen by the hypervisor "
        f"{cpu['stolen_by_hypervisor']}, of {cpu['available']} available "
        f"({os.cpu_count()} CPUs x {polled_s:.1f} s); per fire: worker {figures['worker_cpu_ms_per_fire']} ms, "
        f"PostgreSQL {figures['postgresql_cpu_ms_per_fire']} ms; load average at T {load}")
    taken = (cpu["other"] or 0) + (cpu["stolen_by_hypervisor"] or 0)
    figures["skewed"] = taken > 0.1 * cpu["available"]
    if figures["skewed"]:
        say(f"  NOTE: other processes or the hypervisor took {100 * taken / cpu['available']:.0f} % of the "
            f"CPUs during this run; its times are skewed")
    lag = figures["lag"]
    say(f"  lag due -> fired: p50 {lag['p50_s']:.3f} s, p99 {lag['p99_s']:.3f} s, max {lag['max_s']:.3f} s")
    return figures


def run_sparse(count: int, interval: float, logdir: Path) -> dict:
    """Figure 3b: timers not queued behind others, one due every `interval` s, 1 worker."""
    say(f"\n[1 worker] {count} timers due one every {1000 * interval:.0f} ms "
        f"(~{count * interval:.0f} s), not queued behind others")
    with prepared(count, 1, interval, 1, logdir) as setup:
        say(f"  created {count} instances; worker ready and waiting {setup.ready_before_due_s:.1f} s "
            f"before the first due time")
        wait_for(setup.db, setup.workers, count, setup.dues[-1] + timedelta(seconds=FIRE_DEADLINE))
        result = setup.db.results()
        failed_fires = setup.workers.warnings()
    spread_s = (result["last_fire"] - result["first_fire"]).total_seconds()
    figures = {"workers": 1, "timers": count, "interval_s": interval, "setup_attempts": setup.attempts,
               "ready_before_first_due_s": round(setup.ready_before_due_s, 2),
               "fired": result["fired"], "duplicates": result["duplicates"],
               "statuses": result["statuses"], "failed_fire_attempts": failed_fires,
               "fires_per_s": round((count - 1) / spread_s, 1) if spread_s > 0 else None,
               "lag": lag_stats(result["lags"])}
    lag = figures["lag"]
    say(f"  lag due -> fired: p50 {lag['p50_s']:.3f} s, p99 {lag['p99_s']:.3f} s, "
        f"max {lag['max_s']:.3f} s, min {lag['min_s']:.3f} s; duplicates {result['duplicates']}, "
        f"statuses {result['statuses']}")
    return figures


# --- profile -----------------------------------------------------------------------------------

def run_profile(count: int, logdir: Path) -> dict:
    """Fire `count` due timers in this process through TimerScheduler.run_due, profiled."""
    from sqlalchemy import event

    from engine.scheduler import TimerScheduler

    say(f"\n[profile] {count} due timers fired in-process by TimerScheduler.run_due()")
    statements: dict[str, int] = {}

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        verb = words[0].upper()
        table = (words[2] if verb in ("INSERT", "DELETE") else words[1] if verb == "UPDATE"
                 else words[words.index("FROM") + 1] if "FROM" in words else " ".join(words[1:2]))
        statements[f"{verb} {table}"] = statements.get(f"{verb} {table}", 0) + 1

    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    with prepared(count, 0, 0.0, 1, logdir) as setup:
        time.sleep(max(0.0, (setup.first_due - now()).total_seconds()) + 0.05)
        scheduler = TimerScheduler(setup.db.factory)
        scheduler.scheduler.start(paused=True)  # run_due schedules its next run: never run it
        event.listen(setup.db.engine, "before_cursor_execute", count_statement)
        started = time.perf_counter()
        if Profiler is not None:
            profiler = Profiler(interval=0.001)
            profiler.start()
            fired = scheduler.run_due()
            profiler.stop()
        else:
            profiler = cProfile.Profile()
            fired = profiler.runcall(scheduler.run_due)
        elapsed = time.perf_counter() - started
        event.remove(setup.db.engine, "before_cursor_execute", count_statement)
        scheduler.shutdown()
    per_fire = 1000 * elapsed / max(fired, 1)
    say(f"  fired {fired} in {elapsed:.2f} s = {per_fire:.2f} ms per fire under the profiler "
        f"({'pyinstrument' if Profiler else 'cProfile; pip install pyinstrument for a call tree'})")
    say("  SQL statements per fire: " + ", ".join(
        f"{key} {n / max(fired, 1):.2f}" for key, n in sorted(statements.items(), key=lambda kv: -kv[1])))
    if Profiler is not None:
        say(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    return {"timers": count, "fired": fired, "ms_per_fire_profiled": round(per_fire, 3),
            "statements_per_fire": {k: round(n / max(fired, 1), 2) for k, n in statements.items()}}


# --- summary -----------------------------------------------------------------------------------

def summary(results: dict) -> list[tuple[str, str, str, str]]:
    one, two, sparse = results["burst_1_worker"], results["burst_2_workers"], results["sparse"]

    def info(*runs) -> str:  # a figure from a run that other processes slowed down says so
        return "info, SKEWED (busy machine)" if any(run.get("skewed") for run in runs) else "info"

    rows = [
        (f"{one['timers']:,} timers, 1 worker: T -> all completed", f"{one['burst_s']:.2f} s", "-", info(one)),
        (f"{two['timers']:,} timers, 2 workers: T -> all completed", f"{two['burst_s']:.2f} s", "-", info(two)),
        ("ratio 1-worker time / 2-worker time", f"{results['ratio_1_to_2']:.2f}", "-", info(one, two)),
        ("throughput, 1 worker", f"{one['fires_per_s']:.1f} fires/s", "-", info(one)),
        ("throughput, 2 workers", f"{two['fires_per_s']:.1f} fires/s", "-", info(two)),
    ]
    for label, run in (("1 worker", one), ("2 workers", two), ("sparse", sparse)):
        every = run["fired"] == run["timers"] and run["statuses"] == {"completed": run["timers"]}
        rows.append((f"every timer fired, instance completed ({label})",
                     f"{run['fired']:,} / {run['timers']:,}", "all", "met" if every else "NOT met"))
        rows.append((f"duplicate fires ({label})", str(run["duplicates"]), "0",
                     "met" if run["duplicates"] == TARGETS["duplicates"] else "NOT met"))
    rows += [
        ("burst lag p50, 1 worker (queued)", f"{one['lag']['p50_s']:.3f} s", "-", info(one)),
        ("burst lag p99, 1 worker (queued)", f"{one['lag']['p99_s']:.3f} s", "-", info(one)),
        ("burst lag p50, 2 workers (queued)", f"{two['lag']['p50_s']:.3f} s", "-", info(two)),
        ("burst lag p99, 2 workers (queued)", f"{two['lag']['p99_s']:.3f} s", "-", info(two)),
        (f"lag p50, {sparse['timers']} timers 1 per {1000 * sparse['interval_s']:.0f} ms",
         f"{sparse['lag']['p50_s']:.3f} s", "-", "info"),
        (f"lag p99, {sparse['timers']} timers 1 per {1000 * sparse['interval_s']:.0f} ms",
         f"{sparse['lag']['p99_s']:.3f} s", f"<= {TARGETS['sparse_p99_lag_s']:.0f} s",
         "met" if sparse["lag"]["p99_s"] <= TARGETS["sparse_p99_lag_s"] else "NOT met"),
    ]
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("figure", "value", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    say("\nSummary")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        say("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _terminate(signum, frame):  # SIGTERM: unwind through the finally blocks like Ctrl-C does
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=BURST, help=f"timers in the burst (default {BURST})")
    parser.add_argument("--sparse", type=int, default=SPARSE, help=f"timers in the sparse run (default {SPARSE})")
    parser.add_argument("--profile", nargs="?", type=int, const=PROFILE_TIMERS, default=None, metavar="N",
                        help=f"also fire N timers in-process under a profiler (default {PROFILE_TIMERS})")
    parser.add_argument("--profile-only", action="store_true", help="only the profile")
    args = parser.parse_args(argv)

    problem = databases.postgres_problem()
    if problem:
        say(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({problem}): nothing to measure.")
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    say(f"Timer benchmark on PostgreSQL ({POSTGRES_ADMIN_URL.rsplit('@', 1)[-1]}), "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    started = time.perf_counter()
    results: dict = {"when": now().isoformat(timespec="seconds"), "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "targets": TARGETS}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-timers-") as logdir:
            if not args.profile_only:
                problem = preflight(Path(logdir))
                if problem:
                    say(f"The worker command cannot start, so nothing was measured:\n{problem}")
                    return 1
                results["burst_1_worker"] = run_burst(args.timers, 1, Path(logdir))
                results["burst_2_workers"] = run_burst(args.timers, 2, Path(logdir))
                results["ratio_1_to_2"] = round(results["burst_1_worker"]["burst_s"]
                                                / results["burst_2_workers"]["burst_s"], 3)
                say(f"\nratio 1-worker time / 2-worker time: {results['ratio_1_to_2']:.2f}")
                results["sparse"] = run_sparse(args.sparse, SPARSE_INTERVAL, Path(logdir))
            if args.profile or args.profile_only:
                results["profile"] = run_profile(args.profile or PROFILE_TIMERS, Path(logdir))
    except KeyboardInterrupt:
        say("\ninterrupted: workers stopped, databases dropped")
        return 130
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    if not args.profile_only:
        rows = summary(results)
        print_table(rows)
        results["summary"] = [dict(zip(("figure", "value", "target", "status"), r)) for r in rows]
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not args.profile_only:
        RESULTS_FILE.write_text(json.dumps(results, indent=2, default=str) + "\n")
        say(f"\nwritten to {RESULTS_FILE.relative_to(ROOT)}; took {results['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
