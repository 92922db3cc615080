"""Chaos: ``inburgering serve`` and two ``inburgering worker`` processes on PostgreSQL under a mixed load,
SIGKILLed at random moments 20 times and restarted; afterwards nothing acknowledged is lost.

Load: starts of the shipped process (half with a koppeldatum three weeks back, so their terms are due
at once and the workers fire them), task completions, ``huisvesting_gevonden`` messages, and webhook
deliveries of every event to a receiver on 127.0.0.1 over real HTTP. The randomness is seeded
(``CHAOS_SEED``); every wait is bounded. Afterwards:

* every request answered 2xx is in the state (instances, completed tasks, correlated messages);
* no step is half-applied: each instance's index rows (open tasks, timers, message waits, status)
  equal what its stored engine state says;
* each timer that came due fired exactly once, and none is left due;
* each event was delivered at least once, every copy with the same ``webhook-id`` and body, and a
  valid Standard Webhooks signature;
* the audit trail matches the state: completed tasks, fired timers and their events agree.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from standardwebhooks import Webhook

from engine.clock import SystemClock
from storage import incidents
from storage.migrate import upgrade
from storage.orgs import add_organisation, create_token
from storage.schema import (
    audit_entries,
    closed_tasks,
    message_waits,
    outbox_events,
    process_instances,
    timers,
    user_tasks,
)
from storage.service import WorkflowService
from storage.webhook_schema import deliveries
from tests.conftest import ROOT, _drop_schema, _postgres_engine, postgres_url
from tests.scenario.scenario_support import FORMS
from tests.timing import free_port, patience, wait_for

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CHAOS_SEED", "20261201"))
KILLS = 20
GEMEENTE = "GM0344"
SETTLE_SECONDS = 45


# -- the webhook receiver --------------------------------------------------------------------------
class Received:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[tuple[dict[str, str], bytes]] = []


def _receiver(received: Received) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) != length:
                # The sender was killed mid-request: a receiver takes no truncated body, and the
                # sender, which never saw an answer, delivers the event again.
                self.close_connection = True
                return
            with received.lock:
                received.items.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- the processes ---------------------------------------------------------------------------------
class Fleet:
    """The serve process and two workers, each restartable after a SIGKILL."""

    def __init__(self, url: str, port: int, logs: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBURGERING_")}
        env.update(
            DATABASE_URL=url,
            PYTHONPATH=str(ROOT),
            INBURGERING_WEBHOOKS_ALLOW_INSECURE="1",
            INBURGERING_TIMER_POLL_SECONDS="0.2",
            INBURGERING_TIMER_LEASE_SECONDS="3",
            INBURGERING_WEBHOOK_LEASE_SECONDS="3",
            # Every process must name the same public address: it is the events' dataref.
            INBURGERING_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        )
        self.env = env
        self.port = port
        self.logs = logs
        self.commands = {
            "serve": ["serve", "--port", str(port), "--workers", "1", "--threads", "4"],
            "worker-1": ["worker"],
            "worker-2": ["worker"],
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        command = [sys.executable, "-m", "app.cli", *self.commands[name]]
        with (self.logs / f"{name}.log").open("ab") as log:
            # Its own process group: a kill takes gunicorn's worker processes with the master, even
            # one the master is forking at that moment.
            self.procs[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=patience(10))

    def stop(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=patience(40))
            except subprocess.TimeoutExpired:
                self.kill(name)


# -- the load --------------------------------------------------------------------------------------
class Client:
    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.tokens = tokens

    def call(self, method: str, path: str, who: str, body: Any = None) -> tuple[int | None, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.tokens[who]}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=patience(10)) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (OSError, ValueError):
            return None, None  # the server was killed mid-request or is starting


@pytest.fixture
def pg() -> Iterator[tuple[Engine, str]]:
    url = postgres_url()
    if not url:
        pytest.skip("the chaos test runs on PostgreSQL: set TEST_DATABASE_URL")
    engine, schema = _postgres_engine(url)
    try:
        upgrade(engine)
        yield engine, f"{url}{'&' if '?' in url else '?'}options=-csearch_path={schema}"
    finally:
        engine.dispose()
        _drop_schema(url, schema)


def test_chaos(pg: tuple[Engine, str], tmp_path: Path) -> None:
    db, url = pg
    rng = random.Random(SEED)
    # The order of the kills is drawn once, up front: serve restarts slowest (migrations, deploy,
    # gunicorn), so it is killed 4 times and each worker 8, whatever the timing of the load.
    victims = ["serve"] * 4 + ["worker-1"] * 8 + ["worker-2"] * 8
    random.Random(SEED).shuffle(victims)
    now = datetime.now(UTC)
    with db.begin() as conn:
        add_organisation(conn, "COA", "COA", "coa", now)
        add_organisation(conn, GEMEENTE, "Utrecht", "gemeente", now)
        add_organisation(conn, "SYSTEEM", "TVS", "systeem", now)
        tokens = {
            "bh": create_token(conn, "COA", "beheerder", "chaos-bh", now),
            "km": create_token(conn, GEMEENTE, "klantmanager", "chaos-km", now),
            "sys": create_token(conn, "SYSTEEM", "systeem", "chaos-sys", now),
        }
    received = Received()
    receiver = _receiver(received)
    port = free_port()
    fleet = Fleet(url, port, tmp_path)
    client = Client(port, tokens)
    acked: dict[str, list[Any]] = defaultdict(list)
    started_keys: list[tuple[str, str]] = []  # (business key, instance id)
    kills: Counter[str] = Counter()
    try:
        fleet.start("serve")
        ready = wait_for(lambda: client.call("GET", "/incidents", "bh")[0] == 200, 60, interval=0.2)
        assert ready, (tmp_path / "serve.log").read_text()[-3000:]
        status, body = client.call(
            "POST",
            "/subscriptions",
            "km",
            {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "eventTypes": _event_types()},
        )
        assert status == 201, body
        secret = body["secret"]
        fleet.start("worker-1")
        fleet.start("worker-2")

        next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
        number = 0
        while sum(kills.values()) < KILLS:
            if time.monotonic() >= next_kill:
                victim = victims[sum(kills.values())]
                fleet.kill(victim)
                kills[victim] += 1
                fleet.start(victim)
                if victim == "serve":  # the load goes on once it answers again
                    assert wait_for(
                        lambda: client.call("GET", "/incidents", "bh")[0] == 200, 60, interval=0.2
                    )
                next_kill = time.monotonic() + rng.uniform(0.3, 1.2)
            number += 1
            _one_request(rng, client, number, started_keys, acked)

        # Everything runs again: let the fleet finish what is due, then stop it.
        def settled() -> bool:
            with db.connect() as conn:
                due = conn.execute(
                    select(func.count()).where(
                        timers.c.due_at <= datetime.now(UTC), timers.c.incident_id.is_(None)
                    )
                ).scalar_one()
                pending = conn.execute(
                    select(func.count()).where(deliveries.c.status == "pending")
                ).scalar_one()
                undispatched = conn.execute(
                    select(func.count()).where(outbox_events.c.dispatched.is_(False))
                ).scalar_one()
            return due == 0 and pending == 0 and undispatched == 0

        assert wait_for(settled, SETTLE_SECONDS, interval=0.2), (
            "the fleet did not finish the due work after the kills"
        )
    finally:
        fleet.stop()
        receiver.shutdown()

    assert kills["serve"] >= 1 and sum(kills.values()) == KILLS
    assert acked["start"], "no start was acknowledged"
    _check_acknowledged(db, acked)
    _check_indexes_match_state(db)
    _check_timers(db)
    _check_deliveries(db, received, secret)
    _check_audit(db)
    with db.connect() as conn:
        assert incidents.count_open(conn) == 0


def _event_types() -> list[str]:
    from webhooks.events import FULL_EVENT_TYPES

    return list(FULL_EVENT_TYPES)


def _one_request(
    rng: random.Random,
    client: Client,
    number: int,
    started: list[tuple[str, str]],
    acked: dict[str, list[Any]],
) -> None:
    kind = rng.choices(["start", "complete", "message"], weights=[4, 4, 2])[0]
    if kind == "start" or not started:
        key = f"{7000000000 + number}"
        back = 21 if rng.random() < 0.5 else 0  # three weeks back: its terms are due at once
        koppeldatum = (date.today() - timedelta(days=back)).isoformat()
        body = {
            "processKey": "doorlopende_lijn",
            "businessKey": key,
            "gemeente": GEMEENTE,
            "variables": {"azc": "AZC-Budel", "koppeldatum": koppeldatum},
        }
        status, answer = client.call("POST", "/process-instances", "sys", body)
        if status == 201:
            started.append((key, answer["id"]))
            acked["start"].append(answer["id"])
        return
    key, instance_id = rng.choice(started)
    if kind == "message":
        move = (date.today() + timedelta(days=rng.randint(20, 60))).isoformat()
        body = {
            "messageName": "huisvesting_gevonden",
            "businessKey": key,
            "variables": {"verhuisdatum": move},
        }
        status, answer = client.call("POST", "/messages", "sys", body)
        if status == 200:
            acked["message"].append(answer["processInstanceId"])
        return
    status, page = client.call("GET", f"/tasks?processInstanceId={instance_id}", "bh")
    if status != 200 or not page["items"]:
        return
    task = rng.choice(page["items"])
    data = {"scenario": rng.choice(["1", "2"])} if task["elementId"] == "scenario_kiezen" else None
    data = data if data is not None else FORMS.get(task["elementId"])
    if data is None:
        return
    status, _ = client.call("POST", f"/tasks/{task['id']}/complete", "bh", {"variables": data})
    if status == 200:
        acked["complete"].append(task["id"])


# -- the checks ------------------------------------------------------------------------------------
def _check_acknowledged(db: Engine, acked: dict[str, list[Any]]) -> None:
    with db.connect() as conn:
        stored = set(conn.execute(select(process_instances.c.id)).scalars())
        assert set(acked["start"]) <= stored
        completed = set(
            conn.execute(select(closed_tasks.c.id).where(closed_tasks.c.outcome == "completed")).scalars()
        )
        assert set(acked["complete"]) <= completed
        correlated = Counter(
            conn.execute(
                select(audit_entries.c.instance_id).where(audit_entries.c.action == "message-correlated")
            ).scalars()
        )
    for instance_id, count in Counter(acked["message"]).items():
        assert correlated[instance_id] >= count


def _check_indexes_match_state(db: Engine) -> None:
    service = WorkflowService(db, SystemClock())
    service.load_definitions()
    with db.connect() as conn:
        rows = conn.execute(select(process_instances)).all()
        tasks = defaultdict(set)
        for r in conn.execute(select(user_tasks.c.instance_id, user_tasks.c.id)):
            tasks[r.instance_id].add(r.id)
        pending = defaultdict(dict)
        for r in conn.execute(select(timers.c.instance_id, timers.c.id, timers.c.due_at)):
            pending[r.instance_id][r.id] = r.due_at
        waits = defaultdict(Counter)
        for r in conn.execute(select(message_waits.c.instance_id, message_waits.c.message_name)):
            waits[r.instance_id][r.message_name] += 1
    for row in rows:
        view = service.runtime.describe(row.state)
        assert view.status == row.status, row.id
        assert {t.id for t in view.open_tasks} == tasks[row.id], row.id
        assert {t.id: t.due_at for t in view.timers} == pending[row.id], row.id
        assert Counter(w.message_name for w in view.message_waits) == waits[row.id], row.id


def _check_timers(db: Engine) -> None:
    with db.connect() as conn:
        fired = Counter(
            (r.instance_id, r.element_id)
            for r in conn.execute(
                select(audit_entries.c.instance_id, audit_entries.c.element_id).where(
                    audit_entries.c.action == "timer-fired"
                )
            )
        )
        overdue = conn.execute(select(func.count()).where(timers.c.due_at <= datetime.now(UTC))).scalar_one()
    assert fired, "no timer fired"
    assert max(fired.values()) == 1, [k for k, v in fired.items() if v > 1]
    assert overdue == 0


def _check_deliveries(db: Engine, received: Received, secret: str) -> None:
    hook = Webhook(secret)
    copies: dict[str, set[bytes]] = defaultdict(set)
    with received.lock:
        items = list(received.items)
    for headers, body in items:
        hook.verify(body, headers)
        event = json.loads(body)
        assert headers["webhook-id"] == event["id"]
        copies[event["id"]].add(body)
    with db.connect() as conn:
        events = set(conn.execute(select(outbox_events.c.id)).scalars())
        statuses = Counter(conn.execute(select(deliveries.c.status)).scalars())
    assert events and events <= set(copies), len(events - set(copies))
    assert all(len(bodies) == 1 for bodies in copies.values())  # a redelivery is the same message
    assert set(statuses) == {"delivered"}, statuses


def _check_audit(db: Engine) -> None:
    with db.connect() as conn:
        audited = Counter(
            (r.instance_id, r.action)
            for r in conn.execute(select(audit_entries.c.instance_id, audit_entries.c.action))
        )
        evented = Counter(
            (r.instance_id, r.type)
            for r in conn.execute(select(outbox_events.c.instance_id, outbox_events.c.type))
        )
        closed = Counter(
            r.instance_id
            for r in conn.execute(
                select(closed_tasks.c.instance_id).where(closed_tasks.c.outcome == "completed")
            )
        )
        instances = list(conn.execute(select(process_instances.c.id)).scalars())
    for instance_id in instances:
        assert audited[(instance_id, "start")] == 1
        assert audited[(instance_id, "task-completed")] == closed[instance_id], instance_id
        assert evented[(instance_id, "taak-afgerond")] == closed[instance_id], instance_id
        assert evented[(instance_id, "termijn-verstreken")] == audited[(instance_id, "timer-fired")]
