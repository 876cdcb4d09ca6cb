"""Who owns and controls a company through shareholdings, however indirect, cross-held or circular.

Effective shareholding is integrated ownership: the sum, over every walk of
shareholder links from a holder to the company, of the product of the shares
along the walk. A walk may go round a cross-holding any number of times, through
the company itself too (what a company holds of itself through others makes
everybody else's part larger, as treasury shares do), but it never comes back to
the holder: what a holder holds of itself is not what it holds of others, and
counting it would give a holder in a ring more than 100 % of what it holds. Each
round multiplies by shares below 100 %, so the sums converge; they are the fixed
point

    eff(h -> c) = direct(h -> c) + sum over k of direct(h -> k) * eff(k -> c)

over the links not into h, solved on the company's upstream subgraph only (one
recursive query), strongly connected component by component in topological
order: outside a cycle one pass is exact; a cycle is solved exactly by
elimination (past MAX_EXACT members, by Gauss-Seidel iteration until no figure
moves by more than TOLERANCE), and a holder on a cycle once more without the
links into it. A ring of companies wholly held by each other has no outside
holder and its all-walk sums no limit; customers.links refuses to write one, and
one loaded around the rule still gets finite figures here, since no walk may
come back to its holder.
"""
from __future__ import annotations

import math
from datetime import date

import networkx as nx
from sqlalchemy import Date, Integer, and_, bindparam, case, exists, literal, or_, select, true
from sqlalchemy.orm import Session

from accounts.permissions import Actor, require
from accounts.visibility import built_once
from core.errors import Conflict, NotFound

from . import visibility
from .link_periods import PPM_PER_PERCENT, valid_on
from .models import FULL_SHARE_PPM, Company, CompanyLink

METHOD = ("integrated ownership: effective share = sum over all walks from the holder of the product of the "
          "shares along the walk, round cycles any number of times but never back through the holder itself "
          "(a convergent series, solved exactly per strongly connected component); current holdings only")
TOLERANCE = 1e-12
MAX_SWEEPS = 10_000
MAX_EXACT = 200  # members of a cycle solved by elimination: O(n^3) at worst, a few ms at this size
PIVOT_FLOOR = 1e-12
MAX_RETURNS = 40  # members of a cycle whose walks back to themselves come from one dense inverse
MAJORITY = 0.5
BENEFICIAL = 0.25

Holding = tuple[int, int, int]  # (holder, held, share in ppm)


def _reach(upward: bool):
    """Return the query of the shareholdings upstream (holders, their holders, ...) or downstream of a company.

    The walk's rows are the links themselves: each step joins the links into (or out of) the companies the
    last step reached, through the index on (to or from, kind), and no query over the whole table follows.
    UNION, not UNION ALL: a link met again adds no row, so a cycle ends the walk.
    """
    near, far = ((CompanyLink.to_company_id, CompanyLink.from_company_id) if upward
                 else (CompanyLink.from_company_id, CompanyLink.to_company_id))
    current = and_(CompanyLink.kind == "shareholder", CompanyLink.share_ppm.is_not(None),
                   valid_on(CompanyLink, bindparam("on", type_=Date)))
    # The link's id too: two links alike (loaded around the rules) are two holdings.
    columns = (CompanyLink.id, CompanyLink.from_company_id.label("holder"), CompanyLink.to_company_id.label("held"),
               CompanyLink.share_ppm.label("ppm"))
    walk = (select(*columns).where(near == bindparam("company_id", type_=Integer), current)
            .cte("walk", recursive=True))
    last = walk.c.holder if upward else walk.c.held
    walk = walk.union(select(*columns).join(walk, near == last).where(current))
    return select(walk.c.holder, walk.c.held, walk.c.ppm)


# Built once, with the company and the day as parameters: control() runs them on every call.
_UPSTREAM = _reach(True)
_tree = (select(Company.id).where(Company.id == bindparam("company_id", type_=Integer))
         .cte("tree", recursive=True))
_tree = _tree.union(select(Company.id).join(_tree, Company.parent_id == _tree.c.id))
# The shareholdings below a company and, marked by a null share (a shareholding has one), its subsidiaries
# by the parent links (any depth; UNION ends the walk on corrupted data too): one round trip for the group.
_GROUP = _reach(False).union_all(select(_tree.c.id, literal(None, Integer), literal(None, Integer)))
_IDS = bindparam("ids", expanding=True)
_HAS_SHAREHOLDINGS = select(or_(
    *(exists().where(end == bindparam("company_id", type_=Integer), CompanyLink.kind == "shareholder")
      for end in (CompanyLink.to_company_id, CompanyLink.from_company_id))))
