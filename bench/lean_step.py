"""Figure 2c of bench.engine: the leanest durable REST completion that could be written.

The same POST /api/tasks/{id}/complete on the same database, schema and loop
BPMN, written by hand on the bare sqlite3 driver: no SQLAlchemy, no ORM objects,
no marshmallow, and only what this one process needs (no stage visits, timers,
domain listeners or assignee/due-date expressions). It does what no durable
completion can skip: check the token, lock and read the instance and the task,
check the group and the form, restore the run, step it, write the task rows, the
audit entry and the run, commit, answer.

It is a yardstick for the ratio target, not a second engine: it shows what the
target asks of any implementation, measured in the same run as the app itself.
Two switches measure what would change it: `keep_runs` keeps each run in memory
between steps (figure 2d), and `through_sqlalchemy` sends the same statements
through SQLAlchemy Core on the app's own engine instead of the bare driver
(figures 2e, and 2f with runs kept too).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from uuid import UUID

from flask import Flask, jsonify, request
from jsonschema import Draft202012Validator
from SpiffWorkflow.util.task import TaskState

_AUTH = ("SELECT u.id, u.is_active, g.name FROM api_tokens t JOIN users u ON t.user_id = u.id"
         " LEFT JOIN user_groups ug ON ug.user_id = u.id LEFT JOIN groups g ON g.id = ug.group_id"
         " WHERE t.token_hash = :token_hash")
_INSTANCE = ("SELECT id, lock_version FROM process_instances"
             " WHERE id = (SELECT instance_id FROM tasks WHERE id = :task_id)")
_STATE = "SELECT state FROM process_instances WHERE id = :instance_id"
_TASK = ("SELECT t.status, t.form, t.element_id, t.title, g.group_name FROM tasks t"
         " LEFT JOIN task_groups g ON g.task_id = t.id WHERE t.id = :task_id")
_CLOSE = ("UPDATE tasks SET status = 'completed', completed_at = :at, completed_by_id = :user_id"
          " WHERE id = :task_id")
_AUDIT = ("INSERT INTO audit_entries (at, actor_id, action, instance_id, task_id, element_id, detail)"
          " VALUES (:at, :user_id, 'task.completed', :instance_id, :task_id, :element_id, :detail)")
_ADD_TASK = ("INSERT INTO tasks (id, instance_id, element_id, title, stage, priority, form, status,"
             " created_at) VALUES (:id, :instance_id, :element_id, :title, :stage, 50, :form, 'open', :at)")
_ADD_GROUP = "INSERT INTO task_groups (task_id, group_name) VALUES (:task_id, :group_name)"
_WRITE_RUN = ("UPDATE process_instances SET state = :state, data = :data, updated_at = :at,"
              " lock_version = lock_version + 1 WHERE id = :instance_id AND lock_version = :version")


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


class _Refused(Exception):
    """A request the hand-written completion answers with an error: roll back, then answer."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


class _Sqlite3Transactions:
    """Transactions on one bare sqlite3 connection, with the app's pragmas."""

    def __init__(self, db_path: str):
        self.connection = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        for pragma in ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            self.connection.execute(pragma)

    @contextmanager
    def begin(self):
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._execute
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def _execute(self, sql: str, params):
        if isinstance(params, list):
            return self.connection.executemany(sql, params)
        return self.connection.execute(sql, params)

    def close(self) -> None:
        self.connection.close()


class _CoreTransactions:
    """The same statements as SQLAlchemy Core text() constructs, a transaction per request.

    The engine is the app's own (core.db.make_engine: pool, pragmas, BEGIN IMMEDIATE),
    so this measures what SQLAlchemy Core itself adds, without the ORM.
    """

    def __init__(self, db_path: str):
        from sqlalchemy import text

        from core.db import make_engine

        self.engine = make_engine(f"sqlite:///{db_path}")
        self.statements = {sql: text(sql) for sql in (_AUTH, _INSTANCE, _STATE, _TASK, _CLOSE, _AUDIT,
                                                      _ADD_TASK, _ADD_GROUP, _WRITE_RUN)}

    @contextmanager
    def begin(self):
        with self.engine.begin() as connection:
            yield lambda sql, params: connection.execute(self.statements[sql], params)

    def close(self) -> None:
        self.engine.dispose()


