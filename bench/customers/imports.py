"""Import 100,000 companies and 300,000 contacts from CSV (target: <= 3x a bare executemany of the same rows).

For each backend, in one run:
- the import: the files generated here, each submitted and run as `flask import`
  runs it (customers.imports.submit + run_job): decoding, column recognition,
  every check (credit code, E.164 phones, emails, industries, amounts), matching,
  pinyin initials, one transaction, the report and its audit entry; the file is
  read and checked in a second process while this one writes (as every import of
  20,000 rows or more is), and once more with everything in this process;
- the baseline: the same rows, already in their stored form, inserted with bare
  executemany into the same tables of a fresh database of the same kind, once
  before and once after the import; the faster of the two is the baseline.
Then the same files imported again (every row unchanged), for the idempotent path.

Run: .venv/bin/python -m bench.customers.imports [--quick | --companies N] [--backend sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import os
import csv
import io
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert
from stdnum.cn import uscc

from core import migrations
from core.db import make_engine, make_session_factory, utcnow
from customers import imports, search
from customers.models import Company, CompanyExternalKey, Contact
from tests import databases

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
CITIES = [("广东省", "深圳"), ("北京市", "北京"), ("上海市", "上海"), ("浙江省", "杭州"), ("江苏省", "苏州"),
          ("四川省", "成都"), ("湖北省", "武汉"), ("福建省", "厦门")]
WORDS = "云海星河天地华信达通盛泰安康瑞丰宏远恒昌鼎新创联智博源"
SUFFIXES = ("科技有限公司", "贸易有限公司", "制造股份有限公司", "信息技术有限公司", "物流有限公司")
TITLES = ("采购经理", "总经理", "财务总监", "技术负责人", "销售代表")
MOBILE_PREFIXES = ("138", "139", "150", "186", "177", "135")


def credit_code(n: int) -> str:
    body = f"91440300MA{n:07d}"
    return body + uscc.calc_check_digit(body)


def generate(companies: int, contacts_per_company: int, seed: int = 13):
    """Return (company rows, contact rows), each a header and data rows of text as a file holds them."""
    rng = random.Random(seed)
    company_rows = [["name", "credit_code", "industry", "registered_capital", "founded_on", "province", "city",
                     "phone", "email", "website", "erp_code"]]
    names = set()
    for n in range(companies):
        province, city = CITIES[n % len(CITIES)]
        # Real names are one run of Chinese characters ("深圳云海星河科技有限公司"), no number in the middle.
        while (name := f"{city}{''.join(rng.choices(WORDS, k=3))}{rng.choice(SUFFIXES)}") in names:
            pass
        names.add(name)
        company_rows.append([name, credit_code(n), f"I{rng.choice((63, 64, 65))}", f"{rng.randint(1, 50000)}.00",
                             (date(1990, 1, 1) + timedelta(days=rng.randint(0, 12000))).isoformat(), province,
                             city, f"0755-{rng.randint(2000, 8999)}{rng.randint(1000, 9999)}",
                             f"info{n}@company{n}.cn", f"https://www.company{n}.cn", f"ERP-{n:06d}"])
    contact_rows = [["company", "name", "title", "email", "mobile"]]
    for n in range(companies):
        for k in range(contacts_per_company):
            contact_rows.append([credit_code(n), rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                                 rng.choice(TITLES), f"p{n}.{k}@company{n}.cn",
                                 f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"])
    return company_rows, contact_rows


def as_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def stored_rows(company_rows, contact_rows):
    """The rows as the tables store them (what the import makes of the files), for the bare executemany."""
    now = utcnow()
    companies, keys, contacts = [], [], []
    for n, row in enumerate(company_rows[1:], start=1):
        name, code, industry, capital, founded, province, city, phone, email, website, erp = row
        companies.append({"id": n, "name": name, "credit_code": code, "industry_section": industry[0],
                          "industry_division": industry[1:], "registered_capital": int(capital[:-3]) * 100,
                          "registered_capital_currency": "CNY", "founded_on": date.fromisoformat(founded),
                          "province": province, "city": city, "phone": "+86" + phone.replace("-", "")[1:],
                          "email": email, "website": website, "tags": [], "size_band": None, "address": None,
                          "owner_id": None, "created_at": now, "name_initials": search.initials(name)})
        keys.append({"company_id": n, "system": "erp", "key": erp})
    company_of = {row[1]: n for n, row in enumerate(company_rows[1:], start=1)}
    for row in contact_rows[1:]:
        code, name, title, email, mobile = row
        contacts.append({"company_id": company_of[code], "name": name, "title": title, "department": None,
                         "email": email, "mobile": "+86" + mobile, "wechat_id": None, "preferred_channel": None,
                         "created_at": now, "timezone": "Asia/Shanghai"})
    return companies, keys, contacts


def fresh_database(kind: str, directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}.db" if kind == "sqlite" else databases.create_postgres_database("bench_imp")
    migrations.upgrade(url)
    return url


ONE_PROCESS = imports.Limits(second_process_from_rows=10 ** 9)
# As every import of 20,000 rows or more is read when a core is idle; here whatever the machine's load.
TWO_PROCESSES = imports.Limits(second_process_when_busy=True)


def time_import(url: str, files: list[tuple[str, bytes]],
                limits: imports.Limits = imports.DEFAULT_LIMITS) -> tuple[float, list[dict]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    counts = []
    started = time.perf_counter()
    for kind, content in files:
        with factory.begin() as session:
            job_id = imports.submit(session, kind, f"{kind}.csv", content, limits=limits).id
        job = imports.run_job(factory, job_id, limits=limits)
        assert job.status == "done", job.error
        counts.append(job.counts)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, counts


def time_bare(url: str, companies, keys, contacts) -> float:
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(Company.__table__), companies)
        connection.execute(insert(CompanyExternalKey.__table__), keys)
        connection.execute(insert(Contact.__table__), contacts)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def bench(kind: str, company_rows, contact_rows, directory: Path) -> dict:
    files = [("companies", as_csv(company_rows)), ("contacts", as_csv(contact_rows))]
    prepared = stored_rows(company_rows, contact_rows)
    urls = [fresh_database(kind, directory, f"{kind}-import"), fresh_database(kind, directory, f"{kind}-bare"),
            fresh_database(kind, directory, f"{kind}-bare-2"), fresh_database(kind, directory, f"{kind}-one")]
    try:
        # The baseline before and after the import, the faster one counting: on a shared machine the
        # load moves, and the faster baseline makes the ratio no smaller than it is.
        bare = time_bare(urls[1], *prepared)
        imported, counts = time_import(urls[0], files, TWO_PROCESSES)
        one_process, _ = time_import(urls[3], files, ONE_PROCESS)
        bare = min(bare, time_bare(urls[2], *prepared))
        again, recounts = time_import(urls[0], files, ONE_PROCESS)
    finally:
        if kind == "postgresql":
            for url in urls:
                databases.drop_postgres_database(url)
    assert all(c["rejected"] == 0 for c in counts), counts
    assert all(c["unchanged"] == c["rows"] for c in recounts), recounts
    return {"backend": kind, "import_s": imported, "bare_executemany_s": bare, "ratio": imported / bare,
            "one_process_s": one_process, "one_process_ratio": one_process / bare,
            "reimport_unchanged_s": again, "rows": sum(c["rows"] for c in counts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 companies and 3,000 contacts")
    parser.add_argument("--companies", type=int, help="how many companies (3 contacts each); 100,000 unless told")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    args = parser.parse_args()
    companies = args.companies or (1_000 if args.quick else 100_000)
    company_rows, contact_rows = generate(companies, 3)
    print(f"{companies:,} companies and {len(contact_rows) - 1:,} contacts, CSV in UTF-8; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as directory:
        for kind in args.backend or ("sqlite", "postgresql"):
            if kind == "postgresql" and databases.postgres_problem():
                print("postgresql: not reachable, skipped")
                continue
            result = bench(kind, company_rows, contact_rows, Path(directory))
            print(f"{kind:>10}: bare executemany {result['bare_executemany_s']:.2f} s; import in one process "
                  f"{result['one_process_s']:.2f} s, ratio {result['one_process_ratio']:.2f}x; read in a second "
                  f"process {result['import_s']:.2f} s, ratio {result['ratio']:.2f}x (target <= 3x); re-import, "
                  f"all unchanged: {result['reimport_unchanged_s']:.2f} s")

if __name__ == "__main__":
    main()
