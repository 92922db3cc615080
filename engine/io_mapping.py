"""``camunda:inputOutput`` on every activity, with Camunda 7's local-variable scoping.

Camunda evaluates an activity's input parameters in the enclosing scope when the activity starts
and sets them as *local* variables of the activity: expressions, assignees and everything inside
the activity (a sub-process's tasks too) see them; the process does not, and they vanish when the
activity ends. A local variable hides a process variable of the same name for as long as the
activity runs; a variable the activity sets that is not local goes to the process, as Camunda's
``setVariable`` does. Output parameters are evaluated in the activity's scope when it completes and
set in the enclosing scope.

SpiffWorkflow copies one data dictionary from task to task, so the scoping is made explicit here:
the input values (and what they hid) are kept in the task's internal data; completing the task
takes the locals out again, puts back what they hid, then sets the outputs.

Parameter values (:class:`Value`): text, an expression (``${...}``, composite too), ``camunda:list``,
``camunda:map`` (keys may be expressions), an empty parameter (``null``), or a ``camunda:script``
that :mod:`engine.expression.scripts` can run (a single ``return`` of a literal or simple sum).

Call activities keep their own handling (``engine.spiff_support``): their input parameters feed
``camunda:in`` and their output parameters read what ``camunda:out`` brought back.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = ["Value", "annotate", "install", "parse_value", "parameters"]

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_CAM = "{http://camunda.org/schema/1.0/bpmn}"
_STATE = "camundaIo"  # internal_data key: {"locals": {...}, "hidden": {...}, "absent": [...]}
STATE = _STATE


@dataclass(frozen=True)
class Value:
    """One parameter value as written in the diagram."""

    kind: str  # "null", "text", "expression", "list", "map", "script"
    text: str | None = None
    items: tuple[Value, ...] = ()
    entries: tuple[tuple[str, Value], ...] = ()
    script_format: str | None = None


def parse_value(element: etree._Element) -> Value:
    """The value an ``inputParameter``/``outputParameter``, ``list``/``map`` item or ``entry`` stands for."""
    local = etree.QName(element).localname
    if local == "list":
        return Value("list", items=tuple(parse_value(c) for c in element if isinstance(c.tag, str)))
    if local == "map":
        # Camunda keeps the entries in a map sorted by the key's text and evaluates them in that
        # order: with two keys that evaluate alike, the one whose text sorts last wins.
        entries = sorted(
            (
                (c.get("key") or "", parse_value(c))
                for c in element
                if isinstance(c.tag, str) and etree.QName(c).localname == "entry"
            ),
            key=lambda entry: entry[0],
        )
        return Value("map", entries=tuple(entries))
    if local == "script":
        return Value("script", text=element.text or "", script_format=element.get("scriptFormat"))
    children = [c for c in element if isinstance(c.tag, str)]
    if children:
        return parse_value(children[0])
    text = (element.text or "").strip()  # Camunda trims the text of a value
    if not text:
        return Value("null")
    if "${" in text or "#{" in text:
        return Value("expression", text=text)
    return Value("text", text=text)


def parameters(element: etree._Element, kind: str) -> tuple[tuple[str, Value], ...]:
    """``(name, value)`` of every ``camunda:<kind>`` (inputParameter/outputParameter) of ``element``."""
    extension = element.find(f"{_BPMN}extensionElements")
    io = extension.find(f"{_CAM}inputOutput") if extension is not None else None
    if io is None:
        return ()
    return tuple((p.get("name") or "", parse_value(p)) for p in io.findall(f"{_CAM}{kind}") if p.get("name"))


def evaluate_value(value: Value, scope: Mapping[str, Any], evaluate: Any, run_script: Any) -> Any:
    """A parameter's value in ``scope``; ``evaluate(text, scope)`` runs an expression."""
    if value.kind == "null":
        return None
    if value.kind == "text":
        return value.text
    if value.kind == "expression":
        return evaluate(value.text, scope)
    if value.kind == "list":
        return [evaluate_value(item, scope, evaluate, run_script) for item in value.items]
    if value.kind == "map":
        out: dict[str, Any] = {}
        for key, item in value.entries:
            name = evaluate(key, scope) if ("${" in key or "#{" in key) else key
            out[str(name)] = evaluate_value(item, scope, evaluate, run_script)
        return out
    return run_script(value, scope)


