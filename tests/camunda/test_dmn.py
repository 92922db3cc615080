"""Camunda 7's DMN engine tests for hit policies and decision requirement graphs, ported.

Sources: camunda/camunda-bpm-platform, ``engine-dmn/engine/src/test/java/org/camunda/bpm/dmn/engine/``
``hitpolicy/HitPolicyTest.java`` (resources ``hitpolicy/HitPolicyTest.*.dmn``, unchanged) and
``api/EvaluateDecisionTest.java`` (``evaluate/EvaluateDrdDishDecisionExample.dmn``), plus the DRG of the
compatibility corpus (``desiredDish.bpmn`` with ``drg-dish-decision.dmn11.xml``) run through the HTTP
API. Camunda's ``evaluateDecisionTable(input1, input2, input3, output1, output2, output3)`` sets those
six variables; the tables' ``${input1}`` entries are JUEL conditions, as Camunda reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine import dmn, expression
from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.errors import DeployError
from tests.api.conftest import Api, make_api
from tests.conftest import FIXTURES, T0

RESOURCES = Path(__file__).parent / "resources" / "dmn"
COMPAT = FIXTURES / "compat"


def _run(text: str, variables: Any) -> Any:
    return expression.evaluate(text, variables, now=T0)


def evaluate_table(resource: str, *values: Any) -> list[dict[str, Any]]:
    doc = SpecLibrary().parse(resource, (RESOURCES / resource).read_bytes())
    names = ["input1", "input2", "input3", "output1", "output2", "output3"]
    return dmn.evaluate("decision", doc.decision_graph, dict(zip(names, values, strict=True)), _run)


def entries(result: list[dict[str, Any]]) -> list[list[Any]]:
    """The values of each result, in order (Camunda's tests read single entries and entry lists)."""
    return [list(row.values()) for row in result]


# -- UNIQUE (and the default) ---------------------------------------------------------------------
@pytest.mark.parametrize("resource", ["HitPolicyTest.default.single.dmn", "HitPolicyTest.unique.single.dmn"])
def test_unique_hit_policy_single_output(resource: str) -> None:
    """HitPolicyTest.testDefaultHitPolicySingleOutput* and testUniqueHitPolicySingleOutput*"""
    assert evaluate_table(resource, False, False, False, "a", "b", "c") == []
    assert entries(evaluate_table(resource, True, False, False, "a", "b", "c")) == [["a"]]
    assert entries(evaluate_table(resource, False, True, False, "a", "b", "c")) == [["b"]]
    assert entries(evaluate_table(resource, False, False, True, "a", "b", "c")) == [["c"]]
    for matches in ((True, True, False), (True, False, True), (False, True, True), (True, True, True)):
        with pytest.raises(dmn.DecisionError, match="^DMN-03001"):
            evaluate_table(resource, *matches, "a", "b", "c")


@pytest.mark.parametrize(
    "resource", ["HitPolicyTest.default.compound.dmn", "HitPolicyTest.unique.compound.dmn"]
)
def test_unique_hit_policy_compound_output(resource: str) -> None:
    """HitPolicyTest.testDefaultHitPolicyCompoundOutput* and testUniqueHitPolicyCompoundOutput*"""
    assert evaluate_table(resource, False, False, False, "a", "b", "c") == []
    assert evaluate_table(resource, True, False, False, "a", "b", "c") == [
        {"out1": "a", "out2": "a", "out3": "a"}
    ]
    assert evaluate_table(resource, False, False, True, "a", "b", "c") == [
        {"out1": "c", "out2": "c", "out3": "c"}
    ]
    with pytest.raises(dmn.DecisionError, match="^DMN-03001"):
        evaluate_table(resource, True, True, True, "a", "b", "c")


# -- ANY ------------------------------------------------------------------------------------------
def test_any_hit_policy_single_output() -> None:
    """HitPolicyTest.testAnyHitPolicySingleOutput*: equal outputs may match together, unequal may not"""
    resource = "HitPolicyTest.any.single.dmn"
    assert evaluate_table(resource, False, False, False, "a", "b", "c") == []
    assert entries(evaluate_table(resource, True, False, False, "a", "b", "c")) == [["a"]]
    for matches in ((True, True, False), (True, False, True), (False, True, True), (True, True, True)):
        with pytest.raises(dmn.DecisionError, match="^DMN-03002"):
            evaluate_table(resource, *matches, "a", "b", "c")
    assert entries(evaluate_table(resource, True, True, False, "a", "a", "a")) == [["a"]]
    assert entries(evaluate_table(resource, True, True, True, "c", "c", "c")) == [["c"]]


def test_any_hit_policy_compound_output() -> None:
    """HitPolicyTest.testAnyHitPolicyCompoundOutput*"""
    resource = "HitPolicyTest.any.compound.dmn"
    with pytest.raises(dmn.DecisionError, match="^DMN-03002"):
        evaluate_table(resource, True, True, False, "a", "b", "c")
    assert evaluate_table(resource, True, True, True, "a", "a", "a") == [
        {"out1": "a", "out2": "a", "out3": "a"}
    ]


# -- FIRST, RULE ORDER, COLLECT ------------------------------------------------------------------
def test_first_hit_policy() -> None:
    """HitPolicyTest.testFirstHitPolicySingleOutput* and testFirstHitPolicyCompoundOutput*"""
    assert evaluate_table("HitPolicyTest.first.single.dmn", False, False, False, "a", "b", "c") == []
    assert entries(evaluate_table("HitPolicyTest.first.single.dmn", False, True, True, "a", "b", "c")) == [
        ["b"]
    ]
    assert entries(evaluate_table("HitPolicyTest.first.single.dmn", True, True, True, "a", "b", "c")) == [
        ["a"]
    ]
    compound = evaluate_table("HitPolicyTest.first.compound.dmn", False, True, True, "a", "b", "c")
    assert compound == [{"out1": "b", "out2": "b", "out3": "b"}]


@pytest.mark.parametrize(
    "resource", ["HitPolicyTest.ruleOrder.single.dmn", "HitPolicyTest.collect.single.dmn"]
)
def test_rule_order_and_collect_single_output(resource: str) -> None:
    """HitPolicyTest.testRuleOrderHitPolicySingleOutput* and testCollectHitPolicySingleOutput*"""
    assert evaluate_table(resource, False, False, False, "a", "b", "c") == []
    assert entries(evaluate_table(resource, False, True, False, "a", "b", "c")) == [["b"]]
    assert entries(evaluate_table(resource, True, False, True, "a", "b", "c")) == [["a"], ["c"]]
    assert entries(evaluate_table(resource, True, True, True, "a", "b", "c")) == [["a"], ["b"], ["c"]]


@pytest.mark.parametrize(
    "resource", ["HitPolicyTest.ruleOrder.compound.dmn", "HitPolicyTest.collect.compound.dmn"]
)
def test_rule_order_and_collect_compound_output(resource: str) -> None:
    """HitPolicyTest.testRuleOrderHitPolicyCompoundOutput* and testCollectHitPolicyCompoundOutput*"""
    result = evaluate_table(resource, True, True, False, "a", "b", "c")
    assert result == [{"out1": "a", "out2": "a", "out3": "a"}, {"out1": "b", "out2": "b", "out3": "b"}]


def test_collect_sum() -> None:
    """HitPolicyTest.testCollectSumHitPolicySingleOutput*"""
    resource = "HitPolicyTest.collect.sum.single.dmn"
    assert evaluate_table(resource, False, False, False, 10, 20, 30.034) == []
    assert entries(evaluate_table(resource, True, False, False, 10, 20, 30.034)) == [[10]]
    assert entries(evaluate_table(resource, True, True, False, 10, 20, 30.034)) == [[30]]
    assert entries(evaluate_table(resource, True, False, True, 10, 20, 30.034)) == [[pytest.approx(40.034)]]
    assert entries(evaluate_table(resource, True, True, True, 10, 20, 30.034)) == [[pytest.approx(60.034)]]
    with pytest.raises(dmn.DecisionError, match="^DMN-03004"):
        evaluate_table(resource, True, True, False, "a", "b", "c")


def test_collect_min_max_count() -> None:
    """HitPolicyTest.testCollectMin/Max/CountHitPolicySingleOutput*"""
    assert entries(
        evaluate_table("HitPolicyTest.collect.min.single.dmn", True, True, True, 10, 20, 30.034)
    ) == [[10]]
    assert entries(
        evaluate_table("HitPolicyTest.collect.max.single.dmn", True, True, True, 10, 20, 30.034)
    ) == [[30.034]]
    assert evaluate_table("HitPolicyTest.collect.max.single.dmn", False, False, False, 10, 20, 30.034) == []
    count = "HitPolicyTest.collect.count.single.dmn"
    assert entries(evaluate_table(count, False, False, False, 10, 20, 30.034)) == [[0]]
    assert entries(evaluate_table(count, True, False, True, 10, 20, 30.034)) == [[2]]
    assert entries(evaluate_table(count, True, True, True, "a", "b", "c")) == [[3]]


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("HitPolicyTest.priority.single.dmn", "DMN-02004"),
        ("HitPolicyTest.outputOrder.single.dmn", "DMN-02004"),
        ("HitPolicyTest.collect.sum.compound.dmn", "DMN-03003"),
        ("HitPolicyTest.collect.min.compound.dmn", "DMN-03003"),
        ("HitPolicyTest.collect.max.compound.dmn", "DMN-03003"),
        ("HitPolicyTest.collect.count.compound.dmn", "DMN-03003"),
    ],
)
def test_unsupported_tables_are_refused_at_deploy(resource: str, code: str) -> None:
    """HitPolicyTest.testPriorityHitPolicy*, testOutputOrderHitPolicyNotSupported (DMN-02004 at parse,
    as Camunda); testCollect*HitPolicyCompoundOutput* (Camunda fails at evaluation with DMN-03003;
    here the document is refused at deploy, before anything runs)."""
    with pytest.raises(DeployError) as err:
        SpecLibrary().parse(resource, (RESOURCES / resource).read_bytes())
    assert any(p.message.startswith(code) and p.element_id == "decision" for p in err.value.problems)


