"""Drive cases of the shipped main process through storage: forms filled from their fields, messages
sent when the instance waits for them, timers fired by the worker's sweep on a manual clock.

The values come from the form definitions themselves (required fields only, within their
constraints), so the driver follows whatever the diagrams ask without knowing their element ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select

from app.worker_sweep import sweep_timers
from engine.clock import ManualClock
from storage import repository as repo
from storage.schema import message_waits, process_instances
from storage.service import WorkflowService
from tests.conftest import BPMN_DIR

#: Values a caseworker would choose where the first option would not do.
CHOICES: dict[str, Any] = {
    "scenario": "2",
    "deelname": "geaccepteerd",
    "leerroute": "b1",
    "driegesprekMoment": "voor-intake",
}


def deploy_shipped(service: WorkflowService) -> None:
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        service.deploy(path.name, path.read_bytes(), actor="test")


def form_values(form: list[dict[str, Any]], today: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """A valid submission for ``form``: every field filled within its constraints (gateways read them)."""
    values: dict[str, Any] = {}
    for spec in form:
        name = spec["id"]
        constraints = spec.get("constraints") or {}
        if constraints.get("readonly"):
            continue
        if name in overrides:
            values[name] = overrides[name]
            continue
        if name in CHOICES and (
            spec["type"] != "enum" or CHOICES[name] in {o["id"] for o in spec.get("options", [])}
        ):
            values[name] = CHOICES[name]
            continue
        default = spec.get("default")
        if default is not None and not (isinstance(default, str) and "{" in default):
            values[name] = default
            continue
        kind = spec["type"]
        if kind == "enum":
            values[name] = spec["options"][0]["id"]
        elif kind == "boolean":
            values[name] = False
        elif kind == "long":
            values[name] = int(constraints.get("min", 1))
        elif kind == "date":
            values[name] = today
        else:
            values[name] = "x" * max(int(constraints.get("minlength", 1)), 1)
    return values


@dataclass
class Case:
    """One instance of the main process in a database, and the hand that moves it on."""

    service: WorkflowService
    clock: ManualClock
    id: str
    steps: list[str] = field(default_factory=list)
    #: fires due timers (default: one sweep of the worker's code); ``late_by`` after their due time
    sweep: Callable[[], Any] | None = None
    late_by: timedelta = timedelta(0)
    #: form values to choose where a field asks (e.g. ``{"scenario": "3"}``)
    choices: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        service: WorkflowService,
        clock: ManualClock,
        business_key: str,
        gemeente: str,
        version: int | None = None,
    ) -> Case:
        record = service.start(
            "doorlopende_lijn",
            business_key=business_key,
            gemeente=gemeente,
            variables={"gemeente": gemeente, "azc": "AZC-ZST", "koppeldatum": clock.now().date().isoformat()},
            actor="system:tvs",
            version=version,
        )
        return cls(service, clock, record.id)

    @property
    def db(self) -> Engine:
        return self.service.db

    def record(self) -> repo.InstanceRecord:
        return self.service.get(self.id)

    def tasks(self) -> list[Any]:
        with self.db.connect() as conn:
            return list(repo.tasks_for_instance(conn, self.id))

    def timers(self) -> list[Any]:
        with self.db.connect() as conn:
            return list(repo.timers_for_instance(conn, self.id))

    def waits(self) -> list[str]:
        with self.db.connect() as conn:
            return list(
                conn.execute(
                    select(message_waits.c.message_name)
                    .where(message_waits.c.instance_id == self.id)
                    .order_by(message_waits.c.id)
                ).scalars()
            )

    def status(self) -> str:
        with self.db.connect() as conn:
            return str(
                conn.execute(
                    select(process_instances.c.status).where(process_instances.c.id == self.id)
                ).scalar()
            )

    # -- moves -------------------------------------------------------------------------------------
    def complete(self, element_id: str | None = None, **overrides: Any) -> None:
        tasks = self.tasks()
        task = next(t for t in tasks if element_id is None or t.element_id == element_id)
        data = form_values(task.form, self.clock.now().date().isoformat(), {**self.choices, **overrides})
        self.service.complete_task(task.id, data, actor="user:test")
        self.steps.append(f"complete {task.element_id}")

    def correlate(self, message: str) -> None:
        later = (self.clock.now() + timedelta(days=30)).date().isoformat()
        variables = {"verhuisdatum": later} if message == "huisvesting_gevonden" else {"datum": later}
        business_key = self.record().business_key
        assert business_key is not None
        self.service.correlate(message, business_key, variables, actor="system:tvs")
        self.steps.append(f"message {message}")

    def fire_next_timer(self) -> None:
        due = min(t.due_at for t in self.timers()) + self.late_by
        if due > self.clock.now():
            self.clock.set(due)
        if self.sweep is not None:
            self.sweep()
        else:
            report = sweep_timers((self.db, self.service, self.clock), worker_id="test-worker")
            assert report.errors == 0
        self.steps.append(f"timers at {due.isoformat()}")

    def step(self) -> bool:
        """One move: a task if one is open, else the next timer, else a message it waits for."""
        if self.status() != "active":
            return False
        if self.tasks():
            self.complete()
        elif self.timers():
            self.fire_next_timer()
        elif self.waits():
            self.correlate(self.waits()[0])
        else:
            raise AssertionError(f"instance {self.id} is stuck after {self.steps}")
        return True

    def finish(self, limit: int = 80) -> None:
        for _ in range(limit):
            if not self.step():
                return
        raise AssertionError(f"instance {self.id} did not end after {limit} moves: {self.steps}")