def _element_kinds(root: etree._Element) -> dict[str, etree._Element]:
    return {e.get("id") or "": e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}


def annotate(specs: Any, root: etree._Element) -> None:
    """Give the specs of activities with ``camunda:inputOutput`` (not call activities) their parameters.

    A multi-instance activity's parameters belong to each instance (the ``[child]`` spec), as in Camunda.
    """
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

    elements = _element_kinds(root)
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            element = elements.get(getattr(task_spec, "bpmn_id", None) or "")
            if element is None or etree.QName(element).localname == "callActivity":
                continue
            if isinstance(task_spec, MultiInstanceTask):
                continue
            inputs, outputs = parameters(element, "inputParameter"), parameters(element, "outputParameter")
            if inputs or outputs:
                task_spec.camunda_io = (inputs, outputs)


def _evaluator(task_spec: Any, task: Any) -> tuple[Any, Any]:
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    from engine import expression
    from engine.errors import ExpressionError
    from engine.spiff_support import _plain_value, current_now

    def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
        from engine.executions import on_task

        try:
            with on_task(task, scope, read_only=True):
                return _plain_value(expression.evaluate(text, scope, now=current_now()))
        except ExpressionError as exc:
            raise WorkflowTaskException(
                f"{task_spec.bpmn_id}: input/output parameter '{text}': {exc}", task=task
            ) from exc

    def run_script(value: Value, scope: Mapping[str, Any]) -> Any:
        try:
            return _plain_value(expression.run_return_script(value.text or "", scope, now=current_now()))
        except ExpressionError as exc:
            raise WorkflowTaskException(f"{task_spec.bpmn_id}: script parameter: {exc}", task=task) from exc

    return evaluate, run_script


def _values(task_spec: Any, task: Any, params: Any, scope: Mapping[str, Any]) -> dict[str, Any]:
    evaluate, run_script = _evaluator(task_spec, task)
    out: dict[str, Any] = {}
    for name, value in params:
        out[name] = evaluate_value(value, scope, evaluate, run_script)
    return out


def _apply_inputs(task_spec: Any, task: Any) -> None:
    io = getattr(task_spec, "camunda_io", None)
    if not io:
        return
    state = task.internal_data.get(_STATE)
    if state is None:
        from engine.multi_instance import loop_variables

        inputs, _ = io
        parent_scope = {**(loop_variables(task) or {}), **task.data}
        locals_ = _values(task_spec, task, inputs, parent_scope)
        state = {
            "locals": locals_,
            "hidden": {k: deepcopy(parent_scope[k]) for k in locals_ if k in parent_scope},
        }
        task.internal_data[_STATE] = state
    task.data.update(deepcopy(state["locals"]))


def _apply_outputs(task_spec: Any, task: Any) -> None:
    io = getattr(task_spec, "camunda_io", None)
    if not io:
        return
    _, outputs = io
    state = task.internal_data.pop(_STATE, None) or {"locals": {}, "hidden": {}}
    values = _values(task_spec, task, outputs, dict(task.data))
    for name in state["locals"]:
        if name in state["hidden"]:
            task.data[name] = state["hidden"][name]
        else:
            task.data.pop(name, None)
    task.data.update(values)


def _update_hook(original: Any) -> Any:
    def update_hook(self: Any, my_task: Any) -> Any:
        result = original(self, my_task)
        _apply_inputs(self, my_task)
        return result

    return update_hook


def _complete_hook(original: Any) -> Any:
    def on_complete_hook(self: Any, my_task: Any) -> Any:
        _apply_outputs(self, my_task)
        return original(self, my_task)

    return on_complete_hook


_installed = False


def install() -> None:
    """Wrap the library's task hooks once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec

    BpmnTaskSpec._update_hook = _update_hook(BpmnTaskSpec._update_hook)  # type: ignore[method-assign]
    BpmnTaskSpec._on_complete_hook = _complete_hook(  # type: ignore[method-assign]
        BpmnTaskSpec._on_complete_hook
    )
    _installed = True
