"""``GET /tasks`` builds its body without the response schema: the same JSON, byte for byte.

The expected body is what the documented schema (``TaskPage``) writes for the rows that
``task_summary`` shapes, as every list of the API answers; the worklist must not differ from it in
a key, a key's place, a time's form or who sees a name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.api.common import paged, task_summary
from app.auth import task_lane_for
from app.schemas import TaskPage
from storage import listing
from storage.case_header import case_headers
from storage.orgs import Principal
from tests.api.conftest import CALLERS, Api

ORG_KINDS = {"GM0344": "gemeente", "GM0363": "gemeente", "COA": "coa", "SYSTEEM": "systeem"}


def _schema_body(api: Api, who: str, query: dict[str, Any]) -> tuple[str, str]:
    """The body and ``Link`` the schema path gives for the same page."""
    role, org = CALLERS[who]
    principal = Principal(org_code=org, org_kind=ORG_KINDS[org], role=role, name=f"{who}-token")
    number, size = int(query.get("page", 1)), int(query.get("pageSize", 50))
    path = "/api/v1/tasks?" + "&".join(f"{k}={v}" for k, v in query.items())
    with api.app.test_request_context(path), api.db.connect() as conn:
        page = listing.list_tasks(
            conn,
            scope=principal.gemeente,
            lane=task_lane_for(principal),
            offset=(number - 1) * size,
            limit=size,
        )
        headers = case_headers(conn, [r.instance_id for r in page.rows], scope=principal.gemeente)
        body, _, link = paged(
            page, number, size, lambda r: task_summary(r, principal, headers.get(r.instance_id))
        )
        return api.app.json.response(TaskPage().dump(body)).get_data(as_text=True), link["Link"]


def test_the_worklist_body_is_the_schemas_byte_for_byte(any_db_api: Api) -> None:
    api = any_db_api
    api.start("1234567890", "GM0344", naam="Amira Haddad", azc="AZC-ZWL", koppeldatum="2027-01-04")
    api.clock.advance(timedelta(seconds=1, microseconds=250))
    second = api.start("1234567891", "GM0344", naam="  ", koppeldatum="2027-02-30")  # no date
    api.start("1234567892", "GM0363")
    api.clock.advance(timedelta(minutes=5))
    api.start("1234567893", "GM0344", naam="Jan de Vries", azc="AZC-TA")
    assert api.post(f"/tasks/{api.open_task(second)['id']}/claim", "km").status_code == 200
    for who in ("km", "km_foreign", "cm", "bh"):
        for query in ({}, {"pageSize": 1}, {"page": 2, "pageSize": 2}):
            path = "/tasks?" + "&".join(f"{k}={v}" for k, v in query.items())
            response = api.get(path, who)
            assert response.status_code == 200
            body, link = _schema_body(api, who, query)
            assert response.get_data(as_text=True) == body, (who, query)
            assert response.headers["Link"] == link
            assert response.mimetype == "application/json"
