"""GET /api/companies over 100,000 companies: search by name, initials and codes, filters, pages.

The companies, seeded so every run builds the same ones: Chinese names of a
city, two to four random characters and a suffix (pinyin initials filled by
customers.search.initials, as the services do), a valid-looking credit code on
half of them, an ERP code on half, an alias on 5 %, a province, city, size band
and zero to two tags each. Stored in a throwaway database migrated to head
(SQLite file in a temp directory; PostgreSQL too with --postgres), in bulk.

Measured per backend, each query 200 times (100 with --quick) through
customers.companies.search_companies (one page of 50 and the total count, as
the route runs them), and the whole HTTP route for a name search through the
Flask test client with a token; as the baseline, in the same run, the bare
`SELECT ... ORDER BY name LIMIT 50` plus `SELECT count(*)` with no condition.
Text search is LIKE: contains for names and aliases (a scan of the table: no
index serves '%text%'), prefix for initials and codes. The issue sets no figure
for the list; these are for the README.

Run: .venv/bin/python -m bench.customers.company_list [--quick] [--postgres]
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

import accounts
from app import create_app
from bench.engine import ms, percentile
from core import migrations
from core.db import make_engine, make_session_factory
from customers import companies, search
from customers.models import Company, CompanyAlias, CompanyExternalKey
from tests.databases import create_postgres_database, drop_postgres_database

SEED = 17
CITIES = [("广东省", "广州"), ("广东省", "深圳"), ("江苏省", "南京"), ("浙江省", "杭州"), ("北京市", "北京"),
          ("上海市", "上海"), ("四川省", "成都"), ("湖北省", "武汉"), ("山东省", "济南"), ("福建省", "厦门")]
CHARACTERS = "华为中兴腾讯阿里巴移动联通电信国网建设科技信息数据智能云网络软件电子机械制造能源化工医药物流贸易"
SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司", "集团有限公司"]
TAGS = ["重点客户", "运营商", "外资", "政府", "制造业"]


def generate(count: int, rng: random.Random) -> tuple[list[dict], list[dict], list[dict]]:
    """Return (companies, ERP keys, aliases) as described above; names are unique."""
    rows, keys, aliases, names = [], [], [], set()
    while len(rows) < count:
        province, city = rng.choice(CITIES)
        name = city + "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(2, 4))) + rng.choice(SUFFIXES)
        if name in names:
            name = f"{name}{len(rows)}"
        names.add(name)
        n = len(rows) + 1
        rows.append({"id": n, "name": name, "name_initials": search.initials(name), "province": province,
                     "city": city, "size_band": rng.choice(("micro", "small", "medium", "large")),
                     "credit_code": f"91{n:016d}" if n % 2 else None,
                     "industry_section": rng.choice("CFIJ"), "tags": rng.sample(TAGS, rng.randint(0, 2))})
        if n % 2 == 0:
            keys.append({"company_id": n, "system": "erp", "key": f"C-{n:06d}"})
        if n % 20 == 0:
            aliases.append({"company_id": n, "name": f"旧{name}", "source": "import"})
    return rows, keys, aliases


def queries(count: int) -> dict[str, dict]:
    """Return the list queries timed: name, initials and code searches, filters, a page deep in the list."""
    return {"no_filter": {}, "name_contains": {"q": "科技"}, "name_rare": {"q": "华为中兴"},
            "initials": {"q": "gzhw"}, "credit_code_prefix": {"q": "9100000000000012"},
            "erp_code": {"q": f"C-{count // 2:06d}"}, "province_size": {"province": "广东省", "size_band": "large"},
            "tag": {"tag": "运营商"}, "q_and_filters": {"q": "sz", "city": "深圳", "tag": "外资"},
            "deep_page": {"page": count // 100}}


def measure(url: str, count: int, repeats: int) -> dict:
    """Load the companies into the database at `url`, then time each query and the baseline."""
    rng = random.Random(SEED)
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        rows, keys, aliases = generate(count, rng)
        started = time.perf_counter()
        with engine.begin() as connection:
            for table, values in ((Company, rows), (CompanyExternalKey, keys), (CompanyAlias, aliases)):
                for at in range(0, len(values), 10_000):
                    connection.execute(insert(table), values[at:at + 10_000])
        loaded_s = time.perf_counter() - started
        if url.startswith("postgresql"):
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        sessions = make_session_factory(engine)
        results = {"companies": count, "load_s": round(loaded_s, 2), "repeats": repeats}
        with sessions() as session:
            base = _timed(repeats, lambda: (session.scalar(select(func.count()).select_from(Company)),
                                            session.scalars(select(Company).order_by(Company.name).limit(50)).all()))
            base95 = percentile(base, 95)
            results["baseline_p50_ms"], results["baseline_p95_ms"] = _ms(percentile(base, 50)), _ms(base95)
            for label, query in queries(count).items():
                found = companies.search_companies(session, **query)
                times = _timed(repeats, lambda: (companies.search_companies(session, **query),
                                                 session.expunge_all()))
                results[label] = {"total": found.total, "p50_ms": _ms(percentile(times, 50)),
                                  "p95_ms": _ms(percentile(times, 95)),
                                  "ratio_p95": round(percentile(times, 95) / base95, 1)}
        results["api_name_search"] = _api(url, repeats, base95)
        return results
    finally:
        engine.dispose()


def _api(url: str, repeats: int, base95: float) -> dict:
    """Time GET /api/companies?q=科技 (a contains-search, the slowest kind) through the whole route."""
    app = create_app({"TESTING": True, "DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "bench"})
    with app.extensions["session_factory"].begin() as session:
        user = accounts.create_user(session, "bench-admin", "bench-password-1", role="admin")
        token = accounts.create_token(session, user)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    times = _timed(repeats, lambda: client.get("/api/companies?q=科技&per_page=50", headers=headers))
    app.extensions["db_engine"].dispose()
    return {"p50_ms": _ms(percentile(times, 50)), "p95_ms": _ms(percentile(times, 95)),
            "ratio_p95": round(percentile(times, 95) / base95, 1)}


def _timed(repeats: int, call) -> list[float]:
    for _ in range(3):  # warm the caches and the statement cache
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def _ms(seconds: float) -> float:
    return round(ms(seconds), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 companies, 50 repeats: a smoke run")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args()
    count, repeats = (5_000, 50) if args.quick else (100_000, 200)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        results["sqlite"] = measure(f"sqlite:///{Path(workdir) / 'companies.db'}", count, repeats)
    print("sqlite", json.dumps(results["sqlite"], ensure_ascii=False))
    if args.postgres:
        url = create_postgres_database("dealflow_bench_list")
        try:
            results["postgresql"] = measure(url, count, repeats)
        finally:
            drop_postgres_database(url)
        print("postgresql", json.dumps(results["postgresql"], ensure_ascii=False))
    return 0  # the issue sets no figure for the list: the numbers are for the README


if __name__ == "__main__":
    raise SystemExit(main())