_ALL_NAMES = select(Company.id, Company.name, true()).where(Company.id.in_(_IDS))


def _holdings(session: Session, company_id: int, on: date, *, upward: bool) -> list[Holding]:
    """Return the shareholdings upstream (holders, their holders, ...) or downstream of a company, in one query."""
    if upward:
        rows = session.execute(_UPSTREAM, {"company_id": company_id, "on": on})
        return [tuple(row) for row in rows]
    return _group_rows(session, company_id, on)[0]


def _group_rows(session: Session, company_id: int, on: date) -> tuple[list[Holding], set[int]]:
    """Return (the shareholdings downstream of a company, its subsidiaries by the parent links)."""
    holdings, subsidiaries = [], set()
    for holder, held, ppm in session.execute(_GROUP, {"company_id": company_id, "on": on}):
        if ppm is None:
            subsidiaries.add(holder)
        else:
            holdings.append((holder, held, ppm))
    return holdings, subsidiaries


def _solve(constant: dict[int, float],
           terms: dict[int, list[tuple[int, float]]]) -> tuple[dict[int, float], set[int], dict[int, float]]:
    """Solve v[n] = constant[n] + sum of w * v[m] over (m, w) in terms[n], for every node named.

    Returns:
        (v, the nodes on a cycle, {node on a cycle: 1 + the sum of its walks back to itself} where that
        is cheap to know); v is infinite on a cycle that holds all of itself.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(constant)
    graph.add_nodes_from(terms)
    graph.add_edges_from((m, n) for n, items in terms.items() for m, _ in items)
    condensed = nx.condensation(graph)
    value: dict[int, float] = {}
    cyclic: set[int] = set()
    returns: dict[int, float] = {}
    for part in nx.topological_sort(condensed):
        members = condensed.nodes[part]["members"]
        if len(members) == 1:
            (node,) = members
            value[node] = constant.get(node, 0.0) + sum(w * value[m] for m, w in terms.get(node, ()))
            continue
        cyclic |= members
        try:
            _iterate(members, constant, terms, value)
        except ArithmeticError:  # a ring wholly held by itself: walks round it never end
            value.update(dict.fromkeys(members, math.inf))
            continue
        if len(members) <= MAX_RETURNS:
            returns.update(_return_sums(sorted(members), terms))
    return value, cyclic, returns


def _return_sums(order: list[int], terms) -> dict[int, float]:
    """Return {node: the diagonal of (I - M)^-1}, M the cycle's own links: 1 + its walks back to itself.

    By Gauss-Jordan on the dense block; the cycle is small (MAX_RETURNS) and holds less than all of itself.
    """
    where = {node: i for i, node in enumerate(order)}
    size = len(order)
    matrix = [[0.0] * size + [1.0 if j == i else 0.0 for j in range(size)] for i in range(size)]
    for node in order:
        row = matrix[where[node]]
        row[where[node]] += 1.0
        for other, weight in terms.get(node, ()):
            if other in where:
                row[where[other]] -= weight
    for i in range(size):
        pivot_row = matrix[i]
        pivot = pivot_row[i]
        pivot_row[:] = [x / pivot for x in pivot_row]
        for j in range(size):
            factor = matrix[j][i]
            if j != i and factor:
                row = matrix[j]
                row[:] = [x - factor * y for x, y in zip(row, pivot_row)]
    return {node: matrix[i][size + i] for i, node in enumerate(order)}


def _iterate(members: set[int], constant, terms, value: dict[int, float]) -> None:
    """Solve one cycle's members; the others they depend on are solved already.

    Up to MAX_EXACT members by elimination, exact however close to 100 % the ring
    holds itself (where iteration would crawl); beyond, Gauss-Seidel to TOLERANCE.
    """
    order = sorted(members)
    if len(order) <= MAX_EXACT:
        _eliminate(order, constant, terms, value)
        return
    for node in order:
        value[node] = 0.0
    for _ in range(MAX_SWEEPS):
        moved = 0.0
        for node in order:
            new = constant.get(node, 0.0) + sum(w * value[m] for m, w in terms.get(node, ()))
            moved = max(moved, abs(new - value[node]))
            value[node] = new
        if moved <= TOLERANCE:
            return
    raise ArithmeticError("no limit")


def _eliminate(order: list[int], constant, terms, value: dict[int, float]) -> None:
    """Solve (I - M) v = b over `order` by Gaussian elimination on sparse rows.

    I - M is an M-matrix when the ring holds less than all of itself, so the
    diagonal pivots stay positive and no pivot search is needed; a vanishing
    pivot is the closed ring.
    """
    inside = set(order)
    rows, rhs = {}, {}
    for node in order:
        row, known = {node: 1.0}, constant.get(node, 0.0)
        for other, weight in terms.get(node, ()):
            if other in inside:
                row[other] = row.get(other, 0.0) - weight
            else:
                known += weight * value[other]
        rows[node], rhs[node] = row, known
    for i, pivot_node in enumerate(order):
        pivot_row = rows[pivot_node]
        pivot = pivot_row[pivot_node]
        if pivot < PIVOT_FLOOR:
            raise ArithmeticError("singular")
        for node in order[i + 1:]:
            row = rows[node]
            factor = row.pop(pivot_node, 0.0) / pivot
            if factor:
                for column, x in pivot_row.items():
                    if column != pivot_node:
                        row[column] = row.get(column, 0.0) - factor * x
                rhs[node] -= factor * rhs[pivot_node]
    for node in reversed(order):
        row = rows[node]
        value[node] = (rhs[node] - sum(x * value[c] for c, x in row.items() if c != node)) / row[node]


def effective_holders(holdings: list[Holding], company_id: int) -> dict[int, float]:
    """Return {holder: effective share of `company_id`, 0..1} over `holdings` (its upstream subgraph).

    A holder's walks may not come back to it (what it holds of itself is not what
    it holds of others). Every walk is a first passage after some walks back to
    the holder, so for a holder on a cycle: all walks = first passages x (1 + walks
    back); where the latter is not at hand, it is solved again without the links into it.
    """
    value, cyclic, returns = _solve(*_column(holdings, company_id, None))
    for holder in cyclic - {company_id}:
        if holder in returns:
            value[holder] /= returns[holder]
        else:
            value[holder] = _solve(*_column(holdings, company_id, holder))[0][holder]
    return _checked({node: share for node, share in value.items() if node != company_id and share > 0})


def _column(holdings: list[Holding], company_id: int, holder: int | None):
    """Return the system of every node's walks into `company_id`, none of them coming back to `holder`."""
    constant: dict[int, float] = {}
    terms: dict[int, list[tuple[int, float]]] = {}
    for source, held, ppm in holdings:
        if held == holder:
            continue
        share = ppm / FULL_SHARE_PPM
        terms.setdefault(source, []).append((held, share))  # h's walks through k go on as k's do
        if held == company_id:
            constant[source] = constant.get(source, 0.0) + share
    return constant, terms


