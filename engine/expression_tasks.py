"""Tasks whose implementation is an expression: ``camunda:expression`` service tasks and the script
tasks that need no script engine (``scriptFormat="juel"``, and the Groovy/JavaScript forms of
:mod:`engine.expression.scripts`), each with Camunda's ``camunda:resultVariable``.

A service task's ``camunda:expression`` is evaluated by the safe evaluator (bean and method calls are
refused at deploy); with ``camunda:resultVariable`` its value is stored under that name, as Camunda
does. A JUEL script task's value is its expression's value; a Groovy/JavaScript script's value is
what it returns (a script that only prints does nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

__all__ = ["annotate", "install"]

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_CAM = "{http://camunda.org/schema/1.0/bpmn}"
JUEL_SCRIPT_FORMATS = frozenset({"juel"})


def annotate(specs: Iterable[Any], root: etree._Element) -> None:
    """Give service task and script task specs the expression implementation the library ignores."""
    from engine.expression.scripts import FOREIGN_SCRIPT_FORMATS

    elements: dict[str, etree._Element] = {}
    for tag in ("serviceTask", "scriptTask"):
        for candidate in root.iter(f"{_BPMN}{tag}"):
            if candidate.get("id"):
                elements[candidate.get("id") or ""] = candidate
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            found = elements.get(getattr(task_spec, "bpmn_id", None) or "")
            if found is None:
                continue
            element = found
            result_variable = element.get(f"{_CAM}resultVariable")
            if etree.QName(element).localname == "serviceTask":
                expression = element.get(f"{_CAM}expression")
                if expression is not None and ("${" in expression or "#{" in expression):
                    task_spec.camunda_expression = ("juel", expression.strip(), result_variable)
                elif expression is not None:  # a literal expression: its value is its text
                    task_spec.camunda_expression = ("text", expression, result_variable)
                continue
            script_format = (element.get("scriptFormat") or "juel").strip().lower()  # Camunda's default
            body = element.findtext(f"{_BPMN}script") or ""
            if script_format in JUEL_SCRIPT_FORMATS:
                task_spec.camunda_expression = ("juel", body.strip(), result_variable)
            elif script_format in FOREIGN_SCRIPT_FORMATS:
                task_spec.camunda_expression = ("foreign", body, result_variable)


def _execute(original: Any) -> Any:
    def execute(self: Any, task: Any) -> Any:
        implementation = getattr(self, "camunda_expression", None)
        if implementation is None:
            return original(self, task)
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

        from engine import expression
        from engine.errors import ExpressionError
        from engine.executions import on_task
        from engine.spiff_support import _plain_value, current_now

        kind, text, result_variable = implementation
        sets: dict[str, Any] = {}
        try:
            if kind == "text":
                value = text
            elif kind == "juel":
                with on_task(task):  # execution.setVariable(...) sets what it names, as in Camunda
                    value = expression.evaluate(text, task.data, now=current_now())
            else:
                sets, value = expression.run_foreign_script(text, task.data, now=current_now())
        except ExpressionError as exc:
            raise WorkflowTaskException(f"{self.bpmn_id}: '{text.strip()[:100]}': {exc}", task=task) from exc
        for name, set_value in sets.items():
            task.data[name] = _plain_value(set_value)
        if result_variable:
            task.data[result_variable] = _plain_value(value)
        return True

    return execute


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
    from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask

    ServiceTask._execute = _execute(ServiceTask._execute)  # type: ignore[method-assign]
    ScriptTask._execute = _execute(ScriptTask._execute)  # type: ignore[method-assign]
    _installed = True
