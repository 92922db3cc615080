"""Process definitions: deploy BPMN/DMN documents, list versions, read the deployed XML."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request
from marshmallow import RAISE

from app import db_connection, services
from app.api.common import errors, offset_of, paged, timer_shape
from app.auth import BEHEERDER, PROCESONTWERPER, auth, current_principal, require_roles
from app.problems import ApiProblem, not_found
from app.schemas import (
    DefinitionDetail,
    DefinitionListQuery,
    DefinitionPage,
    DeployOut,
    DeployQuery,
    XmlQuery,
)
from engine.errors import NotFoundError
from storage import listing, start_timer_store

bp = APIBlueprint("process_definitions", __name__, tag="Process definitions")

DESIGNERS = (PROCESONTWERPER, BEHEERDER)
XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")

DEPLOY_BODY = {
    "required": True,
    "description": "A BPMN 2.0 or DMN document as Camunda Modeler saves it (at most 5 MB)",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in XML_TYPES},
}


@bp.post("/process-definitions")
@bp.auth_required(auth)
@require_roles(*DESIGNERS)
@bp.input(DeployQuery, location="query", unknown=RAISE)
@bp.output(DeployOut, status_code=201, description="Deployed as a new version")
@bp.doc(
    summary="Deploy a BPMN or DMN document",
    description="The same content again answers 200 with the existing version. Invalid or unsafe "
    "documents answer 422 listing every problem (element id and line).",
    responses={  # type: ignore[arg-type]
        200: {
            "description": "The same content was deployed before: its existing version",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeployOut"}}},
        },
        **errors(403, 413, 415, 422),
    },
)
def deploy(query_data: dict[str, Any]) -> Any:
    content_type = (request.mimetype or "").lower()
    if content_type not in XML_TYPES:
        raise ApiProblem(415, "Unsupported Media Type", "send the document as application/xml")
    content = request.get_data(cache=False)
    if not content.strip():
        raise ApiProblem(
            422,
            "Validation failed",
            "the body is empty",
            [{"field": "document", "message": "a BPMN or DMN document is required"}],
        )
    name = query_data.get("name") or "document.bpmn"
    outcome = services().workflow.deploy(name, content, actor=current_principal().actor)
    first_key, first_version = outcome.definitions[0]
    body = {
        "key": first_key,
        "version": first_version,
        "sha256": outcome.sha256,
        "definitions": [{"key": k, "version": v} for k, v in outcome.definitions],
    }
    return body, 201 if outcome.created else 200


@bp.get("/process-definitions")
@bp.auth_required(auth)
@require_roles(*DESIGNERS)
@bp.input(DefinitionListQuery, location="query", unknown=RAISE)
@bp.output(DefinitionPage)
@bp.doc(summary="Deployed definitions, every version", responses=errors(403))
def list_definitions(query_data: dict[str, Any]) -> Any:
    number, size, offset = offset_of(query_data)
    page = listing.list_definitions(db_connection(), key=query_data.get("key"), offset=offset, limit=size)
    return paged(page, number, size, _definition)


@bp.get("/process-definitions/<key>")
@bp.auth_required(auth)
@require_roles(*DESIGNERS)
@bp.output(DefinitionDetail)
@bp.doc(summary="The versions of one definition", responses=errors(403, 404))
def get_definition(key: str) -> Any:
    conn = db_connection()
    rows = listing.definition_versions(conn, key)
    if not rows:
        raise not_found()
    start_timers = [timer_shape(r) for r in start_timer_store.start_timers_of(conn, key)]
    return {
        "startTimers": start_timers,
        "key": key,
        "name": rows[0].name,
        "latestVersion": rows[0].version,
        "versions": [
            {
                "version": r.version,
                "sha256": r.sha256,
                "deployedAt": r.deployed_at,
                "versionTag": _version_tag(key, r.version),
            }
            for r in rows
        ],
    }


def _version_tag(key: str, version: int) -> str | None:
    """The ``camunda:versionTag`` of one version, read from its parsed document."""
    try:
        return services().workflow.definition(key, version).document.version_tags.get(key)
    except NotFoundError:
        return None


@bp.get("/process-definitions/<key>/xml")
@bp.auth_required(auth)
@require_roles(*DESIGNERS)
@bp.input(XmlQuery, location="query", unknown=RAISE)
@bp.doc(
    summary="The deployed XML (for Camunda Modeler)",
    description="The newest version unless `version` is given.",
    responses={  # type: ignore[arg-type]
        200: {
            "description": "The document as deployed",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        },
        **errors(403, 404),
    },
)
def get_definition_xml(key: str, query_data: dict[str, Any]) -> Response:
    row = listing.definition_document(db_connection(), key, query_data.get("version"))
    if row is None:
        raise not_found()
    return Response(bytes(row.content), mimetype="application/xml")


def _definition(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "version": row.version,
        "name": row.name,
        "sha256": row.sha256,
        "deployedAt": row.deployed_at,
    }
