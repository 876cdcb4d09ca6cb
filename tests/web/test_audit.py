"""The audit log: every write a row with actor, IP, object and change; a hash chain that
`flask audit verify` checks; GET /api/audit, its CSV export and the /audit page."""
from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core import audit, migrations
from core.db import make_engine
from core.audit import AuditEntry
from tests.conftest import Api, make_token
from tests.databases import create_postgres_database, drop_postgres_database
from tests.processes.conftest import fast_passwords, people, team  # noqa: F401
from tests.processes.funnel import complete, open_deal
from tests.web.test_pages import login, text

_entries = AuditEntry.__table__
CONTENT = ("at", "actor_id", "action", "ip", "object_type", "object_id", "instance_id", "task_id",
           "element_id", "detail", "changes")


def verify(app):
    """Run `flask audit verify` as an operator would; return (exit code, output)."""
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def some_writes(team) -> dict:
    """Write through the API as people do: a company renamed, a deal with its committee, a task done."""
    api = team["sales"]
    deal = open_deal(team, "华为")
    api.patch(f"/api/companies/{deal['company_id']}", json={"name": "华为技术", "city": "深圳"})
    contact = api.post("/api/contacts", json={"company_id": deal["company_id"], "name": "王总",
                                              "title": "CFO"}).get_json()
    member = api.post(f"/api/opportunities/{deal['id']}/committee", json={
        "contact_id": contact["id"], "role": "decision_maker", "influence": 0.9}).get_json()
    complete(team, deal["instance_id"], "qualify_lead", {"company": "华为技术", "contact": "王总",
                                                         "source": "referral"})
    return {"deal": deal, "contact": contact, "member": member}


def chained(session) -> list:
    return session.execute(select(_entries).where(_entries.c.chain_seq.is_not(None))
                           .order_by(_entries.c.chain_seq)).all()


def test_a_workflow_over_the_api_leaves_a_chain_that_verifies(team, app, session):
    some_writes(team)
    rows = chained(session)
    assert [r.chain_seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) > 10
    assert session.scalar(select(func.count()).where(_entries.c.chain_seq.is_(None))) == 0
    assert all(a.row_hash == b.prev_hash for a, b in zip(rows, rows[1:]))
    assert verify(app) == (0, f"audit log intact: {len(rows)} entries\n")
    assert audit.verify_chain(session).is_intact


def _edit(session, rows):
    session.execute(update(_entries).where(_entries.c.id == rows[2].id).values(detail={"forged": True}))
    return 3, "altered"


def _delete(session, rows):
    session.execute(delete(_entries).where(_entries.c.id == rows[2].id))
    return 4, "(seq 3) were removed"


def _swap(session, rows):
    first, second = rows[1], rows[2]
    for row, other in ((first, second), (second, first)):
        session.execute(update(_entries).where(_entries.c.id == row.id)
                        .values({name: getattr(other, name) for name in CONTENT}))
    return 2, "its content is that of entry seq 3: the two were swapped"


def _reorder(session, rows):
    first, second = rows[1], rows[2]
    session.execute(update(_entries).where(_entries.c.id == first.id).values(chain_seq=-1))
    session.execute(update(_entries).where(_entries.c.id == second.id).values(chain_seq=first.chain_seq))
    session.execute(update(_entries).where(_entries.c.id == first.id).values(chain_seq=second.chain_seq))
    return 2, "reordered"


def _delete_last(session, rows):
    session.execute(delete(_entries).where(_entries.c.id == rows[-1].id))
    return len(rows), "the last 1 entries were removed"


def _insert_around(session, rows):
    session.connection().execute(_entries.insert().values(at=rows[0].at, action="user.created", detail={}))
    return None, "not in the chain"


@pytest.mark.parametrize("tamper", [_edit, _delete, _swap, _reorder, _delete_last, _insert_around],
                         ids=["edited", "deleted", "swapped", "reordered", "last-deleted", "inserted"])
def test_verify_names_the_first_entry_tampered_with(team, app, session, tamper):
    some_writes(team)
    assert verify(app)[0] == 0
    rows = chained(session)
    seq, words = tamper(session, rows)
    session.commit()
    result = audit.verify_chain(session)
    assert not result.is_intact and words in result.problem
    assert result.seq == seq
    code, output = verify(app)
    assert code == 1 and words in output and "audit log broken at entry" in output
    if seq is not None:
        assert f"seq {seq}" in output


