"""Which process instances an actor sees: the cases they own, manage or work on.

An instance is in sight of its owner (the data's `owner`, else who started it),
of the managers of the owner's teams, of whoever started it, and of everybody who
works on it: the assignee or a candidate of one of its open tasks, and whoever
completed one of its tasks. A holder of `<kind>.read.all` sees every instance of
that kind: deals, tenders and contracts hang on instances and are seen through them.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, as_actor
from accounts.visibility import actor_key, built_once, sees_all, visible_owner_ids
from core.errors import NotFound

from .models import HumanTask, ProcessInstance, TaskGroup


def instance_filter(session: Session, actor: Actor | None, kind: str = "instances",
                    instance_id=ProcessInstance.id) -> ColumnElement[bool] | None:
    """Return a condition on `instance_id` for the instances `actor` sees; None when it sees all.

    Args:
        kind: whose `.read.all` permission opens everything: instances, deals, tenders, contracts.
        instance_id: the column to filter, e.g. Opportunity.instance_id for a list of deals.
    """
    actor = as_actor(actor)
    if sees_all(actor, kind) or sees_all(actor, "instances"):
        return None
    return built_once(("instance_filter", instance_id, actor_key(session, actor)),
                      lambda: _instance_filter(actor, visible_owner_ids(session, actor), instance_id))


def _instance_filter(actor: Actor, owners: frozenset[int], instance_id) -> ColumnElement[bool]:
    seen = (select(ProcessInstance.id)
            .where(or_(ProcessInstance.owner_id.in_(owners), ProcessInstance.started_by_id == actor.id)))
    return or_(instance_id.in_(seen), _works_on(actor, instance_id))


def _works_on(actor: Actor, instance_id) -> ColumnElement[bool]:
    in_my_groups = (exists().where(TaskGroup.task_id == HumanTask.id,
                                   TaskGroup.group_name.in_(actor.group_names))
                    if actor.group_names else false())
    # As tasks.may_work_on: an unclaimed task is open to its groups, or to all when it names none.
    may_take = HumanTask.assignee_id.is_(None) & (in_my_groups
                                                  | ~exists().where(TaskGroup.task_id == HumanTask.id))
    return exists().where(HumanTask.instance_id == instance_id,
                          or_(HumanTask.assignee_id == actor.id, HumanTask.completed_by_id == actor.id,
                              and_(HumanTask.status == "open", may_take)))


def is_visible(session: Session, actor: Actor | None, instance_id: int, kind: str = "instances") -> bool:
    """Tell whether `actor` sees the instance with `instance_id`."""
    condition = instance_filter(session, actor, kind)
    if condition is None:
        return True
    return session.scalar(select(ProcessInstance.id).where(ProcessInstance.id == instance_id, condition)) \
        is not None


def require_visible(session: Session, actor: Actor | None, instance_id: int | None, what: str,
                    key, kind: str = "instances") -> None:
    """Raise NotFound("no <what> <key>") unless `actor` sees the instance: out of sight is not found."""
    if instance_id is None or not is_visible(session, actor, instance_id, kind):
        raise NotFound(f"no {what} {key}")
