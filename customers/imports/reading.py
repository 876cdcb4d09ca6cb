"""Bytes of an uploaded file -> rows of text cells, within limits.

CSV comes from Chinese Excel as GBK more often than as UTF-8, so the encoding
is detected: a BOM first, then strict UTF-8, then GB18030 (a superset of GBK and
GB2312), and charset-normalizer only when none of those decodes the whole file.
A decoder that needs `errors="replace"` is never used: a wrong guess would put
mojibake into the tables, so a file nothing decodes cleanly is refused, naming
the file and where the first bad byte is.
"""
from __future__ import annotations

import codecs
import csv
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from core.errors import InvalidInput, TooLarge

XLSX_MAGIC = b"PK\x03\x04"
# What charset-normalizer may name: multi-byte encodings whose decoders refuse what is not theirs.
# A single-byte guess (cp1252, latin-1, ...) decodes any bytes at all, so it would be mojibake as often as not.
LAST_RESORT = {"big5", "big5hkscs", "cp950", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "shift_jis", "cp932",
               "euc_jp", "euc_kr", "cp949"}


@dataclass(frozen=True)
class Limits:
    """What one import may hold; past a limit the file or the row is refused."""

    max_bytes: int = 50 * 1024 * 1024
    max_columns: int = 200
    max_cell_chars: int = 10_000
    max_rows: int = 1_000_000
    max_seconds: float = 1800.0
    # From this many data rows on, a CSV file is read and checked in a second process (imports/prepare.py).
    second_process_from_rows: int = 20_000
    second_process_when_busy: bool = False  # True: even when every core is busy (the tests' way to use it)


DEFAULT_LIMITS = Limits()


@dataclass
class Sheet:
    """A file read: its header and an iterator over (row number, cells) of the data rows."""

    header: list[str]
    rows: Iterator[tuple[int, list]]
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", ..., or "xlsx"
    total_rows: int


class RowTooWide(Exception):
    """A data row has more cells than the limit; the row is rejected, not the file."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def refuse(filename: str, message: str) -> InvalidInput:
    """Return the error refusing the whole file `filename`."""
    return InvalidInput(f"{filename}: {message}", [{"message": message, "field": "file", "file": filename}])


def open_sheet(filename: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> Sheet:
    """Return the file's header and rows; raise TooLarge or InvalidInput (naming the file) when it is unreadable."""
    if len(content) > limits.max_bytes:
        raise TooLarge(f"{filename}: {len(content):,} bytes, over the limit of {limits.max_bytes:,}",
                       [{"message": f"over the limit of {limits.max_bytes:,} bytes", "field": "file",
                         "file": filename}])
    if not content.strip():
        raise refuse(filename, "the file is empty")
    if content.startswith(XLSX_MAGIC):
        return _open_xlsx(filename, content, limits)
    text, encoding = decode(filename, content)
    return _open_csv(filename, text, encoding, limits)


def decode(filename: str, content: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and the encoding it was in."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            try:
                return content.decode(name), name
            except UnicodeDecodeError as error:
                raise refuse(filename, f"starts as {name} but byte {error.start} is not {name}") from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    if best is not None and best.encoding in LAST_RESORT:
        try:
            return content.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    line = content[:first_bad].count(b"\n") + 1
    raise refuse(filename, f"cannot tell the encoding: not UTF-8 (byte {first_bad}, line {line}) nor "
                           "GBK/GB18030; save it as UTF-8 CSV or XLSX")


def _open_csv(filename: str, text: str, encoding: str, limits: Limits) -> Sheet:
    if "\x00" in text:
        raise refuse(filename, "holds NUL characters: is it a CSV file?")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # A huge field would otherwise be read whole before its length is checked.
    csv.field_size_limit(max(limits.max_cell_chars * 4, 131072))
    total = max(text.count("\n") - (0 if text.endswith("\n") else -1) - 1, 0)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise refuse(filename, f"no header row ({error})") from None
    _check_header(filename, header, limits)

    def rows():
        line = 1
        try:
            for cells in reader:
                line += 1
                if not any(cells):
                    continue
                yield line, cells
        except csv.Error as error:
            raise refuse(filename, f"row {line + 1}: {error}") from None
    return Sheet([h.strip() for h in header], rows(), encoding, total)


def _open_xlsx(filename: str, content: bytes, limits: Limits) -> Sheet:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator)
    except StopIteration:
        raise refuse(filename, "the first sheet is empty") from None
    except (BadZipFile, IndexError, KeyError, ValueError, OSError, TypeError, AttributeError,
            SyntaxError) as error:  # what openpyxl and its XML parser raise for a damaged or foreign zip
        raise refuse(filename, f"not a readable XLSX workbook ({type(error).__name__})") from None
    header = list(header)
    while header and header[-1] is None:
        header.pop()
    header = ["" if h is None else str(h) for h in header]
    _check_header(filename, header, limits)
    total = max((sheet.max_row or 1) - 1, 0)

    def rows():
        for line, cells in enumerate(iterator, start=2):
            if cells is None or all(c is None or c == "" for c in cells):
                continue
            yield line, [_cell_text(c) for c in cells]
        book.close()
    return Sheet([h.strip() for h in header], rows(), "xlsx", total)


def _cell_text(value):
    """Keep dates and numbers as the cell gives them; the rest as text."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date, int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def _check_header(filename: str, header: list, limits: Limits) -> None:
    if len(header) > limits.max_columns:
        raise refuse(filename, f"row 1 has {len(header):,} columns, over the limit of {limits.max_columns}")
    if not any(str(h).strip() for h in header):
        raise refuse(filename, "row 1 names no column")


def limited(sheet: Sheet, filename: str, limits: Limits) -> Iterator[tuple[int, list | RowTooWide]]:
    """Yield the sheet's rows; a row too wide as RowTooWide; refuse the file past the row or time limit."""
    started = time.monotonic()
    for count, (line, cells) in enumerate(sheet.rows, start=1):
        if count > limits.max_rows:
            raise refuse(filename, f"more than {limits.max_rows:,} data rows")
        if count % 1000 == 0 and time.monotonic() - started > limits.max_seconds:
            raise refuse(filename, f"reading took over {limits.max_seconds:.0f} s; split the file")
        if len(cells) > limits.max_columns:
            # Excel pads rows with empty cells: only cells with content count.
            while cells and cells[-1] in ("", None):
                cells = cells[:-1]
            if len(cells) > limits.max_columns:
                yield line, RowTooWide(len(cells))
                continue
        yield line, cells
