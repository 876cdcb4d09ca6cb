"""Timer benchmark: 10,000 timers due at the same moment on PostgreSQL.

Run with `.venv/bin/python -m bench.timers`. It prints:

1. The burst: 10,000 instances of tests/fixtures/timer_only.bpmn (an intermediate
   timer at `${due}`, then the end) all due at the same moment T, fired by real
   worker processes (`python -m flask --app app worker`), once with 1 worker and
   once, on a fresh database, with 2. The instances are created first, in
   transactions of 100 through `engine.instances.start_instance` (setup, not
   timed), T is chosen a little after creation ends, and the workers are started
   and waiting before T. Timed: from T until every instance is completed, taken
   from the database (the latest `process_instances.ended_at`, written in the
   firing transaction); the polling that notices the end is reported too. Also
   the ratio 1-worker time / 2-worker time.
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
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
TIMER_BPMN = ROOT / "tests" / "fixtures" / "timer_only.bpmn"
RESULTS_FILE = ROOT / "bench" / "results" / "timers.json"
POSTGRES_ADMIN_URL = os.environ.get("CRM_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BURST = 10_000            # figure 1: timers due at the same moment
CHUNK = 100               # instances created per transaction
CALIBRATION = 200         # instances created (due tomorrow, then deleted) to time creation
CREATION_MARGIN = 1.3     # T = creation estimate x this ...
READY_ALLOWANCE = 4.0     # ... + seconds for the workers to start and wait
SPARSE = 200              # figure 3b: timers ...
SPARSE_INTERVAL = 0.1     # ... due one every this many seconds
POLL = 0.1                # seconds between completion checks
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
    """(busy, total) jiffies of the whole machine from /proc/stat; None where there is none."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def busy_cores(before, after) -> float | None:
    """Average number of busy CPUs between two cpu_times() samples."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1), 2)


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- PostgreSQL database for a run, as tests/conftest.py makes it ------------------------------

def postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: not here
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def create_postgres_database() -> str:
    name = f"dealflow_bench_timers_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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


# --- one database with the timer process deployed --------------------------------------------

class Database:
    """A fresh, migrated PostgreSQL database with timer_only deployed, dropped on close."""

    def __init__(self):
        self.url = create_postgres_database()
        self.app = None
        try:
            from app import create_app
            from engine import definitions

            self.app = create_app({"DATABASE_URL": self.url, "AUTO_MIGRATE": True,
                                   "SECRET_KEY": "bench"})
            self.factory = self.app.extensions["session_factory"]
            self.engine = self.app.extensions["db_engine"]
            with self.factory.begin() as session:
                definitions.deploy(session, [(TIMER_BPMN.name, TIMER_BPMN.read_bytes())], actor=None)
        except BaseException:
            self.close()
            raise

    def create(self, dues: list[datetime]) -> list[int]:
        """Start one timer_only instance per due time, CHUNK per transaction; return their ids."""
        from engine import instances

        ids = []
        for offset in range(0, len(dues), CHUNK):
            with self.factory.begin() as session:
                created = [instances.start_instance(session, "timer_only", data={"due": due.isoformat()},
                                                    actor=None)
                           for due in dues[offset:offset + CHUNK]]
                session.flush()
                ids.extend(instance.id for instance in created)
        return ids

    def seconds_per_instance(self) -> float:
        """Time creating CALIBRATION instances (due tomorrow), then delete them again."""
        tomorrow = now() + timedelta(days=1)
        started = time.perf_counter()
        ids = self.create([tomorrow] * CALIBRATION)
        elapsed = time.perf_counter() - started
        with self.engine.begin() as conn:  # timers, tasks, audit and stage rows go by cascade
            conn.execute(text("DELETE FROM process_instances WHERE id = ANY(:ids)"), {"ids": ids})
        return elapsed / CALIBRATION

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

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
                "first_fire": min(fired_at) if fired_at else None,
                "last_fire": max(fired_at) if fired_at else None, "lags": lags}

    def close(self) -> None:
        if self.app is not None:
            self.app.extensions["db_engine"].dispose()
        drop_postgres_database(self.url)


# --- the runs ----------------------------------------------------------------------------------

def lag_stats(lags: list[float]) -> dict:
    return {"n": len(lags), "p50_s": round(percentile(lags, 50), 3),
            "p99_s": round(percentile(lags, 99), 3), "max_s": round(max(lags), 3),
            "min_s": round(min(lags), 3)}


def wait_for(db: Database, workers: Workers, count: int, until: datetime) -> float:
    """Poll until `count` instances are completed; return when it was seen (perf_counter)."""
    while db.completed() < count:
        workers.check_alive()
        if now() > until:
            raise RuntimeError(f"only {db.completed()} of {count} instances completed by "
                               f"{until.isoformat()}:\n{workers.tails()}")
        time.sleep(POLL)
    return time.perf_counter()


def schedule(db: Database, count: int, workers: int) -> tuple[datetime, float]:
    """Choose the first due time: after the estimated creation plus the workers' start."""
    per_instance = db.seconds_per_instance()
    estimate = per_instance * count * CREATION_MARGIN + READY_ALLOWANCE + 0.5 * workers
    say(f"  creation: {1000 * per_instance:.2f} ms per instance (calibrated on {CALIBRATION}); "
        f"T = now + {estimate:.1f} s")
    return now() + timedelta(seconds=estimate), per_instance


