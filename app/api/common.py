"""Helpers the resource blueprints share: paging with ``Link``, row shapes and documented errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request

from storage.case_header import CaseHeader
from storage.listing import Page
from storage.orgs import Principal

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body is not valid JSON",
    401: "No token or an invalid token",
    403: "The caller's role may not do this",
    404: "No such resource, or not visible to the caller",
    409: "Conflict with the current state",
    413: "The request body is too large",
    415: "The body is not of a supported media type",
    422: "Validation failed: `errors` names every bad field",
    503: "Not configured for this (no TVS_WEBHOOK_SECRET), or processing failed: retry",
}


def errors(*codes: int) -> dict[int, str]:
    """Documented problem responses for ``@bp.doc(responses=...)``."""
    return {code: ERROR_DESCRIPTIONS[code] for code in codes}


def offset_of(query: Mapping[str, Any]) -> tuple[int, int, int]:
    page, size = int(query["page"]), int(query["pageSize"])
    return page, size, (page - 1) * size


def paged(
    page: Page, number: int, size: int, shape: Callable[[Any], dict[str, Any]]
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """``{items, page, pageSize, total}`` with an RFC 8288 ``Link`` header."""
    body = {"items": [shape(r) for r in page.rows], "page": number, "pageSize": size, "total": page.total}
    return body, 200, {"Link": link_header(number, size, page.total)}


def link_header(number: int, size: int, total: int) -> str:
    last = max(1, -(-total // size))
    args = {k: v for k, v in request.args.items(multi=True) if k not in ("page", "pageSize")}

    def url(n: int) -> str:
        return f"{request.path}?{urlencode([*args.items(), ('page', n), ('pageSize', size)])}"

    links = [f'<{url(1)}>; rel="first"']
    if number > 1:
        links.append(f'<{url(min(number - 1, last))}>; rel="prev"')
    if number < last:
        links.append(f'<{url(number + 1)}>; rel="next"')
    links.append(f'<{url(last)}>; rel="last"')
    return ", ".join(links)


# -- row shapes -----------------------------------------------------------------------------------
def case_shape(header: CaseHeader | None, principal: Principal) -> dict[str, Any] | None:
    """The case header as ``principal`` may see it: ``naam`` and ``vNummer`` only for those allowed."""
    from app.auth import sees_identity

    if header is None:
        return None
    out: dict[str, Any] = {}
    if sees_identity(principal, header.gemeente):
        out["naam"] = header.naam
        out["vNummer"] = header.v_nummer
    out.update(
        azc=header.azc,
        koppeldatum=header.koppeldatum,
        scenario=header.scenario,
        gemeente=header.gemeente,
        gemeenteNaam=header.gemeente_naam,
    )
    return out


def instance_summary(row: Any, principal: Principal, header: CaseHeader | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "processKey": row.process_key,
        "version": row.version,
        "gemeente": row.gemeente,
        "status": row.status,
        "scenario": row.scenario,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "endedAt": row.ended_at,
    }
    from app.auth import sees_identity

    if sees_identity(principal, row.gemeente):
        out["businessKey"] = row.business_key
    if header is not None:
        out["case"] = case_shape(header, principal)
    return out


def instance_detail(
    row: Any,
    tasks: Sequence[Any],
    timers: Sequence[Any],
    principal: Principal,
    header: CaseHeader | None = None,
) -> dict[str, Any]:
    out = instance_summary(row, principal, header)
    out.update(
        activeElements=list(row.active_elements or []),
        variables=dict(row.variables or {}),
        openTasks=[task_summary(t) for t in tasks],
        timers=[timer_shape(t) for t in timers],
    )
    return out


def task_summary(
    row: Any, principal: Principal | None = None, header: CaseHeader | None = None
) -> dict[str, Any]:
    out = {
        "id": row.id,
        "elementId": row.element_id,
        "name": row.name,
        "lane": row.lane,
        "candidateGroups": list(row.candidate_groups or []),
        "assignee": row.assignee,
        "dueAt": row.due_at,
        "createdAt": row.created_at,
        "processInstanceId": row.instance_id,
        "processKey": row.process_key,
    }
    if principal is not None and header is not None:
        out["case"] = case_shape(header, principal)
    return out


def task_detail(row: Any, principal: Principal, header: CaseHeader | None) -> dict[str, Any]:
    out = task_summary(row, principal, header)
    out.update(
        candidateUsers=list(row.candidate_users or []),
        followUpAt=row.follow_up_at,
        priority=row.priority if row.priority is not None else 50,
    )
    fields = []
    for field in row.form or []:
        fields.append(
            {
                "id": field.get("id"),
                "label": field.get("label") or field.get("id"),
                "type": field.get("type"),
                "required": bool(field.get("required")),
                "options": list(field.get("options") or []),
                "constraints": dict(field.get("constraints") or {}),
                "default": field.get("default"),
            }
        )
    out["form"] = {"fields": fields}
    return out


def timer_shape(row: Any) -> dict[str, Any]:
    shape = {
        "id": row.id,
        "processInstanceId": row.instance_id,
        "elementId": row.element_id,
        "dueAt": row.due_at,
    }
    if row.instance_id is None:  # a timer start event: it belongs to the process definition
        shape["processKey"] = getattr(row, "process_key", None)
        shape["version"] = getattr(row, "version", None)
    return shape
