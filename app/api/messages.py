"""Messages: correlate by name and business key (the TVS integration, role systeem)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from app import processing_log, services
from app.api.common import errors
from app.api.process_instances import prefixed
from app.auth import SYSTEEM, auth, current_principal, require_roles
from app.schemas import MessageIn, MessageOut
from engine.errors import FormValidationError

bp = APIBlueprint("messages", __name__, tag="Messages")


@bp.post("/messages")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(MessageIn)
@bp.output(MessageOut, description="Correlated; the instance ran to its next wait state")
@bp.doc(
    summary="Send a message to the instance waiting for it",
    description="The business key travels in the body only. 404 when no active instance waits for "
    "this message with this business key.",
    responses=errors(400, 403, 404, 409, 413),
)
def send_message(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    try:
        record = services().workflow.correlate(
            json_data["messageName"],
            json_data["businessKey"],
            json_data["variables"],
            actor=principal.actor,
            process_key=json_data.get("processKey"),
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    processing_log.record(processing_log.ENGINE, record.id)
    return {"processInstanceId": record.id}
