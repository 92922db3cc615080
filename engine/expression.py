"""The one safe evaluator for everything a diagram can say.

Three languages are accepted, recognised by their shape after ``strip()``:

* **JUEL** (Camunda 7), when the whole text is ``${...}`` or ``#{...}``. A small tokenizer and
  Pratt parser build our own node tree, and an interpreter walks it with JUEL's coercion rules.
  Camunda's ``dateTime()``/``now()`` idiom is emulated by :class:`DateTime`.
* **Bare ISO 8601 timer values** as Camunda Modeler writes them (``P14D``, ``R3/PT10H``,
  ``2026-03-01T09:00:00Z``); they evaluate to themselves.
* **A Python expression subset** (SpiffWorkflow's own syntax): parsed with :func:`ast.parse` and
  interpreted node by node from an allow-list. No attribute access, no builtins, no comprehensions.

Nothing here calls ``eval``/``exec`` or compiles code. Every evaluation has bounded cost: the text,
node count and nesting depth are limited, integers stay below :data:`MAX_INT_BITS` bits, and strings,
lists and dicts built by an expression stay below :data:`MAX_SIZE` items or characters (checked
before the work is done). Every failure is an :class:`~engine.errors.ExpressionError`.
"""

from __future__ import annotations

import ast
import calendar
import copy
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NoReturn

from engine.budget import charge_operation
from engine.clock import LOCAL_ZONE
from engine.errors import ExpressionError

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_NODES",
    "MAX_SIZE",
    "MAX_STATEMENTS",
    "MAX_TEXT_LENGTH",
    "MAX_VALUE_DEPTH",
    "DateTime",
    "UnknownVariableError",
    "evaluate",
    "evaluate_timer",
    "execute_script",
    "is_iso_timer_literal",
    "to_utc_datetime",
    "validate_expression",
    "validate_script",
]

#: Longest expression or script text accepted, in characters.
MAX_TEXT_LENGTH = 10_000
#: Most syntax nodes in one expression (or in one script statement).
MAX_NODES = 500
#: Deepest nesting of syntax nodes.
MAX_DEPTH = 50
#: Largest integer an expression may produce, in bits.
MAX_INT_BITS = 4096
#: Largest string, list or dict an expression may build, in characters or items (counted deeply).
MAX_SIZE = 100_000
#: Deepest nesting of lists and dicts an expression or script may build.
MAX_VALUE_DEPTH = 100
#: Most statements in one script.
MAX_STATEMENTS = 200

_MAX_NUMBER_TEXT = 1_300  # digits in a string converted to a number (~4096 bits)
_MAX_ROUND_DIGITS = 1_000
_MAX_DATE_TEXT = 64


class UnknownVariableError(ExpressionError):
    """An expression names a variable that is not set."""


# ---------------------------------------------------------------------------------------------
# Shared guards
# ---------------------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, DateTime):
        return "DateTime"
    return type(value).__name__


def _fail(message: str) -> NoReturn:
    raise ExpressionError(message)


def _prepare(text: Any) -> str:
    if not isinstance(text, str):
        _fail(f"an expression must be text, not {_type_name(text)}")
    if len(text) > MAX_TEXT_LENGTH:
        _fail(f"expression is too long ({len(text)} characters; at most {MAX_TEXT_LENGTH} are allowed)")
    stripped = text.strip()
    if not stripped:
        _fail("empty expression")
    return stripped


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        _fail(f"integer result is too large (more than {MAX_INT_BITS} bits)")
    if isinstance(value, complex):
        _fail("the result is a complex number")
    return value


def _too_big() -> NoReturn:
    _fail(f"result is too large (more than {MAX_SIZE} items or characters)")


_CONTAINERS = (list, tuple, set, frozenset, dict)


def _measure(value: Any, limit: int = MAX_SIZE) -> tuple[int, int]:
    """Deep size and nesting depth of a value.

    Size is one per container slot, one per character and a little per big integer; shared
    references count every time they occur (that is what serializing them costs). Depth is 0 for a
    scalar and one more than the deepest item for a container. The walk stops as soon as ``limit``
    or :data:`MAX_VALUE_DEPTH` is exceeded, so cycles and huge values cost at most ``limit`` steps.
    """
    total = 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            total += item.bit_length() // 32
        elif isinstance(item, list | tuple | set | frozenset | Mapping):
            deepest = max(deepest, level)
            children: Iterable[Any] = item
            if isinstance(item, Mapping):
                total += len(item)
                children = [*item.keys(), *item.values()]
            total += len(item)
            if total > limit or deepest > MAX_VALUE_DEPTH:
                break
            stack.extend((child, level + 1) for child in children)
        if total > limit:
            break
    return total, deepest


def _weight(value: Any, limit: int = MAX_SIZE) -> int:
    """Deep size of a value (see :func:`_measure`)."""
    return _measure(value, limit)[0]


def _check_measure(size: int, depth: int, limit: int = MAX_SIZE) -> None:
    if size > limit:
        _too_big()
    if depth > MAX_VALUE_DEPTH:
        _fail(f"value is nested too deeply (more than {MAX_VALUE_DEPTH} levels)")


