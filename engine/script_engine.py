"""SpiffWorkflow's script engine with every evaluation routed through our safe evaluator.

The library's own environment runs ``eval``/``exec`` with full builtins; nothing here does. Conditions,
timers, DMN cells, correlation keys and script tasks all go through :mod:`engine.expression`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import expression
from engine.errors import ExpressionError
from engine.expression import UnknownVariableError
from engine.spiff_support import current_now


def _plain(value: Any) -> Any:
    """Dates and instants leave the evaluator as ISO strings: the library cannot store date objects."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes in the safe subset only; there are no globals to leak."""

    def __init__(self) -> None:
        super().__init__(environment_globals={})

    def evaluate(
        self,
        expression_text: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        variables: Mapping[str, Any] = ChainMap(dict(external_context or {}), dict(context))
        return _plain(expression.evaluate(expression_text, variables, now=current_now()))

    def execute(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        expression.execute_script(script, context, now=current_now())
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("service calls are not supported")


class SafeScriptEngine(PythonScriptEngine):
    """The script engine every workflow we build runs with."""

    def __init__(self) -> None:
        super().__init__(environment=SafeEnvironment())

    def validate(self, expression_text: str) -> None:
        try:
            expression.validate_expression(expression_text)
        except ExpressionError as exc:
            raise SyntaxError(str(exc)) from exc

    def evaluate(
        self, task: Any, expression_text: str, external_context: Mapping[str, Any] | None = None
    ) -> Any:
        from engine.executions import on_task

        try:
            variables = ChainMap(dict(external_context), task.data) if external_context else None
            with on_task(task, variables):
                return self.environment.evaluate(expression_text, task.data, external_context)
        except ExpressionError as exc:
            # Camunda's words for a variable the expression names but the instance lacks
            unknown = "Unknown property used in expression: " if isinstance(exc, UnknownVariableError) else ""
            raise WorkflowTaskException(
                f"{unknown}Error evaluating expression '{expression_text}': {exc}", task=task
            ) from exc

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        try:
            return bool(self.environment.execute(script, task.data, external_context))
        except ExpressionError as exc:
            raise WorkflowTaskException(f"Error in script: {exc}", task=task) from exc
