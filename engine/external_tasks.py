"""External tasks (``camunda:type="external"``): service work an integrator's worker does, as in Camunda 7.

A service task with ``camunda:type="external"`` and a ``camunda:topic`` waits, like a user task, until a
worker completes it through the external task API (fetch-and-lock by topic, complete, failure,
extend-lock). SpiffWorkflow would run such a task at once and do nothing; :func:`annotate` marks its
spec manual, so the library stops there and the task is READY until :meth:`Runtime.complete_external_task`
runs it with the worker's variables.

Supported on service tasks and send tasks, with a fixed topic and an optional whole-number
``camunda:taskPriority``. Refused at deploy, naming the element: a topic that is an expression or
missing, a priority that is not a whole number, ``camunda:errorEventDefinition`` (BPMN errors from a
worker's answer), and ``camunda:type="external"`` on other elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from engine.errors import Problem

__all__ = [
    "ExternalTaskDefinition",
    "OpenExternalTask",
    "annotate",
    "check_document",
    "definitions",
    "has_local_scope",
    "task_variables",
]

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
_SUPPORTED = ("serviceTask", "sendTask")
_INTEGER = re.compile(r"^[+-]?\d{1,9}$")
TOPIC_MAX = 200


@dataclass(frozen=True)
class ExternalTaskDefinition:
    """What the diagram says about one external task."""

    element_id: str
    topic: str
    priority: int = 0


@dataclass(frozen=True)
class OpenExternalTask:
    """An external task waiting for a worker."""

    id: str
    element_id: str
    topic: str
    priority: int
    process_id: str
    created_at: datetime


def _is_external(element: etree._Element) -> bool:
    return element.get(f"{_CAMUNDA}type") == "external"


def check_document(root: etree._Element) -> list[Problem]:
    """Every reason an external task in ``root`` cannot run here, each naming its element."""
    problems: list[Problem] = []
    for process in root.iter(f"{_BPMN}process"):
        default = process.get(f"{_CAMUNDA}taskPriority")
        if default is not None and not _INTEGER.match(default.strip()):
            problems.append(
                Problem(
                    f"process: external task priority '{default}' is not a whole number",
                    element_id=process.get("id"),
                    line=process.sourceline or None,
                )
            )
    for element in root.iter():
        if not isinstance(element.tag, str) or not _is_external(element):
            continue
        kind = etree.QName(element).localname
        element_id = element.get("id")
        if kind == "messageEventDefinition":
            owner = element.getparent()
            element_id = owner.get("id") if owner is not None else None
        line = element.sourceline or None
        if kind not in _SUPPORTED:
            problems.append(
                Problem(
                    f"{kind}: external tasks are supported on service tasks and send tasks only",
                    element_id=element_id,
                    line=line,
                )
            )
            continue
        topic = (element.get(f"{_CAMUNDA}topic") or "").strip()
        if not topic:
            problems.append(
                Problem(f"{kind}: external task has no camunda:topic", element_id=element_id, line=line)
            )
        elif "${" in topic or "#{" in topic:
            problems.append(
                Problem(
                    f"{kind}: external task topic '{topic}' is an expression: only fixed topics work",
                    element_id=element_id,
                    line=line,
                )
            )
        elif len(topic) > TOPIC_MAX:
            problems.append(
                Problem(
                    f"{kind}: external task topic is longer than {TOPIC_MAX}",
                    element_id=element_id,
                    line=line,
                )
            )
        priority = element.get(f"{_CAMUNDA}taskPriority")
        if priority is not None and not _INTEGER.match(priority.strip()):
            problems.append(
                Problem(
                    f"{kind}: external task priority '{priority}' is not a whole number",
                    element_id=element_id,
                    line=line,
                )
            )
        if element.find(f".//{_CAMUNDA}errorEventDefinition") is not None:
            problems.append(
                Problem(
                    f"{kind}: camunda:errorEventDefinition on an external task is not supported",
                    element_id=element_id,
                    line=line,
                )
            )
    return problems


def definitions(root: etree._Element) -> dict[str, ExternalTaskDefinition]:
    """Element id -> external task definition, for the supported elements of ``root``."""
    out: dict[str, ExternalTaskDefinition] = {}
    for kind in _SUPPORTED:
        for element in root.iter(f"{_BPMN}{kind}"):
            element_id = element.get("id")
            if not element_id or not _is_external(element):
                continue
            process = next(element.iterancestors(f"{_BPMN}process"), None)
            default = process.get(f"{_CAMUNDA}taskPriority") if process is not None else None
            priority = (element.get(f"{_CAMUNDA}taskPriority") or default or "0").strip()
            out[element_id] = ExternalTaskDefinition(
                element_id,
                (element.get(f"{_CAMUNDA}topic") or "").strip(),
                int(priority) if _INTEGER.match(priority) else 0,
            )
    return out


def annotate(specs: Iterable[Any], found: Mapping[str, ExternalTaskDefinition]) -> None:
    """Make the library stop at external tasks: their specs become manual and carry their topic."""
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            definition = found.get(getattr(task_spec, "bpmn_id", None) or "")
            if definition is not None:
                task_spec.manual = True
                task_spec.external_task = definition


def definition_of(task: Any) -> ExternalTaskDefinition | None:
    definition = getattr(task.task_spec, "external_task", None)
    return definition if isinstance(definition, ExternalTaskDefinition) else None


def open_tasks(tasks: Iterable[Any], created_at: Any) -> list[OpenExternalTask]:
    """The READY external tasks among ``tasks``; ``created_at(task)`` says when each opened."""
    out: list[OpenExternalTask] = []
    for task in tasks:
        if task.state != TaskState.READY:
            continue
        definition = definition_of(task)
        if definition is None:
            continue
        out.append(
            OpenExternalTask(
                str(task.id),
                definition.element_id,
                definition.topic,
                definition.priority,
                task.workflow.spec.name,
                created_at(task),
            )
        )
    return out


def has_local_scope(task_spec: Any) -> bool:
    """Whether the task can hold variables of its own (``camunda:inputOutput`` input parameters)."""
    return bool(getattr(task_spec, "camunda_io", None))


def task_variables(task: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a worker fetching ``task`` sees: every variable visible at the task, and (Camunda's
    ``localVariables``) only those local to it: its input parameters while it waits."""
    visible = {k: v for k, v in task.data.items() if not str(k).startswith("_")}
    state = task.internal_data.get("camundaIo") or {}
    local = {k: visible[k] for k in state.get("locals", {}) if k in visible}
    return visible, local
