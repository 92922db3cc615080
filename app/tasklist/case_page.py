"""The case page (dossier) of one status holder: where the process is, deadlines and history."""

from __future__ import annotations

from typing import Any

from flask import render_template

from app import db_connection, services
from app.tasklist.blueprint import bp, error_page, format_local, login_required, the_user
from app.tasklist.case import describe_deadline, header_view
from app.tasklist.process_info import current_processes
from storage import listing
from storage.case_header import case_header

HISTORY_LIMIT = 200


def _element_name(processes: dict[str, Any], element_id: str | None) -> str:
    if not element_id:
        return ""
    for info in processes.values():
        name = info.names.get(element_id)
        if name:
            return str(name)
    return element_id


@bp.get("/dossiers/<instance_id>")
@login_required
def dossier(instance_id: str) -> Any:
    user = the_user()
    conn = db_connection()
    instance = listing.get_instance(conn, instance_id, scope=user.gemeente)
    if instance is None:
        return error_page(404, "Dit dossier bestaat niet of u mag het niet zien.")
    kop = header_view(case_header(conn, instance_id, scope=user.gemeente), user)
    processes = current_processes(conn)
    now = services().clock.now()
    open_tasks = listing.tasks_of_instance(conn, instance_id)
    timers = [
        {
            "id": t.id,
            "naam": _element_name(processes, t.element_id),
            "element": t.element_id,
            "termijn": describe_deadline(t.due_at, t.due_at, None, now),
            "wanneer": format_local(t.due_at),
        }
        for t in listing.timers_of_instance(conn, instance_id)
    ]
    history = listing.list_history(conn, instance_id, limit=HISTORY_LIMIT)
    stappen = [
        {
            "wanneer": format_local(h.at),
            "wie": h.actor,
            "wat": h.action,
            "element": _element_name(processes, h.element_id),
        }
        for h in history.rows
    ]
    return render_template(
        "dossier.html",
        user=user,
        instance=instance,
        kop=kop,
        taken=open_tasks,
        timers=timers,
        stappen=stappen,
        meer=history.total > len(stappen),
    )