def run_burst(count: int, worker_count: int, logdir: Path) -> dict:
    """Figure 1-4 for one worker count: `count` timers due at T, on a fresh database."""
    say(f"\n[{worker_count} worker{'s' if worker_count > 1 else ''}] {count:,} timers due at the same moment")
    db = Database()
    workers = None
    try:
        due, per_instance = schedule(db, count, worker_count)
        started = time.perf_counter()
        ids = db.create([due] * count)
        created_s = time.perf_counter() - started
        waiting = db.scalar("SELECT count(*) FROM timers WHERE status = 'waiting' AND due_at = :due",
                            due=due.astimezone(timezone.utc).replace(tzinfo=None))
        if waiting != count:
            raise RuntimeError(f"expected {count} waiting timers due at {due}, found {waiting}")
        workers = Workers(db.url, worker_count, logdir)
        workers.wait_ready()
        slack = (due - now()).total_seconds()
        say(f"  created {len(ids):,} instances in {created_s:.1f} s (setup, untimed); "
            f"{worker_count} worker(s) ready and waiting {slack:.1f} s before T")
        if slack < 0:
            say("  WARNING: the workers were not ready before T; the time below includes their start")
        time.sleep(max(0.0, (due - now()).total_seconds()))
        t_perf = time.perf_counter() - max(0.0, (now() - due).total_seconds())
        cpu_before, worker_cpu_before = cpu_times(), workers.cpu_s()
        seen = wait_for(db, workers, count, due + timedelta(seconds=FIRE_DEADLINE))
        polled_s = seen - t_perf
        cpu_after, worker_cpu_after = cpu_times(), workers.cpu_s()
        worker_cpu = [round(a - b, 1) if a is not None and b is not None else None
                      for a, b in zip(worker_cpu_after, worker_cpu_before)]
        result = db.results()
        failed_fires = workers.warnings()
    finally:
        if workers is not None:
            workers.stop()
        db.close()
    burst_s = (result["last_end"] - due).total_seconds()
    spread_s = (result["last_fire"] - result["first_fire"]).total_seconds()
    figures = {
        "workers": worker_count, "timers": count,
        "creation_s": round(created_s, 2), "creation_ms_per_instance": round(1000 * created_s / count, 3),
        "calibrated_ms_per_instance": round(1000 * per_instance, 3),
        "ready_before_due_s": round(slack, 2),
        "burst_s": round(burst_s, 3), "burst_polled_s": round(polled_s, 3),
        "first_fire_after_due_s": round((result["first_fire"] - due).total_seconds(), 3),
        "fires_per_s": round(count / burst_s, 1),
        "fires_per_s_first_to_last": round((count - 1) / spread_s, 1) if spread_s > 0 else None,
        "fired": result["fired"], "instances_fired": result["instances_fired"],
        "duplicates": result["duplicates"], "statuses": result["statuses"],
        "timers_left": result["timers_left"], "failed_fire_attempts": failed_fires,
        "fires_per_worker": result["fires_per_worker"], "worker_cpu_s": worker_cpu,
        "machine_busy_cpus": busy_cores(cpu_before, cpu_after), "lag": lag_stats(result["lags"]),
    }
    say(f"  every instance completed {burst_s:.2f} s after T (poll saw it after {polled_s:.2f} s); "
        f"first fire {figures['first_fire_after_due_s']:.3f} s after T")
    say(f"  throughput {figures['fires_per_s']:.1f} fires/s "
        f"({figures['fires_per_s_first_to_last']} fires/s first to last fire)")
    say(f"  timer.fired entries {result['fired']:,} for {result['instances_fired']:,} instances, "
        f"duplicates {result['duplicates']}, statuses {result['statuses']}, timer rows left "
        f"{result['timers_left']}, failed fire attempts {failed_fires}, "
        f"fires per worker {result['fires_per_worker']}")
    say(f"  during the burst: worker CPU {worker_cpu} s, machine busy on average "
        f"{figures['machine_busy_cpus']} of {os.cpu_count()} CPUs (workers + PostgreSQL + this poller)")
    lag = figures["lag"]
    say(f"  lag due -> fired: p50 {lag['p50_s']:.3f} s, p99 {lag['p99_s']:.3f} s, max {lag['max_s']:.3f} s")
    return figures


