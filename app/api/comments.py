"""Comments on a case or a task: read and written by whoever may see the case, kept in its history."""

from __future__ import annotations

import re
from typing import Any

from apiflask import APIBlueprint, Schema, fields
from flask import url_for
from marshmallow import RAISE, ValidationError, validate

from app import db_connection, processing_log, services
from app.api.common import errors, offset_of
from app.auth import READERS, auth, current_principal, require_roles
from app.problems import ApiProblem, not_found
from app.schemas import PageQuery, StrictSchema, UtcDateTime, page_of
from storage import comments as store
from storage import listing
from storage.db import write_connection

bp = APIBlueprint("comments", __name__, tag="Comments")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("must not contain control characters (line breaks and tabs are fine)")
    if not value.strip():
        raise ValidationError("must not be blank")


class CommentIn(StrictSchema):
    text = fields.String(
        required=True,
        validate=[validate.Length(1, store.MAX_COMMENT_LENGTH), _no_control_characters],
        metadata={
            "description": "the comment (at most 4000 characters)",
            "example": "Klant belt terug na de intake.",
        },
    )


class CommentOut(Schema):
    id = fields.Integer(required=True, metadata={"example": 42})
    at = UtcDateTime(required=True)
    author = fields.String(required=True, metadata={"example": "klantmanager:km utrecht@GM0344"})
    text = fields.String(required=True, metadata={"example": "Klant belt terug na de intake."})
    taskId = fields.String(
        allow_none=True, required=True, metadata={"description": "set on a task's comment"}
    )
    elementId = fields.String(allow_none=True, required=True, metadata={"example": "brede_intake"})
    processInstanceId = fields.String(required=True)


CommentPage = page_of(CommentOut, "CommentPage")


def _shape(comment: store.Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "at": comment.at,
        "author": comment.author,
        "text": comment.text,
        "taskId": comment.task_id,
        "elementId": comment.element_id,
        "processInstanceId": comment.instance_id,
    }


def _page(instance_id: str, query: dict[str, Any], task_id: str | None = None) -> Any:
    from app.api.common import link_header

    number, size, offset = offset_of(query)
    items, total = store.list_comments(
        db_connection(), instance_id, task_id=task_id, offset=offset, limit=size
    )
    body = {"items": [_shape(c) for c in items], "page": number, "pageSize": size, "total": total}
    return body, 200, {"Link": link_header(number, size, total)}


def _add(instance_id: str, text: str, task: Any = None) -> Any:
    svc = services()
    with write_connection(svc.db) as conn, conn.begin():
        comment = store.add_comment(
            conn,
            instance_id,
            text.strip(),
            author=current_principal().actor,
            now=svc.clock.now(),
            task_id=task.id if task is not None else None,
            element_id=task.element_id if task is not None else None,
        )
    return _shape(comment)


def _instance(instance_id: str) -> str:
    row = listing.get_instance(db_connection(), instance_id, scope=current_principal().gemeente)
    if row is None:
        raise not_found()
    return str(row.id)


def _task(task_id: str) -> Any:
    principal = current_principal()
    conn = db_connection()
    row = listing.get_task(conn, task_id, scope=principal.gemeente)
    if row is None:
        if listing.find_closed_task(conn, task_id, scope=principal.gemeente) is not None:
            raise ApiProblem(409, "Conflict", "the task is no longer open")
        raise not_found()
    return row


@bp.get("/process-instances/<instance_id>/comments")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(PageQuery, location="query", unknown=RAISE)
@bp.output(CommentPage)
@bp.doc(summary="Comments on a case and its tasks, oldest first", responses=errors(403, 404))
def list_instance_comments(instance_id: str, query_data: dict[str, Any]) -> Any:
    instance_id = _instance(instance_id)
    processing_log.record(processing_log.READ, instance_id)
    return _page(instance_id, query_data)


@bp.post("/process-instances/<instance_id>/comments")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(CommentIn)
@bp.output(CommentOut, status_code=201, description="Stored, and shown in the case's history")
@bp.doc(summary="Comment on a case", responses=errors(400, 403, 404, 413))
def add_instance_comment(instance_id: str, json_data: dict[str, Any]) -> Any:
    instance_id = _instance(instance_id)
    processing_log.record(processing_log.HANDLE, instance_id)
    body = _add(instance_id, json_data["text"])
    return body, 201, {"Location": url_for(".list_instance_comments", instance_id=instance_id)}


@bp.get("/tasks/<task_id>/comments")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(PageQuery, location="query", unknown=RAISE)
@bp.output(CommentPage)
@bp.doc(summary="Comments on an open task, oldest first", responses=errors(403, 404, 409))
def list_task_comments(task_id: str, query_data: dict[str, Any]) -> Any:
    task = _task(task_id)
    processing_log.record(processing_log.READ, task.instance_id)
    return _page(task.instance_id, query_data, task_id=task.id)


@bp.post("/tasks/<task_id>/comments")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(CommentIn)
@bp.output(CommentOut, status_code=201, description="Stored, and shown in the case's history")
@bp.doc(
    summary="Comment on an open task",
    description="Whoever may see the task may comment on it, whichever lane it is in.",
    responses=errors(400, 403, 404, 409, 413),
)
def add_task_comment(task_id: str, json_data: dict[str, Any]) -> Any:
    task = _task(task_id)
    processing_log.record(processing_log.HANDLE, task.instance_id)
    body = _add(task.instance_id, json_data["text"], task)
    return body, 201, {"Location": url_for(".list_task_comments", task_id=task.id)}
