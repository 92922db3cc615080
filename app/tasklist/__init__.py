"""The web tasklist for caseworkers: log in, see the werklijst, claim and complete tasks.

Pages are server-rendered (Jinja, plain CSS, no JavaScript). Users log in against the ``users``
table; the Flask session cookie holds the user name and a CSRF token that every POST form must
send back. The scope and lane rules are the API's (:mod:`app.api.tasks`): a klantmanager sees its
own gemeente's tasks in the Gemeente lane, a casemanager every gemeente's COA-lane tasks, a
beheerder everything. No page shows a business key (V-nummer) or BSN.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from apiflask import APIBlueprint
from flask import (
    Flask,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash

from app import db_connection, services
from app.auth import BEHEERDER, READERS, task_lane_for
from app.tasklist.dutch import dutch
from engine.camunda import is_expression
from engine.clock import LOCAL_ZONE
from engine.errors import FormValidationError, TaskNotOpenError
from storage import listing
from storage.errors import ConflictError, NotFound
from storage.orgs import Principal, get_user

F = TypeVar("F", bound=Callable[..., Any])

#: HTML pages, not part of the OpenAPI document.
bp = APIBlueprint(
    "tasklist",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
    enable_openapi=False,
)
root_bp = APIBlueprint("tasklist_root", __name__, enable_openapi=False)

PAGE_SIZE = 50
CONFLICT = "Deze taak is door iemand anders geclaimd of al afgerond."
#: Compared against when a user name is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
_CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def register_tasklist(app: Flask) -> None:
    """Mount the tasklist at ``/tasklist``, redirect ``/`` to it and secure the session cookie."""
    if not app.secret_key:
        app.secret_key = secrets.token_hex(32)  # per process: sessions end on restart
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.register_blueprint(bp, url_prefix="/tasklist")
    app.register_blueprint(root_bp)


@root_bp.get("/")
def root() -> Any:
    return redirect(url_for("tasklist.werklijst"))


# -- CSRF -----------------------------------------------------------------------------------------
def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


@bp.before_request
def _check_csrf() -> Any:
    if request.method != "POST":
        return None
    expected = session.get("csrf")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, sent):
        return _error_page(400, "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
    return None


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "tasklist.static":
        response.headers["Cache-Control"] = "no-store"
    return response


# -- login ----------------------------------------------------------------------------------------
def current_user() -> Principal | None:
    """The logged-in user, read again from the ``users`` table on every request."""
    if "user" in g:
        return g.user  # type: ignore[no-any-return]
    principal = None
    username = session.get("username")
    if isinstance(username, str):
        row = get_user(db_connection(), username)
        if row is not None and row.role in READERS:
            principal = Principal(org_code=row.org_code, org_kind=row.org_kind, role=row.role, name=username)
    g.user = principal
    return principal


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("tasklist.inloggen", volgende=request.path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/tasklist") and "//" not in target and "\\" not in target:
        return target
    return url_for("tasklist.werklijst")


@bp.route("/inloggen", methods=["GET", "POST"])
def inloggen() -> Any:
    volgende = request.values.get("volgende")
    if request.method == "GET":
        return render_template("inloggen.html", volgende=volgende, fout=None, gebruikersnaam="")
    username = request.form.get("gebruikersnaam", "").strip()[:200]
    password = request.form.get("wachtwoord", "")
    row = get_user(db_connection(), username) if username else None
    valid = check_password_hash(row.password_hash if row is not None else _DUMMY_HASH, password)
    if row is None or not valid:
        fout = "Onbekende gebruikersnaam of onjuist wachtwoord."
    elif row.role not in READERS:
        fout = "Met deze rol kunt u de tasklist niet gebruiken."
    else:
        session.clear()
        session["username"] = row.username
        csrf_token()
        return redirect(_safe_next(volgende), 303)
    page = render_template("inloggen.html", volgende=volgende, fout=fout, gebruikersnaam=username)
    return page, 401


@bp.post("/uitloggen")
def uitloggen() -> Any:
    session.clear()
    flash("U bent uitgelogd.")
    return redirect(url_for("tasklist.inloggen"), 303)


# -- werklijst ------------------------------------------------------------------------------------
def format_local(moment: datetime | None) -> str:
    """A time in Europe/Amsterdam, Dutch style: ``07-01-2027 10:00``."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_ZONE).strftime("%d-%m-%Y %H:%M")


