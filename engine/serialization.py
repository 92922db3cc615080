"""Instance state without the spec: specs live once per version in the library, not in every instance."""

from __future__ import annotations

import contextvars
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

_restoring: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar("restoring", default=None)


class LeanWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs and restores it with the specs of the running bundle."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        specs = _restoring.get()
        if specs is None:
            raise RuntimeError("restore a workflow through engine.serialization.restore")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class CalledWorkflowConverter(BpmnSubWorkflowConverter):
    """A process called by a call activity that chose it when it started runs on the spec it named."""

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        if getattr(task.task_spec, "dynamic_call", None) is None or dct.get("spec") not in (
            top_workflow.subprocess_specs
        ):
            return super().from_dict(dct, task, top_workflow)
        spec = top_workflow.subprocess_specs[dct["spec"]]
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = LeanWorkflowConverter
    config[BpmnSubWorkflow] = CalledWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The JSON-ready state of a workflow, without specs."""
    return SERIALIZER.to_dict(workflow)  # type: ignore[no-any-return]


def restore(state: dict[str, Any], spec: Any, subprocess_specs: Any) -> BpmnWorkflow:
    """Rebuild a workflow from :func:`dump` output and the specs it runs on."""
    # The library pops keys while restoring: copy every dict it pops from, so a state can be reused.
    top = dict(state)
    top["subprocesses"] = {k: dict(v) for k, v in state.get("subprocesses", {}).items()}
    token = _restoring.set((spec, subprocess_specs))
    try:
        return SERIALIZER.from_dict(top)  # type: ignore[no-any-return]
    finally:
        _restoring.reset(token)
