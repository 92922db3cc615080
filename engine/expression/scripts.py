"""The few Groovy/JavaScript scripts whose meaning needs no Groovy or JavaScript engine.

Camunda runs ``scriptFormat="groovy"`` (or ``javascript``) with a JVM script engine; we run none.
A script is accepted only when its meaning is certain without one. It is a list of statements,
one per line (or separated by ``;``), each of them:

* ``execution.setVariable("name", <value>)``: sets a process variable, as Camunda does;
* ``def name = <value>`` (Groovy) or ``var``/``let``/``const name = <value>`` (JavaScript): a
  variable local to the script (never stored, as Camunda does not store them);
* ``println ...``, ``print ...``, ``console.log(...)``: output only, so nothing here;
* a final ``return <value>`` (or a bare value): the script's value (``camunda:resultVariable``, or
  an input/output parameter's value).

A value is a number, a quoted string without interpolation, ``true``/``false``/``null``, a
variable, or a sum, difference or product of numbers and variables (no strings there: Groovy's
``+`` on text concatenates where EL adds). Values are evaluated by the JUEL interpreter, whose
literals and arithmetic agree with Groovy's and JavaScript's for exactly these forms. Everything
else raises :class:`~engine.errors.ExpressionError`, and the deploy check refuses the script naming
its element.
"""

from __future__ import annotations

import re

from engine.errors import ExpressionError

__all__ = [
    "FOREIGN_SCRIPT_FORMATS",
    "Statement",
    "compile_foreign_script",
    "compile_foreign_statements",
    "juel_set_variable",
]

FOREIGN_SCRIPT_FORMATS = frozenset({"groovy", "javascript", "js", "ecmascript", "nashorn", "graal.js"})

Statement = tuple[str, str, str]
"""(kind, name, JUEL source of the value): kind is "set", "local" or "return"."""

_PRINT_RE = re.compile(r"^(println|print)(\s+.*|\s*\(.*\))?$|^console\.log\(.*\)$", re.DOTALL)
_NUMBER = r"\d+(?:\.\d+)?"
_STRING = r"'[^'\\$]*'|\"[^\"\\$]*\""
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEYWORD = r"true|false|null"
_SINGLE_RE = re.compile(rf"^(?:{_NUMBER}|{_STRING}|{_KEYWORD}|{_NAME})$")
_ARITH_RE = re.compile(rf"^[\s()]*(?:{_NUMBER}|{_NAME})(?:[\s()]*[-+*][\s()]*(?:{_NUMBER}|{_NAME}))*[\s()]*$")
_SET_RE = re.compile(rf"^execution\.setVariable\(\s*(?:'({_NAME})'|\"({_NAME})\")\s*,\s*(.+)\)$", re.DOTALL)
_LOCAL_RE = re.compile(rf"^(?:def|var|let|const)\s+(?:[A-Za-z_][\w.]*\s+)?({_NAME})\s*=\s*(.+)$", re.DOTALL)


def _lines(text: str) -> list[str]:
    body = re.sub(r"(?m)^\s*//[^\n]*|\s+//[^\n'\"]*$", "", text)
    out: list[str] = []
    for line in body.replace(";", ";\n").splitlines():
        line = line.strip().rstrip(";").strip()
        if line:
            out.append(line)
    return out


def _value(text: str) -> str:
    value = text.strip()
    if not value or not (_SINGLE_RE.match(value) or _ARITH_RE.match(value)):
        raise ExpressionError(
            f"'{value[:80]}' needs a Groovy/JavaScript engine: only a literal, a variable or a sum of "
            "numbers and variables can be used"
        )
    if value.count("(") != value.count(")"):
        raise ExpressionError(f"'{value[:80]}': unbalanced parentheses")
    return "${" + value + "}"


def compile_foreign_statements(text: str) -> list[Statement]:
    """The script as statements (see the module text); raises ExpressionError for anything else."""
    statements: list[Statement] = []
    lines = _lines(text or "")
    for index, line in enumerate(lines):
        if _PRINT_RE.match(line):
            continue
        set_match = _SET_RE.match(line)
        local_match = _LOCAL_RE.match(line)
        if set_match:
            statements.append(("set", set_match.group(1) or set_match.group(2), _value(set_match.group(3))))
        elif local_match:
            statements.append(("local", local_match.group(1), _value(local_match.group(2))))
        elif index == len(lines) - 1:
            value = line[len("return ") :] if line.startswith("return ") else line
            statements.append(("return", "", _value(value)))
        else:
            raise ExpressionError(
                f"'{line[:80]}' needs a Groovy/JavaScript engine: only execution.setVariable, def/var, "
                "print and a final return can run without one"
            )
    return statements


def compile_foreign_script(text: str) -> str | None:
    """The JUEL source of a value script (a parameter's), ``None`` for one that only prints."""
    statements = compile_foreign_statements(text)
    if not statements:
        return None
    if len(statements) != 1 or statements[0][0] != "return":
        raise ExpressionError(
            "only a single 'return <value>' or print statements can run without a Groovy/JavaScript engine"
        )
    return statements[0][2]


_JUEL_SET_RE = re.compile(
    rf"^[$#]\{{\s*execution\.setVariable\(\s*(?:'({_NAME})'|\"({_NAME})\")\s*,\s*(.+)\)\s*\}}$", re.DOTALL
)


def juel_set_variable(text: str) -> tuple[str, str] | None:
    """``${execution.setVariable('name', <expr>)}``, Camunda's idiom in JUEL scripts and service task
    expressions, as (name, JUEL source of the value); ``None`` for any other text."""
    match = _JUEL_SET_RE.match((text or "").strip())
    if match is None:
        return None
    return match.group(1) or match.group(2), "${" + match.group(3) + "}"