def test_crm_writes_leave_their_change_before_and_after(team, session):
    written = some_writes(team)
    deal, contact, member = written["deal"], written["contact"], written["member"]
    team["sales"].delete(f"/api/opportunities/{deal['id']}/committee/{member['id']}")

    def changes(object_type, object_id):
        return [(e.action, e.changes, e.actor.name) for e in audit.list_entries(
            session, audit.AuditQuery(object_type=object_type, object_id=str(object_id)))][::-1]

    assert changes("company", deal["company_id"]) == [
        ("company.created", {"name": [None, "华为"]}, "sales-user"),
        ("company.renamed", {"name": ["华为", "华为技术"], "city": [None, "深圳"]}, "sales-user")]
    assert changes("contact", contact["id"]) == [
        ("contact.created", {"company_id": [None, deal["company_id"]], "name": [None, "王总"],
                             "title": [None, "CFO"]}, "sales-user")]
    fields = {"contact_id": contact["id"], "role": "decision_maker", "influence": 0.9, "attitude": "neutral",
              "note": None}
    assert changes("committee_member", member["id"]) == [
        ("committee_member.added", {k: [None, v] for k, v in fields.items()}, "sales-user"),
        ("committee_member.removed", {k: [v, None] for k, v in fields.items()}, "sales-user")]
    unchanged = team["sales"].patch(f"/api/companies/{deal['company_id']}", json={"name": "华为技术"})
    assert unchanged.status_code == 200
    assert len(changes("company", deal["company_id"])) == 2, "a patch that changes nothing is no change"


