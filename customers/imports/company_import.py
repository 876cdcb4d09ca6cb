"""Importing companies: each row matched by credit code, then ERP code, then exact name; created, updated or unchanged.

"merged" counts a row that found its company by a weaker key than its
strongest one (a row with a credit code matched by ERP code or name, a row
with an ERP code matched by name): the file's record joined an existing one and
gave it the stronger key. Importing the same file again matches by that key and
changes nothing. An empty cell keeps what is stored.
"""
from __future__ import annotations

from functools import partial

from sqlalchemy import bindparam, func, insert, select, update

from .. import checks, search
from ..models import SIZE_BANDS
from . import values as v
from .base import COMPANIES, COMPANY_COLUMNS, ERP, KEYS, Companies, Field, Row, among, as_dicts, chunks, new_company

SIZE_WORDS = {"微型": "micro", "小型": "small", "中型": "medium", "大型": "large"}
MAX_DEPTH = 50
MATCH_ORDER = ("credit_code", "erp_code", "name")  # the keys a row finds its company by, strongest first


def _capital(cell, values: dict, column) -> int:
    return v.amount(cell, values["registered_capital_currency"] or "CNY", scale=column.scale)


FIELDS = (
    Field("name", 255, required=True),
    Field("credit_code", parse=partial(v.checked, check=checks.credit_code)),
    Field("industry", parse=v.industry),
    Field("registered_capital_currency", parse=partial(v.checked, check=checks.currency)),
    Field("registered_capital", parse=_capital, contextual=True),
    Field("founded_on", parse=lambda cell: v.checked(v.day(cell), checks.founded_on)),
    Field("province", 40), Field("city", 80),
    Field("phone", parse=partial(v.phone, field="phone")),
    Field("email", parse=partial(v.checked, check=checks.email)),
    Field("website", parse=partial(v.checked, check=checks.website)),
    Field("address", parse=partial(v.checked, check=checks.address)),
    Field("tags", parse=v.tag_list),
    Field("size_band", parse=partial(v.choice, choices=SIZE_BANDS, words=SIZE_WORDS)),
    Field("erp_code", 120), Field("parent", 255),
)


def complete(row: Row) -> dict | None:
    """Return the row's company values (None for empty cells), erp_code and parent, or None if it has problems."""
    if row.problems:
        return None
    values = row.values
    values["industry_section"], values["industry_division"] = values.pop("industry") or (None, None)
    return values


# Up to this many companies, a job reads every stored credit code, ERP code and name once (a few MB) and
# looks up in the database only the rows whose keys are among them: a first import of 100,000 companies into
# an empty table looks nothing up, where it would run three queries a batch that find nothing.
KEYS_READ_UP_TO = 300_000
KEYS_READ_FROM_ROWS = 1_000  # a smaller file looks its few keys up: reading them all would cost more


def _stored_keys(session) -> dict[str, set] | None:
    """Return every stored company key by field, or None when there are too many companies to hold them."""
    if session.scalar(select(func.count()).select_from(COMPANIES)) > KEYS_READ_UP_TO:
        return None
    keys = {"credit_code": set(), "erp_code": set(), "name": set()}
    for name, code in session.execute(select(COMPANIES.c.name, COMPANIES.c.credit_code)):
        keys["name"].add(name)
        if code:
            keys["credit_code"].add(code)
    keys["erp_code"].update(session.scalars(select(KEYS.c.key).where(KEYS.c.system == ERP)))
    return keys


