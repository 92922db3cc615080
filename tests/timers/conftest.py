"""Fixtures for the timer worker: a service with the timer diagrams deployed, and a sweep on its clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from app.worker import SweepReport, sweep_timers
from engine.clock import ManualClock
from storage.service import WorkflowService
from tests.conftest import FIXTURES
from tests.timers.seeding import TIMER_FIXTURES

Sweep = Callable[..., SweepReport]


@pytest.fixture
def service(db: Engine, clock: ManualClock) -> WorkflowService:
    svc = WorkflowService(db, clock)
    svc.deploy("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes(), actor="test")
    for name in ("verhuizing", "huisvesting", "termijn"):
        svc.deploy(f"{name}.bpmn", (TIMER_FIXTURES / f"{name}.bpmn").read_bytes(), actor="test")
    return svc


@pytest.fixture
def sweep(db: Engine, service: WorkflowService, clock: ManualClock) -> Sweep:
    """One sweep by worker ``w-test`` on the manual clock."""

    def run(**kwargs: Any) -> SweepReport:
        kwargs.setdefault("worker_id", "w-test")
        return sweep_timers((db, service, clock), **kwargs)

    return run