@bp.get("")
@login_required
def werklijst() -> Any:
    user = current_user()
    assert user is not None
    try:
        pagina = max(1, int(request.args.get("pagina", "1")))
    except ValueError:
        pagina = 1
    page = listing.list_tasks(
        db_connection(),
        scope=user.gemeente,
        lane=task_lane_for(user),
        offset=(pagina - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    taken = [
        {
            "id": row.id,
            "naam": row.name,
            "baan": row.lane or "",
            "gemeente": row.gemeente or "",
            "vervaldatum": format_local(row.due_at),
            "toegewezen": row.assignee or "",
        }
        for row in page.rows
    ]
    laatste = max(1, -(-page.total // PAGE_SIZE))
    return render_template(
        "werklijst.html", user=user, taken=taken, totaal=page.total, pagina=pagina, laatste=laatste
    )


# -- one task -------------------------------------------------------------------------------------
def _error_page(status: int, melding: str) -> tuple[str, int]:
    return render_template("fout.html", user=current_user(), status=status, melding=melding), status


def _actionable(task_id: str, user: Principal) -> tuple[Any, tuple[str, int] | None]:
    """The open task if the user may act on it, else the page to answer (404, 409 or 403)."""
    conn = db_connection(fresh=True)
    row = listing.get_task(conn, task_id, scope=user.gemeente)
    if row is None:
        if listing.find_closed_task(conn, task_id, scope=user.gemeente) is not None:
            return None, _error_page(409, CONFLICT)
        return None, _error_page(404, "Deze taak bestaat niet of u mag hem niet zien.")
    lane = task_lane_for(user)
    if lane is not None and not listing.is_lane(row.lane, lane):
        return None, _error_page(403, "Deze taak hoort bij een andere baan; u kunt hem niet behandelen.")
    return row, None


def _shown_default(form_field: Mapping[str, Any]) -> Any:
    default = form_field.get("default")
    return None if isinstance(default, str) and is_expression(default) else default


def form_fields(
    row: Any, values: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The task's stored form fields, ready for the template, with the value each shows."""
    out = []
    for form_field in row.form or []:
        constraints = dict(form_field.get("constraints") or {})
        readonly = bool(constraints.get("readonly"))
        name = form_field.get("id")
        if readonly:
            value = current.get(name, _shown_default(form_field))
        elif values is not None:
            value = values.get(name)
        else:
            value = _shown_default(form_field)
        out.append(
            {
                "id": name,
                "label": form_field.get("label") or name,
                "type": form_field.get("type"),
                "required": bool(form_field.get("required")) and not readonly,
                "readonly": readonly,
                "options": list(form_field.get("options") or []),
                "constraints": constraints,
                "value": value,
            }
        )
    return out


def typed_values(row: Any, form: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as typed variables: long as int, boolean as bool, empty fields left out.

    Read-only fields are never sent. A long that is not a whole number goes through as text, so
    the engine's validation reports it like every other bad value.
    """
    variables: dict[str, Any] = {}
    for form_field in row.form or []:
        name = form_field.get("id")
        if (form_field.get("constraints") or {}).get("readonly"):
            continue
        kind = form_field.get("type")
        if kind == "boolean":
            variables[name] = name in form
            continue
        raw = form.get(name, "")
        if raw.strip() == "":
            continue
        if kind == "long":
            try:
                variables[name] = int(raw.strip())
            except ValueError:
                variables[name] = raw
        elif kind == "date":
            variables[name] = raw.strip()
        else:
            variables[name] = raw
    return variables


def _render_task(
    row: Any,
    user: Principal,
    *,
    values: Mapping[str, Any] | None = None,
    fouten: Mapping[str, list[str]] | None = None,
    algemeen: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    instance = listing.get_instance(db_connection(), row.instance_id, scope=user.gemeente)
    current = dict(instance.variables or {}) if instance is not None else {}
    page = render_template(
        "taak.html",
        user=user,
        taak=row,
        vervaldatum=format_local(row.due_at),
        velden=form_fields(row, values, current),
        fouten=fouten or {},
        algemeen=algemeen or [],
        eigen=row.assignee == user.name,
    )
    return page, status


@bp.get("/taken/<task_id>")
@login_required
def taak(task_id: str) -> Any:
    user = current_user()
    assert user is not None
    row, refusal = _actionable(task_id, user)
    if refusal is not None:
        return refusal
    return _render_task(row, user)


@bp.post("/taken/<task_id>")
@login_required
def taak_actie(task_id: str) -> Any:
    user = current_user()
    assert user is not None
    row, refusal = _actionable(task_id, user)
    if refusal is not None:
        return refusal
    actie = request.form.get("actie")
    workflow = services().workflow
    try:
        if actie == "claimen":
            workflow.claim(task_id, user.name)
            flash("U heeft de taak geclaimd.")
            return redirect(url_for("tasklist.taak", task_id=task_id), 303)
        if actie == "vrijgeven":
            workflow.unclaim(task_id, user.name, force=user.role == BEHEERDER)
            flash("De taak is vrijgegeven.")
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
        return _render_task(
            row, user, values=request.form.to_dict(), fouten=fouten, algemeen=algemeen, status=422
        )
    except (ConflictError, TaskNotOpenError, NotFound):
        return _error_page(409, CONFLICT)
    return _error_page(400, "Onbekende actie.")
