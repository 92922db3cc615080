"""Inbound TVS events (Standard Webhooks signed CloudEvents) and the operators' view of them."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields
from flask import request
from marshmallow import RAISE, validate

from app import processing_log, services
from app.api.common import errors, link_header
from app.auth import BEHEERDER, auth, require_roles
from app.problems import ApiProblem
from app.schemas import PageQuery, UtcDateTime, page_of
from storage import webhook_store as store
from webhooks.errors import SignatureError
from webhooks.inbound import TvsReceiver

bp = APIBlueprint("tvs", __name__, tag="TVS webhooks")

INBOUND_STATUSES = ("received", "processed", "rejected", "failed")

#: The request body as the OpenAPI document should show it (the view reads the raw bytes to verify
#: the signature, so no input schema declares it).
EVENT_BODY = {
    "required": True,
    "description": "A CloudEvent 1.0 in structured JSON mode: `nl.coa.tvs.koppeling` "
    "{vNummer, gemeente, azc, koppeldatum}, `nl.coa.tvs.huisvesting-gevonden` {vNummer, "
    "verhuisdatum} or `nl.coa.tvs.verhuisd` {vNummer, datum}. Signed per Standard Webhooks "
    "(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with `TVS_WEBHOOK_SECRET`.",
    "content": {
        t: {"schema": {"type": "object"}} for t in ("application/cloudevents+json", "application/json")
    },
}


class AcceptedOut(Schema):
    webhookId = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={"description": "started, already-active, correlated, or duplicate (seen before)"},
    )
    processInstanceId = fields.String(allow_none=True)


class InboundEventOut(Schema):
    webhookId = fields.String(required=True)
    eventId = fields.String(required=True)
    type = fields.String(required=True)
    receivedAt = UtcDateTime(required=True)
    status = fields.String(required=True, metadata={"enum": list(INBOUND_STATUSES)})
    outcome = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    processInstanceId = fields.String(allow_none=True)
    gemeente = fields.String(allow_none=True)
    subjectHash = fields.String(
        allow_none=True, metadata={"description": "keyed hash of the V-nummer (the V-nummer is not stored)"}
    )
    processedAt = UtcDateTime(allow_none=True)


class InboundListQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(INBOUND_STATUSES))


InboundEventPage = page_of(InboundEventOut, "InboundEventPage")


@bp.post("/webhooks/tvs")
@bp.output(AcceptedOut, status_code=202, description="Stored and processed (or seen before)")
@bp.doc(
    summary="Receive a TVS event",
    description="A repeated `webhook-id` is accepted and ignored. A missing or wrong signature, or a "
    "timestamp more than 5 minutes off: 401. A body that cannot be read as JSON (syntax, encoding, "
    "nesting deeper than 64, NaN, numbers out of range): 400. Not a valid event: 422 naming the field. "
    "An event for a status holder for whom nothing waits, for an unregistered gemeente, or with data "
    "the engine cannot process: 422, and stored as rejected for an operator "
    "(`GET /webhooks/tvs/events?status=rejected`).",
    security=[],
    responses=errors(400, 401, 409, 413, 422, 503),
)
def receive_tvs_event() -> Any:
    svc = services()
    secret = svc.config.get("TVS_WEBHOOK_SECRET")
    if not secret:
        raise ApiProblem(503, "Service Unavailable", "inbound TVS events are not configured")
    receiver = TvsReceiver(
        svc.db, svc.workflow, secret=secret, hash_key=str(svc.config.get("SECRET_KEY") or secret)
    )
    body = request.get_data(cache=False)
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        outcome = receiver.receive(body, headers, svc.clock.now())
    except SignatureError as exc:
        raise ApiProblem(
            401,
            "Unauthorized",
            f"the webhook signature is not valid: {exc}",
            headers={"WWW-Authenticate": "Signature"},
        ) from exc
    instance_id = (outcome.body or {}).get("processInstanceId")
    if instance_id:
        started = (outcome.body or {}).get("status") == "started"
        processing_log.record(processing_log.START if started else processing_log.ENGINE, instance_id)
    if outcome.status >= 400:
        extra = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
        raise ApiProblem(outcome.status, outcome.title, outcome.detail, outcome.errors, headers=extra)
    return outcome.body, outcome.status


@bp.get("/webhooks/tvs/events")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(InboundListQuery, location="query", unknown=RAISE)
@bp.output(InboundEventPage)
@bp.doc(
    summary="Inbound TVS events, newest first (operators)",
    description="Filter `status=rejected` for events about unknown status holders, `failed` for events "
    "whose processing failed (TVS retries them).",
    responses=errors(403),
)
def list_inbound_events(query_data: dict[str, Any]) -> Any:
    number, size = int(query_data["page"]), int(query_data["pageSize"])
    with services().db.connect() as conn:
        items, total = store.list_inbound_events(
            conn, status=query_data.get("status"), offset=(number - 1) * size, limit=size
        )
    body = {"items": items, "page": number, "pageSize": size, "total": total}
    return body, 200, {"Link": link_header(number, size, total)}
