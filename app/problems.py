"""The one place that turns errors into RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Response, json
from werkzeug.http import HTTP_STATUS_CODES

from engine.errors import (
    DeployError,
    EngineError,
    FormValidationError,
    NotFoundError,
    ProcessError,
    StepBudgetExceeded,
    TaskNotOpenError,
    TimerCycleTooShort,
)
from storage.errors import ConflictError, NotFound

PROBLEM_TYPE = "about:blank"
PROBLEM_MIMETYPE = "application/problem+json"
NOT_VISIBLE = "the resource does not exist or is not visible to you"

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error with its HTTP status, raised anywhere in a request."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


def not_found() -> ApiProblem:
    """The one 404 for ids that do not exist and ids the caller may not see: they look the same."""
    return ApiProblem(404, "Not Found", NOT_VISIBLE)


def invalid(field: str, message: str) -> ApiProblem:
    """A 422 naming one bad field."""
    return ApiProblem(
        422, "Validation failed", "the request is not valid", [{"field": field, "message": message}]
    )


def problem_response(
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPE, "status": status, "title": title, "detail": detail or title}
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """marshmallow's nested error messages as a flat ``[{field, message}]`` list with dotted paths."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(flatten_messages(value, name or "body"))
    elif isinstance(messages, list | tuple):
        for item in messages:
            out.extend(flatten_messages(item, prefix))
    else:
        out.append({"field": prefix or "body", "message": str(messages)})
    return out


def validation_problem(detail: Any) -> Response:
    """APIFlask's validation detail ``{location: {field: [messages]}}`` as a 422 problem."""
    errors: list[dict[str, Any]] = []
    if isinstance(detail, Mapping):
        for location, messages in detail.items():
            if location in {"json", "query", "querystring", "path", "view_args", "headers"}:
                errors.extend(flatten_messages(messages))
            else:
                errors.extend(flatten_messages(messages, str(location)))
    if not errors:
        errors = [{"field": "body", "message": "is not valid"}]
    return problem_response(422, "Validation failed", "the request is not valid; see errors", errors)


def http_problem(
    status: int, message: str | None, detail: Any, headers: Mapping[str, Any] | None
) -> Response:
    """Any HTTP error (APIFlask's HTTPError or a Werkzeug exception) as a problem."""
    if status == 422:
        return validation_problem(detail)
    title = HTTP_STATUS_CODES.get(status, "Error")
    text = message if message and message != title else ""
    if status == 404:
        text = NOT_VISIBLE
    elif status == 401:
        text = "a valid bearer token is required"
    elif status == 400:
        text = "the request could not be read (is the body valid JSON?)"
    elif status == 413:
        text = "the request body is too large"
    return problem_response(status, title, text or title, headers=headers)


def problem_from_exception(exc: Exception) -> Response | None:
    """The problem response for a known error, or None to let it propagate."""
    if isinstance(exc, ApiProblem):
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)
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
        return problem_response(404, "Not Found", NOT_VISIBLE)
    if isinstance(exc, StepBudgetExceeded | TimerCycleTooShort):
        element: dict[str, Any] = {"field": "process", "message": str(exc)[:500]}
        if exc.element_id is not None:
            element["elementId"] = exc.element_id
        return problem_response(422, "Step refused", f"nothing was changed: {str(exc)[:500]}", [element])
    if isinstance(exc, ProcessError):
        return problem_response(422, "Process error", f"the process cannot continue: {str(exc)[:500]}")
    if isinstance(exc, EngineError):
        return problem_response(422, "Unprocessable", str(exc)[:500])
    return None


def internal_error(exc: Exception) -> Response:
    """The 500 for a bug: logged with its traceback, answered without internals."""
    log.error("unhandled error in request", exc_info=exc)
    return problem_response(500, "Internal Server Error", "an unexpected error occurred")
