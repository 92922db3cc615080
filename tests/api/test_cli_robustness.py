"""The ``inburgering`` command against a busy database, and its failures: one line, never a traceback."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.cli import main
from storage.db import make_engine, write_connection
from storage.migrate import upgrade
from storage.schema import api_tokens
from tests.api.test_cli import run

RUNS = 40


def test_token_create_waits_for_a_busy_writer_instead_of_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    assert main(["org", "add", "GM0344", "--name", "Utrecht", "--kind", "gemeente"]) == 0
    stop = threading.Event()
    writes = 0

    def busy_writer() -> None:
        # Short write transactions back to back, as the timer worker's claims are.
        nonlocal writes
        writer = make_engine(url)
        while not stop.is_set():
            with write_connection(writer) as conn, conn.begin():
                conn.execute(text("UPDATE organisations SET name = name WHERE code = 'GM0344'"))
            writes += 1
        writer.dispose()

    thread = threading.Thread(target=busy_writer)
    thread.start()
    try:
        codes = [
            main(["token", "create", "--org", "GM0344", "--role", "klantmanager", "--name", f"km{i}"])
            for i in range(RUNS)
        ]
    finally:
        stop.set()
        thread.join()
    err = capsys.readouterr().err
    assert codes == [0] * RUNS, err
    assert "locked" not in err
    assert writes > RUNS
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(api_tokens)).scalar_one() == RUNS
    engine.dispose()


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({}, ["token", "create", "--org", "GM9999", "--role", "klantmanager", "--name", "x"], "GM9999"),
        (
            {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            ["db", "upgrade"],
            "database error",
        ),
        (
            {"DATABASE_URL": "nonsense://"},
            ["org", "add", "GM1", "--name", "x", "--kind", "gemeente"],
            "database",
        ),
        ({"INBURGERING_TIMER_POLL_SECONDS": "often"}, ["db", "upgrade"], "often"),
        (
            {"DATABASE_URL": "sqlite:///{tmp}/empty.db"},
            ["org", "add", "GM1", "--name", "x", "--kind", "gemeente"],
            "inburgering db upgrade",
        ),
    ],
    ids=["unknown-org", "unreachable-db", "bad-url", "bad-setting", "not-migrated"],
)
def test_a_failing_command_says_why_in_one_line_and_exits_non_zero(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    says: str,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("inburgering: ") and says in line, line


def test_the_real_command_ends_without_a_traceback(tmp_path: Path) -> None:
    result = run(
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "token",
        "create",
        "--org",
        "X",
        "--role",
        "beheerder",
        "--name",
        "x",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
