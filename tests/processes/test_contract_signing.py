"""合同签署 end to end: the contract is drafted from the deal, sealed, signed by the customer's
signer through their link, and the stage gate opens only when both signatures verify.
Staff cannot sign for the customer (finding 3) and a stray draft cannot block the deal's (finding 4)."""
from __future__ import annotations

import pytest

from tests.conftest import Api, make_token
from tests.processes.funnel import (GOOD_DATA, complete, drive_funnel, gate_messages, open_deal,
                                    open_tasks, show)
from tests.signing.signer import open_page, send_link, sign

SIGNED_BY_BOTH = "合同已由双方签署 The contract is signed by both parties"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    return tmp_path


def at_signing(team) -> int:
    instance_id = open_deal(team)["instance_id"]
    drive_funnel(team, instance_id, until="sign_contract")
    return instance_id


def test_the_gate_opens_only_when_both_signatures_verify(team, app, data_dir):
    instance_id = at_signing(team)
    body = complete(team, instance_id, "sign_contract", GOOD_DATA["sign_contract"], expect=422)
    assert gate_messages(body) == {SIGNED_BY_BOTH}
    forged = complete(team, instance_id, "sign_contract",
                      {**GOOD_DATA["sign_contract"], "contract_signed_by_both": True}, expect=422)
    assert {"field": "contract_signed_by_both", "message": "not a field of this form"} in forged["errors"]

    assert team["sales"].post(f"/api/process-instances/{instance_id}/contract").status_code == 403
    drafted = team["legal"].post(f"/api/process-instances/{instance_id}/contract")
    assert drafted.status_code == 201, drafted.get_json()
    contract = drafted.get_json()
    assert (contract["status"], contract["customer"], contract["instance_id"]) == ("sealed", "华为", instance_id)
    assert show(team["admin"], instance_id)["data"]["contract_id"] == contract["id"]
    body = complete(team, instance_id, "sign_contract", GOOD_DATA["sign_contract"], expect=422)
    assert gate_messages(body) == {SIGNED_BY_BOTH}, "sealed by the company alone is not enough"

    url = send_link(team["sales"], contract["id"], name="李伟", email="li.wei@huawei.example")["url"]
    assert "合同已签署" in sign(app.test_client(), url, "李伟").get_data(as_text=True)
    report = team["sales"].get(f"/api/contracts/{contract['id']}/verify").get_json()
    assert report["intact"] and report["trusted"] and not report["modified_after_signing"]
    assert {s["role"] for s in report["signatures"]} >= {"company", "customer"}
    assert show(team["admin"], instance_id)["data"]["contract_signed_by_both"] is True
    again = team["legal"].post(f"/api/process-instances/{instance_id}/contract")
    assert again.status_code == 409 and "signed contract already" in again.get_json()["errors"][0]["message"]

    complete(team, instance_id, "sign_contract", GOOD_DATA["sign_contract"])
    assert list(open_tasks(team["admin"], instance_id)) == ["deliver"]
    assert show(team["admin"], instance_id)["stage"] == "交付实施"


@pytest.mark.parametrize("role, status", [("legal", 422), ("sales", 403), ("admin", 422)])
def test_staff_cannot_sign_for_the_customer(team, data_dir, role, status):
    """Finding 3: a name and an e-mail typed by staff sign nothing; the gate stays closed."""
    instance_id = at_signing(team)
    contract = team["legal"].post(f"/api/process-instances/{instance_id}/contract").get_json()
    answer = team[role].post(f"/api/contracts/{contract['id']}/sign",
                             json={"name": "The Customer CEO", "email": "ceo@customer.example"})
    assert answer.status_code == status, answer.get_json()
    if status == 422:
        assert "signing link" in answer.get_json()["errors"][0]["message"]
    shown = team["admin"].get(f"/api/contracts/{contract['id']}").get_json()
    assert shown["status"] == "sealed" and "signed" not in [e["action"] for e in shown["events"]]
    assert not show(team["admin"], instance_id)["data"].get("contract_signed_by_both")
    body = complete(team, instance_id, "sign_contract", GOOD_DATA["sign_contract"], expect=422)
    assert gate_messages(body) == {SIGNED_BY_BOTH}


def test_a_stray_draft_cannot_block_the_deals_own(team, app, client, data_dir):
    """Finding 4: drafts naming the deal are refused; legal drafts the deal's contract from the deal."""
    instance_id = at_signing(team)
    plain = Api(client, make_token(app, "plain", groups=()))
    stray = {"customer": "华为", "title": "x", "amount": "1.00", "instance_id": instance_id,
             "clauses": [{"title": "mine", "text": "my own terms"}]}
    assert plain.post("/api/contracts", json=stray).status_code == 403
    assert plain.post(f"/api/process-instances/{instance_id}/contract").status_code == 403
    refused = team["legal"].post("/api/contracts", json=stray)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "instance_id"
    assert "from the deal" in refused.get_json()["errors"][0]["message"]
    assert team["admin"].get(f"/api/contracts?instance_id={instance_id}").get_json() == []
    own = team["legal"].post(f"/api/process-instances/{instance_id}/contract")
    assert own.status_code == 201 and own.get_json()["data"]["amount"] != "1.00"


def test_legal_redrafts_an_unsigned_deal_contract(team, app, data_dir):
    instance_id = at_signing(team)
    first = team["legal"].post(f"/api/process-instances/{instance_id}/contract").get_json()
    url = send_link(team["sales"], first["id"])["url"]
    second = team["legal"].post(f"/api/process-instances/{instance_id}/contract")
    assert second.status_code == 201, second.get_json()
    second = second.get_json()
    assert show(team["admin"], instance_id)["data"]["contract_id"] == second["id"]
    old = team["admin"].get(f"/api/contracts/{first['id']}").get_json()
    assert [e["action"] for e in old["events"]][-2:] == ["link_revoked", "superseded"]
    assert old["events"][-1]["detail"]["by"] == second["number"]
    assert [e["action"] for e in second["events"]][-1] == "supersedes"
    open_page(app.test_client(), url, expect=410)  # the old contract's link is withdrawn
    assert send_link(team["sales"], first["id"], expect=409)
    signed = send_link(team["sales"], second["id"])["url"]
    sign(app.test_client(), signed)
    assert show(team["admin"], instance_id)["data"]["contract_signed_by_both"] is True
