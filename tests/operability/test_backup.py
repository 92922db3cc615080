"""Backup while a case runs, restore into a new database, and finish the case there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.cli import main as cli
from engine.clock import ManualClock
from storage.backup import BackupError, backup_database, restore_database
from storage.schema import audit_entries, process_instances, timers
from storage.service import WorkflowService
from storage.webhook_schema import deliveries
from tests.operability.case_driver import Case, deploy_shipped
from tests.operability.conftest import FreshDatabase, current_schema
from tests.webhooks.conftest import GM_A, V_A, Parties, Receiver, make_app
from tests.webhooks.test_delivery import CONFIG, subscribe
from webhooks.dispatch import deliver_pending


def _timers(db: Engine) -> list[tuple[str, str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(select(timers.c.id, timers.c.element_id, timers.c.due_at).order_by(timers.c.id))
        return [tuple(r) for r in rows]


def _deliveries(db: Engine) -> list[tuple[str, str]]:
    with db.connect() as conn:
        rows = conn.execute(select(deliveries.c.event_id, deliveries.c.status).order_by(deliveries.c.seq))
        return [tuple(r) for r in rows]


def test_a_backup_taken_mid_case_restores_and_the_case_runs_to_its_end(
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_database: FreshDatabase,
) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    subscribe(make_app(db, clock, monkeypatch).test_client(), parties, "km_a", receiver)
    case = Case.start(service, clock, V_A, GM_A)
    case.complete("scenario_kiezen")
    deliver_pending(db, clock, CONFIG, worker_id="before", limit=2)  # some delivered, some pending
    case.step()  # and events not yet fanned out
    delivered_before = [a.webhook_id for a in receiver.accepted()]
    assert len(delivered_before) == 2
    timers_at_backup = _timers(db)
    deliveries_at_backup = _deliveries(db)
    assert timers_at_backup and any(status == "pending" for _, status in deliveries_at_backup)

    backup = tmp_path / "backup" / "inburgering.bak"
    result = backup_database(db, backup, schema=current_schema(db))
    assert result.size > 0 and backup.is_file()
    case.step()  # the original goes on; the backup keeps the moment it was taken

    restored = fresh_database(db)
    restore_database(restored, backup)
    assert _timers(restored) == timers_at_backup
    assert _deliveries(restored) == deliveries_at_backup

    again = WorkflowService(restored, clock)  # a new node: definitions come from the database
    while deliver_pending(restored, clock, CONFIG, worker_id="after"):
        pass
    Case(again, clock, case.id).finish()
    while deliver_pending(restored, clock, CONFIG, worker_id="after"):
        pass

    with restored.connect() as conn:
        status = conn.execute(
            select(process_instances.c.status).where(process_instances.c.id == case.id)
        ).scalar()
        fired = set(
            conn.execute(
                select(audit_entries.c.element_id).where(
                    audit_entries.c.instance_id == case.id, audit_entries.c.action == "timer-fired"
                )
            ).scalars()
        )
    assert status == "completed"
    assert _timers(restored) == []
    assert fired & {element for _, element, _ in timers_at_backup}  # timers of the backup fired
    # every event of the case reached the receiver once, in order, across the restore
    final = _deliveries(restored)
    assert {status for _, status in final} == {"delivered"}
    assert receiver.failures == []
    assert [a.webhook_id for a in receiver.accepted()] == [event_id for event_id, _ in final]


def test_restore_refuses_a_database_that_is_not_empty(db: Engine, tmp_path: Path) -> None:
    backup = tmp_path / "b.bak"
    backup_database(db, backup, schema=current_schema(db))
    with pytest.raises(BackupError, match="not empty"):
        restore_database(db, backup)


def test_backup_and_restore_commands_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    source = tmp_path / "live.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{source}")
    assert cli(["db", "upgrade"]) == 0
    assert cli(["org", "add", "GM0344", "--name", "Utrecht", "--kind", "gemeente"]) == 0
    assert cli(["backup", str(tmp_path / "copy.bak")]) == 0
    assert "sqlite-backup-api" in capsys.readouterr().out

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
    assert cli(["restore", str(tmp_path / "copy.bak")]) == 0
    assert cli(["restore", str(tmp_path / "copy.bak")]) == 1  # not empty any more
    assert "not empty" in capsys.readouterr().err
    assert cli(["org", "add", "GM0344", "--name", "Utrecht", "--kind", "gemeente"]) == 1  # it is there


def test_backup_without_pg_dump_says_what_to_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from storage.db import make_engine

    monkeypatch.setenv("PATH", str(tmp_path))
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(BackupError, match="pg_dump --format=custom"):
        backup_database(engine, tmp_path / "x.bak")
