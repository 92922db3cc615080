"""Organisations, API tokens (stored as hashes) and tasklist users."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import ConflictError, NotFound
from storage.schema import api_tokens, organisations, users

ORG_KINDS = ("gemeente", "coa", "systeem")
ROLES = ("klantmanager", "casemanager", "procesontwerper", "beheerder", "systeem")
#: Which organisation kinds may hold which role (the contract's role table).
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    "klantmanager": ("gemeente",),
    "casemanager": ("coa",),
    "procesontwerper": ("coa", "systeem"),
    "beheerder": ("coa", "systeem"),
    "systeem": ("systeem",),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation, a role, and a name for the audit trail."""

    org_code: str
    org_kind: str
    role: str
    name: str
    #: the organisation's name, where the caller's credentials were read with it
    org_name: str | None = field(default=None, compare=False)

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}@{self.org_code}"

    @property
    def gemeente(self) -> str | None:
        """The gemeente this caller is confined to, or None when it may see all."""
        return self.org_code if self.org_kind == "gemeente" else None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_organisation(conn: Connection, code: str, name: str, kind: str, now: datetime) -> None:
    if kind not in ORG_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ORG_KINDS)}")
    try:
        with conn.begin_nested():
            conn.execute(insert(organisations).values(code=code, name=name, kind=kind, created_at=now))
    except IntegrityError as exc:
        raise ConflictError(f"organisation {code} exists") from exc


def get_organisation(conn: Connection, code: str) -> Any:
    return conn.execute(select(organisations).where(organisations.c.code == code)).first()


def is_registered_gemeente(conn: Connection, code: str) -> bool:
    """Whether ``code`` is a registered organisation of kind ``gemeente``."""
    org = get_organisation(conn, code)
    return org is not None and org.kind == "gemeente"


def _check_role(conn: Connection, org_code: str, role: str) -> Any:
    org = get_organisation(conn, org_code)
    if org is None:
        raise NotFound(f"no organisation {org_code}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise ValueError(f"role {role} is not for a {org.kind} organisation")
    return org


def create_token(
    conn: Connection, org_code: str, role: str, name: str, now: datetime, *, token: str | None = None
) -> str:
    """Create a bearer token; only its hash is stored. Returns the token (shown once).

    ``token`` stores a token made elsewhere (the demo derives its tokens from the secret key);
    by default a random one is made.
    """
    _check_role(conn, org_code, role)
    token = token or "dl_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(api_tokens).values(
            token_hash=hash_token(token), org_code=org_code, role=role, name=name, created_at=now
        )
    )
    return token


def token_exists(conn: Connection, token: str) -> bool:
    return (
        conn.execute(select(api_tokens.c.id).where(api_tokens.c.token_hash == hash_token(token))).first()
        is not None
    )


# built once: every request runs it
_PRINCIPAL = (
    select(
        api_tokens.c.role,
        api_tokens.c.name,
        organisations.c.code,
        organisations.c.kind,
        organisations.c.name.label("org_name"),
    )
    .join(organisations, organisations.c.code == api_tokens.c.org_code)
    .where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None))
)


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(_PRINCIPAL, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    return Principal(
        org_code=row.code, org_kind=row.kind, role=row.role, name=row.name, org_name=row.org_name
    )


def add_user(
    conn: Connection, username: str, org_code: str, role: str, password_hash: str, now: datetime
) -> None:
    _check_role(conn, org_code, role)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(users).values(
                    username=username,
                    org_code=org_code,
                    role=role,
                    password_hash=password_hash,
                    created_at=now,
                )
            )
    except IntegrityError as exc:
        raise ConflictError(f"user {username} exists") from exc


def get_user(conn: Connection, username: str) -> Any:
    return conn.execute(
        select(users, organisations.c.kind.label("org_kind"))
        .join(organisations, organisations.c.code == users.c.org_code)
        .where(users.c.username == username)
    ).first()


def end_sessions(conn: Connection, username: str) -> None:
    """Raise the user's session version: every session cookie issued before no longer counts."""
    conn.execute(
        update(users).where(users.c.username == username).values(session_version=users.c.session_version + 1)
    )
