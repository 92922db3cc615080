"""The Camunda Modeler corpus: what should run runs to its end; what needs Java is refused clearly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.budget import StepBudget
from engine.camunda import FormField
from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.errors import DeployError
from engine.runtime import Runtime
from tests.conftest import FIXTURES

COMPAT = FIXTURES / "compat"
DMN = ["RiskCheck.dmn", "assignment.dmn", "fraudRating.dmn"]
SHOULD_RUN = [
    "audit.bpmn",
    "loanApproval.bpmn",
    "Checkin.bpmn",
    "single-task-process.bpmn",
    "kibana-reporting_process.bpmn",
    "EventBasedGatewayTest.bpmn",
    "BoundaryInterruptingTimerTest.bpmn",
    "BoundaryNonInterruptingTimerTest.bpmn",
    "CallActivity.bpmn",
    "MessageCorrelationTest.shouldReturn3.bpmn20.xml",
    "reviewInvoice.bpmn",
]
SHOULD_BE_REFUSED = [
    # Three timer start events in one process, their values variables: Camunda 7's BpmnParse refuses
    # a second none-or-timer start event ("multiple none start events or timer start events not
    # supported on process definition"), and a timer start event is evaluated at deploy, without
    # variables. The manifest's "should run" came from the 7-to-8 converter, which only parses.
    "flexible-timer-event.bpmn",
    "InsuranceApplication.bpmn",
    "TwitterDemoProcess.bpmn",
    "bpmn-communication-tutorial_process.bpmn",
    "example-c7.bpmn",
    "invoice.v2.bpmn",
    "invokeRestService.bpmn",
]
START_VARIABLES: dict[str, dict[str, object]] = {
    "InsurencePaymentCheck": {
        "claimType": "car",
        "region": "north",
        "claimAmount": 500,
        "paymentRejected": False,
        "numberOfPayouts": 1,
        "historyOfFraud": False,
        "users": "demo",
        "audit": False,
    },
    "single-task-process": {
        "assignee": "demo",
        "candidateGroup": "management",
        "dueDate": "2027-01-09T00:00:00Z",
        "followUpDate": "2027-01-08T00:00:00Z",
        "priority": 50,
        "formKey": "embedded:app:forms/task.html",
        "taskName": "Taak",
    },
}


#: Camunda's own fixtures use one-second cycles (``R3/PT1S``): the corpus runs at that minimum, which
#: is also the default of ``INBURGERING_TIMER_CYCLE_MIN_SECONDS``.
CORPUS_BUDGET = StepBudget(min_timer_cycle=timedelta(seconds=1))


@pytest.fixture(scope="module")
def corpus() -> SpecLibrary:
    lib = SpecLibrary(CORPUS_BUDGET)
    for name in DMN + SHOULD_RUN:
        lib.add_document(name, (COMPAT / name).read_bytes())
    return lib


def _value(field: FormField) -> object:
    if field.type == "enum":
        return field.options[0][0] if field.options else "demo"
    return {"string": "x", "long": 1, "boolean": True, "date": "2027-01-10"}[field.type]


def _process_keys() -> list[str]:
    lib = SpecLibrary(CORPUS_BUDGET)
    for name in DMN + SHOULD_RUN:
        lib.add_document(name, (COMPAT / name).read_bytes())
    return sorted(d.key for d in lib.definitions() if d.document.kind == "bpmn")


@pytest.mark.parametrize("key", _process_keys())
def test_should_run_process_reaches_its_end(corpus: SpecLibrary, key: str) -> None:
    clock = ManualClock()
    rt = Runtime(corpus, clock)
    r = rt.start(key, business_key="B-1", variables=START_VARIABLES.get(key, {}))
    for _ in range(30):
        if r.status != "active":
            break
        if r.open_tasks:
            task = r.open_tasks[0]
            data = {f.id: _value(f) for f in task.form if not f.readonly}
            r = rt.complete_task(r.state, task.id, data)
        elif r.message_waits:
            r = rt.correlate(r.state, r.message_waits[0].message_name, {})
        elif r.timers:
            clock.set(max(clock.now(), r.timers[0].due_at) + timedelta(seconds=1))
            r = rt.fire_due_timers(r.state)
        else:
            break
    assert r.status == "completed", (key, r.active_elements)


def test_business_key_idiom_and_dmn_results(corpus: SpecLibrary) -> None:
    rt = Runtime(corpus, ManualClock())
    r = rt.start(
        "InsurencePaymentCheck", business_key="B-9", variables=START_VARIABLES["InsurencePaymentCheck"]
    )
    r = rt.complete_task(r.state, r.task("Task_EnterCandidateDetails").id, {})
    user = r.variables["userName"]  # the AssignAnalyst decision table's output
    assert user and r.task("Task_EnterApplicationDetails").assignee == user


@pytest.mark.parametrize("name", SHOULD_BE_REFUSED)
def test_should_be_refused_is_refused_naming_elements(name: str) -> None:
    lib = SpecLibrary()
    for dmn in DMN:
        lib.add_document(dmn, (COMPAT / dmn).read_bytes())
    with pytest.raises(DeployError) as err:
        lib.add_document(name, (COMPAT / name).read_bytes())
    assert err.value.problems
    assert all(p.message for p in err.value.problems)
    assert any(p.element_id for p in err.value.problems)


@pytest.mark.parametrize("name", ["drg-dish-decision.dmn11.xml", "invoiceBusinessDecisions.dmn"])
def test_decision_requirement_graphs_deploy_every_decision(name: str) -> None:
    definitions = SpecLibrary().add_document(name, (COMPAT / name).read_bytes())
    assert len(definitions) > 1  # one per decision; evaluation: tests/camunda/test_dmn.py


def test_business_rule_task_without_its_decision_is_refused_clearly() -> None:
    with pytest.raises(DeployError) as err:
        SpecLibrary().add_document("desiredDish.bpmn", (COMPAT / "desiredDish.bpmn").read_bytes())
    (problem,) = err.value.problems
    assert problem.element_id == "Task_0nsg5b7" and "'Dish'" in problem.message


def test_corpus_is_byte_identical_to_its_manifest() -> None:
    import hashlib
    import re

    manifest = (COMPAT / "MANIFEST.md").read_text()
    checked = 0
    for path in sorted(Path(COMPAT).iterdir()):
        if path.name == "MANIFEST.md":
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if re.search(digest, manifest):
            checked += 1
    assert checked >= 20
