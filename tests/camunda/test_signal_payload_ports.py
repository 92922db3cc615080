"""Signal payloads (``camunda:in`` on a throwing signal event) as Camunda runs them.

Ported from ``SignalEventPayloadTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/``
``event/signal/``), resources unchanged. Camunda's ``createVariableInstanceQuery()`` of the catching
instance is its variables here, less ``gemeente``, which ``POST /process-instances`` records on
every instance it starts.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

P = "SignalEventPayloadTests"


def _own_variables(camunda: Camunda, instance_id: str) -> dict[str, Any]:
    variables = camunda.variables(instance_id)
    variables.pop("gemeente", None)
    return variables


def _active(camunda: Camunda, key: str) -> list[dict[str, Any]]:
    response = camunda.api.get("/process-instances?status=active", "bh")
    assert response.status_code == 200, response.get_json()
    return [i for i in response.get_json()["items"] if i["processKey"] == key]


def test_signal_source_expression_payload(camunda: Camunda) -> None:
    """SignalEventPayloadTest.testSignalSourceExpressionPayload"""
    camunda.deploy(f"{P}.throwSignalWithExpressionPayload.bpmn20.xml")
    camunda.deploy(f"signal/{P}.catchSignalWithPayloadIntermediate.bpmn20.xml")
    catching = camunda.start("catchIntermediatePayloadSignal")
    camunda.start("throwExpressionPayloadSignal", {"payloadVar": "Val"})
    assert _own_variables(camunda, catching["id"]) == {"srcExpressionResVal": "sourceVal"}


def test_signal_all_local_source_variables_payload(camunda: Camunda) -> None:
    """SignalEventPayloadTest.testSignalAllLocalSourceVariablesPayload"""
    camunda.deploy(f"{P}.throwEndSignalEventWithAllLocalVariablesPayload.bpmn20.xml")
    camunda.deploy(f"signal/{P}.catchSignalWithPayloadIntermediate.bpmn20.xml")
    catching = camunda.start("catchIntermediatePayloadSignal")
    camunda.start("throwPayloadSignal", {"payloadVar1": "payloadVal1"})
    assert _own_variables(camunda, catching["id"]) == {"localVar1": "localVal1", "localVar2": "localVal2"}


def test_signal_business_key_payload(camunda: Camunda) -> None:
    """SignalEventPayloadTest.testSignalBusinessKeyPayload"""
    camunda.deploy(f"{P}.throwSignalWithBusinessKeyPayload.bpmn20.xml")
    camunda.deploy(f"signal/{P}.catchSignalWithPayloadStart.bpmn20.xml")
    camunda.start("throwBusinessKeyPayloadSignal", business_key="aBusinessKey")
    (catching,) = _active(camunda, "catchStartPayloadSignal")
    assert catching["businessKey"] == "aBusinessKey"


def test_signal_payload_with_all_options(camunda: Camunda) -> None:
    """SignalEventPayloadTest.testSignalPayloadWithAllOptions"""
    camunda.deploy(f"{P}.throwSignalWithAllOptions.bpmn20.xml")
    camunda.deploy(f"signal/{P}.catchSignalWithPayloadStart.bpmn20.xml")
    variables = {"payloadVar1": "payloadVar1", "payloadVar2": "payloadVal2"}
    camunda.start("throwCompletePayloadSignal", variables, business_key="aBusinessKey")
    response = camunda.api.get("/tasks", "bh")
    (task,) = response.get_json()["items"]
    catching = camunda.instance(task["processInstanceId"])
    assert catching["businessKey"] == "aBusinessKey"
    assert _own_variables(camunda, catching["id"]) == {
        "payloadVar1Target": "payloadVar1",
        "payloadVar2Target": "payloadVal2Source",
        "localVar1": "localVal1",
        "localVar2": "localVal2",
    }
