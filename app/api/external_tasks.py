"""External tasks (systeem): Camunda 7's external task API for ``camunda:type="external"`` service tasks.

Bodies follow Camunda's REST API (``POST /external-task/fetchAndLock`` and friends): times of locks
are milliseconds, variables are Camunda's typed values ``{"value": ..., "type": ...}``. A task
locked by another worker answers 409 (Camunda answers 400), an unknown or finished task 404.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint, Schema, fields
from marshmallow import ValidationError, validate, validates

from app import processing_log, services
from app.api.common import errors
from app.api.process_instances import prefixed
from app.auth import SYSTEEM, auth, current_principal, require_roles, sees_identity
from app.schemas import StrictSchema, UtcDateTime
from engine.errors import FormValidationError
from storage.external_task_service import FetchTopic, LockedTask
from storage.external_task_store import MAX_LOCK

bp = APIBlueprint("external_tasks", __name__, tag="External tasks")

MAX_MS = int(MAX_LOCK.total_seconds() * 1000)


def worker_id() -> fields.String:
    return fields.String(required=True, validate=validate.Length(1, 200), metadata={"example": "worker-1"})


def typed(value: Any) -> dict[str, Any]:
    """A JSON value as Camunda's typed variable value."""
    if value is None:
        kind = "Null"
    elif isinstance(value, bool):
        kind = "Boolean"
    elif isinstance(value, int):
        kind = "Integer" if -(2**31) <= value < 2**31 else "Long"
    elif isinstance(value, float):
        kind = "Double"
    elif isinstance(value, str):
        kind = "String"
    else:
        return {"value": json.dumps(value), "type": "Json", "valueInfo": {}}
    return {"value": value, "type": kind, "valueInfo": {}}


