"""Logging in with a password: five wrong in a row lock the account for fifteen minutes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.security import check_password_hash

import accounts
from core.errors import InvalidInput, Unauthorized

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def mei(session):
    user = accounts.create_user(session, "mei", "right-password", groups=["sales"])
    session.flush()
    return user


def fail(session, times, now=NOW, name="mei"):
    for _ in range(times):
        with pytest.raises(Unauthorized) as caught:
            accounts.login(session, name, "wrong-password", now)
        assert not isinstance(caught.value, accounts.LockedOut)


def test_the_right_password_logs_in_and_resets_the_count(session, mei):
    fail(session, 4)
    assert mei.failed_logins == 4
    assert accounts.login(session, "mei", "right-password", NOW) is mei
    assert mei.failed_logins == 0 and mei.locked_until is None


def test_five_wrong_passwords_lock_even_the_right_one_out_for_fifteen_minutes(session, mei):
    fail(session, 5)
    assert mei.locked_until == NOW + timedelta(minutes=15)
    for when in (NOW, NOW + timedelta(minutes=14, seconds=59)):
        with pytest.raises(accounts.LockedOut) as caught:
            accounts.login(session, "mei", "right-password", when)
        assert caught.value.until == NOW + timedelta(minutes=15)
    assert accounts.login(session, "mei", "right-password", NOW + timedelta(minutes=15, seconds=1)) is mei
    assert mei.locked_until is None


def test_after_a_lockout_five_more_failures_lock_again(session, mei):
    fail(session, 5)
    later = NOW + timedelta(minutes=16)
    fail(session, 4, now=later)
    assert mei.locked_until == NOW + timedelta(minutes=15)  # not yet locked again
    fail(session, 1, now=later)
    assert mei.locked_until == later + timedelta(minutes=15)


def test_unknown_and_inactive_users_get_the_same_answer(session, mei):
    for name in ("nobody", "", "mei "):
        with pytest.raises(Unauthorized, match="wrong user name or password"):
            accounts.login(session, name, "whatever", NOW)
    mei.is_active = False
    with pytest.raises(Unauthorized, match="wrong user name or password"):
        accounts.login(session, "mei", "right-password", NOW)


def test_a_lockout_is_audited(session, mei):
    from core.audit import AuditEntry
    from sqlalchemy import select

    fail(session, 5)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "user.locked")).all()
    assert actions == ["user.locked"]


@pytest.mark.parametrize("current, new, field", [
    ("wrong-password", "a-new-password", "current_password"),
    ("right-password", "short", "new_password"),
])
def test_a_password_change_checks_the_current_password_and_the_length(session, mei, current, new, field):
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(session, mei, current, new)
    assert [p["field"] for p in caught.value.problems] == [field]
    assert check_password_hash(mei.password_hash, "right-password")


def test_a_changed_password_is_the_one_that_logs_in(session, mei):
    accounts.change_password(session, mei, "right-password", "a-new-password")
    assert accounts.login(session, "mei", "a-new-password", NOW) is mei
    fail(session, 1)
