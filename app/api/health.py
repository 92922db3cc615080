"""Liveness and database reachability."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import text

from app import services

bp = APIBlueprint("health", __name__)


@bp.get("/health")
@bp.doc(summary="Liveness and database reachability", security=[])
def health() -> tuple[dict[str, Any], int]:
    svc = services()
    try:
        with svc.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means unreachable
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return {"status": "ok" if status == 200 else "degraded", "database": database}, status
