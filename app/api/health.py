"""Liveness, database reachability and how far behind the timer worker is."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import text

from app import services
from storage import timer_store

bp = APIBlueprint("health", __name__)


@bp.get("/health")
@bp.doc(
    summary="Liveness and database reachability",
    description=(
        "`oldestOverdueTimer` is the longest-overdue pending timer as `{dueAt, lateSeconds}`, or null "
        "when no timer is overdue: a growing `lateSeconds` means no worker is firing timers."
    ),
    security=[],
)
def health() -> tuple[dict[str, Any], int]:
    svc = services()
    overdue: dict[str, Any] | None = None
    try:
        now = svc.clock.now()
        with svc.db.connect() as conn:
            conn.execute(text("SELECT 1"))
            due_at = timer_store.oldest_overdue(conn, now)
        database = "ok"
        if due_at is not None:
            overdue = {
                "dueAt": due_at.isoformat().replace("+00:00", "Z"),
                "lateSeconds": round((now - due_at).total_seconds(), 3),
            }
    except Exception:  # noqa: BLE001 - any failure means unreachable
        database = "unreachable"
    status = 200 if database == "ok" else 503
    body = {
        "status": "ok" if status == 200 else "degraded",
        "database": database,
        "oldestOverdueTimer": overdue,
    }
    return body, status