class CompanyImport:
    """Writes the companies of a file batch by batch; parents are set once every row is in."""

    fields = ("name", "credit_code", "erp_code")

    def __init__(self, session, companies: Companies, report, owner_id):
        self.session, self.companies, self.report, self.owner_id = session, companies, report, owner_id
        self.seen = {field: {} for field in self.fields}  # field -> value -> first row with it
        self.parents: list[tuple[Row, int, str]] = []
        self.stored_keys: dict[str, set] | None | bool = False  # False: not decided yet (at the first batch)


    def unique(self, row: Row, values: dict) -> bool:
        for field in self.fields:
            value = values.get(field)
            if value is None:
                continue
            first = self.seen[field].setdefault(value, row.line)
            self.report.check("uniqueness", field, first == row.line)
            if first != row.line:
                row.problem(field, "uniqueness", f"{value} is on row {first} already", count=False)
        return not row.problems

    def write(self, batch: list[tuple[Row, dict]]) -> None:
        """Match, then insert the new companies and update the changed ones, in a few statements."""
        stored = self._stored(batch)
        new, changed, new_keys = [], [], []
        for row, values in batch:
            match, outcome = self._match(row, values, stored)
            if row.reject():
                continue
            if match is None:
                new.append((row, values))
                continue
            after = {c: values[c] if values.get(c) is not None else match[c] for c in COMPANY_COLUMNS}
            if values.get("tags") == [] and match["tags"]:
                after["tags"] = match["tags"]
            erp = values.get("erp_code")
            key_change = erp is not None and match["erp_code"] is None  # another code is refused in _match
            if key_change:
                new_keys.append({"company_id": match["id"], "system": ERP, "key": erp})
            if any(after[c] != match[c] for c in COMPANY_COLUMNS):
                after["b_id"] = match["id"]
                after["name_initials"] = match["name_initials"] if after["name"] == match["name"] \
                    else values.get("name_initials") or search.initials(after["name"])
                changed.append(after)
            elif not key_change and outcome != "merged":
                outcome = "unchanged"
            self.report.outcome(outcome)
            if values.get("parent"):
                self.parents.append((row, match["id"], values["parent"]))
        if new:
            # A plain executemany, then the ids by name (unique): with RETURNING, SQLAlchemy would send
            # multi-row VALUES statements that psycopg converts anew each time, five times slower.
            self.session.execute(insert(COMPANIES), [new_company(values, self.owner_id) for _, values in new])
            ids = {}
            for part in chunks([values["name"] for _, values in new]):
                ids.update(self.session.execute(select(COMPANIES.c.name, COMPANIES.c.id)
                                                .where(among(self.session, COMPANIES.c.name, part))).all())
            for row, values in new:
                company_id = ids[values["name"]]
                self.report.outcome("created")
                if values.get("erp_code"):
                    new_keys.append({"company_id": company_id, "system": ERP, "key": values["erp_code"]})
                if values.get("parent"):
                    self.parents.append((row, company_id, values["parent"]))
        if changed:
            self.session.execute(update(COMPANIES).where(COMPANIES.c.id == bindparam("b_id"))
                                 .values({c: bindparam(c) for c in (*COMPANY_COLUMNS, "name_initials")}), changed)
        if new_keys:
            self.session.execute(insert(KEYS), new_keys)
        if self.stored_keys is not None:
            # What this batch wrote is stored now: a later lookup must not take it for absent.
            for _, values in batch:
                for field in MATCH_ORDER:
                    if values.get(field):
                        self.stored_keys[field].add(values[field])
        for _, values in batch:
            for field in ("name", "credit_code", "erp_code"):
                if values.get(field):
                    self.companies.forget(values[field])

    def _stored(self, batch) -> dict:
        """Return the stored companies any row of the batch names: {(field, value): row mapping}.

        Keys are looked up strongest first; a row's weaker key is looked up only when the company its
        stronger key found does not hold it already (on a re-import: one query per batch, not three).
        """
        if self.stored_keys is False:
            self.stored_keys = _stored_keys(self.session) if len(batch) >= KEYS_READ_FROM_ROWS else None
        found: dict = {}
        columns = [COMPANIES.c.id, *(COMPANIES.c[c] for c in COMPANY_COLUMNS), COMPANIES.c.name_initials,
                   KEYS.c.key.label("erp_code")]
        base = select(*columns).outerjoin(KEYS, (KEYS.c.company_id == COMPANIES.c.id) & (KEYS.c.system == ERP))
        # By ERP code, from the keys to their companies: through the outer join SQLite would scan every
        # company for each query (the cost of a batch growing with the table), not use the (system, key) index.
        by_key = select(*columns).select_from(KEYS.join(COMPANIES, KEYS.c.company_id == COMPANIES.c.id)) \
            .where(KEYS.c.system == ERP)
        for position, (field, column) in enumerate((("credit_code", COMPANIES.c.credit_code),
                                                    ("erp_code", KEYS.c.key), ("name", COMPANIES.c.name))):
            wanted = set()
            known = None if self.stored_keys is None else self.stored_keys[field]
            for _, values in batch:
                value = values.get(field)
                if not value or (field, value) in found or (known is not None and value not in known):
                    continue
                holder = next((found[key] for key in ((f, values.get(f)) for f in MATCH_ORDER[:position])
                               if key in found), None)
                if holder is not None and holder[field] == value:
                    found[field, value] = holder
                else:
                    wanted.add(value)
            for part in chunks(wanted):
                query = by_key if field == "erp_code" else base
                for stored in as_dicts(self.session.execute(query.where(among(self.session, column, part)))):
                    found[field, stored[field]] = stored
        return found

    def _match(self, row: Row, values: dict, stored: dict):
        keys = [(f, values[f]) for f in MATCH_ORDER if values.get(f)]
        match = next((stored[key] for key in keys if key in stored), None)
        if match is None:
            return None, "created"
        by = next(f for f, value in keys if (f, value) in stored)
        for field, value in keys:
            other = stored.get((field, value))
            if other is not None and other["id"] != match["id"]:
                row.problem(field, "consistency", f"{value} is {other['name']}'s, but the row's "
                                                  f"{by} is {match['name']}'s", count=True)
            elif other is None and match[field] is not None and field != "name":
                row.problem(field, "consistency", f"{match['name']} has {field} {match[field]} already, "
                                                  f"not {value}", count=True)
        return match, ("merged" if by != keys[0][0] else "updated")

    def finish(self) -> None:
        """Set the parents the rows name, now that every company of the file exists; refuse a cycle."""
        if not self.parents:
            return
        self.companies.prefetch(ref for _, _, ref in self.parents)
        parent_of = dict(self.session.execute(select(COMPANIES.c.id, COMPANIES.c.parent_id)
                                              .where(COMPANIES.c.parent_id.is_not(None))).all())
        changes = []
        for row, company_id, ref in self.parents:
            parent_id = self.companies.find(ref)
            if parent_id is None:
                self._late_problem(row, f"no company {ref!r} (by credit code, ERP code or name)")
            elif self._closes_cycle(parent_of, company_id, parent_id):
                self._late_problem(row, f"{ref} is this company or one of its subsidiaries")
            elif parent_of.get(company_id) != parent_id:
                parent_of[company_id] = parent_id
                changes.append({"b_id": company_id, "parent_id": parent_id})
            else:
                self.report.check("consistency", "parent", True)
        if changes:
            self.session.execute(update(COMPANIES).where(COMPANIES.c.id == bindparam("b_id"))
                                 .values(parent_id=bindparam("parent_id")), changes)

    def _late_problem(self, row: Row, reason: str) -> None:
        # The company itself is in; only its parent is refused, and the report says so.
        column = row.columns["parent"].header
        self.report.check("consistency", "parent", False)
        self.report.reject(row.line, column, "consistency", f"{reason}; the parent was not set")

    @staticmethod
    def _closes_cycle(parent_of: dict, company_id: int, parent_id: int) -> bool:
        current, depth = parent_id, 0
        while current is not None and depth <= MAX_DEPTH:
            if current == company_id:
                return True
            current, depth = parent_of.get(current), depth + 1
        return depth > MAX_DEPTH
