"""Engine benchmark: what completing a user task costs through the REST API.

Run with `.venv/bin/python -m bench.engine` (or `make bench`). It prints:

1. REST completion latency (p50, p99) and completions per second, on SQLite and
   on PostgreSQL: the loop process (tests/fixtures/loop.bpmn) driven through
   Flask's test client with a bearer token, committing for real. Only the
   POST /api/tasks/{id}/complete call is timed; finding the next task id
   (GET /api/tasks?instance_id=...) happens outside the timer.
2. The bare engine: the same BPMN run by SpiffWorkflow in memory, no storage,
   and the ratio REST-on-SQLite p50 / bare p50. The ratio figures are taken in
   ROUNDS interleaved rounds (bare, REST, 2c-2f one after the other) and the
   median of the rounds' ratios is reported with their range, because the
   machine's speed drifts between minutes. Then the floor under any durable
   REST step (HTTP through Flask, saving and restoring the run, a SQLite commit),
   each part measured alone, as a ratio to the bare step; then (2c) the same
   completion hand-written on the bare sqlite3 driver (bench/lean_step.py), as
   the yardstick of what the ratio target asks of any implementation; (2d) that
   completion again with every run kept in memory between steps; (2e) its
   statements through SQLAlchemy Core instead of the bare driver, and (2f) both.
3. History growth: one instance looping 510 times; the median of its completions
   491-510 against the median of completions 1-10 of new instances, taken in
   turns with them, and the stored state size (len of process_instances.state)
   after step 5 and step 500.
4. A summary against the issue's targets; the same figures go to
   bench/results/engine.json.

This is a benchmark, not a test: nothing asserts on time. It cleans up after
itself: the SQLite file lives in a temporary directory and the PostgreSQL
database is created for the run and dropped afterwards (as tests/conftest.py
does). Without a reachable PostgreSQL it says so and measures SQLite only.

`--profile` additionally runs the REST completions on SQLite under cProfile
(profiling only the POST calls) and prints where the time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from bench.lean_step import measure_lean_step
from tests import databases
from tests.databases import POSTGRES_ADMIN_URL


ROOT = Path(__file__).resolve().parents[1]
LOOP_BPMN = ROOT / "tests" / "fixtures" / "loop.bpmn"
RESULTS_FILE = ROOT / "bench" / "results" / "engine.json"

INSTANCES = 20            # figure 1 and 2: instances of the loop process ...
COMPLETIONS = 25          # ... times completions each, all timed
ROUNDS = 5                # figure 2: interleaved rounds of bare, REST and hand-written completions


@dataclass(frozen=True)
class LeanVariant:
    """One of figures 2c-2f: the hand-written completion of bench/lean_step.py with some switches."""
    figure: str
    title: str        # its printed heading
    short: str        # its row in the summary
    result_key: str   # its entry in bench/results/engine.json
    switches: dict


LEAN_VARIANTS = {
    "lean": LeanVariant("2c", "hand-written on the bare sqlite3 driver, no SQLAlchemy, no ORM, no marshmallow",
                        "hand-written, bare driver", "lean_step", {}),
    "lean_kept": LeanVariant("2d", "2c with each run kept in memory between steps",
                             "2c, runs kept in memory", "lean_step_runs_kept", {"keep_runs": True}),
    "lean_core": LeanVariant("2e", "2c with its statements through SQLAlchemy Core (text(), the app's engine)",
                             "2c through SQLAlchemy Core", "lean_step_sqlalchemy_core",
                             {"through_sqlalchemy": True}),
    "lean_core_kept": LeanVariant("2f", "2e with each run kept in memory between steps",
                                  "2e, runs kept in memory", "lean_step_sqlalchemy_core_runs_kept",
                                  {"through_sqlalchemy": True, "keep_runs": True}),
}
WARMUP = 10               # untimed completions before any timed ones
EARLY = (1, 10)           # figure 3: completions of new instances whose median is "step 5" ...
LATE = (491, 510)         # ... against these of one old instance, whose median is "step 500"
HISTORY_STEPS = LATE[1]
STATE_AT = (5, 500)       # stored state size after these completions

TARGETS = {
    "sqlite_p50_ms": 10.0,
    "sqlite_p99_ms": 40.0,
    "overhead_ratio": 5.0,
    "history_ratio": 1.3,
}


# --- small helpers ---------------------------------------------------------------------------

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def stats_of(latencies: list[float]) -> dict:
    """p50, p99, mean (ms) and completions per second of serial POST time."""
    total = sum(latencies)
    return {"n": len(latencies),
            "p50_ms": round(ms(percentile(latencies, 50)), 3),
            "p99_ms": round(ms(percentile(latencies, 99)), 3),
            "mean_ms": round(ms(total / len(latencies)), 3),
            "max_ms": round(ms(max(latencies)), 3),
            "completions_per_s": round(len(latencies) / total, 1)}


class Api:
    """Flask's test client sending one user's bearer token with every request."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, **kw):
        return self.client.post(path, headers=self.headers, **kw)


