"""Process instances: start (systeem), list and show (own gemeente only), history, terminate."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import url_for
from marshmallow import RAISE
from sqlalchemy import Connection

from app import db_connection, processing_log, services
from app.api.common import errors, instance_detail, instance_summary, offset_of, paged
from app.auth import (
    BEHEERDER,
    READERS,
    SYSTEEM,
    auth,
    current_principal,
    may_see_gemeente,
    require_roles,
)
from app.problems import ApiProblem, invalid, not_found
from app.schemas import (
    CalledInstances,
    HistoryPage,
    InstanceDetail,
    InstanceListQuery,
    InstancePage,
    InstanceStartIn,
    PageQuery,
)
from engine.errors import FormValidationError, NotFoundError
from storage import listing
from storage.case_header import case_header, case_headers, header_as_written
from storage.orgs import Principal, get_organisation
from storage.repository import InstanceRecord

bp = APIBlueprint("process_instances", __name__, tag="Process instances")


def detail_response(instance_id: str, principal: Principal) -> dict[str, Any]:
    """The instance as ``GET /process-instances/{id}`` shows it to ``principal`` (404 if foreign)."""
    conn = db_connection(fresh=True)
    row = listing.get_instance(conn, instance_id, scope=principal.gemeente)
    if row is None:
        raise not_found()
    return instance_detail(
        row,
        listing.tasks_of_instance(conn, row.id),
        listing.timers_of_instance(conn, row.id),
        principal,
        case_header(conn, row.id, scope=principal.gemeente),
    )


class StepAnswer:
    """The answer to a step, gathered in its write transaction: no read after the commit.

    Pass it as the step's ``also``: it writes the request's processing records with the step (so
    the step and its records commit together) and reads the case header there; the instance, its
    open tasks and timers come from what the step wrote. When the step threw signals (delivered
    after the commit) or wrote nothing, :meth:`body` reads the instance as ``GET`` does.
    """

    def __init__(
        self, principal: Principal, started: bool = False, names: dict[str, str] | None = None
    ) -> None:
        self.principal = principal
        self.started = started
        self.view: dict[str, Any] | None = None
        self.header: Any = None
        # organisation names already read in this request (the caller's own, a gemeente checked)
        self.names = dict(names or {})
        if principal.org_name is not None:
            self.names.setdefault(principal.org_code, principal.org_name)

    def __call__(self, conn: Connection, record: InstanceRecord, view: dict[str, Any]) -> None:
        extra = [(processing_log.START, [record.id])] if self.started else []
        processing_log.write_pending(conn, *extra, business_keys={record.id: record.business_key})
        known = False
        naam = self.names.get(record.gemeente or "")
        if naam is not None:  # the header from what was written: no read in the write transaction
            known, self.header = header_as_written(
                record.id,
                business_key=record.business_key,
                scenario=record.scenario,
                gemeente=record.gemeente,
                variables=record.variables,
                gemeente_naam=naam,
                scope=self.principal.gemeente,
            )
        if not known:
            self.header = case_header(conn, record.id, scope=self.principal.gemeente)
        self.view = view

    def body(self, record: InstanceRecord) -> dict[str, Any]:
        if self.view is None:
            return detail_response(record.id, self.principal)
        processing_log.written()
        if self.view.get("signals") or not may_see_gemeente(self.principal, record.gemeente):
            return detail_response(record.id, self.principal)
        return instance_detail(record, self.view["tasks"], self.view["timers"], self.principal, self.header)


def _organisation(code: str) -> Any:
    """The organisation row of ``code``, read once per process (rows never change), or None."""
    known = services().organisations
    org = known.get(code)
    if org is None:
        org = get_organisation(db_connection(), code)
        if org is not None:
            known[code] = org
    return org


def prefixed(exc: FormValidationError, prefix: str) -> ApiProblem:
    """Form problems as a 422 whose fields are paths in the request body."""
    return ApiProblem(
        422,
        "Validation failed",
        "the variables are not valid; see errors",
        [{"field": f"{prefix}.{p.field}" if p.field else prefix, "message": p.message} for p in exc.problems],
    )


@bp.post("/process-instances")
@bp.auth_required(auth)
@require_roles(SYSTEEM)
@bp.input(InstanceStartIn)
@bp.output(InstanceDetail, status_code=201, description="Started and run to its first wait state")
@bp.doc(
    summary="Start an instance for a status holder",
    description="`processKey` defaults to `doorlopende_lijn`. A second active instance with the same "
    "`businessKey` and `processKey` answers 409. A `gemeente` that is not a registered gemeente "
    "organisation answers 422.",
    responses=errors(400, 403, 409, 413, 422),
)
def start_instance(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    key, gemeente, variables = json_data["processKey"], json_data["gemeente"], json_data["variables"]
    if "gemeente" in variables and variables["gemeente"] != gemeente:
        raise invalid("variables.gemeente", "must equal gemeente")
    org = _organisation(gemeente)
    if org is None or org.kind != "gemeente":  # a registered gemeente
        raise invalid("gemeente", "is not a registered gemeente")
    workflow = services().workflow
    try:
        workflow.definition(key)
    except NotFoundError:
        raise invalid("processKey", "no process with this key is deployed") from None
    answer = StepAnswer(principal, started=True, names={org.code: org.name})
    try:
        record = workflow.start(
            key,
            business_key=json_data["businessKey"],
            gemeente=gemeente,
            variables=variables,
            actor=principal.actor,
            read=db_connection(),
            also=answer,
            initiator=principal.name,
        )
    except FormValidationError as exc:
        raise prefixed(exc, "variables") from None
    body = answer.body(record)
    return body, 201, {"Location": url_for(".get_instance", instance_id=record.id)}


@bp.get("/process-instances")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(InstanceListQuery, location="query", unknown=RAISE)
@bp.output(InstancePage)
@bp.doc(
    summary="Instances the caller may see",
    description="A klantmanager sees only its own gemeente's instances, whatever the filters say.",
    responses=errors(403),
)
def list_instances(query_data: dict[str, Any]) -> Any:
    principal = current_principal()
    number, size, offset = offset_of(query_data)
    page = listing.list_instances(
        db_connection(),
        scope=principal.gemeente,
        gemeente=query_data.get("gemeente"),
        status=query_data.get("status"),
        scenario=query_data.get("scenario"),
        offset=offset,
        limit=size,
    )
    headers = case_headers(db_connection(), [row.id for row in page.rows], scope=principal.gemeente)
    processing_log.record(processing_log.READ, [row.id for row in page.rows])
    return paged(page, number, size, lambda row: instance_summary(row, principal, headers.get(row.id)))


@bp.get("/process-instances/<instance_id>")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.output(InstanceDetail)
@bp.doc(summary="One instance: active elements, variables, open tasks and timers", responses=errors(403, 404))
def get_instance(instance_id: str) -> Any:
    body = detail_response(instance_id, current_principal())
    processing_log.record(processing_log.READ, instance_id)
    return body


@bp.get("/process-instances/<instance_id>/history")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.input(PageQuery, location="query", unknown=RAISE)
@bp.output(HistoryPage)
@bp.doc(summary="The audit trail: who or what did which step, when", responses=errors(403, 404))
def get_history(instance_id: str, query_data: dict[str, Any]) -> Any:
    principal = current_principal()
    conn = db_connection()
    if listing.get_instance(conn, instance_id, scope=principal.gemeente) is None:
        raise not_found()
    processing_log.record(processing_log.READ, instance_id)
    number, size, offset = offset_of(query_data)
    page = listing.list_history(conn, instance_id, offset=offset, limit=size)
    return paged(page, number, size, _history_entry)


@bp.get("/process-instances/<instance_id>/called-instances")
@bp.auth_required(auth)
@require_roles(*READERS)
@bp.output(CalledInstances)
@bp.doc(
    summary="The running called instances (call activities), each with its own variables",
    description="A called process runs as an instance of its own, as in Camunda (its sub process "
    "instances): its variables are its own until its call activity ends and `camunda:out` maps them "
    "back. Listed outermost first; a call activity inside a called process names it in "
    "`superInstanceId`.",
    responses=errors(403, 404),
)
def get_called_instances(instance_id: str) -> Any:
    principal = current_principal()
    if listing.get_instance(db_connection(), instance_id, scope=principal.gemeente) is None:
        raise not_found()
    processing_log.record(processing_log.READ, instance_id)
    return {"items": services().workflow.called_instances(instance_id)}


@bp.post("/process-instances/<instance_id>/terminate")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.output(InstanceDetail, description="Terminated: every open task cancelled")
@bp.doc(summary="Terminate an instance (beheerder)", responses=errors(403, 404, 409))
def terminate_instance(instance_id: str) -> Any:
    principal = current_principal()
    if listing.get_instance(db_connection(), instance_id, scope=principal.gemeente) is not None:
        processing_log.record(processing_log.MANAGE, instance_id)
    services().workflow.terminate(instance_id, actor=principal.actor)
    return detail_response(instance_id, principal)


def _history_entry(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "elementId": row.element_id,
        "detail": dict(row.detail or {}),
    }
