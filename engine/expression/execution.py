"""Camunda's ``execution`` object in JUEL: ``execution.processBusinessKey``, ``getVariable``, ``setVariable``.

Camunda 7 resolves the name ``execution`` in every expression evaluated on a process path (service
task and script task expressions, conditions, timers, user task attributes, input/output
parameters, call activity mappings) to the ``DelegateExecution`` running there; JUEL reads a
property through its getter (``execution.processBusinessKey`` is ``getProcessBusinessKey()``).
:class:`Execution` is that object for our evaluator: the identity of the path (instance id,
business key, activity, process definition) and its variables, with ``setVariable`` and friends
recorded in :attr:`Execution.writes` for the caller to apply when the whole expression succeeded.

Ids: ``id`` is the instance's id, as Camunda's ``execution.id`` is for the instance's own
execution; Camunda gives concurrent paths and scopes executions of their own, which are not
modelled here. A called process runs inside its caller's instance: its ``processInstanceId`` and
``processBusinessKey`` are the caller's.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from engine.expression.limits import UnknownVariableError, _fail, _type_name

__all__ = ["EXECUTION_METHODS", "Execution", "REMOVED", "current_execution", "executing"]

REMOVED: Any = object()
"""The value :attr:`Execution.writes` holds for a variable ``removeVariable`` removed."""


class Execution:
    """The ``execution`` an expression sees; reads its variables, records what it sets."""

    __slots__ = (
        "activity_id",
        "activity_name",
        "business_key",
        "definition_id",
        "instance_id",
        "local_names",
        "local_writes",
        "read_only",
        "variables",
        "writes",
    )

    def __init__(
        self,
        *,
        instance_id: str | None,
        business_key: str | None,
        activity_id: str | None,
        activity_name: str | None = None,
        definition_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
        local_names: frozenset[str] | None = None,
        read_only: bool = False,
    ) -> None:
        self.instance_id = instance_id
        self.business_key = business_key
        self.activity_id = activity_id
        self.activity_name = activity_name
        self.definition_id = definition_id
        self.variables: Mapping[str, Any] = variables if variables is not None else {}
        #: names local to the execution's scope; None: the execution is its process instance's
        #: (a task that is no scope of its own), whose variables are all local, as in Camunda
        self.local_names = local_names
        #: an expression that may only read (``setVariable`` is an error there)
        self.read_only = read_only
        #: variables set (or removed: :data:`REMOVED`) by the expression, in order
        self.writes: dict[str, Any] = {}
        #: of those, the ones set with ``setVariableLocal``
        self.local_writes: set[str] = set()

    # -- what JUEL reads as properties -------------------------------------------------------------
    def properties(self) -> dict[str, Callable[[], Any]]:
        return {
            "id": lambda: self.instance_id,
            "processInstanceId": lambda: self.instance_id,
            "processBusinessKey": lambda: self.business_key,
            "businessKey": lambda: self.business_key,
            "currentActivityId": lambda: self.activity_id,
            "activityId": lambda: self.activity_id,
            "currentActivityName": lambda: self.activity_name,
            "processDefinitionId": lambda: self.definition_id,
            "variables": lambda: self.get_variables(local=False),
            "variablesLocal": lambda: self.get_variables(local=True),
            "variableNames": lambda: sorted(self.get_variables(local=False)),
            "variableNamesLocal": lambda: sorted(self.get_variables(local=True)),
        }

    def get_property(self, name: Any) -> Any:
        getter = self.properties().get(name) if isinstance(name, str) else None
        if getter is None:
            _fail(f"execution has no property '{name}'")
        return getter()

    # -- variables ---------------------------------------------------------------------------------
    def is_local(self, name: str) -> bool:
        return self.local_names is None or name in self.local_names or name in self.local_writes

    def get_variables(self, *, local: bool) -> dict[str, Any]:
        names = [n for n in self.variables if not str(n).startswith("_")]
        out = {n: self.variables[n] for n in names if not local or self.is_local(n)}
        for name, value in self.writes.items():
            if value is REMOVED:
                out.pop(name, None)
            elif not local or self.is_local(name):
                out[name] = value
        return out

    def get_variable(self, name: str, *, local: bool = False) -> Any:
        if local and not self.is_local(name):
            return None
        if name in self.writes:
            value = self.writes[name]
            return None if value is REMOVED else value
        return self.variables.get(name)

    def has_variable(self, name: str, *, local: bool = False) -> bool:
        if local and not self.is_local(name):
            return False
        if name in self.writes:
            return self.writes[name] is not REMOVED
        return name in self.variables

    def _check_writable(self, method: str) -> None:
        if self.read_only:
            _fail(f"execution.{method}() cannot be used here: this expression may only read variables")

    def set_variable(self, name: str, value: Any, *, local: bool = False) -> None:
        self._check_writable("setVariableLocal" if local else "setVariable")
        self.writes[name] = value
        if local:
            self.local_writes.add(name)

    def remove_variable(self, name: str) -> None:
        self._check_writable("removeVariable")
        self.writes[name] = REMOVED


def _name(method: str, args: list[Any], count: int) -> str:
    if len(args) != count:
        _fail(f"execution.{method}() takes {count} argument{'s' if count != 1 else ''}, not {len(args)}")
    name = args[0]
    if not isinstance(name, str) or not name:
        _fail(f"execution.{method}() needs a variable name, not {_type_name(name)}")
    if name.startswith("_"):
        _fail(f"execution.{method}(): variable names starting with '_' are reserved")
    return name


def _no_args(method: str, function: Callable[[Execution], Any]) -> Callable[[Execution, list[Any]], Any]:
    def call(execution: Execution, args: list[Any]) -> Any:
        if args:
            _fail(f"execution.{method}() takes no arguments")
        return function(execution)

    return call


def _getter(prop: str) -> Callable[[Execution, list[Any]], Any]:
    return _no_args(f"get{prop[0].upper()}{prop[1:]}", lambda e: e.get_property(prop))


def _set(local: bool) -> Callable[[Execution, list[Any]], Any]:
    def call(execution: Execution, args: list[Any]) -> None:
        name = _name("setVariableLocal" if local else "setVariable", args, 2)
        execution.set_variable(name, args[1], local=local)

    return call


EXECUTION_METHODS: dict[str, Callable[[Execution, list[Any]], Any]] = {
    **{
        f"get{p[0].upper()}{p[1:]}": _getter(p)
        for p in (
            "id",
            "processInstanceId",
            "processBusinessKey",
            "businessKey",
            "currentActivityId",
            "activityId",
            "currentActivityName",
            "processDefinitionId",
        )
    },
    "getVariable": lambda e, a: e.get_variable(_name("getVariable", a, 1)),
    "getVariableLocal": lambda e, a: e.get_variable(_name("getVariableLocal", a, 1), local=True),
    "hasVariable": lambda e, a: e.has_variable(_name("hasVariable", a, 1)),
    "hasVariableLocal": lambda e, a: e.has_variable(_name("hasVariableLocal", a, 1), local=True),
    "hasVariables": _no_args("hasVariables", lambda e: bool(e.get_variables(local=False))),
    "getVariables": _no_args("getVariables", lambda e: e.get_variables(local=False)),
    "getVariablesLocal": _no_args("getVariablesLocal", lambda e: e.get_variables(local=True)),
    "getVariableNames": _no_args("getVariableNames", lambda e: sorted(e.get_variables(local=False))),
    "getVariableNamesLocal": _no_args("getVariableNamesLocal", lambda e: sorted(e.get_variables(local=True))),
    "setVariable": _set(local=False),
    "setVariableLocal": _set(local=True),
    "removeVariable": lambda e, a: e.remove_variable(_name("removeVariable", a, 1)),
}
"""The ``DelegateExecution`` methods an expression may call."""


_current: contextvars.ContextVar[Execution | None] = contextvars.ContextVar("engine_execution", default=None)


@contextlib.contextmanager
def executing(execution: Execution | None) -> Iterator[Execution | None]:
    """Make ``execution`` what the name ``execution`` resolves to inside the block."""
    token = _current.set(execution)
    try:
        yield execution
    finally:
        _current.reset(token)


def current_execution() -> Execution | None:
    """The execution of the expression being evaluated, if any."""
    return _current.get()


def require_execution(name: str) -> Execution:
    """The current execution; UnknownVariableError (as Camunda's) when no path is running."""
    execution = _current.get()
    if execution is None:
        raise UnknownVariableError(
            f"Camunda's '{name}' object (as in {name}.processBusinessKey) is not available here"
        )
    return execution