class TypedVariables(fields.Dict):
    """``{name: {"value": v, "type": T}}`` in, ``{name: v}`` out; a ``Json`` string is parsed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.Dict(), load_default=dict, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        raw = super()._deserialize(value, attr, data, **kwargs)
        out: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}
        for name, item in raw.items():
            if "value" not in item:
                problems[name] = ['a typed value: {"value": ..., "type": ...}']
                continue
            unknown = set(item) - {"value", "type", "valueInfo"}
            if unknown:
                problems[name] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
                continue
            inner = item["value"]
            if item.get("type") == "Json" and isinstance(inner, str):
                try:
                    inner = json.loads(inner)
                except ValueError:
                    problems[name] = ["not valid JSON for type Json"]
                    continue
            out[name] = inner
        if problems:
            raise ValidationError(problems)
        return out


class FetchTopicIn(StrictSchema):
    topicName = fields.String(required=True, validate=validate.Length(1, 200))
    lockDuration = fields.Integer(
        required=True, validate=validate.Range(1, MAX_MS), metadata={"description": "milliseconds"}
    )
    variables = fields.List(
        fields.String(validate=validate.Length(1, 200)),
        allow_none=True,
        metadata={"description": "names of the variables to return; all when absent"},
    )
    localVariables = fields.Boolean(
        load_default=False,
        metadata={
            "description": "only the variables local to the task (its input parameters), as Camunda's; "
            "else every variable visible at the task"
        },
    )
    businessKey = fields.String(
        validate=validate.Length(1, 100),
        metadata={"description": "only tasks of instances with this business key"},
    )
    processDefinitionKey = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "only tasks of this process"}
    )
    processDefinitionKeyIn = fields.List(
        fields.String(validate=validate.Length(1, 200)),
        validate=validate.Length(1, 100),
        metadata={"description": "only tasks of these processes"},
    )
    deserializeValues = fields.Boolean(metadata={"description": "accepted; values are JSON"})


class FetchAndLockIn(StrictSchema):
    workerId = worker_id()
    maxTasks = fields.Integer(required=True, validate=validate.Range(1, 1000))
    usePriority = fields.Boolean(load_default=False)
    topics = fields.List(fields.Nested(FetchTopicIn), required=True, validate=validate.Length(1, 100))

    @validates("topics")
    def _distinct(self, topics: list[dict[str, Any]], **kwargs: Any) -> None:
        names = [t.get("topicName") for t in topics]
        if len(names) != len(set(names)):
            raise ValidationError("a topic is named more than once")


class LockedTaskOut(Schema):
    id = fields.String(required=True)
    topicName = fields.String(required=True)
    workerId = fields.String(required=True)
    lockExpirationTime = UtcDateTime(required=True)
    processInstanceId = fields.String(required=True)
    processDefinitionKey = fields.String(required=True)
    activityId = fields.String(required=True)
    retries = fields.Integer(allow_none=True)
    errorMessage = fields.String(allow_none=True)
    priority = fields.Integer(required=True)
    tenantId = fields.String(allow_none=True, metadata={"description": "the gemeente"})
    businessKey = fields.String(allow_none=True)
    variables = fields.Dict(
        keys=fields.String(), values=fields.Dict(), metadata={"description": "Camunda typed values"}
    )


class CompleteIn(StrictSchema):
    workerId = worker_id()
    variables = TypedVariables()
    localVariables = TypedVariables(
        metadata={"description": "accepted and dropped with the task, as Camunda"}
    )


class FailureIn(StrictSchema):
    workerId = worker_id()
    errorMessage = fields.String(validate=validate.Length(0, 2000), allow_none=True)
    errorDetails = fields.String(validate=validate.Length(0, 20000), allow_none=True)
    retries = fields.Integer(
        required=True, validate=validate.Range(0, 1000), metadata={"description": "0 opens an incident"}
    )
    retryTimeout = fields.Integer(
        load_default=0, validate=validate.Range(0, MAX_MS), metadata={"description": "milliseconds"}
    )


class BpmnErrorIn(StrictSchema):
    workerId = worker_id()
    errorCode = fields.String(required=True, validate=validate.Length(1, 200))
    errorMessage = fields.String(validate=validate.Length(0, 2000), allow_none=True)
    variables = TypedVariables()


class ExtendLockIn(StrictSchema):
    workerId = worker_id()
    newDuration = fields.Integer(
        required=True, validate=validate.Range(1, MAX_MS), metadata={"description": "milliseconds from now"}
    )


def _locked_shape(item: LockedTask, show_key: bool) -> dict[str, Any]:
    task = item.task
    return {
        "id": task.id,
        "topicName": task.topic,
        "workerId": task.worker_id,
        "lockExpirationTime": task.lock_expires_at,
        "processInstanceId": task.instance_id,
        "processDefinitionKey": task.process_key,
        "activityId": task.element_id,
        "retries": task.retries,
        "errorMessage": task.error_message,
        "priority": task.priority,
        "tenantId": task.gemeente,
        "businessKey": item.business_key if show_key else None,
        "variables": {name: typed(value) for name, value in item.variables.items()},
    }


def _process_keys(topic: dict[str, Any]) -> tuple[str, ...] | None:
    """Camunda's ``processDefinitionKey`` and ``processDefinitionKeyIn`` (both must match when given)."""
    keys: set[str] | None = None
    if topic.get("processDefinitionKey") is not None:
        keys = {topic["processDefinitionKey"]}
    if topic.get("processDefinitionKeyIn") is not None:
        wanted = set(topic["processDefinitionKeyIn"])
        keys = wanted if keys is None else keys & wanted
    return None if keys is None else tuple(sorted(keys))


