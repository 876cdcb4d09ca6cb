"""The data-quality report of an import: per rule and field how many rows passed and failed, and the rejections."""
from __future__ import annotations

import csv
import io
from collections import Counter

RULES = ("completeness", "validity", "uniqueness", "consistency", "limits")
OUTCOMES = ("created", "updated", "unchanged", "merged", "rejected")


class Report:
    """Counts per outcome, passes and failures per (rule, field), and one rejection per problem found."""

    def __init__(self):
        self.counts = Counter({outcome: 0 for outcome in OUTCOMES})
        self.rows = 0
        self.passed: Counter = Counter()
        self.failed: Counter = Counter()
        self.rejections: list[dict] = []

    def check(self, rule: str, field: str, ok: bool) -> None:
        (self.passed if ok else self.failed)[rule, field] += 1

    def reject(self, row: int, column: str | None, rule: str, reason: str) -> None:
        self.rejections.append({"row": row, "column": column, "rule": rule, "reason": reason[:500]})

    def outcome(self, outcome: str, count: int = 1) -> None:
        self.counts[outcome] += count

    def quality(self) -> list[dict]:
        """Return [{rule, field, passed, failed}] in rule order, then by field."""
        keys = sorted(set(self.passed) | set(self.failed), key=lambda k: (RULES.index(k[0]), k[1]))
        return [{"rule": rule, "field": field, "passed": self.passed[rule, field],
                 "failed": self.failed[rule, field]} for rule, field in keys]

    def as_counts(self) -> dict:
        return {"rows": self.rows, **{outcome: self.counts[outcome] for outcome in OUTCOMES},
                **{k: v for k, v in self.counts.items() if k not in OUTCOMES}}


def rejections_csv(rejections) -> str:
    """Return the rejections as CSV text (row, column, rule, reason), spreadsheet formulas neutralised."""
    from .export import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("row", "column", "rule", "reason"))
    for rejection in rejections:
        writer.writerow((rejection.row, safe_cell(rejection.column or ""), rejection.rule,
                         safe_cell(rejection.reason)))
    return "\ufeff" + out.getvalue()
