"""The ``inburgering`` command, through a real process where its output is the contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from engine.clock import ManualClock
from storage.db import make_engine
from tests.conftest import FIXTURES, ROOT, T0
from tests.timing import patience


def run(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )


def test_org_token_user_and_deploy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "db", "upgrade").returncode == 0
    assert run(url, "org", "add", "GM0344", "--name", "Utrecht", "--kind", "gemeente").returncode == 0
    again = run(url, "org", "add", "GM0344", "--name", "Utrecht", "--kind", "gemeente")
    assert again.returncode == 1 and "exists" in again.stderr
    created = run(url, "token", "create", "--org", "GM0344", "--role", "klantmanager", "--name", "km")
    assert created.returncode == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("dl_") and " " not in token
    wrong = run(url, "token", "create", "--org", "GM0344", "--role", "casemanager", "--name", "x")
    assert wrong.returncode == 1 and "not for a gemeente" in wrong.stderr
    user = run(
        url,
        "user",
        "add",
        "anna",
        "--org",
        "GM0344",
        "--role",
        "klantmanager",
        "--password-stdin",
        stdin="geheim-wachtwoord\n",
    )
    assert user.returncode == 0, user.stderr
    deployed = run(url, "deploy", str(FIXTURES / "aanvraag.bpmn"))
    assert deployed.returncode == 0 and "aanvraag\t1\tdeployed" in deployed.stdout
    assert "aanvraag\t1\tunchanged" in run(url, "deploy", str(FIXTURES / "aanvraag.bpmn")).stdout

    engine = make_engine(url)
    from app import create_app

    app = create_app({"DB_ENGINE": engine, "CLOCK": ManualClock(T0)})
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    engine.dispose()


def test_lint_and_deploy_report_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<nope")
    assert main(["lint", str(FIXTURES / "aanvraag.bpmn")]) == 0
    assert main(["lint", str(bad)]) == 1
    assert "bad.bpmn" in capsys.readouterr().err
    assert main(["lint", str(tmp_path / "missing")]) == 1


def test_demo_seed_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app import build_services
    from app.config import load_config
    from app.demo import seed
    from storage.migrate import upgrade

    services = build_services(
        load_config({"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}), clock=ManualClock(T0)
    )
    upgrade(services.db)
    first = seed(services)
    second = seed(services)
    assert first == second and len(first) == 6
    out = capsys.readouterr().out
    assert "curl" in out and "V9000001" not in out.split("Try:")[0]
    services.db.dispose()
