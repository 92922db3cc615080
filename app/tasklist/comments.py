"""Comments on a case or a task, from the case page and the task page (stored by storage/comments.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app import db_connection, processing_log, services
from app.tasklist.blueprint import bp, current_user, error_page, login_required, the_user
from storage import listing
from storage.comments import MAX_COMMENT_LENGTH, add_comment
from storage.db import write_connection


def _store(instance_id: str, text: str, *, task: Any = None) -> None:
    svc = services()
    with write_connection(svc.db) as conn, conn.begin():
        add_comment(
            conn,
            instance_id,
            text,
            author=the_user().actor,
            now=svc.clock.now(),
            task_id=task.id if task is not None else None,
            element_id=task.element_id if task is not None else None,
        )


def _text() -> tuple[str, Any]:
    """The posted comment, or the page that refuses it (keeping what was typed)."""
    text = request.form.get("opmerking", "").strip()
    if not text:
        return "", error_page(422, "Vul een opmerking in; er is niets opgeslagen.")
    if len(text) > MAX_COMMENT_LENGTH:
        page = render_template(
            "fout.html",
            user=current_user(),
            status=422,
            titel="Controleer uw invoer",
            melding=f"Een opmerking is hoogstens {MAX_COMMENT_LENGTH} tekens; er is niets opgeslagen.",
            bewaard=[("Opmerking", text)],
        )
        return "", (page, 422)
    return text, None


@bp.post("/dossiers/<instance_id>/opmerkingen")
@login_required
def opmerking_dossier(instance_id: str) -> Any:
    user = the_user()
    if listing.get_instance(db_connection(), instance_id, scope=user.gemeente) is None:
        return error_page(404, "Dit dossier bestaat niet of u mag het niet zien.")
    text, refusal = _text()
    if refusal is not None:
        return refusal
    processing_log.record(processing_log.HANDLE, instance_id)
    _store(instance_id, text)
    flash("Uw opmerking is opgeslagen.")
    return redirect(url_for("tasklist.dossier", instance_id=instance_id) + "#kop-opmerkingen", 303)


@bp.post("/taken/<task_id>/opmerkingen")
@login_required
def opmerking_taak(task_id: str) -> Any:
    user = the_user()
    task = listing.get_task(db_connection(), task_id, scope=user.gemeente)
    if task is None:
        return error_page(404, "Deze taak bestaat niet of u mag hem niet zien.")
    text, refusal = _text()
    if refusal is not None:
        return refusal
    processing_log.record(processing_log.HANDLE, task.instance_id)
    _store(task.instance_id, text, task=task)
    flash("Uw opmerking is opgeslagen.")
    return redirect(url_for("tasklist.taak", task_id=task_id) + "#kop-opmerkingen", 303)
