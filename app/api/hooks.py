"""What every API response shares: problem+json errors, ``API-Version``, body limits, the spec's shape."""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Request, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from app import API_PREFIX, API_VERSION
from app.problems import (
    PROBLEM_MIMETYPE,
    ApiProblem,
    http_problem,
    internal_error,
    problem_from_exception,
)
from engine.safe_json import BodyError, load_json

#: Endpoints that take a document body (BPMN/DMN XML) and so have the larger limit.
DOCUMENT_ENDPOINTS = frozenset({"process_definitions.deploy"})
#: Endpoints that read their JSON body themselves, after a check of their own (the TVS signature).
RAW_BODY_ENDPOINTS = frozenset({"tvs.receive_tvs_event"})

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_UNREADABLE = (
    "The request could not be read: a NUL character in the URL, or a JSON body that is not valid "
    "(syntax, not UTF-8, nesting deeper than 64, NaN or infinities, numbers out of range)"
)
_VERSION_HEADER = {
    "description": "Version of this API",
    "schema": {"type": "string", "example": API_VERSION},
}
_LINK_HEADER = {
    "description": "RFC 8288 links to the first, previous, next and last pages",
    "schema": {"type": "string"},
}


def register_hooks(app: APIFlask) -> None:
    """Error processing, headers and limits for the whole app (API and pages alike)."""

    @app.error_processor
    def _http_error(error: HTTPError) -> Response:
        headers = dict(error.headers) if error.headers else {}
        return http_problem(error.status_code, error.message, error.detail, headers)

    @app.errorhandler(Exception)
    def _any_error(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled by the processor above
            return http_problem(exc.code or 500, exc.name, exc.description, None)
        response = problem_from_exception(exc)
        return response if response is not None else internal_error(exc)

    @app.before_request
    def _limit_body() -> None:
        req = request._get_current_object()  # type: ignore[attr-defined]  # once, not per attribute
        endpoint = req.endpoint
        limit = app.config["MAX_CONTENT_LENGTH"]
        if endpoint not in DOCUMENT_ENDPOINTS:
            limit = app.config["MAX_JSON_BYTES"]
        req.max_content_length = limit
        length = req.content_length
        if length is not None and length > limit:
            raise RequestEntityTooLarge()
        _check_url(req)
        if req.is_json and endpoint not in RAW_BODY_ENDPOINTS:
            _check_json_body(req)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["API-Version"] = API_VERSION
        path = request.path
        if path.startswith(API_PREFIX) and not path.endswith("/openapi.json"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.spec_processor
    def _shape_spec(spec: Any) -> Any:
        from app.api_docs import complete_spec

        return complete_spec(shape_spec(spec), app) if isinstance(spec, dict) else spec


def _check_url(req: Request) -> None:
    """A NUL character in the path or query is a 400: no database column stores it (PostgreSQL
    refuses it with an error), so it could only ever turn a lookup into a 500."""
    path = req.path
    if "\x00" in path or (req.query_string and _nul_in_args(req)):
        if path.startswith(API_PREFIX):
            raise ApiProblem(400, "Bad Request", "the URL contains a NUL character")
        raise BadRequest("the URL contains a NUL character")


def _nul_in_args(req: Request) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in req.args.items(multi=True))


def _check_json_body(req: Request) -> None:
    """A JSON body that cannot be read (syntax, encoding, nesting, numbers) is a 400 before any view.

    The views' own parser would raise RecursionError on deep nesting and accept NaN, infinities and
    text no database stores; this reads the body once with bounds, and the view parses it again.
    """
    body = req.get_data(cache=True)
    if not body:
        return
    try:
        load_json(body)
    except BodyError as exc:
        raise ApiProblem(400, "Bad Request", f"the request body could not be read: {exc}") from None


def shape_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Errors as application/problem+json, ``API-Version`` on every response, ``Link`` on lists."""
    from app.api.process_definitions import DEPLOY_BODY

    deploy = spec.get("paths", {}).get(f"{API_PREFIX}/process-definitions", {}).get("post")
    if deploy is not None:
        deploy["requestBody"] = DEPLOY_BODY
    components = spec.setdefault("components", {}).setdefault("headers", {})
    components["API-Version"] = _VERSION_HEADER
    components["Link"] = _LINK_HEADER
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            # Every request is read before any view (see _check_url and _check_json_body).
            operation["responses"].setdefault("400", {"description": _UNREADABLE})
            for status, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers["API-Version"] = {"$ref": "#/components/headers/API-Version"}
                content = response.get("content", {})
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MIMETYPE: {"schema": _PROBLEM_REF}}
                elif "application/json" in content:
                    schema = content["application/json"].get("schema", {})
                    if schema.get("$ref", "").endswith("Page"):
                        headers["Link"] = {"$ref": "#/components/headers/Link"}
    return spec