def effective_holdings(holdings: list[Holding], holder_id: int) -> dict[int, float]:
    """Return {company: `holder_id`'s effective share of it} over `holdings` (its downstream subgraph)."""
    constant: dict[int, float] = {}
    terms: dict[int, list[tuple[int, float]]] = {}
    for holder, held, ppm in holdings:
        if held == holder_id:  # walks do not come back to the holder
            continue
        share = ppm / FULL_SHARE_PPM
        terms.setdefault(held, []).append((holder, share))  # what k holds of x counts as much as h holds of k
        if holder == holder_id:
            constant[held] = constant.get(held, 0.0) + share
    value = _solve(constant, terms)[0]
    return _checked({node: share for node, share in value.items() if node != holder_id and share > 0})


def _checked(shares: dict[int, float]) -> dict[int, float]:
    endless = sorted(node for node, share in shares.items() if not math.isfinite(share))
    if endless:
        raise Conflict("companies " + ", ".join(map(str, endless)) + " are held through a ring of companies "
                       "wholly holding each other: correct their shareholder links")
    return shares


def closed_rings(session: Session, company_id: int, on: date) -> list[set[int]]:
    """Return the rings through `company_id` whose members are wholly held by each other (none, normally)."""
    holdings = _holdings(session, company_id, on, upward=True)
    graph = nx.DiGraph((holder, held) for holder, held, _ in holdings)
    if company_id not in graph:
        return []
    ring = next(part for part in nx.strongly_connected_components(graph) if company_id in part)
    if len(ring) < 2:
        return []
    held_inside: dict[int, int] = {}
    for holder, held, ppm in holdings:
        if holder in ring and held in ring:
            held_inside[held] = held_inside.get(held, 0) + ppm
    return [ring] if all(held_inside.get(member, 0) >= FULL_SHARE_PPM for member in ring) else []


def _ultimate_controller(holdings: list[Holding], eff: dict[int, float]) -> tuple[int, str] | None:
    """Return (controller, basis): the top-most majority holder, else the largest holder; None without holders."""
    if not eff:
        return None
    best_first = sorted(eff, key=lambda h: (-eff[h], h))
    majority = [h for h in best_first if eff[h] > MAJORITY]
    if not majority:
        return best_first[0], "largest"
    # A majority holder that is itself majority-held is a link in the chain, not its end.
    tops = [h for h in majority
            if not any(share > MAJORITY for share in effective_holders(holdings, h).values())]
    return (tops or majority)[0], "majority"


