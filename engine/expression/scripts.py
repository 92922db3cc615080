"""The few Groovy/JavaScript scripts whose meaning needs no Groovy or JavaScript engine.

Camunda runs ``scriptFormat="groovy"`` (or ``javascript``) with a JVM script engine; we run none.
A script is accepted only when its meaning is certain without one:

* a single ``return <value>`` (or a bare value), where the value is a number, a quoted string
  without interpolation, ``true``/``false``/``null``, a variable, or a sum, difference or product of
  numbers and variables (no strings there: Groovy's ``+`` on text concatenates where EL adds);
* lines that only print (``println ...``, ``print ...``, ``console.log(...)``): they change nothing
  in the process, so the script does nothing here.

The value is evaluated by the JUEL interpreter, whose literals and arithmetic agree with Groovy's
for exactly these forms. Everything else raises :class:`~engine.errors.ExpressionError`, and the
deploy check refuses the script naming its element.
"""

from __future__ import annotations

import re

from engine.errors import ExpressionError

__all__ = ["FOREIGN_SCRIPT_FORMATS", "compile_foreign_script"]

FOREIGN_SCRIPT_FORMATS = frozenset({"groovy", "javascript", "js", "ecmascript", "nashorn", "graal.js"})

_PRINT_RE = re.compile(r"^(println|print)(\s+.*|\s*\(.*\))?;?$|^console\.log\(.*\);?$", re.DOTALL)
_NUMBER = r"\d+(?:\.\d+)?"
_STRING = r"'[^'\\$]*'|\"[^\"\\$]*\""
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEYWORD = r"true|false|null"
_SINGLE_RE = re.compile(rf"^(?:{_NUMBER}|{_STRING}|{_KEYWORD}|{_NAME})$")
_ARITH_RE = re.compile(rf"^[\s()]*(?:{_NUMBER}|{_NAME})(?:[\s()]*[-+*][\s()]*(?:{_NUMBER}|{_NAME}))*[\s()]*$")


def _lines(text: str) -> list[str]:
    body = re.sub(r"//[^\n]*", "", text)
    out: list[str] = []
    for line in body.replace(";", ";\n").splitlines():
        line = line.strip()
        if line and line != ";":
            out.append(line)
    return out


def compile_foreign_script(text: str) -> str | None:
    """The JUEL source of the script's value, ``None`` for a script that only prints.

    Raises ExpressionError for anything else.
    """
    lines = _lines(text or "")
    if lines and all(_PRINT_RE.match(line) for line in lines):
        return None
    if len(lines) != 1:
        raise ExpressionError(
            "only a single 'return <value>' or print statements can run without a Groovy/JavaScript engine"
        )
    line = lines[0].rstrip(";").strip()
    if line.startswith("return "):
        line = line[len("return ") :].strip()
    if not line or not (_SINGLE_RE.match(line) or _ARITH_RE.match(line)):
        raise ExpressionError(
            f"'{line[:80]}' needs a Groovy/JavaScript engine: only a literal, a variable or a sum of "
            "numbers and variables can be returned"
        )
    if line.count("(") != line.count(")"):
        raise ExpressionError(f"'{line[:80]}': unbalanced parentheses")
    return "${" + line + "}"
