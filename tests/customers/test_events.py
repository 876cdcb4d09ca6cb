"""Behaviour events through POST /api/events: JSON lines, idempotent by sender id, bad lines named and skipped."""
from __future__ import annotations

import json

import pytest

from core import audit
from customers.models import BehaviourEvent
from tests.conftest import Api, make_token
from tests.customers.test_master_data import credit_code

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def website(app, client, users):
    """The website's token: it sends events (events.write) and sees every company."""
    return Api(client, make_token(app, "website", groups=("integrations",)))


def lines(*events) -> bytes:
    return "\n".join(json.dumps(e, ensure_ascii=False) for e in events).encode()


def send(api, body: bytes, expect=200):
    response = api.post("/api/events", data=body, headers=NDJSON)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_batch_sent_twice_is_stored_once(api, website, session):
    company = api["alice"].post("/api/companies", json={
        "name": "阿里巴巴", "credit_code": credit_code("91330100MA27" + "00001"), "erp_code": "C-88"}).get_json()
    contact = api["alice"].post("/api/contacts", json={"company_id": company["id"], "name": "张三",
                                                       "email": "Zhang.San@Example.cn"}).get_json()
    batch = lines(
        {"id": "e1", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00+08:00", "company_id": company["id"],
         "properties": {"page": "/pricing"}},
        {"id": "e2", "type": "trial_log", "occurred_at": "2026-11-01T09:00:00Z", "company": company["credit_code"]},
        {"id": "e3", "type": "campaign", "occurred_at": "2026-11-02T10:00:00+08:00", "company": "C-88"},
        {"id": "e4", "type": "web_visit", "occurred_at": "2026-11-03T10:00:00+08:00", "company": "阿里巴巴"},
        {"id": 5, "type": "email_open", "occurred_at": "2026-11-04T10:00:00+08:00",
         "contact_email": "zhang.san@example.cn"},
        {"id": "e1", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00+08:00", "company_id": company["id"]})
    assert send(website, batch) == {"accepted": 5, "duplicates": 1, "rejected": []}
    assert send(website, batch) == {"accepted": 0, "duplicates": 6, "rejected": []}
    listed = api["alice"].get(f"/api/companies/{company['id']}/events").get_json()["items"]
    assert [(e["event_id"], e["type"], e["source"]) for e in listed] == [
        ("5", "email_open", "website"), ("e4", "web_visit", "website"), ("e3", "campaign", "website"),
        ("e2", "trial_log", "website"), ("e1", "web_visit", "website")]
    assert listed[0]["contact_id"] == contact["id"] and listed[-1]["properties"] == {"page": "/pricing"}
    assert listed[-1]["occurred_at"].startswith("2026-11-01T00:00:00")
    batches = audit.list_entries(session, audit.AuditQuery(action="events.ingested"))
    assert [(e.detail["accepted"], e.detail["duplicates"]) for e in batches] == [(0, 6), (5, 1)]


def test_bad_lines_are_named_by_line_and_field_and_the_good_ones_stored(api, website, session):
    company = api["alice"].post("/api/companies", json={"name": "腾讯"}).get_json()["id"]
    good = {"id": "ok", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00+08:00", "company_id": company}
    body = b"\n".join([
        json.dumps(good).encode(),
        b"{not json",
        json.dumps({**good, "id": "t", "occurred_at": "yesterday"}).encode(),
        json.dumps({**good, "id": "f", "occurred_at": "2999-01-01T00:00:00Z"}).encode(),
        json.dumps({**good, "id": "c", "company_id": 999999}).encode(),
        json.dumps({**good, "id": "n", "company_id": None, "company": "没有这家"}).encode(),
        json.dumps({**good, "id": None}).encode(),
        json.dumps({**good, "id": "ty", "type": "x" * 41}).encode(),
        json.dumps({**good, "id": "p", "properties": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}).encode(),
        json.dumps({**good, "id": "s", "properties": {"blob": "x" * 9000}}).encode(),
        json.dumps({"id": "nobody", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00Z"}).encode(),
        json.dumps([1, 2]).encode(),
        b"",
        json.dumps({**good, "id": "nul", "properties": {"q": "\u0000"}}).encode(),
        json.dumps({**good, "id": "ok2"}).encode(),
    ])
    result = send(website, body)
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    assert [(r["line"], r["field"]) for r in result["rejected"]] == [
        (2, "line"), (3, "occurred_at"), (4, "occurred_at"), (5, "company_id"), (6, "company"), (7, "id"),
        (8, "type"), (9, "properties"), (10, "properties"), (11, "company_id"), (12, "line"), (14, "properties")]
    assert all(r["message"] for r in result["rejected"])
    stored = api["alice"].get(f"/api/companies/{company}/events").get_json()["items"]
    assert sorted(e["event_id"] for e in stored) == ["ok", "ok2"]


def test_a_body_that_is_not_json_lines_at_all_is_refused(website):
    refused = website.post("/api/events", data=b"name,type\nfoo,bar\n", headers=NDJSON)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "body"
    assert website.post("/api/events", data=b"", headers=NDJSON).status_code == 422
    assert website.post("/api/events", data=b"\xff\xfe{}", headers=NDJSON).status_code == 422


def test_an_oversized_batch_is_a_413_and_stores_nothing(api, website, session):
    company = api["alice"].post("/api/companies", json={"name": "大公司"}).get_json()["id"]
    event = {"type": "web_visit", "occurred_at": "2026-11-01T08:00:00Z", "company_id": company,
             "properties": {"pad": "x" * 4000}}
    big = lines(*({**event, "id": str(n)} for n in range(1400)))
    assert len(big) > 5 * 1024 * 1024
    response = website.post("/api/events", data=big, headers=NDJSON)
    assert response.status_code == 413
    many = lines(*({"id": str(n), "type": "t", "occurred_at": "2026-11-01T08:00:00Z", "company_id": company}
                   for n in range(10_001)))
    assert website.post("/api/events", data=many, headers=NDJSON).status_code == 413
    assert session.query(BehaviourEvent).count() == 0


def test_ten_thousand_lines_go_in_as_one_batch(api, website, session):
    company = api["alice"].post("/api/companies", json={"name": "快公司"}).get_json()["id"]
    batch = lines(*({"id": f"b{n}", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00Z",
                     "company_id": company} for n in range(10_000)))
    assert send(website, batch) == {"accepted": 10_000, "duplicates": 0, "rejected": []}
    summary = api["alice"].get(f"/api/companies/{company}/360").get_json()["behaviour"]
    assert (summary["total"], summary["by_type"]) == (10_000, {"web_visit": 10_000})


def test_sending_needs_events_write_and_a_company_in_sight(api, app, client):
    company = api["alice"].post("/api/companies", json={"name": "别人的公司"}).get_json()["id"]
    event = lines({"id": "x", "type": "web_visit", "occurred_at": "2026-11-01T08:00:00Z", "company_id": company})
    assert api["alice"].post("/api/events", data=event, headers=NDJSON).status_code == 403
    sender = Api(client, make_token(app, "narrow", groups=("sales",)))
    with app.extensions["session_factory"].begin() as s:
        from accounts.permissions import grant
        grant(s, "sales", "events.write", actor=None)
    result = send(sender, event)
    assert (result["accepted"], [r["field"] for r in result["rejected"]]) == (0, ["company_id"])
