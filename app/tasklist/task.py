"""One task: its page, and picking it up, handing it back and completing it, losing nothing typed.

A task nobody holds can be picked up (``oppakken``) before editing, or completed at once, which
picks it up and completes it in one step. What was typed survives every refusal: a validation
error shows it again with the errors; a conflict (someone else was first) and a form whose CSRF
token expired show it again on the page; a session that ended keeps it in the new session across
the login and shows it again after.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for

from app import db_connection, processing_log, services
from app.auth import BEHEERDER, task_lane_for
from app.tasklist.blueprint import bp, csrf_valid, current_user, error_page, login_required, the_user
from app.tasklist.case import header_view, task_deadlines
from app.tasklist.case_page import comments_view
from app.tasklist.dutch import dutch
from app.tasklist.forms import form_fields, typed_values
from app.tasklist.process_info import current_processes, instructions
from engine.errors import FormValidationError, TaskNotOpenError
from storage import listing
from storage.case_header import case_header
from storage.comments import MAX_COMMENT_LENGTH
from storage.errors import ConflictError, NotFound
from storage.orgs import Principal

GONE = "Deze taak is al afgerond of bestaat niet meer."
TAKEN = "Iemand anders heeft deze taak intussen opgepakt. Uw invoer staat hieronder nog."
EXPIRED = "Het formulier was verlopen. Uw invoer is bewaard: controleer het en verstuur het opnieuw."
#: Drafts kept in the session across a login are capped (the cookie must stay small).
MAX_CONCEPT_BYTES = 2500


def _actionable(task_id: str, user: Principal, values: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """The open task if the user may act on it, else the page to answer (404, 409 or 403)."""
    conn = db_connection(fresh=True)
    row = listing.get_task(conn, task_id, scope=user.gemeente)
    if row is None:
        if listing.find_closed_task(conn, task_id, scope=user.gemeente) is not None:
            return None, _gone_page(values)
        return None, error_page(404, "Deze taak bestaat niet of u mag hem niet zien.")
    lane = task_lane_for(user)
    if lane is not None and not listing.is_lane(row.lane, lane):
        return None, error_page(403, "Deze taak is voor een andere organisatie; u kunt hem niet behandelen.")
    return row, None


def _gone_page(values: Mapping[str, Any] | None) -> Any:
    kept = [(k, v) for k, v in (values or {}).items() if k not in ("csrf_token", "actie") and v]
    page = render_template(
        "fout.html", user=current_user(), status=409, titel="Al gewijzigd", melding=GONE, bewaard=kept
    )
    return page, 409


def _render_task(
    row: Any,
    user: Principal,
    *,
    values: Mapping[str, Any] | None = None,
    fouten: Mapping[str, list[str]] | None = None,
    algemeen: list[str] | None = None,
    melding: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    conn = db_connection()
    instance = listing.get_instance(conn, row.instance_id, scope=user.gemeente)
    current = dict(instance.variables or {}) if instance is not None else {}
    kop = header_view(case_header(conn, row.instance_id, scope=user.gemeente), user)
    processes = current_processes(conn)
    info = processes.get(row.process_key)
    now = services().clock.now()
    timers = listing.timers_of_instance(conn, row.instance_id)
    velden = form_fields(row, values, current)
    eigen = row.assignee == user.name
    vrij = row.assignee is None
    page = render_template(
        "taak.html",
        user=user,
        taak=row,
        kop=kop,
        termijnen=task_deadlines(row, timers, processes, now),
        instructies=instructions(info.documentation.get(row.element_id, "")) if info else [],
        velden=velden,
        fouten=fouten or {},
        algemeen=algemeen or [],
        melding=melding,
        eigen=eigen,
        vrij=vrij,
        bewerkbaar=eigen or vrij,
        beheerder=user.role == BEHEERDER,
        opmerkingen=comments_view(conn, row.instance_id, processes, row.id),
        max_opmerking=MAX_COMMENT_LENGTH,
    )
    return page, status


def _take_concept(task_id: str) -> tuple[dict[str, Any] | None, bool]:
    """The values kept for this task (and whether to say so), removed from the session."""
    concept = session.get("concept")
    if (
        isinstance(concept, dict)
        and concept.get("taak") == task_id
        and isinstance(concept.get("waarden"), dict)
    ):
        session.pop("concept", None)
        return dict(concept["waarden"]), bool(concept.get("melden"))
    return None, False


def _keep_concept(task_id: str, values: Mapping[str, Any], *, announce: bool = False) -> None:
    waarden = {k: v for k, v in values.items() if k not in ("csrf_token", "actie")}
    if len(json.dumps(waarden)) <= MAX_CONCEPT_BYTES:
        session["concept"] = {"taak": task_id, "waarden": waarden, "melden": announce}


@bp.get("/taken/<task_id>")
@login_required
def taak(task_id: str) -> Any:
    user = the_user()
    row, refusal = _actionable(task_id, user)
    if refusal is not None:
        return refusal
    processing_log.record(processing_log.READ, row.instance_id)
    concept, announce = _take_concept(task_id)
    melding = "Uw eerder ingevulde gegevens zijn teruggezet." if announce else None
    return _render_task(row, user, values=concept, melding=melding)


@bp.post("/taken/<task_id>")
def taak_actie(task_id: str) -> Any:
    values = request.form.to_dict()
    user = current_user()
    if user is None:  # the session ended: keep what was typed across the login
        session.clear()
        _keep_concept(task_id, values, announce=True)
        flash("Uw sessie was verlopen. Log opnieuw in; uw invoer is bewaard.")
        return redirect(url_for("tasklist.inloggen", volgende=url_for("tasklist.taak", task_id=task_id)), 303)
    row, refusal = _actionable(task_id, user, values)
    if refusal is not None:
        return refusal
    processing_log.record(processing_log.HANDLE, row.instance_id)
    if not csrf_valid():
        return _render_task(row, user, values=values, melding=EXPIRED, status=400)
    actie = request.form.get("actie")
    workflow = services().workflow
    try:
        if actie == "oppakken":
            workflow.claim(task_id, user.name)
            _keep_concept(task_id, values)
            flash("U heeft de taak opgepakt.")
            return redirect(url_for("tasklist.taak", task_id=task_id), 303)
        if actie == "teruggeven":
            workflow.unclaim(task_id, user.name, force=user.role == BEHEERDER)
            _keep_concept(task_id, values)
            flash("De taak is teruggegeven; iedereen kan hem nu oppakken.")
            return redirect(url_for("tasklist.taak", task_id=task_id), 303)
        if actie == "afronden":
            variables = typed_values(row, request.form)
            workflow.complete_task(
                task_id, variables, actor=user.actor, user=user.name, gemeente_scope=user.gemeente
            )
            flash(f"De taak '{row.name}' is afgerond.")
            return redirect(url_for("tasklist.werklijst"), 303)
    except FormValidationError as exc:
        names = {f.get("id") for f in row.form or []}
        fouten: dict[str, list[str]] = {}
        algemeen: list[str] = []
        for problem in exc.problems:
            melding = dutch(problem.message)
            if problem.field in names:
                fouten.setdefault(str(problem.field), []).append(melding)
            else:
                algemeen.append(melding)
        return _render_task(row, user, values=values, fouten=fouten, algemeen=algemeen, status=422)
    except (ConflictError, TaskNotOpenError, NotFound):
        fresh, refusal = _actionable(task_id, user, values)
        if refusal is not None:
            return refusal
        return _render_task(fresh, user, values=values, melding=TAKEN, status=409)
    return error_page(400, "Onbekende handeling.")
