"""Data governance figures: completeness and validity per field over what the caller sees, and the page."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from accounts.models import User
from customers import duplicates
from customers.models import Company, Contact
from tests.web.test_pages import login, token

VALID_CODE = "91350100M000100Y43"


def field(figures, name):
    return next(f for f in figures["fields"] if f["field"] == name)


def seed(session):
    """Four companies of alice's (stored as a bulk load would, unchecked) and one of bob's."""
    alice, bob = (session.scalar(select(User.id).where(User.name == n)) for n in ("alice", "bob"))
    rows = [
        Company(name="甲", owner_id=alice, credit_code=VALID_CODE, phone="+8613800138000", email="a@jia.cn",
                founded_on=date(2001, 1, 1), industry_division="65", website="https://jia.cn"),
        Company(name="乙", owner_id=alice, credit_code="91350100M000100Y44", phone="12345", email="not-mail",
                founded_on=date.today() + timedelta(days=30), industry_division="99", website="ftp://yi"),
        Company(name="丙", owner_id=alice, phone="", size_band="small"),
        Company(name="丁", owner_id=alice, size_band="huge"),
        Company(name="戊", owner_id=bob, credit_code="bad"),
    ]
    session.add_all(rows)
    session.flush()
    session.add_all([Contact(company_id=rows[0].id, name="李伟", mobile="+8613800138000", email="li@jia.cn"),
                     Contact(company_id=rows[0].id, name="王芳", mobile="+86123"),
                     Contact(company_id=rows[4].id, name="赵强", email="zhao@wu.cn")])
    session.commit()
    return rows


def test_the_figures_count_filled_and_valid_values_of_what_the_caller_sees(api, session):
    seed(session)
    report = api["alice"].get("/api/data-quality").get_json()
    companies = report["companies"]
    assert companies["count"] == 4
    assert field(companies, "credit_code") == {"field": "credit_code", "filled": 2, "valid": 1,
                                               "completeness": 0.5, "validity": 0.5}
    assert field(companies, "phone") == {"field": "phone", "filled": 2, "valid": 1, "completeness": 0.5,
                                         "validity": 0.5}
    assert [(field(companies, n)["filled"], field(companies, n)["valid"]) for n in (
        "email", "founded_on", "industry_division", "website", "size_band", "name", "address")] == [
        (2, 1), (2, 1), (2, 1), (2, 1), (2, 1), (4, 4), (0, 0)]
    assert field(companies, "address")["validity"] is None
    contacts = report["contacts"]
    assert contacts["count"] == 2
    assert field(contacts, "mobile") == {"field": "mobile", "filled": 2, "valid": 1, "completeness": 1.0,
                                         "validity": 0.5}
    assert field(contacts, "email")["filled"] == 1
    every = api["admin"].get("/api/data-quality").get_json()
    assert (every["companies"]["count"], every["contacts"]["count"]) == (5, 3)
    assert field(every["companies"], "credit_code")["valid"] == 1
    assert report["duplicates"] == {"companies": 0, "contacts": 0}


def test_the_page_shows_the_figures_and_the_review_list_with_names_as_text(api, client, session):
    rows = seed(session)
    session.add_all([Company(name="<script>alert(1)</script>有限公司", owner_id=rows[0].owner_id),
                     Company(name="<script>alert(1)</script>股份有限公司", owner_id=rows[0].owner_id)])
    session.commit()
    duplicates.scan(session, "companies")
    session.commit()
    assert login(client, "admin", "admin-pass-1").status_code in (302, 303)
    page = client.get("/data-quality")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in html
    assert 'name="csrf_token"' in html and "credit_code" in html
    [pair] = duplicates.list_candidates(session, "companies")
    merged = client.post("/data-quality/merge", data={"kind": "companies", "into_id": pair[0].left_id,
                                                      "from_id": pair[0].right_id,
                                                      "csrf_token": token(client, "/data-quality")})
    assert merged.status_code in (302, 303)
    assert api["admin"].get(f"/api/companies/{pair[0].right_id}").status_code == 404


def test_the_page_needs_a_login(client):
    response = client.get("/data-quality")
    assert response.status_code in (302, 303, 401)
