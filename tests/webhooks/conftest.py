"""Webhook fixtures: the app on a test database, organisations with tokens, a signed TVS sender and a
real HTTP receiver on 127.0.0.1 that verifies every delivery with ``standardwebhooks`` and parses it
with ``cloudevents``."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks.webhooks as sw_module
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Engine
from standardwebhooks import Webhook

from engine.clock import ManualClock
from storage.db import write_connection
from storage.orgs import add_organisation, create_token
from storage.service import WorkflowService
from tests.timing import free_port, patience
from webhooks.signing import new_secret, sign_headers

FIXTURES = Path(__file__).with_name("fixtures")
TVS_SECRET = new_secret()
BASE_URL = "https://dl.example.nl"
GM_A, GM_B = "GM0363", "GM0599"
V_A, V_B = "1234567890", "2345678901"


@dataclass
class Parties:
    """Tokens per role and organisation."""

    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


#: The service's secret key in these tests; the delivery worker needs it to unseal signing secrets.
SECRET_KEY = "test-secret-key"


def app_config(db: Engine, clock: ManualClock, **extra: Any) -> dict[str, Any]:
    return {
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "DB_ENGINE": db,
        "CLOCK": clock,
        "TVS_WEBHOOK_SECRET": TVS_SECRET,
        "SECRET_KEY": SECRET_KEY,
        "WEBHOOKS_ALLOW_INSECURE": True,
        "PUBLIC_BASE_URL": BASE_URL,
        "DEPLOY_BUNDLED": False,
        "TESTING": True,
        **extra,
    }


def make_app(db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Any:
    import app.api
    from app import create_app

    # Only the resources these tests use, so that they do not depend on unrelated blueprints.
    monkeypatch.setattr(app.api, "BLUEPRINT_MODULES", ["health", "subscriptions", "tvs"])
    return create_app(app_config(db, clock, **extra))


@pytest.fixture
def parties(db: Engine, clock: ManualClock) -> Parties:
    now = clock.now()
    tokens = {}
    with write_connection(db) as conn, conn.begin():
        add_organisation(conn, GM_A, "Amsterdam", "gemeente", now)
        add_organisation(conn, GM_B, "Rotterdam", "gemeente", now)
        add_organisation(conn, "COA", "COA", "coa", now)
        add_organisation(conn, "TVS", "TVS", "systeem", now)
        tokens["km_a"] = create_token(conn, GM_A, "klantmanager", "km-a", now)
        tokens["km_b"] = create_token(conn, GM_B, "klantmanager", "km-b", now)
        tokens["beheerder"] = create_token(conn, "COA", "beheerder", "beheer", now)
        tokens["casemanager"] = create_token(conn, "COA", "casemanager", "cm", now)
    return Parties(tokens)


@pytest.fixture
def workflow(db: Engine, clock: ManualClock) -> WorkflowService:
    service = WorkflowService(db, clock)
    service.deploy("doorlopende_lijn.bpmn", (FIXTURES / "doorlopende_lijn.bpmn").read_bytes(), actor="test")
    return service


@pytest.fixture
def client(db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, workflow: WorkflowService) -> Any:
    return make_app(db, clock, monkeypatch).test_client()


def tvs_event(event_type: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or str(uuid.uuid4()),
            "source": "urn:nld:oin:00000001003214345000:systeem:tvs",
            "type": event_type,
            "time": "2027-01-04T09:00:00Z",
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


def koppeling(v_nummer: str = V_A, gemeente: str = GM_A) -> bytes:
    return tvs_event(
        "nl.coa.tvs.koppeling",
        {"vNummer": v_nummer, "gemeente": gemeente, "azc": "AZC-Budel", "koppeldatum": "2027-01-04"},
    )


def signed(
    body: bytes, at: datetime, webhook_id: str | None = None, secret: str = TVS_SECRET
) -> dict[str, str]:
    headers = sign_headers(secret, webhook_id or f"msg_{uuid.uuid4().hex}", at, body)
    return {**headers, "Content-Type": "application/cloudevents+json"}


# -- the receiver ------------------------------------------------------------------------------------
@dataclass
class Arrival:
    """One request the receiver got: its headers, the verified and parsed event, and our answer."""

    webhook_id: str
    event: CloudEvent
    body: bytes
    headers: dict[str, str]
    answered: int


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 standing in for a gemeente's webhook endpoint."""

    secret: str = ""
    port: int = 0
    #: Answers to give, in turn; when empty, 200. An entry may be a callable taking the request.
    script: list[Any] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/inburgering"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        if self.port:
            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        else:
            # A port no outgoing connection can take while the receiver is stopped and started again.
            self.server = _bind_free(Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start` again (same port)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        body = request.rfile.read(length)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            Webhook(self.secret).verify(body, headers)
            event = from_http(HTTPMessage(headers=headers, body=body), JSONFormat(), CloudEvent)
        except Exception as exc:  # a test failure, reported by the test
            with self.changed:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                self.changed.notify_all()
            request.send_response(400)
            request.end_headers()
            return
        with self.changed:
            answer = self.script.pop(0) if self.script else 200
        if callable(answer):
            answer = answer(request)
        extra: dict[str, str] = {}
        if isinstance(answer, tuple):
            answer, extra = answer
        with self.changed:
            self.arrivals.append(Arrival(headers["webhook-id"], event, body, headers, answer))
            self.changed.notify_all()
        try:
            request.send_response(answer)
            for name, value in extra.items():
                request.send_header(name, value)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:
            pass  # the sender is gone (the crash test kills it)

    def accepted(self) -> list[Arrival]:
        with self.changed:
            return [a for a in self.arrivals if 200 <= a.answered < 300]

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout=patience(timeout))


def _bind_free(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    for _ in range(20):
        try:
            return ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        except OSError:  # taken since it was found free
            continue
    return ThreadingHTTPServer(("127.0.0.1", 0), handler)


@pytest.fixture
def receiver(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    # standardwebhooks checks the timestamp against the wall clock; the receiver lives in the test's
    # time, so its notion of "now" is the ManualClock (signatures are checked by the library as is).
    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return clock.now().astimezone(tz)

    monkeypatch.setattr(sw_module, "datetime", ClockDatetime)
    rec = Receiver()
    rec.start()
    yield rec
    rec.stop()