class _Sizes:
    """Memoised deep sizes and depths of the containers one evaluation handles."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, int, int]] = {}

    def _lookup(self, value: Any) -> tuple[int, int]:
        if isinstance(value, str):
            return len(value), 0
        if not isinstance(value, _CONTAINERS):
            return _measure(value)
        hit = self._memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1], hit[2]
        size, depth = _measure(value)
        self._memo[id(value)] = (value, size, depth)
        return size, depth

    def of(self, value: Any) -> int:
        """Deep size of ``value``."""
        return self._lookup(value)[0]

    def depth(self, value: Any) -> int:
        """Nesting depth of ``value``."""
        return self._lookup(value)[1]

    def note(self, value: Any, size: int, depth: int) -> Any:
        """Check a value just built from measured parts, remember its measure, and return it."""
        _check_measure(size, depth)
        if isinstance(value, _CONTAINERS):
            self._memo[id(value)] = (value, size, depth)
        return value

    def forget(self) -> None:
        """Drop every remembered measure (after a value was changed in place)."""
        self._memo.clear()


#: Integers whose hashes differ from each other's (CPython hashes integers modulo 2**61 - 1).
_HASH_SAFE_INT = 2**61 - 1


def _check_key(key: Any) -> Any:
    """A dict key or set item must hash without collisions an attacker can choose.

    Text hashes with a secret seed; small integers, booleans and None hash to distinct values.
    Large integers, floats and tuples hash deterministically, so thousands of keys with one hash
    can be sent in a variable and would make building one dict cost seconds.
    """
    if key is None or isinstance(key, str | bool):
        return key
    if isinstance(key, int) and -_HASH_SAFE_INT < key < _HASH_SAFE_INT:
        return key
    _fail(
        f"this {_type_name(key)} value cannot be a dict key or set item: use text, a whole number "
        "between -2**61 and 2**61, true, false or None"
    )


def _check_pairs(source: Any) -> None:
    """``dict(source)``: a mapping or a list of [key, value] pairs, every key checked."""
    if isinstance(source, Mapping):
        for key in source:
            _check_key(key)
        return
    for pair in source:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            _fail("dict() needs a list of [key, value] pairs")
        _check_key(pair[0])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, complex)


def _multiply_numbers(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        _fail(f"integer result is too large (more than {MAX_INT_BITS} bits)")
    return _check_int(a * b)


def _power(base: Any, exponent: Any) -> Any:
    if not (_is_number(base) and _is_number(exponent)):
        _fail(f"unsupported operand types for **: {_type_name(base)} and {_type_name(exponent)}")
    if isinstance(base, int) and isinstance(exponent, int):
        if exponent < 0:
            if base == 0:
                _fail("division by zero")
            return float(base) ** exponent
        if base in (0, 1, -1):
            return base**exponent
        if exponent > MAX_INT_BITS or (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            _fail(f"integer result is too large (more than {MAX_INT_BITS} bits)")
        return _check_int(base**exponent)
    return _check_int(base**exponent)


def _repeat(sequence: Any, times: Any, sizes: _Sizes) -> Any:
    if isinstance(times, bool):
        times = int(times)
    if times <= 0:
        return sequence[:0]
    size = sizes.of(sequence)
    if size * times > MAX_SIZE:
        _too_big()
    return sizes.note(sequence * times, size * times, sizes.depth(sequence))


def _concat(a: Any, b: Any, sizes: _Sizes) -> Any:
    size = sizes.of(a) + sizes.of(b)
    if size > MAX_SIZE:
        _too_big()
    return sizes.note(a + b, size, max(sizes.depth(a), sizes.depth(b)))


def _wrap(exc: BaseException) -> ExpressionError:
    if isinstance(exc, ExpressionError):
        return exc
    if isinstance(exc, ZeroDivisionError):
        return ExpressionError("division by zero")
    if isinstance(exc, RecursionError):
        return ExpressionError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)")
    if isinstance(exc, OverflowError):
        return ExpressionError(f"numeric result out of range: {exc}")
    if isinstance(exc, MemoryError):
        return ExpressionError("expression needs too much memory")
    return ExpressionError(f"cannot evaluate: {exc}")


# ---------------------------------------------------------------------------------------------
# Dates and the DateTime value
# ---------------------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(UTC)


def to_utc_datetime(value: Any) -> datetime:
    """Convert a DateTime, datetime, date or ISO text to an aware datetime in UTC.

    A ``date`` (or ``YYYY-MM-DD`` text) is midnight of that day in Europe/Amsterdam; a naive
    datetime is read as Europe/Amsterdam wall-clock time. Anything else raises ExpressionError.
    """
    if isinstance(value, DateTime):
        return value.instant
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return _local_midnight(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_DATE_TEXT:
            _fail("date text is too long")
        try:
            if _DATE_ONLY.fullmatch(text):
                return _local_midnight(date.fromisoformat(text))
            return to_utc_datetime(datetime.fromisoformat(text))
        except ValueError:
            _fail(f"'{text}' is not a date (YYYY-MM-DD) or an ISO 8601 date-time")
    _fail(f"cannot convert {_type_name(value)} to a date-time")


def _shift_calendar(instant: datetime, *, months: int = 0, days: int = 0) -> datetime:
    """Calendar arithmetic on the Europe/Amsterdam wall clock (the time of day is kept)."""
    wall = instant.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    if months:
        year, month0 = divmod(wall.month - 1 + months, 12)
        year += wall.year
        if not 1 <= year <= 9999:
            _fail("date out of range")
        day = min(wall.day, calendar.monthrange(year, month0 + 1)[1])
        wall = wall.replace(year=year, month=month0 + 1, day=day)
    if days:
        wall = wall + timedelta(days=days)
    # fold=0: an ambiguous wall time takes the first (summer-time) instant; a wall time in the
    # spring-forward gap moves forward by the gap, as Joda-Time does.
    return wall.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class DateTime:
    """An instant with Joda-Time style arithmetic, as Camunda's ``dateTime()`` returns.

    Day, week, month and year arithmetic is calendar arithmetic in Europe/Amsterdam; hour, minute
    and second arithmetic is absolute. Instances are immutable; every method returns a new value.
    """

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ExpressionError("DateTime needs an aware datetime")
        object.__setattr__(self, "instant", self.instant.astimezone(UTC))

    def plus(self, *, months: int = 0, days: int = 0, seconds: int = 0) -> DateTime:
        """Return this instant moved by calendar months/days (Amsterdam) and absolute seconds."""
        try:
            moved = (
                _shift_calendar(self.instant, months=months, days=days) if months or days else self.instant
            )
            return DateTime(moved + timedelta(seconds=seconds))
        except (OverflowError, ValueError) as exc:
            raise ExpressionError(f"date out of range: {exc}") from exc

    def start_of_day(self) -> DateTime:
        """Return midnight (Europe/Amsterdam) of this instant's day."""
        return DateTime(_local_midnight(self.instant.astimezone(LOCAL_ZONE).date()))

    def to_datetime(self) -> datetime:
        """Return the instant as an aware datetime in UTC."""
        return self.instant

    def isoformat(self) -> str:
        """Return the instant in ISO 8601, in UTC."""
        return self.instant.isoformat()

    def __str__(self) -> str:
        return self.isoformat()


def _int_argument(value: Any, what: str) -> int:
    if isinstance(value, bool) or value is None:
        _fail(f"{what} needs a whole number, not {_type_name(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            _fail(f"{what} needs a whole number, not {value}")
        value = int(value)
    if isinstance(value, str):
        value = _el_number(value)
        if isinstance(value, float):
            value = _int_argument(value, what)
    if not isinstance(value, int):
        _fail(f"{what} needs a whole number, not {_type_name(value)}")
    if abs(value) > 10_000_000:
        _fail(f"{what}: {value} is out of range")
    return value


def _shift_method(unit: str, sign: int) -> Callable[[DateTime, list[Any]], Any]:
    def method(value: DateTime, args: list[Any]) -> Any:
        if len(args) != 1:
            _fail(f"{'plus' if sign > 0 else 'minus'}{unit} takes one argument")
        amount = sign * _int_argument(args[0], f"{'plus' if sign > 0 else 'minus'}{unit}")
        if unit == "Days":
            return value.plus(days=amount)
        if unit == "Weeks":
            return value.plus(days=7 * amount)
        if unit == "Months":
            return value.plus(months=amount)
        if unit == "Years":
            return value.plus(months=12 * amount)
        if unit == "Hours":
            return value.plus(seconds=3600 * amount)
        if unit == "Minutes":
            return value.plus(seconds=60 * amount)
        return value.plus(seconds=amount)

    return method


def _no_args(name: str, args: list[Any]) -> None:
    if args:
        _fail(f"{name}() takes no arguments")


def _nullary(name: str, function: Callable[[Any], Any]) -> Callable[[Any, list[Any]], Any]:
    def method(value: Any, args: list[Any]) -> Any:
        _no_args(name, args)
        return function(value)

    return method


def _one_arg(name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        _fail(f"{name}() takes one argument")
    return args[0]


_DATETIME_METHODS: dict[str, Callable[[DateTime, list[Any]], Any]] = {
    f"{prefix}{unit}": _shift_method(unit, sign)
    for prefix, sign in (("plus", 1), ("minus", -1))
    for unit in ("Days", "Weeks", "Months", "Years", "Hours", "Minutes", "Seconds")
}
_DATETIME_METHODS.update(
    {
        "toDate": _nullary("toDate", lambda v: v.to_datetime()),
        "toString": _nullary("toString", lambda v: v.isoformat()),
        "withTimeAtStartOfDay": _nullary("withTimeAtStartOfDay", lambda v: v.start_of_day()),
        "isBefore": lambda v, a: v.instant < to_utc_datetime(_one_arg("isBefore", a)),
        "isAfter": lambda v, a: v.instant > to_utc_datetime(_one_arg("isAfter", a)),
        "isEqual": lambda v, a: v.instant == to_utc_datetime(_one_arg("isEqual", a)),
    }
)


def _string_arg(name: str, args: list[Any]) -> str:
    value = _one_arg(name, args)
    return _el_str(value)


_STRING_METHODS: dict[str, Callable[[str, list[Any]], Any]] = {
    "startsWith": lambda s, a: s.startswith(_string_arg("startsWith", a)),
    "endsWith": lambda s, a: s.endswith(_string_arg("endsWith", a)),
    "contains": lambda s, a: _string_arg("contains", a) in s,
    "equals": lambda s, a: _el_equal(s, _one_arg("equals", a)),
    "equalsIgnoreCase": lambda s, a: s.casefold() == _string_arg("equalsIgnoreCase", a).casefold(),
    "length": _nullary("length", lambda s: len(s)),
    "isEmpty": _nullary("isEmpty", lambda s: not s),
    "toUpperCase": _nullary("toUpperCase", lambda s: s.upper()),
    "toLowerCase": _nullary("toLowerCase", lambda s: s.lower()),
    "trim": _nullary("trim", lambda s: s.strip()),
}

_LIST_METHODS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "size": _nullary("size", lambda v: len(v)),
    "isEmpty": _nullary("isEmpty", lambda v: not v),
    "contains": lambda v, a: any(_el_equal(item, _one_arg("contains", a)) for item in v),
}

_MAP_METHODS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "size": _nullary("size", lambda v: len(v)),
    "isEmpty": _nullary("isEmpty", lambda v: not v),
    "containsKey": lambda v, a: _one_arg("containsKey", a) in v,
    "get": lambda v, a: v.get(_one_arg("get", a)),
}

