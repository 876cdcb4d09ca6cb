"""The restricted evaluator behind every BPMN script task, gateway condition and timer.

Uploaded BPMN is untrusted: anyone allowed to deploy a process could otherwise run
arbitrary Python inside the server. So SpiffWorkflow's default `eval`/`exec`
environment is replaced by one that compiles code with RestrictedPython under a
stricter policy (no imports, no classes, no `_private` names or attributes, a short
list of builtins), routes the operators that can build huge values (`+ * ** << %`,
f-string widths) through size checks, and gives every run a wall-clock budget.

The budget is enforced by instrumenting the code rather than by `sys.settrace`:
on CPython 3.11 a one-line `while True: pass` jumps to itself without any line
event, so a tracer only catches it with per-opcode tracing, which would make every
condition many times slower and would displace coverage tools and debuggers. Instead
every loop body, function body, lambda and comprehension step calls a tick that
raises `ScriptTimeout` once the budget is spent. Code without any of those cannot
repeat, so plain conditions such as `amount > 1000` pay nothing for it.

Memory is bounded per run, by engine/script_budget.py: the operators, displays,
comprehensions, slices, str/list/dict/set methods and builtins that can build big
values refuse a single result over MAX_SEQUENCE_LEN before it is built (so one
C-level call such as `'a'.ljust(10**9)` never starts) and charge what they build to
a ledger of MAX_BUILT_BYTES per run, shared parts each time they are referenced
(so `[[0]*10**6]*10**6` or a loop appending megabytes stops at once, and nothing a
script built can make a C-level compare, sort or str() run for minutes). Code that
builds nothing (`amount > 1000 and approved`) gets no ledger and pays nothing.
After a script, the data it leaves is measured by a bounded, iterative walker
(engine/data_limits.py): at most MAX_SCRIPT_DATA_BYTES as JSON, MAX_SCRIPT_DATA_ITEMS
values, MAX_SCRIPT_DATA_DEPTH levels, only what JSON holds (tuples become lists;
sets, non-string keys, NaN are refused), so the state always serialises.

Still not bounded: allocations no guard sees, such as ints and small objects a
loop makes until its time runs out (some tens of MB per second of budget), and
what CPython allocates inside one allowed call on allowed values. The time budget
bounds those; run workers under an OS memory limit as well.
"""
from __future__ import annotations

import ast
import builtins
import functools
import logging
import operator
import re
import textwrap
import traceback
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from time import monotonic
from typing import Any, NamedTuple

from RestrictedPython import (PrintCollector, compile_restricted_eval, compile_restricted_exec,
                              safe_builtins, utility_builtins)
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     guarded_unpack_sequence, safer_getattr_raise)
from RestrictedPython.transformer import (IOPERATOR_TO_STR, RestrictingNodeTransformer,
                                          copy_locations)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import script_budget as budget_guards
from .data_limits import DataLimitExceeded, as_json_data, json_size
from .script_budget import (MAX_SEQUENCE_LEN, ScriptTimeout, ScriptViolation, check_length,
                            footprint)

log = logging.getLogger(__name__)

# SpiffWorkflow's PythonScriptEngine finds the failing line by this file name.
SCRIPT_FILENAME = "<string>"
MAX_INT_BITS = 65_536
# What a script may leave in the task data, all variables together, as stored JSON.
MAX_SCRIPT_DATA_BYTES = 1024 * 1024
MAX_SCRIPT_DATA_DEPTH = 64
MAX_SCRIPT_DATA_ITEMS = 100_000


# --- size guards: refuse values whose construction alone would exhaust the worker ---

_SEQUENCES = (str, bytes, bytearray, list, tuple)
_FORMAT_NUMBER = re.compile(r"\d+")
# A %-format field's width and precision: literal digits or '*' (taken from the arguments).
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


_check_length = check_length


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptViolation(f"number too large (about {bits:,} bits); "
                              f"scripts may compute at most {MAX_INT_BITS:,}-bit numbers")


