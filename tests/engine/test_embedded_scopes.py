"""Embedded sub-processes as the shipped diagrams use them: nested call activities, lanes, terminate."""

from __future__ import annotations

from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.runtime import Runtime
from tests.conftest import T0

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{0}" targetNamespace="http://bpmn.io/schema/bpmn">'
)
INNER = (
    HEAD.format("binnen") + '<bpmn:process id="binnen" isExecutable="true"><bpmn:startEvent id="b_start"/>'
    '<bpmn:sequenceFlow id="b1" sourceRef="b_start" targetRef="b_werk"/>'
    '<bpmn:userTask id="b_werk" camunda:candidateGroups="coa"/>'
    '<bpmn:sequenceFlow id="b2" sourceRef="b_werk" targetRef="b_end"/><bpmn:endEvent id="b_end"/>'
    "</bpmn:process></bpmn:definitions>"
)
OUTER = (
    HEAD.format("buiten") + '<bpmn:process id="buiten" isExecutable="true">'
    '<bpmn:laneSet id="ls"><bpmn:lane id="lane_a" name="COA"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
    "<bpmn:flowNodeRef>verblijf</bpmn:flowNodeRef><bpmn:flowNodeRef>roep</bpmn:flowNodeRef>"
    '<bpmn:flowNodeRef>klaar</bpmn:flowNodeRef></bpmn:lane><bpmn:lane id="lane_b" name="Gemeente">'
    "<bpmn:flowNodeRef>wijzigen</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
    '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="verblijf"/>'
    '<bpmn:subProcess id="verblijf"><bpmn:startEvent id="v_start"/>'
    '<bpmn:sequenceFlow id="v1" sourceRef="v_start" targetRef="v_split"/><bpmn:parallelGateway id="v_split"/>'
    '<bpmn:sequenceFlow id="v2" sourceRef="v_split" targetRef="roep"/>'
    '<bpmn:sequenceFlow id="v3" sourceRef="v_split" targetRef="wijzigen"/>'
    '<bpmn:callActivity id="roep" calledElement="binnen"><bpmn:extensionElements>'
    '<camunda:in variables="all"/><camunda:out variables="all"/></bpmn:extensionElements></bpmn:callActivity>'
    '<bpmn:sequenceFlow id="v4" sourceRef="roep" targetRef="v_end"/><bpmn:endEvent id="v_end"/>'
    '<bpmn:userTask id="wijzigen" camunda:candidateGroups="gemeente"/>'
    '<bpmn:sequenceFlow id="v5" sourceRef="wijzigen" targetRef="v_stop"/>'
    '<bpmn:endEvent id="v_stop"><bpmn:terminateEventDefinition id="td"/></bpmn:endEvent></bpmn:subProcess>'
    '<bpmn:sequenceFlow id="f2" sourceRef="verblijf" targetRef="klaar"/><bpmn:endEvent id="klaar"/>'
    "</bpmn:process></bpmn:definitions>"
)


def _runtime() -> Runtime:
    library = SpecLibrary()
    library.add_document("binnen.bpmn", INNER.encode())
    library.add_document("buiten.bpmn", OUTER.encode())  # a call activity inside an embedded sub-process
    return Runtime(library, ManualClock(T0))


def test_a_nested_task_takes_the_lane_it_is_listed_in() -> None:
    result = _runtime().start("buiten")
    lanes = {t.element_id: t.lane for t in result.open_tasks}
    assert lanes == {"b_werk": None, "wijzigen": "Gemeente"}


def test_a_terminate_end_event_ends_only_its_sub_process() -> None:
    runtime = _runtime()
    result = runtime.start("buiten")
    result = runtime.complete_task(result.state, result.task("wijzigen").id, {})
    assert result.open_tasks == ()
    assert "roep" not in result.active_elements
    assert result.status == "completed"  # the process went on after the sub-process: to 'klaar'


def test_a_nested_task_belongs_to_the_process_around_its_sub_process() -> None:
    result = _runtime().start("buiten")
    assert {t.element_id: t.process_id for t in result.open_tasks} == {
        "b_werk": "binnen",
        "wijzigen": "buiten",
    }