_JUEL_METHODS = frozenset(_DATETIME_METHODS) | frozenset(_STRING_METHODS) | frozenset(_LIST_METHODS)
_JUEL_METHODS |= frozenset(_MAP_METHODS)
_JUEL_FUNCTIONS = {"dateTime": (0, 1), "now": (0, 0)}


# ---------------------------------------------------------------------------------------------
# ISO 8601 timer literals
# ---------------------------------------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")
_CYCLE = re.compile(r"R(\d*)/(.+)")


def _is_duration(text: str) -> bool:
    return bool(_DURATION.fullmatch(text)) and text not in ("P", "PT") and not text.endswith("T")


def _is_date_time(text: str) -> bool:
    if not _DATE_TIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        return False
    return True


def is_iso_timer_literal(text: str) -> bool:
    """True for a bare ISO 8601 duration, date-time or repeating interval, as Modeler writes them.

    Durations: ``P14D``, ``PT1H``, ``P2W``, ``P1Y2M3DT4H5M6S``. Date-times: ``2026-03-01T09:00:00Z``,
    ``2026-03-01T09:00:00+01:00`` (a date-time without offset is accepted too; it means
    Europe/Amsterdam). Cycles: ``R3/PT10H``, ``R/P1D``, ``R3/2026-03-01T09:00:00Z/PT1H`` and
    ``R3/PT1H/2026-03-01T09:00:00Z``.
    """
    if not isinstance(text, str) or len(text) > 200:
        return False
    text = text.strip()
    if _is_duration(text) or _is_date_time(text):
        return True
    cycle = _CYCLE.fullmatch(text)
    if cycle is None:
        return False
    parts = cycle.group(2).split("/")
    if len(parts) == 1:
        return _is_duration(parts[0])
    if len(parts) == 2:
        first, second = parts
        return (_is_date_time(first) and _is_duration(second)) or (
            _is_duration(first) and _is_date_time(second)
        )
    return False


# ---------------------------------------------------------------------------------------------
# JUEL: tokenizer, parser and interpreter
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num, str, ident, lit, op, eof
    value: Any
    pos: int


@dataclass(frozen=True, slots=True)
class _Node:
    kind: str
    value: Any
    children: tuple[_Node, ...]
    depth: int


