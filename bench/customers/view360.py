"""GET /api/companies/{id}/360: latency in a large database, and how it grows with the number of events.

A throwaway database (a SQLite file in a temporary directory; with --postgresql
also a PostgreSQL database created for the run and dropped afterwards) gets
100,000 companies and one customer with 2,000 timeline items (1,500 behaviour
events, 300 orders, 150 payments, 49 returns and its creation), bulk-loaded with
executemany, not through the API. The other companies' events are loaded in two
steps: up to 10,000 events in all, then up to 1,000,000. After each step the
360 view is fetched through Flask's test client with a bearer token of the
salesperson who owns the customer: p50/p95 of the first page and of a page deep
in the timeline (?before=), and the ratio p95(1M)/p95(10k).

Targets (issue 13): p95 <= 50 ms, ratio <= 1.5.

Run: .venv/bin/python -m bench.customers.view360 [--quick] [--postgresql]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

import accounts
from app import create_app
from bench.engine import ms, percentile
from core import migrations
from customers.models import BehaviourEvent, Company, Order, OrderReturn, Payment
from tests import databases

FULL = {"companies": 100_000, "small_events": 10_000, "large_events": 1_000_000, "requests": 300,
        "events": 1_500, "orders": 300, "payments": 150, "returns": 49}
QUICK = {"companies": 2_000, "small_events": 10_000, "large_events": 60_000, "requests": 60,
         "events": 150, "orders": 30, "payments": 15, "returns": 4}
TYPES = ("web_visit", "trial_log", "campaign", "email_open", "download")
BATCH = 50_000
TARGET_P95_MS, TARGET_RATIO = 50.0, 1.5
NOW = datetime.now(timezone.utc)


def load_companies(connection, count: int, owner_id: int) -> int:
    """Insert `count` companies (the first owned by `owner_id`) and return the customer's id."""
    rows = [{"name": f"基准公司{n:06d}", "name_initials": "jzgs", "owner_id": owner_id if n == 0 else None,
             "created_at": NOW - timedelta(days=800), "registered_capital_currency": "CNY", "tags": []}
            for n in range(count)]
    for start in range(0, count, BATCH):
        connection.execute(insert(Company.__table__), rows[start:start + BATCH])
    return connection.execute(text("SELECT id FROM companies WHERE name = :n"), {"n": "基准公司000000"}).scalar()


def load_customer(connection, company_id: int, size: dict) -> None:
    """Give the customer its own orders, payments, returns and events: 2,000 timeline items in the full run."""
    rng = random.Random(13)
    day = date.today() - timedelta(days=700)
    connection.execute(insert(Order.__table__), [
        {"company_id": company_id, "number": f"SO-{n}", "ordered_on": day + timedelta(days=n % 700),
         "amount": rng.randint(1, 10**8), "currency": "CNY", "status": "confirmed", "created_at": NOW}
        for n in range(size["orders"])])
    connection.execute(insert(Payment.__table__), [
        {"company_id": company_id, "reference": f"PAY-{n}", "kind": "refund" if n % 10 == 0 else "payment",
         "paid_on": day + timedelta(days=n % 700), "amount": rng.randint(1, 10**7), "currency": "CNY",
         "created_at": NOW} for n in range(size["payments"])])
    connection.execute(insert(OrderReturn.__table__), [
        {"company_id": company_id, "reference": f"RET-{n}", "returned_on": day + timedelta(days=n % 700),
         "amount": rng.randint(1, 10**6), "currency": "CNY", "created_at": NOW} for n in range(size["returns"])])
    load_events(connection, [company_id] * size["events"], "customer", rng)


def load_events(connection, company_ids: list[int], prefix: str, rng: random.Random) -> None:
    """Insert one event per entry of `company_ids`, at random times over the last two years."""
    for start in range(0, len(company_ids), BATCH):
        connection.execute(insert(BehaviourEvent.__table__), [
            {"source": "bench", "external_id": f"{prefix}-{start + n}", "company_id": company_id,
             "type": TYPES[(start + n) % len(TYPES)], "received_at": NOW,
             "occurred_at": NOW - timedelta(seconds=rng.randint(0, 730 * 86400))}
            for n, company_id in enumerate(company_ids[start:start + BATCH])])


def others(count: int, companies: int, customer_id: int, rng: random.Random) -> list[int]:
    """Return `count` random company ids other than the customer (ids are customer_id .. + companies - 1)."""
    return [customer_id + rng.randint(1, companies - 1) for _ in range(count)]


