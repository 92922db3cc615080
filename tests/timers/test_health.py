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


def test_health_reports_a_sweep_running_longer_than_its_lease(db: Engine, clock: ManualClock) -> None:
    from app.worker import sweep_timers

    app = create_app({"TESTING": True, "DB_ENGINE": db, "CLOCK": clock, "DATABASE_URL": str(db.url)})
    client = app.test_client()
    seed_timers(db, [T0, T0])
    seen: list[tuple[int, dict]] = []

    def slow_sweep(claimed: object) -> None:
        clock.advance(seconds=30)
        response = client.get("/api/v1/health")
        seen.append((response.status_code, response.get_json()))
        clock.advance(seconds=45)  # now 75 s into a sweep with a 60 s lease
        response = client.get("/api/v1/health")
        seen.append((response.status_code, response.get_json()))

    svc = app.extensions["inburgering"]
    report = sweep_timers(svc, worker_id="w-slow", lease=timedelta(seconds=60), on_claimed=slow_sweep)
    assert report.claimed == 2
    (within, within_body), (over, over_body) = seen
    assert within == 200 and within_body["overrunSweep"] is None and within_body["status"] == "ok"
    assert over == 503 and over_body["status"] == "degraded"
    assert over_body["overrunSweep"] == {
        "claims": 2,
        "claimedUntil": "2027-01-04T09:01:00Z",
        "overSeconds": 15.0,
    }
    # The sweep ended and let go of its claims: healthy again.
    after = client.get("/api/v1/health")
    assert after.status_code == 200 and after.get_json()["overrunSweep"] is None


def test_health_counts_open_incidents(db: Engine, clock: ManualClock) -> None:
    from storage import incidents
    from storage.db import write_connection

    app = create_app({"TESTING": True, "DB_ENGINE": db, "CLOCK": clock, "DATABASE_URL": str(db.url)})
    client = app.test_client()
    assert client.get("/api/v1/health").get_json()["incidents"] == {"open": 0}
    with write_connection(db) as conn, conn.begin():
        incidents.open_incident(conn, kind="delivery", subject_id="d-1", message="dead", now=T0)
    response = client.get("/api/v1/health")
    assert response.status_code == 200  # incidents wait for an operator; the service is alive
    assert response.get_json()["incidents"] == {"open": 1}