_JUEL_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<ident>(?:[^\W\d]|\$)(?:\w|\$)*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.\[\](),])
    """,
    re.VERBOSE | re.DOTALL,
)
_WORD_OPS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
}
_LITERALS = {"true": True, "false": False, "null": None}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_INFIX_BP = {
    "?": 1,
    "||": 2,
    "&&": 3,
    "==": 4,
    "!=": 4,
    "<": 5,
    ">": 5,
    "<=": 5,
    ">=": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "%": 7,
    ".": 9,
    "[": 9,
}
_UNARY_BP = 8


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _juel_number(text: str, pos: int) -> int | float:
    if len(text) > _MAX_NUMBER_TEXT:
        _fail(f"number at position {pos} is too long")
    if any(c in text for c in ".eE"):
        return float(text)
    return _check_int(int(text))


def _tokenize(source: str) -> Iterator[_Tok]:
    """Yield tokens lazily, so a hostile text fails after the first few dozen of them."""
    pos = 0
    while pos < len(source):
        match = _JUEL_TOKEN.match(source, pos)
        if match is None:
            ch = source[pos]
            if ch in "'\"":
                _fail(f"unterminated string starting at position {pos}")
            if ch == "}":
                _fail("only one ${...} expression is supported; text around or between expressions is not")
            _fail(f"unexpected character {ch!r} at position {pos}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "num":
            yield _Tok("num", _juel_number(text, pos), pos)
        elif kind == "str":
            yield _Tok("str", _unescape(text[1:-1]), pos)
        elif kind == "ident":
            if text in _WORD_OPS:
                yield _Tok("op", _WORD_OPS[text], pos)
            elif text in _LITERALS:
                yield _Tok("lit", _LITERALS[text], pos)
            elif text == "instanceof":
                _fail("'instanceof' is not supported")
            else:
                yield _Tok("ident", text, pos)
        elif kind == "op":
            yield _Tok("op", text, pos)
        pos = match.end()
    yield _Tok("eof", None, pos)


class _JuelParser:
    """Pratt parser over the token list; checks names, nesting and size while it builds."""

    def __init__(self, tokens: Iterator[_Tok]) -> None:
        self.source = tokens
        self.tokens: list[_Tok] = []
        self.pos = 0
        self.level = 0
        self.nodes = 0

    def parse(self) -> _Node:
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != "eof":
            self.unexpected(tok)
        return node

    def peek(self) -> _Tok:
        while len(self.tokens) <= self.pos:
            self.tokens.append(next(self.source))
        return self.tokens[self.pos]

    def advance(self) -> _Tok:
        tok = self.peek()
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def is_op(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.value == value

    def expect(self, value: str) -> None:
        tok = self.advance()
        if tok.kind != "op" or tok.value != value:
            if tok.kind == "eof":
                _fail(f"expected '{value}' but the expression ended")
            _fail(f"expected '{value}' at position {tok.pos}")

    @staticmethod
    def unexpected(tok: _Tok) -> NoReturn:
        if tok.kind == "eof":
            _fail("unexpected end of expression")
        _fail(f"unexpected {tok.value!r} at position {tok.pos}")

    def make(self, kind: str, value: Any, children: tuple[_Node, ...] = ()) -> _Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            _fail(f"expression is too large (more than {MAX_NODES} nodes)")
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > MAX_DEPTH:
            _fail(f"expression is nested too deeply (at most {MAX_DEPTH} levels)")
        return _Node(kind, value, children, depth)

    def expr(self, min_bp: int) -> _Node:
        self.level += 1
        if self.level > MAX_DEPTH:
            _fail(f"expression is nested too deeply (at most {MAX_DEPTH} levels)")
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind != "op":
                break
            op = tok.value
            bp = _INFIX_BP.get(op)
            if bp is None or bp <= min_bp:
                break
            self.advance()
            if op == ".":
                name_tok = self.advance()
                if name_tok.kind != "ident":
                    _fail(f"expected a property name after '.' at position {name_tok.pos}")
                name = name_tok.value
                if name.startswith("_"):
                    _fail(f"attribute access '.{name}' is not allowed")
                if self.is_op("("):
                    if name not in _JUEL_METHODS:
                        _fail(f"method '{name}' is not allowed")
                    args = self.arguments()
                    left = self.make("method", name, (left, *args))
                else:
                    left = self.make("prop", name, (left,))
            elif op == "[":
                index = self.expr(0)
                self.expect("]")
                left = self.make("index", None, (left, index))
            elif op == "?":
                then = self.expr(0)
                self.expect(":")
                other = self.expr(bp - 1)
                left = self.make("cond", None, (left, then, other))
            else:
                right = self.expr(bp)
                left = self.make("bin", op, (left, right))
        self.level -= 1
        return left

    def arguments(self) -> list[_Node]:
        self.expect("(")
        args: list[_Node] = []
        if self.is_op(")"):
            self.advance()
            return args
        while True:
            args.append(self.expr(0))
            if self.is_op(","):
                self.advance()
                continue
            self.expect(")")
            return args

    def prefix(self) -> _Node:
        tok = self.advance()
        if tok.kind in ("num", "str", "lit"):
            return self.make("lit", tok.value)
        if tok.kind == "ident":
            name = tok.value
            if self.is_op("("):
                arity = _JUEL_FUNCTIONS.get(name)
                if arity is None:
                    _fail(f"function '{name}' is not allowed")
                args = self.arguments()
                if not arity[0] <= len(args) <= arity[1]:
                    _fail(f"function '{name}' does not take {len(args)} arguments")
                return self.make("call", name, tuple(args))
            return self.make("var", name)
        if tok.kind == "op":
            if tok.value == "(":
                inner = self.expr(0)
                self.expect(")")
                return inner
            if tok.value in ("-", "!", "empty"):
                operand = self.expr(_UNARY_BP)
                return self.make({"-": "neg", "!": "not", "empty": "empty"}[tok.value], None, (operand,))
        self.unexpected(tok)


def _composite_parts(text: str) -> list[tuple[bool, str]] | None:
    """Split Camunda EL text into (is_expression, text) parts; None when it holds no ``${...}``.

    ``kermit_${loopCounter}`` is ``[(False, "kermit_"), (True, "loopCounter")]``. Braces and quotes
    inside an expression are matched, so ``${m['}']}`` is one expression. An unclosed ``${`` fails.
    """
    if "${" not in text and "#{" not in text:
        return None
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in "$#" and i + 1 < n and text[i + 1] == "{":
            depth, j, quote = 1, i + 2, ""
            while j < n and depth:
                char = text[j]
                if quote:
                    if char == "\\":
                        j += 1
                    elif char == quote:
                        quote = ""
                elif char in "'\"":
                    quote = char
                elif char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                j += 1
            if depth:
                _fail(f"'{text[i : i + 40]}' has no closing '}}'")
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            parts.append((True, text[i + 2 : j - 1]))
            i = j
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _juel_source(text: str) -> str | None:
    parts = _composite_parts(text)
    if parts is not None and len(parts) == 1 and parts[0][0]:
        return parts[0][1]
    return None


def _composite(text: str) -> list[tuple[bool, str]] | None:
    """The parts of a composite expression (text mixed with ``${...}``), else None."""
    parts = _composite_parts(text)
    if parts is None or (len(parts) == 1 and parts[0][0]):
        return None
    return parts


@lru_cache(maxsize=2048)
def _parse_juel(source: str) -> _Node:
    if not source.strip():
        _fail("empty expression")
    return _JuelParser(_tokenize(source)).parse()


# JUEL coercions (Expression Language 2.2, section 1.17) --------------------------------------


def _el_number(value: Any) -> int | float:
    if value is None:
        return 0
    if isinstance(value, bool):
        _fail(f"cannot use the boolean {str(value).lower()} as a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        if len(text) > _MAX_NUMBER_TEXT:
            _fail("number text is too long")
        try:
            if any(c in text for c in ".eE") or text.lower() in ("nan", "infinity", "-infinity"):
                return float(text)
            return _check_int(int(text))
        except ValueError:
            _fail(f"cannot convert '{value}' to a number")
    _fail(f"cannot use a {_type_name(value)} as a number")


def _el_is_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    return isinstance(value, str) and any(c in value for c in ".eE")


def _el_is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _el_bool(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    _fail(f"cannot use a {_type_name(value)} as a boolean")


def _el_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, DateTime | datetime | date | int | float):
        return value.isoformat() if isinstance(value, DateTime | datetime | date) else str(value)
    if _weight(value) > MAX_SIZE:
        _too_big()
    return str(value)


def _is_temporal(value: Any) -> bool:
    return isinstance(value, DateTime | datetime | date)


def _temporal_pair(a: Any, b: Any) -> tuple[datetime, datetime] | None:
    if _is_temporal(a) and (_is_temporal(b) or isinstance(b, str)):
        return to_utc_datetime(a), to_utc_datetime(b)
    if _is_temporal(b) and isinstance(a, str):
        return to_utc_datetime(a), to_utc_datetime(b)
    return None


def _numbers_for(a: Any, b: Any) -> tuple[Any, Any]:
    x, y = _el_number(a), _el_number(b)
    if _el_is_float(a) or _el_is_float(b):
        return float(x), float(y)
    return x, y


def _el_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    pair = _temporal_pair(a, b)
    if pair is not None:
        return pair[0] == pair[1]
    if _el_is_float(a) and not isinstance(a, str) or _el_is_float(b) and not isinstance(b, str):
        return float(_el_number(a)) == float(_el_number(b))
    if _el_is_int(a) or _el_is_int(b) or isinstance(a, float) or isinstance(b, float):
        x, y = _numbers_for(a, b)
        return bool(x == y)
    if isinstance(a, bool) or isinstance(b, bool):
        return _el_bool(a) == _el_bool(b)
    if isinstance(a, str) or isinstance(b, str):
        return _el_str(a) == _el_str(b)
    return bool(a == b)


def _el_compare(op: str, a: Any, b: Any) -> bool:
    if a is b and op in ("<=", ">="):
        return True
    if a is None or b is None:
        return False
    x: Any
    y: Any
    pair = _temporal_pair(a, b)
    if pair is not None:
        x, y = pair
    elif _el_is_int(a) or _el_is_int(b) or isinstance(a, float) or isinstance(b, float):
        x, y = _numbers_for(a, b)
    elif isinstance(a, str) or isinstance(b, str):
        x, y = _el_str(a), _el_str(b)
    elif isinstance(a, bool) and isinstance(b, bool):
        x, y = a, b
    else:
        _fail(f"cannot compare {_type_name(a)} with {_type_name(b)}")
    if op == "<":
        return bool(x < y)
    if op == ">":
        return bool(x > y)
    if op == "<=":
        return bool(x <= y)
    return bool(x >= y)


def _java_remainder(x: int, y: int) -> int:
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _el_arithmetic(op: str, a: Any, b: Any) -> Any:
    if a is None and b is None:
        return 0
    if op == "/":
        x, y = float(_el_number(a)), float(_el_number(b))
        if y == 0:
            _fail("division by zero")
        return x / y
    x, y = _numbers_for(a, b)
    if op == "%":
        if y == 0:
            _fail("division by zero")
        if isinstance(x, float) or isinstance(y, float):
            return math.fmod(x, y)
        return _java_remainder(x, y)
    if op == "+":
        return _check_int(x + y)
    if op == "-":
        return _check_int(x - y)
    return _multiply_numbers(x, y)


def _el_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict | set | frozenset):
        return len(value) == 0
    return False


def _el_index(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = _el_number(value)
        except ExpressionError:
            return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return value if isinstance(value, int) else None


def _el_property(base: Any, key: Any, shown: str) -> Any:
    if base is None:
        return None
    if isinstance(base, Mapping):
        if key in base:
            return base[key]
        if isinstance(key, int) and not isinstance(key, bool) and str(key) in base:
            return base[str(key)]
        return None
    if isinstance(base, list | tuple | str):
        index = _el_index(key)
        if index is None:
            _fail(f"{shown} is not available on a {_type_name(base)} (use a number as index)")
        if 0 <= index < len(base):
            return base[index]
        return None
    _fail(f"{shown} is not available on a {_type_name(base)} value")


class _JuelInterpreter:
    def __init__(self, variables: Mapping[str, Any], now: datetime | None, context: Mapping[str, Any] | None):
        self.variables = variables
        self.now = now
        self.context = context

    def lookup(self, name: str) -> Any:
        if self.context is not None and name in self.context:
            return self.context[name]
        if name in self.variables:
            return self.variables[name]
        if name == "execution":
            raise UnknownVariableError(
                "Camunda's 'execution' object (as in execution.processBusinessKey) is not available here"
            )
        raise UnknownVariableError(f"unknown variable '{name}'")

    def visit(self, node: _Node) -> Any:
        charge_operation()
        kind = node.kind
        if kind == "lit":
            return node.value
        if kind == "var":
            return self.lookup(node.value)
        if kind == "bin":
            return self.binary(node)
        if kind == "not":
            return not _el_bool(self.visit(node.children[0]))
        if kind == "neg":
            value = self.visit(node.children[0])
            number = _el_number(value)
            return -number
        if kind == "empty":
            try:
                return _el_empty(self.visit(node.children[0]))
            except UnknownVariableError:
                return True
        if kind == "cond":
            test, then, other = node.children
            return self.visit(then) if _el_bool(self.visit(test)) else self.visit(other)
        if kind == "prop":
            return _el_property(self.visit(node.children[0]), node.value, f"property '{node.value}'")
        if kind == "index":
            base = self.visit(node.children[0])
            key = self.visit(node.children[1])
            return _el_property(base, key, f"index [{key!r}]")
        if kind == "call":
            return self.call(node.value, [self.visit(c) for c in node.children])
        if kind == "method":
            target = self.visit(node.children[0])
            args = [self.visit(c) for c in node.children[1:]]
            return self.method(target, node.value, args)
        _fail(f"unsupported expression node {kind}")  # pragma: no cover - the parser makes no others

    def binary(self, node: _Node) -> Any:
        op = node.value
        left_node, right_node = node.children
        if op == "&&":
            return _el_bool(self.visit(left_node)) and _el_bool(self.visit(right_node))
        if op == "||":
            return _el_bool(self.visit(left_node)) or _el_bool(self.visit(right_node))
        a = self.visit(left_node)
        b = self.visit(right_node)
        if op == "==":
            return _el_equal(a, b)
        if op == "!=":
            return not _el_equal(a, b)
        if op in ("<", ">", "<=", ">="):
            return _el_compare(op, a, b)
        return _el_arithmetic(op, a, b)

    def current(self) -> DateTime:
        if self.now is None:
            _fail("dateTime()/now() need the current time, which is not available here")
        if self.now.tzinfo is None:
            _fail("the current time must be an aware datetime")
        return DateTime(self.now)

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "now":
            return self.current()
        if not args:
            return self.current()
        return DateTime(to_utc_datetime(args[0]))

    @staticmethod
    def method(target: Any, name: str, args: list[Any]) -> Any:
        table: Mapping[str, Callable[[Any, list[Any]], Any]]
        if isinstance(target, DateTime):
            table = _DATETIME_METHODS
        elif isinstance(target, str):
            table = _STRING_METHODS
        elif isinstance(target, list | tuple):
            table = _LIST_METHODS
        elif isinstance(target, Mapping):
            table = _MAP_METHODS
        else:
            _fail(f"method '{name}' is not available on a {_type_name(target)} value")
        function = table.get(name)
        if function is None:
            _fail(f"method '{name}' is not available on a {_type_name(target)} value")
        return function(target, args)


# ---------------------------------------------------------------------------------------------
# Python subset: static check and interpreter
# ---------------------------------------------------------------------------------------------

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_REFUSED_BINOPS: dict[type[ast.operator], str] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_FUNCTIONS = frozenset(
    {"len", "str", "int", "float", "bool", "min", "max", "abs", "round", "sum", "any", "all", "sorted"}
    | {"list", "dict"}
)
_PLAIN_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Subscript,
    ast.Slice,
    ast.Call,
    ast.keyword,
    ast.JoinedStr,
    ast.FormattedValue,
)
_NODE_WORDS: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.Starred: "starred expressions are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}
_SKIPPED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_SINGLETONS = (None, True, False)


def _is_singleton(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and any(node.value is s for s in _SINGLETONS)


def _check_node(node: ast.AST) -> None:
    if isinstance(node, ast.Attribute):
        _fail(f"attribute access '.{node.attr}' is not allowed")
    if not isinstance(node, _PLAIN_NODES):
        word = _NODE_WORDS.get(type(node), f"{type(node).__name__} is")
        _fail(f"{word} not allowed")
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            _fail(f"name '{node.id}' is not allowed")
        if not isinstance(node.ctx, ast.Load):
            _fail(f"assigning to '{node.id}' is not allowed here")
    elif isinstance(node, ast.Constant):
        value = node.value
        if value is not None and not isinstance(value, str | int | float):
            _fail(f"constant {value!r} is not allowed")
        if isinstance(value, int) and not isinstance(value, bool):
            _check_int(value)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            _fail(f"operator '{_REFUSED_BINOPS.get(type(node.op), type(node.op).__name__)}' is not allowed")
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Invert):
            _fail("operator '~' is not allowed")
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if isinstance(op, ast.Is | ast.IsNot) and not (
                _is_singleton(operands[i]) or _is_singleton(operands[i + 1])
            ):
                _fail("'is' is only allowed with None, True or False")
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            _fail("dict unpacking (**) is not allowed")
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            _fail(f"attribute access '.{func.attr}' is not allowed")
        if isinstance(func, ast.Lambda):
            _fail("lambda is not allowed")
        if not isinstance(func, ast.Name):
            _fail("only these functions can be called, by name: " + ", ".join(sorted(_FUNCTIONS)))
        if func.id.startswith("_"):
            _fail(f"name '{func.id}' is not allowed")
        if func.id not in _FUNCTIONS:
            _fail(f"function '{func.id}' is not allowed")
        for keyword in node.keywords:
            if keyword.arg is None:
                _fail("keyword unpacking (**) is not allowed")
            if not (func.id == "sorted" and keyword.arg == "reverse"):
                _fail(f"keyword argument '{keyword.arg}' is not allowed for {func.id}()")
    elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        _fail("format specifications in f-strings are not allowed")


def _check_expression_tree(root: ast.AST) -> None:
    """Walk iteratively (no recursion), checking every node against the allow-list and the limits."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _SKIPPED):
            continue
        count += 1
        if count > MAX_NODES:
            _fail(f"expression is too large (more than {MAX_NODES} nodes)")
        if depth > MAX_DEPTH:
            _fail(f"expression is nested too deeply (at most {MAX_DEPTH} levels)")
        _check_node(node)
        # Children in reverse so the leftmost problem is reported first.
        stack.extend((child, depth + 1) for child in reversed(list(ast.iter_child_nodes(node))))


def _parse_python(text: str, mode: str) -> ast.AST:
    try:
        return ast.parse(text, mode=mode)
    except SyntaxError as exc:
        if "too many nested" in str(exc.msg):
            raise ExpressionError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)") from exc
        where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
        _fail(f"syntax error: {exc.msg}{where}")
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)") from exc
    except ValueError as exc:
        raise ExpressionError(f"syntax error: {exc}") from exc


