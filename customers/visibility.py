"""Which companies an actor sees: by owner, through whatever other package registers a sight.

A company is in sight of its owner and their managers, of `companies.read.all`,
and of whoever a registered sight lets see it: crm registers "sees one of its
deals or tenders" when it is imported (customers never imports crm). Its contacts
go with it. Every list, report, search and export filters with these.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, as_actor
from accounts.visibility import actor_key, built_once, sees_all, visible_owner_ids
from core.errors import NotFound

from .models import Company

# (session, actor) -> SELECTs of one column of company ids the actor also sees through them.
CompanySight = Callable[[Session, Actor], list[Select]]
COMPANY_SIGHTS: list[CompanySight] = []


def register_sight(sight: CompanySight) -> None:
    """Let `sight` widen which companies an actor sees (once, however often it is registered)."""
    if sight not in COMPANY_SIGHTS:
        COMPANY_SIGHTS.append(sight)


def company_filter(session: Session, actor: Actor | None, company_id=Company.id) -> ColumnElement[bool] | None:
    """Return a condition on `company_id` for the companies `actor` sees; None when it sees all."""
    actor = as_actor(actor)
    if sees_all(actor, "companies"):
        return None
    sights = tuple(COMPANY_SIGHTS)

    def build() -> ColumnElement[bool]:
        owned = select(Company.id).where(Company.owner_id.in_(visible_owner_ids(session, actor)))
        return or_(company_id.in_(owned), *(company_id.in_(ids) for sight in sights
                                            for ids in sight(session, actor)))
    return built_once(("company_filter", company_id, sights, actor_key(session, actor)), build)


def only_visible(query, condition: ColumnElement[bool] | None):
    """Return `query` narrowed by a visibility condition (None: unchanged)."""
    return query if condition is None else query.where(condition)


def require_visible(session: Session, condition: ColumnElement[bool] | None, model, key, what: str) -> None:
    """Raise NotFound("no <what> <key>") unless the row of `model` with id `key` meets `condition`."""
    if condition is None:
        return
    statement = built_once(("require_visible", model, condition),
                           lambda: select(model.id).where(model.id == bindparam("visible_key"), condition))
    if session.scalar(statement, {"visible_key": key}) is None:
        raise NotFound(f"no {what} {key}")
