"""Timers as a sales team relies on them: on time, exactly once, after downtime, with retries."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from engine import timers
from tests.conftest import FIXTURES, Api, deploy, make_token, wait_for


@pytest.fixture
def admin(live_app):
    return Api(live_app.test_client(), make_token(live_app, "admin", ("sales", "managers"), "admin"))


def instance(api, instance_id):
    return api.get(f"/api/process-instances/{instance_id}").get_json()


def open_task_names(api, instance_id):
    return sorted(t["name"] for t in instance(api, instance_id)["tasks"] if t["status"] == "open")


def test_an_intermediate_timer_waits_shows_its_due_time_and_fires(admin, start_scheduler):
    deploy(admin, FIXTURES / "timer_wait.bpmn")
    start_scheduler()
    before = datetime.now(timezone.utc)
    started = admin.post("/api/process-instances",
                         json={"process_key": "timer_wait", "data": {"wait": "PT1S"}}).get_json()
    assert started["status"] == "waiting"
    [timer] = started["timers"]
    due = datetime.fromisoformat(timer["due_at"])
    assert timer["element_id"] == "wait" and before + timedelta(seconds=1) <= due < before + timedelta(seconds=3)
    wait_for(lambda: open_task_names(admin, started["id"]) == ["after"])
    shown = instance(admin, started["id"])
    assert shown["status"] == "running" and shown["timers"] == []
    assert [h["action"] for h in shown["history"]].count("timer.fired") == 1


def test_timers_that_fell_due_while_everything_was_down_fire_on_start(admin, start_scheduler):
    deploy(admin, FIXTURES / "timer_wait.bpmn")
    ids = [admin.post("/api/process-instances",
                      json={"process_key": "timer_wait", "data": {"wait": "PT0.2S"}}).get_json()["id"]
           for _ in range(3)]
    time.sleep(0.5)
    assert all(instance(admin, i)["status"] == "waiting" for i in ids)
    start_scheduler()
    for i in ids:
        wait_for(lambda: open_task_names(admin, i) == ["after"])


def test_a_timer_date_from_the_instance_data(admin, start_scheduler):
    deploy(admin, FIXTURES / "timer_only.bpmn")
    start_scheduler()
    # Far enough ahead that a loaded machine cannot fire it before the start's answer lists it.
    due = (datetime.now(timezone.utc) + timedelta(seconds=5)).isoformat()
    started = admin.post("/api/process-instances",
                         json={"process_key": "timer_only", "data": {"due": due}}).get_json()
    assert datetime.fromisoformat(started["timers"][0]["due_at"]) == datetime.fromisoformat(due)
    wait_for(lambda: instance(admin, started["id"])["status"] == "completed")


def test_a_non_interrupting_timer_adds_a_task_and_an_interrupting_one_replaces_the_work(
        admin, start_scheduler):
    deploy(admin, FIXTURES / "boundary.bpmn")
    start_scheduler()
    started = admin.post("/api/process-instances", json={"process_key": "boundary", "data": {
        "remind_after": "PT0.5S", "escalate_after": "PT2S"}}).get_json()
    assert [t["element_id"] for t in started["timers"]] == ["remind", "escalate"]
    wait_for(lambda: open_task_names(admin, started["id"]) == ["follow_up", "work"])
    wait_for(lambda: open_task_names(admin, started["id"]) == ["follow_up", "manager"])
    tasks = {t["name"]: t["status"] for t in instance(admin, started["id"])["tasks"]}
    assert tasks["work"] == "cancelled"


def test_completing_the_work_in_time_cancels_its_timers(admin, start_scheduler):
    deploy(admin, FIXTURES / "boundary.bpmn")
    started = admin.post("/api/process-instances", json={"process_key": "boundary", "data": {
        "remind_after": "PT1H", "escalate_after": "PT2H"}}).get_json()
    [work] = [t for t in started["tasks"] if t["name"] == "work"]
    done = admin.post(f"/api/tasks/{work['id']}/complete", json={"data": {}})
    assert done.status_code == 200
    shown = instance(admin, started["id"])
    assert (shown["status"], shown["timers"]) == ("completed", [])


def test_a_cycle_start_event_starts_a_process_on_schedule(admin, start_scheduler):
    deploy(admin, FIXTURES / "cycle_start.bpmn")
    start_scheduler()

    def review_tasks():
        tasks = admin.get("/api/tasks").get_json()
        return len(tasks) == 3 and tasks

    tasks = wait_for(review_tasks, timeout=30)
    assert {t["name"] for t in tasks} == {"review"}
    assert len({t["instance_id"] for t in tasks}) == 3
    time.sleep(1.5)
    assert len(admin.get("/api/tasks").get_json()) == 3, "R3 means three times, no more"


def test_a_failing_timer_is_retried_then_errors_and_an_admin_retries_it(admin, start_scheduler,
                                                                         monkeypatch):
    monkeypatch.setattr(timers, "BACKOFF_SECONDS", 0.05)
    deploy(admin, FIXTURES / "failing_timer.bpmn")
    start_scheduler()
    started = admin.post("/api/process-instances", json={"process_key": "failing_timer",
                                                         "data": {"total": 10, "count": 0}}).get_json()
    shown = wait_for(lambda: (s := instance(admin, started["id"]))["status"] == "error" and s)
    assert "divide" in shown["error"]["message"].lower() or "zero" in shown["error"]["message"].lower()
    [timer] = shown["timers"]
    assert (timer["status"], timer["attempts"]) == ("failed", timers.MAX_ATTEMPTS)
    assert [h["action"] for h in shown["history"]].count("timer.fired") == 0
    member = Api(admin.client, make_token(admin.client.application, "mia"))
    assert member.post(f"/api/process-instances/{started['id']}/retry").status_code == 403
    # Nothing changed in the data, so the retry runs the step at once and fails again, visibly.
    retried = admin.post(f"/api/process-instances/{started['id']}/retry")
    assert retried.status_code == 200
    body = retried.get_json()
    assert body["status"] == "error" and "zero" in body["error"]["message"].lower()
    assert [h["action"] for h in body["history"]][-2:] == ["instance.retried", "instance.error"]
    assert admin.post(f"/api/process-instances/{started['id']}/retry").status_code == 200
