"""What permission checks add to a task completion (target: p50 <= 0.3 ms), on SQLite.

Two ways, in one run:
- the pieces: the route's permission check (declare_permissions' before_request,
  which calls accounts.require), and the token lookup with the group grants joined
  against the same lookup without them (the query before permissions existed);
- the whole: REST completions with the checks on and with the route check taken
  off, in interleaved rounds, p50 of each and the difference.

Run: .venv/bin/python -m bench.access
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from accounts import tokens
from bench.engine import Backend, ms, percentile, warm_up

ROUNDS, COMPLETIONS, SAMPLES = 5, 200, 2000


def time_token_lookups(backend: Backend, token: str) -> dict:
    """p50 of actor_for_token with grants against the same query without the grants join."""
    without_grants = select(*[c for c in tokens._TOKEN_HOLDER.selected_columns if c.name != "permission"]) \
        .join_from(tokens._tokens, tokens._users, tokens._tokens.c.user_id == tokens._users.c.id) \
        .outerjoin(tokens.user_groups, tokens.user_groups.c.user_id == tokens._users.c.id) \
        .outerjoin(tokens._groups, tokens._groups.c.id == tokens.user_groups.c.group_id) \
        .where(tokens._tokens.c.token_hash == tokens._hash_token(token))
    with_grants, bare = [], []
    with backend.app.extensions["session_factory"]() as session:
        connection = session.connection()
        for _ in range(SAMPLES):
            started = time.perf_counter()
            tokens.actor_for_token(session, token)
            with_grants.append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.execute(without_grants).all()
            bare.append(time.perf_counter() - started)
    return {"with_grants_p50_ms": ms(percentile(with_grants, 50)),
            "without_grants_p50_ms": ms(percentile(bare, 50))}


def time_route_check(backend: Backend) -> float:
    """p50 of the api blueprint's permission check for a completion, the actor already known."""
    app = backend.app
    check = app.before_request_funcs["api"][0]
    path = "/api/tasks/00000000-0000-0000-0000-000000000000/complete"
    timings = []
    with app.test_request_context(path, method="POST", headers=backend.api.headers):
        app.preprocess_request()  # authenticates once, as the request would
        for _ in range(SAMPLES):
            started = time.perf_counter()
            check()
            timings.append(time.perf_counter() - started)
    return ms(percentile(timings, 50))


def completion_p50(backend: Backend) -> float:
    instance_id, task_id = backend.start()
    latencies = []
    for _ in range(COMPLETIONS):
        latencies.append(backend.complete(task_id, {"done": False}))
        task_id = backend.open_task(instance_id)
    return ms(percentile(latencies, 50))


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir:
        backend = Backend("sqlite", f"sqlite:///{Path(workdir) / 'access.db'}")
        warm_up(backend)
        token = backend.api.headers["Authorization"].split()[1]
        lookups = time_token_lookups(backend, token)
        route_check = time_route_check(backend)
        checks = backend.app.before_request_funcs["api"]
        on, off = [], []
        for _ in range(ROUNDS):
            on.append(completion_p50(backend))
            saved = list(checks)
            checks.clear()
            try:
                off.append(completion_p50(backend))
            finally:
                checks.extend(saved)
        backend.close()
    added = route_check + lookups["with_grants_p50_ms"] - lookups["without_grants_p50_ms"]
    whole = statistics.median(on) - statistics.median(off)
    print("Permission checks on a task completion (SQLite)")
    print(f"  route check (declare_permissions + require), p50     {route_check:.4f} ms")
    print(f"  token lookup with grants / without, p50               {lookups['with_grants_p50_ms']:.4f} /"
          f" {lookups['without_grants_p50_ms']:.4f} ms")
    print(f"  added by the pieces                                   {added:.4f} ms (target <= 0.3 ms)")
    print(f"  REST completion p50, checks on / route check off      {statistics.median(on):.3f} /"
          f" {statistics.median(off):.3f} ms over {ROUNDS} interleaved rounds"
          f" (difference {whole:.3f} ms; ratio {statistics.median(on) / statistics.median(off):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
