"""Verwerkingenlogging: every read or change of a status holder's case is recorded (LDV).

In a view (API or tasklist page), one line says which cases the request processes and as which
processing activity::

    processing_log.record(READ, [instance_id])

At the end of the request, before the answer leaves, the records are written (one transaction,
one statement per processing activity: :func:`write_many`), one per case, with the request's trace and
operation ids (``app/tracing.py``), its start and end time (the app's clock), the status (``OK``
below HTTP 400, else ``ERROR``) and the caller. If they cannot be written, the answer becomes a 500:
nothing is shown that was not recorded. The worker records engine steps with :func:`write`.

The processing activities are the register below (``GET /api/v1/processing-activities``): one per
kind of work, as in the register of processing activities (AVG art. 30).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import Connection, Engine

from app import tracing
from storage import processing_log as store
from storage.db import write_connection

logger = logging.getLogger("inburgering.processing_log")

#: Key for the data subject pseudonyms while no INBURGERING_SECRET_KEY is set (development only).
DEVELOPMENT_KEY = "doorlopende-lijn development key: set INBURGERING_SECRET_KEY"
DEFAULT_RETENTION_DAYS = 1826  # five years


@dataclass(frozen=True)
class ProcessingActivity:
    """An entry of the register of processing activities."""

    id: str
    naam: str
    doel: str
    grondslag: str


_GRONDSLAG = "AVG art. 6 lid 1 onder e; Wet inburgering 2021"
REGISTER: dict[str, ProcessingActivity] = {
    a.id: a
    for a in (
        ProcessingActivity(
            "zaak-inzien",
            "Inzien van een zaak",
            "Een klantmanager, casemanager of beheerder bekijkt de zaak, de taken, termijnen of "
            "geschiedenis van een statushouder om de doorlopende lijn te begeleiden.",
            _GRONDSLAG,
        ),
        ProcessingActivity(
            "zaak-behandelen",
            "Behandelen van een taak",
            "Een taak oppakken, vrijgeven of afronden, of een opmerking bij een zaak vastleggen.",
            _GRONDSLAG,
        ),
        ProcessingActivity(
            "zaak-starten",
            "Starten van de doorlopende lijn",
            "Een koppeling uit het TVS start de zaak van een statushouder.",
            _GRONDSLAG,
        ),
        ProcessingActivity(
            "procesverloop",
            "Geautomatiseerd procesverloop",
            "Termijnen die verstrijken en berichten van het COA brengen de zaak verder.",
            _GRONDSLAG,
        ),
        ProcessingActivity(
            "zaak-beheren",
            "Beheer van een zaak",
            "Een beheerder beëindigt een zaak, of laat een termijn nu aflopen of verzet hem.",
            _GRONDSLAG,
        ),
        ProcessingActivity(
            "inzageverzoek",
            "Inzage in verwerkingen",
            "Een beheerder stelt het overzicht van de verwerkingen van één persoon samen (AVG art. 15).",
            "AVG art. 15",
        ),
    )
}
READ = "zaak-inzien"
HANDLE = "zaak-behandelen"
START = "zaak-starten"
ENGINE = "procesverloop"
MANAGE = "zaak-beheren"
ACCESS_REQUEST = "inzageverzoek"


def keys(config: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The key for pseudonyms now, and the previous keys that may still find older ones."""
    current = config.get("SECRET_KEY") or DEVELOPMENT_KEY
    previous = tuple(k for k in (config.get("SECRET_KEY_PREVIOUS") or ()) if k and k != current)
    if config.get("SECRET_KEY"):
        previous = (*previous, DEVELOPMENT_KEY)
    return current, previous


