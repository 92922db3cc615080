"""Timers: pending timers (own gemeente only), fire now and reschedule (beheerder)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from marshmallow import RAISE

from app import db_connection, processing_log, services
from app.api.common import errors, offset_of, paged, timer_shape
from app.api.process_instances import detail_response
from app.auth import BEHEERDER, READERS, auth, current_principal, require_roles
from app.problems import not_found
from app.schemas import InstanceDetail, TimerListQuery, TimerOut, TimerPage, TimerPatchIn
from storage import listing

bp = APIBlueprint("timers", __name__, tag="Timers")


@bp.get("/timers")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(TimerListQuery, location="query", unknown=RAISE)
@bp.output(TimerPage)
@bp.doc(summary="Pending timers, soonest first", responses=errors(403))
def list_timers(query_data: dict[str, Any]) -> Any:
    principal = current_principal()
    number, size, offset = offset_of(query_data)
    page = listing.list_timers(
        db_connection(),
        scope=principal.gemeente,
        instance_id=query_data.get("processInstanceId"),
        due_before=query_data.get("dueBefore"),
        process_key=query_data.get("processKey"),
        start_events=query_data.get("startEvents"),
        offset=offset,
        limit=size,
    )
    processing_log.record(processing_log.READ, [row.instance_id for row in page.rows if row.instance_id])
    return paged(page, number, size, timer_shape)


@bp.post("/timers/<timer_id>/fire")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.output(InstanceDetail, description="Fired; the instance as it now stands")
@bp.doc(
    summary="Fire a timer now, as if it were due (beheerder)",
    description="A timer start event (`processInstanceId` null) starts a new instance now, which the "
    "answer shows; a cycle then takes its next time after the one it fired for.",
    responses=errors(403, 404, 409),
)
def fire_timer(timer_id: str) -> Any:
    principal = current_principal()
    row = _pending(timer_id)
    record = services().workflow.fire_timer(timer_id, actor=principal.actor)
    if row.instance_id is None:
        processing_log.record(processing_log.MANAGE, record.id)
    return detail_response(row.instance_id or record.id, principal)


@bp.patch("/timers/<timer_id>")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(TimerPatchIn)
@bp.output(TimerOut, description="Rescheduled (a due time in the past fires at once)")
@bp.doc(summary="Reschedule a timer (beheerder)", responses=errors(400, 403, 404, 409, 413))
def reschedule_timer(timer_id: str, json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    row = _pending(timer_id)
    services().workflow.reschedule_timer(timer_id, json_data["dueAt"], actor=principal.actor)
    return {**timer_shape(row), "dueAt": json_data["dueAt"]}


def _pending(timer_id: str) -> Any:
    row = listing.get_timer(db_connection(), timer_id, scope=None)
    if row is None:
        raise not_found()
    if row.instance_id is not None:
        processing_log.record(processing_log.MANAGE, row.instance_id)
    return row
