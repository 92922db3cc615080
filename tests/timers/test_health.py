"""/api/v1/health reports the oldest overdue timer, so operators see a stalled worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from app import create_app
from engine.clock import ManualClock
from tests.conftest import T0
from tests.timers.seeding import seed_timers


def test_health_reports_the_oldest_overdue_timer(db: Engine, clock: ManualClock) -> None:
    app = create_app({"TESTING": True, "DB_ENGINE": db, "CLOCK": clock, "DATABASE_URL": str(db.url)})
    client = app.test_client()
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok" and body["oldestOverdueTimer"] is None

    seed_timers(db, [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)])
    assert client.get("/api/v1/health").get_json()["oldestOverdueTimer"] is None  # due, not overdue
    clock.advance(minutes=3, seconds=0.5)
    body = client.get("/api/v1/health").get_json()
    assert body["oldestOverdueTimer"] == {"dueAt": "2027-01-04T09:01:00Z", "lateSeconds": 120.5}
