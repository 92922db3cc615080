"""Finished instances leave after their process's historyTimeToLive (P30D in the fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from engine.clock import ManualClock
from storage.retention import ttl_days
from storage.schema import audit_entries, process_instances
from storage.service import WorkflowService
from tests.conftest import FIXTURES


def test_ttl_notations() -> None:
    assert (
        ttl_days("P180D") == 180 and ttl_days("P2W") == 14 and ttl_days("30") == 30 and ttl_days(None) is None
    )
    with pytest.raises(ValueError):
        ttl_days("P1M")


def test_finished_instances_are_purged_after_their_ttl(db: Engine, clock: ManualClock) -> None:
    service = WorkflowService(db, clock)
    service.deploy("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes(), actor="t")
    done = service.start("aanvraag", business_key="V1", gemeente="GM0344", actor="t")
    service.terminate(done.id, actor="t")
    active = service.start("aanvraag", business_key="V2", gemeente="GM0344", actor="t")
    clock.advance(days=29)
    assert service.purge_history() == 0
    clock.advance(days=2)
    assert service.purge_history() == 1
    with db.connect() as conn:
        ids = set(conn.execute(select(process_instances.c.id)).scalars())
        audit_left = conn.execute(
            select(func.count()).select_from(audit_entries).where(audit_entries.c.instance_id == done.id)
        ).scalar_one()
    assert ids == {active.id} and audit_left == 0
    clock.advance(timedelta(days=365))
    assert service.purge_history() == 0  # an active instance is never purged
