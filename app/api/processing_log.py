"""The data-processing log: the register of processing activities, records per trace, export per person.

The export answers a person's right of access (AVG art. 15): a beheerder posts the V-nummer in the
body (never in a URL) and gets every record about that person, also of cases already purged.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields
from marshmallow import RAISE, validate

from app import db_connection, processing_log, services
from app.api.common import errors
from app.auth import (
    BEHEERDER,
    CASEMANAGER,
    KLANTMANAGER,
    PROCESONTWERPER,
    SYSTEEM,
    auth,
    current_principal,
    require_roles,
)
from app.schemas import StrictSchema, UtcDateTime
from storage import processing_log as store

bp = APIBlueprint("processing_log", __name__, tag="Data-processing log")


class ActivityOut(Schema):
    id = fields.String(required=True, metadata={"example": "zaak-inzien"})
    naam = fields.String(required=True, metadata={"example": "Inzien van een zaak"})
    doel = fields.String(required=True)
    grondslag = fields.String(
        required=True, metadata={"example": "AVG art. 6 lid 1 onder e; Wet inburgering 2021"}
    )


class ActivityList(Schema):
    items = fields.List(fields.Nested(ActivityOut), required=True)


class RecordAttributes(Schema):
    class Meta:
        ordered = True

    processing_activity_id = fields.String(
        required=True,
        data_key="dpl.core.processing_activity_id",
        metadata={"example": "http://127.0.0.1:8000/api/v1/processing-activities#zaak-inzien"},
    )
    data_subject_id = fields.String(
        allow_none=True,
        required=True,
        data_key="dpl.core.data_subject_id",
        metadata={
            "description": "pseudonym of the person (no V-nummer)",
            "example": "9b1c6f0e-3d1a-4c52-9a53-2f0c1f8d7e21",
        },
    )
    data_subject_id_type = fields.String(
        required=True,
        data_key="dpl.core.data_subject_id_type",
        metadata={"example": store.DATA_SUBJECT_ID_TYPE},
    )


class RecordOut(Schema):
    traceId = fields.String(required=True, metadata={"example": "0af7651916cd43dd8448eb211c80319c"})
    operationId = fields.String(required=True, metadata={"example": "b7ad6b7169203331"})
    parentOperationId = fields.String(allow_none=True, required=True)
    name = fields.String(required=True, metadata={"example": "GET /api/v1/tasks/<task_id>"})
    startTime = UtcDateTime(required=True)
    endTime = UtcDateTime(required=True)
    statusCode = fields.String(required=True, validate=validate.OneOf(["OK", "ERROR"]))
    attributes = fields.Nested(RecordAttributes, required=True)
    processInstanceId = fields.String(allow_none=True, required=True)
    actor = fields.String(required=True, metadata={"example": "klantmanager:km utrecht@GM0344"})


class RecordList(Schema):
    items = fields.List(fields.Nested(RecordOut), required=True)
    total = fields.Integer(required=True)


class ExportIn(StrictSchema):
    vNummer = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={
            "description": "the V-nummer of the person whose records are asked for",
            "example": "1234567890",
        },
    )


class TraceQuery(Schema):
    traceId = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-f]{32}$"),
        metadata={"example": "0af7651916cd43dd8448eb211c80319c"},
    )


def _items(rows: list[Any]) -> dict[str, Any]:
    base = str(services().config.get("PUBLIC_BASE_URL") or "")
    return {
        "items": [processing_log.export_item(r, base, attribute_names=False) for r in rows],
        "total": len(rows),
    }


@bp.get("/processing-activities")
@bp.auth_required(auth)
@require_roles(KLANTMANAGER, CASEMANAGER, PROCESONTWERPER, BEHEERDER, SYSTEEM)
@bp.output(ActivityList)
@bp.doc(
    summary="The register of processing activities",
    description="One activity per kind of work; each record of the data-processing log names one.",
    responses=errors(403),
)
def list_activities() -> Any:
    return {"items": [vars(a) for a in processing_log.REGISTER.values()]}


@bp.post("/processing-log/export")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(ExportIn)
@bp.output(RecordList, description="Every record about the person, oldest first")
@bp.doc(
    summary="Export one person's records (right of access, beheerder)",
    description="The V-nummer travels in the body only. Records of purged cases are included for the "
    "log's own retention term. The export itself is recorded too.",
    responses=errors(400, 403, 413),
)
def export_records(json_data: dict[str, Any]) -> Any:
    svc = services()
    rows = processing_log.export_person(
        svc.db, svc.config, json_data["vNummer"], actor=current_principal().actor, now=svc.clock.now()
    )
    return _items(rows)


@bp.get("/processing-log")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(TraceQuery, location="query", unknown=RAISE)
@bp.output(RecordList, description="Every record written under the trace, in order")
@bp.doc(summary="Records of one trace (beheerder)", responses=errors(403))
def records_of_trace(query_data: dict[str, Any]) -> Any:
    return _items(store.records_of_trace(db_connection(), query_data["traceId"]))
