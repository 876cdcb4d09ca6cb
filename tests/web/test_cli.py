"""The admin commands of the contract, as an operator types them."""
from __future__ import annotations

from tests.conftest import FIXTURES, PROCESSES, Api


def test_create_a_user_and_a_token_that_works(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "mei", "--password", "long-enough-1",
                                 "--group", "sales", "--group", "legal", "--role", "designer"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["token", "create", "mei"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = Api(client, token).get("/api/process-definitions")
    assert response.status_code == 200


def test_cli_errors_name_the_problem(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["user", "create", "x", "--password", "short"]).exit_code == 1
    result = runner.invoke(args=["token", "create", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def test_deploy_processes_from_the_command_line(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["processes", "deploy", str(FIXTURES / "loop.bpmn"),
                                 str(PROCESSES / "tender.bpmn")])
    assert result.exit_code == 0, result.output
    assert "deployed loop version 1" in result.output and "deployed tender version 1" in result.output
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions>")
    result = runner.invoke(args=["processes", "deploy", str(broken)])
    assert result.exit_code == 1 and "broken.bpmn" in result.output


def test_demo_loads_once_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "deployed sales_funnel version 1" in first.output and "admin-demo-1" in first.output
    second = runner.invoke(args=["demo"])
    assert "already present" in second.output and "up to date: sales_funnel version 1" in second.output
