"""The contract of a demo deal past 合同签署, made the way a real one is.

Legal drafts it from the deal and seals it (signing.funnel), the deal's owner
sends the customer's signer a one-time link (signing.links), and the signer
opens it and signs (the calls web/signing_pages.py makes). The archive then
completes it and tells the process, which opens the stage gate: nothing here
writes a contract row or a process fact itself, so what the archive, /verify
and the deal page show is what the app made and can check.

The signatures carry the moment the demo was loaded: a timestamp signed by the
TSA cannot be moved back, so demo.timeline leaves the contracts' own times alone
(only the deal's history, its audit entries included, is spread over months).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from signing import funnel, links

# The customer's signer's mail domain, by company; others get a generic one.
MAIL_DOMAINS = {"中建八局": "cscec8b.example.cn", "华润三九": "999.example.cn", "平安科技": "pingan-tech.example.cn",
                "京东物流": "jdl.example.cn", "万科企业": "vanke.example.cn", "美的集团": "midea.example.cn",
                "顺丰速运": "sf-express.example.cn", "海尔智家": "haier.example.cn"}
SIGNER = ("王建国", "wang.jianguo")  # the decision maker the demo's deals name (demo.records)
DEMO_IP = "198.51.100.20"  # a documentation address (RFC 5737): the demo's "customer network"
DEMO_BROWSER = "Dealflow demo (signing link)"


def sign_deal_contract(session: Session, instance_id: int, company: str, *, legal, sender) -> None:
    """Draft and seal the deal's contract as `legal`, send it as `sender`; the customer's signer signs."""
    contract = funnel.draft_for_instance(session, instance_id, legal)
    name, mailbox = SIGNER
    email = f"{mailbox}@{MAIL_DOMAINS.get(company, 'customer.example.cn')}"
    _, token = links.create_link(session, contract.id, name, email, sender)
    links.open_link(session, token, DEMO_IP, DEMO_BROWSER)
    links.sign_with_link(session, token, name, True, DEMO_IP, DEMO_BROWSER)
