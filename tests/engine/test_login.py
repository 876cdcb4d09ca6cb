"""Logging in with a password: failures slow guessing down, nobody can lock an account out.

`now` is injected: the throttle's waits are respected by moving the clock, never by sleeping.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

import accounts
from accounts import throttle
from core.audit import AuditEntry
from core.errors import InvalidInput, Unauthorized

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
STRANGER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def mei(session):
    user = accounts.create_user(session, "mei", "right-password", groups=["sales"])
    session.flush()
    return user


def refusal(session, name, password, *, ip=STRANGER, now=NOW) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        accounts.login(session, name, password, ip=ip, now=now)
    return caught.value


def hammer(session, times, *, name="mei", ip=STRANGER, now=NOW) -> datetime:
    """Fail `times` times from `ip`, each as soon as the throttle lets; return the clock afterwards."""
    for _ in range(times):
        error = refusal(session, name, "wrong-password", ip=ip, now=now)
        if isinstance(error, accounts.LoginThrottled):
            now += timedelta(seconds=error.retry_after)
            error = refusal(session, name, "wrong-password", ip=ip, now=now)
        assert not isinstance(error, accounts.LoginThrottled) and str(error) == accounts.WRONG_LOGIN
    return now


def test_the_right_password_logs_in_after_a_few_wrong_ones(session, mei):
    now = hammer(session, 3, ip=OWNER)
    assert accounts.login(session, "mei", "right-password", ip=OWNER, now=now) is mei


def test_failures_make_the_next_attempt_wait_longer_and_longer_up_to_a_cap(session, mei):
    waits, now = [], NOW
    for _ in range(12):
        error = refusal(session, "mei", "wrong-password", now=now)
        if isinstance(error, accounts.LoginThrottled):
            waits.append(error.retry_after)
            now += timedelta(seconds=error.retry_after)
            refusal(session, "mei", "wrong-password", now=now)
    assert waits[:6] == [1, 2, 4, 8, 16, 32] and max(waits) == 60


def test_an_attempt_during_the_wait_is_refused_uncounted_even_with_the_right_password(session, mei):
    now = hammer(session, 4)
    error = refusal(session, "mei", "right-password", now=now)
    assert isinstance(error, accounts.LoginThrottled)
    assert str(error) == f"{accounts.WRONG_LOGIN}; try again in {error.retry_after} seconds"
    for _ in range(50):  # hammering during the wait lengthens nothing
        refusal(session, "mei", "wrong-password", now=now)
    later = now + timedelta(seconds=error.retry_after)
    assert accounts.login(session, "mei", "right-password", ip=STRANGER, now=later) is mei


def test_a_strangers_twenty_wrong_passwords_do_not_stop_the_owner_from_elsewhere(session, mei):
    now = hammer(session, 20)
    account_wait = throttle.RULES["account"].delay(20)
    assert account_wait < 60, "the account's own delay stays short"
    try:
        user = accounts.login(session, "mei", "right-password", ip=OWNER, now=now)
    except accounts.LoginThrottled as waiting:
        assert waiting.retry_after <= account_wait
        user = accounts.login(session, "mei", "right-password", ip=OWNER,
                              now=now + timedelta(seconds=waiting.retry_after))
    assert user is mei
    assert isinstance(refusal(session, "mei", "right-password", now=now), accounts.LoginThrottled), \
        "the stranger's address still waits"


def test_spraying_many_accounts_from_one_address_is_slowed_down(session, mei):
    for n in range(throttle.RULES["ip"].free + 1):
        refusal(session, f"user{n}", "password123", now=NOW + timedelta(seconds=n))
    later = NOW + timedelta(seconds=throttle.RULES["ip"].free)
    assert isinstance(refusal(session, "somebody-else", "password123", now=later), accounts.LoginThrottled)
    assert accounts.login(session, "mei", "right-password", ip=OWNER, now=later) is mei


def test_counters_forget_after_the_window(session, mei):
    now = hammer(session, 8)
    assert isinstance(refusal(session, "mei", "wrong-password", now=now), accounts.LoginThrottled)
    later = now + throttle.WINDOW + timedelta(seconds=61)
    error = refusal(session, "mei", "wrong-password", now=later)
    assert not isinstance(error, accounts.LoginThrottled)


def test_unknown_disabled_and_service_users_get_the_same_answer_and_the_same_throttle(session, mei):
    accounts.create_user(session, "erp", None, service=True, groups=["integrations"])
    answers = {str(refusal(session, name, "whatever", ip=None)) for name in ("nobody", "", "erp")}
    answers.add(str(refusal(session, "mei", "whatever", ip=None)))
    mei.is_active = False
    answers.add(str(refusal(session, "mei", "right-password", ip="192.0.2.1")))
    assert answers == {accounts.WRONG_LOGIN}
    known, unknown = hammer(session, 5, name="mei", ip="192.0.2.9"), hammer(session, 5, name="ghost", ip="192.0.2.9")
    assert (refusal(session, "mei", "x", ip="192.0.2.9", now=known).args
            == refusal(session, "ghost", "x", ip="192.0.2.9", now=unknown).args)


def test_every_login_is_audited_with_its_ip(session, mei):
    refusal(session, "mei", "wrong-password", ip=OWNER)
    accounts.login(session, "mei", "right-password", ip=OWNER, now=NOW)
    rows = session.execute(select(AuditEntry.action, AuditEntry.ip)
                           .where(AuditEntry.action.like("user.log%")).order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in rows] == [("user.login_failed", OWNER), ("user.logged_in", OWNER)]


@pytest.mark.parametrize("current, new, field", [
    ("wrong-password", "a-new-password", "current_password"),
    ("right-password", "short", "new_password"),
])
def test_a_password_change_checks_the_current_password_and_the_length(session, mei, current, new, field):
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(session, mei, current, new)
    assert [p["field"] for p in caught.value.problems] == [field]
    assert check_password_hash(mei.password_hash, "right-password")


def test_a_changed_password_is_the_one_that_logs_in_and_ends_the_sessions(session, mei):
    version = mei.session_version
    accounts.change_password(session, mei, "right-password", "a-new-password")
    assert mei.session_version == version + 1
    assert accounts.login(session, "mei", "a-new-password", now=NOW) is mei
    assert str(refusal(session, "mei", "right-password")) == accounts.WRONG_LOGIN