def expect(response, status: int):
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.path} gave "
                           f"{response.status_code}, expected {status}: {response.get_data(as_text=True)}")
    return response.get_json()


# --- PostgreSQL database for the run, as tests/conftest.py makes it ----------------------------

def create_postgres_database() -> str:
    return databases.create_postgres_database("dealflow_bench")


# --- the app on one backend ------------------------------------------------------------------

class Backend:
    """The app on a migrated, empty database, a seller's API client and the loop deployed."""

    def __init__(self, name: str, url: str):
        from app import create_app
        import accounts

        self.name, self.url = name, url
        self.app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": True, "SECRET_KEY": "bench"})
        with self.app.extensions["session_factory"].begin() as session:
            admin = accounts.create_user(session, "admin", "admin-password", role="admin")
            seller = accounts.create_user(session, "seller", "seller-password", groups=["sales"])
            admin_token = accounts.create_token(session, admin)
            seller_token = accounts.create_token(session, seller)
        admin_api = Api(self.app.test_client(), admin_token)
        with LOOP_BPMN.open("rb") as f:
            expect(admin_api.post("/api/process-definitions", data={"file": [(f, LOOP_BPMN.name)]},
                                  content_type="multipart/form-data"), 201)
        # The loop's task has candidate group "sales": a member, not an admin, completes it.
        self.api = Api(self.app.test_client(), seller_token)

    def start(self) -> tuple[int, str]:
        """Start a loop instance; return its id and its open task's id."""
        body = expect(self.api.post("/api/process-instances", json={"process_key": "loop"}), 201)
        open_tasks = [t for t in body["tasks"] if t["status"] == "open"]
        return body["id"], open_tasks[0]["id"]

    def open_task(self, instance_id: int) -> str:
        """Untimed: the instance's open task id, as a client would look it up."""
        rows = expect(self.api.get(f"/api/tasks?instance_id={instance_id}"), 200)
        return rows[0]["id"]

    def complete(self, task_id: str, data: dict) -> float:
        """Complete a task; return the seconds the POST alone took."""
        path = f"/api/tasks/{task_id}/complete"
        body = {"data": data}
        started = time.perf_counter()
        response = self.api.post(path, json=body)
        elapsed = time.perf_counter() - started
        expect(response, 200)
        return elapsed

    def state_size(self, instance_id: int) -> int:
        with self.app.extensions["db_engine"].connect() as conn:
            return conn.execute(text("SELECT length(state) FROM process_instances WHERE id = :id"),
                                {"id": instance_id}).scalar_one()

    def close(self) -> None:
        self.app.extensions["db_engine"].dispose()


def warm_up(backend: Backend) -> None:
    instance_id, task_id = backend.start()
    for _ in range(WARMUP):
        backend.complete(task_id, {"done": False})
        task_id = backend.open_task(instance_id)


def rest_latencies(backend: Backend, profiler: cProfile.Profile | None = None) -> tuple[list[float], float]:
    """INSTANCES x COMPLETIONS timed completions, round robin; the POST times and the wall time."""
    current = dict(backend.start() for _ in range(INSTANCES))
    latencies = []
    wall_started = time.perf_counter()
    for _ in range(COMPLETIONS):
        for instance_id, task_id in current.items():
            if profiler is not None:
                profiler.enable()
            latencies.append(backend.complete(task_id, {"done": False}))
            if profiler is not None:
                profiler.disable()
            current[instance_id] = backend.open_task(instance_id)
    return latencies, time.perf_counter() - wall_started


