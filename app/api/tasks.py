"""User tasks: the worklist, a task with its form, claim, unclaim and complete.

A klantmanager sees its own gemeente's tasks and acts on those in the Gemeente lane; a
casemanager sees every task and acts on the COA lane; a beheerder acts on every lane. The worklist
lists the tasks the caller may act on.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from marshmallow import RAISE

from app import db_connection, processing_log, services
from app.api.common import errors, offset_of, task_detail, task_summary
from app.api.process_instances import StepAnswer, prefixed
from app.api.worklist_body import task_page_response
from app.auth import BEHEERDER, READERS, auth, current_principal, require_roles, task_lane_for
from app.problems import ApiProblem, not_found
from app.schemas import CompleteIn, InstanceDetail, TaskDetail, TaskListQuery, TaskOut, TaskPage
from engine.errors import FormValidationError
from storage import listing
from storage.case_header import case_header, case_headers
from storage.errors import NotFound
from storage.orgs import Principal

bp = APIBlueprint("tasks", __name__, tag="Tasks")


def _actionable(task_id: str, principal: Principal) -> Any:
    """The open task if the caller may act on it: 404 unseen, 409 no longer open, 403 wrong lane."""
    conn = db_connection()
    row = listing.get_task(conn, task_id, scope=principal.gemeente)
    if row is None:
        if listing.find_closed_task(conn, task_id, scope=principal.gemeente) is not None:
            raise ApiProblem(409, "Conflict", "the task is no longer open")
        raise not_found()
    processing_log.record(processing_log.HANDLE, row.instance_id)
    lane = task_lane_for(principal)
    if lane is not None and not listing.is_lane(row.lane, lane):
        raise ApiProblem(403, "Forbidden", f"the role {principal.role} may not act on this lane's tasks")
    return row


def _user(principal: Principal) -> str:
    """Who a claim is for: the token's (or tasklist user's) name within its organisation."""
    return principal.name


@bp.get("/tasks")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(TaskListQuery, location="query", unknown=RAISE)
@bp.output(TaskPage)
@bp.doc(
    summary="Open user tasks the caller may act on",
    description="Oldest first. A filter that matches nothing (also a foreign or unknown "
    "`processInstanceId`) answers 200 with no items.",
    responses=errors(403),
)
def list_tasks(query_data: dict[str, Any]) -> Any:
    principal = current_principal()
    number, size, offset = offset_of(query_data)
    page = listing.list_tasks(
        db_connection(),
        scope=principal.gemeente,
        lane=task_lane_for(principal),
        candidate_group=query_data.get("candidateGroup"),
        assignee=query_data.get("assignee"),
        instance_id=query_data.get("processInstanceId"),
        element_id=query_data.get("elementId"),
        due_before=query_data.get("dueBefore"),
        offset=offset,
        limit=size,
    )
    instance_ids = [row.instance_id for row in page.rows]
    headers = case_headers(db_connection(), instance_ids, scope=principal.gemeente)
    processing_log.record(
        processing_log.READ, instance_ids, business_keys={i: h.v_nummer for i, h in headers.items()}
    )
    return task_page_response(page, number, size, principal, headers)


@bp.get("/tasks/<task_id>")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.output(TaskDetail)
@bp.doc(summary="An open task with its form", responses=errors(403, 404))
def get_task(task_id: str) -> Any:
    principal = current_principal()
    conn = db_connection()
    row = listing.get_task(conn, task_id, scope=principal.gemeente)
    if row is None:
        raise not_found()
    processing_log.record(processing_log.READ, row.instance_id)
    return task_detail(row, principal, case_header(conn, row.instance_id, scope=principal.gemeente))


@bp.post("/tasks/<task_id>/claim")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.output(TaskOut, description="Claimed by the caller")
@bp.doc(summary="Claim a task", responses=errors(403, 404, 409))
def claim_task(task_id: str) -> Any:
    principal = current_principal()
    _actionable(task_id, principal)
    try:
        services().workflow.claim(task_id, _user(principal))
    except NotFound:
        raise ApiProblem(409, "Conflict", "the task is no longer open") from None
    return _fresh(task_id, principal)


@bp.post("/tasks/<task_id>/unclaim")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.output(TaskOut, description="Unclaimed")
@bp.doc(
    summary="Give a claimed task back",
    description="A task claimed by someone else answers 409 (a beheerder may unclaim any task).",
    responses=errors(403, 404, 409),
)
def unclaim_task(task_id: str) -> Any:
    principal = current_principal()
    _actionable(task_id, principal)
    try:
        services().workflow.unclaim(task_id, _user(principal), force=principal.role == BEHEERDER)
    except NotFound:
        raise ApiProblem(409, "Conflict", "the task is no longer open") from None
    return _fresh(task_id, principal)


@bp.post("/tasks/<task_id>/complete")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(CompleteIn)
@bp.output(InstanceDetail, description="Completed; the instance as it now stands")
@bp.doc(
    summary="Complete a task with its form's variables",
    description="No prior claim is needed, but a task claimed by someone else answers 409. The "
    "variables are validated against the form (422 lists every bad field; nothing changes). A task "
    "that is no longer open answers 409.",
    responses=errors(400, 403, 404, 409, 413),
)
def complete_task(task_id: str, json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    row = _actionable(task_id, principal)
    answer = StepAnswer(principal)
    try:
        record = services().workflow.complete_task(
            task_id,
            json_data["variables"],
            actor=principal.actor,
            user=_user(principal),
            read=db_connection(),
            also=answer,
            task=row,
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    except NotFound:
        raise ApiProblem(409, "Conflict", "the task is no longer open") from None
    return answer.body(record)


def _fresh(task_id: str, principal: Principal) -> dict[str, Any]:
    conn = db_connection(fresh=True)
    row = listing.get_task(conn, task_id, scope=principal.gemeente)
    if row is None:
        raise ApiProblem(409, "Conflict", "the task is no longer open")
    return task_summary(row, principal, case_header(conn, row.instance_id, scope=principal.gemeente))
