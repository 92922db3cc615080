"""The year of the country, small: 50 status holders through the shipped diagrams, end to end.

``bench/year_bench.py`` at a size that runs in the test suite, on SQLite and PostgreSQL. Behaviour
only, never time: every instance ends, and the audit trail holds the task completions, messages and
timer firings the diagrams call for (scenario 3 by the termijn, the programme's start timer in
scenarios 2 and 3, the woning escalation only when the woning comes after 12 weeks, the
driegesprek timer only where the driegesprek is still to come). One journey in ten runs through
real HTTP, its place in each block of ten moving on so that every scenario and gemeente meets HTTP.

The year on two stepper processes (each the journeys of half the gemeenten, on its own clock,
sweeping its own gemeenten's timers) leaves the same audit trail, instance by instance and to the
microsecond, as the year in one process: every timer fires at the same poll.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bench.year_bench import GEMEENTEN, Year, _run_steppers, koppel_moment, plan_for, preload
from storage.db import make_engine
from storage.migrate import upgrade
from storage.schema import audit_entries, process_instances, task_forms, timers, user_tasks

N = 50  # journeys 0-49: scenarios 1/2/3 for 10/15/25 of them; journeys 40-49 find their woning late


def test_plans_follow_the_mix_and_the_terms() -> None:
    plans = [plan_for(i, koppel_moment(i, N)[0]) for i in range(N)]
    assert Counter(p.scenario for p in plans) == {1: 10, 2: 15, 3: 25}
    assert sum(p.late_woning for p in plans) == 10
    # Scenario 3 is never chosen by hand: the termijn chooses it.
    assert all(
        ("termijn_scenariokeuze" in p.timers) == (p.scenario == 3)
        and any(a.target == "scenario_kiezen" for a in p.actions) == (p.scenario != 3)
        for p in plans
    )
    koppeldata = [koppel_moment(i, 40_000)[0] for i in (0, 39_999)]
    assert (koppeldata[1] - koppeldata[0]).days == 364  # a year of koppelingen


def test_fifty_status_holders_reach_their_end_as_the_diagrams_say(db: Engine) -> None:
    year = Year(db, N, http_every=10)
    try:
        year.run()
    finally:
        year.close()
    check = year.check()
    assert check["allEnded"], check["statuses"]
    assert check["openTasksLeft"] == 0 and check["pendingTimersLeft"] == 0
    assert check["actual"] == check["expected"]

    with db.connect() as conn:
        scenarios = dict(
            conn.execute(
                select(process_instances.c.scenario, func.count())
                .where(process_instances.c.process_key == "doorlopende_lijn")
                .group_by(process_instances.c.scenario)
            ).all()
        )
        fired = dict(
            conn.execute(
                select(audit_entries.c.element_id, func.count())
                .where(audit_entries.c.action == "timer-fired")
                .group_by(audit_entries.c.element_id)
            ).all()
        )
        completed = dict(
            conn.execute(
                select(audit_entries.c.element_id, func.count())
                .where(audit_entries.c.action == "task-completed")
                .group_by(audit_entries.c.element_id)
            ).all()
        )
        assert conn.execute(select(func.count()).select_from(user_tasks)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(timers)).scalar_one() == 0
    assert scenarios == {"1": 10, "2": 15, "3": 25}
    assert fired == {
        "termijn_scenariokeuze": 25,  # every scenario 3
        "start_voorinburgering": 40,  # scenarios 2 and 3
        "termijn_huisvesting": 10,  # the woning after 12 weeks
        "driegesprek_plannen": 40,  # scenarios 2 (driegesprek before the move) and 3
    }
    assert completed["scenario_kiezen"] == 25
    assert completed["huisvesting_escaleren"] == 10
    for element in ("driegesprek", "brede_intake", "pip_opstellen", "reguliere_inburgering_starten"):
        assert completed[element] == N, element
    assert completed["overdracht_plannen"] == completed["overdracht_plannen_coa"] == 40
    assert check["actual"]["message huisvesting_gevonden"] == check["actual"]["message verhuisd"] == N
    # Journeys 0, 11, 22, 33 and 44 went through HTTP, every step of them.
    assert len(year.samples.by_kind["http:start"]) == 5
    assert len(year.samples.by_kind["http:message"]) == 10
    assert len(year.samples.by_kind["start"]) == N - 5


def test_http_journeys_meet_every_gemeente_and_scenario() -> None:
    year = Year.__new__(Year)  # only the choice of journeys, no database
    year.http_every = 100
    chosen = [i for i in range(800) if year._via_http(i)]
    assert len(chosen) == 8
    assert {i % len(GEMEENTEN) for i in chosen} == set(range(len(GEMEENTEN)))
    assert {plan_for(i, koppel_moment(i, 800)[0]).scenario for i in chosen} == {1, 2, 3}


def _trail(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Each journey's audit trail: (when, action, element, actor), in the order written."""
    trail: dict[str, list[tuple[Any, ...]]] = {}
    with db.connect() as conn:
        rows = conn.execute(
            select(
                process_instances.c.business_key,
                audit_entries.c.at,
                audit_entries.c.action,
                audit_entries.c.element_id,
                audit_entries.c.actor,
            )
            .join(process_instances, process_instances.c.id == audit_entries.c.instance_id)
            .order_by(audit_entries.c.id)
        )
        for key, *entry in rows:
            trail.setdefault(key, []).append(tuple(entry))
    return trail