def measure_rest(backend: Backend, profiler: cProfile.Profile | None = None) -> dict:
    """Figure 1 on one backend: the stats of one batch of completions."""
    latencies, wall = rest_latencies(backend, profiler)
    result = stats_of(latencies)
    result["loop_completions_per_s_incl_untimed_lookup"] = round(len(latencies) / wall, 1)
    return result


def measure_history(backend: Backend) -> dict:
    """Figure 3: completions LATE of one long-lived instance against completions EARLY of new ones.

    The old instance is driven to step LATE[0] - 1 first; then each of its completions
    in the late window alternates with a completion in the early window of a new
    instance (two of them, EARLY steps each), so that both windows are measured in the
    same seconds and the machine's drift does not pass for growth.
    """
    old_id, old_task = backend.start()
    sizes = {}

    def complete_old(step: int) -> float:
        nonlocal old_task
        elapsed = backend.complete(old_task, {"done": False})
        if step in STATE_AT:
            sizes[step] = backend.state_size(old_id)
        old_task = backend.open_task(old_id)
        return elapsed

    for step in range(1, LATE[0]):
        complete_old(step)
    early, late = [], []
    new_id = new_task = None
    for number, step in enumerate(range(LATE[0], LATE[1] + 1)):
        late.append(complete_old(step))
        if number % (EARLY[1] - EARLY[0] + 1) == 0:
            new_id, new_task = backend.start()
        early.append(backend.complete(new_task, {"done": False}))
        new_task = backend.open_task(new_id)
    early_median, late_median = statistics.median(early), statistics.median(late)
    return {"early_window": list(EARLY), "late_window": list(LATE),
            "early_median_ms": round(ms(early_median), 3), "late_median_ms": round(ms(late_median), 3),
            "ratio": round(late_median / early_median, 3),
            "state_bytes": {str(step): size for step, size in sizes.items()}}


def run_backend(name: str, url: str) -> dict:
    """Figures 1 and 3 on one backend."""
    backend = Backend(name, url)
    try:
        warm_up(backend)
        rest = measure_rest(backend)
        history = measure_history(backend)
    finally:
        backend.close()
    return {"rest": rest, "history": history}


def run_sqlite_rounds(url: str, db_path: Path, bare: "BareEngine") -> dict:
    """Figures 1, 2, 2c-2f and 3 on SQLite, the ratio figures in ROUNDS interleaved rounds.

    Each round measures the bare engine, the app's REST completion and the
    hand-written completions one after the other, so that each ratio compares
    figures taken within seconds of each other: on a shared machine the speed of
    the whole machine drifts by a third from minute to minute, and a ratio of
    figures taken minutes apart measures that drift as much as the code.
    """
    backend = Backend("sqlite", url)
    parts: dict[str, list[float]] = {"bare": [], "rest": [], **{label: [] for label in LEAN_VARIANTS}}
    rounds, wall = [], 0.0
    try:
        warm_up(backend)
        bare.latencies()  # warm-up
        for _ in range(ROUNDS):
            round_parts = {"bare": bare.latencies()}
            round_parts["rest"], round_wall = rest_latencies(backend)
            wall += round_wall
            for label, variant in LEAN_VARIANTS.items():
                round_parts[label] = measure_lean_step(backend, str(db_path), INSTANCES, COMPLETIONS,
                                                       WARMUP, **variant.switches)
            p50 = {label: percentile(values, 50) for label, values in round_parts.items()}
            rounds.append({f"{label}_p50_ms": round(ms(value), 3) for label, value in p50.items()}
                          | {f"{label}_ratio": round(p50[label] / p50["bare"], 3)
                             for label in ("rest", *LEAN_VARIANTS)})
            for label, values in round_parts.items():
                parts[label] += values
        history = measure_history(backend)
    finally:
        backend.close()
    rest = stats_of(parts["rest"])
    rest["loop_completions_per_s_incl_untimed_lookup"] = round(len(parts["rest"]) / wall, 1)
    ratios = {label: {"median": round(statistics.median(r[f"{label}_ratio"] for r in rounds), 3),
                      "min": min(r[f"{label}_ratio"] for r in rounds),
                      "max": max(r[f"{label}_ratio"] for r in rounds)}
              for label in ("rest", *LEAN_VARIANTS)}
    return {"rest": rest, "history": history, "bare": stats_of(parts["bare"]),
            **{label: stats_of(parts[label]) for label in LEAN_VARIANTS},
            "rounds": rounds, "ratios": ratios}


# --- the bare engine -------------------------------------------------------------------------

