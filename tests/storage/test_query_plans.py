"""The worklist and timer reads are answered from indexes, on SQLite and on PostgreSQL.

The real functions run (the API's task list, the werklijst, the timer worker's claim and next-due
reads, the health check's overdue and overrun reads, GET /timers) against a few thousand rows; every
statement they send is captured and explained on the same connection:

* SQLite (``EXPLAIN QUERY PLAN``): every step on ``user_tasks`` or ``timers`` uses an index (no
  ``SCAN`` of the table), no temporary b-tree sorts a page, and counts and timer reads name a
  ``COVERING INDEX`` (no table look-up at all);
* PostgreSQL (``EXPLAIN`` after ``VACUUM ANALYZE``, with sequential and bitmap scans switched off so
  that the plan shows whether an index can answer): no ``Seq Scan``, an ``Index Scan`` or ``Index
  Only Scan`` on every statement, no ``Sort`` for a page, and ``Index Only Scan`` for the counts
  and timer reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert

from storage import listing, timer_store, worklist
from storage.db import write_connection
from storage.schema import process_instances, timers, user_tasks

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GEMEENTEN = ("GM0344", "GM0363", "GM0518", "GM0599")
INSTANCES = 400
TASKS_PER_INSTANCE = 6  # 2,400 open tasks over 4 gemeenten and 2 lanes
BOUNDARIES = [("doorlopende_lijn", "scenario_kiezen", "termijn_scenariokeuze")]


@dataclass
class Plan:
    dialect: str
    sql: str
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def on_tables(self) -> list[str]:
        return [line for line in self.lines if re.search(r"\b(user_tasks|timers)\b", line)]


def _seed(db: Engine) -> None:
    instances, tasks, timer_rows = [], [], []
    for n in range(INSTANCES):
        iid = f"i-{n:05d}"
        gemeente = GEMEENTEN[n % len(GEMEENTEN)]
        created = NOW - timedelta(days=60) + timedelta(minutes=n)
        instances.append(
            {
                "id": iid,
                "process_key": "doorlopende_lijn",
                "version": 1,
                "business_key": f"V{n:09d}",
                "gemeente": gemeente,
                "status": "active",
                "revision": 1,
                "state": {},
                "variables": {},
                "active_elements": [],
                "created_at": created,
                "updated_at": created,
            }
        )
        for k in range(TASKS_PER_INSTANCE):
            lane = "Gemeente" if k % 2 == 0 else "COA"
            tasks.append(
                {
                    "id": f"t-{n:05d}-{k}",
                    "instance_id": iid,
                    "element_id": ("scenario_kiezen", "aanbod_programma", "brede_intake")[k % 3],
                    "name": "Taak",
                    "lane": lane,
                    "lane_key": lane.lower(),
                    "candidate_groups": [lane.lower()],
                    "gemeente": gemeente,
                    "process_key": "doorlopende_lijn",
                    "created_at": created + timedelta(seconds=k),
                    # Four in five tasks have a deadline; many share one (terms fall at midnight).
                    "deadline_at": None if k == 5 or n % 5 == 0 else NOW + timedelta(days=(n + k) % 20),
                }
            )
        for k, element in enumerate(("termijn_scenariokeuze", "termijn_huisvesting")):
            leased = n % 7 == 0
            timer_rows.append(
                {
                    "id": f"tm-{n:05d}-{k}",
                    "instance_id": iid,
                    "element_id": element,
                    "due_at": NOW + timedelta(days=(n % 40) - 10, hours=k),
                    "gemeente": gemeente,
                    "claimed_by": "worker-1" if leased else None,
                    "claimed_until": NOW + timedelta(seconds=(n % 3 - 1) * 60) if leased else None,
                }
            )
    with write_connection(db) as conn, conn.begin():
        conn.execute(insert(process_instances), instances)
        conn.execute(insert(user_tasks), tasks)
        conn.execute(insert(timers), timer_rows)
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE user_tasks")
            conn.exec_driver_sql("VACUUM ANALYZE timers")
    else:
        with db.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


@pytest.fixture
def seeded(db: Engine) -> Iterator[Engine]:
    _seed(db)
    yield db


def _explain(conn: Connection, sql: str, params: Any) -> list[str]:
    if conn.dialect.name == "sqlite":
        return [str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    return [str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + sql, params)]


def plans_of(db: Engine, call: Callable[[Connection], Any], *, write: bool = False) -> list[Plan]:
    """Run ``call`` and explain each statement it sent (in its transaction, rolled back after)."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE")):
            captured.append((statement, parameters))

    connect = (lambda: write_connection(db)) if write else db.connect
    with connect() as conn:
        trans = conn.begin()
        event.listen(conn, "before_cursor_execute", capture)
        try:
            call(conn)
        finally:
            event.remove(conn, "before_cursor_execute", capture)
        if db.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        out = [Plan(db.dialect.name, sql, _explain(conn, sql, params)) for sql, params in captured]
        trans.rollback()
    assert out, "the call sent no statement"
    return out


