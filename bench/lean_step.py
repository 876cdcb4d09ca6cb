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
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import datetime, timezone
from uuid import UUID

from flask import Flask, jsonify, request
from jsonschema import Draft202012Validator
from SpiffWorkflow.util.task import TaskState

_AUTH = ("SELECT u.id, u.is_active, g.name FROM api_tokens t JOIN users u ON t.user_id = u.id"
         " LEFT JOIN user_groups ug ON ug.user_id = u.id LEFT JOIN groups g ON g.id = ug.group_id"
         " WHERE t.token_hash = ?")
_INSTANCE = ("SELECT id, lock_version FROM process_instances"
             " WHERE id = (SELECT instance_id FROM tasks WHERE id = ?)")
_STATE = "SELECT state FROM process_instances WHERE id = ?"
_TASK = ("SELECT t.status, t.form, t.element_id, t.title, g.group_name FROM tasks t"
         " LEFT JOIN task_groups g ON g.task_id = t.id WHERE t.id = ?")
_CLOSE = "UPDATE tasks SET status = 'completed', completed_at = ?, completed_by_id = ? WHERE id = ?"
_AUDIT = ("INSERT INTO audit_entries (at, actor_id, action, instance_id, task_id, element_id, detail)"
          " VALUES (?, ?, 'task.completed', ?, ?, ?, ?)")
_ADD_TASK = ("INSERT INTO tasks (id, instance_id, element_id, title, stage, priority, form, status,"
             " created_at) VALUES (?, ?, ?, ?, ?, 50, ?, 'open', ?)")
_ADD_GROUP = "INSERT INTO task_groups (task_id, group_name) VALUES (?, ?)"
_WRITE_RUN = ("UPDATE process_instances SET state = ?, data = ?, updated_at = ?,"
              " lock_version = lock_version + 1 WHERE id = ? AND lock_version = ?")


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def lean_app(db_path: str, spec, subprocess_specs, *, keep_runs: bool = False) -> Flask:
    """A Flask app with only the hand-written completion route, on the app's SQLite file.

    With `keep_runs` the restored workflow stays in memory after each commit, keyed by
    the instance and its lock version, and the next step of that instance skips reading
    and restoring the saved run (figure 2d): the best that keeping runs hot could give.
    """
    from engine import bpmn, state

    connection = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    for pragma in ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
        connection.execute(pragma)
    validators: dict[str, Draft202012Validator] = {}
    kept: dict[int, tuple[int, object]] = {}  # instance id -> (lock version, workflow)
    app = Flask("lean")

    @app.post("/api/tasks/<task_id>/complete")
    def complete(task_id):
        data = request.get_json()["data"]
        token = request.headers["Authorization"].partition(" ")[2]
        connection.execute("BEGIN IMMEDIATE")
        try:
            holder = connection.execute(_AUTH, (hashlib.sha256(token.encode()).hexdigest(),)).fetchall()
            if not holder or not holder[0][1]:
                return {"message": "unknown token"}, 401
            user_id, groups = holder[0][0], {row[2] for row in holder}
            instance_id, version = connection.execute(_INSTANCE, (task_id,)).fetchone()
            task_rows = connection.execute(_TASK, (task_id,)).fetchall()
            status, form, element_id, title = task_rows[0][:4]
            task_groups = {row[4] for row in task_rows if row[4]}
            if status != "open" or (task_groups and not task_groups & groups):
                return {"message": "not yours or not open"}, 409
            validator = validators.get(form) or validators.setdefault(
                form, Draft202012Validator(json.loads(form)))
            problems = [error.message for error in validator.iter_errors(data)]
            if problems:
                return {"problems": problems}, 422
            held_version, workflow = kept.pop(instance_id, (None, None))
            if held_version != version:
                run = connection.execute(_STATE, (instance_id,)).fetchone()[0]
                workflow = state.load_workflow(run, spec, subprocess_specs)
            task = workflow.get_task_from_id(UUID(task_id))
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            connection.execute(_CLOSE, (_now(), user_id, task_id))
            connection.execute(_AUDIT, (_now(), user_id, instance_id, task_id, element_id,
                                        json.dumps({"title": title, "data": data})))
            for ready in workflow.get_tasks(state=TaskState.READY, manual=True):
                info = bpmn.describe_task(ready.task_spec)
                connection.execute(_ADD_TASK, (str(ready.id), instance_id, ready.task_spec.bpmn_id, info.title,
                                               info.stage, json.dumps(info.form_schema), _now()))
                connection.executemany(_ADD_GROUP, [(str(ready.id), g) for g in info.candidate_groups])
            visible = workflow.last_task.data if workflow.last_task else {}
            written = connection.execute(_WRITE_RUN, (state.dump_workflow(workflow),
                                                      json.dumps(visible, default=str), _now(),
                                                      instance_id, version))
            if written.rowcount != 1:
                raise RuntimeError("the instance changed meanwhile")
            connection.execute("COMMIT")
            if keep_runs:
                kept[instance_id] = (version + 1, workflow)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return jsonify({"id": task_id, "status": "completed", "title": title, "instance_id": instance_id,
                        "groups": sorted(task_groups), "form": json.loads(form)})

    app.extensions["lean_connection"] = connection
    return app


def measure_lean_step(backend, db_path: str, instances: int, completions: int, warmup: int, *,
                      keep_runs: bool = False) -> list[float]:
    """Seconds per POST of the hand-written completion, on `backend`'s database and token."""
    from engine import definitions
    from engine.models import ProcessDefinition

    with backend.app.extensions["session_factory"]() as session:
        definition = session.query(ProcessDefinition).filter_by(key="loop").one()
        spec, subprocess_specs = definitions.specs_for(definition)
    app = lean_app(db_path, spec, subprocess_specs, keep_runs=keep_runs)
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
        app.extensions["lean_connection"].close()
    return latencies
