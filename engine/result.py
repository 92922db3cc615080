"""What a step returns: plain frozen values that storage writes in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.camunda import FormField
from engine.external_tasks import OpenExternalTask
from engine.signals import SignalThrow, SignalWait


@dataclass(frozen=True)
class OpenTask:
    """A user task waiting for a person."""

    id: str
    element_id: str
    name: str
    lane: str | None
    candidate_groups: tuple[str, ...]
    assignee: str | None
    due_at: datetime | None
    form: tuple[FormField, ...]
    process_id: str
    created_at: datetime
    candidate_users: tuple[str, ...] = ()
    follow_up_at: datetime | None = None
    priority: int = 50
    """Camunda's ``camunda:priority`` (default 50)."""


@dataclass(frozen=True)
class PendingTimer:
    """A timer waiting for its due time."""

    id: str
    element_id: str
    due_at: datetime
    kind: str = "timer"


@dataclass(frozen=True)
class MessageWait:
    """A catch event or receive task waiting for a message by name."""

    message_name: str
    element_id: str
    task_id: str


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened in a step that the outside world may want to hear of.

    ``type`` is the short name (``klantprofiel-gedeeld``); outbound webhooks prefix it.
    """

    type: str
    element_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit trail: who or what did which step on which element."""

    action: str
    element_id: str | None
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step: the new state and everything indexed about it."""

    state: dict[str, Any]
    status: str
    process_key: str
    version: int
    variables: dict[str, Any]
    open_tasks: tuple[OpenTask, ...]
    timers: tuple[PendingTimer, ...]
    message_waits: tuple[MessageWait, ...]
    events: tuple[DomainEvent, ...]
    active_elements: tuple[str, ...]
    audit: tuple[AuditRecord, ...]
    at: datetime
    signal_waits: tuple[SignalWait, ...] = ()
    """Signals the instance waits for (catch events, boundaries, gateways, event subprocess starts)."""
    signals: tuple[SignalThrow, ...] = ()
    """Signals the step threw, to be broadcast to other instances and signal start events."""
    external_tasks: tuple[OpenExternalTask, ...] = ()
    """External tasks (``camunda:type="external"``) waiting for a worker."""
    business_key: str | None = None
    """The business key the instance carries (set by a signal payload when a signal starts it)."""
    index_kinds: frozenset[str] | None = None
    """Which waits the instance's definition can have at all (``message``, ``signal``,
    ``external``); storage need not look for rows of the others. None: any."""
    workflow: Any = field(default=None, compare=False, repr=False)
    """The live workflow ``state`` was dumped from: storage may keep it for the instance's next step
    (``storage.workflow_cache``) once the step is written; nothing else may change it."""

    @property
    def scenario(self) -> str | None:
        value = self.variables.get("scenario")
        return None if value is None else str(value)

    def task(self, element_id: str) -> OpenTask:
        """The open task for ``element_id`` (tests and the CLI use this)."""
        for task in self.open_tasks:
            if task.element_id == element_id:
                return task
        raise KeyError(f"no open task {element_id}; open: {[t.element_id for t in self.open_tasks]}")
