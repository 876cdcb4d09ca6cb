"""customers.network.control over a 10,000-company shareholding graph with cycles (target: p95 <= 20 ms).

The graph, seeded so every run builds the same one:
- a forest of groups: each group a tree 3 to 6 levels deep, every company but
  the top held 51-90 % by its parent (so each group has a majority chain);
- cross-holdings of 1-15 %: 10 % of the companies below a top hold a part of
  their parent or grandparent (a cycle in the group), and 4 % of all companies
  get a holder drawn from the whole graph (two such between groups close a
  cycle across them); a holding is only added while its company stays at or
  under 100 % held;
- stored in a real, throwaway database migrated to head (SQLite file in a temp
  directory; PostgreSQL too with --postgres), links written in bulk.

Measured per backend: control() of >= 500 random companies (actor None, one
session), and as the baseline, in the same run, a plain SELECT of the same
company's direct holders; p50/p95 of each and their ratio. control_cpu_p95_ms
is this process's CPU time (on SQLite the queries' too): on a shared machine
the wall-clock tail is mostly waiting for a core.

Run: .venv/bin/python -m bench.customers.control [--quick] [--postgres]
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import date
from pathlib import Path

import networkx as nx
from sqlalchemy import insert, select, text

from bench.engine import ms, percentile
from core import migrations
from core.db import make_engine, make_session_factory
from customers import network
from customers.control import _holdings
from customers.models import FULL_SHARE_PPM, Company, CompanyLink
from tests.databases import create_postgres_database, drop_postgres_database

SEED = 13
TARGET_P95_MS = 20.0
CYCLE_RATE, ACROSS_RATE = 0.10, 0.04


def generate(count: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Return (companies, shareholder links) of the forest of groups with cross-holdings described above."""
    companies, links, held, group_of, parent_of = [], [], {}, {}, {}
    groups: list[list[int]] = []
    while len(companies) < count:
        members, level = [], []
        top = len(companies) + 1
        companies.append({"id": top, "name": f"集团{top:05d}"})
        members.append(top)
        level = [top]
        for _ in range(rng.randint(2, 5)):  # 3 to 6 levels with the top
            below = []
            for parent in level:
                for _ in range(rng.randint(1, 3)):
                    if len(companies) >= count or len(members) >= 40:
                        break
                    child = len(companies) + 1
                    companies.append({"id": child, "name": f"公司{child:05d}"})
                    share = rng.randint(510_000, 900_000)
                    links.append(_holding(parent, child, share))
                    held[child], parent_of[child] = share, parent
                    members.append(child)
                    below.append(child)
            level = below or level
        for member in members:
            group_of[member] = len(groups)
        groups.append(members)
    ids = [c["id"] for c in companies]
    pairs = {(link["from_company_id"], link["to_company_id"]) for link in links}
    for company in ids:
        ancestors = _ancestors(company, parent_of)
        if ancestors and rng.random() < CYCLE_RATE:  # holds a part of its parent or grandparent: a cycle
            _cross_hold(company, rng.choice(ancestors[:2]), rng, links, pairs, held)
        if rng.random() < ACROSS_RATE:  # held by a company of any group
            _cross_hold(rng.choice(ids), company, rng, links, pairs, held)
    return companies, links


def _ancestors(company: int, parent_of: dict[int, int]) -> list[int]:
    chain = []
    while company in parent_of:
        company = parent_of[company]
        chain.append(company)
    return chain


def _cross_hold(holder: int, target: int, rng: random.Random, links, pairs, held) -> None:
    """Add a holding of 1-15 % unless it is to itself, there is one already, or it takes `target` over 100 %."""
    share = rng.randint(10_000, 150_000)
    if holder == target or (holder, target) in pairs or held.get(target, 0) + share > FULL_SHARE_PPM:
        return
    links.append(_holding(holder, target, share))
    pairs.add((holder, target))
    held[target] = held.get(target, 0) + share


def _holding(holder: int, held: int, ppm: int) -> dict:
    return {"kind": "shareholder", "from_company_id": holder, "to_company_id": held, "share_ppm": ppm,
            "source": "bench"}


def measure(url: str, count: int, samples: int) -> dict:
    """Build the graph in the database at `url`, then time control() and the baseline on random companies."""
    rng = random.Random(SEED)
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        companies, links = generate(count, rng)
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(insert(Company), companies)
            connection.execute(insert(CompanyLink), links)
        loaded_s = time.perf_counter() - started
        if engine.dialect.name == "postgresql":  # the planner's statistics, as autovacuum keeps them
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        sessions = make_session_factory(engine)
        picks = rng.sample(range(1, count + 1), min(samples, count))
        with sessions() as session:
            for company_id in picks[:20]:  # warm caches and the statement cache
                network.control(session, company_id)
            timed, cpu, baseline, upstream, cyclic = [], [], [], [], 0
            direct = select(CompanyLink.from_company_id, CompanyLink.share_ppm).where(
                CompanyLink.kind == "shareholder")
            for company_id in picks:
                started = time.perf_counter()
                session.execute(direct.where(CompanyLink.to_company_id == company_id)).all()
                baseline.append(time.perf_counter() - started)
                started, started_cpu = time.perf_counter(), time.process_time()
                result = network.control(session, company_id)
                timed.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                session.expunge_all()
                upstream.append(len(result["holders"]))
            for company_id in picks:
                holdings = _holdings(session, company_id, date.today(), upward=True)
                cyclic += _has_cycle(holdings)
        p95, base95 = percentile(timed, 95), percentile(baseline, 95)
        return {"companies": count, "shareholder_links": len(links), "load_s": round(loaded_s, 2),
                "samples": len(picks), "upstream_with_a_cycle": cyclic,
                "holders_mean": round(sum(upstream) / len(upstream), 1), "holders_max": max(upstream),
                "control_p50_ms": round(ms(percentile(timed, 50)), 3), "control_p95_ms": round(ms(p95), 3),
                "control_cpu_p95_ms": round(ms(percentile(cpu, 95)), 3),
                "baseline_p50_ms": round(ms(percentile(baseline, 50)), 3), "baseline_p95_ms": round(ms(base95), 3),
                "ratio_p95": round(p95 / base95, 1), "target_p95_ms": TARGET_P95_MS,
                "meets_target": ms(p95) <= TARGET_P95_MS}
    finally:
        engine.dispose()


def _has_cycle(holdings) -> bool:
    """Tell whether the company's upstream holds a cycle (its control is computed through one)."""
    return not nx.is_directed_acyclic_graph(nx.DiGraph((holder, held) for holder, held, _ in holdings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 companies, 100 samples: a smoke run")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args()
    count, samples = (1_000, 100) if args.quick else (10_000, 500)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        results["sqlite"] = measure(f"sqlite:///{Path(workdir) / 'control.db'}", count, samples)
    print("sqlite", json.dumps(results["sqlite"], ensure_ascii=False))
    if args.postgres:
        url = create_postgres_database("dealflow_bench")
        try:
            results["postgresql"] = measure(url, count, samples)
        finally:
            drop_postgres_database(url)
        print("postgresql", json.dumps(results["postgresql"], ensure_ascii=False))
    return 0 if all(r["meets_target"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
