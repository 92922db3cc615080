"""Tasklist sessions: one signing key for every process and node, ended on the server at logout.

The Flask session cookie is signed with a key derived (HKDF) from ``INBURGERING_SECRET_KEY``, so
every gunicorn process and every node accepts the others' cookies. Without a secret key
(development) a random key is made once and kept in ``var/tasklist-session.key``; the processes
that start together agree on the first one written. The cookie carries the user name, the user's
session version and a CSRF token; logout raises the version in the ``users`` table, so a copied
cookie opens nothing after it. The cookie is ``Secure`` when the public address is https or the
request came over https (through a trusted proxy when ``INBURGERING_TRUSTED_PROXIES`` is set).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from app import API_PREFIX

KEY_FILE = "tasklist-session.key"
#: A signed cookie older than this no longer logs anyone in (a working day and a bit).
SESSION_LIFETIME = timedelta(hours=12)


def derive_key(secret: str) -> bytes:
    """The session signing key derived from a secret key (never the secret itself)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"doorlopende-lijn tasklist sessions"
    ).derive(str(secret).encode())


def session_key(config: Mapping[str, Any]) -> bytes:
    """The session signing key: derived from the secret key, else the one kept under ``var/``."""
    secret = config.get("SECRET_KEY")
    if secret:
        return derive_key(str(secret))
    return stored_key(Path(str(config.get("VAR_DIR") or "var")) / KEY_FILE)


def stored_key(path: Path) -> bytes:
    """The key in ``path``, made there first if there is none (the first process to write wins)."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode())
    finally:
        os.close(fd)
    try:
        os.link(draft, path)  # atomic: fails when another process was first
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    return bytes.fromhex(path.read_text().strip())


class TasklistSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` whenever the page was served over https.

    API requests authenticate with a bearer token and never read or write the session: they get
    Flask's null session, so the cookie is neither verified nor sent back on them.
    """

    def open_session(self, app: Flask, request: Request) -> Any:
        if request.path.startswith(API_PREFIX):
            return None  # Flask's null session
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        from flask import request

        configured = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return configured or _request_is_secure(request)


def _request_is_secure(request: Request | None) -> bool:
    try:
        return bool(request is not None and request.is_secure)
    except RuntimeError:  # outside a request
        return False


def configure_sessions(app: Flask) -> None:
    """Key, cookie flags, lifetime and (when configured) the trusted proxy of the tasklist session."""
    config = app.config
    app.secret_key = session_key(config)
    # During a key rotation, cookies signed with a key derived from a previous secret stay valid.
    config["SECRET_KEY_FALLBACKS"] = [derive_key(str(k)) for k in config.get("SECRET_KEY_PREVIOUS") or ()]
    app.session_interface = TasklistSessionInterface()
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    if str(config.get("PUBLIC_BASE_URL") or "").lower().startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = True
    proxies = int(config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
