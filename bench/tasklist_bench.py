"""The werklijst page at 10,000 open tasks: the rendered page, as a klantmanager sees it.

Seeds a SQLite database quickly: the shipped diagrams are deployed, one status holder is started
through the real engine, and its instance row, open tasks and timers are copied in bulk with
fresh ids (5,000 status holders of one gemeente, two open tasks each, four timers each). Then,
logged in through the real login form, it times the tasklist views in process (Flask test client:
query, case headers, deadline texts and the Jinja page) and, as the floor measured in the same
run, the plain SQL read of one page of open tasks. Prints p50/p95 in ms and the ratio to the
floor, and writes bench/results/tasklist.json. Run: ``python -m bench tasklist``.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "tasklist.json"
HOLDERS = 5000
ROUNDS = 40


def _seed(url: str) -> None:
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from app.cli import bundled_documents, deploy_documents
    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.orgs import add_organisation, add_user
    from storage.schema import process_instances, timers, user_tasks
    from storage.service import WorkflowService

    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    service = WorkflowService(engine, clock)
    assert deploy_documents(service, bundled_documents(), "bench") == []
    with engine.begin() as conn:
        for code, name, kind in (("COA", "COA", "coa"), ("GM0344", "Gemeente Utrecht", "gemeente")):
            add_organisation(conn, code, name, kind, clock.now())
        add_user(
            conn, "km", "GM0344", "klantmanager", generate_password_hash("bench-wachtwoord"), clock.now()
        )
    variables = {"gemeente": "GM0344", "azc": "AZC-ZWL", "koppeldatum": "2027-01-04", "naam": "Persoon 0"}
    template = service.start(
        "doorlopende_lijn", business_key="V1000000000", gemeente="GM0344", variables=variables, actor="bench"
    )
    with engine.begin() as conn:
        instance = conn.execute(select(process_instances).where(process_instances.c.id == template.id)).one()
        tasks = conn.execute(select(user_tasks).where(user_tasks.c.instance_id == template.id)).all()
        pending = conn.execute(select(timers).where(timers.c.instance_id == template.id)).all()
        rows, task_rows, timer_rows = [], [], []
        for number in range(1, HOLDERS):
            new_id = str(uuid.uuid4())
            row = dict(instance._mapping)
            row.update(
                id=new_id,
                business_key=f"V{1000000000 + number}",
                variables={**instance.variables, "naam": f"Persoon {number}"},
            )
            rows.append(row)
            for task in tasks:
                task_rows.append({**task._mapping, "id": str(uuid.uuid4()), "instance_id": new_id})
            for timer in pending:
                timer_rows.append({**timer._mapping, "id": str(uuid.uuid4()), "instance_id": new_id})
        conn.execute(insert(process_instances), rows)
        conn.execute(insert(user_tasks), task_rows)
        conn.execute(insert(timers), timer_rows)
    engine.dispose()


def _time(call: Callable[[], Any]) -> list[float]:
    call()  # warm caches (diagram parse, statement cache)
    out = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    from sqlalchemy import select

    from app import create_app
    from storage.schema import user_tasks

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tasklist.db'}"
        _seed(url)
        app = create_app({"DATABASE_URL": url, "VAR_DIR": folder, "SECRET_KEY": "bench"})
        client = app.test_client()
        page = client.get("/tasklist/inloggen").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/tasklist/inloggen",
            data={"gebruikersnaam": "km", "wachtwoord": "bench-wachtwoord", "csrf_token": token},
        )
        db = app.extensions["inburgering"].db

        def floor() -> None:
            with db.connect() as conn:
                conn.execute(
                    select(user_tasks)
                    .where(user_tasks.c.gemeente == "GM0344")
                    .order_by(user_tasks.c.created_at)
                    .limit(25)
                ).all()

        def view(path: str) -> Callable[[], Any]:
            def call() -> None:
                response = client.get(path)
                assert response.status_code == 200, response.status_code

            return call

        cases = {
            "floor: SQL page of 25 open tasks": floor,
            "werklijst (all, by deadline)": view("/tasklist"),
            "werklijst, Verloopt binnen 7 dagen": view("/tasklist?weergave=binnenkort"),
            "werklijst, per taak": view("/tasklist?taak=scenario_kiezen"),
            "werklijst, page 200": view("/tasklist?pagina=200"),
        }
        results = {}
        floor_p50 = None
        print(f"{HOLDERS * 2} open tasks, {ROUNDS} rounds each")
        print(f"{'case':<40} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>7}")
        for name, call in cases.items():
            times = sorted(_time(call))
            p50 = statistics.median(times)
            p95 = times[int(len(times) * 0.95) - 1]
            floor_p50 = floor_p50 or p50
            results[name] = {
                "p50_ms": round(p50, 2),
                "p95_ms": round(p95, 2),
                "ratio": round(p50 / floor_p50, 1),
            }
            print(f"{name:<40} {p50:>8.1f} {p95:>8.1f} {p50 / floor_p50:>6.1f}x")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"open_tasks": HOLDERS * 2, "results": results}, indent=2))


if __name__ == "__main__":
    main()