@lru_cache(maxsize=2048)
def _compile_python(text: str) -> ast.expr:
    tree = _parse_python(text, "eval")
    _check_expression_tree(tree)
    assert isinstance(tree, ast.Expression)
    return tree.body


class _PyInterpreter:
    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.sizes = _Sizes()

    def visit(self, node: ast.expr) -> Any:  # noqa: C901 - one dispatch over the allow-list
        charge_operation()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in self.variables:
                raise UnknownVariableError(f"unknown variable '{node.id}'")
            return self.variables[node.id]
        if isinstance(node, ast.BoolOp):
            value: Any = None
            for operand in node.values:
                value = self.visit(operand)
                if isinstance(node.op, ast.And) and not value:
                    return value
                if isinstance(node.op, ast.Or) and value:
                    return value
            return value
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return not operand
            if not _is_number(operand):
                _fail(
                    f"bad operand type for unary {'-' if isinstance(node.op, ast.USub) else '+'}: "
                    f"{_type_name(operand)}"
                )
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.visit(e) for e in node.elts]
            size = len(items) + sum(self.sizes.of(i) for i in items)
            if size > MAX_SIZE:
                _too_big()
            built: Any
            if isinstance(node, ast.List):
                built = items
            elif isinstance(node, ast.Tuple):
                built = tuple(items)
            else:
                built = {_check_key(item) for item in items}
            return self.sizes.note(built, size, 1 + max(map(self.sizes.depth, items), default=0))
        if isinstance(node, ast.Dict):
            result: dict[Any, Any] = {}
            size = 0
            depth = 0
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                assert key_node is not None
                key, item = _check_key(self.visit(key_node)), self.visit(value_node)
                size += 2 + self.sizes.of(key) + self.sizes.of(item)
                depth = max(depth, self.sizes.depth(key), self.sizes.depth(item))
                if size > MAX_SIZE:
                    _too_big()
                result[key] = item
            return self.sizes.note(result, size, depth + 1)
        if isinstance(node, ast.Subscript):
            return self.subscript(self.visit(node.value), node.slice)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            length = 0
            for part in node.values:
                text = str(part.value) if isinstance(part, ast.Constant) else self.format(part)
                length += len(text)
                if length > MAX_SIZE:
                    _too_big()
                parts.append(text)
            return "".join(parts)
        _fail(f"{type(node).__name__} is not allowed")

    def format(self, node: ast.expr) -> str:
        assert isinstance(node, ast.FormattedValue)
        value = self.visit(node.value)
        convert: Callable[[Any], str] = {ord("r"): repr, ord("a"): ascii}.get(node.conversion, str)
        return self.to_str(value, convert)

    def to_str(self, value: Any, convert: Callable[[Any], str] = str) -> str:
        if isinstance(value, str) and convert is str:
            return value
        if self.sizes.of(value) > MAX_SIZE:
            _too_big()
        text = convert(value)
        if len(text) > 10 * MAX_SIZE:
            _too_big()
        return text

    def binary(self, op: ast.operator, a: Any, b: Any) -> Any:
        if isinstance(op, ast.Add):
            if _is_number(a) and _is_number(b):
                return _check_int(a + b)
            if (
                isinstance(a, str)
                and isinstance(b, str)
                or isinstance(a, list)
                and isinstance(b, list)
                or isinstance(a, tuple)
                and isinstance(b, tuple)
            ):
                return _concat(a, b, self.sizes)
        elif isinstance(op, ast.Sub):
            if _is_number(a) and _is_number(b):
                return _check_int(a - b)
        elif isinstance(op, ast.Mult):
            if _is_number(a) and _is_number(b):
                return _multiply_numbers(a, b)
            if isinstance(a, str | list | tuple) and isinstance(b, int):
                return _repeat(a, b, self.sizes)
            if isinstance(b, str | list | tuple) and isinstance(a, int):
                return _repeat(b, a, self.sizes)
        elif isinstance(op, ast.Div | ast.FloorDiv | ast.Mod):
            if isinstance(op, ast.Mod) and isinstance(a, str):
                _fail("string formatting with % is not allowed")
            if _is_number(a) and _is_number(b):
                if b == 0:
                    _fail("division by zero")
                if isinstance(op, ast.Div):
                    return a / b
                return _check_int(a // b if isinstance(op, ast.FloorDiv) else a % b)
        elif isinstance(op, ast.Pow):
            return _power(a, b)
        symbol = _BINOPS.get(type(op), "?")
        _fail(f"unsupported operand types for {symbol}: {_type_name(a)} and {_type_name(b)}")

    def compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            if isinstance(op, ast.Eq):
                ok = left == right
            elif isinstance(op, ast.NotEq):
                ok = left != right
            elif isinstance(op, ast.Lt):
                ok = left < right
            elif isinstance(op, ast.LtE):
                ok = left <= right
            elif isinstance(op, ast.Gt):
                ok = left > right
            elif isinstance(op, ast.GtE):
                ok = left >= right
            elif isinstance(op, ast.Is):
                ok = left is right
            elif isinstance(op, ast.IsNot):
                ok = left is not right
            elif isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, str | list | tuple | dict | set | frozenset):
                    _fail(f"'in' needs a string, list, tuple, dict or set, not {_type_name(right)}")
                if isinstance(right, str) and not isinstance(left, str):
                    _fail(f"'in <string>' needs a string on the left, not {_type_name(left)}")
                ok = (left in right) if isinstance(op, ast.In) else (left not in right)
            else:  # pragma: no cover - every cmpop is handled above
                _fail("comparison is not allowed")
            if not ok:
                return False
            left = right
        return True

    def subscript(self, value: Any, index_node: ast.expr) -> Any:
        if not isinstance(value, Mapping | list | tuple | str):
            _fail(f"cannot index a {_type_name(value)} value")
        if isinstance(index_node, ast.Slice):
            if isinstance(value, Mapping):
                _fail("cannot slice a dict")
            bounds = []
            for part in (index_node.lower, index_node.upper, index_node.step):
                bound = None if part is None else self.visit(part)
                if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                    _fail(f"slice bounds must be integers, not {_type_name(bound)}")
                bounds.append(bound)
            if bounds[2] == 0:
                _fail("slice step cannot be zero")
            return value[slice(*bounds)]
        key = self.visit(index_node)
        return _py_item(value, key)

    def iterable(self, value: Any, name: str) -> Iterable[Any]:
        if isinstance(value, str | list | tuple | set | frozenset | Mapping):
            return value
        _fail(f"{name}() needs a string, list, tuple, set or dict, not {_type_name(value)}")

    def call(self, node: ast.Call) -> Any:  # noqa: C901 - one branch per allowed function
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.visit(a) for a in node.args]
        reverse = False
        for keyword in node.keywords:
            reverse = bool(self.visit(keyword.value))
        count = len(args)

        def arity(low: int, high: int) -> None:
            if not low <= count <= high:
                _fail(f"{name}() does not take {count} arguments")

        if name == "len":
            arity(1, 1)
            if not isinstance(args[0], str | list | tuple | set | frozenset | Mapping):
                _fail(f"len() needs a string, list, tuple, set or dict, not {_type_name(args[0])}")
            return len(args[0])
        if name == "str":
            arity(0, 1)
            return self.to_str(args[0]) if args else ""
        if name == "int":
            arity(0, 2)
            return _py_int(*args)
        if name == "float":
            arity(0, 1)
            if not args:
                return 0.0
            value = args[0]
            if isinstance(value, str) and len(value) > _MAX_NUMBER_TEXT:
                _fail("number text is too long")
            if not isinstance(value, str | int | float):
                _fail(f"float() needs a string or number, not {_type_name(value)}")
            return float(value)
        if name == "bool":
            arity(0, 1)
            return bool(args[0]) if args else False
        if name in ("min", "max"):
            if count == 0:
                _fail(f"{name}() needs at least one argument")
            items = list(self.iterable(args[0], name)) if count == 1 else args
            if not items:
                _fail(f"{name}() of an empty sequence")
            return min(items) if name == "min" else max(items)
        if name == "abs":
            arity(1, 1)
            if not _is_number(args[0]):
                _fail(f"abs() needs a number, not {_type_name(args[0])}")
            return abs(args[0])
        if name == "round":
            arity(1, 2)
            if not _is_number(args[0]):
                _fail(f"round() needs a number, not {_type_name(args[0])}")
            if count == 1 or args[1] is None:
                return _check_int(round(args[0]))
            digits = args[1]
            if not isinstance(digits, int) or isinstance(digits, bool) or abs(digits) > _MAX_ROUND_DIGITS:
                _fail(
                    f"round() needs a whole number of digits between -{_MAX_ROUND_DIGITS} and "
                    f"{_MAX_ROUND_DIGITS}"
                )
            return round(args[0], digits)
        if name == "sum":
            arity(1, 2)
            total: Any = args[1] if count == 2 else 0
            if not _is_number(total):
                _fail("sum() adds numbers only")
            for item in self.iterable(args[0], name):
                if not _is_number(item):
                    _fail(f"sum() adds numbers only, not {_type_name(item)}")
                total = _check_int(total + item)
            return total
        if name in ("any", "all"):
            arity(1, 1)
            items_iter = self.iterable(args[0], name)
            return any(items_iter) if name == "any" else all(items_iter)
        if name in ("sorted", "list"):
            arity(0 if name == "list" else 1, 1)
            if not args:
                return []
            source = self.iterable(args[0], name)
            size = len(source) if isinstance(source, str) else self.sizes.of(source)
            if isinstance(source, str):
                size *= 2
            if size > MAX_SIZE:
                _too_big()
            result = sorted(source, reverse=reverse) if name == "sorted" else list(source)
            return self.sizes.note(result, size, max(1, self.sizes.depth(source)))
        if name == "dict":
            arity(0, 1)
            if not args:
                return {}
            source = args[0]
            if not isinstance(source, Mapping | list | tuple):
                _fail(f"dict() needs a dict or a list of pairs, not {_type_name(source)}")
            size = self.sizes.of(source) + (len(source) if isinstance(source, list | tuple) else 0)
            if size > MAX_SIZE:
                _too_big()
            _check_pairs(source)
            return self.sizes.note(dict(source), size, self.sizes.depth(source))
        _fail(f"function '{name}' is not allowed")  # pragma: no cover - checked statically


