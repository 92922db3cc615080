"""User tasks: the starting user (``camunda:initiator``), assignee declarations Camunda refuses.

Camunda's ``identityService.setAuthenticatedUserId("kermit")`` is a caller whose token is named
``kermit``: the user a start request comes from.
"""

from __future__ import annotations

from typing import Any

from storage.orgs import create_token
from tests.camunda.conftest import RESOURCES, Camunda
from tests.conftest import T0


def start_as(camunda: Camunda, user: str, key: str, variables: dict[str, Any] | None = None) -> dict:
    """``runtimeService.startProcessInstanceByKey`` with ``user`` as the authenticated user."""
    with camunda.api.db.begin() as conn:
        camunda.api.tokens[user] = create_token(conn, "SYSTEEM", "systeem", user, T0)
    response = camunda.api.post(
        "/process-instances",
        user,
        json={
            "processKey": key,
            "businessKey": f"bk-{user}-{key}",
            "gemeente": "GM0344",
            "variables": variables or {},
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_initiator(camunda: Camunda) -> None:
    """InitiatorTest.testInitiator"""
    camunda.deploy("InitiatorTest.testInitiator.bpmn20.xml")
    instance = start_as(camunda, "bono", "InitiatorProcess")
    (task,) = camunda.tasks(instance)
    assert task["assignee"] == "bono"
    assert camunda.api.get("/tasks?assignee=bono", "bh").get_json()["total"] == 1


def test_review_sales_lead_initiator(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testReviewSalesLeadProcess (kermit is the authenticated user)"""
    camunda.deploy("reviewSalesLead.bpmn20.xml")
    instance = start_as(
        camunda, "kermit", "reviewSaledLead", {"details": "very interesting", "customerName": "Alfresco"}
    )
    (task,) = camunda.tasks(instance)
    assert (task["name"], task["assignee"]) == ("Provide new sales lead", "kermit")
    instance = camunda.complete(instance, "Provide new sales lead")

    by_group = {g: t for t in camunda.tasks(instance) for g in t["candidateGroups"]}
    assert by_group["accountancy"]["name"] == "Review customer rating"
    assert by_group["management"]["name"] == "Review profitability"
    # not enough information: the error event closes the sub-process
    instance = camunda.complete(instance, "Review profitability", {"notEnoughInformation": True})
    (task,) = camunda.tasks(instance)
    assert (task["name"], task["assignee"]) == ("Provide additional details", "kermit")
    # providing more details activates the sub-process again
    instance = camunda.complete(instance, "Provide additional details")
    assert camunda.task_names(instance) == ["Review customer rating", "Review profitability"]
    instance = camunda.complete(instance, "Review customer rating")
    instance = camunda.complete(instance, "Review profitability", {"notEnoughInformation": False})
    assert instance["status"] == "completed"


def test_duplicate_assignee_declaration(camunda: Camunda) -> None:
    """TaskAssignmentExtensionsTest.testDuplicateAssigneeDeclaration (camunda:assignee and humanPerformer)"""
    resource = "TaskAssignmentExtensionsTest.testDuplicateAssigneeDeclaration.bpmn20.xml"
    assert camunda.deploy_fails(resource)  # Camunda's resource has no BPMN namespace: refused as it is
    # with the namespace, the duplicate assignee is what Camunda's BpmnParse refuses, naming the task
    body = (
        (RESOURCES / resource)
        .read_bytes()
        .replace(
            b'<definitions id="taskAssigneeExample"',
            b'<definitions id="taskAssigneeExample" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        )
    )
    problems = camunda.deploy_fails(body)
    assert [p.get("elementId") for p in problems] == ["theTask"], problems
    assert "duplicate assignee declaration" in problems[0]["message"]


def test_query_sorting_with_parameter(camunda: Camunda) -> None:
    """UserTaskTest.testQuerySortingWithParameter"""
    camunda.deploy("UserTaskTest.testQuerySortingWithParameter.bpmn20.xml")
    instance = camunda.start("oneTaskProcess")
    listing = camunda.api.get(f"/tasks?processInstanceId={instance['id']}", "bh").get_json()
    assert listing["total"] == 1
