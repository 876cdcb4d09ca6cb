"""Translate the expressions process designers type in Camunda Modeler into Python.

SpiffWorkflow evaluates every condition, timer value and task attribute as a
Python expression, but designers coming from Camunda write JUEL (`${amount > 1000
&& approved}`) and bare ISO 8601 timer values (`PT2S`). Translating once, at parse
time, keeps the run-time engine pure Python and lets an upload report an
expression that can never run instead of failing on the first instance.

Text without `${...}` is taken as a Python expression (SpiffWorkflow style) and
passes through unchanged, except bare ISO 8601 values, which become string
literals. Each kind of value has one function here; each raises
`ExpressionError` with a message a designer can act on.
"""

import ast
import re

# JUEL words and operators with a Python spelling; the rest (`and`, `or`, `not`,
# comparison symbols, arithmetic) are already Python.
_WORDS = {"true": "True", "false": "False", "null": "None", "eq": "==", "ne": "!=",
          "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "div": "/", "mod": "%"}
_SYMBOLS = {"&&": "and", "||": "or"}
_OPEN = {"(": ")", "[": "]"}
_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else"}
_UNARY = ("!", "not", "empty")
_MAX_DEPTH = 50
_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!()\[\].,?:])
)""", re.VERBOSE)
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?=[\dT])(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?", re.IGNORECASE)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_CYCLE = re.compile(r"R\d*/(.+)", re.IGNORECASE)
_USER_NAME = re.compile(r"[\w.@+-]+")


class ExpressionError(ValueError):
    """An expression that cannot be turned into valid Python."""


def translate_condition(text: str | None) -> str:
    """Return the Python form of a gateway or event condition."""
    if text is None or not text.strip():
        raise ExpressionError("the condition is empty")
    return _checked(translate_expression(text))


def translate_timer(text: str | None) -> str:
    """Return the Python expression of a timeDate, timeDuration or timeCycle value."""
    if text is None or not text.strip():
        raise ExpressionError("the timer has no value")
    text = text.strip()
    if is_iso_time(text):
        return repr(text)
    return _checked(translate_expression(text))


def translate_due_date(text: str) -> str:
    """Return the Python expression of a camunda:dueDate; ISO values become literals."""
    return translate_timer(text)


def translate_priority(text: str) -> str:
    """Return the Python expression of a camunda:priority (a number or an expression)."""
    return _checked(translate_expression(text))


def translate_assignee(text: str) -> str:
    """Return the Python expression of a camunda:assignee.

    A plain user name such as `zhang.san` is a literal in Camunda, so it becomes a
    quoted string; `${owner}` and anything that is not a bare name is an expression.
    """
    text = text.strip()
    if not has_juel(text) and _USER_NAME.fullmatch(text):
        return repr(text)
    return _checked(translate_expression(text))


def is_iso_time(text: str) -> bool:
    """Tell whether text is a bare ISO 8601 duration, date-time or repeating interval."""
    cycle = _CYCLE.fullmatch(text)
    if cycle:
        parts = cycle.group(1).split("/")
        return len(parts) <= 2 and all(_is_iso_point(p) for p in parts)
    return _is_iso_point(text)


def _is_iso_point(text: str) -> bool:
    return bool(_DURATION.fullmatch(text) or _DATETIME.fullmatch(text))


def has_juel(text: str) -> bool:
    """Tell whether text contains a Camunda `${...}` or `#{...}` expression."""
    return "${" in text or "#{" in text


def translate_expression(text: str) -> str:
    """Return text with every `${...}` translated to Python; mixed text becomes a concatenation."""
    text = text.strip()
    if not has_juel(text):
        return text
    pieces = [(is_code, piece) for is_code, piece in _split_template(text) if is_code or piece]
    if len(pieces) == 1 and pieces[0][0]:
        return _juel_to_python(pieces[0][1])
    # Composite text such as "Hello ${name}" is a string in Camunda.
    return " + ".join(f"str({_juel_to_python(piece)})" if is_code else repr(piece)
                      for is_code, piece in pieces)


def _checked(expression: str) -> str:
    try:
        ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError) as exc:
        reason = getattr(exc, "msg", str(exc))
        raise ExpressionError(f"{expression!r} is not a valid Python expression ({reason})") from None
    except (RecursionError, MemoryError):  # CPython's parser reports deep nesting as either
        raise ExpressionError("the expression is nested too deeply") from None
    return expression


def _split_template(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, piece) pairs around `${...}` / `#{...}`."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        if text[i] in "$#" and text.startswith("{", i + 1):
            pieces.append((False, text[start:i]))
            end = _closing_brace(text, i + 2)
            pieces.append((True, text[i + 2:end]))
            start = i = end + 1
        else:
            i += 1
    pieces.append((False, text[start:]))
    return pieces


def _closing_brace(text: str, i: int) -> int:
    quote = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "}":
            return i
        i += 1
    raise ExpressionError(f"'{text}' has a '${{' without its closing '}}'")


def _tokenize(code: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    code = code.rstrip()
    while pos < len(code):
        match = _TOKEN.match(code, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read '{code[pos:].strip()}' in '${{{code}}}'")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    if not tokens:
        raise ExpressionError("'${}' is empty")
    depth = 0
    for _, value in tokens:
        depth += _depth_change(value)
        if depth > _MAX_DEPTH:  # the translator recurses per level; uploads are untrusted
            raise ExpressionError(f"more than {_MAX_DEPTH} nested parentheses")
    return tokens


def _juel_to_python(code: str) -> str:
    try:
        return _translate_tokens(_tokenize(code))
    except RecursionError:  # e.g. thousands of `!` in a row; uploads are untrusted
        raise ExpressionError("the expression is nested too deeply") from None


def _translate_tokens(tokens: list[tuple[str, str]]) -> str:
    """Translate a token list, turning a top-level `a ? b : c` into a Python conditional."""
    question = _top_level(tokens, "?")
    if question is not None:
        colon = _matching_colon(tokens, question)
        test, then, other = (_translate_tokens(t) for t in
                             (tokens[:question], tokens[question + 1:colon], tokens[colon + 1:]))
        return f"(({then}) if ({test}) else ({other}))"
    out, i = [], 0
    while i < len(tokens):
        kind, value = tokens[i]
        if value in _OPEN:
            end = _group_end(tokens, i)
            out.append(value + _translate_tokens(tokens[i + 1:end]) + _OPEN[value])
            i = end + 1
        elif value in _UNARY:
            # JUEL's `!`, `not` and `empty` bind tighter than comparisons; Python's `not` does not.
            end = _operand_end(tokens, i + 1)
            operand = _translate_tokens(tokens[i + 1:end])
            out.append(f"({operand} in (None, '', [], {{}}))" if value == "empty" else f"(not {operand})")
            i = end
        elif value == "." and _is_member(tokens, i):
            # JUEL's a.b reads entry b of a map; process data are dicts, so it becomes a['b'].
            out.append(f"[{tokens[i + 1][1]!r}]")
            i += 2
        else:
            out.append(_WORDS.get(value, value) if kind == "name" else _SYMBOLS.get(value, value))
            i += 1
    return _join(out)


def _is_member(tokens, i) -> bool:
    """Tell whether the `.` at i reads a property (a.b) rather than calls a method (a.b())."""
    return (i + 1 < len(tokens) and tokens[i + 1][0] == "name"
            and (i + 2 >= len(tokens) or tokens[i + 2][1] != "("))


def _join(words: list[str]) -> str:
    """Join translated tokens with spaces, except around `.`, `,` and calls or indexing."""
    text, previous = "", ""
    for word in words:
        call = word[:1] in _OPEN and (previous[-1:] in ")]" or previous.isidentifier()) \
            and previous not in _KEYWORDS
        glued = not text or call or word in (".", ",") or previous == "."
        text += word if glued else " " + word
        previous = word
    return text


def _depth_change(value: str) -> int:
    return (value in _OPEN) - (value in _OPEN.values())


def _top_level(tokens, symbol):
    depth = 0
    for i, (_, value) in enumerate(tokens):
        depth += _depth_change(value)
        if depth == 0 and value == symbol:
            return i
    return None


def _matching_colon(tokens, question):
    depth, nested = 0, 0
    for i in range(question + 1, len(tokens)):
        value = tokens[i][1]
        depth += _depth_change(value)
        if depth == 0 and value in "?:":
            if value == ":" and nested == 0:
                return i
            nested += 1 if value == "?" else -1
    raise ExpressionError("'?' without its ':'")


def _group_end(tokens, start):
    depth = 0
    for i in range(start, len(tokens)):
        depth += _depth_change(tokens[i][1])
        if depth == 0:
            return i
    raise ExpressionError("unbalanced parentheses or brackets")


def _operand_end(tokens, start):
    """Return the end of the operand of a prefix `!`, `not` or `empty`: a name with its .x, [i], (args)."""
    if start >= len(tokens):
        raise ExpressionError("'!', 'not' and 'empty' need an operand")
    if tokens[start][1] in (*_UNARY, "-"):
        return _operand_end(tokens, start + 1)
    i = _group_end(tokens, start) + 1 if tokens[start][1] in _OPEN else start + 1
    while i < len(tokens):
        if tokens[i][1] == "." and i + 1 < len(tokens):
            i += 2
        elif tokens[i][1] in _OPEN:
            i = _group_end(tokens, i) + 1
        else:
            break
    return i
