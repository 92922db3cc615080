"""Seeding many timers fast, and counting how often each one fired.

Starting thousands of instances through the service costs a full engine step each; here the engine
runs once and the stored state is copied with fresh task ids and the wanted due time, then written
with bulk inserts. The copies are indistinguishable from instances the service started.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text

from engine.clock import ManualClock
from storage.db import write_connection
from storage.schema import audit_entries, outbox_events, process_instances, timers
from storage.service import WorkflowService

HERE = Path(__file__).resolve().parent
TIMER_FIXTURES = HERE / "fixtures"
TERMIJN = TIMER_FIXTURES / "termijn.bpmn"
TERMIJN_ELEMENT = "termijn_verstreken"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def seed_timers(db: Engine, due_times: Sequence[datetime], *, gemeente: str = "GM0363") -> list[str]:
    """Store one instance of the one-timer ``termijn`` process per due time; return the instance ids."""
    clock = ManualClock(min(due_times))
    service = WorkflowService(db, clock)
    service.deploy("termijn.bpmn", TERMIJN.read_bytes(), actor="seed")
    template = service.runtime.start("termijn", variables={"gemeente": gemeente})
    (timer,) = template.timers
    blob = json.dumps(template.state)
    event_value = f'"event_value": "{timer.due_at.isoformat()}"'
    assert event_value in blob, "the timer's due time is not where the seeder expects it"
    instances: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    for due in due_times:
        fresh: dict[str, str] = {}
        copy = _UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), blob)
        copy = copy.replace(event_value, f'"event_value": "{due.isoformat()}"')
        instance_id = str(uuid.uuid4())
        instances.append(
            {
                "id": instance_id,
                "process_key": template.process_key,
                "version": template.version,
                "business_key": None,
                "gemeente": gemeente,
                "scenario": None,
                "status": "active",
                "revision": 1,
                "state": json.loads(copy),
                "variables": template.variables,
                "active_elements": list(template.active_elements),
                "created_at": clock.now(),
                "updated_at": clock.now(),
                "ended_at": None,
            }
        )
        rows.append(
            {
                "id": fresh[timer.id],
                "instance_id": instance_id,
                "element_id": timer.element_id,
                "due_at": due,
                "gemeente": gemeente,
                "attempts": 0,
            }
        )
    with write_connection(db) as conn, conn.begin():
        for start in range(0, len(instances), 1000):
            conn.execute(insert(process_instances), instances[start : start + 1000])
            conn.execute(insert(timers), rows[start : start + 1000])
    return [str(i["id"]) for i in instances]


def fired_counts(db: Engine) -> tuple[Counter[str], Counter[str]]:
    """Per instance: how many ``termijn-verstreken`` outbox events and ``timer-fired`` audit rows."""
    with db.connect() as conn:
        events = Counter(
            {
                r[0]: r[1]
                for r in conn.execute(
                    select(outbox_events.c.instance_id, func.count())
                    .where(outbox_events.c.type == "termijn-verstreken")
                    .group_by(outbox_events.c.instance_id)
                )
            }
        )
        audits = Counter(
            {
                r[0]: r[1]
                for r in conn.execute(
                    select(audit_entries.c.instance_id, func.count())
                    .where(audit_entries.c.action == "timer-fired")
                    .group_by(audit_entries.c.instance_id)
                )
            }
        )
    return events, audits


def pending_count(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(timers)).scalar_one())


def postgres_schema(db: Engine) -> str | None:
    """The schema a PostgreSQL test engine works in (None on SQLite)."""
    if db.dialect.name != "postgresql":
        return None
    with db.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())
