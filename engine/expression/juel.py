"""JUEL, Camunda 7's expression language: tokenizer, Pratt parser and interpreter.

Whole expressions (``${...}``/``#{...}``) and composite ones (text mixed with ``${...}``, joined as
text, as Camunda's EL does) are parsed into our own node tree and interpreted with JUEL's coercion
rules. Nothing is compiled or passed to ``eval``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NoReturn

from engine.budget import charge_operation
from engine.errors import ExpressionError
from engine.expression.dates import (
    _DATETIME_METHODS,
    DateTime,
    _nullary,
    _one_arg,
    to_utc_datetime,
)
from engine.expression.execution import EXECUTION_METHODS, Execution, require_execution
from engine.expression.limits import (
    _MAX_NUMBER_TEXT,
    MAX_DEPTH,
    MAX_NODES,
    MAX_SIZE,
    UnknownVariableError,
    _check_int,
    _fail,
    _multiply_numbers,
    _too_big,
    _type_name,
    _weight,
)


def _string_arg(name: str, args: list[Any]) -> str:
    value = _one_arg(name, args)
    return _el_str(value)


def _int_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        _fail(f"{name}() needs a whole number, not {_type_name(value)}")
    return int(value)


def _concat(s: str, args: list[Any]) -> str:
    other = _string_arg("concat", args)
    if len(s) + len(other) > MAX_SIZE:
        _too_big()
    return s + other


def _substring(s: str, args: list[Any]) -> str:
    """Java's ``substring(begin[, end])``: out-of-range indexes are an error, as in Java."""
    if len(args) not in (1, 2):
        _fail(f"substring() takes 1 or 2 arguments, not {len(args)}")
    begin = _int_arg("substring", args[0])
    end = _int_arg("substring", args[1]) if len(args) == 2 else len(s)
    if begin < 0 or end > len(s) or begin > end:
        _fail(f"substring({begin}, {end}) is out of range for a text of length {len(s)}")
    return s[begin:end]


def _index_of(s: str, args: list[Any], last: bool = False) -> int:
    if len(args) not in (1, 2):
        _fail(f"indexOf() takes 1 or 2 arguments, not {len(args)}")
    needle = _el_str(args[0])
    if len(args) == 2:
        start = _int_arg("indexOf", args[1])
        return s.rfind(needle, 0, max(start, 0) + len(needle)) if last else s.find(needle, max(start, 0))
    return s.rfind(needle) if last else s.find(needle)


def _replace(s: str, args: list[Any]) -> str:
    """Java's ``replace(target, replacement)``: literal text, every occurrence."""
    if len(args) != 2:
        _fail(f"replace() takes 2 arguments, not {len(args)}")
    old, new = _el_str(args[0]), _el_str(args[1])
    if not old:
        _fail("replace() needs a text to replace")
    if len(s) + s.count(old) * max(len(new) - len(old), 0) > MAX_SIZE:
        _too_big()
    return s.replace(old, new)


def _char_at(s: str, args: list[Any]) -> str:
    index = _int_arg("charAt", _one_arg("charAt", args))
    if not 0 <= index < len(s):
        _fail(f"charAt({index}) is out of range for a text of length {len(s)}")
    return s[index]


def _compare_to(s: str, args: list[Any]) -> int:
    other = _string_arg("compareTo", args)
    return (s > other) - (s < other)


_STRING_METHODS: dict[str, Callable[[str, list[Any]], Any]] = {
    "concat": _concat,
    "substring": _substring,
    "indexOf": lambda s, a: _index_of(s, a),
    "lastIndexOf": lambda s, a: _index_of(s, a, last=True),
    "replace": _replace,
    "charAt": _char_at,
    "compareTo": _compare_to,
    "toString": _nullary("toString", lambda s: s),
    "isBlank": _nullary("isBlank", lambda s: not s.strip()),
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


def _list_get(v: Any, args: list[Any]) -> Any:
    index = _int_arg("get", _one_arg("get", args))
    if not 0 <= index < len(v):
        _fail(f"get({index}) is out of range for a list of size {len(v)}")
    return v[index]


_LIST_METHODS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "get": _list_get,
    "indexOf": lambda v, a: next(
        (i for i, item in enumerate(v) if _el_equal(item, _one_arg("indexOf", a))), -1
    ),
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
_JUEL_METHODS |= frozenset(_MAP_METHODS) | frozenset(EXECUTION_METHODS)
_JUEL_FUNCTIONS = {"dateTime": (0, 1), "now": (0, 0)}


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
    if isinstance(base, Execution):
        return base.get_property(key)
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
        if name == "execution":  # Camunda resolves it before any variable of that name
            return require_execution(name)
        if name in self.variables:
            return self.variables[name]
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
        if isinstance(target, Execution):
            table = EXECUTION_METHODS
        elif isinstance(target, DateTime):
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