def _check_width(digits: str) -> None:
    # Length first: int() of thousands of digits is itself refused by CPython.
    if len(digits) > 7 or int(digits) > MAX_SEQUENCE_LEN:
        raise ScriptViolation(f"format width {digits} is too large; "
                              f"scripts may format at most {MAX_SEQUENCE_LEN:,} characters")


def _check_add(a: Any, b: Any) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(len(a) + len(b))
        budget_guards.charge_concat(a, b)


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        _check_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_length(len(a) * b)
        budget_guards.charge_repeat(a, b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_length(len(b) * a)
        budget_guards.charge_repeat(b, a)


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        _check_bits((abs(a).bit_length() - 1) * b)


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_bits(a.bit_length() + b)


def _check_mod(a: Any, b: Any) -> None:
    if isinstance(a, (bytes, bytearray)):
        a = a.decode("latin-1")
    if isinstance(a, str):
        for field in _PERCENT_FIELD.findall(a):
            for digits in field:
                if digits == "*":
                    raise ScriptViolation("'*' widths in %-formatting are not allowed")
                if digits:
                    _check_width(digits)
        _check_text(b)


def _check_text(value: Any) -> None:
    """Refuse to write out (str, %s, f-string, print) a container that would be too long."""
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        need = footprint(value, limit=MAX_SEQUENCE_LEN * 8)
        _check_length(need // 8)
        budget_guards.charge(need)


def _guarded(check, op):
    """Return `op` preceded by `check`, for one binary operator."""
    def guarded(a, b):
        check(a, b)
        return op(a, b)
    return guarded


# ast operator -> (name the rewritten code calls, guarded function); other operators run as-is.
_BINOP_GUARDS = {
    ast.Add: ("_add_", _guarded(_check_add, operator.add)),
    ast.Mult: ("_mul_", _guarded(_check_mul, operator.mul)),
    ast.Pow: ("_pow_", _guarded(_check_pow, operator.pow)),
    ast.LShift: ("_lshift_", _guarded(_check_lshift, operator.lshift)),
    ast.Mod: ("_mod_", _guarded(_check_mod, operator.mod)),
    ast.BitOr: ("_or_", _guarded(budget_guards.check_bitor, operator.or_)),
    ast.BitXor: ("_xor_", _guarded(budget_guards.check_bitor, operator.xor)),
}
_INPLACE_OPS = {
    "+=": _guarded(_check_add, operator.iadd),
    "-=": operator.isub,
    "*=": _guarded(_check_mul, operator.imul),
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": _guarded(_check_mod, operator.imod),
    "**=": _guarded(_check_pow, operator.ipow),
    "<<=": _guarded(_check_lshift, operator.ilshift),
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": _guarded(budget_guards.check_bitor, operator.ior),
    "^=": _guarded(budget_guards.check_bitor, operator.ixor),
    "@=": operator.imatmul,
}


def _inplacevar(symbol: str, target: Any, value: Any) -> Any:
    """Apply an augmented assignment such as `x += 1` with the same size checks as `x + 1`."""
    return _INPLACE_OPS[symbol](target, value)


def _augitem(symbol: str, container: Any, key: Any, value: Any) -> None:
    """Apply `container[key] op= value`, which the policy rewrites into this call."""
    full_write_guard(container)[key] = _INPLACE_OPS[symbol](container[key], value)


def _isinstance(obj: Any, classinfo: Any) -> bool:
    """isinstance(), knowing that `list`, `dict`, `str`... are guarded stand-ins for the types."""
    return isinstance(obj, budget_guards.original(classinfo))


def _issubclass(cls: Any, classinfo: Any) -> bool:
    """issubclass(), knowing the guarded stand-ins as isinstance does."""
    return issubclass(budget_guards.original(cls), budget_guards.original(classinfo))


def _keep_item(value: Any) -> Any:
    """Charge one element a comprehension adds to the list, set or dict it builds."""
    budget_guards.charge(8)
    return budget_guards.keep(value)


# --- builtins: the only names a script sees besides the task data ---

def _range(*args: int) -> range:
    """Return range(*args), refusing ranges that C code could turn into a huge list or sum."""
    numbers = range(*args)
    try:
        too_long = len(numbers) > MAX_SEQUENCE_LEN
    except OverflowError:  # more numbers than sys.maxsize
        too_long = True
    if too_long:
        raise ScriptViolation(f"range() is too large; scripts may use at most "
                              f"{MAX_SEQUENCE_LEN:,} numbers")
    return numbers


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    """Return pow(base, exp, mod), with the same size check as `base ** exp`."""
    if mod is None:
        _check_pow(base, exp)
    return pow(base, exp, mod)


def _sum(iterable: Any, /, start: Any = 0) -> Any:
    """Return sum(iterable, start) for numbers and timedeltas."""
    # A list or tuple start makes sum() concatenate quadratically inside one C call.
    if not isinstance(start, (int, float, timedelta)):
        raise ScriptViolation("sum() adds numbers and timedeltas only")
    return sum(iterable, start)


_CONVERSIONS = {-1: lambda value: value, ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _format(value: Any, spec: str, conversion: int) -> str:
    """Format one f-string field such as f"{x:>10}", refusing huge widths."""
    for digits in _FORMAT_NUMBER.findall(spec):
        _check_width(digits)
    _check_text(value)
    return format(_CONVERSIONS[conversion](value), spec)


# `int.mro()` would hand out `object` and `BaseException` without any underscore.
_BLOCKED_ATTRIBUTES = frozenset({"mro"})


def _getattr(obj: Any, name: str) -> Any:
    """Return obj.name unless the name is private, a str.format method or otherwise blocked."""
    if name in _BLOCKED_ATTRIBUTES:
        raise AttributeError(f'"{name}" is not available in scripts')
    # The raising variant: RestrictedPython's default quietly returns None for a missing name.
    value = safer_getattr_raise(obj, name)
    if type(obj) in budget_guards.GUARDED_TYPES or (isinstance(obj, type)
                                                    and obj in budget_guards.GUARDED_TYPES):
        return budget_guards.guard_method(obj, name, value)
    return value


class _PrintCollector(PrintCollector):
    """print() for scripts: what it writes out is size-checked like str()."""

    def _call_print(self, *objects, **kwargs):
        for value in objects:
            _check_text(value)
            if isinstance(value, str):
                budget_guards.charge(len(value))  # the collector keeps what is printed
        return super()._call_print(*objects, **kwargs)


def _apply(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call func(*args, **kwargs); RestrictedPython routes star-calls through here."""
    return func(*args, **kwargs)


# Classes are refused; setattr/delattr would reach attributes the policy rewrites;
# BaseException-only classes escape SpiffWorkflow's `except Exception` and could stop a worker.
_REMOVED_SAFE_BUILTINS = ("__build_class__", "setattr", "delattr", "_getattr_", "BaseException",
                          "GeneratorExit", "KeyboardInterrupt", "SystemExit")


_C_LEVEL_IMPORTS = frozenset({"time"})


def _import_for_c_code(name, *args, **kwargs):
    """Let C code such as date.today() import what it needs; scripts cannot name this."""
    if name not in _C_LEVEL_IMPORTS:
        raise ImportError("imports are not allowed")
    return builtins.__import__(name, *args, **kwargs)


def _script_builtins() -> dict[str, Any]:
    """Build the builtins every script and expression runs with."""
    names = {k: v for k, v in safe_builtins.items() if k not in _REMOVED_SAFE_BUILTINS}
    # Of utility_builtins only the set types: math.factorial(10**8) and friends block in C.
    names.update(set=utility_builtins["set"], frozenset=utility_builtins["frozenset"])
    materialising = budget_guards.materialising
    names.update(set=materialising(set), frozenset=materialising(frozenset))
    names.update(min=min, max=max, sum=_sum, sorted=materialising(sorted), any=any, all=all,
                 list=materialising(list), dict=materialising(dict),
                 tuple=materialising(tuple), enumerate=enumerate, zip=zip, range=_range,
                 pow=_pow, datetime=datetime, date=date, timedelta=timedelta, timezone=timezone)
    names.update(str=budget_guards.text_of(str), repr=budget_guards.text_of(repr))
    names.update(isinstance=_isinstance, issubclass=_issubclass)
    names.update(_getattr_=_getattr, _getitem_=operator.getitem, _getiter_=iter,
                 _write_=full_write_guard, _inplacevar_=_inplacevar, _apply_=_apply,
                 _iter_unpack_sequence_=guarded_iter_unpack_sequence,
                 _unpack_sequence_=guarded_unpack_sequence, _print_=_PrintCollector,
                 _format_=_format, _augitem_=_augitem, __import__=_import_for_c_code,
                 _keep_=budget_guards.keep, _keep_item_=_keep_item, _slice_=budget_guards.sliced)
    names.update(dict(_BINOP_GUARDS.values()))
    return names


SCRIPT_BUILTINS = _script_builtins()
# Python builtins a script may not use; naming one gets a clearer error than a NameError.
WITHHELD_BUILTINS = frozenset(name for name in vars(builtins)
                              if not name.startswith("_") and name not in SCRIPT_BUILTINS)


# --- the compile-time policy ---

def _call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    """Return the AST of `name(*args)`, positioned at `where`."""
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, where)
    return node


class ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened: no imports, classes or `with`;
    size-checked operators; a budget tick in everything that can repeat."""

    def visit_Import(self, node):
        """Refuse `import x` and `from x import y`."""
        self.error(node, "imports are not allowed")
        return node

    visit_ImportFrom = visit_Import

    def visit_Name(self, node):
        """Refuse `__import__` with the same words as an import statement."""
        if node.id == "__import__":
            self.error(node, "imports are not allowed")
            return node
        return super().visit_Name(node)

    def visit_ClassDef(self, node):
        """Refuse classes: instances are not task data and widen what a script can reach."""
        self.error(node, "class definitions are not allowed")
        return node

    def visit_With(self, node):
        """Refuse `with`: scripts have no context managers, and __exit__ could swallow a timeout."""
        self.error(node, "with statements are not allowed")
        return node

    def visit_AugAssign(self, node):
        """Allow `d[k] += v` (RestrictedPython refuses it) by evaluating `d` and `k` once."""
        if not isinstance(node.target, ast.Subscript):
            return super().visit_AugAssign(node)
        args = [ast.Constant(IOPERATOR_TO_STR[type(node.op)]), self.visit(node.target.value),
                self.visit(node.target.slice), self.visit(node.value)]
        statement = ast.Expr(_call("_augitem_", args, node))
        copy_locations(statement, node)
        return statement

    def visit_BinOp(self, node):
        """Route the operators that can build huge values through their size guard."""
        node = super().visit_BinOp(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        return node if guard is None else _call(guard[0], [node.left, node.right], node)

    def visit_FormattedValue(self, node):
        """Route f-string fields through the width and size checks."""
        node = super().visit_FormattedValue(node)
        if node.format_spec is not None or not isinstance(node.value, ast.Constant):
            spec = node.format_spec or ast.Constant("")
            args = [node.value, spec, ast.Constant(node.conversion)]
            node.value = _call("_format_", args, node.value)
            node.format_spec, node.conversion = None, -1
        return node

    def visit_List(self, node):
        """Charge a list display such as `[b, b]` to the run's ledger (constants cost nothing)."""
        return self._kept(super().visit_List(node), node.elts)

    def visit_Tuple(self, node):
        """Charge a tuple display to the run's ledger."""
        return self._kept(super().visit_Tuple(node), node.elts)

    def visit_Set(self, node):
        """Charge a set display to the run's ledger."""
        return self._kept(super().visit_Set(node), node.elts)

    def visit_Dict(self, node):
        """Charge a dict display to the run's ledger."""
        return self._kept(super().visit_Dict(node), [*node.keys, *node.values])

    @staticmethod
    def _kept(node, parts):
        if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            return node
        if all(isinstance(part, ast.Constant) or part is None for part in parts):
            return node
        return _call("_keep_", [node], node)

    def visit_ListComp(self, node):
        """Charge every element a list comprehension keeps."""
        node = super().visit_ListComp(node)
        node.elt = _call("_keep_item_", [node.elt], node.elt)
        return node

    def visit_SetComp(self, node):
        """Charge every element a set comprehension keeps."""
        node = super().visit_SetComp(node)
        node.elt = _call("_keep_item_", [node.elt], node.elt)
        return node

    def visit_DictComp(self, node):
        """Charge every key and value a dict comprehension keeps."""
        node = super().visit_DictComp(node)
        node.key = _call("_keep_item_", [node.key], node.key)
        node.value = _call("_keep_", [node.value], node.value)
        return node

    def visit_Subscript(self, node):
        """Charge the copy a slice such as `x[:]` makes."""
        is_slice = isinstance(node.slice, ast.Slice) and isinstance(node.ctx, ast.Load)
        node = super().visit_Subscript(node)
        if is_slice and isinstance(node, ast.Call):
            node.func = ast.Name("_slice_", ast.Load())
            copy_locations(node.func, node)
        return node

    def visit_Assign(self, node):
        """Charge what `x[k] = v` stores: otherwise a loop could reference v a million times."""
        stores_item = any(isinstance(t, ast.Subscript) for t in node.targets)
        node = super().visit_Assign(node)
        if stores_item and isinstance(node, ast.Assign):
            node.value = _call("_keep_", [node.value], node.value)
        return node

    def visit_While(self, node):
        """Tick the budget on every pass through the loop body."""
        return self._tick_first(super().visit_While(node))

    def visit_For(self, node):
        """Tick the budget on every pass through the loop body."""
        return self._tick_first(super().visit_For(node))

    def visit_FunctionDef(self, node):
        """Tick the budget on every call, which bounds recursion without loops."""
        return self._tick_first(super().visit_FunctionDef(node))

    def visit_Lambda(self, node):
        """Tick the budget on every call: `lambda: x` becomes `lambda: _tick_() and x`."""
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(ast.And(), [_call("_tick_", [], node.body), node.body])
        copy_locations(node.body, node.body.values[1])
        return node

    def visit_comprehension(self, node):
        """Tick the budget for every element a comprehension or generator expression visits."""
        node = super().visit_comprehension(node)
        node.ifs.append(_call("_tick_", [], node.iter))
        return node

    @staticmethod
    def _tick_first(node):
        tick = ast.Expr(_call("_tick_", [], node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node


class _Compiled(NamedTuple):
    code: Any
    timed: bool  # whether the code can repeat at all, and so needs a budget
    builds: bool  # whether it can build values, and so needs a memory ledger


_REPEATING = (ast.While, ast.For, ast.comprehension, ast.FunctionDef, ast.Lambda)
# Code made only of these builds nothing: conditions such as `amount > 1000 and approved`
# run without a ledger. Anything else (a call, a display, a slice, a sized operator) gets one.
_INERT = (ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.Name, ast.Constant, ast.Load,
          ast.Store, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Attribute, ast.IfExp, ast.If,
          ast.Pass, ast.cmpop, ast.boolop, ast.unaryop, ast.operator, ast.Subscript)


def _builds(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_GUARDS:
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return True
        if not isinstance(node, (*_INERT, ast.BinOp)):
            return True
    return False
_ERROR_LINE = re.compile(r"Line (\w+): (.*)", re.DOTALL)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> _Compiled:
    """Compile `source` under ScriptPolicy; raise SyntaxError or ScriptViolation if it may not."""
    # BPMN editors indent the text inside XML elements; eval()/exec() would reject that.
    source = source.strip() if mode == "eval" else textwrap.dedent(source)
    tree = ast.parse(source, SCRIPT_FILENAME, mode)
    timed = any(isinstance(node, _REPEATING) for node in ast.walk(tree))
    builds = _builds(tree)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(tree, SCRIPT_FILENAME, policy=ScriptPolicy)
    if result.errors:
        # The first problem is the one to fix first; later ones are often consequences.
        match = _ERROR_LINE.match(result.errors[0])
        lineno = int(match[1]) if match and match[1].isdigit() else None
        raise ScriptViolation((match[2] if match else result.errors[0]).rstrip("."), lineno)
    return _Compiled(result.code, timed, builds)


# --- running ---

class _Budget:
    """One run's wall-clock allowance, spent by the ticks compiled into loops and calls."""

    __slots__ = ("limit", "expires", "spent")

    def __init__(self, limit: float):
        self.limit = limit
        self.expires = monotonic() + limit
        self.spent = False

    def tick(self) -> bool:
        """Raise ScriptTimeout once the budget is spent; return True so it can sit in conditions."""
        if monotonic() > self.expires:
            self.spent = True
            raise self.timeout()
        return True

    def timeout(self, lineno: int | None = None) -> ScriptTimeout:
        """Return the error for a run that outlived its budget."""
        return ScriptTimeout(f"stopped after running longer than the {self.limit:g} s time limit",
                             lineno)


def _script_line(tb) -> int | None:
    """Return the script line (innermost) a traceback passes through, if any."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            line = lineno
    return line


def _replacement(err: Exception, budget: _Budget | None) -> Exception | None:
    """Return a clearer error to raise instead of `err`, or None to re-raise `err` itself."""
    if budget is not None and budget.spent and not isinstance(err, ScriptTimeout):
        # The script caught its timeout; whatever it failed with afterwards is beside the point.
        return budget.timeout(_script_line(err.__traceback__))
    if isinstance(err, NameError) and getattr(err, "name", None) in WITHHELD_BUILTINS:
        return ScriptViolation(f"'{err.name}' is not available in scripts",
                               _script_line(err.__traceback__))
    return None


def _is_data(key: str, value: Any) -> bool:
    """Tell whether a script variable belongs in the task data (which must stay JSON-able)."""
    return key != "__builtins__" and not callable(value) and not isinstance(value, Iterator)


def _check_script_data(data: dict) -> None:
    """Refuse task data a script leaves that is too big, too deep or not storable as JSON."""
    left = MAX_SCRIPT_DATA_BYTES
    items = MAX_SCRIPT_DATA_ITEMS
    for name, value in data.items():
        try:
            size = json_size(value, limit=left, max_depth=MAX_SCRIPT_DATA_DEPTH,
                             max_items=items, root=name)
        except DataLimitExceeded as err:
            raise ScriptViolation(_data_problem(err)) from None
        # The limits hold for all variables together; every value takes a byte or more.
        left -= size + len(name)
        items -= min(size, items - 1)


def _data_problem(err: DataLimitExceeded) -> str:
    problem = {"size": f"the task data would be larger than {MAX_SCRIPT_DATA_BYTES:,} bytes "
                       f"as JSON",
               "items": f"the task data would hold more than {MAX_SCRIPT_DATA_ITEMS:,} values"
               }.get(err.kind, err.problem)
    return f"variable {err.path} cannot be kept in the task data: {problem}"


def _drop_unstorable(context: dict) -> None:
    for name in list(context):
        try:
            json_size(context[name], limit=MAX_SCRIPT_DATA_BYTES,
                      max_depth=MAX_SCRIPT_DATA_DEPTH, max_items=MAX_SCRIPT_DATA_ITEMS)
        except DataLimitExceeded:
            del context[name]


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Run scripts and expressions under ScriptPolicy, the script builtins and a time budget."""

    def __init__(self, environment_globals: dict | None = None, time_limit: float = 1.0):
        super().__init__(environment_globals)
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        """Return the value of `expression` over the task data `context`."""
        compiled = _compile(expression, "eval")
        # Data shadows external context shadows globals, as in SpiffWorkflow's TaskDataEnvironment.
        scope = {**self.globals, **(external_context or {}), **context}
        return self._run(compiled, scope, eval)

    def execute(self, script, context, external_context=None):
        """Run `script`; only if it succeeds, replace `context` with its plain-data variables."""
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        compiled = _compile(script, "exec")
        # A shallow copy: a failing script's assignments never reach the task data
        # (changes it made inside nested lists and dicts do, as with TaskDataEnvironment).
        scope = {**context, **self.globals, **external_context}
        self._run(compiled, scope, exec)
        collector = scope.get("_print")
        if isinstance(collector, PrintCollector):
            log.debug("script printed: %s", collector())
        injected = self.globals.keys() | external_context.keys()
        data = {k: v for k, v in scope.items() if k not in injected and _is_data(k, v)}
        try:
            _check_script_data(data)
        except ScriptViolation:
            _drop_unstorable(context)  # nested changes already reached it: keep it storable
            raise
        context.clear()
        context.update(as_json_data(data))
        return True

    def check_for_overwrite(self, context, external_context):
        """Refuse task data that would hide a predefined global, as TaskDataEnvironment does."""
        clashes = (self.globals.keys() | external_context.keys()) & context.keys()
        if clashes:
            raise ValueError(f"You have task data that overwrites a predefined function(s). "
                             f"Please change the following variable or field name(s) to "
                             f"something else: {clashes}")

    def _run(self, compiled: _Compiled, scope: dict, runner) -> Any:
        """Run compiled code in `scope` within the time budget; make errors say what happened."""
        budget = _Budget(self.time_limit) if compiled.timed else None
        # Guards live in the builtins: scripts cannot name `_x` names, so cannot replace them.
        scope["__builtins__"] = (SCRIPT_BUILTINS if budget is None
                                 else {**SCRIPT_BUILTINS, "_tick_": budget.tick})
        # Only code that can build values gets a ledger: `amount > 1000` pays nothing for it.
        previous = budget_guards.running(budget_guards.Ledger()) if compiled.builds else None
        try:
            result = runner(compiled.code, scope)
        except MemoryError:
            raise ScriptViolation("the script ran out of memory") from None
        except Exception as err:
            replacement = _replacement(err, budget)
            if replacement is None:
                raise
            raise replacement from err
        finally:
            if compiled.builds:
                budget_guards.running(previous)
        if budget is not None and budget.spent:
            raise budget.timeout()  # the script caught its timeout and carried on
        return result


def describe_error(err: Exception) -> str:
    """Say in a modeller's words what went wrong in a script or expression."""
    if isinstance(err, ScriptViolation):
        return str(err)
    if isinstance(err, SyntaxError):
        return f"syntax error: {err.msg}"
    return f"{type(err).__name__}: {err}"


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's engine, with errors that name the line and the cause."""

    def evaluate(self, task, expression, external_context=None):
        """Evaluate `expression` for `task`; on failure raise a WorkflowTaskException saying why."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            # The stock engine drops the cause's text, leaving only "Error evaluating expression".
            message = f"Error in expression '{expression.strip()}': {describe_error(err)}"
            raise _task_exception(message, task, err) from err

    def create_task_exec_exception(self, task, script, err):
        """Return the WorkflowTaskException for a failed script, naming its line."""
        if isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        line_number = getattr(err, "lineno", None) or _script_line(err.__traceback__)
        lines = script.splitlines()
        error_line = lines[line_number - 1] if line_number and line_number <= len(lines) else ""
        where = f" on line {line_number}" if line_number else ""
        return _task_exception(f"Script error{where}: {describe_error(err)}", task, err,
                               line_number=line_number, error_line=error_line)


def _task_exception(message: str, task, err: Exception, **location) -> WorkflowTaskException:
    """Build a WorkflowTaskException for `task` caused by `err`."""
    wte = WorkflowTaskException(message, task=task, exception=err, **location)
    # For NameErrors it cannot parse, SpiffWorkflow appends a None note that breaks str().
    wte.notes = [note for note in wte.notes if note]
    return wte


def make_script_engine(time_limit: float = 1.0) -> PythonScriptEngine:
    """Build the script engine that workflows run scripts, conditions and timers through."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment(time_limit=time_limit))