class BareEngine:
    """Figure 2: the same BPMN in SpiffWorkflow, in memory, no storage."""

    def __init__(self):
        from engine import bpmn

        parsed = bpmn.parse_upload([(LOOP_BPMN.name, LOOP_BPMN.read_bytes())])
        process = next(p for p in parsed if p.key == "loop")
        self.spec, self.subprocess_specs = bpmn.build_specs(process.files, process.key)

    def _start(self):
        from SpiffWorkflow.bpmn import BpmnWorkflow

        from engine.state import SCRIPT_ENGINE

        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=SCRIPT_ENGINE)
        workflow.do_engine_steps()
        return workflow

    @staticmethod
    def _complete_one(workflow) -> float:
        from SpiffWorkflow.util.task import TaskState

        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        started = time.perf_counter()
        task.set_data(done=False)
        task.run()
        workflow.do_engine_steps()
        return time.perf_counter() - started

    def latencies(self) -> list[float]:
        """INSTANCES x COMPLETIONS completions, round robin, after WARMUP on another workflow."""
        warm = self._start()
        for _ in range(WARMUP):
            self._complete_one(warm)
        workflows = [self._start() for _ in range(INSTANCES)]
        return [self._complete_one(wf) for _ in range(COMPLETIONS) for wf in workflows]


# --- the floor under any durable REST step ---------------------------------------------------

def measure_floor(workdir: Path) -> dict:
    """Figure 2b: what no durable REST completion can skip, each part measured alone.

    - HTTP: Flask's test client posting the same JSON body, with the same header,
      to an app whose only route returns a task-sized JSON object;
    - the saved run: dumping the loop's workflow to JSON and restoring it, as one
      step's state must be written and read back;
    - the commit: a SQLite transaction (same pragmas as the app) updating one row
      with that JSON and inserting one small row, through the bare driver.
    Added to the bare engine step, they are a floor for REST completion.
    """
    import sqlite3

    from flask import Flask, jsonify, request

    from engine import bpmn, state

    app = Flask("floor")

    @app.post("/api/tasks/<task_id>/complete")
    def complete(task_id):
        data = request.get_json()["data"]
        return jsonify({"id": task_id, "status": "completed", "data": data, "title": "Work",
                        "instance_id": 1, "priority": 50, "form": {}, "groups": ["sales"]})

    client = app.test_client()
    headers = {"Authorization": "Bearer " + "x" * 47}

    def http() -> float:
        started = time.perf_counter()
        client.post("/api/tasks/00000000-0000-0000-0000-000000000000/complete",
                    json={"data": {"done": False}}, headers=headers)
        return time.perf_counter() - started

    parsed = bpmn.parse_upload([(LOOP_BPMN.name, LOOP_BPMN.read_bytes())])
    process = next(p for p in parsed if p.key == "loop")
    spec, subprocess_specs = bpmn.build_specs(process.files, process.key)
    workflow = state.new_workflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    text_state = state.dump_workflow(workflow)

    def saved_run() -> float:
        started = time.perf_counter()
        state.load_workflow(state.dump_workflow(workflow), spec, subprocess_specs)
        return time.perf_counter() - started

    connection = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
        connection.execute(pragma)
    connection.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, state TEXT, version INTEGER)")
    connection.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT)")
    connection.execute("INSERT INTO runs VALUES (1, '', 1)")

    def commit() -> float:
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE runs SET state = ?, version = version + 1 WHERE id = 1", (text_state,))
        connection.execute("INSERT INTO steps (run_id, at) VALUES (1, ?)", (datetime.now().isoformat(),))
        connection.execute("COMMIT")
        return time.perf_counter() - started

    samples = INSTANCES * COMPLETIONS
    figures = {}
    for name, part in (("http", http), ("saved_run", saved_run), ("commit", commit)):
        for _ in range(WARMUP * 5):
            part()
        figures[name] = stats_of([part() for _ in range(samples)])
    connection.close()
    return figures


# --- profile ---------------------------------------------------------------------------------

PROFILED_PARTS = {"engine/": str(ROOT / "engine") + os.sep, "web/": str(ROOT / "web") + os.sep,
                  "SpiffWorkflow": f"{os.sep}SpiffWorkflow{os.sep}",
                  "SQLAlchemy": f"{os.sep}sqlalchemy{os.sep}"}


