"""Signals: ``POST /signals`` throws a signal to every waiting instance, as Camunda's ``POST /signal``."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from app import processing_log, services
from app.api.common import errors
from app.api.process_instances import prefixed
from app.auth import SYSTEEM, auth, current_principal, require_roles
from app.schemas import SignalIn
from engine.errors import FormValidationError

bp = APIBlueprint("signals", __name__, tag="Signals")


@bp.post("/signals")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(SignalIn)
@bp.output({}, status_code=204, description="Delivered to every receiver (none waiting is not an error)")
@bp.doc(
    summary="Throw a signal to every instance waiting for it",
    description="A broadcast, as Camunda's `POST /signal`: every active instance waiting for "
    "`signalName` (intermediate catch events, boundary events, event-based gateways, event "
    "subprocesses) receives it with `variables`, and every process whose start event waits for it "
    "starts a new instance, before the answer. With `gemeente`, only that gemeente's instances "
    "receive it and started instances belong to it; with `withoutTenantId`, only instances without "
    "a gemeente. A signal thrown inside a gemeente's instance reaches that gemeente's instances and "
    "instances without a gemeente, never another gemeente's.",
    responses=errors(400, 403, 413, 422),
)
def throw_signal(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    try:
        moved = services().workflow.throw_signal(
            json_data["signalName"],
            json_data["variables"],
            actor=principal.actor,
            gemeente=json_data.get("gemeente"),
            without_gemeente=bool(json_data.get("withoutTenantId")),
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    processing_log.record(processing_log.ENGINE, moved)
    return "", 204
