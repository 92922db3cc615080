"""Incidents (beheerder): work that failed and waits for an operator, and its retry."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields
from marshmallow import RAISE, validate

from app import db_connection, services
from app.api.common import errors, offset_of, paged
from app.auth import BEHEERDER, auth, current_principal, require_roles
from app.problems import not_found
from app.schemas import ID_PATTERN, PageQuery, UtcDateTime, page_of
from storage import incidents as store
from storage.db import write_connection

bp = APIBlueprint("incidents", __name__, tag="Incidents")


class IncidentOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(
        required=True,
        metadata={
            "description": "what failed: `timer` (a timer step), `external-task` (no retries left) or "
            "`delivery` (a webhook delivery that died)",
            "example": "timer",
        },
    )
    status = fields.String(required=True, metadata={"enum": list(store.STATUSES)})
    processInstanceId = fields.String(allow_none=True)
    elementId = fields.String(allow_none=True, metadata={"description": "the diagram element that failed"})
    subjectId = fields.String(
        allow_none=True, metadata={"description": "the timer, external task or delivery that failed"}
    )
    message = fields.String(required=True, metadata={"description": "why it failed"})
    createdAt = UtcDateTime(required=True)
    resolvedAt = UtcDateTime(allow_none=True)
    resolvedBy = fields.String(allow_none=True)


IncidentPage = page_of(IncidentOut, "IncidentPage")


class IncidentListQuery(PageQuery):
    processInstanceId = fields.String(validate=validate.Length(1, 100))
    status = fields.String(validate=validate.OneOf(store.STATUSES))
    kind = fields.String(validate=validate.Regexp(ID_PATTERN))


def incident_shape(incident: store.Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "kind": incident.kind,
        "status": incident.status,
        "processInstanceId": incident.instance_id,
        "elementId": incident.element_id,
        "subjectId": incident.subject_id,
        "message": incident.message,
        "createdAt": incident.created_at,
        "resolvedAt": incident.resolved_at,
        "resolvedBy": incident.resolved_by,
    }


@bp.get("/incidents")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(IncidentListQuery, location="query", unknown=RAISE)
@bp.output(IncidentPage)
@bp.doc(
    summary="Incidents, newest first (beheerder)",
    description=(
        "Steps that failed and wait for an operator: a timer step over its budget or failing again and "
        "again, an external task without retries left, a webhook delivery that died. Filters "
        "`processInstanceId`, `status` (`open` or `resolved`) and `kind`."
    ),
    responses=errors(403, 422),
)
def list_incidents(query_data: dict[str, Any]) -> Any:
    number, size, offset = offset_of(query_data)
    page = store.list_incidents(
        db_connection(),
        instance_id=query_data.get("processInstanceId"),
        status=query_data.get("status"),
        kind=query_data.get("kind"),
        offset=offset,
        limit=size,
    )
    return paged(page, number, size, incident_shape)


@bp.get("/incidents/<incident_id>")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.output(IncidentOut)
@bp.doc(summary="One incident (beheerder)", responses=errors(403, 404))
def get_incident(incident_id: str) -> Any:
    incident = store.get_incident(db_connection(), incident_id)
    if incident is None:
        raise not_found()
    return incident_shape(incident)


@bp.post("/incidents/<incident_id>/retry")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.output(IncidentOut, description="Resolved; its work is due again at once")
@bp.doc(
    summary="Retry the failed work once its cause is fixed (beheerder)",
    description=(
        "Resolves the incident and makes its work due again: the worker fires the held timers, "
        "redelivers the webhook or offers the external task again within its next poll. If it fails "
        "again, a new incident opens. An incident that is no longer open answers 409."
    ),
    responses=errors(403, 404, 409),
)
def retry_incident(incident_id: str) -> Any:
    principal = current_principal()
    svc = services()
    with write_connection(svc.db) as conn, conn.begin():
        incident = store.retry_incident(conn, incident_id, now=svc.clock.now(), by=principal.actor)
    return incident_shape(incident)
