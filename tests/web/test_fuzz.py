"""Property-based fuzz of the whole OpenAPI document: whatever the document lists, no answer is a 5xx.

Schemathesis reads /api/openapi.json from the app itself and generates valid
and invalid requests for every operation (paths, queries, bodies, uploads),
sent with an admin's and a member's token, on SQLite and on PostgreSQL. The
run is derandomised, so CI sees the same requests every time. It prints its
request count and writes it to bench/results/fuzz.json for the README.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import configuration as hypothesis_configuration
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import Api, make_token
from tests.processes.funnel import deploy_bundled, open_deal
from tests.signing.conftest import data_dir, keys_template  # noqa: F401 - fixtures: contracts need keys

EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "12"))  # per operation and generation mode
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "fuzz.json"
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                         print_blob=False)


def seed_records(app, client) -> dict[str, str]:
    """Give the fuzz some rows to find (ids 1, 2, ...) and return tokens by role."""
    tokens = {"admin": make_token(app, "fuzz-admin", (), "admin"),
              "member": make_token(app, "fuzz-seller", ("sales",))}
    admin = Api(client, tokens["admin"])
    deploy_bundled(admin)
    open_deal({"sales": admin}, "Fuzz Holdings")
    return tokens


@pytest.fixture
def hypothesis_home(tmp_path):
    """Keep Hypothesis's caches (constants, unicode data) out of the working tree."""
    hypothesis_configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    hypothesis_configuration.set_hypothesis_home_dir(None)


@pytest.mark.slow
def test_no_operation_answers_a_server_error(app, client, data_dir, database_url, hypothesis_home,  # noqa: F811
                                             capsys):
    tokens = seed_records(app, client)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    statuses: Counter = Counter()
    server_errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in GenerationMode:
            _fuzz(operation, mode, tokens, statuses, server_errors)
    total = sum(statuses.values())
    record = {"backend": database_url.split(":")[0].split("+")[0], "operations": len(operations),
              "examples_per_operation_and_mode": EXAMPLES, "requests": total,
              "server_errors": len(server_errors), "statuses": dict(sorted(statuses.items()))}
    _record(record)
    with capsys.disabled():
        print(f"\nschemathesis: {json.dumps(record)}")
    assert not server_errors, server_errors[:10]


def _fuzz(operation, mode, tokens, statuses, server_errors) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(sorted(tokens)))
    def run(case, role):
        response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            server_errors.append(f"{response.status_code} {case.as_curl_command()}: {response.text[:300]}")

    run()


def _record(record: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs[record["backend"]] = record
    RESULTS.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
