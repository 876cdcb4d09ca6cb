"""The inbox's tabs, filters and sorting over the open tasks a person may work on.

The engine answers which tasks someone may work on; what a person wants to see
of them right now (whose, which process, which stage, how urgent) is shaped here
from the query string, so that every view of the inbox is a link one can share.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

TABS = ("mine", "groups", "unassigned", "all")
DUE_FILTERS = ("overdue", "today", "week", "none")
PRIORITY_FILTERS = ("high", "normal", "low")
SORTS = ("due", "priority", "created", "stage", "customer")
NORMAL_PRIORITY = 50
PER_PAGE = 50  # an admin sees every open task: a thousand of them come in pages


@dataclass
class InboxQuery:
    tab: str = ""  # empty: the first tab with something in it
    process: str = ""
    stage: str = ""
    customer: str = ""
    due: str = ""
    priority: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> InboxQuery:
        """Read the query string, ignoring values that are not offered."""
        def pick(name, allowed, default=""):
            value = args.get(name, default)
            return value if value in allowed else default

        return cls(tab=pick("tab", TABS), process=args.get("process", "")[:255],
                   stage=args.get("stage", "")[:255], customer=args.get("customer", "").strip()[:255],
                   due=pick("due", DUE_FILTERS), priority=pick("priority", PRIORITY_FILTERS),
                   sort=pick("sort", SORTS, "due"), page=_page_number(args.get("page")))

    def args(self, **changes) -> dict:
        """Return the query as URL arguments, with `changes`, leaving out empty ones."""
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items()
                if v and not (k == "sort" and v == "due") and not (k == "page" and v == 1)}

    @property
    def is_filtered(self) -> bool:
        return any((self.process, self.stage, self.customer, self.due, self.priority))


@dataclass
class Inbox:
    tasks: list
    counts: dict
    processes: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    total: int = 0  # tasks in the chosen tab that match the filters, on all pages
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _page_number(value) -> int:
    # A page number typed wrong or out of range shows the first page rather than an error.
    return int(value) if value and value.isdigit() and 0 < int(value) < 10**6 else 1


def customer_of(row) -> str:
    """Return the customer a task is for: the deal's company, else the business key."""
    data = row.instance.data or {}
    return str(data.get("customer") or data.get("company") or row.instance.business_key or "")


def is_overdue(row, now: datetime) -> bool:
    """Tell whether the task's due time has passed."""
    return row.due_at is not None and row.due_at < now


def build_inbox(rows: list, user, query: InboxQuery, now: datetime) -> Inbox:
    """Count the tabs, then filter and sort the chosen tab's tasks.

    Without a chosen tab, the first one with tasks in it is shown (and chosen in `query`):
    one's own work first, then the groups' work waiting to be taken.
    """
    in_tab = {tab: [r for r in rows if _in_tab(r, tab, user)] for tab in TABS}
    if not query.tab:
        query.tab = next((tab for tab in TABS if in_tab[tab]), TABS[0])
    shown = [r for r in in_tab[query.tab] if _matches(r, query, now)]
    shown.sort(key=_sort_key(query.sort))
    last_page = max(1, -(-len(shown) // PER_PAGE))
    query.page = min(query.page, last_page)  # past the end (tasks were done meanwhile): the last page
    start = (query.page - 1) * PER_PAGE
    return Inbox(tasks=shown[start:start + PER_PAGE], counts={tab: len(found) for tab, found in in_tab.items()},
                 processes=sorted({r.instance.process_key for r in rows}),
                 stages=_stages_in_order(rows), total=len(shown), page=query.page)


def _in_tab(row, tab: str, user) -> bool:
    if tab == "mine":
        return row.assignee_id == user.id
    if tab == "groups":
        return row.assignee_id is None and bool(set(row.group_names) & user.group_names)
    if tab == "unassigned":
        return row.assignee_id is None
    return True


def _matches(row, query: InboxQuery, now: datetime) -> bool:
    if query.process and row.instance.process_key != query.process:
        return False
    if query.stage and row.stage != query.stage:
        return False
    if query.customer and query.customer.casefold() not in customer_of(row).casefold():
        return False
    if query.due and not _due_matches(row.due_at, query.due, now):
        return False
    if query.priority == "high":
        return row.priority > NORMAL_PRIORITY
    if query.priority == "normal":
        return row.priority == NORMAL_PRIORITY
    if query.priority == "low":
        return row.priority < NORMAL_PRIORITY
    return True


def _due_matches(due_at, due: str, now: datetime) -> bool:
    if due == "none":
        return due_at is None
    if due_at is None:
        return False
    if due == "overdue":
        return due_at < now
    limit = now + (timedelta(days=1) if due == "today" else timedelta(days=7))
    return due_at < limit


def _sort_key(sort: str):
    far = datetime.max.replace(tzinfo=None)

    def due(row):
        return row.due_at.replace(tzinfo=None) if row.due_at else far

    keys = {
        "due": lambda r: (due(r), -r.priority),
        "priority": lambda r: (-r.priority, due(r)),
        "created": lambda r: r.created_at.replace(tzinfo=None),
        "stage": lambda r: (_stage_index(r), due(r)),
        "customer": lambda r: (customer_of(r).casefold() or "\uffff", due(r)),
    }
    return keys[sort]


def _stage_index(row) -> int:
    stages = row.instance.definition.stages or []
    return stages.index(row.stage) if row.stage in stages else len(stages)


def _stages_in_order(rows) -> list[str]:
    order = {}
    for row in rows:
        for index, stage in enumerate(row.instance.definition.stages or []):
            order.setdefault(stage, (row.instance.process_key, index))
        if row.stage:
            order.setdefault(row.stage, (row.instance.process_key, 999))
    present = {r.stage for r in rows if r.stage}
    return sorted((s for s in order if s in present), key=lambda s: order[s])
