"""Liveness, database reachability, how far behind the timer worker is, and what waits for an operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import text

from app import services
from storage import incidents, timer_store

bp = APIBlueprint("health", __name__)


def _utc(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@bp.get("/health")
@bp.doc(
    summary="Liveness and database reachability",
    description=(
        "`oldestOverdueTimer` is the longest-overdue pending timer as `{dueAt, lateSeconds}`, or null "
        "when no timer is overdue: a growing `lateSeconds` means no worker is firing timers. "
        "`overrunSweep` is `{claims, claimedUntil, overSeconds}` when a timer sweep still holds claims "
        "past the end of its lease (it runs longer than its lease, or its worker died): the answer is "
        "then 503 `degraded`. `incidents.open` counts the incidents waiting for a beheerder "
        "(`GET /api/v1/incidents`); they do not make the service unhealthy."
    ),
    security=[],
)
def health() -> tuple[dict[str, Any], int]:
    svc = services()
    overdue: dict[str, Any] | None = None
    overrun: dict[str, Any] | None = None
    open_incidents: int | None = None
    try:
        now = svc.clock.now()
        with svc.db.connect() as conn:
            conn.execute(text("SELECT 1"))
            due_at = timer_store.oldest_overdue(conn, now)
            claims, claimed_until = timer_store.overrun_claims(conn, now)
            open_incidents = incidents.count_open(conn)
        database = "ok"
        if due_at is not None:
            overdue = {"dueAt": _utc(due_at), "lateSeconds": round((now - due_at).total_seconds(), 3)}
        if claims and claimed_until is not None:
            overrun = {
                "claims": claims,
                "claimedUntil": _utc(claimed_until),
                "overSeconds": round((now - claimed_until).total_seconds(), 3),
            }
    except Exception:  # noqa: BLE001 - any failure means unreachable
        database = "unreachable"
    status = 200 if database == "ok" and overrun is None else 503
    body = {
        "status": "ok" if status == 200 else "degraded",
        "database": database,
        "oldestOverdueTimer": overdue,
        "overrunSweep": overrun,
        "incidents": {"open": open_incidents},
    }
    return body, status
