"""Camunda Modeler opens and saves the diagrams (bpmn-moddle import and export): nothing changes, and
the saved files lint clean, deploy and pass every journey."""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scenario_support import BPMN_DIR, ROOT, T0, Journey

from tests.timing import patience

FILES = sorted(BPMN_DIR.glob("*.bpmn"))


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "bpmn-moddle").exists():
        pytest.fail("node and node_modules are needed: run `make node_modules/.installed`")
    out = tmp_path_factory.mktemp("saved")
    run = subprocess.run(
        ["node", "tools/modeler_roundtrip.mjs", str(out), *(str(p) for p in FILES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def test_open_and_save_changes_nothing(saved: Path) -> None:
    for path in FILES:
        assert (saved / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_the_saved_files_lint_clean(saved: Path) -> None:
    run = subprocess.run(
        ["npx", "--no-install", "bpmnlint", *(str(saved / p.name) for p in FILES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _journeys() -> list[tuple[str, Callable[..., None], dict[str, Any]]]:
    module = importlib.import_module("test_scenario_journeys")
    found = []
    for name, func in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_"):
            continue
        marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
        if marks:
            argname, values = marks[0].args[0], marks[0].args[1]
            found.extend((f"{name}[{v}]", func, {argname: v}) for v in values)
        else:
            found.append((name, func, {}))
    return found


@pytest.fixture(scope="module")
def saved_library(saved: Path) -> Any:
    from engine.definition import SpecLibrary

    library = SpecLibrary()
    for path in sorted(saved.glob("*.bpmn")):
        library.add_document(path.name, path.read_bytes())
    return library


@pytest.mark.parametrize("name, journey, kwargs", _journeys(), ids=[n for n, _f, _k in _journeys()])
def test_the_saved_files_deploy_and_pass_every_journey(
    saved_library: Any, name: str, journey: Callable[..., None], kwargs: dict[str, Any]
) -> None:
    from engine.clock import ManualClock
    from engine.runtime import Runtime

    library = saved_library
    clock = ManualClock(T0)
    journey(Journey(Runtime(library, clock), clock), **kwargs)
