"""Bearer-token authentication and the contract's role table."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app import services
from app.problems import ApiProblem
from storage.orgs import Principal, principal_for_token

F = TypeVar("F", bound=Callable[..., Any])


def current_principal() -> Principal:
    """The authenticated caller of this request; 401 when there is none."""
    principal = getattr(g, "principal", None)
    if principal is not None:
        return principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Unauthorized", "a bearer token is required")
    with services().db.connect() as conn:
        principal = principal_for_token(conn, token.strip())
    if principal is None:
        raise ApiProblem(401, "Unauthorized", "the token is not valid")
    g.principal = principal
    return principal


def require_roles(*roles: str) -> Callable[[F], F]:
    """Allow only callers holding one of ``roles`` (401 without a valid token, 403 with another role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal.role not in roles:
                raise ApiProblem(403, "Forbidden", f"role {principal.role} may not do this")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def may_see_gemeente(principal: Principal, gemeente: str | None) -> bool:
    """A gemeente's people are visible to that gemeente and to COA/systeem organisations only."""
    return principal.gemeente is None or principal.gemeente == gemeente
