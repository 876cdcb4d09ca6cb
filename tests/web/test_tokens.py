"""API tokens: names, scopes, expiry, revocation; listed and revoked over the API and the CLI."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import accounts
from accounts.models import ApiToken
from core.audit import AuditEntry
from core.db import utcnow
from tests.conftest import Api


def new_token(api_client, expect=201, **body):
    response = api_client.post("/api/tokens", json={"name": "laptop", **body})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_new_token_is_shown_once_lasts_ninety_days_and_works(client, api):
    made = new_token(api["alice"], name="reporting")
    assert made["token"].startswith(made["prefix"]) and made["user"] == "alice"
    assert made["scopes"] is None and made["revoked_at"] is None
    listed = api["alice"].get("/api/tokens")
    assert listed.headers["Cache-Control"] == "no-store"
    mine = {t["id"]: t for t in listed.get_json()}
    assert "token" not in mine[made["id"]] and mine[made["id"]]["name"] == "reporting"
    assert Api(client, made["token"]).get("/api/tasks").status_code == 200
    with_expiry = [t for t in mine.values() if t["expires_at"]]
    assert len(with_expiry) == len(mine), "every token expires"


def test_an_expired_token_is_refused_with_401(client, api, session_factory):
    made = new_token(api["alice"], expires_in_days=1)
    with session_factory() as session:
        session.get(ApiToken, made["id"]).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    response = Api(client, made["token"]).get("/api/tasks")
    assert response.status_code == 401 and "expired" in response.get_json()["errors"][0]["message"]


def test_a_token_created_with_an_expiry_expires_then(session, users):
    alice = accounts.get_user(session, "alice")
    before = utcnow()
    token = accounts.create_token(session, alice, name="one week", expires_in=timedelta(days=7), now=before)
    with_it = accounts.actor_for_token(session, token)
    assert with_it.name == "alice"
    row = session.scalars(select(ApiToken).where(ApiToken.name == "one week")).one()
    assert row.expires_at == before + timedelta(days=7)


def test_a_revoked_token_is_refused_at_once_and_the_revocation_audited(client, api, session_factory):
    made = new_token(api["alice"])
    holder = Api(client, made["token"])
    assert holder.get("/api/tasks").status_code == 200
    assert api["alice"].delete(f"/api/tokens/{made['id']}").status_code == 204
    response = holder.get("/api/tasks")
    assert response.status_code == 401 and "revoked" in response.get_json()["errors"][0]["message"]
    listed = {t["id"]: t for t in api["alice"].get("/api/tokens").get_json()}
    assert listed[made["id"]]["revoked_at"] is not None
    with session_factory() as session:
        assert session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "token.revoked")).all() \
            == [{"user": "alice", "token_id": made["id"], "prefix": made["prefix"]}]


def test_a_read_only_token_can_read_but_not_write(client, api):
    made = new_token(api["alice"], scopes=["read"])
    reader = Api(client, made["token"])
    assert reader.get("/api/companies").status_code == 200
    refused = reader.post("/api/companies", json={"name": "Initech"})
    assert refused.status_code == 403 and "companies.write" in refused.get_json()["errors"][0]["message"]
    assert reader.post("/api/tokens", json={"name": "wider"}).status_code == 403, "it cannot mint a wider one"
    assert reader.delete(f"/api/tokens/{made['id']}").status_code == 403


def test_a_token_scoped_to_chosen_permissions_has_only_those(client, api):
    made = new_token(api["alice"], scopes=["companies.read", "companies.write"])
    scoped = Api(client, made["token"])
    assert scoped.post("/api/companies", json={"name": "Initech"}).status_code == 201
    assert scoped.get("/api/opportunities").status_code == 403
    assert made["scopes"] == ["companies.read", "companies.write"]


def test_scopes_must_be_known_and_held(api):
    unknown = new_token(api["alice"], expect=422, scopes=["deals.fly"])
    assert "deals.fly" in unknown["errors"][0]["message"]
    not_held = new_token(api["alice"], expect=422, scopes=["users.manage"])
    assert "does not hold" in not_held["errors"][0]["message"]
    never = new_token(api["alice"], expect=422, never_expires=True)
    assert "service account" in never["errors"][0]["message"]
    assert new_token(api["alice"], expect=422, expires_in_days=0)["errors"][0]["field"] == "expires_in_days"


def test_another_users_token_is_404_to_a_non_admin_and_revocable_by_an_admin(client, api):
    bobs = new_token(api["bob"])
    assert api["alice"].delete(f"/api/tokens/{bobs['id']}").status_code == 404
    assert api["alice"].delete("/api/tokens/999999").status_code == 404
    assert api["alice"].delete(f"/api/tokens/{2 ** 70}").status_code == 404
    assert api["alice"].get("/api/tokens?user=bob").status_code == 403
    assert bobs["id"] not in {t["id"] for t in api["alice"].get("/api/tokens").get_json()}
    assert Api(client, bobs["token"]).get("/api/tasks").status_code == 200
    listed = api["admin"].get("/api/tokens?user=bob").get_json()
    assert bobs["id"] in {t["id"] for t in listed} and {t["user"] for t in listed} == {"bob"}
    assert api["admin"].delete(f"/api/tokens/{bobs['id']}").status_code == 204
    assert Api(client, bobs["token"]).get("/api/tasks").status_code == 401


def test_tokens_are_listed_and_revoked_on_the_command_line(app, client, users):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["token", "create", "alice", "--name", "nightly export", "--read-only",
                                 "--expires-in-days", "30"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert Api(client, token).get("/api/companies").status_code == 200
    assert Api(client, token).post("/api/companies", json={"name": "Initech"}).status_code == 403
    result = runner.invoke(args=["token", "list", "alice"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.strip().splitlines()
    assert header.split()[:5] == ["id", "user", "name", "prefix", "scopes"]
    row = next(line for line in rows if token[:12] in line)
    assert "nightly export" in row and "read" in row and "alice" in row
    token_id = row.split()[0]
    assert all("alice" in line for line in rows)
    everybody = runner.invoke(args=["token", "list"]).output
    assert "bob" in everybody and "carol" in everybody
    result = runner.invoke(args=["token", "revoke", token_id])
    assert result.exit_code == 0 and f"revoked token {token_id}" in result.output
    assert Api(client, token).get("/api/companies").status_code == 401
    result = runner.invoke(args=["token", "revoke", "999999"])
    assert result.exit_code == 1 and "no API token 999999" in result.output


def test_the_token_routes_are_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    assert {"get", "post"} <= document["paths"]["/api/tokens"].keys()
    assert "delete" in document["paths"]["/api/tokens/{id}"]
    assert "TokenIn" in document["components"]["schemas"]
