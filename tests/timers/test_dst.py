"""Dates without a time are days in Europe/Amsterdam: timers computed from them fire at the right UTC
instant on both sides of a daylight-saving change, through engine, storage and worker alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from engine.clock import LOCAL_ZONE, ManualClock
from storage import repository as repo
from storage.service import WorkflowService
from tests.timers.conftest import Sweep

# driegesprek_plannen = ${dateTime(verhuisdatum).minusWeeks(2).toDate()}: midnight, Amsterdam time,
# two weeks before the move. 2027-03-28 and 2027-10-31 are the changes to and from summer time.
CASES = [
    ("2027-04-11", datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),  # 28 March 00:00 CET, before the change
    ("2027-04-12", datetime(2027, 3, 28, 22, 0, tzinfo=UTC)),  # 29 March 00:00 CEST, after it
    ("2027-11-14", datetime(2027, 10, 30, 22, 0, tzinfo=UTC)),  # 31 October 00:00 CEST, before
    ("2027-11-15", datetime(2027, 10, 31, 23, 0, tzinfo=UTC)),  # 1 November 00:00 CET, after
]


@pytest.mark.parametrize(("verhuisdatum", "due"), CASES)
def test_day_timer_fires_at_amsterdam_midnight_in_utc(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, verhuisdatum: str, due: datetime
) -> None:
    clock.set(due - timedelta(days=20))
    rec = service.start(
        "verhuizing",
        business_key=None,
        gemeente="GM0363",
        variables={"verhuisdatum": verhuisdatum},
        actor="s",
    )
    with db.connect() as conn:
        (row,) = repo.timers_for_instance(conn, rec.id)
    assert row.due_at == due and row.due_at.tzinfo is UTC  # stored in UTC, read back aware
    local = due.astimezone(LOCAL_ZONE)
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() == datetime.fromisoformat(verhuisdatum).date() - timedelta(weeks=2)
    assert [(t.element_id, t.due_at) for t in service.runtime.describe(rec.state).timers] == [
        ("driegesprek_plannen", due)
    ]

    clock.set(due - timedelta(microseconds=1))
    assert sweep().claimed == 0
    clock.set(due)
    report = sweep()
    assert (report.fired, report.max_lateness) == (1, timedelta(0))
    with db.connect() as conn:
        assert [t.element_id for t in repo.tasks_for_instance(conn, rec.id)] == ["driegesprek"]
        assert [
            r.data["elementId"]
            for r in repo.outbox_for_instance(conn, rec.id)
            if r.type == "termijn-verstreken"
        ] == ["driegesprek_plannen"]


def test_an_hour_apart_in_utc_a_day_apart_in_amsterdam(
    service: WorkflowService, db: Engine, clock: ManualClock
) -> None:
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    due = {}
    for day in ("2027-04-11", "2027-04-12"):
        rec = service.start(
            "verhuizing", business_key=None, gemeente=None, variables={"verhuisdatum": day}, actor="s"
        )
        with db.connect() as conn:
            due[day] = repo.timers_for_instance(conn, rec.id)[0].due_at
    assert due["2027-04-12"] - due["2027-04-11"] == timedelta(hours=23)  # the short day of spring


def test_duration_timer_across_the_spring_change_keeps_the_wall_clock(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    # P14D started on 20 March 09:00 Amsterdam (CET) is due on 3 April 09:00 CEST, as in Camunda:
    # 14 calendar days, one hour less than 14 x 24 hours. PT1H stays elapsed time.
    start = datetime(2027, 3, 20, 9, 0, tzinfo=LOCAL_ZONE)
    clock.set(start)
    rec = service.start("aanvraag", business_key=None, gemeente=None, actor="s")
    with db.connect() as conn:
        due = {r.element_id: r.due_at for r in repo.timers_for_instance(conn, rec.id)}
    assert due["verlopen"] == datetime(2027, 4, 3, 9, 0, tzinfo=LOCAL_ZONE)
    assert due["verlopen"] == start.astimezone(UTC) + timedelta(days=14, hours=-1)
    assert due["herinnering"] == start.astimezone(UTC) + timedelta(hours=1)
    clock.set(due["verlopen"])
    assert sweep().fired == 2
    assert service.get(rec.id).status == "completed"
