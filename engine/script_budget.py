"""What one script run may build: a memory ledger and the guards that charge it.

Every way a script can make a big value goes through a guard here: the sized
operators (`* + | ^`, slices), container displays and comprehensions, the methods of
str, bytes, list, dict and set, and the builtins that materialise iterables. A guard
refuses a single result longer than MAX_SEQUENCE_LEN before it is built (so one
C-level call such as `'a'.ljust(10**9)` never starts) and charges what it builds to
the run's ledger, which allows MAX_BUILT_BYTES in all (so a loop that keeps
appending megabytes stops after a few). Shared parts are charged each time they are
referenced again: a structure cannot be cheap to build and huge to walk, and so no
C-level comparison, sort or str() of script-built data can run for minutes.
"""
from __future__ import annotations

import operator
import threading
from typing import Any

from .data_limits import DataLimitExceeded
from .data_limits import footprint as _footprint

MAX_SEQUENCE_LEN = 1_000_000
MAX_BUILT_BYTES = 32 * 1024 * 1024


class ScriptViolation(Exception):
    """A script tried something scripts may not do; the message says what, for a modeller."""

    def __init__(self, message: str, lineno: int | None = None):
        super().__init__(message)
        self.lineno = lineno


class ScriptTimeout(ScriptViolation):
    """A script ran past its wall-clock budget and was stopped."""


class Ledger:
    """The bytes one run may still build."""

    __slots__ = ("left",)

    def __init__(self, allowance: int = MAX_BUILT_BYTES):
        self.left = allowance


_current = threading.local()


def running(ledger: Ledger | None) -> Ledger | None:
    """Make `ledger` the one this thread's guards charge; return the one it replaces."""
    previous = getattr(_current, "ledger", None)
    _current.ledger = ledger
    return previous


def footprint(value: Any, limit: int) -> int:
    """Return about how many bytes `value` takes (see data_limits.footprint), for a script."""
    try:
        return _footprint(value, limit=limit)
    except DataLimitExceeded as err:
        raise ScriptViolation(f"values {err.problem}; scripts may nest at most that deep") from None


def _left() -> int:
    ledger = getattr(_current, "ledger", None)
    return MAX_BUILT_BYTES if ledger is None else ledger.left


def charge(nbytes: int) -> None:
    """Spend `nbytes` of the run's allowance; raise ScriptViolation once it is spent."""
    ledger = getattr(_current, "ledger", None)
    if ledger is None:  # code compiled as building nothing: only the length checks apply
        return
    ledger.left -= nbytes
    if ledger.left < 0:
        raise ScriptViolation(f"the script built more than {MAX_BUILT_BYTES // 2 ** 20} MB "
                              f"of values, the limit for one run")


def keep(value: Any) -> Any:
    """Charge what `value` takes (its shared parts each time) and return it."""
    if type(value) in _SMALL:
        charge(32)  # a number: small ones are shared, but a loop's new ones are not
        return value
    charge(footprint(value, limit=_left()))
    return value


def check_length(n: int) -> None:
    """Refuse a result of more than MAX_SEQUENCE_LEN items or characters."""
    if n > MAX_SEQUENCE_LEN:
        raise ScriptViolation(f"result would be too large ({n:,} items); "
                              f"scripts may build at most {MAX_SEQUENCE_LEN:,}")


_SMALL = frozenset({int, float, bool, type(None)})
_SIZED_TYPES = (str, bytes, bytearray, list, tuple)


def _char_bytes(*texts: Any) -> int:
    return 1 if all(not isinstance(t, str) or t.isascii() for t in texts) else 4


def charge_repeat(seq: Any, times: int) -> None:
    """Charge `seq * times` before it is built: its length was checked, its parts were not."""
    if times <= 1:
        return
    if isinstance(seq, (str, bytes, bytearray)):
        charge(len(seq) * times * _char_bytes(seq))
    else:  # a list or tuple: each copy references all of seq's parts again
        parts = footprint(seq, limit=_left() // times + 56) - 56
        charge(56 + times * parts)


def charge_concat(a: Any, b: Any) -> None:
    """Charge `a + b` for two sequences, whose total length was checked."""
    if isinstance(a, (str, bytes, bytearray)):
        charge((len(a) + len(b)) * _char_bytes(a, b))
    else:  # a's parts were charged when a was built; b's are referenced once more
        charge(8 * (len(a) + len(b)) + footprint(b, limit=_left()))


# --- methods of str, bytes, list, dict and set ---

def _width(args: tuple, kwargs: dict, index: int = 0, name: str = "width") -> int:
    value = args[index] if len(args) > index else kwargs.get(name, 0)
    return value if isinstance(value, int) else 0


def _pre_pad(obj, args, kwargs) -> None:
    """Before ljust, rjust, center, zfill: refuse a width over the limit."""
    check_length(_width(args, kwargs))


def _pre_expandtabs(obj, args, kwargs) -> None:
    tabs = obj.count("\t" if isinstance(obj, str) else b"\t")
    check_length(len(obj) + tabs * max(_width(args, kwargs, name="tabsize") or 8, 0))


def _pre_replace(obj, args, kwargs) -> None:
    if len(args) < 2:
        return
    old, new = args[0], args[1]
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    found = len(obj) + 1 if len(old) == 0 else obj.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    check_length(len(obj) + found * (len(new) - len(old)))


def _pre_translate(obj, args, kwargs) -> None:
    table = args[0] if args else None
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, (str, bytes))), default=1)
        check_length(len(obj) * longest)


