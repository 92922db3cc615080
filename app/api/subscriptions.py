"""Webhook subscriptions: an organisation's receivers of our events, and their delivery log.

A klantmanager manages its own gemeente's subscriptions; a beheerder manages every subscription.
Another organisation's subscription answers 404, exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint, Schema, fields
from marshmallow import RAISE, validate

from app import services
from app.api.common import errors, link_header
from app.auth import BEHEERDER, KLANTMANAGER, auth, current_principal, require_roles
from app.problems import ApiProblem, invalid, not_found
from app.schemas import PageQuery, StrictSchema, UtcDateTime, page_of
from storage import webhook_store as store
from storage.db import write_connection
from storage.orgs import Principal
from webhooks.errors import UnsafeTargetError
from webhooks.events import FULL_EVENT_TYPES
from webhooks.sealing import seal
from webhooks.signing import new_secret
from webhooks.targets import MAX_URL_LENGTH, check_url, resolve

bp = APIBlueprint("subscriptions", __name__, tag="Webhook subscriptions")

MANAGERS = (KLANTMANAGER, BEHEERDER)
DELIVERY_STATUSES = ("pending", "delivered", "dead")


class SubscriptionIn(StrictSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(1, MAX_URL_LENGTH),
        metadata={"description": "https URL that receives the events", "example": "https://example.nl/hook"},
    )
    eventTypes = fields.List(
        fields.String(validate=validate.OneOf(FULL_EVENT_TYPES)),
        required=True,
        validate=validate.Length(1, len(FULL_EVENT_TYPES)),
        metadata={"description": "event types to receive", "example": list(FULL_EVENT_TYPES)},
    )


class SubscriptionOut(Schema):
    id = fields.String(required=True)
    organisation = fields.String(required=True)
    url = fields.String(required=True)
    eventTypes = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    disabledReason = fields.String(allow_none=True)
    createdAt = UtcDateTime(required=True)


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(
        required=True,
        metadata={"description": "the signing secret (whsec_...): shown only in this answer"},
    )


class DeliveryAttemptOut(Schema):
    at = UtcDateTime(required=True)
    statusCode = fields.Integer(allow_none=True)
    durationMs = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class DeliveryOut(Schema):
    id = fields.String(required=True)
    eventId = fields.String(required=True, metadata={"description": "the CloudEvent id (webhook-id)"})
    eventType = fields.String(required=True)
    processInstanceId = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(DELIVERY_STATUSES)})
    attempts = fields.Integer(required=True)
    nextAttemptAt = UtcDateTime(allow_none=True)
    lastStatus = fields.Integer(allow_none=True)
    lastError = fields.String(allow_none=True)
    createdAt = UtcDateTime(required=True)
    deliveredAt = UtcDateTime(allow_none=True)
    attemptLog = fields.List(fields.Nested(DeliveryAttemptOut), required=True)


class DeliveryListQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


SubscriptionPage = page_of(SubscriptionOut, "SubscriptionPage")
DeliveryPage = page_of(DeliveryOut, "DeliveryPage")


def _shape(record: store.SubscriptionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "organisation": record.org_code,
        "url": record.url,
        "eventTypes": list(record.event_types),
        "active": record.active,
        "disabledReason": record.disabled_reason,
        "createdAt": record.created_at,
    }


def _scope(principal: Principal) -> str | None:
    """The organisation whose subscriptions the caller manages (None: all, for the beheerder)."""
    return None if principal.role == BEHEERDER else principal.org_code


def _visible(subscription_id: str) -> store.SubscriptionRecord:
    scope = _scope(current_principal())
    with services().db.connect() as conn:
        record = store.get_subscription(conn, subscription_id)
    if record is None or (scope is not None and record.org_code != scope):
        raise not_found()
    return record


@bp.post("/subscriptions")
@bp.auth_required(auth)
@require_roles(*MANAGERS)
@bp.input(SubscriptionIn)
@bp.output(SubscriptionCreated, status_code=201, description="Created; the secret is shown only now")
@bp.doc(
    summary="Subscribe to events",
    description="Events are CloudEvents 1.0 (NL GOV profile) signed per Standard Webhooks with the "
    "returned secret. A gemeente's subscription receives only events about its own status holders. "
    "The URL must be https and resolve to a public address. An organisation has at most "
    "`MAX_SUBSCRIPTIONS_PER_ORGANISATION` (default 20) subscriptions, and one URL receives each event "
    "type once: a subscription over the limit, or for a URL that an active subscription of the "
    "organisation already sends one of the event types to, answers 409.",
    responses=errors(400, 403, 409, 422),
)
def create_subscription(json_data: dict[str, Any]) -> Any:
    svc = services()
    principal = current_principal()
    url = json_data["url"].strip()
    try:
        resolve(url, allow_insecure=bool(svc.config.get("WEBHOOKS_ALLOW_INSECURE")))
    except UnsafeTargetError as exc:
        raise invalid("url", str(exc)) from exc
    event_types = list(dict.fromkeys(json_data["eventTypes"]))
    secret = new_secret()
    limit = int(svc.config.get("MAX_SUBSCRIPTIONS_PER_ORGANISATION") or 20)
    with write_connection(svc.db) as conn, conn.begin():
        existing = store.subscriptions_of(conn, principal.org_code)
        if len(existing) >= limit:
            raise ApiProblem(
                409,
                "Conflict",
                f"this organisation has {len(existing)} subscriptions, the most allowed is {limit}; "
                "delete one first",
            )
        for other in existing:
            overlap = set(other.event_types) & set(event_types)
            if other.active and _same_url(other.url, url) and overlap:
                raise ApiProblem(
                    409,
                    "Conflict",
                    f"subscription {other.id} already sends {', '.join(sorted(overlap))} to this URL",
                )
        record = store.insert_subscription(
            conn,
            subscription_id=str(uuid.uuid4()),
            org_code=principal.org_code,
            url=url,
            event_types=event_types,
            secret=seal(secret, svc.config.get("SECRET_KEY")),
            actor=principal.actor,
            now=svc.clock.now(),
        )
    return {**_shape(record), "secret": secret}, 201


def _same_url(a: str, b: str) -> bool:
    """URLs that reach the same receiver: scheme and host compared without case, default ports."""
    return check_url(a, allow_insecure=True) == check_url(b, allow_insecure=True)


@bp.get("/subscriptions")
@bp.auth_required(auth)
@require_roles(*MANAGERS)
@bp.input(PageQuery, location="query", unknown=RAISE)
@bp.output(SubscriptionPage)
@bp.doc(summary="Subscriptions the caller manages", responses=errors(403))
def list_subscriptions(query_data: dict[str, Any]) -> Any:
    number, size = int(query_data["page"]), int(query_data["pageSize"])
    with services().db.connect() as conn:
        records, total = store.list_subscriptions(
            conn, org_code=_scope(current_principal()), offset=(number - 1) * size, limit=size
        )
    body = {"items": [_shape(r) for r in records], "page": number, "pageSize": size, "total": total}
    return body, 200, {"Link": link_header(number, size, total)}


@bp.get("/subscriptions/<subscription_id>")
@bp.auth_required(auth)
@require_roles(*MANAGERS)
@bp.output(SubscriptionOut)
@bp.doc(summary="One subscription (without its secret)", responses=errors(403, 404))
def get_subscription(subscription_id: str) -> Any:
    return _shape(_visible(subscription_id))


@bp.delete("/subscriptions/<subscription_id>")
@bp.auth_required(auth)
@require_roles(*MANAGERS)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete a subscription",
    description="Nothing more is delivered; pending deliveries become dead. The log stays.",
    responses=errors(403, 404),
)
def delete_subscription(subscription_id: str) -> Any:
    record = _visible(subscription_id)
    svc = services()
    with write_connection(svc.db) as conn, conn.begin():
        if not store.delete_subscription(conn, record.id, svc.clock.now()):
            raise not_found()
    return "", 204


@bp.get("/subscriptions/<subscription_id>/deliveries")
@bp.auth_required(auth)
@require_roles(*MANAGERS)
@bp.input(DeliveryListQuery, location="query", unknown=RAISE)
@bp.output(DeliveryPage)
@bp.doc(
    summary="Deliveries of a subscription, newest first",
    description="Each with its status (pending, delivered, dead), attempt count and attempt log.",
    responses=errors(403, 404),
)
def list_deliveries(subscription_id: str, query_data: dict[str, Any]) -> Any:
    record = _visible(subscription_id)
    number, size = int(query_data["page"]), int(query_data["pageSize"])
    with services().db.connect() as conn:
        items, total = store.list_deliveries(
            conn, record.id, status=query_data.get("status"), offset=(number - 1) * size, limit=size
        )
    body = {"items": items, "page": number, "pageSize": size, "total": total}
    return body, 200, {"Link": link_header(number, size, total)}