def assert_indexed(plan: Plan) -> None:
    """An index answers: no table scan, no sort of the rows."""
    where = f"{plan.sql}\n{plan.text}"
    if plan.dialect == "sqlite":
        assert plan.on_tables() and all("USING" in line for line in plan.on_tables()), where
        assert "TEMP B-TREE" not in plan.text, where
    else:
        assert "Seq Scan" not in plan.text, where
        assert re.search(r"Index (Only )?Scan", plan.text), where
        assert not re.search(r"(^|->\s+)Sort\s+\(", plan.text, re.M), where


def assert_covering(plan: Plan) -> None:
    """No table look-up: SQLite's COVERING INDEX, PostgreSQL's Index Only Scan."""
    assert_indexed(plan)
    where = f"{plan.sql}\n{plan.text}"
    if plan.dialect == "sqlite":
        assert all("COVERING INDEX" in line for line in plan.on_tables()), where
    else:
        assert "Index Only Scan" in plan.text and "Index Scan using" not in plan.text, where


def _counts_covering_pages_indexed(plans: list[Plan]) -> None:
    for plan in plans:
        if plan.sql.lstrip().upper().startswith("SELECT COUNT("):
            assert_covering(plan)
        else:
            assert_indexed(plan)


def test_api_task_lists_use_indexes(seeded: Engine) -> None:
    klantmanager = plans_of(seeded, lambda c: listing.list_tasks(c, scope="GM0344", lane="gemeente"))
    casemanager = plans_of(seeded, lambda c: listing.list_tasks(c, scope=None, lane="coa", offset=100))
    assert len(klantmanager) == 2 and len(casemanager) == 2  # count and page
    _counts_covering_pages_indexed(klantmanager + casemanager)


def test_werklijst_pages_are_read_in_index_order(seeded: Engine) -> None:
    # 300 tasks per gemeente and lane, 240 of them with a deadline: offset 220 reads both parts.
    calls: list[Callable[[Connection], Any]] = [
        lambda c: worklist.list_worklist(
            c,
            scope="GM0344",
            lane="gemeente",
            boundaries=BOUNDARIES,
            filters=worklist.WorklistFilter(),
            offset=220,
        ),
        lambda c: worklist.list_worklist(
            c, scope=None, lane="coa", boundaries=[], filters=worklist.WorklistFilter(), offset=40
        ),
        lambda c: worklist.list_worklist(
            c,
            scope=None,
            lane="coa",
            boundaries=[],
            filters=worklist.WorklistFilter(gemeente="GM0363", deadline_before=NOW + timedelta(days=7)),
        ),
        lambda c: worklist.list_worklist(
            c,
            scope="GM0344",
            lane="gemeente",
            boundaries=BOUNDARIES,
            filters=worklist.WorklistFilter(element_id="scenario_kiezen"),
        ),
    ]
    first = plans_of(seeded, calls[0])
    pages = [p for p in first if "ORDER BY" in p.sql.upper()]
    assert len(pages) == 2, [p.sql for p in first]  # the tasks with a deadline, then those without
    for call in calls:
        _counts_covering_pages_indexed(plans_of(seeded, call))


def test_timer_reads_are_index_only(seeded: Engine) -> None:
    reads = plans_of(
        seeded,
        lambda c: (
            timer_store.next_due_at(c, NOW),
            timer_store.oldest_overdue(c, NOW),
            timer_store.overrun_claims(c, NOW),
        ),
    )
    assert len(reads) == 3
    for plan in reads:
        assert_covering(plan)
    listed = plans_of(
        seeded, lambda c: listing.list_timers(c, scope="GM0344", due_before=NOW + timedelta(days=5))
    )
    _counts_covering_pages_indexed(listed)


def test_the_claim_of_due_timers_uses_the_due_index(seeded: Engine) -> None:
    claims = plans_of(
        seeded,
        lambda c: timer_store.claim_due_timers(c, NOW, "worker-2", NOW + timedelta(minutes=1), 50),
        write=True,
    )
    assert len(claims) == 1
    (claim,) = claims
    assert_indexed(claim)
    if claim.dialect == "sqlite":
        # The candidates come from the covering index; the rows are then updated by primary key.
        assert any("COVERING INDEX ix_timers_due_claim" in line for line in claim.lines), claim.text
    else:  # FOR UPDATE locks rows, so the heap is read; the index still finds them in due order
        assert "ix_timers_due_claim" in claim.text, claim.text
