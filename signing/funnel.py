"""The 合同签署 stage's contract: drafted from the deal, sealed, signed by the customer.

The funnel's gate reads two facts from the process data: `contract_id`, once the
contract is drafted from the deal and sealed by the company (here), and
`contract_signed_by_both`, once the customer has signed and both signatures
verify (signing.customer). Only the archive writes them, as process
variables through the engine; a form cannot, because the engine's gates read
submitted data only for the form's own fields.

The deal's contract is the one `contract_id` names, drafted here from the deal's
data; a free draft cannot name a deal (service.draft_contract), so no stray draft
can stand for it or block it. While the deal's contract is not signed (rendered
or sealed), drafting again supersedes it: the old one is marked superseded, its
signing links are revoked, and both contracts record why. A signed (completed)
contract is final: drafting again is a 409.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from engine import instances, visibility
from core.errors import Conflict

from . import links, service
from .models import Contract

STANDARD_CLAUSES = [
    {"title": "合同标的 Subject", "text": "乙方向甲方提供本合同所述的产品与服务。"
                                          " The supplier provides the products and services of this deal."},
    {"title": "价款与支付 Price and payment", "text": "合同总价如首页所示，甲方在验收后三十日内付款。"
                                                     " The customer pays the total within 30 days of acceptance."},
    {"title": "交付与验收 Delivery and acceptance", "text": "乙方按双方确认的计划交付，甲方在交付后十个工作日内验收。"
                                                          " Delivery follows the agreed plan; acceptance within 10 working days."},
    {"title": "保密 Confidentiality", "text": "双方对在合作中获知的对方商业信息负有保密义务。"
                                             " Each party keeps the other's business information confidential."},
    {"title": "争议解决 Disputes", "text": "争议由双方协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。"
                                          " Disputes go to the courts of the customer's seat."},
]


def draft_for_instance(session: Session, instance_id: int, actor, *, ip: str | None = None,
                       data_dir: Path | None = None) -> Contract:
    """Draft the deal's contract from its data, seal it, and tell the process.

    Supersedes the deal's earlier contract when that one is not signed yet.

    Raises:
        Conflict: the instance has ended, or its contract is signed already.
    """
    instance = instances.lock_instance(session, instance_id)
    visibility.require_visible(session, actor, instance.id, "process instance", instance_id, kind="contracts")
    if instance.status in ("completed", "terminated"):
        raise Conflict(f"process instance {instance_id} has already ended")
    data = instance.data or {}
    earlier = _own_contract(session, data)
    if earlier is not None and earlier.status == "completed":
        raise Conflict(f"process instance {instance_id} has a signed contract already: {earlier.number}")
    customer = data.get("company") or data.get("customer") or instance.business_key or "客户 Customer"
    deal = data.get("deal_name") or instance.business_key or f"#{instance_id}"
    contract = service.draft_deal_contract(session, {
        "customer": customer, "title": f"销售合同 Sales contract: {deal}",
        "amount": data.get("agreed_amount") or data.get("amount") or 0,
        "clauses": STANDARD_CLAUSES,
        "parties": [{"role": "customer", "name": customer, "representative": data.get("decision_maker")}],
    }, instance_id, actor, ip=ip, data_dir=data_dir)
    service.seal_contract(session, contract.id, actor, ip, data_dir=data_dir)
    if earlier is not None:
        _supersede(session, earlier, contract, actor, ip)
    instances.record_process_facts(session, instance_id, {"contract_id": contract.id}, actor=actor,
                                   source="contract archive: drafted and sealed")
    return contract


def _own_contract(session: Session, data: dict) -> Contract | None:
    contract_id = data.get("contract_id")
    return session.get(Contract, contract_id) if isinstance(contract_id, int) else None


def _supersede(session: Session, earlier: Contract, contract: Contract, actor, ip: str | None) -> None:
    earlier = service._lock(session, earlier.id)
    if earlier.status == "completed":  # signed meanwhile, while this one was being drafted
        raise Conflict(f"contract {earlier.number} was signed meanwhile; the deal keeps it")
    earlier.superseded_by_id = contract.id
    links.revoke_links(session, earlier, actor, reason=f"superseded by {contract.number}")
    service._record(session, earlier, "superseded", actor, ip=ip, by=contract.number,
                    by_id=contract.id)
    service._record(session, contract, "supersedes", actor, ip=ip, supersedes=earlier.number,
                    supersedes_id=earlier.id)
    session.flush()