def lean_app(db_path: str, spec, subprocess_specs, *, keep_runs: bool = False,
             through_sqlalchemy: bool = False) -> Flask:
    """A Flask app with only the hand-written completion route, on the app's SQLite file.

    With `keep_runs` the restored workflow stays in memory after each commit, keyed by
    the instance and its lock version, and the next step of that instance skips reading
    and restoring the saved run (figure 2d): the best that keeping runs hot could give.
    With `through_sqlalchemy` the same statements go through SQLAlchemy Core (figure 2e).
    """
    from engine import bpmn, state

    transactions = _CoreTransactions(db_path) if through_sqlalchemy else _Sqlite3Transactions(db_path)
    validators: dict[str, Draft202012Validator] = {}
    kept: dict[int, tuple[int, object]] = {}  # instance id -> (lock version, workflow)
    app = Flask("lean")

    @app.post("/api/tasks/<task_id>/complete")
    def complete(task_id):
        data = request.get_json()["data"]
        token = request.headers["Authorization"].partition(" ")[2]
        try:
            with transactions.begin() as execute:
                answer, instance_id, version, workflow = _complete(execute, task_id, token, data)
        except _Refused as refused:
            return refused.body, refused.status
        if keep_runs:  # only once committed
            kept[instance_id] = (version, workflow)
        return jsonify(answer)

    def _complete(execute, task_id: str, token: str, data: dict):
        holder = execute(_AUTH, {"token_hash": hashlib.sha256(token.encode()).hexdigest()}).fetchall()
        if not holder or not holder[0][1]:
            raise _Refused(401, {"message": "unknown token"})
        user_id, groups = holder[0][0], {row[2] for row in holder}
        instance_id, version = execute(_INSTANCE, {"task_id": task_id}).fetchone()
        task_rows = execute(_TASK, {"task_id": task_id}).fetchall()
        status, form, element_id, title = task_rows[0][:4]
        task_groups = {row[4] for row in task_rows if row[4]}
        if status != "open" or (task_groups and not task_groups & groups):
            raise _Refused(409, {"message": "not yours or not open"})
        validator = validators.get(form) or validators.setdefault(form, Draft202012Validator(json.loads(form)))
        problems = [error.message for error in validator.iter_errors(data)]
        if problems:
            raise _Refused(422, {"problems": problems})
        held_version, workflow = kept.pop(instance_id, (None, None))
        if held_version != version:
            run = execute(_STATE, {"instance_id": instance_id}).fetchone()[0]
            workflow = state.load_workflow(run, spec, subprocess_specs)
        task = workflow.get_task_from_id(UUID(task_id))
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        execute(_CLOSE, {"at": _now(), "user_id": user_id, "task_id": task_id})
        execute(_AUDIT, {"at": _now(), "user_id": user_id, "instance_id": instance_id, "task_id": task_id,
                         "element_id": element_id, "detail": json.dumps({"title": title, "data": data})})
        for ready in workflow.get_tasks(state=TaskState.READY, manual=True):
            info = bpmn.describe_task(ready.task_spec)
            execute(_ADD_TASK, {"id": str(ready.id), "instance_id": instance_id,
                                "element_id": ready.task_spec.bpmn_id, "title": info.title,
                                "stage": info.stage, "form": json.dumps(info.form_schema), "at": _now()})
            execute(_ADD_GROUP, [{"task_id": str(ready.id), "group_name": g} for g in info.candidate_groups])
        visible = workflow.last_task.data if workflow.last_task else {}
        written = execute(_WRITE_RUN, {"state": state.dump_workflow(workflow),
                                       "data": json.dumps(visible, default=str), "at": _now(),
                                       "instance_id": instance_id, "version": version})
        if written.rowcount != 1:
            raise RuntimeError("the instance changed meanwhile")
        answer = {"id": task_id, "status": "completed", "title": title, "instance_id": instance_id,
                  "groups": sorted(task_groups), "form": json.loads(form)}
        return answer, instance_id, version + 1, workflow

    app.extensions["lean_transactions"] = transactions
    return app


def measure_lean_step(backend, db_path: str, instances: int, completions: int, warmup: int, *,
                      keep_runs: bool = False, through_sqlalchemy: bool = False) -> list[float]:
    """Seconds per POST of the hand-written completion, on `backend`'s database and token."""
    from engine import definitions
    from engine.models import ProcessDefinition

    with backend.app.extensions["session_factory"]() as session:
        definition = session.query(ProcessDefinition).filter_by(key="loop").one()
        spec, subprocess_specs = definitions.specs_for(definition)
    app = lean_app(db_path, spec, subprocess_specs, keep_runs=keep_runs, through_sqlalchemy=through_sqlalchemy)
    client, headers = app.test_client(), backend.api.headers
    latencies: list[float] = []
    try:
        for timed in (False, True):
            current = dict(backend.start() for _ in range(instances if timed else 1))
            for _ in range(completions if timed else warmup):
                for instance_id, task_id in current.items():
                    started = time.perf_counter()
                    response = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"done": False}},
                                           headers=headers)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise RuntimeError(f"lean completion gave {response.status_code}: "
                                           f"{response.get_data(as_text=True)}")
                    if timed:
                        latencies.append(elapsed)
                    current[instance_id] = backend.open_task(instance_id)
    finally:
        app.extensions["lean_transactions"].close()
    return latencies