def control(session: Session, company_id: int, actor: Actor | None = None, *, on: date | None = None,
            seen: bool = False) -> dict:
    """Return the company's holders, ultimate controller, beneficial holders and group (the /control JSON).

    Figures count every holding, names only those `actor` sees (None: the system sees all).
    `seen`: the caller has just checked that the company exists and `actor` sees it (the 360 view).

    Raises:
        NotFound: no such company, or `actor` does not see it.
        Conflict: a figure without limit (not met on data customers.links wrote, see module doc).
    """
    if not seen:
        visibility.require_visible(session, visibility.company_filter(session, actor), Company, company_id,
                                   "company")
    on = on or date.today()
    # Most companies hold and are held by nobody: one indexed probe spares them both walks.
    if seen and not session.scalar(_HAS_SHAREHOLDINGS, {"company_id": company_id}):
        return _report(company_id, on, [], {}, None, company_id, [company_id], [], {})
    upstream = _holdings(session, company_id, on, upward=True)
    eff = effective_holders(upstream, company_id)
    direct: dict[int, int] = {}
    for holder, held, ppm in upstream:
        if held == company_id:
            direct[holder] = direct.get(holder, 0) + ppm
    found = _ultimate_controller(upstream, eff)
    root = found[0] if found and found[1] == "majority" else company_id
    downstream, in_tree = _group_rows(session, root, on)
    controlled = effective_holdings(downstream, root)
    members = [root, *sorted(x for x, share in controlled.items() if share > MAJORITY)]
    outside = [member for member in members[1:] if member not in in_tree]
    # Only holders are named; the company itself is asked for to tell that it exists, unless known.
    wanted = {*eff} if seen else {*eff, root, company_id}
    names = _names(session, wanted, actor) if wanted else {}
    if not seen and company_id not in names:  # checked last: a company that exists costs no query of its own
        raise NotFound(f"no company {company_id}")
    holders = [{"company_id": h, **names[h], "direct_percent": direct.get(h, 0) / PPM_PER_PERCENT,
                "effective_percent": _percent(eff[h])} for h in sorted(eff, key=lambda h: (-eff[h], h))]
    return _report(company_id, on, holders, eff, found, root, members, outside, names)


def _report(company_id: int, on: date, holders: list[dict], eff: dict[int, float], found, root: int,
            members: list[int], outside: list[int], names: dict[int, dict]) -> dict:
    controller = None
    if found:
        controller = {"company_id": found[0], **names[found[0]], "effective_percent": _percent(eff[found[0]]),
                      "basis": found[1]}
    return {"company_id": company_id, "method": METHOD, "on": on.isoformat(), "holders": holders,
            "ultimate_controller": controller,
            "beneficial_holders": [h for h in holders if h["effective_percent"] >= BENEFICIAL * 100],
            "group": {"controller_id": root, "member_ids": members, "parent_links_agree": not outside,
                      "suggestion": {"parent_id": root, "company_ids": outside} if outside else None}}


def _percent(share: float) -> float:
    return round(share * 100, 6)


def _names(session: Session, ids: set[int], actor: Actor | None) -> dict[int, dict]:
    """Return {id: {"name", "hidden"}}: the name if `actor` sees the company, else None and hidden."""
    condition = visibility.company_filter(session, actor)
    query = _ALL_NAMES if condition is None else built_once(("control._names", condition), lambda: select(
        Company.id, Company.name, case((condition, True), else_=False)).where(Company.id.in_(_IDS)))
    rows = session.execute(query, {"ids": list(ids)})
    return {i: {"name": name if is_seen else None, "hidden": not is_seen} for i, name, is_seen in rows}


def accept_group_suggestion(session: Session, company_id: int, *, actor: Actor | None = None) -> dict:
    """Put the companies the shareholdings say belong to the group under its controller (parent_id).

    Each change goes through customers.companies.update_company: its cycle check and audit apply.
    Accepting when the parent links agree changes nothing.

    Returns:
        {"parent_id", "changed_company_ids", "control": the /control JSON afterwards}
    """
    from .companies import update_company

    require(actor, "companies.write")
    suggestion = control(session, company_id, actor)["group"]["suggestion"]
    changed = []
    if suggestion is not None:
        for member in suggestion["company_ids"]:
            update_company(session, member, {"parent_id": suggestion["parent_id"]}, actor=actor)
            changed.append(member)
    return {"parent_id": suggestion and suggestion["parent_id"], "changed_company_ids": changed,
            "control": control(session, company_id, actor)}