def _py_item(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        try:
            return value[key]
        except KeyError:
            _fail(f"key {key!r} not found")
        except TypeError:
            _fail(f"a {_type_name(key)} cannot be a dict key")
    if not isinstance(value, list | tuple | str):
        _fail(f"cannot index a {_type_name(value)} value")
    if not isinstance(key, int):
        _fail(f"{_type_name(value)} indices must be integers, not {_type_name(key)}")
    try:
        return value[key]
    except IndexError:
        _fail(f"index {key} is out of range")


def _py_int(*args: Any) -> int:
    if not args:
        return 0
    value = args[0]
    if len(args) == 2:
        base = args[1]
        if not isinstance(value, str) or not isinstance(base, int):
            _fail("int() with a base needs a string and a whole number")
        if len(value) > _MAX_NUMBER_TEXT:
            _fail("number text is too long")
        return _check_int(int(value, base))
    if isinstance(value, str):
        if len(value) > _MAX_NUMBER_TEXT:
            _fail("number text is too long")
        return _check_int(int(value))
    if isinstance(value, int | float):
        return _check_int(int(value))
    _fail(f"int() needs a string or number, not {_type_name(value)}")


# ---------------------------------------------------------------------------------------------
# Scripts
# ---------------------------------------------------------------------------------------------

_STATEMENT_WORDS: dict[type[ast.AST], str] = {
    ast.Import: "import statements",
    ast.ImportFrom: "import statements",
    ast.FunctionDef: "function definitions (def)",
    ast.AsyncFunctionDef: "function definitions (def)",
    ast.ClassDef: "class definitions",
    ast.For: "for loops",
    ast.AsyncFor: "for loops",
    ast.While: "while loops",
    ast.With: "with statements",
    ast.AsyncWith: "with statements",
    ast.Delete: "del statements",
    ast.Global: "global statements",
    ast.Nonlocal: "nonlocal statements",
    ast.Try: "try statements",
    ast.If: "if statements",
    ast.Return: "return statements",
    ast.Raise: "raise statements",
    ast.Assert: "assert statements",
    ast.AnnAssign: "annotated assignments",
    ast.Pass: "pass statements",
    ast.Break: "break statements",
    ast.Continue: "continue statements",
    ast.Match: "match statements",
}
if hasattr(ast, "TryStar"):  # pragma: no branch - Python 3.11+
    _STATEMENT_WORDS[ast.TryStar] = "try statements"


def _check_target(target: ast.expr) -> None:
    if isinstance(target, ast.Name):
        if target.id.startswith("_"):
            _fail(f"name '{target.id}' is not allowed")
        return
    if isinstance(target, ast.Subscript):
        node: ast.expr = target
        while isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                _fail("assigning to a slice is not allowed")
            _check_expression_tree(node.slice)
            node = node.value
        if not isinstance(node, ast.Name):
            _fail("only a variable or an item of a variable can be assigned to")
        if node.id.startswith("_"):
            _fail(f"name '{node.id}' is not allowed")
        return
    if isinstance(target, ast.Attribute):
        _fail(f"attribute access '.{target.attr}' is not allowed")
    if isinstance(target, ast.Tuple | ast.List):
        _fail("unpacking assignments (a, b = ...) are not allowed")
    _fail(f"cannot assign to {type(target).__name__}")


@lru_cache(maxsize=512)
def _compile_script(text: str) -> tuple[ast.stmt, ...]:
    if len(text) > MAX_TEXT_LENGTH:
        _fail(f"script is too long ({len(text)} characters; at most {MAX_TEXT_LENGTH} are allowed)")
    tree = _parse_python(text, "exec")
    assert isinstance(tree, ast.Module)
    if len(tree.body) > MAX_STATEMENTS:
        _fail(f"script is too long (more than {MAX_STATEMENTS} statements)")
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                _check_target(target)
            _check_expression_tree(stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                _fail("augmented assignment (+= and the like) is only allowed to a variable")
            _check_target(stmt.target)
            if type(stmt.op) not in _BINOPS:
                symbol = _REFUSED_BINOPS.get(type(stmt.op), type(stmt.op).__name__)
                _fail(f"operator '{symbol}=' is not allowed")
            _check_expression_tree(stmt.value)
        elif isinstance(stmt, ast.Expr):
            _check_expression_tree(stmt.value)
        else:
            word = _STATEMENT_WORDS.get(type(stmt), f"'{type(stmt).__name__}' statements")
            _fail(f"{word} are not allowed (line {stmt.lineno})")
    return tuple(tree.body)


class _ScriptRunner:
    def __init__(self, work: dict[str, Any]) -> None:
        self.work = work
        self.interpreter = _PyInterpreter(work)
        self.owned: dict[str, int] = {}  # root name -> size budget after copy-on-write

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.work[target.id] = value
            self.owned.pop(target.id, None)
            return
        assert isinstance(target, ast.Subscript)
        chain: list[ast.expr] = []
        node: ast.expr = target
        while isinstance(node, ast.Subscript):
            chain.append(node.slice)
            node = node.value
        assert isinstance(node, ast.Name)
        root = node.id
        if root not in self.work:
            raise UnknownVariableError(f"unknown variable '{root}'")
        if root not in self.owned:
            # Value semantics: assigning into an item never changes another variable or the input.
            self.work[root] = copy.deepcopy(self.work[root])
            # A variable may grow to MAX_SIZE, or a little beyond what it already held.
            self.owned[root] = max(MAX_SIZE, _weight(self.work[root], 100 * MAX_SIZE) + MAX_SIZE // 10)
        keys = [self.interpreter.visit(k) for k in reversed(chain)]
        container = self.work[root]
        for key in keys[:-1]:
            container = _py_item(container, key)
        key = keys[-1]
        if isinstance(container, dict):
            _check_key(key)
            try:
                container[key] = value
            except TypeError:
                _fail(f"a {_type_name(key)} cannot be a dict key")
        elif isinstance(container, list):
            if not isinstance(key, int):
                _fail(f"list indices must be integers, not {_type_name(key)}")
            try:
                container[key] = value
            except IndexError:
                _fail(f"index {key} is out of range")
        else:
            _fail(f"cannot assign to an item of a {_type_name(container)} value")
        self.interpreter.sizes.forget()
        budget = self.owned[root]
        _check_measure(*_measure(self.work[root], budget), limit=budget)

    def run(self, statements: tuple[ast.stmt, ...]) -> None:
        for stmt in statements:
            if isinstance(stmt, ast.Assign):
                value = self.interpreter.visit(stmt.value)
                for target in stmt.targets:
                    self.assign(target, value)
            elif isinstance(stmt, ast.AugAssign):
                assert isinstance(stmt.target, ast.Name)
                name = stmt.target.id
                if name not in self.work:
                    raise UnknownVariableError(f"unknown variable '{name}'")
                value = self.interpreter.binary(stmt.op, self.work[name], self.interpreter.visit(stmt.value))
                self.assign(stmt.target, value)
            elif isinstance(stmt, ast.Expr):
                self.interpreter.visit(stmt.value)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _python_body(source: str) -> ast.expr:
    try:
        return _compile_python(source)
    except ExpressionError as exc:
        if "${" in source or "#{" in source:
            raise ExpressionError(
                "text mixed with ${...} is not supported; write the whole value as one ${...} expression"
            ) from exc
        raise


def validate_expression(text: str) -> None:
    """Parse and check an expression statically; raise ExpressionError saying what is wrong.

    Accepts JUEL (``${...}``/``#{...}``), bare ISO 8601 timer values and the Python subset. Used at
    deploy time on every condition, timer and property value. A part that needs no variable (such
    as ``10**10**10``) is tried once with the cost bounds, so an expression that can only fail is
    refused at deploy rather than at run time.
    """
    source = _prepare(text)
    try:
        juel = _juel_source(source)
        composite = _composite(source) if juel is None else None
        if juel is not None:
            _parse_juel(juel)
        elif composite is not None:
            for is_expression, part in composite:
                if is_expression:
                    _parse_juel(part)
        elif is_iso_timer_literal(source):
            return
        else:
            _python_body(source)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    _try_constant(lambda: evaluate(source, {}, now=_DEPLOY_PROBE_TIME))


_DEPLOY_PROBE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _try_constant(run: Any) -> None:
    """Run a check evaluation with no variables; only errors of the expression itself count."""
    try:
        run()
    except UnknownVariableError:
        return
    except ExpressionError as exc:
        if "unknown variable" in str(exc) or "execution" in str(exc):
            return
        raise


def evaluate(
    text: str,
    variables: Mapping[str, Any],
    *,
    now: datetime | None = None,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate an expression against ``variables`` and return its value.

    JUEL returns JUEL values (``dateTime()`` gives a :class:`DateTime`); an ISO timer literal returns
    itself; the Python subset returns plain Python values. ``now`` (aware) is the current time for
    ``dateTime()``/``now()``; ``context`` supplies Camunda objects such as ``execution`` (a dict with
    ``processBusinessKey``). Every failure raises ExpressionError.
    """
    source = _prepare(text)
    try:
        juel = _juel_source(source)
        if juel is not None:
            tree = _parse_juel(juel)
            return _JuelInterpreter(variables, now, context).visit(tree)
        composite = _composite(source)
        if composite is not None:
            # Camunda EL composite expression: every ${...} coerced to text, joined with the literal text
            interpreter = _JuelInterpreter(variables, now, context)
            pieces = [_el_str(interpreter.visit(_parse_juel(p))) if e else p for e, p in composite]
            joined = "".join(pieces)
            if len(joined) > MAX_SIZE:
                _too_big()
            return joined
        if is_iso_timer_literal(source):
            return source
        body = _python_body(source)
        return _PyInterpreter(variables).visit(body)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc


def validate_script(text: str) -> None:
    """Check a script statically: assignments, augmented assignments and expressions only."""
    if not isinstance(text, str):
        _fail(f"a script must be text, not {_type_name(text)}")
    try:
        _compile_script(text)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    _try_constant(lambda: execute_script(text, {}, now=_DEPLOY_PROBE_TIME))


def execute_script(text: str, variables: dict[str, Any], *, now: datetime | None = None) -> None:
    """Run a script, updating ``variables`` in place; on any error nothing is changed.

    The script runs on a copy: assignment has value semantics (setting ``x['a']`` never changes the
    caller's objects), and the result is written back only when every statement succeeded. ``now``
    is accepted for symmetry with :func:`evaluate`; the Python subset has no clock functions.
    """
    if not isinstance(text, str):
        _fail(f"a script must be text, not {_type_name(text)}")
    try:
        statements = _compile_script(text)
        work = dict(variables)
        _ScriptRunner(work).run(statements)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    variables.update(work)


def evaluate_timer(text: str, variables: Mapping[str, Any], *, now: datetime) -> str:
    """Evaluate a timer definition (timeDate, timeDuration or timeCycle) to an ISO 8601 string.

    An ISO literal is returned unchanged. An expression's value is converted: a DateTime or datetime
    becomes its UTC ``isoformat()``; a date (or ``YYYY-MM-DD`` text) becomes midnight Europe/Amsterdam
    in UTC; other text must itself be an ISO timer literal.
    """
    source = _prepare(text)
    if is_iso_timer_literal(source):
        return source
    value = evaluate(source, variables, now=now)
    if isinstance(value, DateTime | datetime | date):
        return to_utc_datetime(value).isoformat()
    if isinstance(value, str):
        candidate = value.strip()
        if is_iso_timer_literal(candidate):
            return candidate
        if _DATE_ONLY.fullmatch(candidate):
            return to_utc_datetime(candidate).isoformat()
        _fail(f"timer value '{value[:100]}' is not an ISO 8601 date-time, duration or cycle")
    _fail(f"a timer needs a date-time, duration or cycle, not {_type_name(value)}")