def _part_of(filename: str) -> str | None:
    return next((part for part, marker in PROFILED_PARTS.items() if marker in filename), None)


def _label(func: tuple) -> str:
    filename, line, name = func
    for marker in (str(ROOT) + os.sep, "site-packages" + os.sep):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})"


# Phases of the completion path timed by wrapping them (inclusive wall-clock time; nested
# entries are indented). A name that no longer exists is skipped, so this survives refactoring.
PHASES = [
    ("accounts.tokens", "actor_for_token", "auth: accounts.actor_for_token"),
    ("engine.tasks", "get_task", "tasks.get_task"),
    ("engine.instances", "lock_instance", "instances.lock_instance"),
    ("engine.instances", "lock_instance_of_task", "instances.lock_instance_of_task"),
    ("engine.tasks", "_open_task", "tasks._open_task"),
    ("engine.tasks", "validate_form", "tasks.validate_form"),
    ("engine.instances", "load_workflow", "instances.load_workflow"),
    ("SpiffWorkflow.task:Task", "run", "SpiffWorkflow Task.run"),
    ("SpiffWorkflow.bpmn:BpmnWorkflow", "do_engine_steps", "SpiffWorkflow do_engine_steps"),
    ("engine.instances", "persist", "instances.persist"),
    ("engine.tasks", "sync_open_tasks", "  tasks.sync_open_tasks"),
    ("engine.timers", "sync_instance_timers", "  timers.sync_instance_timers"),
    ("engine.instances", "_entered_stage", "  instances._entered_stage"),
    ("engine.state", "dump_workflow", "  state.dump_workflow"),
    ("sqlalchemy.orm:Session", "flush", "Session.flush (incl. autoflushes, overlaps the above)"),
    ("sqlalchemy.orm:Session", "commit", "Session.commit (after_request)"),
    ("web.schemas:TaskSchema", "dump", "TaskSchema.dump"),
]


def _resolve(target: str):
    import importlib

    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