def test_api_writes_carry_the_callers_ip(team, session):
    team["sales"].post("/api/companies", json={"name": "Acme"}, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    entry = audit.list_entries(session, audit.AuditQuery(action="company.created"))[0]
    assert (entry.ip, entry.actor.name, entry.object_type) == ("198.51.100.4", "sales-user", "company")


def test_the_audit_api_filters_pages_and_needs_audit_read(team):
    some_writes(team)
    director, sales = team["director"], team["sales"]
    denied = sales.get("/api/audit")
    assert denied.status_code == 403 and "audit.read" in denied.get_json()["errors"][0]["message"]
    assert sales.get("/api/audit/export").status_code == 403
    everything = director.get("/api/audit?limit=500").get_json()
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    renamed = director.get("/api/audit?action=company.renamed&actor=sales-user").get_json()
    assert [(e["object_type"], e["changes"]["name"]) for e in renamed] == [("company", ["华为", "华为技术"])]
    by_object = director.get(f"/api/audit?object_type=company&object_id={renamed[0]['object_id']}").get_json()
    assert [e["action"] for e in by_object] == ["company.renamed", "company.created"]
    # The suite's tokens are made by the system (no actor), each a token.created about a token.
    assert director.get("/api/audit?actor=legal-user").get_json() == []
    made = director.get("/api/audit?object_type=token&action=token.created&limit=500").get_json()
    assert any(e["detail"]["user"] == "legal-user" for e in made)
    assert director.get("/api/audit?actor=nobody").get_json() == []
    page = director.get("/api/audit?limit=3").get_json()
    following = director.get(f"/api/audit?limit=3&before_id={page[-1]['id']}").get_json()
    assert [e["id"] for e in page + following] == [e["id"] for e in everything[:6]]
    at = everything[2]["at"]
    since = director.get("/api/audit", query_string={"since": at, "limit": 500}).get_json()
    until = director.get("/api/audit", query_string={"until": at, "limit": 500}).get_json()
    assert len(since) + len(until) == len(everything) and {e["at"] for e in since} >= {at}
    instance = director.get(f"/api/audit?instance_id={some_instance(everything)}").get_json()
    assert instance and all(e["instance_id"] == some_instance(everything) for e in instance)


def some_instance(entries):
    return next(e["instance_id"] for e in entries if e["instance_id"])


@pytest.mark.parametrize("query, field", [("limit=501", "limit"), ("object_type=planet", "object_type"),
                                           ("since=yesterday", "since"), ("colour=red", "colour"),
                                           (f"before_id={2**70}", "before_id")])
def test_bad_audit_filters_are_refused_naming_the_field(team, query, field):
    response = team["director"].get(f"/api/audit?{query}")
    assert response.status_code == 422
    assert field in str(response.get_json())


def test_the_export_is_csv_safe_to_open_in_a_spreadsheet(app, client, team):
    team["sales"].post("/api/companies", json={"name": "=HYPERLINK(\"http://evil\")"})
    Api(client, make_token(app, "=cmd|' /C calc'!A0")).post("/api/companies", json={"name": "@SUM(A1)"})
    response = team["director"].get("/api/audit/export?format=csv&object_type=company")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["company.created", "company.created"]
    assert [r["actor"] for r in rows] == ["sales-user", "'=cmd|' /C calc'!A0"]
    assert '"=HYPERLINK' in rows[0]["changes"]
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert team["director"].get("/api/audit/export?format=xlsx").status_code == 422


def test_the_cli_exports_the_log(team, app, tmp_path):
    some_writes(team)
    target = tmp_path / "audit.csv"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "csv", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows and {"company.created", "company.renamed", "task.completed"} <= {r["action"] for r in rows}


def test_logins_carry_the_ip(app, users, session):
    browser = app.test_client()
    assert login(browser, "alice", "wrong-password").status_code == 200
    login(browser, "nobody", "whatever")
    browser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert login(browser, "alice", "alice-pass-1").status_code == 302
    entries = audit.list_entries(session, audit.AuditQuery(object_type="user", limit=10))
    seen = [(e.action, e.ip, e.detail.get("user")) for e in entries if e.action.startswith("user.log")]
    assert seen == [("user.logged_in", "203.0.113.9", "alice"), ("user.login_failed", "127.0.0.1", "nobody"),
                    ("user.login_failed", "127.0.0.1", "alice")]


def test_the_audit_page_is_for_those_who_may_read_the_log(app, team):
    director, sales = app.test_client(), app.test_client()
    assert login(director, "director-user", "director-user-password").status_code == 302
    assert login(sales, "sales-user", "sales-user-password").status_code == 302
    team["sales"].patch(f"/api/companies/{open_deal(team, 'Acme')['company_id']}", json={"name": "Acme 中国"})
    page = text(director.get("/audit?object_type=company"))
    assert "审计日志" in page and "公司已改名" in page and "Acme → Acme 中国" in page
    assert 'href="/audit"' in page
    assert 'href="/audit"' not in text(sales.get("/contracts"))
    assert sales.get("/audit").status_code == 403


def test_concurrent_writers_chain_without_gaps(live_app):
    factory = live_app.extensions["session_factory"]
    problems = []

    def writer(number):
        try:
            for i in range(25):
                with factory.begin() as session:
                    for step in range(3):
                        audit.record(session, "instance.variables_set", object_type="instance",
                                     object_id=f"{number}-{i}", detail={"step": step})
        except Exception as exc:  # noqa: BLE001  reported below, with the thread's number
            problems.append((number, repr(exc)))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    with factory() as session:
        result = audit.verify_chain(session)
        seqs = list(session.scalars(select(_entries.c.chain_seq).order_by(_entries.c.chain_seq)))
    assert (result.is_intact, result.entries) == (True, 300), str(result)
    assert seqs == list(range(1, 301))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_upgraded_database_chains_its_old_entries(tmp_path, backend):
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else create_postgres_database()
    try:
        migrations.upgrade(url, "0010")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO audit_entries (at, action, detail) VALUES "
                                 "('2026-11-30 10:00:00.123456', 'user.created', '{\"user\": \"mei\"}'), "
                                 "('2026-11-30 10:00:01', 'token.created', '{}')")
        migrations.upgrade(url)
        with Session(engine) as session:
            result = audit.verify_chain(session)
            seqs = list(session.scalars(select(_entries.c.chain_seq).order_by(_entries.c.id)))
        engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
    assert (result.is_intact, result.entries, seqs) == (True, 2, [1, 2]), str(result)


def test_rows_of_a_rolled_back_savepoint_or_gone_before_commit_leave_no_gap(session):
    audit.record(session, "company.created", object_id=1)
    nested = session.begin_nested()
    audit.record(session, "company.created", object_id=2)
    nested.rollback()
    audit.record(session, "company.created", object_id=3)
    gone = session.execute(select(func.max(_entries.c.id))).scalar()
    audit.record(session, "company.created", object_id=4)
    session.execute(delete(_entries).where(_entries.c.id == gone))  # as an ON DELETE CASCADE would
    session.commit()
    assert [(r.chain_seq, r.object_id) for r in chained(session)] == [(1, "1"), (2, "4")]
    result = audit.verify_chain(session)
    assert (result.is_intact, result.entries) == (True, 2), str(result)
