"""The 合同签署 stage's contract: drafted from the deal, sealed, signed by the customer.

The funnel's gate reads two facts from the process data: `contract_id`, once the
contract is drafted from the deal and sealed by the company (here), and
`contract_signed_by_both`, once the customer has signed and both signatures
verify (service.sign_as_customer). Only the archive writes them, as process
variables through the engine; a form cannot, because the engine's gates read
submitted data only for the form's own fields.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import instances, visibility
from core.errors import Conflict

from . import service
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
    """Draft the deal's contract from its data, seal it, and tell the process."""
    instance = instances.lock_instance(session, instance_id)
    visibility.require_visible(session, actor, instance.id, "process instance", instance_id, kind="contracts")
    if instance.status in ("completed", "terminated"):
        raise Conflict(f"process instance {instance_id} has already ended")
    if session.scalar(select(Contract.id).where(Contract.instance_id == instance_id)) is not None:
        raise Conflict(f"process instance {instance_id} has a contract already")
    data = instance.data or {}
    customer = data.get("company") or data.get("customer") or instance.business_key or "客户 Customer"
    deal = data.get("deal_name") or instance.business_key or f"#{instance_id}"
    contract = service.draft_contract(session, {
        "customer": customer, "title": f"销售合同 Sales contract: {deal}",
        "amount": data.get("agreed_amount") or data.get("amount") or 0,
        "instance_id": instance_id, "clauses": STANDARD_CLAUSES,
        "parties": [{"role": "customer", "name": customer, "representative": data.get("decision_maker")}],
    }, actor, ip=ip, data_dir=data_dir)
    service.seal_contract(session, contract.id, actor, ip, data_dir=data_dir)
    instances.record_process_facts(session, instance_id, {"contract_id": contract.id}, actor=actor,
                                   source="contract archive: drafted and sealed")
    return contract

