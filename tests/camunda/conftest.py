"""Ports of Camunda 7's engine tests, driven through our HTTP API on a manual clock.

Each test names the Camunda test it comes from (``CallActivityTest.testSubProcessAllDataInputOutput``
is ``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/callactivity/CallActivityTest.java`` in
camunda/camunda-bpm-platform). Diagrams are Camunda's test resources, kept as they are in
``tests/camunda/resources/`` under their original names.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.worker import sweep_timers
from engine.clock import ManualClock
from storage.db import make_engine
from storage.migrate import upgrade
from tests.api.conftest import Api, make_api

RESOURCES = Path(__file__).resolve().parent / "resources"


class Camunda:
    """What a Camunda engine test does, as calls to our API (``runtimeService``/``taskService``)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.clock: ManualClock = api.clock
        self._keys = 0

    # -- repositoryService ---------------------------------------------------------------------
    def deploy(self, *resources: str | bytes) -> list[dict[str, Any]]:
        out = []
        for resource in resources:
            body = resource if isinstance(resource, bytes) else (RESOURCES / resource).read_bytes()
            response = self.api.post(
                "/process-definitions", "po", data=body, headers={"Content-Type": "application/xml"}
            )
            assert response.status_code in (200, 201), response.get_json()
            out.append(response.get_json())
        return out

    def deploy_fails(self, resource: str | bytes) -> list[dict[str, Any]]:
        """Deploy a document that must be refused; return its problems."""
        body = resource if isinstance(resource, bytes) else (RESOURCES / resource).read_bytes()
        response = self.api.post(
            "/process-definitions", "po", data=body, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 422, response.get_json()
        return response.get_json()["errors"]  # type: ignore[no-any-return]

    # -- runtimeService ------------------------------------------------------------------------
    def start(
        self, key: str, variables: dict[str, Any] | None = None, business_key: str | None = None
    ) -> dict[str, Any]:
        response = self.start_response(key, variables, business_key)
        assert response.status_code == 201, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def start_response(
        self, key: str, variables: dict[str, Any] | None = None, business_key: str | None = None
    ) -> Any:
        self._keys += 1
        return self.api.post(
            "/process-instances",
            "sys",
            json={
                "processKey": key,
                "businessKey": business_key or f"bk-{self._keys}",
                "gemeente": "GM0344",
                "variables": variables or {},
            },
        )

    def instance(self, instance: dict[str, Any] | str) -> dict[str, Any]:
        instance_id = instance if isinstance(instance, str) else instance["id"]
        response = self.api.get(f"/process-instances/{instance_id}", "bh")
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def variables(self, instance: dict[str, Any] | str) -> dict[str, Any]:
        return self.instance(instance)["variables"]  # type: ignore[no-any-return]

    def correlate_response(
        self, message: str, instance: dict[str, Any], variables: dict[str, Any] | None = None
    ) -> Any:
        return self.api.post(
            "/messages",
            "sys",
            json={
                "messageName": message,
                "businessKey": instance["businessKey"],
                "variables": variables or {},
            },
        )

    def correlate(
        self, message: str, instance: dict[str, Any], variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = self.correlate_response(message, instance, variables)
        assert response.status_code == 200, response.get_json()
        return self.instance(instance)

    # -- taskService ---------------------------------------------------------------------------
    def tasks(self, instance: dict[str, Any]) -> list[dict[str, Any]]:
        return self.instance(instance)["openTasks"]  # type: ignore[no-any-return]

    def task_names(self, instance: dict[str, Any]) -> list[str]:
        return sorted(t["name"] for t in self.tasks(instance))

    def task(self, instance: dict[str, Any], element_or_name: str) -> dict[str, Any]:
        matches = [t for t in self.tasks(instance) if element_or_name in (t["elementId"], t["name"])]
        assert len(matches) == 1, (element_or_name, self.tasks(instance))
        return matches[0]

    def task_detail(self, task: dict[str, Any]) -> dict[str, Any]:
        response = self.api.get(f"/tasks/{task['id']}", "bh")
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def complete(
        self, instance: dict[str, Any], element_or_name: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        task = self.task(instance, element_or_name)
        if task.get(
            "assignee"
        ):  # Camunda's taskService.complete ignores the assignee; a beheerder releases it
            assert self.api.post(f"/tasks/{task['id']}/unclaim", "bh").status_code in (200, 204)
        response = self.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": variables or {}})
        assert response.status_code == 200, response.get_json()
        return self.instance(instance)

    # -- managementService (jobs are our timers) -----------------------------------------------
    def timers(self, instance: dict[str, Any]) -> list[dict[str, Any]]:
        return self.instance(instance)["timers"]  # type: ignore[no-any-return]

    def advance(self, **delta: float) -> None:
        """Move the clock and let the timer worker fire what is due (Camunda's job executor)."""
        self.clock.advance(timedelta(**delta))
        self.run_worker()

    def run_worker(self) -> None:
        services = self.api.app.extensions["inburgering"]
        for _ in range(20):
            report = sweep_timers(services, worker_id="camunda-tests")
            if not report.claimed:
                return

    def fire(self, timer: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(f"/timers/{timer['id']}/fire", "bh")
        assert response.status_code == 200, response.get_json()
        return self.instance(timer["processInstanceId"])

    def status(self, instance: dict[str, Any]) -> str:
        return self.instance(instance)["status"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test starts from a copy (migrating costs more than a test)."""
    path = tmp_path_factory.mktemp("camunda") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def camunda(_migrated_sqlite: Path, tmp_path: Path, clock: ManualClock) -> Iterator[Camunda]:
    path = tmp_path / "test.db"
    shutil.copyfile(_migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Camunda(make_api(engine, clock))
    engine.dispose()


@pytest.fixture
def camunda_unhurried(_migrated_sqlite: Path, tmp_path: Path, clock: ManualClock) -> Iterator[Camunda]:
    """As ``camunda``, with a step's wall-time budget far above what a loaded machine needs, for tests
    of the other budgets (the wall-time budget has its own tests with a ticking clock)."""
    path = tmp_path / "test.db"
    shutil.copyfile(_migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Camunda(make_api(engine, clock, STEP_MAX_SECONDS=600))
    engine.dispose()


@pytest.fixture(autouse=True)
def _walks_checked() -> Iterator[None]:
    """Every task-tree walk of every port is made twice, the engine's and SpiffWorkflow's own, and
    compared task by task (engine/walks.py): the ports prove the walks find what the library finds."""
    from engine import walks

    with walks.checking():
        yield
