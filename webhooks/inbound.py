"""Inbound TVS events: verify, parse, store once, and start or advance the instance.

The event is stored (keyed by ``webhook-id``) before it is processed and marked when done, in the
same request; 202 is answered only then. A sender that got no answer sends it again with the same
``webhook-id``: an event that was stored but not finished (a crash, a failure) is processed again,
one that was finished is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.exceptions import BaseCloudEventException, CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Engine

from engine.errors import EngineError
from engine.safe_json import BodyError, load_json
from storage import repository as repo
from storage import webhook_store as store
from storage.db import write_connection
from storage.errors import ConflictError, NotFound
from storage.orgs import is_registered_gemeente
from storage.service import WorkflowService
from webhooks import signing
from webhooks.errors import InvalidEventError, UnreadableBodyError

PROCESS_KEY = "doorlopende_lijn"
ACTOR = "systeem:tvs"
#: How long one request may hold an inbound event before a retry may take it over.
PROCESSING_LEASE = timedelta(minutes=2)

KOPPELING = "nl.coa.tvs.koppeling"
HUISVESTING_GEVONDEN = "nl.coa.tvs.huisvesting-gevonden"
VERHUISD = "nl.coa.tvs.verhuisd"
#: Required data fields per type and the check each must pass.
_V_NUMMER = re.compile(r"^\d{10}$")
_GEMEENTE = re.compile(r"^GM\d{4}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AZC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")
FIELDS: dict[str, tuple[str, ...]] = {
    KOPPELING: ("vNummer", "gemeente", "azc", "koppeldatum"),
    HUISVESTING_GEVONDEN: ("vNummer", "verhuisdatum"),
    VERHUISD: ("vNummer", "datum"),
}
#: Optional data fields per type: checked when present.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {KOPPELING: ("naam",)}
_NAAM_MAX = 200


@dataclass(frozen=True)
class TvsEvent:
    """A verified, valid TVS event. ``v_nummer`` is kept out of everything but the engine call."""

    id: str
    type: str
    data: dict[str, str] = field(repr=False)

    @property
    def v_nummer(self) -> str:
        return self.data["vNummer"]


@dataclass(frozen=True)
class Outcome:
    """What to answer: an HTTP status and either a JSON body or a problem (title, detail, errors)."""

    status: int
    body: dict[str, Any] | None = None
    title: str = ""
    detail: str = ""
    errors: list[dict[str, Any]] | None = None
    retry_after: int | None = None


def _check_field(name: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "is required and must be a string"
    if name == "vNummer" and not _V_NUMMER.match(value):
        return "must be a V-nummer of 10 digits"
    if name == "gemeente" and not _GEMEENTE.match(value):
        return "must be a CBS gemeente code like GM0363"
    if name == "azc" and not _AZC.match(value):
        return "must be a location code (letters, digits, space, '.', '_' or '-'; at most 100)"
    if name == "naam" and (
        len(value) > _NAAM_MAX or not value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return f"must be a name of at most {_NAAM_MAX} characters without control characters"
    if name in ("koppeldatum", "verhuisdatum", "datum"):
        if not _DATE.match(value):
            return "must be a date YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date YYYY-MM-DD"
    return None


def parse_event(body: bytes, content_type: str | None = None) -> TvsEvent:
    """Parse a structured-mode CloudEvent 1.0 and validate its TVS data; InvalidEventError names fields.

    A body that is not readable JSON raises UnreadableBodyError (answered 400, like every API body).
    """
    try:
        document = load_json(body)
    except BodyError as exc:
        raise UnreadableBodyError(str(exc)) from None
    if not isinstance(document, dict):
        raise InvalidEventError(
            "the body is not a CloudEvent", [{"field": "body", "message": "must be a JSON object"}]
        )
    if "data_base64" in document or not isinstance(document.get("data"), dict):
        raise InvalidEventError(
            "the event has no JSON data", [{"field": "data", "message": "must be a JSON object"}]
        )
    message = HTTPMessage(
        headers={"content-type": content_type or JSONFormat.CONTENT_TYPE},
        body=body,
    )
    try:
        event = from_structured(message, JSONFormat(), CloudEvent)
    except CloudEventValidationError as exc:
        errors = [
            {"field": name, "message": "; ".join(str(e) for e in problems)}
            for name, problems in exc.errors.items()
        ]
        raise InvalidEventError("the body is not a valid CloudEvent 1.0", errors) from exc
    except (BaseCloudEventException, ValueError, TypeError, OverflowError) as exc:
        raise InvalidEventError(
            "the body is not a valid CloudEvent 1.0",
            [{"field": "time", "message": "must be an RFC 3339 timestamp"}],
        ) from exc
    event_type = event.get_type()
    if event_type not in FIELDS:
        raise InvalidEventError(
            "unknown event type",
            [{"field": "type", "message": f"must be one of {', '.join(FIELDS)}"}],
        )
    content = event.get_datacontenttype()
    if content is not None and not JSONFormat.JSON_CONTENT_TYPE_PATTERN.match(content):
        raise InvalidEventError(
            "the event data is not JSON",
            [{"field": "datacontenttype", "message": "must be application/json"}],
        )
    data = event.get_data()
    assert isinstance(data, dict)
    errors = []
    clean: dict[str, str] = {}
    for name in FIELDS[event_type]:
        problem = _check_field(name, data.get(name))
        if problem:
            errors.append({"field": f"data.{name}", "message": problem})
        else:
            clean[name] = data[name]
    for name in OPTIONAL_FIELDS.get(event_type, ()):
        if data.get(name) is None:
            continue
        problem = _check_field(name, data[name])
        if problem:
            errors.append({"field": f"data.{name}", "message": problem})
        else:
            clean[name] = data[name].strip()
    if errors:
        raise InvalidEventError("the event data is not valid", errors)
    return TvsEvent(id=event.get_id(), type=event_type, data=clean)


def subject_hash(key: str, v_nummer: str) -> str:
    """A keyed hash of a V-nummer: the same person gives the same hash, the hash gives no V-nummer."""
    return hmac.new(key.encode(), v_nummer.encode(), hashlib.sha256).hexdigest()


class TvsReceiver:
    """Receives TVS webhooks for one database and workflow service."""

    def __init__(self, db: Engine, workflow: WorkflowService, *, secret: str, hash_key: str) -> None:
        self.db = db
        self.workflow = workflow
        self.secret = secret
        self.hash_key = hash_key

    def receive(self, body: bytes, headers: Mapping[str, str], now: datetime) -> Outcome:
        """Verify, parse, store and process one request. SignatureError propagates (401)."""
        webhook_id = signing.verify(self.secret, body, headers, now)
        try:
            event = parse_event(body, headers.get("content-type") or headers.get("Content-Type"))
        except UnreadableBodyError as exc:
            return Outcome(400, title="Bad Request", detail=str(exc))
        except InvalidEventError as exc:
            return Outcome(422, title="Invalid event", detail=exc.detail, errors=exc.errors)
        with write_connection(self.db) as conn, conn.begin():
            verdict, instance_id = store.claim_inbound_event(
                conn,
                webhook_id=webhook_id,
                event_id=event.id,
                event_type=event.type,
                gemeente=event.data.get("gemeente"),
                subject_hash=subject_hash(self.hash_key, event.v_nummer),
                now=now,
                lease_until=now + PROCESSING_LEASE,
            )
        if verdict == "done":
            return Outcome(
                202, {"webhookId": webhook_id, "status": "duplicate", "processInstanceId": instance_id}
            )
        if verdict == "busy":
            return Outcome(
                409, title="Conflict", detail="this event is being processed; retry later", retry_after=5
            )
        return self._process(webhook_id, event, now)

    def _process(self, webhook_id: str, event: TvsEvent, now: datetime) -> Outcome:
        if event.type == KOPPELING:
            with self.db.connect() as conn:
                registered = is_registered_gemeente(conn, event.data["gemeente"])
            if not registered:
                detail = f"gemeente {event.data['gemeente']} is not a registered gemeente"
                self._finish(webhook_id, "rejected", now, error=detail)
                return Outcome(
                    422,
                    title="Unknown gemeente",
                    detail=detail + "; the event is stored for an operator",
                    errors=[{"field": "data.gemeente", "message": "is not a registered gemeente"}],
                )
        try:
            outcome, instance_id = self._apply(event)
        except NotFound:
            detail = "no status holder with this V-nummer waits for this event"
            self._finish(webhook_id, "rejected", now, error=detail)
            return Outcome(
                422,
                title="Unknown status holder",
                detail=detail + "; it is stored for an operator",
                errors=[{"field": "data.vNummer", "message": "no instance waits for this event"}],
            )
        except ConflictError:
            self._finish(webhook_id, "failed", now, error="the instance changed meanwhile")
            return Outcome(503, title="Try again", detail="the instance changed meanwhile", retry_after=5)
        except EngineError as exc:
            # The event's data cannot be processed (a value out of range, variables over the limit):
            # sending it again gives the same answer, so it is rejected, not failed.
            detail = f"the event cannot be processed: {str(exc)[:400]}"
            self._finish(webhook_id, "rejected", now, error=detail)
            return Outcome(422, title="Unprocessable event", detail=detail + "; it is stored for an operator")
        except Exception as exc:
            self._finish(webhook_id, "failed", now, error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        self._finish(webhook_id, "processed", now, outcome=outcome, instance_id=instance_id)
        return Outcome(202, {"webhookId": webhook_id, "status": outcome, "processInstanceId": instance_id})

    def _apply(self, event: TvsEvent) -> tuple[str, str | None]:
        data = event.data
        if event.type == KOPPELING:
            variables: dict[str, Any] = {
                k: data[k] for k in ("gemeente", "azc", "koppeldatum", "naam") if k in data
            }
            try:
                record = self.workflow.start(
                    PROCESS_KEY,
                    business_key=event.v_nummer,
                    gemeente=data["gemeente"],
                    variables=variables,
                    actor=ACTOR,
                )
            except ConflictError:
                with self.db.connect() as conn:
                    existing = repo.find_active_instance(conn, PROCESS_KEY, event.v_nummer)
                if existing is None:
                    raise
                return "already-active", existing
            return "started", record.id
        if event.type == HUISVESTING_GEVONDEN:
            message, variables = "huisvesting_gevonden", {"verhuisdatum": data["verhuisdatum"]}
        else:
            message, variables = "verhuisd", {"verhuisdatum": data["datum"]}
        record = self.workflow.correlate(
            message, event.v_nummer, variables, actor=ACTOR, process_key=PROCESS_KEY
        )
        return "correlated", record.id

    def _finish(self, webhook_id: str, status: str, now: datetime, **values: Any) -> None:
        with write_connection(self.db) as conn, conn.begin():
            store.finish_inbound_event(conn, webhook_id=webhook_id, status=status, now=now, **values)
