"""One documented table of settings, and ``inburgering config check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import config as config_module
from app.cli import main as cli
from app.config import load_config
from app.config_check import ERROR, check_config
from app.settings import SETTINGS, markdown_table
from app.worker_metrics import parse_listen
from tests.conftest import ROOT

PRODUCTION = {
    "DATABASE_URL": "postgresql+psycopg://inburgering:geheim@db.example.nl/inburgering",
    "INBURGERING_SECRET_KEY": "k" * 48,
    "TVS_WEBHOOK_SECRET": "whsec_" + "a" * 40,
    "INBURGERING_PUBLIC_BASE_URL": "https://inburgering.example.nl",
    "INBURGERING_LOG_FORMAT": "json",
    "INBURGERING_NODES": "3",
}


def test_the_readme_holds_the_settings_table() -> None:
    assert markdown_table() in (ROOT / "README.md").read_text()


def test_every_environment_variable_the_config_reads_is_in_the_table() -> None:
    documented = {s.env for s in SETTINGS}
    read = {env for env, _convert in config_module._ENV.values()}
    assert read <= documented, read - documented
    # settings read through the INBURGERING_* pass-through
    for key in (
        "TIMER_BATCH",
        "TIMER_LEASE_SECONDS",
        "TIMER_THREADS",
        "STEP_MAX_SECONDS",
        "EVENT_SOURCE",
        "NODES",
    ):
        assert f"INBURGERING_{key}" in documented


def _errors(environ: dict[str, str]) -> list[str]:
    return [f.line() for f in check_config(load_config(environ=environ), database=False) if f.level == ERROR]


def test_a_production_configuration_has_no_errors() -> None:
    assert _errors(PRODUCTION) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"INBURGERING_SECRET_KEY": ""}, "error: INBURGERING_SECRET_KEY: not set"),
        ({"INBURGERING_SECRET_KEY": "kort"}, "error: INBURGERING_SECRET_KEY: shorter than 32"),
        ({"DATABASE_URL": "sqlite:///var/inburgering.db"}, "error: DATABASE_URL: SQLite with 3 nodes"),
        (
            {"INBURGERING_WEBHOOKS_ALLOW_INSECURE": "1"},
            "error: INBURGERING_WEBHOOKS_ALLOW_INSECURE: allows http",
        ),
        ({"TVS_WEBHOOK_SECRET": "geheim"}, "error: TVS_WEBHOOK_SECRET: is not a Standard Webhooks secret"),
        (
            {"INBURGERING_STEP_MAX_SECONDS": "0"},
            "error: INBURGERING_STEP_MAX_*: STEP_MAX_SECONDS must be positive",
        ),
        ({"INBURGERING_NODES": "veel"}, "error: INBURGERING_NODES: must be a whole number"),
        (
            {"INBURGERING_WORKER_METRICS_LISTEN": "overal:negen"},
            "error: INBURGERING_WORKER_METRICS_LISTEN: 'overal:negen' is not [HOST:]PORT",
        ),
    ],
)
def test_what_is_missing_or_unsafe_is_an_error(change: dict[str, str], expected: str) -> None:
    errors = _errors({**PRODUCTION, **change})
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_sqlite_on_one_node_and_plain_http_are_warnings() -> None:
    environ = {**PRODUCTION, "DATABASE_URL": "sqlite:///x.db", "INBURGERING_NODES": "1"}
    environ["INBURGERING_PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    findings = check_config(load_config(environ=environ), database=False)
    assert [f.level for f in findings] == ["warning", "warning"]
    assert {f.setting for f in findings} == {"DATABASE_URL", "INBURGERING_PUBLIC_BASE_URL"}


def test_config_check_command_says_to_upgrade_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for name in (
        "INBURGERING_WEBHOOKS_ALLOW_INSECURE",
        "INBURGERING_SECRET_KEY_PREVIOUS",
        "INBURGERING_NODES",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "INBURGERING_NODES": "1",
    }.items():
        monkeypatch.setenv(name, value)
    assert cli(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert "error: DATABASE_URL: the schema is at nothing" in out and "inburgering db upgrade" in out
    assert cli(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert cli(["config", "check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 error(s), 1 warning(s)"
    monkeypatch.delenv("INBURGERING_SECRET_KEY")
    assert cli(["config", "check", "--no-database"]) == 1
    assert "error: INBURGERING_SECRET_KEY: not set" in capsys.readouterr().out


def test_a_worker_metrics_listener_beyond_this_machine_is_a_warning() -> None:
    def about_it(listen: str) -> list[str]:
        environ = {**PRODUCTION, "INBURGERING_WORKER_METRICS_LISTEN": listen}
        findings = check_config(load_config(environ=environ), database=False)
        return [f.line() for f in findings if f.setting == "INBURGERING_WORKER_METRICS_LISTEN"]

    assert about_it("9464") == [] and about_it("127.0.0.1:9464") == []
    (line,) = about_it("0.0.0.0:9464")
    assert line.startswith("warning: INBURGERING_WORKER_METRICS_LISTEN: plain http on 0.0.0.0")


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("9464", "127.0.0.1", 9464), (" 0.0.0.0:9464 ", "0.0.0.0", 9464), ("[::]:0", "::", 0)],
)
def test_worker_metrics_addresses(text: str, host: str, port: int) -> None:
    address = parse_listen(text)
    assert (address.host, address.port) == (host, port)


@pytest.mark.parametrize("bad", ["", ":9464", "host:", "1.2.3.4:65536", "[::1]9464", "x:-1"])
def test_a_worker_metrics_address_that_is_not_one_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="WORKER_METRICS_LISTEN"):
        parse_listen(bad)
