"""The tasklist blueprint and what every page shares: login state, CSRF, headers, error pages."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from app import db_connection
from app.auth import READERS
from app.tasklist.sessions import configure_sessions
from engine.clock import LOCAL_ZONE
from storage.orgs import Principal, get_user

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

PREFIX = "/tasklist"
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

_CSP = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
#: POST endpoints that check the CSRF token themselves (to keep what was typed).
OWN_CSRF_CHECK = frozenset({"tasklist.taak_actie", "tasklist.inloggen"})


def register_tasklist(app: Flask) -> None:
    """Mount the tasklist at ``/tasklist``, redirect ``/`` to it and set up its sessions."""
    configure_sessions(app)
    app.register_blueprint(bp, url_prefix=PREFIX)
    app.register_blueprint(root_bp)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_allowed)


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


def csrf_valid() -> bool:
    """Whether the posted form carries this session's CSRF token."""
    expected = session.get("csrf")
    sent = request.form.get("csrf_token", "")
    return isinstance(expected, str) and bool(expected) and hmac.compare_digest(expected, sent)


@bp.before_request
def _check_csrf() -> Any:
    if request.method != "POST" or request.endpoint in OWN_CSRF_CHECK:
        return None
    if not csrf_valid():
        return error_page(400, "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
    return None


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "format_date": format_date}


@bp.after_request
def _page_headers(response: Response) -> Response:
    return page_headers(response)


def page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "tasklist.static":
        response.headers["Cache-Control"] = "no-store"
    return response


# -- who is logged in -----------------------------------------------------------------------------
def current_user() -> Principal | None:
    """The logged-in user, read again from the ``users`` table on every request.

    A cookie whose session version is older than the user's (after a logout) logs no one in.
    """
    if "user" in g:
        return g.user  # type: ignore[no-any-return]
    principal = None
    username = session.get("username")
    version = session.get("ver")
    if isinstance(username, str) and isinstance(version, int):
        row = get_user(db_connection(), username)
        if row is not None and row.role in READERS and row.session_version == version:
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


def the_user() -> Principal:
    """The logged-in user of a view behind :func:`login_required`."""
    user = current_user()
    assert user is not None
    return user


# -- dates and errors -----------------------------------------------------------------------------
def format_local(moment: datetime | None) -> str:
    """A time in Europe/Amsterdam, Dutch style: ``07-01-2027 10:00``."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_ZONE).strftime("%d-%m-%Y %H:%M")


def format_date(moment: Any) -> str:
    """A day, Dutch style (``dd-mm-jjjj``), from a datetime, a date or a ``YYYY-MM-DD`` text."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(LOCAL_ZONE).strftime("%d-%m-%Y")
    text = str(moment)
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}-{text[5:7]}-{text[0:4]}"
    return text


TITLES = {
    500: "Er ging iets mis",
    413: "Te groot",
    400: "Dat lukte niet",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Niet toegestaan",
    409: "Al gewijzigd",
    422: "Controleer uw invoer",
    429: "Even wachten",
}


def error_page(status: int, melding: str, headers: dict[str, str] | None = None) -> Any:
    page = render_template(
        "fout.html",
        user=current_user(),
        status=status,
        titel=TITLES.get(status, "Dat lukte niet"),
        melding=melding,
    )
    return page, status, headers or {}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    """An HTTP error inside a tasklist page: a Dutch page, not problem+json."""
    code = exc.code or 500
    texts = {
        413: "Wat u verstuurde is te groot.",
        404: "Deze pagina bestaat niet of u mag hem niet zien.",
        405: "Deze handeling kan op deze pagina niet.",
    }
    return error_page(code, texts.get(code, "Dat lukte niet. Probeer het opnieuw."))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Any:
    """A bug: logged with its traceback, answered with a Dutch page without internals."""
    log.error("unhandled error in a tasklist page", exc_info=exc)
    return error_page(
        500, "Er ging iets mis aan onze kant. Uw gegevens zijn niet gewijzigd; probeer het opnieuw."
    )


def _in_tasklist() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def _api_error(exc: HTTPException) -> Any:
    headers = dict(exc.get_headers())
    headers.pop("Content-Type", None)
    return current_app.error_callback(  # type: ignore[attr-defined]
        HTTPError(exc.code or 500, message=exc.name, headers=headers)
    )


def _not_found(exc: HTTPException) -> Any:
    if not _in_tasklist():
        return _api_error(exc)
    response = current_app.make_response(error_page(404, "Deze pagina bestaat niet of u mag hem niet zien."))
    return page_headers(response)


def _not_allowed(exc: HTTPException) -> Any:
    if not _in_tasklist():
        return _api_error(exc)
    allow = exc.get_headers()
    headers = {k: v for k, v in allow if k == "Allow"}
    response = current_app.make_response(error_page(405, "Deze handeling kan op deze pagina niet.", headers))
    return page_headers(response)
