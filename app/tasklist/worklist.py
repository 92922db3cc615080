"""The werklijst: the open tasks this user may act on, by deadline, with filters and search.

Filters are in the query string (nothing personal). A search for a naam or V-nummer is posted
and kept in the session, so it never appears in a URL, a log line or the browser history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import redirect, render_template, request, session, url_for

from app import db_connection, processing_log, services
from app.auth import KLANTMANAGER, task_lane_for
from app.tasklist.blueprint import bp, login_required, the_user
from app.tasklist.case import header_view, row_deadline
from app.tasklist.process_info import boundary_pairs, current_processes, task_kinds
from storage import worklist as store
from storage.case_header import case_headers
from storage.worklist import WorklistFilter

PAGE_SIZE = 25
VIEWS = {
    "alle": "Alle taken",
    "mijn": "Mijn taken",
    "open": "Niet opgepakt",
    "binnenkort": "Verloopt binnen 7 dagen",
}
MAX_SEARCH = 100


#: What werkzeug's default (path segment) converter leaves unquoted when it builds a URL.
_SEGMENT_SAFE = "!$&'()*+,/:;=@"


def link_builder(endpoint: str, argument: str) -> Callable[[str], str]:
    """``url_for(endpoint, argument=value)`` for the many rows of a page, the rule built once.

    The value is the rule's last segment, quoted as werkzeug quotes it; a rule of another shape
    falls back to ``url_for`` itself.
    """
    marker = "0"
    values: dict[str, Any] = {argument: marker}
    sample = url_for(endpoint, **values)
    if not sample.endswith(f"/{marker}"):
        return lambda value: url_for(endpoint, **{**values, argument: value})
    prefix = sample[: -len(marker)]
    return lambda value: prefix + quote(str(value), safe=_SEGMENT_SAFE)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("pagina", "1")))
    except ValueError:
        return 1


@bp.get("")
@login_required
def werklijst() -> Any:
    user = the_user()
    conn = db_connection()
    now = services().clock.now()
    view = request.args.get("weergave", "alle")
    if view not in VIEWS:
        view = "alle"
    processes = current_processes(conn)
    kinds = task_kinds(processes, task_lane_for(user))
    taak = request.args.get("taak") or None
    if taak is not None and taak not in dict(kinds):
        taak = None
    coa = user.role != KLANTMANAGER
    gemeenten = store.gemeenten(conn) if coa else []
    gemeente = request.args.get("gemeente") or None
    if not coa or gemeente not in {g.code for g in gemeenten}:
        gemeente = None
    zoek = session.get("zoek") if isinstance(session.get("zoek"), str) else None
    filters = WorklistFilter(
        assignee=user.name if view == "mijn" else None,
        unassigned=view == "open",
        deadline_before=now + timedelta(days=7) if view == "binnenkort" else None,
        element_id=taak,
        gemeente=gemeente,
        search=zoek,
    )
    pagina = _page_number()
    page = store.list_worklist(
        conn,
        scope=user.gemeente,
        lane=task_lane_for(user),
        boundaries=boundary_pairs(processes),
        filters=filters,
        offset=(pagina - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    laatste = max(1, -(-page.total // PAGE_SIZE))
    params: dict[str, Any] = {
        k: v for k, v in {"weergave": view, "taak": taak, "gemeente": gemeente}.items() if v
    }
    if view == "alle":
        params.pop("weergave")
    if pagina > laatste:  # past the end: show the last page rather than "no tasks"
        return redirect(url_for("tasklist.werklijst", **params, pagina=laatste), 303)
    instance_ids = [row.instance_id for row in page.rows]
    headers = case_headers(conn, instance_ids, scope=user.gemeente)
    processing_log.record(
        processing_log.READ, instance_ids, business_keys={i: h.v_nummer for i, h in headers.items()}
    )
    taak_link = link_builder("tasklist.taak", "task_id")
    dossier_link = link_builder("tasklist.dossier", "instance_id")
    taken = [
        {
            "id": row.id,
            "instance_id": row.instance_id,
            "link": taak_link(row.id),
            "dossier": dossier_link(row.instance_id),
            "naam": row.name,
            "toegewezen": row.assignee or "",
            "eigen": row.assignee == user.name,
            "kop": header_view(headers.get(row.instance_id), user),
            "termijn": row_deadline(row, processes, now),
        }
        for row in page.rows
    ]
    return render_template(
        "werklijst.html",
        user=user,
        taken=taken,
        totaal=page.total,
        pagina=pagina,
        laatste=laatste,
        weergaven=VIEWS,
        weergave=view,
        soorten=kinds,
        taak=taak,
        gemeenten=gemeenten,
        gemeente=gemeente,
        zoek=zoek,
        params=params,
    )


@bp.post("/zoeken")
@login_required
def zoeken() -> Any:
    """Keep the search term in the session (not in the URL) and show the werklijst."""
    term = request.form.get("zoekterm", "").strip()[:MAX_SEARCH]
    if request.form.get("actie") == "wissen" or not term:
        session.pop("zoek", None)
    else:
        session["zoek"] = term
    keep: dict[str, Any] = {k: v for k in ("weergave", "taak", "gemeente") if (v := request.form.get(k))}
    return redirect(url_for("tasklist.werklijst", **keep), 303)
