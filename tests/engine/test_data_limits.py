"""The bounded data walker behind start data, variables, forms and script results."""
from __future__ import annotations

import pytest

from core.errors import InvalidInput
from engine.data_limits import DataLimitExceeded, check_data_size, json_size
from engine.tasks import form_problems


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"d": value}
    return value


def test_json_size_is_about_the_length_of_the_json():
    value = {"name": "ACME", "lines": [{"sku": "A1", "qty": 2}], "ok": True, "rate": 0.5}
    assert 60 <= json_size(value, limit=10 ** 6) <= 100


@pytest.mark.parametrize("value, problem", [
    (_nested(5000), "nested more than 64 levels deep"),
    ([[0] * 10 ** 6] * 10 ** 6, "more than 100,000 values"),
    ({"k": "x" * 300_000}, "larger than 262,144 bytes as JSON"),
    ({"k": {1: "one"}}, "key 1 is not a string"),
    ({"k": [float("inf")]}, "inf cannot be stored as JSON"),
])
def test_check_data_size_names_the_field_and_the_limit(value, problem):
    with pytest.raises(InvalidInput) as caught:
        check_data_size(value, limit_bytes=256 * 1024, field="variables")
    assert problem in str(caught.value)
    assert caught.value.problems[0]["field"].startswith("variables")


def test_the_path_says_where_the_value_is():
    with pytest.raises(DataLimitExceeded) as caught:
        json_size({"deal": {"lines": [1, {2}]}}, limit=1000)
    assert caught.value.path == "data.deal.lines[1]"


def test_form_data_nested_too_deep_is_a_problem_not_a_crash():
    problems = form_problems({"properties": {"d": {"type": "object"}}}, _nested(5000))
    assert problems[0]["message"] == "nested more than 64 levels deep"
