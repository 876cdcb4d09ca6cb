"""GET /api/companies/{id}/360: latency in a large database, and how it grows with the number of events.

Throwaway databases (SQLite files in a temporary directory; with --postgresql
also PostgreSQL databases created for the run and dropped afterwards) get
100,000 companies and one customer with 2,000 timeline items (1,500 behaviour
events, 300 orders, 150 payments, 49 returns and its creation), bulk-loaded with
executemany, not through the API. The other companies' events fill one database
up to 10,000 events in all and another up to 1,000,000. The 360 view is fetched
through Flask's test client with a bearer token of the salesperson who owns the
customer: p50/p95 of the first page and of a page deep in the timeline
(?before=), and the ratio p95(1M)/p95(10k). The two databases are measured in
interleaved rounds, so that a slower minute of a shared machine weighs on both.

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
ROUNDS = 5
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


def deep_url(client, headers: dict, company_id: int) -> str:
    """Return the URL of the timeline page ten pages down (or the last one)."""
    path = f"/api/companies/{company_id}/360"
    page = client.get(path, headers=headers)
    assert page.status_code == 200, page.get_json()
    url = path
    for _ in range(10):
        cursor = page.get_json()["timeline"]["next_before"]
        if cursor is None:
            break
        url = f"{path}?before={cursor}"
        page = client.get(url, headers=headers)
    return url


def timed(client, headers: dict, url: str, requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def summary(timings: list[float]) -> dict:
    return {"p50_ms": round(ms(percentile(timings, 50)), 2), "p95_ms": round(ms(percentile(timings, 95)), 2),
            "mean_ms": round(ms(statistics.mean(timings)), 2)}


class Database:
    """One throwaway database loaded to `events` events in all, with the app and a token on it."""

    def __init__(self, url: str, size: dict, events: int):
        migrations.upgrade(url)
        self.app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "bench"})
        engine, factory = self.app.extensions["db_engine"], self.app.extensions["session_factory"]
        with factory.begin() as session:
            owner = accounts.create_user(session, "bench-sales", "bench-password-1", groups=["sales"])
            self.headers = {"Authorization": f"Bearer {accounts.create_token(session, owner)}"}
            owner_id = owner.id
        rng = random.Random(7)
        started = time.perf_counter()
        with engine.begin() as connection:
            self.customer = load_companies(connection, size["companies"], owner_id)
            load_customer(connection, self.customer, size)
            load_events(connection, others(events - size["events"], size["companies"], self.customer, rng),
                        "other", rng)
            analyse(connection)
        self.load_seconds = time.perf_counter() - started
        self.client = self.app.test_client()
        self.urls = {"first_page": f"/api/companies/{self.customer}/360",
                     "deep_page": deep_url(self.client, self.headers, self.customer),
                     "company": f"/api/companies/{self.customer}"}
        for _ in range(20):
            self.client.get(self.urls["first_page"], headers=self.headers)

    def close(self) -> None:
        self.app.extensions["db_engine"].dispose()


def run(urls: tuple[str, str], size: dict, label: str) -> dict:
    """Load a database to 10,000 events and one to 1,000,000; time both in interleaved rounds."""
    small = Database(urls[0], size, size["small_events"])
    large = Database(urls[1], size, size["large_events"])
    timings = {(db, page): [] for db in ("small", "large") for page in ("first_page", "deep_page", "company")}
    round_ratios = []
    per_round = max(1, size["requests"] // ROUNDS)
    # Interleaved: the machine's speed drifts over minutes (and other work shares it); each round
    # measures both databases within seconds of each other, and the ratio is taken per round too.
    for number in range(ROUNDS):
        this_round = {}
        order = (("small", small), ("large", large))
        for name, db in order if number % 2 == 0 else order[::-1]:  # neither always goes first
            for page, url in db.urls.items():
                found = timed(db.client, db.headers, url, per_round)
                timings[(name, page)].extend(found)
                this_round[(name, page)] = percentile(found, 95)
        round_ratios.append(this_round[("large", "first_page")] / this_round[("small", "first_page")])
    figures = {key: summary(values) for key, values in timings.items()}
    small.close()
    large.close()
    ratio = figures[("large", "first_page")]["p95_ms"] / figures[("small", "first_page")]["p95_ms"]
    deep_ratio = figures[("large", "deep_page")]["p95_ms"] / figures[("small", "deep_page")]["p95_ms"]
    print(f"\n== {label}: {size['companies']:,} companies; the customer has "
          f"{size['events'] + size['orders'] + size['payments'] + size['returns'] + 1:,} timeline items")
    print("   measured as the salesperson owning the customer: a member, so every visibility filter applies")
    print(f"   loaded with executemany: {small.load_seconds:.1f} s ({size['small_events']:,} events), "
          f"{large.load_seconds:.1f} s ({size['large_events']:,} events); "
          f"{ROUNDS} interleaved rounds of {per_round} requests per page and database")
    for name, events in (("small", size["small_events"]), ("large", size["large_events"])):
        first, deep = figures[(name, "first_page")], figures[(name, "deep_page")]
        print(f"   at {events:>9,} events: first page p50 {first['p50_ms']:6.2f} ms  p95 {first['p95_ms']:6.2f} ms"
              f" | deep page (?before=) p50 {deep['p50_ms']:6.2f} ms  p95 {deep['p95_ms']:6.2f} ms")
    print(f"   ratio p95({size['large_events']:,}) / p95({size['small_events']:,}): first page {ratio:.2f}, "
          f"deep page {deep_ratio:.2f}; per round (first page) median {statistics.median(round_ratios):.2f}, "
          f"range {min(round_ratios):.2f}-{max(round_ratios):.2f}")
    baseline = figures[("large", "company")]
    print(f"   baseline, GET /api/companies/{{id}} (token check, one company, same app and database): "
          f"p50 {baseline['p50_ms']:.2f} ms, p95 {baseline['p95_ms']:.2f} ms; the 360 first page is "
          f"{figures[('large', 'first_page')]['p50_ms'] / baseline['p50_ms']:.1f}x that at p50")
    print(f"   targets: p95 <= {TARGET_P95_MS:.0f} ms, ratio <= {TARGET_RATIO}")
    return {"figures": figures, "ratio": ratio, "deep_ratio": deep_ratio, "round_ratios": round_ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--postgresql", action="store_true", help="also measure on PostgreSQL")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as directory:
        run((f"sqlite:///{Path(directory) / 'small.db'}", f"sqlite:///{Path(directory) / 'large.db'}"), size,
            "SQLite")
    if args.postgresql:
        problem = databases.postgres_problem()
        if problem:
            print(f"\nPostgreSQL not reachable ({problem}): measured SQLite only")
            return
        urls = (databases.create_postgres_database(), databases.create_postgres_database())
        try:
            run(urls, size, "PostgreSQL")
        finally:
            for url in urls:
                databases.drop_postgres_database(url)


if __name__ == "__main__":
    main()
