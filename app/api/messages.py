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
    "this message with this business key. As Camunda's correlate: a message that matches several "
    "waits (several instances, or several executions of one, such as a parallel multi-instance "
    "receive task) answers 409 and is delivered to none; with `all: true` it reaches every one "
    "(Camunda's correlateAll). When no instance waits (and no processInstanceId is given), the "
    "latest version of the process whose message start event waits for the message starts there, "
    "with the business key and variables (Camunda's correlate and startProcessInstanceByMessage).",
    responses=errors(400, 403, 404, 409, 413),
)
def send_message(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    workflow = services().workflow
    correlate = workflow.correlate_all if json_data["all"] else workflow.correlate
    try:
        reached = correlate(
            json_data["messageName"],
            json_data.get("businessKey"),
            json_data["variables"],
            actor=principal.actor,
            process_key=json_data.get("processKey"),
            instance_id=json_data.get("processInstanceId"),
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    records = reached if isinstance(reached, list) else [reached]
    for record in records:
        processing_log.record(processing_log.ENGINE, record.id)
    if not json_data["all"]:
        return {"processInstanceId": records[0].id}
    return {"processInstanceId": records[0].id, "processInstanceIds": [r.id for r in records]}
