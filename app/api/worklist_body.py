"""The body of ``GET /tasks`` built straight from its rows: the JSON ``TaskPage`` writes, no schema dump.

The worklist is the most frequent read, and a page of 50 rows with their case headers cost a third
of the request's CPU in the response schema (marshmallow visits every field of every row through
several layers). Here each row becomes the same plain dict in one step: the keys in the schema's
order, times as RFC 3339 UTC with a ``Z`` (:func:`app.schemas.utc_text`, which the schema's own
date-time field uses), dates as ``YYYY-MM-DD``, ``naam`` and ``vNummer`` only for those who may see
them. ``TaskPage`` stays the documented response (OpenAPI); tests compare the two bodies
(``tests/api/test_worklist_body.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from flask import Response, current_app

from app.api.common import link_header
from app.auth import sees_identity
from app.schemas import utc_text
from storage.case_header import CaseHeader
from storage.listing import Page
from storage.orgs import Principal


def case_body(header: CaseHeader, identity: bool) -> dict[str, Any]:
    """``CaseHeaderOut`` of one header; ``identity``: with ``naam`` and ``vNummer``."""
    koppeldatum = header.koppeldatum
    if identity:
        return {
            "naam": header.naam,
            "vNummer": header.v_nummer,
            "azc": header.azc,
            "koppeldatum": None if koppeldatum is None else koppeldatum.isoformat(),
            "scenario": header.scenario,
            "gemeente": header.gemeente,
            "gemeenteNaam": header.gemeente_naam,
        }
    return {
        "azc": header.azc,
        "koppeldatum": None if koppeldatum is None else koppeldatum.isoformat(),
        "scenario": header.scenario,
        "gemeente": header.gemeente,
        "gemeenteNaam": header.gemeente_naam,
    }


def _utc(value: datetime) -> str:
    """:func:`utc_text` of a stored time (already aware UTC: nothing to convert)."""
    if value.tzinfo is UTC:
        return f"{value.replace(tzinfo=None).isoformat()}Z"
    return utc_text(value)  # type: ignore[return-value]


def task_items(rows: Any, principal: Principal, headers: Mapping[str, CaseHeader]) -> list[dict[str, Any]]:
    """``TaskOut`` of each row (the columns of ``storage.listing.TASK_LIST_COLUMNS``, in their
    order), with its case when known."""
    cases: dict[str, dict[str, Any]] = {}  # one body per case, shared by its tasks on the page
    identity: dict[str | None, bool] = {}  # sees_identity per gemeente, asked once
    items = []
    for task_id, element_id, name, lane, groups, assignee, due_at, created_at, instance_id, key in rows:
        item = {
            "id": task_id,
            "elementId": element_id,
            "name": name,
            "lane": lane,
            "candidateGroups": [str(group) for group in groups or ()],
            "assignee": assignee,
            "dueAt": None if due_at is None else _utc(due_at),
            "createdAt": _utc(created_at),
            "processInstanceId": instance_id,
            "processKey": key,
        }
        case = cases.get(instance_id)
        if case is None:
            header = headers.get(instance_id)
            if header is not None:
                sees = identity.get(header.gemeente)
                if sees is None:
                    sees = identity[header.gemeente] = sees_identity(principal, header.gemeente)
                case = cases[instance_id] = case_body(header, sees)
        if case is not None:
            item["case"] = case
        items.append(item)
    return items


def task_page_response(
    page: Page, number: int, size: int, principal: Principal, headers: Mapping[str, CaseHeader]
) -> Response:
    """The whole answer: ``{items, page, pageSize, total}`` with its ``Link`` header."""
    body = {
        "items": task_items(page.rows, principal, headers),
        "page": number,
        "pageSize": size,
        "total": page.total,
    }
    response = cast(Response, current_app.json.response(body))
    response.headers["Link"] = link_header(number, size, page.total)
    return response
