"""Reading untrusted JSON text with bounds, for every request body and inbound event.

The standard library parser recurses once per nesting level (100,000 ``[`` raise RecursionError),
accepts ``NaN``/``Infinity`` and turns ``1e999`` into infinity, refuses integers of more than 4,300
digits with a bare ValueError, and returns strings with unpaired surrogates or NUL characters that
no database column stores. :func:`load_json` refuses all of these with :class:`BodyError`, saying
what is wrong; a value it returns is safe to store, copy and serialise.
"""

from __future__ import annotations

import json
import math
from typing import Any

from engine.errors import EngineError

__all__ = ["MAX_JSON_DEPTH", "BodyError", "check_depth", "load_json"]

#: Deepest nesting of arrays and objects accepted in a body.
MAX_JSON_DEPTH = 64


class BodyError(EngineError):
    """A body that cannot be read as JSON; the message says why (never quoting the body)."""


def _refuse_constant(name: str) -> Any:
    raise BodyError(f"'{name}' is not a JSON value")


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise BodyError(f"{where} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(f"{where} contains an unpaired surrogate (not valid Unicode)") from None


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Walk a parsed value without recursion: depth, finite numbers and storable text."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            _check_text(item, "a text value")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BodyError("a number is out of range")
        elif isinstance(item, list | dict):
            if level >= limit:
                raise BodyError(f"the JSON is nested too deeply (at most {limit} levels)")
            if isinstance(item, dict):
                for key in item:
                    _check_text(key, "a member name")
                stack.extend((child, level + 1) for child in item.values())
            else:
                stack.extend((child, level + 1) for child in item)


def load_json(body: bytes | str) -> Any:
    """Parse a JSON body (UTF-8) within the bounds above; raise BodyError saying what is wrong."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("the body is not UTF-8 text") from None
    else:
        text = body
    if text.startswith("\ufeff"):
        raise BodyError("the body starts with a byte order mark")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except BodyError:
        raise
    except json.JSONDecodeError as exc:
        raise BodyError(f"the body is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        # The C parser stops cleanly at the interpreter's recursion limit; the walk below refuses
        # anything deeper than MAX_JSON_DEPTH that it did parse.
        raise BodyError(f"the JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, MemoryError):
        # e.g. an integer of more than 4,300 digits
        raise BodyError("the body is not valid JSON (a value is out of range)") from None
    check_depth(value)
    return value