# -- decision requirement graphs -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("temperature", "day_type", "dish"),
    [
        (35, "Weekend", "Light salad"),
        (5, "WeekDay", "Spareribs"),
        (20, "Holiday", "Steak"),
        (31, "WeekDay", "Beans salad"),
    ],
)
def test_evaluate_drd_dish_decision(temperature: int, day_type: str, dish: str) -> None:
    """EvaluateDecisionTest.shouldEvaluateDrdDishDecisionExample: required decisions first"""
    doc = SpecLibrary().parse(
        "EvaluateDrdDishDecisionExample.dmn", (RESOURCES / "EvaluateDrdDishDecisionExample.dmn").read_bytes()
    )
    result = dmn.evaluate("Dish", doc.decision_graph, {"temperature": temperature, "dayType": day_type}, _run)
    assert result == [{"desiredDish": dish}]


def test_required_decision_results_become_lists_when_collected() -> None:
    """Camunda's DefaultDmnDecisionContext: a COLLECT required decision gives each output as a list."""
    doc = SpecLibrary().parse(
        "invoiceBusinessDecisions.dmn", (COMPAT / "invoiceBusinessDecisions.dmn").read_bytes()
    )
    result = dmn.evaluate(
        "invoice-assign-approver",
        doc.decision_graph,
        {"amount": 1200, "invoiceCategory": "Travel Expenses"},
        _run,
    )
    assert result and all("result" in row for row in result)