def _pre_grow(obj, args, kwargs) -> tuple:
    """Before list.extend, set.update, dict.update, ...: take, check and charge the arguments."""
    args = tuple(a if hasattr(a, "__len__") else _take(a) for a in args)
    check_length((0 if isinstance(obj, type) else len(obj)) + sum(len(a) for a in args))
    for arg in args:
        keep(arg)
    return args


def _pre_keep_args(obj, args, kwargs) -> tuple:
    """Before list.append, list.insert, dict.setdefault, set.add: charge what is stored."""
    for arg in (*args, *kwargs.values()):
        keep(arg)
    charge(8)
    return args


_PRECHECKS = {
    "ljust": _pre_pad, "rjust": _pre_pad, "center": _pre_pad, "zfill": _pre_pad,
    "expandtabs": _pre_expandtabs, "replace": _pre_replace, "translate": _pre_translate,
    "extend": _pre_grow, "update": _pre_grow, "union": _pre_grow,
    "append": _pre_keep_args, "insert": _pre_keep_args, "setdefault": _pre_keep_args,
    "add": _pre_keep_args, "fromkeys": _pre_grow,
}
# Methods that hand back parts the object already holds: charging them would count
# the same data again on every read.
_READS = frozenset({"get", "pop", "popitem", "setdefault", "keys", "values", "items"})
GUARDED_TYPES = frozenset({str, bytes, bytearray, list, tuple, dict, set, frozenset})


def guard_method(obj: Any, name: str, method: Any) -> Any:
    """Return `method` of a str, list, dict... wrapped in its size check and the ledger."""
    if not callable(method):
        return method
    if name == "join":
        return _guarded_join(obj)
    precheck = _PRECHECKS.get(name)

    charged = name not in _READS

    def guarded(*args, **kwargs):
        if precheck is not None:
            args = precheck(obj, args, kwargs) or args
        result = method(*args, **kwargs)
        if charged and result is not obj and result is not None:
            keep(result)  # a new string or list (split, upper, copy, ...): charge it
        return result
    return guarded


def _guarded_join(separator: Any):
    def join(iterable, /):
        parts, total = [], 0
        for part in iterable:
            total += len(part) + len(separator) if hasattr(part, "__len__") else 0
            check_length(total)
            parts.append(part)
        charge(total * _char_bytes(separator, *parts[:1]))
        return separator.join(parts)
    return join


# --- builtins that turn iterables into values ---

def materialising(build):
    """Return `build` (list, tuple, sorted, set, dict, ...) refusing and charging what it makes."""
    def guarded(*args, **kwargs):
        sized = [a for a in args if isinstance(a, (*_SIZED_TYPES, dict, set, frozenset, range))]
        for arg in sized:
            check_length(len(arg))
        if len(sized) == len(args) or not args:
            return keep(build(*args, **kwargs))
        # An iterator or generator: take it one item at a time, charging as it goes.
        items = []
        for item in args[0]:
            keep(item)
            charge(8)
            items.append(item)
            check_length(len(items))
        return items if build is list else keep(build(items, *args[1:], **kwargs))
    guarded.__name__ = getattr(build, "__name__", "build")
    if hasattr(build, "fromkeys"):
        guarded.fromkeys = guard_method(build, "fromkeys", build.fromkeys)
    ORIGINALS[guarded] = build
    return guarded


# Guarded builtin -> the type it stands for, so that isinstance(x, list) still works.
ORIGINALS: dict = {}


def original(classinfo: Any) -> Any:
    """Return `classinfo` with guarded builtins replaced by the types they wrap."""
    if isinstance(classinfo, tuple):
        return tuple(original(c) for c in classinfo)
    try:
        return ORIGINALS.get(classinfo, classinfo)
    except TypeError:  # unhashable: isinstance will say what is wrong with it
        return classinfo


def text_of(convert):
    """Return str/repr/ascii refusing to write out a container that would print too long."""
    def guarded(*args, **kwargs):
        for arg in args:
            if type(arg) not in _SMALL and not isinstance(arg, str):
                need = footprint(arg, limit=_left())
                check_length(need // 8)
                charge(need)
        return convert(*args, **kwargs)
    guarded.__name__ = convert.__name__
    if isinstance(convert, type):
        ORIGINALS[guarded] = convert
    return guarded


_take = materialising(list)


def check_bitor(a: Any, b: Any) -> None:
    """Before `a | b` or `a ^ b` on sets or dicts: refuse and charge the union."""
    if isinstance(a, (set, frozenset, dict)) and isinstance(b, (set, frozenset, dict)):
        check_length(len(a) + len(b))
        charge(64 * (len(a) + len(b)))


def sliced(obj: Any, key: Any) -> Any:
    """Return obj[key] for a slice, charging the copy it makes."""
    result = operator.getitem(obj, key)
    if isinstance(result, (str, bytes, bytearray)):
        charge(len(result) * _char_bytes(result))
    elif isinstance(result, (list, tuple)):
        charge(8 * len(result))
    return result
