"""Bearer-token authentication and the contract's role table.

``auth`` is the APIFlask security scheme (documented as HTTP bearer in the OpenAPI document); a
view states its roles with :func:`require_roles`, which answers 403 for any other role. The rules
that depend on the row (own gemeente, lane of a task) live in the views, on rows read with the
caller's gemeente already in the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from apiflask import HTTPTokenAuth
from flask import g, request

from app import db_connection
from app.problems import ApiProblem
from storage.orgs import Principal, principal_for_token

F = TypeVar("F", bound=Callable[..., Any])

KLANTMANAGER = "klantmanager"
CASEMANAGER = "casemanager"
PROCESONTWERPER = "procesontwerper"
BEHEERDER = "beheerder"
SYSTEEM = "systeem"

#: Who may read instances, tasks and timers (a klantmanager only of its own gemeente).
READERS = (KLANTMANAGER, CASEMANAGER, BEHEERDER)
#: Roles that see whose case it is (V-nummer as business key, and naam); a klantmanager only of
#: its own gemeente's status holders (see :func:`sees_identity`).
SEES_IDENTITY = frozenset({KLANTMANAGER, CASEMANAGER, BEHEERDER, SYSTEEM})

auth = HTTPTokenAuth(scheme="Bearer", description="A token from `inburgering token create`")


@auth.verify_token
def _verify_token(token: str) -> Principal | None:
    if not token or len(token) > 200:
        return None
    # on the request's read connection: the token check opens the request's one read transaction
    principal = principal_for_token(db_connection(), token.strip())
    if principal is not None:
        g.principal = principal
    return principal


def current_principal() -> Principal:
    """The authenticated caller of this request; 401 when there is none."""
    principal = getattr(g, "principal", None)
    if principal is not None:
        return principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            401, "Unauthorized", "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = _verify_token(token.strip())
    if principal is None:
        raise ApiProblem(
            401, "Unauthorized", "the token is not valid", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def require_roles(*roles: str) -> Callable[[F], F]:
    """Allow only callers holding one of ``roles`` (401 without a valid token, 403 with another role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal.role not in roles:
                raise ApiProblem(403, "Forbidden", f"the role {principal.role} may not do this")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def may_see_gemeente(principal: Principal, gemeente: str | None) -> bool:
    """A gemeente's people are visible to that gemeente and to COA/systeem organisations only."""
    return principal.gemeente is None or principal.gemeente == gemeente


def sees_identity(principal: Principal, gemeente: str | None) -> bool:
    """Whether ``principal`` may see the naam and V-nummer of a status holder of ``gemeente``."""
    return principal.role in SEES_IDENTITY and may_see_gemeente(principal, gemeente)


def gemeente_scope(principal: Principal) -> str | None:
    """The gemeente every read of this caller is confined to (None: all of them)."""
    return principal.gemeente


def task_lane_for(principal: Principal) -> str | None:
    """The lane whose tasks this caller acts on (None: every lane, for the beheerder)."""
    if principal.role == KLANTMANAGER:
        return "gemeente"
    if principal.role == CASEMANAGER:
        return "coa"
    return None