def test_a_cycle_of_required_decisions_is_refused() -> None:
    text = (RESOURCES / "EvaluateDrdDishDecisionExample.dmn").read_text()
    start = text.index('<decision id="Season"')
    head = text.index(">", start) + 1
    looped = (
        text[:head]
        + '<informationRequirement><requiredDecision href="#Dish"/></informationRequirement>'
        + text[head:]
    )
    with pytest.raises(DeployError, match="cycle"):
        SpecLibrary().parse("looped.dmn", looped.encode())


@pytest.fixture
def api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    yield make_api(db, clock)


@pytest.mark.parametrize(
    ("temperature", "day_type", "dish"), [(35, "Weekend", "Light salad"), (5, "Weekday", "Spareribs")]
)
def test_desired_dish_process_runs_the_drg(api: Api, temperature: int, day_type: str, dish: str) -> None:
    """The corpus's desiredDish.bpmn: business rule task -> DRG decision Dish (singleEntry) over HTTP."""
    for name in ("drg-dish-decision.dmn11.xml", "desiredDish.bpmn"):
        response = api.post(
            "/process-definitions", "bh", data=(COMPAT / name).read_bytes(), content_type="application/xml"
        )
        assert response.status_code == 201, response.get_json()
    response = api.post(
        "/process-instances",
        "sys",
        json={
            "processKey": "desiredDish",
            "businessKey": "V0000000001",
            "gemeente": "GM0344",
            "variables": {"temperature": temperature, "dayType": day_type},
        },
    )
    assert response.status_code == 201, response.get_json()
    body = api.get(f"/process-instances/{response.get_json()['id']}", "bh").get_json()
    assert body["variables"]["desiredDish"] == dish
    assert [t["elementId"] for t in body["openTasks"]] == ["Task_077wda8"]


def test_a_unique_violation_in_a_process_is_refused_with_camundas_error(api: Api) -> None:
    """A UNIQUE table where two rules match: the start is refused naming the rules (DMN-03001), and
    nothing is stored."""
    text = (COMPAT / "drg-dish-decision.dmn11.xml").read_text()
    clash = text.replace("<![CDATA[>30]]>", "<![CDATA[>=10]]>", 1)  # Summer now overlaps Spring
    assert clash != text
    assert (
        api.post(
            "/process-definitions", "bh", data=clash.encode(), content_type="application/xml"
        ).status_code
        == 201
    )
    desired = (COMPAT / "desiredDish.bpmn").read_bytes()
    assert (
        api.post("/process-definitions", "bh", data=desired, content_type="application/xml").status_code
        == 201
    )
    response = api.post(
        "/process-instances",
        "sys",
        json={
            "processKey": "desiredDish",
            "businessKey": "V0000000002",
            "gemeente": "GM0344",
            "variables": {"temperature": 20, "dayType": "Weekday"},
        },
    )
    assert response.status_code == 422, response.get_json()
    assert "DMN-03001" in response.get_json()["detail"]
    assert api.get("/process-instances", "bh").get_json()["total"] == 0
