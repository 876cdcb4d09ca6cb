"""An engine step writes its rows with plain statements; the session's objects must agree."""
from __future__ import annotations

from sqlalchemy import text

from engine import instances, tasks
from accounts import get_user
from tests.conftest import FIXTURES, deploy


def test_after_a_step_the_sessions_objects_agree_with_the_database_and_stay_writable(
        api, session_factory):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    started = api["alice"].post("/api/process-instances", json={"process_key": "loop"}).get_json()
    with session_factory() as session:
        alice = get_user(session, "alice")
        instance = instances.get_instance(session, started["id"])  # held before the step
        first = next(t for t in instance.tasks if t.status == "open")
        version_before = instance.lock_version

        done = tasks.complete_task(session, first.id, {"done": False}, actor=alice)

        assert (done.status, done.completed_by_id, first.status) == ("completed", alice.id, "completed")
        assert instance.lock_version == version_before + 1
        stored = session.execute(text("SELECT lock_version, status FROM process_instances WHERE id = :id"),
                                 {"id": instance.id}).one()
        assert tuple(stored) == (instance.lock_version, instance.status) == (version_before + 1, "running")
        assert [t.status for t in instance.tasks] == ["completed", "open"]
        # A later change through the ORM is checked against the version the step wrote.
        instance.business_key = "ERP-7"
        session.commit()
    with session_factory() as session:
        reloaded = instances.get_instance(session, started["id"])
        assert (reloaded.business_key, reloaded.lock_version) == ("ERP-7", version_before + 2)


def test_a_step_sees_what_another_session_wrote_to_an_instance_it_already_holds(api, session_factory):
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    started = api["alice"].post("/api/process-instances", json={"process_key": "loop"}).get_json()
    with session_factory() as session:
        held = instances.get_instance(session, started["id"])
        assert held.business_key is None
        session.commit()  # ends the read; the object stays in the session
        task_id = next(t.id for t in held.tasks if t.status == "open")
        assert api["alice"].post(f"/api/tasks/{task_id}/complete",
                                 json={"data": {"done": False}}).status_code == 200
        locked = instances.lock_instance(session, started["id"])
        assert locked is held
        assert held.lock_version == started_version(session, started["id"])
        assert [t.status for t in held.tasks] == ["completed", "open"]


def started_version(session, instance_id):
    return session.execute(text("SELECT lock_version FROM process_instances WHERE id = :id"),
                           {"id": instance_id}).scalar_one()


def test_a_step_finds_its_instances_open_tasks_by_index_however_long_the_instance_has_lived(
        api, connection):
    # The lookup every step makes: with an index on instance_id alone it reads every task
    # the instance ever had, and a step costs more the longer the instance lives.
    deploy(api["admin"], FIXTURES / "loop.bpmn")
    started = api["alice"].post("/api/process-instances", json={"process_key": "loop"}).get_json()
    for _ in range(3):
        [task] = api["alice"].get(f"/api/tasks?instance_id={started['id']}").get_json()
        assert api["alice"].post(f"/api/tasks/{task['id']}/complete",
                                 json={"data": {"done": False}}).status_code == 200
    query = tasks._OPEN_OF_INSTANCE.params(instance_id=started["id"]).compile(
        connection, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "sqlite":
        plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
        assert "(instance_id=? AND status=?)" in plan
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a test table is tiny
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {query}").scalar()[0]["Plan"]
        condition = plan.get("Index Cond", "")
        assert "instance_id" in condition and "status" in condition, plan
    rows = connection.execute(tasks._OPEN_OF_INSTANCE, {"instance_id": started["id"]}).all()
    assert len(rows) == 1