@bp.post("/external-tasks/fetch-and-lock")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(FetchAndLockIn)
@bp.output(LockedTaskOut(many=True), description="The tasks now locked for this worker (maybe none)")
@bp.doc(
    summary="Fetch and lock external tasks of some topics",
    description="As Camunda's `POST /external-task/fetchAndLock`: up to `maxTasks` tasks of the "
    "topics that nobody holds a live lock on and that have retries left, oldest first (highest "
    "priority first with `usePriority`), each locked for its topic's `lockDuration` (ms). Workers "
    "fetching at once never get the same task; a lock that expired is fetched again.",
    responses=errors(400, 403, 413, 422),
)
def fetch_and_lock_external_tasks(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    topics = [
        FetchTopic(
            t["topicName"],
            timedelta(milliseconds=t["lockDuration"]),
            tuple(t["variables"]) if t.get("variables") is not None else None,
            process_keys=_process_keys(t),
            business_key=t.get("businessKey"),
            local_variables=t["localVariables"],
        )
        for t in json_data["topics"]
    ]
    locked = services().workflow.fetch_and_lock(
        worker_id=json_data["workerId"],
        max_tasks=json_data["maxTasks"],
        topics=topics,
        use_priority=json_data["usePriority"],
    )
    processing_log.record(processing_log.READ, sorted({item.task.instance_id for item in locked}))
    return [_locked_shape(item, sees_identity(principal, item.task.gemeente)) for item in locked]


@bp.post("/external-tasks/<string:task_id>/complete")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(CompleteIn)
@bp.output({}, status_code=204, description="Completed; the instance ran to its next wait state")
@bp.doc(
    summary="Complete an external task",
    description="The worker that holds (or last held) the lock completes it with `variables`, which "
    "become process variables; the instance runs to its next wait state before the answer. 409 "
    "when another worker holds the lock.",
    responses=errors(400, 403, 404, 409, 413, 422),
)
def complete_external_task(task_id: str, json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    try:
        record = services().workflow.complete_external_task(
            task_id, worker_id=json_data["workerId"], variables=json_data["variables"], actor=principal.actor
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    processing_log.record(processing_log.ENGINE, record.id)
    return "", 204


@bp.post("/external-tasks/<string:task_id>/failure")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(FailureIn)
@bp.output({}, status_code=204, description="Recorded")
@bp.doc(
    summary="Report a failed external task",
    description="Sets the task's `retries` and `errorMessage`; it is fetchable again after "
    "`retryTimeout` ms. With `retries` 0 it is fetched no more and an incident opens "
    "(`GET /incidents`; retrying the incident gives the task one retry).",
    responses=errors(400, 403, 404, 409, 413, 422),
)
def handle_external_task_failure(task_id: str, json_data: dict[str, Any]) -> Any:
    services().workflow.fail_external_task(
        task_id,
        worker_id=json_data["workerId"],
        error_message=json_data.get("errorMessage"),
        error_details=json_data.get("errorDetails"),
        retries=json_data["retries"],
        retry_timeout=timedelta(milliseconds=json_data["retryTimeout"]),
    )
    return "", 204


@bp.post("/external-tasks/<string:task_id>/bpmnError")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(BpmnErrorIn)
@bp.output({}, status_code=204, description="Thrown; the instance ran to its next wait state")
@bp.doc(
    summary="Report a BPMN error for an external task",
    description="Camunda's `handleBpmnError`: the worker that holds (or last held) the lock throws a "
    "BPMN error with `errorCode` (and `errorMessage`) at the task, after setting `variables` as "
    "process variables. A boundary error event or an error event sub-process catching the code takes "
    "over (its `camunda:errorCodeVariable`/`errorMessageVariable` are set); an error nothing catches "
    "ends the task's path, as Camunda ends its execution. 409 when another worker holds the lock.",
    responses=errors(400, 403, 404, 409, 413, 422),
)
def report_external_task_bpmn_error(task_id: str, json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    try:
        record = services().workflow.external_task_bpmn_error(
            task_id,
            worker_id=json_data["workerId"],
            error_code=json_data["errorCode"],
            error_message=json_data.get("errorMessage"),
            variables=json_data["variables"],
            actor=principal.actor,
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    processing_log.record(processing_log.ENGINE, record.id)
    return "", 204


@bp.post("/external-tasks/<string:task_id>/extend-lock")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(ExtendLockIn)
@bp.output({}, status_code=204, description="The lock now ends `newDuration` ms from now")
@bp.doc(
    summary="Extend the lock on an external task",
    description="Only the worker holding a live lock may extend it; an expired lock answers 409.",
    responses=errors(400, 403, 404, 409, 413, 422),
)
def extend_external_task_lock(task_id: str, json_data: dict[str, Any]) -> Any:
    services().workflow.extend_external_task_lock(
        task_id, worker_id=json_data["workerId"], duration=timedelta(milliseconds=json_data["newDuration"])
    )
    return "", 204
