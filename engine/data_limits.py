"""Bounded measures of untrusted data: JSON size, nesting depth, number of values.

Process data comes from people, integrations and scripts; `json.dumps` on it can
recurse past Python's limit (900-deep objects) or spend minutes and gigabytes on a
structure that shares one big list a million times. The walkers here are
iterative, count a shared value every time it is reached (as JSON would write it)
and stop as soon as a limit is passed, so measuring costs at most `max_items` steps.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from core.errors import InvalidInput

MAX_DEPTH = 64
MAX_ITEMS = 100_000
# Python refuses to write ints longer than 4,300 digits (sys.int_info.str_digits_check_threshold).
MAX_INT_BITS = 14_000
_DIGITS_PER_BIT = math.log10(2)
_ATOMS = (str, int, float, bool, type(None), datetime, date, timedelta)


class DataLimitExceeded(Exception):
    """A value is too big, too deep or of a kind task data cannot hold; `path` says where."""

    def __init__(self, problem: str, path: str, kind: str = "value"):
        super().__init__(f"{path}: {problem}")
        self.problem, self.path = problem, path
        self.kind = kind  # "size" or "items" for the whole value's totals, else "value"


def json_size(value, *, limit: int, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS,
              root: str = "data") -> int:
    """Return about how many bytes `value` takes as JSON; raise DataLimitExceeded past a limit.

    Only what JSON holds passes: dicts with string keys, lists, tuples (stored as
    lists), strings, finite numbers, booleans, None, and the dates the state stores.
    """
    if not isinstance(value, _CONTAINERS):
        size = _atom_size(value, root)
        if size > limit:
            raise DataLimitExceeded(f"larger than {limit:,} bytes as JSON", root, "size")
        return size
    total, items = 0, 1
    stack = [(value, 0, root)]  # containers still to read: atoms are sized on the spot
    while stack:
        container, depth, path = stack.pop()
        items += len(container)
        if items > max_items:
            raise DataLimitExceeded(f"more than {max_items:,} values", root, "items")
        if depth >= max_depth and container:
            raise DataLimitExceeded(f"nested more than {max_depth} levels deep", path)
        is_dict = isinstance(container, dict)
        total += 2 + len(container)
        for key, child in (container.items() if is_dict else enumerate(container)):
            if is_dict:
                if type(key) is not str:
                    raise DataLimitExceeded(f"key {key!r} is not a string", path)
                total += len(key) + 3
            kind = type(child)
            if kind is str:
                total += len(child) + 2
            elif kind in _CONTAINER_TYPES or isinstance(child, _CONTAINERS):
                where = f"{path}.{key}" if is_dict else f"{path}[{key}]"
                stack.append((child, depth + 1, where))
            else:
                total += _atom_size(child, f"{path}.{key}" if is_dict else f"{path}[{key}]")
        if total > limit:
            raise DataLimitExceeded(f"larger than {limit:,} bytes as JSON", root, "size")
    return total


_CONTAINERS = (dict, list, tuple)
_CONTAINER_TYPES = frozenset(_CONTAINERS)


def _atom_size(item, path: str) -> int:
    if isinstance(item, str):
        return len(item) + 2
    if isinstance(item, bool) or item is None:
        return 5
    if isinstance(item, int):
        if item.bit_length() > MAX_INT_BITS:
            raise DataLimitExceeded("number too large to store", path)
        return int(item.bit_length() * _DIGITS_PER_BIT) + 2
    if isinstance(item, float):
        if not math.isfinite(item):
            raise DataLimitExceeded(f"{item} cannot be stored as JSON", path)
        return 24
    if isinstance(item, _ATOMS):
        return 40  # a date, datetime or timedelta, stored as a small object
    raise DataLimitExceeded(f"a {type(item).__name__} cannot be stored as data", path)


def check_data_size(value, *, limit_bytes: int, max_depth: int = MAX_DEPTH,
                    max_items: int = MAX_ITEMS, field: str = "data") -> int:
    """Return `value`'s JSON size; raise InvalidInput naming `field` if it is over a limit."""
    try:
        return json_size(value, limit=limit_bytes, max_depth=max_depth, max_items=max_items,
                         root=field)
    except DataLimitExceeded as err:
        raise InvalidInput(str(err),
                           [{"message": err.problem, "field": err.path}]) from None


def as_json_data(value):
    """Return `value` with tuples turned into lists, as the stored state will hold it.

    Call only on values `json_size` accepted: they are finite and not too deep.
    """
    if isinstance(value, dict):
        return {key: as_json_data(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json_data(child) for child in value]
    return value


# --- the memory a value takes, for scripts' budgets ---

_LIST_BYTES, _SLOT_BYTES, _ENTRY_BYTES = 56, 8, 64


def footprint(value, *, limit: int, max_depth: int = 100) -> int:
    """Return about how many bytes `value` takes in memory, a shared part each time it is reached.

    Stops with the first total over `limit` and returns it, so the cost of a call is
    bounded by the limit whatever the structure. Counting shared parts again is what
    bounds the C-level work (comparing, printing, sorting) a structure can cause.
    Raises DataLimitExceeded for containers nested more than `max_depth` deep.
    """
    total = 0
    stack = [(value,)]  # containers whose parts are still to count
    depth_of = {}  # only containers are pushed; their depth rides along by id
    depth = 0
    while stack:
        container = stack.pop()
        depth = depth_of.pop(id(container), 0)
        for item in (_flat_items(container) if isinstance(container, dict) else container):
            kind = type(item)
            if kind in _SMALL:
                total += 16  # small ints, True, None are shared; other numbers are not
            elif kind is str:
                total += 49 + len(item) * (1 if item.isascii() else 4)
            elif kind is bytes or kind is bytearray:
                total += 33 + len(item)
            elif kind is dict or isinstance(item, dict):
                total += _LIST_BYTES + _ENTRY_BYTES * len(item)
                stack.append(item)
            elif isinstance(item, (list, tuple, set, frozenset)):
                total += _LIST_BYTES + _SLOT_BYTES * len(item)
                stack.append(item)
            else:
                total += 32
                continue
            if total > limit:
                return total
            if stack and stack[-1] is item:
                if depth >= max_depth:
                    raise DataLimitExceeded(f"nested more than {max_depth} levels deep", "value")
                depth_of[id(item)] = depth + 1
    return total


_SMALL = frozenset({int, float, bool, type(None)})


def _flat_items(mapping: dict):
    for key, child in mapping.items():
        yield key
        yield child
