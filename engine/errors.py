"""The engine's one error hierarchy. The web layer maps these to problem+json once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, expression or submitted value."""

    message: str
    element_id: str | None = None
    line: int | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"message": self.message}
        if self.element_id is not None:
            out["elementId"] = self.element_id
        if self.line is not None:
            out["line"] = self.line
        if self.field is not None:
            out["field"] = self.field
        return out


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass
class DeployError(EngineError):
    """A document that cannot be deployed; ``problems`` lists every reason."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        for p in self.problems:
            where = f"{p.element_id}: " if p.element_id else ""
            parts.append(where + p.message + (f" (line {p.line})" if p.line else ""))
        return "; ".join(parts)


class ExpressionError(EngineError):
    """An expression that is not allowed or cannot be evaluated safely."""


@dataclass
class FormValidationError(EngineError):
    """Submitted form data that does not fit the task's form; nothing was changed."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)


class TaskNotOpenError(EngineError):
    """The task exists but is no longer open (completed, cancelled or never ready)."""


class NotFoundError(EngineError):
    """No such task, timer, message wait or process."""


class ProcessError(EngineError):
    """The diagram failed while running (bad expression at run time, missing variable)."""


class StepBudgetExceeded(ProcessError):
    """A step used more than its budget (iterations, evaluator operations or wall time); rolled back."""

    def __init__(self, element_id: str | None, resource: str, limit: str) -> None:
        self.element_id = element_id
        self.resource = resource
        self.limit = limit
        where = f"{element_id}: " if element_id else ""
        super().__init__(
            f"{where}the step went over its budget ({resource}: at most {limit}) and was rolled back; "
            "a loop without a wait state, or too much work for one step"
        )


class TimerCycleTooShort(ProcessError):
    """A timer cycle whose period is under the configured minimum (it would fire without end)."""

    def __init__(self, element_id: str | None, message: str) -> None:
        self.element_id = element_id
        super().__init__(f"{element_id}: {message}" if element_id else message)
