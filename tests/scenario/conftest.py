"""Fixtures for the scenario tests: the shipped diagrams deployed once, a journey per test."""

from __future__ import annotations

from typing import Any

import pytest
from scenario_support import BPMN_DIR, T0, Journey


def _library() -> Any:
    from engine.definition import SpecLibrary

    library = SpecLibrary()
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        library.add_document(path.name, path.read_bytes())
    return library


@pytest.fixture(scope="session")
def library() -> Any:
    pytest.importorskip("engine.runtime", reason="the engine runtime is not there yet")
    return _library()


@pytest.fixture
def journey(library: Any) -> Journey:
    from engine.budget import StepBudget
    from engine.clock import ManualClock
    from engine.runtime import Runtime

    clock = ManualClock(T0)
    # A tenth of the default iterations and a hundredth of the default evaluator operations: every
    # journey of the shipped process fits, so the defaults leave it ample room.
    default = StepBudget()
    tight = StepBudget(iterations=default.iterations // 10, operations=default.operations // 100)
    return Journey(Runtime(library, clock, budget=tight), clock)
