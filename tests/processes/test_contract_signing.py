"""合同签署 end to end: the contract is drafted from the deal, sealed, signed by the customer,
and the stage gate opens only when both signatures verify."""
from __future__ import annotations

import pytest

from tests.processes.funnel import (GOOD_DATA, complete, drive_funnel, gate_messages, open_deal,
                                    open_tasks, show)

SIGNED_BY_BOTH = "合同已由双方签署 The contract is signed by both parties"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_gate_opens_only_when_both_signatures_verify(team, data_dir):
    deal = open_deal(team)
    instance_id = deal["instance_id"]
    drive_funnel(team, instance_id, until="sign_contract")
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
    assert team["legal"].post(f"/api/process-instances/{instance_id}/contract").status_code == 409

    signed = team["sales"].post(f"/api/contracts/{contract['id']}/sign",
                                json={"name": "李伟", "email": "li.wei@huawei.example"})
    assert signed.status_code == 200, signed.get_json()
    report = team["sales"].get(f"/api/contracts/{contract['id']}/verify").get_json()
    assert report["intact"] and report["trusted"] and not report["modified_after_signing"]
    assert {s["role"] for s in report["signatures"]} >= {"company", "customer"}
    assert show(team["admin"], instance_id)["data"]["contract_signed_by_both"] is True

    complete(team, instance_id, "sign_contract", GOOD_DATA["sign_contract"])
    assert list(open_tasks(team["admin"], instance_id)) == ["deliver"]
    assert show(team["admin"], instance_id)["stage"] == "交付实施"
