"""Granting permissions to groups and making teams from the command line, as an operator would."""
from __future__ import annotations

from tests.conftest import Api, make_token


def test_a_group_granted_a_permission_may_use_it_and_loses_it_when_revoked(app, client):
    runner = app.test_cli_runner()
    auditor = Api(client, make_token(app, "ina", ("auditors",)))
    assert auditor.get("/api/reports/pipeline").status_code == 200
    assert auditor.post("/api/process-definitions", data={}, content_type="multipart/form-data").status_code == 403
    result = runner.invoke(args=["group", "grant", "auditors", "processes.deploy"])
    assert result.exit_code == 0, result.output
    assert auditor.post("/api/process-definitions", data={},
                        content_type="multipart/form-data").status_code == 422  # allowed, but no file
    assert "group auditors" in runner.invoke(args=["group", "show"]).output
    assert runner.invoke(args=["group", "revoke", "auditors", "processes.deploy"]).exit_code == 0
    assert auditor.post("/api/process-definitions", data={}, content_type="multipart/form-data").status_code == 403
    unknown = runner.invoke(args=["group", "grant", "auditors", "everything"])
    assert unknown.exit_code == 1 and "unknown permission 'everything'" in unknown.output


def test_a_team_made_on_the_command_line_shows_its_manager_the_members_deals(app, client):
    runner = app.test_cli_runner()
    for name in ("xu", "he"):
        make_token(app, name, ("sales",))
    assert runner.invoke(args=["team", "create", "North", "--manager", "he"]).exit_code == 0
    assert runner.invoke(args=["team", "add", "North", "xu"]).exit_code == 0
    assert "North: manager he, parent -, members xu" in runner.invoke(args=["team", "show"]).output
    bad = runner.invoke(args=["team", "create", "South", "--manager", "nobody"])
    assert bad.exit_code == 1 and "no user 'nobody'" in bad.output