def test_two_steppers_each_owning_half_the_gemeenten_leave_the_trail_of_one_process(
    db: Engine, tmp_path: Path
) -> None:
    one = make_engine(f"sqlite:///{tmp_path / 'one-process.db'}")
    upgrade(one)
    alone = Year(one, N, http_every=10)
    try:
        alone.run()
    finally:
        alone.close()

    year = Year(db, N, http_every=0)  # deploys and seeds; the steppers step
    _wall, extra = _run_steppers(year, db, db.dialect.name, 10, False, 2, floor=1.0)
    check = year.check()
    assert check["allEnded"], check["statuses"]
    assert check["openTasksLeft"] == 0 and check["pendingTimersLeft"] == 0
    assert check["actual"] == check["expected"] == alone.check()["expected"]
    shares = [set(s["gemeenten"]) for s in extra["per_stepper"]]
    assert shares[0].isdisjoint(shares[1]) and shares[0] | shares[1] == set(GEMEENTEN)
    assert sum(s["steps"] for s in extra["per_stepper"]) == sum(
        len(v) for k, v in alone.samples.by_kind.items() if not k.startswith("http:worklist")
    )
    # The same worklist reads, shared out by the gemeente of the day.
    assert {k: len(v) for k, v in year.samples.by_kind.items() if k.startswith("http:worklist")} == {
        k: len(v) for k, v in alone.samples.by_kind.items() if k.startswith("http:worklist")
    }

    expected, actual = _trail(one), _trail(db)
    one.dispose()
    assert actual.keys() == expected.keys() and len(actual) == N
    for key in expected:
        assert actual[key] == expected[key], key
    fired = [e for trail in actual.values() for e in trail if e[1] == "timer-fired"]
    assert len(fired) == 115 and all(e[0].minute == e[0].second == e[0].microsecond == 0 for e in fired)


@pytest.mark.parametrize("parts", [0, 9])
def test_a_year_has_one_to_eight_parts(sqlite_db: Engine, parts: int) -> None:
    with pytest.raises(ValueError, match="one per gemeente"):
        Year(sqlite_db, N, http_every=0, part=0, parts=parts)


def test_the_stored_instances_of_an_earlier_year_are_copied_with_their_forms(
    db: Engine, tmp_path: Path
) -> None:
    preload(db, 50, tmp_path)  # 40 instances of a year stopped at day 300, then 10 copies again
    with db.connect() as conn:
        keys = conn.execute(select(process_instances.c.business_key)).scalars().all()
        open_tasks = conn.execute(select(func.count()).select_from(user_tasks)).scalar_one()
        forms = conn.execute(select(func.count()).select_from(task_forms)).scalar_one()
        soonest = conn.execute(select(func.min(timers.c.due_at))).scalar_one()
    assert len(keys) == len(set(keys)) == 50 and all(k.startswith("P") for k in keys)
    assert open_tasks > 0 and forms > 0  # the tasks under way, and the forms they point to
    assert soonest is None or soonest.year > 2050  # timers decades ahead: the year never fires them