def retention_days(config: Mapping[str, Any]) -> int:
    """``INBURGERING_PROCESSING_LOG_RETENTION_DAYS`` (default five years), at least one day."""
    days = int(config.get("PROCESSING_LOG_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    if days < 1:
        raise ValueError("INBURGERING_PROCESSING_LOG_RETENTION_DAYS must be at least 1")
    return days


def record(
    activity: str,
    instance_ids: str | Iterable[str],
    *,
    business_keys: Mapping[str, str | None] | None = None,
) -> None:
    """Note that this request reads or changes the cases of ``instance_ids`` (written at its end).

    ``business_keys``: the cases' business keys (V-nummers) where the view read them already (its
    case headers), so that writing the records need not read them again.
    """
    if activity not in REGISTER:
        raise ValueError(f"unknown processing activity {activity!r}")
    ids = [instance_ids] if isinstance(instance_ids, str) else list(instance_ids)
    if not ids:
        return
    pending: list[tuple[str, list[str]]] = g.setdefault("_processing", [])
    pending.append((activity, ids))
    if business_keys:
        g.setdefault("_processing_keys", {}).update(business_keys)


def write(
    db: Engine,
    config: Mapping[str, Any],
    *,
    activity: str,
    name: str,
    instance_ids: Sequence[str],
    actor: str,
    start: datetime,
    end: datetime,
    ok: bool = True,
) -> int:
    """Write the records of one processing outside a request (the worker's engine steps)."""
    return write_many(
        db, config, [(activity, instance_ids)], name=name, actor=actor, start=start, end=end, ok=ok
    )


def write_many(
    db: Engine,
    config: Mapping[str, Any],
    work: Sequence[tuple[str, Sequence[str]]],
    *,
    name: str,
    actor: str,
    start: datetime,
    end: datetime,
    ok: bool = True,
    business_keys: Mapping[str, str | None] | None = None,
) -> int:
    """Write the records of one processing, per (activity, instance ids), in one transaction.

    Runs under the current trace (or a new one). Pseudonyms this process has seen
    committed are not read again (``storage.processing_log.SubjectCache``); what the transaction
    learns is added only once it committed.
    """
    ids = tracing.current()
    if ids is None:
        with tracing.operation(name, new_trace=True):
            return write_many(
                db,
                config,
                work,
                name=name,
                actor=actor,
                start=start,
                end=end,
                ok=ok,
                business_keys=business_keys,
            )
    key, previous = keys(config)
    cache = store.subject_cache(db)
    learned: dict[str, str] = {}
    written = 0
    with write_connection(db) as conn, conn.begin():
        for activity, instance_ids in work:
            processing = store.Processing(
                trace_id=ids.trace_id,
                operation_id=ids.operation_id,
                parent_operation_id=ids.parent_operation_id,
                name=name,
                start_time=start,
                end_time=end,
                status_code=store.STATUS_OK if ok else store.STATUS_ERROR,
                activity=activity,
                actor=actor,
            )
            written += store.append_records(
                conn,
                processing,
                instance_ids,
                key=key,
                previous_keys=previous,
                business_keys=business_keys,
                cache=cache,
                learned=learned,
            )
    cache.add(learned)
    return written


def write_pending(
    conn: Connection,
    *also: tuple[str, Sequence[str]],
    business_keys: Mapping[str, str | None] | None = None,
) -> None:
    """Write this request's records (and ``also``'s) now, as succeeded, in the caller's transaction.

    For a request whose change and its records commit together (a step, with its outbox and audit
    trail). Call :func:`written` once that transaction committed, so they are not written again at
    the request's end; if it rolls back, they are written there with the request's outcome.
    """
    from app import services

    svc = services()
    ids = tracing.current()
    if ids is None:
        raise RuntimeError("write_pending runs in a request")
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    key, previous = keys(svc.config)
    end = svc.clock.now()
    for activity, instance_ids in [*g.get("_processing", []), *also]:
        if activity not in REGISTER:
            raise ValueError(f"unknown processing activity {activity!r}")
        processing = store.Processing(
            trace_id=ids.trace_id,
            operation_id=ids.operation_id,
            parent_operation_id=ids.parent_operation_id,
            name=f"{request.method} {rule}",
            start_time=g.get("_processing_started") or end,
            end_time=end,
            status_code=store.STATUS_OK,
            activity=activity,
            actor=_actor(),
        )
        store.append_records(
            conn, processing, list(instance_ids), key=key, previous_keys=previous, business_keys=business_keys
        )


def written() -> None:
    """The records :func:`write_pending` wrote have committed: nothing is left for the request's end."""
    g.pop("_processing", None)
    g.pop("_processing_keys", None)


def _actor() -> str:
    who = g.get("principal") or g.get("user")
    return str(who.actor) if who is not None else "anonymous"


def init_app(app: Flask) -> None:
    """Note the start of each request; write what it recorded at its end."""
    from app import services

    @app.before_request
    def _start() -> None:
        g._processing_started = services().clock.now()

    @app.after_request
    def _flush(response: Response) -> Response:
        pending: list[tuple[str, list[str]]] = g.pop("_processing", [])
        if not pending:
            return response
        svc = services()
        started = g.get("_processing_started") or svc.clock.now()
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        try:
            write_many(
                svc.db,
                svc.config,
                pending,
                name=f"{request.method} {rule}",
                actor=_actor(),
                start=started,
                end=svc.clock.now(),
                ok=response.status_code < 400,
                business_keys=g.pop("_processing_keys", None),
            )
        except Exception:
            logger.exception("the data-processing log could not be written; the answer is withheld")
            from app.problems import http_problem

            return http_problem(500, "Internal Server Error", "the processing could not be recorded", None)
        return response


# -- the export for the right of access -----------------------------------------------------------
def export_item(row: Any, base_url: str, *, attribute_names: bool = True) -> dict[str, Any]:
    """One record as the export shows it: LDV's fields, with its ``dpl.core`` attributes.

    ``attribute_names=False`` keys the attributes by field name (for the API's response schema,
    which writes them under their ``dpl.core`` names).
    """
    item = {
        "traceId": row.trace_id,
        "operationId": row.operation_id,
        "parentOperationId": row.parent_operation_id,
        "name": row.name,
        "startTime": row.start_time,
        "endTime": row.end_time,
        "statusCode": row.status_code,
        "attributes": {
            "dpl.core.processing_activity_id": activity_uri(base_url, row.processing_activity_id),
            "dpl.core.data_subject_id": row.data_subject_id,
            "dpl.core.data_subject_id_type": store.DATA_SUBJECT_ID_TYPE,
        },
        "processInstanceId": row.instance_id,
        "actor": row.actor,
    }
    if not attribute_names:
        item["attributes"] = {k.rsplit(".", 1)[1]: v for k, v in item["attributes"].items()}
    return item


def activity_uri(base_url: str, activity: str) -> str:
    """Where the register describes ``activity`` (``dpl.core.processing_activity_id``)."""
    return f"{base_url.rstrip('/')}/api/v1/processing-activities#{activity}"


def export_person(
    db: Engine, config: Mapping[str, Any], v_nummer: str, *, actor: str, now: datetime
) -> list[Any]:
    """Every record about one person, oldest first; the export itself is recorded as well."""
    key, previous = keys(config)
    with db.connect() as conn:
        rows = store.records_of(conn, v_nummer, (key, *previous))
    ids = tracing.current()
    with contextlib.ExitStack() as stack:
        if ids is None:
            ids = stack.enter_context(tracing.operation("processing log export", new_trace=True))
        processing = store.Processing(
            trace_id=ids.trace_id,
            operation_id=ids.operation_id,
            parent_operation_id=ids.parent_operation_id,
            name="processing log export",
            start_time=now,
            end_time=now,
            status_code=store.STATUS_OK,
            activity=ACCESS_REQUEST,
            actor=actor,
        )
        with write_connection(db) as conn, conn.begin():
            store.append_subject_record(conn, processing, v_nummer, key=key, previous_keys=previous)
    return rows
