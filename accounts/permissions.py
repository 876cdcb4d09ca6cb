"""Who may do what: permissions named by what they allow, granted to roles and to groups.

A role (admin, designer, member) carries a fixed set; a group carries what the
`group_permissions` table grants it (the migration seeds the bundled groups:
legal, directors, integrations). An `Actor` holds the union, narrowed by the
scopes of the token it came with, and answers `can(permission)`. Which objects
it may see is the other half, row-level visibility, in `accounts.visibility`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from core.audit import record
from core.errors import Forbidden, InvalidInput

from .models import GroupPermission, User

PERMISSIONS: dict[str, str] = {
    "processes.read": "list process definitions, their versions and diagrams",
    "processes.deploy": "deploy BPMN and DMN files as new process versions",
    "processes.start": "start process instances of a process key",
    "instances.read": "see the instances one owns, works on or manages as a team's manager",
    "instances.read.all": "see every process instance, its data and its history",
    "instances.variables.set": "set process variables that the process does not protect, with a reason",
    "instances.repair": "retry failed instances and repair their data, protected variables included",
    "tasks.work": "claim, give back and complete the tasks one may work on",
    "messages.send": "deliver messages and signals to the process instances waiting for them",
    "companies.read": "see the companies and contacts one owns or has deals with",
    "companies.read.all": "see every company and contact",
    "companies.write": "create and change companies and contacts one may see, and their relationships",
    "companies.import": "import companies, contacts, relationships, orders, payments and events from files",
    "companies.export": "export the companies and contacts one may see as CSV or XLSX",
    "companies.merge": "merge duplicate companies and contacts one may see, and dismiss duplicate candidates",
    "transactions.write": "record orders, payments, refunds and returns of companies one may see",
    "events.write": "send batches of behaviour events (web visits, trials, campaign replies)",
    "deals.read": "see the deals one owns, works on or manages",
    "deals.read.all": "see every deal",
    "deals.write": "open deals and change the committees of deals one may see",
    "tenders.read": "see the tenders one owns, works on or manages",
    "tenders.read.all": "see every tender",
    "tenders.write": "open tenders",
    "reports.read": "read funnel, forecast and win/loss reports over the deals one may see",
    "contracts.read": "see the contracts of deals one may see, and their PDFs",
    "contracts.read.all": "see every contract in the archive",
    "contracts.verify": "verify the signatures of an uploaded PDF",
    "contracts.draft": "draft a contract for a deal one may see",
    "contracts.seal": "seal a drafted contract with the company's seal",
    "contracts.send": "create a personal signing link for the customer's signer",
    "contracts.record_signature": "record a customer's signature made elsewhere, by uploading the signed PDF",
    "signing.manage": "import the company certificate, add trust roots, revoke certificates",
    "users.manage": "create, disable and enable users, and list or revoke anybody's tokens",
    "audit.read": "read and export the audit log",
}

_MEMBER = frozenset({
    "processes.read", "processes.start", "instances.read", "tasks.work",
    "companies.read", "companies.write", "deals.read", "deals.write", "tenders.read", "tenders.write",
    "reports.read", "contracts.read", "contracts.verify",
})
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "member": _MEMBER,
    "designer": _MEMBER | {"processes.deploy"},
    "admin": frozenset(PERMISSIONS),
}
# What the migrations of permissions (0010, 0016, 0017) grant the bundled groups; kept here for the docs and tests.
DEFAULT_GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "legal": ("contracts.draft", "contracts.seal", "contracts.send", "contracts.record_signature",
              "contracts.read.all"),
    "sales": ("contracts.send",),
    "directors": ("deals.read.all", "tenders.read.all", "companies.read.all", "instances.read.all",
                  "contracts.read.all", "audit.read", "companies.export", "companies.merge"),
    "integrations": ("instances.read.all", "instances.variables.set", "deals.read.all",
                     "companies.read.all", "companies.import", "events.write", "transactions.write",
                     "messages.send"),
    # Data stewards: they bring customer data in, keep it clean and take it out.
    "data": ("companies.read.all", "companies.import", "companies.export", "companies.merge",
             "transactions.write"),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, as far as rights and the audit trail need to know.

    Every request authenticates; loading the ORM `User` with its groups for that
    costs more than a whole engine step, so the token is checked with plain
    queries into this value. Routes that change or show the user load the `User`.
    `ip` is where the request came from, for the audit log.
    """
    id: int
    name: str
    role: str
    group_names: frozenset[str]
    permissions: frozenset[str] = field(default=frozenset())
    ip: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        """Tell whether this actor holds `permission`."""
        return permission in self.permissions


def permissions_of(session: Session, role: str, group_names) -> frozenset[str]:
    """Return what a user of `role` in `group_names` may do."""
    granted = set(session.scalars(select(GroupPermission.permission)
                                  .where(GroupPermission.group_name.in_(sorted(group_names))))) \
        if group_names else set()
    return role_and_group_permissions(role, granted)


def role_and_group_permissions(role: str, group_grants) -> frozenset[str]:
    """Return the permissions of `role` together with those its groups grant (unknown names dropped)."""
    return frozenset((ROLE_PERMISSIONS.get(role, frozenset()) | set(group_grants)) & PERMISSIONS.keys())


def actor_for_user(session: Session, user: User, *, ip: str | None = None) -> Actor:
    """Return the Actor of a logged-in `user` (a page session)."""
    groups = frozenset(user.group_names)
    return Actor(user.id, user.name, user.role, groups, permissions_of(session, user.role, groups), ip)


def as_actor(actor: Actor | User | None) -> Actor | None:
    """Return `actor` as an Actor: commands and jobs act as an ORM User, requests as an Actor."""
    if isinstance(actor, User):
        return actor_for_user(object_session(actor), actor)
    return actor


def require(actor: Actor | User | None, permission: str) -> None:
    """Raise Forbidden unless `actor` holds `permission`; None is the system itself, which may do all."""
    if actor is None:
        return
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if not as_actor(actor).can(permission):
        raise Forbidden(f"you need the permission {permission!r} ({PERMISSIONS[permission]})")


def grant(session: Session, group_name: str, permission: str, *, actor: Actor | None) -> None:
    """Grant `permission` to every member of `group_name`."""
    require(actor, "users.manage")
    _check_known(permission)
    if session.get(GroupPermission, (group_name, permission)) is None:
        session.add(GroupPermission(group_name=group_name, permission=permission))
        session.flush()
        record(session, "permission.granted", actor=actor,
               detail={"group": group_name, "permission": permission})


def revoke(session: Session, group_name: str, permission: str, *, actor: Actor | None) -> None:
    """Take `permission` away from `group_name` (its members may still hold it by role)."""
    require(actor, "users.manage")
    _check_known(permission)
    found = session.get(GroupPermission, (group_name, permission))
    if found is not None:
        session.delete(found)
        session.flush()
        record(session, "permission.revoked", actor=actor,
               detail={"group": group_name, "permission": permission})


def _check_known(permission: str) -> None:
    if permission not in PERMISSIONS:
        message = f"unknown permission {permission!r}; `flask group show` lists them"
        raise InvalidInput(message, [{"message": message, "field": "permission"}])