def run_sparse(count: int, interval: float, logdir: Path) -> dict:
    """Figure 3b: timers not queued behind others, one due every `interval` s, 1 worker."""
    say(f"\n[1 worker] {count} timers due one every {1000 * interval:.0f} ms "
        f"(~{count * interval:.0f} s), not queued behind others")
    db = Database()
    workers = None
    try:
        first, _ = schedule(db, count, 1)
        dues = [first + timedelta(seconds=i * interval) for i in range(count)]
        ids = db.create(dues)
        workers = Workers(db.url, 1, logdir)
        workers.wait_ready()
        slack = (first - now()).total_seconds()
        say(f"  created {len(ids)} instances; worker ready and waiting {slack:.1f} s before the first due time")
        wait_for(db, workers, count, dues[-1] + timedelta(seconds=FIRE_DEADLINE))
        result = db.results()
        failed_fires = workers.warnings()
    finally:
        if workers is not None:
            workers.stop()
        db.close()
    spread_s = (result["last_fire"] - result["first_fire"]).total_seconds()
    figures = {"workers": 1, "timers": count, "interval_s": interval,
               "ready_before_first_due_s": round(slack, 2),
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

def run_profile(count: int) -> dict:
    """Fire `count` due timers in this process through TimerScheduler.run_due, profiled."""
    from engine.scheduler import TimerScheduler

    say(f"\n[profile] {count} due timers fired in-process by TimerScheduler.run_due()")
    db = Database()
    try:
        due = now() + timedelta(seconds=1)
        db.create([due] * count)
        time.sleep(max(0.0, (due - now()).total_seconds()) + 0.1)
        scheduler = TimerScheduler(db.factory)
        scheduler.scheduler.start(paused=True)  # run_due schedules its next run; never run it
        statements: dict[str, int] = {}

        def count_statement(conn, cursor, statement, parameters, context, executemany):
            words = statement.split()
            verb = words[0].upper()
            table = (words[2] if verb in ("INSERT", "DELETE") else words[1] if verb == "UPDATE"
                     else words[words.index("FROM") + 1] if "FROM" in words else " ".join(words[1:2]))
            statements[f"{verb} {table}"] = statements.get(f"{verb} {table}", 0) + 1

        from sqlalchemy import event
        event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            from pyinstrument import Profiler
        except ImportError:
            Profiler = None
        started = time.perf_counter()
        if Profiler is not None:
            profiler = Profiler(interval=0.0005)
            profiler.start()
            fired = scheduler.run_due()
            profiler.stop()
        else:
            import cProfile
            import pstats
            profiler = cProfile.Profile()
            fired = profiler.runcall(scheduler.run_due)
        elapsed = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count_statement)
        scheduler.shutdown()
    finally:
        db.close()
    say(f"  fired {fired} in {elapsed:.2f} s = {1000 * elapsed / max(fired, 1):.2f} ms per fire "
        f"({'pyinstrument' if Profiler else 'cProfile; pip install pyinstrument for a call tree'})")
    say("  SQL statements per fire: " + ", ".join(
        f"{key} {n / max(fired, 1):.2f}" for key, n in sorted(statements.items(), key=lambda kv: -kv[1])))
    if Profiler is not None:
        say(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    return {"timers": count, "fired": fired, "ms_per_fire": round(1000 * elapsed / max(fired, 1), 3),
            "statements_per_fire": {k: round(n / max(fired, 1), 2) for k, n in statements.items()}}


# --- summary -----------------------------------------------------------------------------------

def summary(results: dict) -> list[tuple[str, str, str, str]]:
    one, two, sparse = results["burst_1_worker"], results["burst_2_workers"], results["sparse"]
    rows = [
        (f"{one['timers']:,} timers, 1 worker: T -> all completed", f"{one['burst_s']:.2f} s", "-", "info"),
        (f"{two['timers']:,} timers, 2 workers: T -> all completed", f"{two['burst_s']:.2f} s", "-", "info"),
        ("ratio 1-worker time / 2-worker time", f"{results['ratio_1_to_2']:.2f}", "-", "info"),
        ("throughput, 1 worker", f"{one['fires_per_s']:.1f} fires/s", "-", "info"),
        ("throughput, 2 workers", f"{two['fires_per_s']:.1f} fires/s", "-", "info"),
    ]
    for label, run in (("1 worker", one), ("2 workers", two), ("sparse", sparse)):
        every = run["fired"] == run["timers"] and run["statuses"] == {"completed": run["timers"]}
        rows.append((f"every timer fired, instance completed ({label})",
                     f"{run['fired']:,} / {run['timers']:,}", "all", "met" if every else "NOT met"))
        rows.append((f"duplicate fires ({label})", str(run["duplicates"]), "0",
                     "met" if run["duplicates"] == TARGETS["duplicates"] else "NOT met"))
    rows += [
        ("burst lag p50, 1 worker (queued)", f"{one['lag']['p50_s']:.3f} s", "-", "info"),
        ("burst lag p99, 1 worker (queued)", f"{one['lag']['p99_s']:.3f} s", "-", "info"),
        ("burst lag p50, 2 workers (queued)", f"{two['lag']['p50_s']:.3f} s", "-", "info"),
        ("burst lag p99, 2 workers (queued)", f"{two['lag']['p99_s']:.3f} s", "-", "info"),
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

    problem = postgres_problem()
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
                results["burst_1_worker"] = run_burst(args.timers, 1, Path(logdir))
                results["burst_2_workers"] = run_burst(args.timers, 2, Path(logdir))
                results["ratio_1_to_2"] = round(results["burst_1_worker"]["burst_s"]
                                                / results["burst_2_workers"]["burst_s"], 3)
                say(f"\nratio 1-worker time / 2-worker time: {results['ratio_1_to_2']:.2f}")
                results["sparse"] = run_sparse(args.sparse, SPARSE_INTERVAL, Path(logdir))
            if args.profile or args.profile_only:
                results["profile"] = run_profile(args.profile or PROFILE_TIMERS)
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
