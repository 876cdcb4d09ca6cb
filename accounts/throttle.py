"""The login throttle: failed logins slow further attempts down; they never lock an account.

Failures are counted three ways, each with its own allowance and growth. The
(account, IP) pair grows fast: one address guessing one account's password. The
account grows slowly: many addresses on one account; its owner, logging in from
elsewhere, waits at most this short delay. The IP, across accounts, catches
password spraying. Past its allowance a counter makes the next attempt wait
1, 2, 4 … seconds after the last failure, up to its cap (pair: after 3 failures,
doubling each, at most 60 s; account: after 10, doubling every 5, at most 30 s;
IP: after 30, doubling each, at most 60 s), and forgets after
WINDOW without a failure. An attempt during a wait is refused without looking at
the password and without being counted, so hammering lengthens nobody's wait.
The counters live in the database, so every worker sees the same ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import LoginAttempt

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Rule:
    """Failures allowed before any wait, failures per doubling of the wait, and the longest wait (s)."""
    free: int
    per_doubling: int
    cap: int

    def delay(self, failures: int) -> int:
        """Return the seconds to wait after the last of `failures` failures."""
        if failures <= self.free:
            return 0
        return min(self.cap, 2 ** ((failures - self.free - 1) // self.per_doubling))


RULES = {"pair": Rule(free=3, per_doubling=1, cap=60),
         "account": Rule(free=10, per_doubling=5, cap=30),
         "ip": Rule(free=30, per_doubling=1, cap=60)}

_attempts = LoginAttempt.__table__


def wait_seconds(session: Session, name: str, ip: str | None, now: datetime) -> int:
    """Return how many seconds a login as `name` from `ip` must still wait (0: go ahead)."""
    wait = 0
    for row in session.execute(select(_attempts).where(_matching(name, ip))):
        if now - row.last_failure_at > WINDOW:
            continue
        until = row.last_failure_at + timedelta(seconds=RULES[row.scope].delay(row.failures))
        wait = max(wait, math.ceil((until - now).total_seconds()))
    return wait


def note_failure(session: Session, name: str, ip: str | None, now: datetime) -> None:
    """Count a failed login in each of its counters (one statement each, safe between workers)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for scope, key in _keys(name, ip).items():
        statement = insert(_attempts).values(scope=scope, key=key, failures=1, last_failure_at=now)
        statement = statement.on_conflict_do_update(index_elements=["scope", "key"], set_={
            "failures": case((_attempts.c.last_failure_at < now - WINDOW, 1),
                             else_=_attempts.c.failures + 1),
            "last_failure_at": now})
        session.execute(statement)


def note_success(session: Session, name: str, ip: str | None) -> None:
    """Forget the failures of this account from this address; the account's and the IP's decay alone."""
    keys = _keys(name, ip)
    if "pair" in keys:
        session.execute(delete(_attempts).where(_attempts.c.scope == "pair", _attempts.c.key == keys["pair"]))


def _keys(name: str, ip: str | None) -> dict[str, str]:
    account = name[:80]
    if not ip:
        return {"account": account}
    return {"account": account, "ip": ip[:64], "pair": f"{account}\n{ip}"[:200]}


def _matching(name: str, ip: str | None):
    return or_(*(and_(_attempts.c.scope == scope, _attempts.c.key == key)
                 for scope, key in _keys(name, ip).items()))
