"""The limits every evaluation runs under, and the guards shared by the languages.

Text length, node count, nesting depth, integer width and the size of built values are bounded
here; every failure is an :class:`~engine.errors.ExpressionError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from engine.errors import ExpressionError

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
