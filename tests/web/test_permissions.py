"""Every route declares the permission it needs, in its blueprint's one table, and is checked."""
from __future__ import annotations

from flask import Blueprint

from accounts.permissions import PERMISSIONS, ROLE_PERMISSIONS
from app import create_app
from web.auth import PUBLIC, SIGNED_IN, declare_permissions

# The app's own static route serves no file of ours (the pages blueprint serves /assets).
APP_LEVEL_ENDPOINTS = {"static"}


def test_every_route_declares_a_known_permission(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in APP_LEVEL_ENDPOINTS:
            continue
        blueprint, _, view = rule.endpoint.rpartition(".")
        needs = getattr(app.blueprints.get(blueprint), "permissions", {})
        if needs.get(view) not in {*PERMISSIONS, PUBLIC, SIGNED_IN}:
            undeclared.append(f"{rule.endpoint} {rule.rule}")
    assert undeclared == []


def test_a_route_missing_from_its_table_is_closed(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_MIGRATE": False,
                      "SECRET_KEY": "test"})
    bp = Blueprint("forgotten", __name__, url_prefix="/api/forgotten")
    declare_permissions(bp, {"declared": "deals.read"})
    bp.add_url_rule("/declared", "declared", lambda: "declared")
    bp.add_url_rule("/undeclared", "undeclared", lambda: "reached")
    app.register_blueprint(bp)
    response = app.test_client().get("/api/forgotten/undeclared")
    assert response.status_code == 403 and b"declares no permission" in response.data


def test_members_hold_no_admin_permission():
    member = ROLE_PERMISSIONS["member"]
    assert not {"users.manage", "audit.read", "instances.repair", "instances.variables.set",
                "processes.deploy", "contracts.seal", "signing.manage"} & member
    assert ROLE_PERMISSIONS["admin"] == frozenset(PERMISSIONS)


def test_a_member_without_the_permission_gets_403_naming_it(api):
    response = api["alice"].post("/api/process-definitions", data={}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert "processes.deploy" in response.get_json()["errors"][0]["message"]


def test_the_migration_grants_the_bundled_groups_what_the_code_documents(session):
    # The migration keeps its own copy (migrations never import app code); the two must agree.
    from sqlalchemy import select

    from accounts.models import GroupPermission
    from accounts.permissions import DEFAULT_GROUP_PERMISSIONS

    granted = set(session.execute(select(GroupPermission.group_name, GroupPermission.permission)).all())
    assert granted == {(group, permission) for group, permissions in DEFAULT_GROUP_PERMISSIONS.items()
                       for permission in permissions}
