"""The people the bundled processes name, and the processes deployed."""
import functools

import pytest
from werkzeug.security import generate_password_hash

import accounts
import accounts.users
from tests.processes.funnel import deploy_bundled, make_team


@pytest.fixture
def fast_passwords(monkeypatch):
    """Hash passwords cheaply: these tests authenticate with tokens and make many users."""
    monkeypatch.setattr(accounts.users, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture
def people(app, client, fast_passwords):
    """One Api per role (see tests.processes.funnel.make_team), nothing deployed yet."""
    return make_team(app, client)


@pytest.fixture
def team(people):
    """One Api per role, with both bundled processes deployed."""
    deploy_bundled(people["admin"])
    return people


@pytest.fixture
def live_team(live_app, fast_passwords):
    """`team` on the app that commits for real, as timers need."""
    people = make_team(live_app, live_app.test_client())
    deploy_bundled(people["admin"])
    return people


