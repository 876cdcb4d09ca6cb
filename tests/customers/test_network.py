"""The relationship network: links with their rules, the network for drawing, effective control and groups."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, insert, select

from accounts import Actor, create_token, create_user
from core import audit
from core.errors import Forbidden
from customers import network
from customers.models import Company, CompanyLink

TOLERANCE = 1e-6


def add_company(api, name, **fields) -> int:
    response = api.post("/api/companies", json={"name": name, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def link(api, kind, holder, held, expect=201, **fields):
    response = api.post("/api/company-links", json={"kind": kind, "from_company_id": holder,
                                                    "to_company_id": held, **fields})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def hold(api, holder, held, percent, expect=201, **fields):
    return link(api, "shareholder", holder, held, expect, percent=percent, **fields)


def errors(response, status=422):
    assert response.status_code == status, response.get_json()
    return {e.get("field"): e["message"] for e in response.get_json()["errors"]}


def figures(control: dict) -> dict[int, float]:
    return {h["company_id"]: h["effective_percent"] / 100 for h in control["holders"]}


@pytest.fixture
def cross_holding(api):
    """A holds 60 % of B, B 30 % of C, A 20 % of C, and C 10 % of B: a cycle between B and C."""
    a, b, c = (add_company(api["alice"], name) for name in ("甲控股", "乙实业", "丙科技"))
    hold(api["alice"], a, b, 60)
    hold(api["alice"], b, c, 30, source="工商登记")
    hold(api["alice"], a, c, 20)
    hold(api["alice"], c, b, 10)
    return a, b, c


def test_a_cross_holding_cycle_gives_the_exact_integrated_ownership(api, cross_holding):
    a, b, c = cross_holding
    # Walks into C that never return to their holder. C holds 10 % x 30 % = 3 % of itself through B, a
    # round that may repeat: everything reaching C through B or directly is worth 1 / (1 - 0.03) more.
    # A: directly (0.2), through B (0.6 x 0.3), and each round of C's own: (0.2 + 0.18) / 0.97.
    # B: its 30 % only; B -> C -> B -> C comes back to B.
    a_in_c = (0.2 + 0.6 * 0.3) / 0.97
    assert a_in_c == pytest.approx(0.2 + 0.6 * (0.3 / 0.97) + 0.2 * 0.1 * (0.3 / 0.97))  # the same, walk by walk
    shown = api["alice"].get(f"/api/companies/{c}/control").get_json()
    assert set(figures(shown)) == {a, b}
    assert figures(shown)[a] == pytest.approx(a_in_c, abs=TOLERANCE)
    assert figures(shown)[b] == pytest.approx(0.3, abs=TOLERANCE)
    assert [h["direct_percent"] for h in shown["holders"]] == [20.0, 30.0]  # A first: 39.18 % over 30 %
    assert shown["ultimate_controller"] == {"company_id": a, "name": "甲控股", "hidden": False,
                                            "effective_percent": pytest.approx(a_in_c * 100, abs=1e-4),
                                            "basis": "largest"}
    assert [h["company_id"] for h in shown["beneficial_holders"]] == [a, b]
    assert "walk" in shown["method"]
    # B holds 0.3 x 0.1 = 3 % of itself through C. A: directly (0.6) and through C (0.2 x 0.1), both / 0.97.
    shown = api["alice"].get(f"/api/companies/{b}/control").get_json()
    assert figures(shown)[a] == pytest.approx((0.6 + 0.2 * 0.1) / 0.97, abs=TOLERANCE)
    assert figures(shown)[c] == pytest.approx(0.1, abs=TOLERANCE)
    assert shown["ultimate_controller"]["basis"] == "majority"
    assert shown["ultimate_controller"]["company_id"] == a


def test_the_ultimate_controller_is_the_top_of_a_majority_chain(api):
    x, y, z = (add_company(api["alice"], name) for name in ("X集团", "Y公司", "Z公司"))
    hold(api["alice"], x, y, 80)
    hold(api["alice"], y, z, 80)
    shown = api["alice"].get(f"/api/companies/{z}/control").get_json()
    assert figures(shown) == {y: pytest.approx(0.8), x: pytest.approx(0.64)}
    assert (shown["ultimate_controller"]["company_id"], shown["ultimate_controller"]["basis"]) == (x, "majority")
    assert shown["group"]["controller_id"] == x and shown["group"]["member_ids"] == [x, y, z]


def test_without_a_majority_the_largest_holder_is_named_and_holders_from_25_percent_are_beneficial(api):
    held = add_company(api["alice"], "分散持股公司")
    holders = [add_company(api["alice"], f"股东{i}") for i in range(4)]
    for holder, percent in zip(holders, (30, 25, 20.5, 10.1234)):
        hold(api["alice"], holder, held, percent)
    shown = api["alice"].get(f"/api/companies/{held}/control").get_json()
    assert shown["ultimate_controller"]["company_id"] == holders[0]
    assert shown["ultimate_controller"]["basis"] == "largest"
    assert [h["company_id"] for h in shown["beneficial_holders"]] == holders[:2]
    assert [h["effective_percent"] for h in shown["holders"]] == [30.0, 25.0, 20.5, 10.1234]
    # Nobody controls it: it heads its own group, of itself alone.
    assert shown["group"] == {"controller_id": held, "member_ids": [held], "parent_links_agree": True,
                              "suggestion": None}


def test_a_company_nobody_holds_has_no_controller_and_heads_its_group(api):
    alone = add_company(api["alice"], "独立公司")
    shown = api["alice"].get(f"/api/companies/{alone}/control").get_json()
    assert (shown["holders"], shown["ultimate_controller"], shown["beneficial_holders"]) == ([], None, [])
    assert shown["group"]["controller_id"] == alone


def test_a_group_from_shareholdings_is_suggested_and_accepting_sets_the_parents(api, cross_holding, session):
    a, b, c = cross_holding
    d = add_company(api["alice"], "丁子公司", parent_id=c)  # filed under C, but A holds 70 % of it
    hold(api["alice"], a, d, 70)
    shown = api["alice"].get(f"/api/companies/{b}/control").get_json()
    assert shown["group"] == {"controller_id": a, "member_ids": [a, b, d], "parent_links_agree": False,
                              "suggestion": {"parent_id": a, "company_ids": [b, d]}}
    refused = api["alice"].post(f"/api/companies/{b}/group-suggestion/accept",
                                headers={"Authorization": f"Bearer {read_only_token(session, 'reader')}"})
    assert errors(refused, 403)
    accepted = api["alice"].post(f"/api/companies/{b}/group-suggestion/accept")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert (body["parent_id"], body["changed_company_ids"]) == (a, [b, d])
    assert body["control"]["group"]["parent_links_agree"] is True
    assert body["control"]["group"]["suggestion"] is None
    parents = {i: api["alice"].get(f"/api/companies/{i}").get_json()["parent_id"] for i in (b, d)}
    assert parents == {b: a, d: a}
    logged = audit.list_entries(session, audit.AuditQuery(object_type="company", object_id=str(d)))
    assert logged[0].action == "company.changed" and logged[0].changes == {"parent_id": [c, a]}
    assert logged[0].actor.name == "alice"
    again = api["alice"].post(f"/api/companies/{b}/group-suggestion/accept").get_json()
    assert again["changed_company_ids"] == []


def read_only_token(session, name: str) -> str:
    """Return a token of a new sales member that may read companies but change nothing."""
    user = create_user(session, name, f"{name}-password-1", groups=["sales"])
    token = create_token(session, user, scopes=["read"])
    session.commit()
    return token


def link_count(session) -> int:
    return session.scalar(select(func.count()).select_from(CompanyLink))


def test_shareholdings_over_100_percent_are_refused_and_nothing_is_written(api, session):
    held, first, second = (add_company(api["alice"], name) for name in ("目标公司", "大股东", "二股东"))
    hold(api["alice"], first, held, 60.5)
    before = (link_count(session), len(audit.list_entries(session, audit.AuditQuery(action="company_link.created"))))
    refused = errors(api["alice"].post("/api/company-links", json={
        "kind": "shareholder", "from_company_id": second, "to_company_id": held, "percent": 40}))
    assert "100.5 %" in refused["percent"]
    after = (link_count(session), len(audit.list_entries(session, audit.AuditQuery(action="company_link.created"))))
    assert after == before
    # A holding that begins when the other ends fits; one that overlaps it from a later day does not.
    mine = api["alice"].get(f"/api/companies/{held}/links").get_json()[0]
    assert api["alice"].patch(f"/api/company-links/{mine['id']}", json={"valid_to": "2030-01-01"}).status_code == 200
    hold(api["alice"], second, held, 100, valid_from="2030-01-01")
    later = add_company(api["alice"], "三股东")
    refused = errors(api["alice"].post("/api/company-links", json={
        "kind": "shareholder", "from_company_id": later, "to_company_id": held, "percent": 1,
        "valid_from": "2031-06-01"}))
    assert "101 %" in refused["percent"] and "2031-06-01" in refused["percent"]


@pytest.mark.parametrize("fields, field", [
    ({"kind": "owner", "percent": 5}, "kind"),
    ({"kind": "supplier", "percent": 5}, "percent"),
    ({"kind": "shareholder"}, "percent"),
    ({"kind": "shareholder", "percent": 0}, "percent"),
    ({"kind": "shareholder", "percent": 100.5}, "percent"),
    ({"kind": "shareholder", "percent": 12.34567}, "percent"),
    ({"kind": "shareholder", "percent": 10, "valid_from": "2026-02-01", "valid_to": "2026-01-01"}, "valid_to"),
    ({"kind": "supplier", "to_company_id": 2_000_000}, "to_company_id"),
    ({"kind": "supplier", "to_company_id": "self"}, "to_company_id"),
])
def test_a_bad_link_is_refused_naming_the_field(api, fields, field):
    one, other = add_company(api["alice"], "一号"), add_company(api["alice"], "二号")
    body = {"from_company_id": one, "to_company_id": other, **fields}
    if body["to_company_id"] == "self":
        body["to_company_id"] = one
    assert field in errors(api["alice"].post("/api/company-links", json=body))


def test_a_duplicate_current_link_is_a_conflict_and_symmetric_kinds_count_both_ways(api):
    one, other = add_company(api["alice"], "伙伴甲"), add_company(api["alice"], "伙伴乙")
    link(api["alice"], "partner", one, other)
    assert errors(api["alice"].post("/api/company-links", json={
        "kind": "partner", "from_company_id": other, "to_company_id": one}), 409)
    hold(api["alice"], one, other, 10)
    hold(api["alice"], one, other, 20, expect=409)


def test_companies_holding_each_other_wholly_are_refused(api):
    p, q = add_company(api["alice"], "环甲"), add_company(api["alice"], "环乙")
    hold(api["alice"], p, q, 100)
    assert "hold each other wholly" in errors(api["alice"].post("/api/company-links", json={
        "kind": "shareholder", "from_company_id": q, "to_company_id": p, "percent": 100}))["percent"]
    hold(api["alice"], q, p, 99.9999)
    # P's walks into Q may not come back to P: 100 %, however close to closed the ring is.
    assert figures(api["alice"].get(f"/api/companies/{q}/control").get_json()) == {
        p: pytest.approx(1.0, abs=TOLERANCE)}


def test_a_closed_ring_loaded_around_the_rule_still_gets_finite_figures(api, session):
    p, q, c = (add_company(api["alice"], name) for name in ("闭环甲", "闭环乙", "被持公司"))
    session.execute(insert(CompanyLink), [
        {"kind": "shareholder", "from_company_id": p, "to_company_id": q, "share_ppm": 1_000_000},
        {"kind": "shareholder", "from_company_id": q, "to_company_id": p, "share_ppm": 1_000_000},
        {"kind": "shareholder", "from_company_id": p, "to_company_id": c, "share_ppm": 500_000}])
    session.commit()
    shown = api["alice"].get(f"/api/companies/{c}/control").get_json()
    assert figures(shown) == {p: pytest.approx(0.5), q: pytest.approx(0.5)}


def test_a_member_sees_the_figures_of_a_holder_it_may_not_see_but_not_its_name(api, users):
    mine = add_company(api["alice"], "我的客户")
    theirs = add_company(api["admin"], "<script>alert(1)</script>控股")
    hold(api["admin"], theirs, mine, 75)
    assert errors(api["alice"].post("/api/company-links", json={
        "kind": "supplier", "from_company_id": theirs, "to_company_id": mine}))["from_company_id"]
    shown = api["alice"].get(f"/api/companies/{mine}/control").get_json()
    assert shown["holders"] == [{"company_id": theirs, "name": None, "hidden": True, "direct_percent": 75.0,
                                 "effective_percent": 75.0}]
    assert shown["ultimate_controller"]["name"] is None and shown["ultimate_controller"]["hidden"] is True
    drawn = api["alice"].get(f"/api/companies/{mine}/network").get_json()
    assert {n["record_id"]: (n["label"], n["hidden"]) for n in drawn["nodes"]} == {
        mine: ("我的客户", False), theirs: (None, True)}
    listed = api["alice"].get(f"/api/companies/{mine}/links").get_json()
    assert listed[0]["from"] == {"id": theirs, "name": None, "hidden": True}
    assert api["alice"].delete(f"/api/company-links/{listed[0]['id']}").status_code == 403
    # The admin sees the name, as the plain string it is.
    response = api["admin"].get(f"/api/companies/{mine}/control")
    assert response.content_type == "application/json"
    assert response.get_json()["holders"][0]["name"] == "<script>alert(1)</script>控股"


def test_the_network_follows_kinds_to_a_depth_and_draws_the_decision_chain(api):
    root, supplier, far, rival = (add_company(api["alice"], name) for name in ("中心", "供应商", "远方", "对手"))
    made = link(api["alice"], "supplier", supplier, root, source="ERP")
    link(api["alice"], "customer", far, supplier)
    link(api["alice"], "competitor", root, rival)
    one = api["alice"].get(f"/api/companies/{root}/network?depth=1").get_json()
    assert {n["record_id"] for n in one["nodes"]} == {root, supplier, rival}
    assert one["edges"][0] == {"id": f"company_link:{made['id']}", "kind": "supplier",
                               "from": f"company:{supplier}", "to": f"company:{root}", "percent": None,
                               "valid_from": None, "valid_to": None, "source": "ERP"}
    assert [n["root"] for n in one["nodes"]] == [True, False, False]
    two = api["alice"].get(f"/api/companies/{root}/network?depth=2&kinds=supplier,customer").get_json()
    assert {n["record_id"] for n in two["nodes"]} == {root, supplier, far}
    assert (two["depth"], two["kinds"], two["truncated"]) == (2, ["supplier", "customer"], False)
    boss, buyer = (contact(api["alice"], root, name) for name in ("王总", "李采购"))
    engineer = contact(api["alice"], supplier, "赵工")
    for kind, person, other in (("reports_to", buyer, boss), ("influences", engineer, buyer)):
        made = api["alice"].post("/api/contact-links", json={"kind": kind, "from_contact_id": person,
                                                             "to_contact_id": other})
        assert made.status_code == 201, made.get_json()
    drawn = api["alice"].get(
        f"/api/companies/{root}/network?depth=1&kinds=supplier,reports_to,influences").get_json()
    assert {n["id"] for n in drawn["nodes"] if n["type"] == "contact"} == {
        f"contact:{boss}", f"contact:{buyer}", f"contact:{engineer}"}
    assert {(e["kind"], e["from"], e["to"]) for e in drawn["edges"]} == {
        ("supplier", f"company:{supplier}", f"company:{root}"),
        ("reports_to", f"contact:{buyer}", f"contact:{boss}"),
        ("influences", f"contact:{engineer}", f"contact:{buyer}")}
    assert api["alice"].get(f"/api/contacts/{buyer}/links").get_json()[0]["kind"] == "reports_to"
    loop = api["alice"].post("/api/contact-links", json={"kind": "reports_to", "from_contact_id": boss,
                                                         "to_contact_id": buyer})
    assert "to_contact_id" in errors(loop)


def contact(api, company_id, name) -> int:
    response = api.post("/api/contacts", json={"company_id": company_id, "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.mark.parametrize("query, field", [("depth=99", "depth"), ("depth=0", "depth"), ("depth=two", "depth"),
                                          ("kinds=foo", "kinds"), ("kinds=supplier,,", "kinds"),
                                          ("colour=red", "colour")])
def test_bad_network_parameters_are_refused_naming_them(api, query, field):
    root = add_company(api["alice"], "查询公司")
    assert field in errors(api["alice"].get(f"/api/companies/{root}/network?{query}"))


def test_a_network_over_500_nodes_is_truncated(api, session, users):
    root = add_company(api["alice"], "大网中心")
    owner = session.get(Company, root).owner_id
    session.execute(insert(Company), [{"name": f"邻居{i:04d}", "owner_id": owner} for i in range(520)])
    ids = list(session.scalars(select(Company.id).where(Company.name.like("邻居%"))))
    session.execute(insert(CompanyLink), [{"kind": "supplier", "from_company_id": i, "to_company_id": root}
                                          for i in ids])
    session.commit()
    drawn = api["alice"].get(f"/api/companies/{root}/network?depth=1").get_json()
    assert drawn["truncated"] is True and len(drawn["nodes"]) == network.MAX_NODES
    node_ids = {n["id"] for n in drawn["nodes"]}
    assert all(e["from"] in node_ids and e["to"] in node_ids for e in drawn["edges"])


def test_writing_links_needs_companies_write(api, session):
    one, other = add_company(api["alice"], "权限甲"), add_company(api["alice"], "权限乙")
    made = link(api["alice"], "supplier", one, other)
    reader = {"Authorization": f"Bearer {read_only_token(session, 'viewer')}"}
    for method, path, body in (("post", "/api/company-links", {"kind": "partner", "from_company_id": one,
                                                              "to_company_id": other}),
                               ("patch", f"/api/company-links/{made['id']}", {"source": "x"}),
                               ("delete", f"/api/company-links/{made['id']}", None)):
        response = getattr(api["alice"], method)(path, json=body, headers=reader)
        assert response.status_code == 403, (method, response.get_json())
    reader_actor = Actor(1, "viewer", "member", frozenset({"sales"}), frozenset({"companies.read"}))
    with pytest.raises(Forbidden, match="companies.write"):
        network.add_company_link(session, kind="partner", from_company_id=one, to_company_id=other,
                                 actor=reader_actor)


def test_links_are_changed_ended_and_deleted_with_an_audit_trail(api, session):
    one, other = add_company(api["alice"], "审计甲"), add_company(api["alice"], "审计乙")
    made = hold(api["alice"], one, other, 10)
    changed = api["alice"].patch(f"/api/company-links/{made['id']}", json={"percent": 12.5, "source": "年报"})
    assert changed.get_json()["percent"] == 12.5
    network.end_company_link(session, made["id"])
    session.commit()
    assert api["alice"].get(f"/api/companies/{other}/links").get_json()[0]["is_current"] is False
    assert api["alice"].get(f"/api/companies/{other}/control").get_json()["holders"] == []
    assert api["alice"].delete(f"/api/company-links/{made['id']}").status_code == 204
    actions = [e.action for e in audit.list_entries(session, audit.AuditQuery(object_type="company_link",
                                                                              object_id=str(made["id"])))]
    assert actions == ["company_link.deleted", "company_link.changed", "company_link.changed",
                       "company_link.created"]
    logged = api["admin"].get(f"/api/audit?object_type=company_link&object_id={made['id']}").get_json()
    assert [e["action"] for e in logged] == actions


def test_effective_shares_match_the_walks_summed_one_by_one_on_a_tangle_of_cycles():
    from customers.control import effective_holders

    rng = random.Random(4)
    companies = range(1, 13)
    held = dict.fromkeys(companies, 0)
    holdings = []
    for holder in companies:
        for target in rng.sample(list(companies), 3):
            share = rng.randint(50_000, 300_000)
            if target != holder and held[target] + share <= 1_000_000:
                holdings.append((holder, target, share))
                held[target] += share
    for target in (1, 5, 9):
        expected = _walk_sums(holdings, target)
        found = effective_holders(holdings, target)
        assert set(found) == {h for h, share in expected.items() if share > 0}
        assert all(found[h] == pytest.approx(expected[h], abs=1e-9) for h in found)


def _walk_sums(holdings, target, length=400):
    """Sum, per holder, its walks into `target` that never come back to it, step by step up to `length` links."""
    sums = {}
    for holder in {h for h, _, _ in holdings}:
        if holder == target:
            continue
        ways, total = {holder: 1.0}, 0.0  # the walks' weight by where they are now
        for _ in range(length):
            step = {}
            for at, weight in ways.items():
                for source, to, ppm in holdings:
                    if source == at and to != holder:
                        step[to] = step.get(to, 0.0) + weight * ppm / 1_000_000
            total += step.get(target, 0.0)
            ways = step
        sums[holder] = total
    return sums
