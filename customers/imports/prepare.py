"""A file's rows read, checked and made into values, batch by batch: in this process or in a second one.

Reading and checking is pure Python work that needs no database: decoding, the
columns, every check (credit codes, E.164 phones, emails, amounts, dates), the
pinyin initials of company names. For a large file it runs in a child process on
another core while this process writes the batches before it, so that an import
of 100,000 companies costs the time of its writes more than the sum of both
(measured in bench/customers/imports.py, both ways). A small file, a machine
with one core, or one whose cores are all busy, is read here: there the child
costs more than it saves.

The child receives the file, the kind and the mapping, and sends back, per batch,
each row's line, values and problems, then its report's counters; an error that
refuses the file (a row limit, the time limit, a broken CSV line) comes back as
that error.
"""
from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from pathlib import Path
from collections.abc import Callable, Iterator

from core import errors

from .. import search
from . import columns as cols, company_import, reading
from .base import Field, Row, read_rows
from .linked_import import ContactImport, EventImport, OrderImport, PaymentImport, RelationshipImport
from .report import Report

BATCH = 2000
# kind -> (its fields, what makes a row's values of them)
READERS: dict[str, tuple[tuple[Field, ...], Callable]] = {
    "companies": (company_import.FIELDS, company_import.complete),
    **{kind: (handler.fields, handler.complete) for kind, handler in (
        ("contacts", ContactImport), ("relationships", RelationshipImport), ("orders", OrderImport),
        ("payments", PaymentImport), ("events", EventImport))}}


class WideRow:
    """A data row with more cells than the limit: rejected whole, its cells never read."""

    __slots__ = ("line", "count")

    def __init__(self, line: int, count: int):
        self.line, self.count = line, count


def batches(kind: str, filename: str, content: bytes, mapping: dict | None, limits: reading.Limits,
            report: Report) -> Iterator[list]:
    """Yield the file's rows in batches, each a Row with its values and problems, or a WideRow.

    The counters of the checks go to `report`, as they would if every row were read here.
    """
    sheet = reading.open_sheet(filename, content, limits)
    # Below the limit's row count the child's start (an interpreter and its imports) costs more than it saves.
    if sheet.total_rows >= limits.second_process_from_rows and (
            limits.second_process_when_busy or _a_core_is_idle()):
        columns = cols.resolve(kind, sheet.header, mapping)
        yield from _from_child(kind, filename, content, mapping, limits, report, columns)
    else:
        yield from _read(sheet, kind, filename, mapping, limits, report)


def _a_core_is_idle() -> bool:
    """Tell whether a core is free for the child: on a machine whose cores are all busy, the child takes
    its time from this process's writes (measured: 22 s with a child against 14 s without, both cores
    busy with other work) instead of from an idle core (where it saves a third)."""
    cores = os.cpu_count() or 1
    return cores > 1 and os.getloadavg()[0] <= cores - 1


def _read(sheet: reading.Sheet, kind: str, filename: str, mapping: dict | None, limits: reading.Limits,
          report: Report) -> Iterator[list]:
    columns = cols.resolve(kind, sheet.header, mapping)
    fields, complete = READERS[kind]
    batch: list = []
    rows: list[Row] = []

    def finished() -> list:
        read_rows(rows, fields, limits.max_cell_chars)
        for row in rows:
            row.values = complete(row)
            if row.values is not None and kind == "companies":
                row.values["name_initials"] = search.initials(row.values["name"])
        return batch

    for line, cells in reading.limited(sheet, filename, limits):
        if isinstance(cells, reading.RowTooWide):
            batch.append(WideRow(line, cells.count))
            continue
        row = Row(line, cells, columns, report)
        rows.append(row)
        batch.append(row)
        if len(batch) >= BATCH:
            yield finished()
            batch, rows = [], []
    if batch:
        yield finished()


def child_main() -> None:
    """In the child (`python -m customers.imports.reader`): read the job from stdin, send batches to stdout."""
    gc.disable()  # as in the importing process: the collector would walk every row's values again and again
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever else prints goes to stderr, not into the stream of batches
    kind, filename, content, mapping, limits = pickle.load(sys.stdin.buffer)
    report = Report()
    try:
        sheet = reading.open_sheet(filename, content, limits)
        for batch in _read(sheet, kind, filename, mapping, limits, report):
            pickle.dump([(item.line, item.count) if isinstance(item, WideRow) else
                         (item.line, item.values, item.problems) for item in batch], out, pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", report.passed, report.failed), out)
    except errors.DomainError as error:
        pickle.dump(("error", type(error).__name__, error.message, error.problems), out)
    out.close()


def _from_child(kind: str, filename: str, content: bytes, mapping: dict | None, limits: reading.Limits,
                report: Report, columns: dict) -> Iterator[list]:
    # A new interpreter, not multiprocessing: its spawn and forkserver run the parent's main script again in
    # the child, and a fork would copy the locks the web server's other threads hold.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(root), os.environ.get("PYTHONPATH"))))}
    child = subprocess.Popen([sys.executable, "-m", "customers.imports.reader"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env, cwd=root)
    try:
        with child.stdin:
            pickle.dump((kind, filename, content, mapping, limits), child.stdin, pickle.HIGHEST_PROTOCOL)
        while True:
            try:
                message = pickle.load(child.stdout)
            except EOFError:
                raise RuntimeError(f"the process reading {filename} ended without a word "
                                   f"(exit code {child.wait()})") from None
            if isinstance(message, tuple):
                if message[0] == "error":
                    _, name, text, problems = message
                    raise getattr(errors, name, errors.InvalidInput)(text, problems)
                report.passed.update(message[1])
                report.failed.update(message[2])
                return
            yield [_rebuilt(item, columns, report) for item in message]
    finally:
        child.stdout.close()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _rebuilt(item: tuple, columns: dict, report: Report):
    if len(item) == 2:
        return WideRow(*item)
    row = Row.__new__(Row)
    row.line, row.values, row.problems = item
    row.cells, row.columns, row.report = None, columns, report
    return row