def analyse(connection) -> None:
    # PostgreSQL's autovacuum gathers planner statistics as a database runs; SQLite has none until
    # someone runs ANALYZE, and the app never does.
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE"))


def measure(client, headers: dict, company_id: int, requests: int) -> dict:
    """Time the first page and a deep page of the 360 view; return p50/p95 in ms of each."""
    path = f"/api/companies/{company_id}/360"
    first = client.get(path, headers=headers)
    assert first.status_code == 200, first.get_json()
    deep = first.get_json()
    for _ in range(10):  # a cursor ten pages down the timeline
        if deep["timeline"]["next_before"] is None:
            break
        deep = client.get(f"{path}?before={deep['timeline']['next_before']}", headers=headers).get_json()
    deep_path = f"{path}?before={deep['timeline']['next_before']}" if deep["timeline"]["next_before"] else path
    for _ in range(20):
        client.get(path, headers=headers)
    figures = {}
    for name, url in (("first_page", path), ("deep_page", deep_path)):
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        figures[name] = {"p50_ms": round(ms(percentile(timings, 50)), 2),
                         "p95_ms": round(ms(percentile(timings, 95)), 2),
                         "mean_ms": round(ms(statistics.mean(timings)), 2)}
    figures["timeline_items_on_first_page"] = len(first.get_json()["timeline"]["items"])
    return figures


def run(url: str, size: dict, label: str) -> dict:
    """Load and measure on the database at `url` (already created, empty)."""
    migrations.upgrade(url)
    app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "bench"})
    engine, factory = app.extensions["db_engine"], app.extensions["session_factory"]
    with factory.begin() as session:
        owner = accounts.create_user(session, "bench-sales", "bench-password-1", groups=["sales"])
        token = accounts.create_token(session, owner)
        owner_id = owner.id
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    started = time.perf_counter()
    with engine.begin() as connection:
        customer = load_companies(connection, size["companies"], owner_id)
        load_customer(connection, customer, size)
        load_events(connection, others(size["small_events"] - size["events"], size["companies"], customer, rng),
                    "small", rng)
        analyse(connection)
    loaded_small = time.perf_counter() - started
    client = app.test_client()
    small = measure(client, headers, customer, size["requests"])
    started = time.perf_counter()
    with engine.begin() as connection:
        load_events(connection, others(size["large_events"] - size["small_events"], size["companies"], customer,
                                       rng), "large", rng)
        analyse(connection)
    loaded_large = time.perf_counter() - started
    large = measure(client, headers, customer, size["requests"])
    engine.dispose()
    ratio = large["first_page"]["p95_ms"] / small["first_page"]["p95_ms"]
    deep_ratio = large["deep_page"]["p95_ms"] / small["deep_page"]["p95_ms"]
    print(f"\n== {label}: {size['companies']:,} companies; the customer has "
          f"{size['events'] + size['orders'] + size['payments'] + size['returns'] + 1:,} timeline items")
    print(f"   loaded in {loaded_small:.1f} s (to {size['small_events']:,} events) "
          f"+ {loaded_large:.1f} s (to {size['large_events']:,} events), executemany")
    for name, figures in ((f"{size['small_events']:,} events", small), (f"{size['large_events']:,} events", large)):
        print(f"   at {name:>18}: first page p50 {figures['first_page']['p50_ms']:6.2f} ms  "
              f"p95 {figures['first_page']['p95_ms']:6.2f} ms | deep page (?before=) "
              f"p50 {figures['deep_page']['p50_ms']:6.2f} ms  p95 {figures['deep_page']['p95_ms']:6.2f} ms")
    print(f"   ratio p95({size['large_events']:,}) / p95({size['small_events']:,}): first page {ratio:.2f}, "
          f"deep page {deep_ratio:.2f}   (targets: p95 <= {TARGET_P95_MS:.0f} ms, ratio <= {TARGET_RATIO})")
    return {"small": small, "large": large, "ratio": ratio, "deep_ratio": deep_ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--postgresql", action="store_true", help="also measure on PostgreSQL")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as directory:
        run(f"sqlite:///{Path(directory) / 'bench.db'}", size, "SQLite")
    if args.postgresql:
        problem = databases.postgres_problem()
        if problem:
            print(f"\nPostgreSQL not reachable ({problem}): measured SQLite only")
            return
        url = databases.create_postgres_database()
        try:
            run(url, size, "PostgreSQL")
        finally:
            databases.drop_postgres_database(url)


if __name__ == "__main__":
    main()
