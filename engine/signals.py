"""Signals as Camunda 7 runs them: broadcast to every waiting instance, and start events that start new ones.

SpiffWorkflow delivers a thrown signal only inside the instance that threw it, and its parser reads a
signal end event as a plain end event (the signal is silently lost). Here:

* end events keep their signal event definition (:func:`install` patches the parser);
* a step records every signal it throws (:class:`SignalThrow`) with Camunda's payload: nothing, unless
  the signal event definition maps variables with ``camunda:in`` (``source``/``sourceExpression`` and
  ``target``, ``variables="all"``, ``businessKey``);
* a step lists what its instance waits for (:class:`SignalWait`): intermediate catch events, boundary
  events, event-based gateways and the start events of event subprocesses; storage indexes them, so a
  broadcast reaches other instances without loading any workflow that does not wait;
* :func:`signal_start_names` names the signal start events of a process, which start new instances.

Signal names may hold expressions (``alert-${var}``), as in Camunda: a catching event's name is
evaluated in its own scope when it waits (that evaluated name is indexed), a throwing event's when it
throws, and a signal start event's once, without variables (it must not need any).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser import event_parsers as _event_parsers
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import Problem

__all__ = [
    "SignalInMapping",
    "SignalThrow",
    "SignalWait",
    "check_document",
    "install",
    "payload_mappings",
    "signal_start_names",
]

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_ROOT_SPECS = frozenset({"Start", "StartEventSplit"})
_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


@dataclass(frozen=True)
class SignalThrow:
    """A signal a step threw: delivered to every other instance waiting for it, and to start events."""

    name: str
    element_id: str | None
    variables: dict[str, Any] = field(default_factory=dict)
    business_key: str | None = None
    asynchronous: bool = False
    """``camunda:async="true"``: the receivers get it from the worker, after the throwing step."""


@dataclass(frozen=True)
class SignalWait:
    """A catch event, boundary event, gateway branch or event subprocess start waiting for a signal."""

    signal_name: str
    element_id: str
    task_id: str


@dataclass(frozen=True)
class SignalInMapping:
    """One ``camunda:in`` of a signal event definition (Camunda's signal payload)."""

    source: str | None = None
    source_expression: str | None = None
    target: str | None = None
    all_variables: bool = False
    local: bool = False
    business_key: str | None = None


# -- parser ---------------------------------------------------------------------------------------
def _end_event_create_task(self: Any) -> Any:
    """``EndEventParser.create_task`` with signal end events (the library leaves them out)."""
    event_definition = self.get_event_definition(
        [
            _event_parsers.MESSAGE_EVENT_XPATH,
            _event_parsers.SIGNAL_EVENT_XPATH,
            _event_parsers.CANCEL_EVENT_XPATH,
            _event_parsers.ERROR_EVENT_XPATH,
            _event_parsers.ESCALATION_EVENT_XPATH,
            _event_parsers.TERMINATION_EVENT_XPATH,
        ]
    )
    task = self._create_task(event_definition)
    task.connect(self.spec.end)
    return task


def signal_name(definition: Any, variables: Mapping[str, Any]) -> str | None:
    """A signal's name as Camunda reads it: text with ``${...}`` parts evaluated (None when it fails)."""
    name = definition.name
    if not isinstance(name, str) or not is_expression_name(name):
        return name  # type: ignore[no-any-return]
    from engine import expression
    from engine.errors import ExpressionError
    from engine.spiff_support import current_now

    try:
        value = expression.evaluate(name, dict(variables), now=current_now())
    except ExpressionError:
        return None
    return None if value is None else str(value)


def evaluated_name(definition: Any, variables: Mapping[str, Any], element: str | None, what: str) -> str:
    """The evaluated name of a waiting event; one that cannot be evaluated stops the step, as in Camunda."""
    name = definition.name
    if not isinstance(name, str) or not is_expression_name(name):
        return name  # type: ignore[no-any-return]
    from engine import expression
    from engine.errors import ExpressionError, ProcessError
    from engine.spiff_support import current_now

    try:
        value = expression.evaluate(name, dict(variables), now=current_now())
    except ExpressionError as exc:
        raise ProcessError(f"{element}: {what} name '{name}' cannot be evaluated: {exc}") from exc
    if value is None:
        raise ProcessError(f"{element}: {what} name '{name}' evaluates to null")
    return str(value)


def is_expression_name(name: str) -> bool:
    return "${" in name or "#{" in name


def _signal_catches(self: Any, my_task: Any, event: Any) -> bool:
    """A signal event catches a signal of its (evaluated) name; thrown signals carry evaluated names."""
    other = event.event_definition
    if other.__class__ is not self.__class__:
        return False
    name = signal_name(self, my_task.data)
    return name is not None and name == other.name


def _signal_throw(self: Any, my_task: Any) -> None:
    """Throw the signal under its evaluated name (the library would throw the raw expression)."""
    name = signal_name(self, my_task.data)
    if name is None:
        from engine.errors import ProcessError

        raise ProcessError(f"{my_task.task_spec.bpmn_id}: signal name '{self.name}' cannot be evaluated")
    payload = deepcopy(my_task.data)
    top = my_task.workflow.top_workflow
    open_event_subprocesses(top, name)
    top.catch(BpmnEvent(SignalEventDefinition(name), payload=payload))


_installed = False


def install() -> None:
    """Patch the library's parser and signal definitions once per process (idempotent)."""
    global _installed
    if _installed:
        return
    _event_parsers.EndEventParser.create_task = _end_event_create_task  # type: ignore[method-assign]
    SignalEventDefinition.catches = _signal_catches  # type: ignore[method-assign]
    SignalEventDefinition.throw = _signal_throw  # type: ignore[method-assign]
    _installed = True


# -- deploy ---------------------------------------------------------------------------------------
def _signal_names(root: etree._Element) -> dict[str, str | None]:
    return {s.get("id") or "": s.get("name") for s in root.iter(f"{_BPMN}signal")}


def check_document(root: etree._Element) -> list[Problem]:
    """The checks Camunda makes on signals at deploy (same wording), and names we cannot index."""
    problems: list[Problem] = []

    def problem(message: str, element: etree._Element, element_id: str | None) -> None:
        problems.append(Problem(message, element_id=element_id, line=element.sourceline or None))

    names = _signal_names(root)
    seen: set[str] = set()
    for signal in root.iter(f"{_BPMN}signal"):
        signal_id, name = signal.get("id"), signal.get("name")
        if not signal_id:
            problem("signal must have an id", signal, None)
        if not name:
            problem(f"signal with id '{signal_id}' has no name", signal, signal_id)
        elif is_expression_name(name):
            problems.extend(_expression_problems(name, signal, signal_id))
        elif name in seen:
            problem(f"duplicate signal name '{name}'", signal, signal_id)
        else:
            seen.add(name)
    for definition in root.iter(f"{_BPMN}signalEventDefinition"):
        owner = definition.getparent()
        owner_id = owner.get("id") if owner is not None else None
        ref = definition.get("signalRef")
        if not ref:
            problem("signalEventDefinition does not have required property 'signalRef'", definition, owner_id)
        elif ref not in names:
            problem(f"signal event refers to signal '{ref}', which is not declared", definition, owner_id)
    for scope in [*root.iter(f"{_BPMN}process"), *root.iter(f"{_BPMN}subProcess")]:
        problems.extend(_scope_problems(scope, names))
    problems.extend(_start_name_problems(root, names))
    return problems


def _expression_problems(name: str, signal: etree._Element, signal_id: str | None) -> list[Problem]:
    from engine.errors import ExpressionError
    from engine.expression import validate_expression

    try:
        validate_expression(name)
    except ExpressionError as exc:
        return [
            Problem(
                f"signal name '{name}' is not supported: {exc}",
                element_id=signal_id,
                line=signal.sourceline or None,
            )
        ]
    return []


def _start_name_problems(root: etree._Element, names: Mapping[str, str | None]) -> list[Problem]:
    """A process's signal start event is subscribed at deploy: its name must evaluate without variables."""
    problems: list[Problem] = []
    for process in root.iter(f"{_BPMN}process"):
        for start in process.findall(f"{_BPMN}startEvent"):
            name = _signal_start(start, names)
            if name is None or not is_expression_name(name):
                continue
            definition = SignalEventDefinition(name)
            if signal_name(definition, {}) is None:
                problems.append(
                    Problem(
                        f"signal start event '{start.get('id')}': signal name '{name}' must evaluate "
                        "without variables (a start event is subscribed when the process is deployed)",
                        element_id=start.get("id"),
                        line=start.sourceline or None,
                    )
                )
    return problems


def _signal_start(start: etree._Element, names: Mapping[str, str | None]) -> str | None:
    definition = start.find(f"{_BPMN}signalEventDefinition")
    if definition is None:
        return None
    return names.get(definition.get("signalRef") or "")


def _scope_problems(scope: etree._Element, names: Mapping[str, str | None]) -> list[Problem]:
    """One scope may not subscribe twice to one signal with start events (Camunda's rule)."""
    problems: list[Problem] = []
    nested = etree.QName(scope).localname == "subProcess"
    starts = [] if nested else list(scope.findall(f"{_BPMN}startEvent"))
    for sub in scope.findall(f"{_BPMN}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(f"{_BPMN}startEvent"):
            if _signal_start(start, names) is None:
                continue
            if start.get("isInterrupting", "true") != "false":
                starts.append(start)
    seen: set[str] = set()
    for start in starts:
        name = _signal_start(start, names)
        if name is None:
            continue
        if name in seen:
            problems.append(
                Problem(
                    f"Cannot have more than one signal event subscription with name '{name}'",
                    element_id=start.get("id"),
                    line=start.sourceline or None,
                )
            )
        seen.add(name)
    return problems


def annotate_async(specs: Iterable[Any], root: etree._Element) -> None:
    """Mark the throwing events whose signal is thrown asynchronously (``camunda:async="true"``)."""
    owners = {
        owner.get("id")
        for definition in root.iter(f"{_BPMN}signalEventDefinition")
        if definition.get(f"{_CAMUNDA}async") == "true" and (owner := definition.getparent()) is not None
    }
    for spec in specs:
        for task_spec in spec.task_specs.values() if spec is not None else ():
            if getattr(task_spec, "bpmn_id", None) in owners:
                task_spec.camunda_async_signal = True


def payload_mappings(root: etree._Element) -> dict[str, tuple[SignalInMapping, ...]]:
    """Throwing element id -> the ``camunda:in`` mappings of its signal event definition."""
    out: dict[str, tuple[SignalInMapping, ...]] = {}
    for definition in root.iter(f"{_BPMN}signalEventDefinition"):
        owner = definition.getparent()
        owner_id = owner.get("id") if owner is not None else None
        if not owner_id:
            continue
        mappings = tuple(
            SignalInMapping(
                source=m.get("source"),
                source_expression=m.get("sourceExpression"),
                target=m.get("target"),
                all_variables=m.get("variables") == "all",
                local=m.get("local") == "true",
                business_key=m.get("businessKey"),
            )
            for m in definition.iter(f"{_CAMUNDA}in")
        )
        if mappings:
            out[owner_id] = mappings
    return out


# -- run ------------------------------------------------------------------------------------------
def is_signal(definition: Any) -> bool:
    return isinstance(definition, SignalEventDefinition)


def evaluate_payload(
    mappings: tuple[SignalInMapping, ...],
    data: Mapping[str, Any],
    evaluate: Any,
    local_data: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Camunda's signal payload: the variables mapped with ``camunda:in``, and the business key.

    With ``local="true"`` a mapping reads only the throwing event's local variables (its input
    parameters, ``local_data``)."""
    variables: dict[str, Any] = {}
    business_key: str | None = None
    for mapping in mappings:
        if mapping.business_key is not None:
            value = evaluate(mapping.business_key)
            business_key = None if value is None else str(value)
            continue
        source = (local_data or {}) if mapping.local else data
        if mapping.all_variables:
            variables.update({k: v for k, v in source.items() if not k.startswith("_")})
        elif mapping.target:
            if mapping.source_expression is not None:
                variables[mapping.target] = evaluate(mapping.source_expression)
            elif mapping.source is not None:
                variables[mapping.target] = source.get(mapping.source)
    return variables, business_key


def waits_of(task: Any, pairs: list[tuple[str, Any]]) -> list[SignalWait]:
    """The signal waits of one WAITING task, given its (element id, definition) pairs."""
    return [
        SignalWait(evaluated_name(definition, task.data, element, "signal"), element, str(task.id))
        for element, definition in pairs
        if is_signal(definition)
    ]


def signal_start_names(spec: Any) -> tuple[str, ...]:
    """Names of the signals that start ``spec``.

    A process spec holds its own start events only; event subprocess start events live in the
    subprocess's spec, so they are not counted here.
    """
    names = [
        signal_name(task_spec.event_definition, {})
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent) and is_signal(getattr(task_spec, "event_definition", None))
    ]
    return tuple(dict.fromkeys(n for n in names if n is not None))


def top_start_tasks(workflow: Any) -> list[Any]:
    """The start event tasks of the top-level process."""
    return [t for t in workflow.tasks.values() if isinstance(t.task_spec, StartEvent)]


def start_definition(task: Any) -> Any:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return None
    return definition


def cancel_waiting_signal_starts(workflow: Any) -> None:
    """Top-level signal start events still waiting once the instance started another way.

    They are subscriptions of the process definition, not of the instance: Camunda starts a new
    instance for them, never a second path in this one.
    """
    for task in top_start_tasks(workflow):
        if task.state == TaskState.WAITING and is_signal(start_definition(task)):
            task.cancel()


def waiting_catch(task: Any) -> bool:
    return task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent)


def event(name: str, variables: Mapping[str, Any]) -> BpmnEvent:
    """The library event for a broadcast signal carrying ``variables`` into every catching path."""
    return BpmnEvent(SignalEventDefinition(name), payload=dict(variables))


def only_signal_start(spec: Any) -> bool:
    """Whether the process's single start event is a signal start event.

    Camunda then starts the process there when it is started by key, regardless of the event type.
    """
    starts = [t for t in spec.task_specs.values() if isinstance(t, StartEvent)]
    return len(starts) == 1 and is_signal(getattr(starts[0], "event_definition", None))


def fire_start(workflow: Any, name: str | None) -> None:
    """Start at the signal start event for ``name`` (or the only start event): cancel the others, fire it.

    The root task (and the library's split before several start events) run first, so that the start
    events wait; then every other start event is cancelled, so a none start event cannot run too.
    """
    while True:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name in _ROOT_SPECS]
        if not ready:
            break
        for task in ready:
            task.run()
    chosen = None
    for task in top_start_tasks(workflow):
        definition = start_definition(task)
        if chosen is None and is_signal(definition) and (name is None or signal_name(definition, {}) == name):
            chosen = task
        elif task.state & (TaskState.WAITING | TaskState.READY):
            task.cancel()
    if chosen is None:
        return
    definition = start_definition(chosen)
    chosen.task_spec.catch(chosen, event(signal_name(definition, {}) or "", {}))
    chosen.task_spec._update(chosen)


def _event_subprocess_starts(workflow: Any) -> list[tuple[Any, str, Any, str]]:
    """(scope, event subprocess spec name, start spec, evaluated signal name) in every running scope."""
    from engine.runtime import _active_scopes, _scope_data

    found = []
    for scope in _active_scopes(workflow):
        if scope.data.get("_interruptedBy"):  # engine.spiff_support.INTERRUPTED_SCOPE: it listens no more
            continue
        data: dict[str, Any] | None = None
        for spec_name in getattr(scope.spec.start, "trigger_specs", ()):
            sub_spec = workflow.subprocess_specs.get(spec_name)
            for start in getattr(sub_spec, "bpmn_start_events", ()):
                if not is_signal(start.event_definition):
                    continue
                if data is None:
                    data = _scope_data(scope)
                name = evaluated_name(start.event_definition, data, start.bpmn_id, "signal")
                found.append((scope, spec_name, start, name))
    return found


def event_subprocess_waits(workflow: Any) -> list[SignalWait]:
    """Signal start events of event subprocesses (of the process and of running sub-processes).

    They wait as long as their scope runs; the library keeps no waiting task for them.
    """
    return [
        SignalWait(name, start.bpmn_id, str(scope.task_tree.id))
        for scope, _spec_name, start, name in _event_subprocess_starts(workflow)
    ]


def open_event_subprocesses(workflow: Any, name: str) -> None:
    """Open, in every running scope, the event subprocess whose signal start event catches ``name``.

    The library only opens those of the top process, and only for a literal signal name; the signal
    caught next then starts them.
    """
    for scope, spec_name, start, start_name in _event_subprocess_starts(workflow):
        if start_name != name:
            continue
        waiting = any(
            t.state == TaskState.WAITING and t.task_spec.name == start.name
            for sub in workflow.subprocesses.values()
            if sub.parent_workflow is scope
            for t in sub.tasks.values()
        )
        if not waiting:
            scope.spec.start.trigger_wf(scope.task_tree, spec_name)
