"""Signing only by the signer, on both databases: the one-time link and its public page, and the
signed PDF that legal may upload instead; staff typing a name sign nothing (finding 3)."""
from __future__ import annotations

import hashlib
import io
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from signing import keys, pades, service
from signing.models import SigningLink
from signing.render import Box
from tests.conftest import Api, make_token

from .conftest import appearance
from .signer import CSRF, link_path, open_page, send_link, sign
from .test_api import SHORT, draft

IP = "127.0.0.1"


def sealed_contract(api) -> dict:
    contract = draft(api["carol"], clauses=SHORT)
    assert api["carol"].post(f"/api/contracts/{contract['id']}/seal").status_code == 200
    return contract


def events(api, contract_id: int) -> list[dict]:
    return api["admin"].get(f"/api/contracts/{contract_id}").get_json()["events"]


def test_the_signer_signs_once_through_their_link(api, app, client, session, data_dir):
    contract = draft(api["carol"], clauses=SHORT)
    send_link(api["carol"], contract["id"], expect=409)  # not sealed yet
    api["carol"].post(f"/api/contracts/{contract['id']}/seal")
    plain = Api(client, make_token(app, "plain", groups=()))
    send_link(plain, contract["id"], expect=403)
    assert send_link(api["carol"], contract["id"], email="not-an-address", expect=422)
    link = send_link(api["carol"], contract["id"])
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=7)
    token = link_path(link["url"]).rsplit("/", 1)[1]
    stored = session.scalars(select(SigningLink)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and len(token) >= 43
    assert token not in repr([getattr(stored, c.key) for c in SigningLink.__table__.c])

    signer = app.test_client()
    page = open_page(signer, link["url"])
    assert contract["title"] in page and 'value="张三"' in page and "usermenu" not in page
    pdf = signer.get(f"{link_path(link['url'])}/pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.data).hexdigest() == api["admin"].get(f"/api/contracts/{contract['id']}") \
        .get_json()["sha256"]
    sign(signer, link["url"], expect=303, agree=False)
    assert "请勾选您已阅读并同意" in open_page(signer, link["url"]), "the page speaks Chinese by default"
    sign(signer, link["url"], "Somebody Else", expect=303)
    assert "请按链接上的写法输入您的姓名" in open_page(signer, link["url"])
    assert contract["number"] in sign(signer, link["url"], " 张三 ").get_data(as_text=True)

    shown = api["carol"].get(f"/api/contracts/{contract['id']}").get_json()
    assert shown["status"] == "completed"
    assert [(s["role"], s["signer"]) for s in shown["signatures"]][1] == ("customer", "张三")
    again = sign(signer, link["url"], expect=410, page=page)
    assert contract["number"] not in again.get_data(as_text=True)
    gone = open_page(app.test_client(), link["url"], expect=410)
    assert contract["number"] not in gone and contract["title"] not in gone
    assert app.test_client().get(f"{link_path(link['url'])}/pdf").status_code == 410

    trail = events(api, contract["id"])
    by_action = {}
    for event in trail:
        by_action.setdefault(event["action"], []).append(event)
    created, = by_action["link_created"]
    assert created["actor"] == "carol" and created["detail"]["signer"] == "张三 <zhang.san@example.cn>"
    opened = by_action["link_opened"][0]
    assert (opened["actor"], opened["ip"], opened["detail"]["user_agent"]) == (
        "张三 <zhang.san@example.cn>", IP, "SignerBrowser/1.0")
    signed, = by_action["signed"]
    assert (signed["actor"], signed["ip"], signed["detail"]["link_id"]) == (
        "张三 <zhang.san@example.cn>", IP, created["detail"]["link_id"])
    assert {e["detail"]["reason"] for e in by_action["link_refused"]} == {"used"}
    assert len(by_action["link_refused"]) == 3, "the refusals are kept although the answers are 410"
    assert [e["action"] for e in trail].index("signed") < [e["action"] for e in trail].index("completed")


def test_an_expired_link_is_refused_and_recorded(api, app, session, data_dir):
    contract = sealed_contract(api)
    link = send_link(api["carol"], contract["id"], days=1)
    signer = app.test_client()
    page = open_page(signer, link["url"])
    session.execute(update(SigningLink).values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    session.commit()
    sign(signer, link["url"], expect=410, page=page)
    open_page(signer, link["url"], expect=410)
    assert [e["action"] for e in events(api, contract["id"])][-2:] == ["link_expired", "link_expired"]
    assert api["admin"].get(f"/api/contracts/{contract['id']}").get_json()["status"] == "sealed"


def test_an_unknown_link_is_404_and_names_nothing(api, app, data_dir):
    sealed_contract(api)
    signer = app.test_client()
    for path in ("/sign/no-such-token", "/sign/no-such-token/pdf", "/sign/" + "x" * 500):
        response = signer.get(path)
        assert response.status_code == 404
        assert "软件许可" not in response.get_data(as_text=True)
    token = CSRF.search(signer.get("/login").get_data(as_text=True))[1]
    posted = signer.post("/sign/no-such-token", data={"csrf_token": token, "name": "x", "agree": "yes"})
    assert posted.status_code == 404


def test_the_signing_form_needs_its_csrf_token(api, app, data_dir):
    contract = sealed_contract(api)
    link = send_link(api["carol"], contract["id"])
    signer = app.test_client()
    open_page(signer, link["url"])
    refused = signer.post(link_path(link["url"]), data={"name": "张三", "agree": "yes"})
    assert refused.status_code in (303, 400)
    assert api["admin"].get(f"/api/contracts/{contract['id']}").get_json()["status"] == "sealed"
    sign(signer, link["url"])


def test_staff_send_a_link_from_the_contract_page(api, app, data_dir):
    contract = sealed_contract(api)
    browser = app.test_client()
    login = CSRF.search(browser.get("/login").get_data(as_text=True))[1]
    browser.post("/login", data={"name": "carol", "password": "carol-pass-1", "csrf_token": login})
    page = browser.get(f"/contracts/{contract['id']}").get_data(as_text=True)
    assert "send-form" in page and 'value="张伟"' in page  # the customer's representative
    made = browser.post(f"/contracts/{contract['id']}/signing-links",
                        data={"csrf_token": CSRF.search(page)[1], "name": "张伟", "email": "zhang.wei@example.cn"})
    assert made.status_code == 200
    url = made.get_data(as_text=True).split('class="signing-url" type="text" readonly value="')[1].split('"')[0]
    assert "/sign/" in url and "send-form" in made.get_data(as_text=True)
    sign(app.test_client(), url, "张伟")
    assert "send-form" not in browser.get(f"/contracts/{contract['id']}").get_data(as_text=True)


def test_legal_records_a_signature_made_elsewhere_by_uploading_the_pdf(api, app, session, data_dir):
    contract = sealed_contract(api)
    path = f"/api/contracts/{contract['id']}"
    sealed = api["carol"].get(f"{path}/pdf").data
    layout = {name: Box.from_json(box) for name, box in service.get_contract(session, contract["id"]).layout.items()}
    person = keys.issue_personal_certificate(data_dir, "王五", "wang.wu@example.cn", contract["number"])
    tsa = keys.load_identity(data_dir, "tsa")
    signed = pades.approve(sealed, pades.CUSTOMER, person, tsa, appearance(layout["customer"], "王五"),
                           reason="signed at the customer's")
    upload = lambda client, data: client.post(  # noqa: E731
        f"{path}/sign", data={"file": (io.BytesIO(data), "signed.pdf")}, content_type="multipart/form-data")
    assert upload(api["alice"], signed).status_code == 403
    json_body = api["carol"].post(f"{path}/sign", json={"name": "王五", "email": "wang.wu@example.cn"})
    assert json_body.status_code == 422 and "signing link" in json_body.get_json()["errors"][0]["message"]

    other = sealed_contract(api)
    foreign = api["carol"].get(f"/api/contracts/{other['id']}/pdf").data
    wrong_field = pades.approve(sealed, pades.COMPLETION, person, tsa, appearance(layout["completion"], "王五"),
                                reason="wrong field")
    tampered = bytearray(signed)
    tampered[len(sealed) + 400] ^= 0x01
    for data, says in ((sealed, "must begin with that revision"), (foreign, "must begin with that revision"),
                       (wrong_field, "in the customer's field"), (bytes(tampered), "do not verify"),
                       (b"%PDF-1.7 nonsense", "must begin with that revision")):
        refused = upload(api["carol"], data)
        assert refused.status_code == 422, refused.get_json()
        assert says in refused.get_json()["errors"][0]["message"]
        assert refused.get_json()["errors"][0]["field"] == "file"
    assert api["admin"].get(path).get_json()["status"] == "sealed"

    recorded = upload(api["carol"], signed)
    assert recorded.status_code == 200, recorded.get_json()
    shown = recorded.get_json()
    assert shown["status"] == "completed"
    assert [(s["role"], s["signer"]) for s in shown["signatures"]] == [
        ("company", "示例科技有限公司"), ("customer", "王五"), ("completion", "示例科技有限公司")]
    event = [e for e in shown["events"] if e["action"] == "signed"][0]
    assert (event["actor"], event["detail"]["recorded_by"]) == ("王五", "carol")
    assert api["carol"].get(f"{path}/pdf?revision=3").data == signed
    assert api["admin"].get(f"{path}/verify").get_json()["trusted"] is True
    assert upload(api["carol"], signed).status_code == 409


def test_two_concurrent_posts_give_one_signature(live_app, data_dir):
    legal = Api(live_app.test_client(), make_token(live_app, "lee", ("legal",)))
    contract = draft(legal, clauses=SHORT)
    legal.post(f"/api/contracts/{contract['id']}/seal")
    url = send_link(legal, contract["id"])["url"]
    browsers = [live_app.test_client() for _ in range(2)]
    pages = [open_page(browser, url) for browser in browsers]
    statuses, start = [], threading.Barrier(2)

    def post(browser, page):
        start.wait()
        statuses.append(sign(browser, url, expect=None, page=page).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(browsers, pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 410]
    shown = legal.get(f"/api/contracts/{contract['id']}").get_json()
    assert [e["action"] for e in shown["events"]].count("signed") == 1
    assert [r["kind"] for r in shown["revisions"]] == ["rendered", "sealed", "signed", "completed"]
