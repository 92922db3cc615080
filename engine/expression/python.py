"""The Python subset (SpiffWorkflow's own expression syntax) and safe scripts.

Parsed with :func:`ast.parse` and interpreted node by node from an allow-list: no attribute access,
no builtins, no comprehensions. Scripts are assignments of safe expressions.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from engine.budget import charge_operation
from engine.errors import ExpressionError
from engine.expression.limits import (
    _MAX_NUMBER_TEXT,
    _MAX_ROUND_DIGITS,
    MAX_DEPTH,
    MAX_NODES,
    MAX_SIZE,
    MAX_STATEMENTS,
    MAX_TEXT_LENGTH,
    UnknownVariableError,
    _check_int,
    _check_key,
    _check_measure,
    _check_pairs,
    _concat,
    _fail,
    _is_number,
    _measure,
    _multiply_numbers,
    _power,
    _repeat,
    _Sizes,
    _too_big,
    _type_name,
    _weight,
)

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
