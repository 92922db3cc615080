"""The case page (dossier) of one status holder: where the process is, deadlines, history.

The diagram is drawn in the browser with bpmn-js (served by us), with the current elements and the
ones already passed marked; the same facts are listed as text for those who do not see the
picture. A beheerder can fire a pending timer now or move it to another moment here.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from app import db_connection, processing_log, services
from app.auth import BEHEERDER
from app.tasklist.blueprint import bp, error_page, format_local, login_required, the_user
from app.tasklist.case import describe_deadline, header_view, when
from app.tasklist.forms import date_from_dutch
from app.tasklist.process_info import ProcessInfo, current_processes
from engine.clock import LOCAL_ZONE
from engine.errors import EngineError
from storage import dossier as dossier_store
from storage import listing
from storage.case_header import case_header
from storage.comments import MAX_COMMENT_LENGTH, list_comments
from storage.errors import ConflictError, NotFound
from storage.orgs import Principal

HISTORY_LIMIT = 200
#: Dutch words for the audit trail's actions.
ACTIONS = {
    "start": "Gestart",
    "task-completed": "Taak afgerond",
    "timer-fired": "Termijn verstreken",
    "timer-fire-requested": "Termijn direct laten verlopen",
    "timer-rescheduled": "Termijn verzet",
    "message-correlated": "Bericht ontvangen",
    "signal-received": "Signaal ontvangen",
    "signal-thrown": "Signaal gegeven",
    "scope-interrupted": "Onderbroken",
    "terminated": "Beëindigd",
    "completed": "Afgerond",
    "comment": "Opmerking",
}
MOMENTS = {
    "na-koppeling": "Na de koppeling",
    "na-voorinburgering": "Na de voorinburgering",
    "voor-warme-overdracht": "Vóór de warme overdracht",
    "bij-verhuizing": "Bij de verhuizing",
}
#: bpmn-js draws with inline styles: this page allows them (scripts stay 'self' only).
DIAGRAM_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def _element_name(processes: dict[str, ProcessInfo], element_id: str | None) -> str:
    if not element_id:
        return ""
    for info in processes.values():
        name = info.names.get(element_id)
        if name:
            return str(name)
    return element_id


def _actor(actor: str) -> str:
    """``klantmanager:km.utrecht@GM0344`` as ``km.utrecht (klantmanager)``; the system as such."""
    if actor.startswith("system"):
        return "het systeem"
    role, _, rest = actor.partition(":")
    name = rest.split("@")[0] if rest else role
    return f"{name} ({role})" if rest else actor


def _diagrams(instance: Any, processes: dict[str, ProcessInfo], done: set[str]) -> list[dict[str, Any]]:
    """The main process and every called process now running, with active and passed elements."""
    active = set(instance.active_elements or [])
    keys = [instance.process_key]
    main = processes.get(instance.process_key)
    if main is not None:
        keys += [key for element, key in main.called.items() if element in active and key in processes]
    out = []
    for key in dict.fromkeys(keys):
        info = processes.get(key)
        if info is None:
            continue
        ids = set(info.names)
        out.append(
            {
                "key": key,
                "naam": info.names.get(key) or key,
                "actief": sorted(active & ids),
                "afgerond": sorted((done & ids) - active),
            }
        )
    return out


def _visible_instance(instance_id: str, user: Principal) -> Any:
    return listing.get_instance(db_connection(fresh=True), instance_id, scope=user.gemeente)


def comments_view(
    conn: Any, instance_id: str, processes: dict[str, ProcessInfo], task_id: str | None = None
) -> list[Any]:
    comments, _total = list_comments(conn, instance_id, task_id=task_id, limit=HISTORY_LIMIT)
    return [
        {
            "wanneer": format_local(c.at),
            "wie": _actor(c.author),
            "taak": _element_name(processes, c.element_id) if c.task_id else "",
            "tekst": c.text,
        }
        for c in comments
    ]


@bp.get("/dossiers/<instance_id>")
@login_required
def dossier(instance_id: str) -> Any:
    user = the_user()
    conn = db_connection()
    instance = _visible_instance(instance_id, user)
    if instance is None:
        return error_page(404, "Dit dossier bestaat niet of u mag het niet zien.")
    processing_log.record(processing_log.READ, instance_id)
    processes = current_processes(conn)
    now = services().clock.now()
    done = dossier_store.done_elements(conn, instance_id)
    diagrams = _diagrams(instance, processes, done)
    timers = [
        {
            "id": t.id,
            "naam": _element_name(processes, t.element_id),
            "termijn": describe_deadline(t.due_at, t.due_at, None, now),
            "wanneer": when(t.due_at),
        }
        for t in listing.timers_of_instance(conn, instance_id)
    ]
    history = listing.list_history(conn, instance_id, limit=HISTORY_LIMIT)
    stappen = [
        {
            "wanneer": format_local(h.at),
            "wie": _actor(h.actor),
            "wat": ACTIONS.get(h.action, h.action),
            "element": _element_name(processes, h.element_id),
        }
        for h in history.rows
    ]
    momenten = [
        {
            "wanneer": format_local(m.created_at),
            "moment": MOMENTS.get(str((m.data or {}).get("moment")), str((m.data or {}).get("moment") or "")),
        }
        for m in dossier_store.klantprofiel_moments(conn, instance_id)
    ]
    active = sorted(
        {
            name
            for d in diagrams
            for element in d["actief"]
            if (name := processes[d["key"]].names.get(element))
            and element not in processes[d["key"]].boundary_ids
        }
    )
    html = render_template(
        "dossier.html",
        user=user,
        instance=instance,
        kop=header_view(case_header(conn, instance_id, scope=user.gemeente), user),
        taken=listing.tasks_of_instance(conn, instance_id),
        timers=timers,
        stappen=stappen,
        meer=history.total > len(stappen),
        momenten=momenten,
        diagrammen=diagrams,
        diagrammen_json=json.dumps(diagrams),
        actief=active,
        beheerder=user.role == BEHEERDER,
        opmerkingen=comments_view(conn, instance_id, processes),
        max_opmerking=MAX_COMMENT_LENGTH,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DIAGRAM_CSP
    return response


@bp.get("/dossiers/<instance_id>/diagrammen/<key>")
@login_required
def diagram(instance_id: str, key: str) -> Any:
    """The BPMN XML of a process this case runs (for the viewer on the case page)."""
    user = the_user()
    instance = _visible_instance(instance_id, user)
    if instance is None:
        return error_page(404, "Dit dossier bestaat niet of u mag het niet zien.")
    conn = db_connection()
    processes = current_processes(conn)
    main = processes.get(instance.process_key)
    allowed = {instance.process_key, *(main.called.values() if main is not None else ())}
    if key not in allowed:
        return error_page(404, "Dit diagram hoort niet bij dit dossier.")
    version = instance.version if key == instance.process_key else None
    document = listing.definition_document(conn, key, version)
    if document is None:
        return error_page(404, "Dit diagram is niet gevonden.")
    return Response(bytes(document.content), mimetype="application/xml")


def _parse_moment(datum: str, tijd: str) -> datetime | None:
    try:
        day = datetime.strptime(date_from_dutch(datum), "%Y-%m-%d").date()
        clock = datetime.strptime(tijd.strip() or "00:00", "%H:%M").time() if tijd.strip() else time(0, 0)
    except ValueError:
        return None
    return datetime.combine(day, clock, tzinfo=LOCAL_ZONE)


@bp.post("/dossiers/<instance_id>/termijnen/<timer_id>")
@login_required
def termijn(instance_id: str, timer_id: str) -> Any:
    """Beheerder: fire a pending timer now (``actie=nu``) or move it (``actie=verzetten``)."""
    user = the_user()
    instance = _visible_instance(instance_id, user)
    timer = listing.get_timer(db_connection(), timer_id, scope=user.gemeente) if instance else None
    if instance is None or timer is None or timer.instance_id != instance_id:
        return error_page(404, "Deze termijn bestaat niet of u mag hem niet zien.")
    processing_log.record(processing_log.MANAGE, instance_id)
    if user.role != BEHEERDER:
        return error_page(403, "Alleen een beheerder kan een termijn laten verlopen of verzetten.")
    workflow = services().workflow
    actie = request.form.get("actie")
    try:
        if actie == "nu":
            workflow.fire_timer(timer_id, actor=user.actor)
            flash("De termijn is direct verlopen; het proces is verder gegaan.")
        elif actie == "verzetten":
            moment = _parse_moment(request.form.get("datum", ""), request.form.get("tijd", ""))
            if moment is None:
                return error_page(
                    422,
                    "Vul een datum in als dd-mm-jjjj en eventueel een tijd als uu:mm. Er is niets verzet.",
                )
            workflow.reschedule_timer(timer_id, moment, actor=user.actor)
            flash(f"De termijn is verzet naar {when(moment)}.")
        else:
            return error_page(400, "Onbekende handeling.")
    except (ConflictError, NotFound):
        return error_page(409, "Deze termijn is intussen al verlopen of gewijzigd.")
    except EngineError as exc:
        return error_page(422, f"Dat kon niet: {exc}")
    return redirect(url_for("tasklist.dossier", instance_id=instance_id), 303)
