"""Sessions and the browser's protections: security headers, Secure cookies, sessions that end
everywhere at logout and password change, service accounts and disabled users, logins with their IP."""
from __future__ import annotations

import re

from sqlalchemy import select

import accounts
from app import create_app
from core.audit import AuditEntry
from tests.web.test_pages import alice, browser, login, post, text, token  # noqa: F401  fixtures
from web.security import CONTENT_SECURITY_POLICY

ALERT = re.compile(r'role="alert">([^<]*)<')
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def replay(app, cookie: str):
    """Return a fresh browser that carries a copy of another's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.path, name)


def test_every_response_carries_the_security_headers(app, alice, api):
    page, asset = alice.get("/"), alice.get("/assets/app.js")
    answer, missing = api["alice"].get("/api/process-definitions"), alice.get("/no-such-page")
    refused, api_missing = app.test_client().get("/api/tasks"), api["alice"].get("/api/no-such-route")
    assert (page.status_code, asset.status_code, answer.status_code) == (200, 200, 200)
    assert (missing.status_code, refused.status_code, api_missing.status_code) == (404, 401, 404)
    for response in (page, asset, answer, missing, refused, api_missing, alice.get("/login")):
        assert_security_headers(response)
        response.close()
    assert answer.headers["Cache-Control"] == "no-store"


def test_only_the_contract_pdf_may_be_framed_and_only_by_this_site(alice):
    response = alice.get("/contracts/999999/pdf")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_pages_carry_no_inline_script_or_style(alice):
    page = text(alice.get("/processes"))
    assert " style=" not in page and "<script>" not in page


def test_secure_cookies_when_crm_secure_cookies_is_on(monkeypatch, database_url, session_factory, users):
    monkeypatch.setenv("CRM_SECURE_COOKIES", "on")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_MIGRATE": False,
                      "SECRET_KEY": "test"})
    app.extensions["session_factory"] = session_factory
    browser = app.test_client()
    # Over HTTPS Flask-WTF also wants a same-site Referer, as a browser sends.
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    response = browser.post("/login", **https, data={
        "name": "alice", "password": "alice-pass-1", "csrf_token": https_token(browser)})
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    response = browser.post("/language", **https,
                            data={"locale": "en", "csrf_token": https_token(browser, "/account/password")})
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("locale=") and "Secure" in c for c in cookies)


def https_token(browser, path="/login") -> str:
    page = browser.get(path, base_url="https://localhost").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_cookies_are_not_secure_by_default(browser):
    response = login(browser, "alice", "alice-pass-1")
    assert "Secure" not in response.headers["Set-Cookie"]


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, alice):
    cookie = alice.get_cookie("session").value
    assert replay(app, cookie).get("/").status_code == 200, "a copy works while the session lives"
    post(alice, "/logout")
    response = replay(app, cookie).get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_a_session_cookie_copied_before_a_password_change_is_dead_after_it(app, alice):
    cookie = alice.get_cookie("session").value
    response = post(alice, "/account/password", {"current_password": "alice-pass-1",
                                                 "new_password": "a-new-password",
                                                 "confirm_password": "a-new-password"},
                    page="/account/password")
    assert response.status_code == 302
    assert alice.get("/").status_code == 200, "the session that changed it goes on"
    response = replay(app, cookie).get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_unknown_and_wrong_get_one_message_on_the_page(browser):
    wrong, unknown = login(browser, "alice", "not-her-password"), login(browser, "nobody", "not-her-password")
    assert wrong.status_code == unknown.status_code == 200
    assert ALERT.findall(text(wrong)) == ALERT.findall(text(unknown)) == ["用户名或密码错误。"]


def test_a_page_login_is_audited_with_its_ip(app, browser, session_factory):
    browser.post("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"},
                 data={"name": "alice", "password": "alice-pass-1", "csrf_token": token(browser)})
    with session_factory() as session:
        logins = session.execute(select(AuditEntry.detail, AuditEntry.ip)
                                 .where(AuditEntry.action == "user.logged_in")).all()
    assert ({"user": "alice"}, "198.51.100.7") in [tuple(row) for row in logins]


def test_a_service_account_cannot_log_in_on_the_page_but_works_by_token(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "erp", "--service", "--group", "integrations"])
    assert result.exit_code == 0, result.output
    browser = app.test_client()
    response = login(browser, "erp", "")
    assert "用户名或密码错误" in text(response) and browser.get("/").status_code == 302
    result = runner.invoke(args=["token", "create", "erp", "--name", "ERP sync", "--expires-in-days", "never"])
    assert result.exit_code == 0, result.output
    erp = result.output.strip().splitlines()[-1]
    listed = client.get("/api/tokens", headers={"Authorization": f"Bearer {erp}"}).get_json()
    assert [(t["name"], t["expires_at"]) for t in listed] == [("ERP sync", None)]
    assert client.get("/api/opportunities", headers={"Authorization": f"Bearer {erp}"}).status_code == 200


def test_only_a_service_accounts_token_may_never_expire(app, users):
    result = app.test_cli_runner().invoke(args=["token", "create", "alice", "--expires-in-days", "never"])
    assert result.exit_code == 1 and "only for service accounts" in result.output


def test_disabling_a_user_stops_their_tokens_and_sessions_at_once_and_enabling_restores_tokens(
        app, alice, api):
    runner = app.test_cli_runner()
    assert api["alice"].get("/api/tasks").status_code == 200
    result = runner.invoke(args=["user", "disable", "alice"])
    assert result.exit_code == 0, result.output
    assert api["alice"].get("/api/tasks").status_code == 401
    assert alice.get("/").status_code == 302
    assert "用户名或密码错误" in text(login(app.test_client(), "alice", "alice-pass-1"))
    result = runner.invoke(args=["user", "enable", "alice"])
    assert result.exit_code == 0, result.output
    assert api["alice"].get("/api/tasks").status_code == 200
    assert alice.get("/").status_code == 302, "the old session stays ended"
    assert login(app.test_client(), "alice", "alice-pass-1").status_code == 302


def test_disable_names_an_unknown_user(app):
    result = app.test_cli_runner().invoke(args=["user", "disable", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def test_disabling_is_audited(app, users, session_factory):
    app.test_cli_runner().invoke(args=["user", "disable", "bob"])
    app.test_cli_runner().invoke(args=["user", "enable", "bob"])
    with session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("user.%abled"))
                                  .order_by(AuditEntry.id)).all()
        assert actions == ["user.disabled", "user.enabled"]
        assert accounts.get_user(session, "bob").is_active
