"""DMN decision tables and decision requirement graphs (DRGs), evaluated as Camunda 7's DMN engine does.

SpiffWorkflow's DMN engine knows one decision table per document, treats UNIQUE as FIRST (no error
when several rules match), never aggregates COLLECT, and fails on required decisions. Decisions are
read and evaluated here instead:

* several decisions in one document; a decision's required decisions (``informationRequirement`` /
  ``requiredDecision``) are evaluated first, and their results become variables of the requiring
  decision as Camunda puts them: one result of a non-collecting table gives its output values;
  several (or a COLLECT / RULE ORDER table) give, per output name, the list of values;
* hit policies UNIQUE (an error naming the rules when several match, Camunda's DMN-03001), FIRST,
  ANY (an error when matching rules differ in output, DMN-03002), RULE ORDER, and COLLECT, with SUM,
  MIN, MAX or COUNT over a single output (DMN-03003 for several outputs);
* input expressions and output entries go through the safe evaluator, input entries are FEEL simple
  unary tests (:mod:`engine.feel`). Empty output entries leave their output out of the rule's result.

Refused at deploy, naming the decision: PRIORITY and OUTPUT ORDER hit policies (Camunda refuses them
too), literal expression decisions, a required decision that is not in the document, and cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine import feel
from engine.errors import EngineError, Problem

__all__ = ["Decision", "DecisionError", "evaluate", "parse_decisions"]

HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_COLLECTING = ("COLLECT", "RULE ORDER")


class DecisionError(EngineError):
    """A decision could not be evaluated (a hit policy violated, an expression failed)."""


@dataclass(frozen=True)
class Rule:
    id: str
    input_entries: tuple[str, ...]
    output_entries: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """One decision table with the ids of the decisions it requires."""

    id: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[str, ...]  # input expression texts
    outputs: tuple[str, ...]  # output names
    rules: tuple[Rule, ...]
    required: tuple[str, ...]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    texts = _children(element, "text")
    return (texts[0].text or "").strip() if texts else ""


def parse_decisions(root: etree._Element) -> tuple[dict[str, Decision], list[Problem]]:
    """The decisions of a DMN document, and every reason to refuse it."""
    decisions: dict[str, Decision] = {}
    problems: list[Problem] = []

    def problem(message: str, element: etree._Element, element_id: str | None) -> None:
        problems.append(Problem(message, element_id=element_id, line=element.sourceline or None))

    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element) != "decision":
            continue
        decision_id = element.get("id") or ""
        if not decision_id:
            continue  # the inspector reports decisions without an id
        required = []
        for requirement in _children(element, "informationRequirement"):
            for ref in _children(requirement, "requiredDecision"):
                href = (ref.get("href") or "").strip()
                required.append(href[1:] if href.startswith("#") else href)
        tables = _children(element, "decisionTable")
        if not tables:
            problem("only decision tables are supported (not literal expressions)", element, decision_id)
            continue
        table = tables[0]
        hit_policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
        aggregation = table.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            problem(
                f"DMN-02004 hit policy '{hit_policy}' is not supported (nor by Camunda 7)",
                table,
                decision_id,
            )
        if aggregation is not None:
            aggregation = aggregation.strip().upper()
            if hit_policy != "COLLECT" or aggregation not in AGGREGATIONS:
                problem(
                    f"aggregation '{aggregation}' is only possible with hit policy COLLECT",
                    table,
                    decision_id,
                )
        inputs = tuple(
            _text(next(iter(_children(i, "inputExpression")), None)) for i in _children(table, "input")
        )
        outputs = tuple(o.get("name") or o.get("id") or "" for o in _children(table, "output"))
        if aggregation is not None and len(outputs) > 1:
            problem(
                f"DMN-03003 Unable to execute aggregation '{aggregation}' on a decision table with "
                f"{len(outputs)} outputs",
                table,
                decision_id,
            )
        rules = []
        for rule in _children(table, "rule"):
            rules.append(
                Rule(
                    rule.get("id") or "",
                    tuple(_text(e) for e in _children(rule, "inputEntry")),
                    tuple(_text(e) for e in _children(rule, "outputEntry")),
                )
            )
            if len(rules[-1].input_entries) != len(inputs) or len(rules[-1].output_entries) != len(outputs):
                problem("the rule does not have one entry per input and output", rule, rule.get("id"))
        decisions[decision_id] = Decision(
            decision_id,
            element.get("name") or decision_id,
            hit_policy,
            aggregation,
            inputs,
            outputs,
            tuple(rules),
            tuple(required),
        )
    for decision in decisions.values():
        for required_id in decision.required:
            if required_id not in decisions:
                problems.append(
                    Problem(
                        f"requires decision '{required_id}', which is not in this document",
                        element_id=decision.id,
                    )
                )
    for decision in decisions.values():
        if _in_cycle(decision.id, decisions):
            problems.append(
                Problem("the decision requires itself (a cycle of required decisions)", decision.id)
            )
    return decisions, problems


def _in_cycle(start: str, decisions: Mapping[str, Decision]) -> bool:
    seen: set[str] = set()
    stack = list(decisions[start].required)
    while stack:
        current = stack.pop()
        if current == start:
            return True
        if current in seen or current not in decisions:
            continue
        seen.add(current)
        stack.extend(decisions[current].required)
    return False


Evaluate = Callable[[str, Mapping[str, Any]], Any]


def evaluate(
    decision_id: str, decisions: Mapping[str, Decision], variables: Mapping[str, Any], run: Evaluate
) -> list[dict[str, Any]]:
    """The result list of ``decision_id`` (one dict of output name -> value per result), Camunda's way.

    ``run(text, variables)`` evaluates an expression text against variables.
    """
    context = dict(variables)
    for required in _evaluation_order(decision_id, decisions):
        result = _evaluate_table(decisions[required], context, run)
        _add_to_context(result, decisions[required], context)
    return _evaluate_table(decisions[decision_id], context, run)


def _evaluation_order(decision_id: str, decisions: Mapping[str, Decision]) -> list[str]:
    """Required decisions, deepest first, each once (the decision itself excluded)."""
    order: list[str] = []

    def visit(current: str) -> None:
        for ref in decisions[current].required:
            if ref not in order:
                visit(ref)
                order.append(ref)

    visit(decision_id)
    return order


def _add_to_context(result: list[dict[str, Any]], decision: Decision, context: dict[str, Any]) -> None:
    if not result:
        return
    if len(result) == 1 and decision.hit_policy not in _COLLECTING:
        context.update(result[0])
        return
    names = dict.fromkeys(name for row in result for name in row)
    for name in names:
        context[name] = [row[name] for row in result if name in row]


def _evaluate_table(decision: Decision, context: Mapping[str, Any], run: Evaluate) -> list[dict[str, Any]]:
    try:
        values = [run(text, context) if text else None for text in decision.inputs]
    except EngineError as exc:
        raise DecisionError(f"decision '{decision.id}', input expression: {exc}") from exc
    matched: list[Rule] = []
    for rule in decision.rules:
        try:
            hit = all(
                _matches(cell, value, context, run)
                for cell, value in zip(rule.input_entries, values, strict=False)
            )
        except EngineError as exc:
            raise DecisionError(f"decision '{decision.id}', rule '{rule.id}': {exc}") from exc
        if hit:
            matched.append(rule)
            if decision.hit_policy == "FIRST":
                break
    outputs = [_outputs(rule, decision, context, run) for rule in matched]
    policy = decision.hit_policy
    if policy == "UNIQUE" and len(matched) > 1:
        raise DecisionError(
            f"DMN-03001 Hit policy 'UNIQUE' only allows a single rule to match. Actually match rules: "
            f"'{[r.id for r in matched]}' (decision '{decision.id}')"
        )
    if policy == "ANY" and len(matched) > 1:
        if any(o != outputs[0] for o in outputs[1:]):
            raise DecisionError(
                "DMN-03002 Hit policy 'ANY' only allows multiple matched rules with equal output. "
                f"Matched rules with unequal output: '{[r.id for r in matched]}' (decision '{decision.id}')"
            )
        return outputs[:1]
    if policy == "COLLECT" and decision.aggregation:
        return _aggregate(decision, outputs)
    return outputs


def _matches(cell: str, value: Any, context: Mapping[str, Any], run: Evaluate) -> bool:
    """An input entry: a FEEL simple unary test, or (Camunda's JUEL entries) a whole ``${...}`` condition."""
    text = cell.strip()
    if text[:2] in ("${", "#{") and text.endswith("}") and text.count("{") == 1:
        return bool(run(text, {**context, "cellInput": value}))
    return feel.matches(text, value, lambda endpoint: run(endpoint, context))


def _outputs(rule: Rule, decision: Decision, context: Mapping[str, Any], run: Evaluate) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in zip(decision.outputs, rule.output_entries, strict=False):
        if not text:
            continue  # an empty output entry gives no value, as in Camunda
        try:
            out[name] = run(text, context)
        except EngineError as exc:
            raise DecisionError(
                f"decision '{decision.id}', rule '{rule.id}', output '{name}': {exc}"
            ) from exc
    return out


def _aggregate(decision: Decision, outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    name = decision.outputs[0] if decision.outputs else ""
    values = [next(iter(row.values())) for row in outputs if row]
    if decision.aggregation == "COUNT":
        return [{name: len(values)}]
    if not values:
        return []
    numbers = [v for v in values if v is not None]
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers):
        raise DecisionError(
            f"DMN-03004 Unable to convert values '{values}' to an aggregatable number type "
            f"(decision '{decision.id}')"
        )
    if not numbers:
        return [{name: None}]
    if decision.aggregation == "MIN":
        return [{name: min(numbers)}]
    if decision.aggregation == "MAX":
        return [{name: max(numbers)}]
    return [{name: sum(numbers)}]


# -- the library's business rule tasks ----------------------------------------------------------------
def _create_business_rule_task(self: Any) -> Any:
    """A business rule task without the library's DMN engine: decisions are evaluated by this module."""
    from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask

    task = BusinessRuleTask(self.spec, self.bpmn_id, dmnEngine=None, **self.bpmn_attributes)
    task.decision_ref = self.get_decision_ref(self.node)
    return task


_installed = False


def install() -> None:
    """Patch the library's Camunda parser once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser

    BusinessRuleTaskParser.create_task = _create_business_rule_task  # type: ignore[method-assign]
    _installed = True
