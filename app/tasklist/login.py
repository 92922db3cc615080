"""Logging in and out of the tasklist, with throttling per user and per address.

Five wrong passwords for one user name (or twenty from one address) within fifteen minutes make
the next attempt wait 15 seconds, and every further failure doubles the wait up to 15 minutes. A
waiting attempt answers 429 with ``Retry-After`` and is not checked at all. Failed logins are
logged with the user name only when such a user exists, never with what was typed as a password
(nor a V-nummer typed in the wrong field).
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from app import db_connection, services
from app.auth import READERS
from app.tasklist.blueprint import bp, csrf_token, csrf_valid, current_user
from storage import login_throttle
from storage.db import write_connection
from storage.login_throttle import ThrottlePolicy, throttle_key
from storage.orgs import end_sessions, get_user

log = logging.getLogger(__name__)

USER_POLICY = ThrottlePolicy(free_failures=5)
ADDRESS_POLICY = ThrottlePolicy(free_failures=20)
#: Compared against when a user name is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
WRONG = "Onbekende gebruikersnaam of onjuist wachtwoord."
#: Kept in the session across a login, so the typed values of an expired task form survive.
KEPT_ACROSS_LOGIN = ("concept",)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/tasklist") and "//" not in target and "\\" not in target:
        return target
    return url_for("tasklist.werklijst")


def _login_page(
    fout: str | None, gebruikersnaam: str, status: int, headers: dict[str, str] | None = None
) -> Any:
    page = render_template(
        "inloggen.html",
        volgende=request.values.get("volgende"),
        fout=fout,
        gebruikersnaam=gebruikersnaam,
        user=None,
    )
    return page, status, headers or {}


def _wait_text(seconds: int) -> str:
    if seconds >= 120:
        return f"{math.ceil(seconds / 60)} minuten"
    return f"{seconds} {'seconde' if seconds == 1 else 'seconden'}"


@bp.route("/inloggen", methods=["GET", "POST"])
def inloggen() -> Any:
    if request.method == "GET":
        return _login_page(None, "", 200)
    username = request.form.get("gebruikersnaam", "").strip()[:200]
    if not csrf_valid():
        return _login_page("Het formulier was verlopen. Vul uw wachtwoord opnieuw in.", username, 400)
    password = request.form.get("wachtwoord", "")
    address = request.remote_addr or "onbekend"
    keys = [throttle_key("user", username), throttle_key("addr", address)]
    svc = services()
    now = svc.clock.now()
    with svc.db.begin() as conn:
        until = login_throttle.blocked_until(conn, keys, now)
    if until is not None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        log.warning("tasklist login refused while throttled (address %s)", address)
        return _login_page(
            f"Te veel mislukte pogingen. Wacht {_wait_text(seconds)} en probeer het dan opnieuw.",
            username,
            429,
            {"Retry-After": str(seconds)},
        )
    row = get_user(db_connection(), username) if username else None
    valid = check_password_hash(row.password_hash if row is not None else _DUMMY_HASH, password)
    if row is None or not valid:
        return _failed(keys, row is not None, username, address, now)
    if row.role not in READERS:
        return _login_page("Met deze rol kunt u de werklijst niet gebruiken.", username, 403)
    with write_connection(svc.db) as conn, conn.begin():
        login_throttle.clear_failures(conn, keys[0])
    kept = {name: session[name] for name in KEPT_ACROSS_LOGIN if name in session}
    session.clear()
    session.update(kept)
    session["username"] = row.username
    session["ver"] = int(row.session_version)
    csrf_token()
    return redirect(_safe_next(request.form.get("volgende")), 303)


def _failed(keys: list[str], known: bool, username: str, address: str, now: datetime) -> Any:
    with write_connection(services().db) as conn, conn.begin():
        until = login_throttle.record_failure(conn, keys[0], USER_POLICY, now)
        address_until = login_throttle.record_failure(conn, keys[1], ADDRESS_POLICY, now)
        login_throttle.purge_old(conn, now)
    who = username if known else "an unknown user name"
    log.warning("tasklist login failed for %s from %s", who, address)
    latest = max((t for t in (until, address_until) if t is not None), default=None)
    if latest is None:
        return _login_page(WRONG, username, 401)
    seconds = max(1, math.ceil((latest - now).total_seconds()))
    text = f"{WRONG} U kunt het over {_wait_text(seconds)} opnieuw proberen."
    return _login_page(text, username, 401, {"Retry-After": str(seconds)})


@bp.post("/uitloggen")
def uitloggen() -> Any:
    user = current_user()
    if user is not None:
        with write_connection(services().db) as conn, conn.begin():
            end_sessions(conn, user.name)
    session.clear()
    flash("U bent uitgelogd.")
    return redirect(url_for("tasklist.inloggen"), 303)
