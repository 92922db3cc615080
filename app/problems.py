"""The one place that turns errors into RFC 9457 problem+json responses."""

from __future__ import annotations

from typing import Any

from flask import Response, json

from engine.errors import DeployError, FormValidationError, NotFoundError, TaskNotOpenError
from storage.errors import ConflictError, NotFound

PROBLEM_TYPE = "about:blank"


class ApiProblem(Exception):
    """An error with its HTTP status, raised anywhere in a request."""

    def __init__(
        self, status: int, title: str, detail: str = "", errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors


def problem_response(
    status: int, title: str, detail: str = "", errors: list[dict[str, Any]] | None = None
) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPE, "status": status, "title": title, "detail": detail or title}
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def problem_from_exception(exc: Exception) -> Response | None:
    """The problem response for a known error, or None to let it propagate."""
    if isinstance(exc, ApiProblem):
        return problem_response(exc.status, exc.title, exc.detail, exc.errors)
    if isinstance(exc, FormValidationError):
        errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        return problem_response(
            422, "Validation failed", "the submitted variables do not fit the form", errors
        )
    if isinstance(exc, DeployError):
        problems: list[dict[str, Any]] = [{"field": "document", **p.as_dict()} for p in exc.problems]
        return problem_response(422, "Invalid process document", str(exc)[:2000], problems)
    if isinstance(exc, ConflictError | TaskNotOpenError):
        return problem_response(409, "Conflict", str(exc))
    if isinstance(exc, NotFound | NotFoundError):
        return problem_response(404, "Not Found", "the resource does not exist or is not visible to you")
    return None
