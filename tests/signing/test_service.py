"""The service on both databases: draft, seal, sign, complete; events, revisions, rules."""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import pytest

import accounts
from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput
from signing import archive, customer, service

from .conftest import pdf_text, reader, sample_contract


@pytest.fixture
def people(session):
    """alice (sales), carol (legal) and an admin; no password hashing, the service needs none."""
    made = {name: User(name=name, password_hash="!", role=role,
                       groups=[accounts.ensure_group(session, group) for group in groups])
            for name, role, groups in (("alice", "member", ["sales"]), ("carol", "member", ["legal"]),
                                       ("root", "admin", []))}
    session.add_all(made.values())
    session.flush()
    return made


def short_contract(**changes) -> dict:
    """One page and the certificate page: quick to render."""
    return sample_contract(clauses=[{"title": "标的 Subject", "text": "软件许可。Software licence."}],
                           **changes)


def test_a_contract_goes_from_draft_to_completed(session, people, data_dir):
    alice, carol = people["alice"], people["carol"]
    contract = service.draft_contract(session, sample_contract(), alice, ip="198.51.100.4")
    assert (contract.status, [r.kind for r in contract.revisions]) == ("rendered", ["rendered"])
    service.seal_contract(session, contract.id, carol, "198.51.100.9")
    assert [s["level"] for s in contract.signatures] == ["B-T"]
    customer.sign_as_customer(session, contract.id, "张三", "zhang.san@example.cn", "203.0.113.7")
    _, revision, pdf = service.contract_pdf(session, contract.id, alice, "198.51.100.4")
    session.expire_all()
    contract = service.get_contract(session, contract.id)
    assert contract.status == "completed" and contract.sha256 == revision.sha256
    assert [(s["role"], s["level"]) for s in contract.signatures] == [
        ("company", "B-LTA"), ("customer", "B-LTA"), ("completion", "B-LTA")]
    events = [(e.action, e.actor_name, e.ip) for e in contract.events]
    assert events == [("drafted", "alice", "198.51.100.4"), ("rendered", "alice", "198.51.100.4"),
                      ("sealed", "carol", "198.51.100.9"),
                      ("signed", "张三 <zhang.san@example.cn>", "203.0.113.7"),
                      ("completed", "Dealflow", None), ("viewed", "alice", "198.51.100.4")]
    # The signer has no account: the event names them, and no staff member.
    assert contract.events[3].actor_id is None and contract.events[3].detail["subject"] == "张三"
    _check_revisions(contract, pdf, data_dir)
    assert service.verify_contract(session, contract.id)["trusted"] is True


def _check_revisions(contract, final: bytes, data_dir) -> None:
    assert [r.kind for r in contract.revisions] == ["rendered", "sealed", "signed", "completed"]
    stored = [archive.read(data_dir / "contracts", r.sha256) for r in contract.revisions]
    assert stored[-1] == final
    for earlier, later in zip(stored, stored[1:]):
        assert later.startswith(earlier)  # incremental updates: nothing signed is rewritten
    certificate = re.sub(r"\s+", "", pdf_text(final, _page_count(final)))
    for revision in contract.revisions[:3]:
        assert revision.sha256 in certificate
    assert "张三" in certificate and "signed" in certificate


def _page_count(pdf: bytes) -> int:
    return len(reader(pdf).root["/Pages"]["/Kids"])


def test_only_admins_and_legal_may_seal(session, people, data_dir):
    alice = people["alice"]
    contract = service.draft_contract(session, short_contract(), alice)
    with pytest.raises(Forbidden):
        service.seal_contract(session, contract.id, alice, None)
    service.seal_contract(session, contract.id, people["root"], None)


def test_steps_out_of_order_are_conflicts(session, people, data_dir):
    alice, carol = people["alice"], people["carol"]
    contract = service.draft_contract(session, short_contract(), alice)
    with pytest.raises(Conflict, match="only a sealed contract"):
        customer.sign_as_customer(session, contract.id, "张三", "z@example.cn")
    service.seal_contract(session, contract.id, carol, None)
    with pytest.raises(Conflict, match="is sealed"):
        service.seal_contract(session, contract.id, carol, None)


@pytest.mark.parametrize("changes, fields", [
    ({"clauses": []}, {"clauses"}),
    ({"amount": "-1"}, {"amount"}),
    ({"amount": "lots"}, {"amount"}),
    ({"customer": " ", "title": ""}, {"customer", "title"}),
    ({"instance_id": 999_999}, {"instance_id"}),
])
def test_a_draft_breaking_a_rule_names_each_field(session, data_dir, changes, fields):
    with pytest.raises(InvalidInput) as raised:
        service.draft_contract(session, sample_contract(**changes), None)
    assert {p["field"] for p in raised.value.problems} == fields


def test_contract_numbers_are_unique(session, data_dir):
    service.draft_contract(session, short_contract(number="HT-2026-001"), None)
    with pytest.raises(InvalidInput, match="incomplete") as raised:
        service.draft_contract(session, short_contract(number="HT-2026-001"), None)
    assert raised.value.problems[0]["field"] == "number"


def test_contracts_are_listed_by_customer_status_and_date(session, data_dir):
    first = service.draft_contract(session, short_contract(), None)
    second = service.draft_contract(session, short_contract(customer="Acme Trading GmbH"), None)
    service.seal_contract(session, second.id, None, None)
    ids = lambda **query: [c.id for c in service.list_contracts(session, **query)]  # noqa: E731
    assert ids() == [second.id, first.id]
    assert ids(customer="星河") == [first.id] and ids(customer="acme") == [second.id]
    assert ids(customer="100%_") == []
    assert ids(status="sealed") == [second.id]
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    assert ids(created_from=tomorrow) == [] and set(ids(created_to=tomorrow)) == {first.id, second.id}


def test_a_file_changed_in_the_archive_fails_verification(session, data_dir):
    contract = service.draft_contract(session, short_contract(), None)
    service.seal_contract(session, contract.id, None, None)
    path = archive.path_for(data_dir / "contracts", contract.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[1500] ^= 0x01
    path.write_bytes(bytes(data))
    report = service.verify_contract(session, contract.id)
    assert (report["intact"], report["trusted"]) == (False, False)
    assert "no longer matches its SHA-256" in report["problems"][0]
    assert (report["id"], report["revision"]) == (contract.id, 2)