class _PhaseTimer:
    """Wrap the PHASES while active; count SQL statements through engine events."""

    def __init__(self, db_engine):
        self.active, self.seconds, self.calls, self.patched = False, {}, {}, []
        self.sql_seconds, self.statements, self.db_engine = 0.0, {}, db_engine

    def __enter__(self):
        from sqlalchemy import event

        for target, name, label in PHASES:
            try:
                owner = _resolve(target)
                original = getattr(owner, name)
            except (ImportError, AttributeError):
                continue
            own = name in vars(owner)  # else inherited: remove the wrapper again on exit
            self.patched.append((owner, name, original if own else None))
            setattr(owner, name, self._wrap(original, label))
        event.listen(self.db_engine, "before_cursor_execute", self._before)
        event.listen(self.db_engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        for owner, name, original in reversed(self.patched):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        event.remove(self.db_engine, "before_cursor_execute", self._before)
        event.remove(self.db_engine, "after_cursor_execute", self._after)

    def _wrap(self, original, label):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if self.active:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
                    self.calls[label] = self.calls.get(label, 0) + 1
        return timed

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if not self.active:
            return
        self.sql_seconds += time.perf_counter() - conn.info.pop("bench_started")
        words = statement.split()
        verb = words[0].upper()
        table = (words[2] if verb in ("INSERT", "DELETE") else words[1] if verb == "UPDATE"
                 else words[words.index("FROM") + 1] if "FROM" in words else " ".join(words[1:2]))
        key = f"{verb} {table}"
        self.statements[key] = self.statements.get(key, 0) + 1


def profile_sqlite(workdir: Path, top: int = 10) -> dict:
    """Figure 1 twice more on a fresh SQLite database: under cProfile, then with phase timers."""
    backend = Backend("sqlite", f"sqlite:///{workdir / 'profile.db'}")
    profiler = cProfile.Profile()
    try:
        warm_up(backend)
        measure_rest(backend, profiler)
        with _PhaseTimer(backend.app.extensions["db_engine"]) as phases:
            current = dict(backend.start() for _ in range(INSTANCES))
            latencies = []
            for _ in range(COMPLETIONS):
                for instance_id, task_id in current.items():
                    phases.active = True
                    latencies.append(backend.complete(task_id, {"done": False}))
                    phases.active = False
                    current[instance_id] = backend.open_task(instance_id)
    finally:
        backend.close()
    per_completion = INSTANCES * COMPLETIONS
    stats = pstats.Stats(profiler)
    raw = stats.stats  # func -> (primitive calls, calls, tottime, cumtime, callers)
    total = stats.total_tt
    calls = sum(nc for _, nc, _, _, _ in raw.values())

    def rows(items, key):
        return [{"function": _label(func), "part": _part_of(func[0]),
                 "calls_per_completion": round(v[1] / per_completion, 1),
                 "cum_ms_per_completion": round(ms(v[3]) / per_completion, 3),
                 "cum_share": round(v[3] / total, 3),
                 "own_ms_per_completion": round(ms(v[2]) / per_completion, 3)}
                for func, v in sorted(items, key=key, reverse=True)[:top]]

    ours = [(f, v) for f, v in raw.items() if _part_of(f[0])]
    by_part = {}
    for part in PROFILED_PARTS:
        own = sum(v[2] for f, v in raw.items() if _part_of(f[0]) == part)
        by_part[part] = round(ms(own) / per_completion, 3)
    by_part["other (stdlib, werkzeug, flask, json, sqlite3, ...)"] = round(
        ms(total - sum(v[2] for f, v in ours)) / per_completion, 3)
    return {"profiled_ms_per_completion": round(ms(total) / per_completion, 3),
            "function_calls_per_completion": round(calls / per_completion),
            "own_time_ms_per_completion_by_part": by_part,
            "top_cumulative": rows(ours, key=lambda item: item[1][3]),
            "top_own_time_any": rows(raw.items(), key=lambda item: item[1][2]),
            "phases": {"mean_post_ms": round(ms(sum(latencies)) / per_completion, 3),
                       "ms_per_completion": {label: round(ms(sec) / per_completion, 3)
                                             for label, sec in phases.seconds.items()},
                       "calls_per_completion": {label: round(n / per_completion, 1)
                                                for label, n in phases.calls.items()},
                       "sql_driver_ms_per_completion": round(ms(phases.sql_seconds) / per_completion, 3),
                       "sql_statements_per_completion": {
                           k: round(n / per_completion, 1)
                           for k, n in sorted(phases.statements.items(), key=lambda kv: -kv[1])}}}


def print_profile(profile: dict) -> None:
    print()
    print("Profile: REST completion on SQLite, cProfile around each POST only "
          f"({INSTANCES * COMPLETIONS} completions)")
    print(f"  profiled time per completion: {profile['profiled_ms_per_completion']:.2f} ms "
          f"(cProfile inflates it), {profile['function_calls_per_completion']} function calls")
    print("  own time per completion by part:")
    for part, value in profile["own_time_ms_per_completion_by_part"].items():
        print(f"    {part:<52} {value:7.3f} ms")
    for title, key in (("top 10 by cumulative time (engine/, web/, SpiffWorkflow, SQLAlchemy)",
                        "top_cumulative"), ("top 10 by own time (anything)", "top_own_time_any")):
        print(f"  {title}:")
        print(f"    {'cum ms':>8} {'share':>6} {'own ms':>8} {'calls':>7}  function   (per completion)")
        for row in profile[key]:
            print(f"    {row['cum_ms_per_completion']:8.3f} {row['cum_share']:6.1%} "
                  f"{row['own_ms_per_completion']:8.3f} {row['calls_per_completion']:7.1f}  {row['function']}")
    phases = profile["phases"]
    print(f"  wall-clock phases without cProfile (inclusive ms per completion; mean POST "
          f"{phases['mean_post_ms']:.2f} ms with the timers in place):")
    for label in [label for _, _, label in PHASES if label in phases["ms_per_completion"]]:
        print(f"    {phases['ms_per_completion'][label]:7.3f} ms "
              f"{phases['calls_per_completion'][label]:5.1f}x  {label}")
    statements = phases["sql_statements_per_completion"]
    print(f"  SQL per completion: {sum(statements.values()):.0f} statements, "
          f"{phases['sql_driver_ms_per_completion']:.3f} ms in the driver: "
          + ", ".join(f"{n:g}x {k}" for k, n in statements.items()))


# --- report ----------------------------------------------------------------------------------

def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def print_backend(name: str, figures: dict) -> None:
    rest = figures["rest"]
    print(f"  {name}: p50 {rest['p50_ms']:.2f} ms, p99 {rest['p99_ms']:.2f} ms, "
          f"mean {rest['mean_ms']:.2f} ms, max {rest['max_ms']:.2f} ms, "
          f"{rest['completions_per_s']:.0f} completions/s (serial POST time; "
          f"{rest['loop_completions_per_s_incl_untimed_lookup']:.0f}/s counting the untimed task lookups)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true",
                        help="also profile the REST completion path on SQLite with cProfile")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    began = time.perf_counter()
    print(f"Dealflow engine benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"GC {'on' if gc.isenabled() else 'off'}")
    print(f"  REST: {INSTANCES} loop instances x {COMPLETIONS} completions, timed POST "
          f"/api/tasks/{{id}}/complete only, after {WARMUP} untimed warm-up completions")
    print(f"  history: one instance x {HISTORY_STEPS} completions; median of its completions "
          f"{LATE[0]}-{LATE[1]} against completions {EARLY[0]}-{EARLY[1]} of new instances, in turns")

    backends: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    problem = "skipped with --no-postgres" if args.no_postgres else databases.postgres_problem()
    if problem:
        print(f"  PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({problem}): running SQLite only")
        skipped["postgresql"] = problem

    with tempfile.TemporaryDirectory(prefix="dealflow-bench-") as workdir:
        workdir = Path(workdir)
        bare_engine = BareEngine()
        floor = measure_floor(workdir)
        backends["sqlite"] = run_sqlite_rounds(f"sqlite:///{workdir / 'bench.db'}", workdir / "bench.db",
                                               bare_engine)
        if not problem:
            url = create_postgres_database()
            try:
                backends["postgresql"] = run_backend("postgresql", url)
            finally:
                databases.drop_postgres_database(url)
        profile = profile_sqlite(workdir) if args.profile else None

    sqlite = backends["sqlite"]
    bare, ratios = sqlite.pop("bare"), sqlite["ratios"]
    overhead = ratios["rest"]["median"]
    floor_ms = bare["p50_ms"] + sum(part["p50_ms"] for part in floor.values())
    floor_ratio = floor_ms / bare["p50_ms"]

    def spread(label: str) -> str:
        return f"{ratios[label]['min']:.1f}x to {ratios[label]['max']:.1f}x over {ROUNDS} rounds"

    print()
    print("1. REST completion latency (POST /api/tasks/{id}/complete, real commits)")
    for name, figures in backends.items():
        print_backend(name, figures)
    print()
    print("2. Bare engine (SpiffWorkflow in memory, no storage): set_data + run + do_engine_steps,")
    print(f"   in {ROUNDS} rounds interleaved with figures 1 (SQLite) and 2c-2f; a ratio is the median")
    print("   of the rounds' ratios of p50s")
    print(f"  p50 {bare['p50_ms']:.3f} ms, p99 {bare['p99_ms']:.3f} ms, "
          f"{bare['completions_per_s']:.0f} completions/s")
    print(f"  overhead REST-on-SQLite / bare = {overhead:.1f}x ({spread('rest')}; "
          f"target <= {TARGETS['overhead_ratio']:g}x: {verdict(overhead, TARGETS['overhead_ratio'])})")
    names = {"rest": "REST", **{label: variant.figure for label, variant in LEAN_VARIANTS.items()}}
    for number, figures in enumerate(sqlite["rounds"], 1):
        shown = ", ".join(f"{name} {figures[f'{label}_p50_ms']:.2f} ms ({figures[f'{label}_ratio']:.1f}x)"
                          for label, name in names.items())
        print(f"    round {number}: bare {figures['bare_p50_ms']:.3f} ms, {shown}")
    print()
    print("2b. Floor under any durable REST step (p50 of each part, measured alone)")
    print(f"  HTTP round trip through Flask's test client, no work:  {floor['http']['p50_ms']:.3f} ms")
    print(f"  saved run: dump the workflow to JSON and restore it:  {floor['saved_run']['p50_ms']:.3f} ms")
    print(f"  SQLite commit of that JSON and one row, bare driver:   {floor['commit']['p50_ms']:.3f} ms")
    print(f"  + the bare engine step:                                {bare['p50_ms']:.3f} ms")
    print(f"  = floor {floor_ms:.3f} ms = {floor_ratio:.1f}x the bare step; the {TARGETS['overhead_ratio']:g}x "
          f"target leaves {TARGETS['overhead_ratio'] * bare['p50_ms'] - floor_ms:.3f} ms for auth, "
          f"locking, task rows, audit, validation and the response")
    print()
    print("2c-2f. The leanest durable completion: the same POST on the same SQLite file, written by hand")
    print("    (bench/lean_step.py), and what would change it")
    for label, variant in LEAN_VARIANTS.items():
        figures = sqlite[label]
        print(f"  {variant.figure}. {variant.title}")
        print(f"    p50 {figures['p50_ms']:.3f} ms, p99 {figures['p99_ms']:.3f} ms = "
              f"{ratios[label]['median']:.1f}x the bare step ({spread(label)})")
    print(f"  the app's completion is {sqlite['rest']['p50_ms'] / sqlite['lean']['p50_ms']:.1f}x 2c")
    print()
    print("3. History growth (a looping instance's late steps, in turns with new instances' first steps)")
    for name, figures in backends.items():
        h = figures["history"]
        print(f"  {name}: median of steps {EARLY[0]}-{EARLY[1]} {h['early_median_ms']:.2f} ms, "
              f"of steps {LATE[0]}-{LATE[1]} {h['late_median_ms']:.2f} ms, ratio {h['ratio']:.2f}; "
              f"stored state {h['state_bytes'][str(STATE_AT[0])]} bytes after step {STATE_AT[0]}, "
              f"{h['state_bytes'][str(STATE_AT[1])]} bytes after step {STATE_AT[1]}")

    summary = [
        ("REST SQLite p50", sqlite["rest"]["p50_ms"], "ms", TARGETS["sqlite_p50_ms"]),
        ("REST SQLite p99", sqlite["rest"]["p99_ms"], "ms", TARGETS["sqlite_p99_ms"]),
    ]
    if "postgresql" in backends:
        summary += [("REST PostgreSQL p50", backends["postgresql"]["rest"]["p50_ms"], "ms", None),
                    ("REST PostgreSQL p99", backends["postgresql"]["rest"]["p99_ms"], "ms", None)]
    summary += [("Bare engine p50", bare["p50_ms"], "ms", None),
                ("Overhead REST-SQLite / bare (p50)", overhead, "x", TARGETS["overhead_ratio"]),
                ("Floor (HTTP+save+commit+step) / bare", floor_ratio, "x", None)]
    summary += [(f"{variant.figure} {variant.short} / bare", ratios[label]["median"], "x", None)
                for label, variant in LEAN_VARIANTS.items()]
    for name, figures in backends.items():
        summary.append((f"History step 500 / step 5 ({name})", figures["history"]["ratio"], "x",
                        TARGETS["history_ratio"]))

    print()
    print(f"  {'figure':<40} {'value':>10}   {'target':>9}   result")
    rows = []
    for label, value, unit, target in summary:
        shown = f"{value:.3f} ms" if unit == "ms" and value < 1 else (
            f"{value:.2f} ms" if unit == "ms" else f"{value:.2f}x")
        goal = "-" if target is None else (f"<= {target:g} ms" if unit == "ms" else f"<= {target:g}x")
        result = "no target" if target is None else verdict(value, target)
        print(f"  {label:<40} {shown:>10}   {goal:>9}   {result}")
        rows.append({"figure": label, "value": round(value, 3), "unit": unit, "target": target,
                     "met": None if target is None else value <= target})

    elapsed = time.perf_counter() - began
    if profile is not None:
        print_profile(profile)
    print()
    results = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "config": {"instances": INSTANCES, "completions_per_instance": COMPLETIONS,
                   "warmup_completions": WARMUP, "history_steps": HISTORY_STEPS,
                   "early_window": list(EARLY), "late_window": list(LATE),
                   "percentile": "nearest rank", "timed": "POST /api/tasks/{id}/complete only"},
        "bare_engine": bare,
        "floor": {**floor, "floor_ms": round(floor_ms, 3), "floor_ratio": round(floor_ratio, 3)},
        **{variant.result_key: {**sqlite[label], "ratio_to_bare": ratios[label]["median"]}
           for label, variant in LEAN_VARIANTS.items()},
        "backends": backends,
        "skipped": skipped,
        "overhead_ratio": round(overhead, 3),
        "summary": rows,
        "profile": profile,
        "seconds": round(elapsed, 1),
    }
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {RESULTS_FILE.relative_to(ROOT)} in {elapsed:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
