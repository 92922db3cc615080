"""The marshmallow schemas that validate requests, shape responses and generate the OpenAPI document.

Request bodies and query strings reject fields and parameters they do not define (422 naming each
one), so that a misspelt filter never silently widens a list. Times are RFC 3339 in UTC
(``2027-01-04T09:00:00Z``); a time without an offset is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apiflask import Schema, fields
from marshmallow import RAISE, ValidationError, validate, validates_schema

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,200}$"
GEMEENTE_PATTERN = r"^GM[0-9]{4}$"
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$"
MESSAGE_NAME_PATTERN = r"^(?=.*\S)[^\x00-\x1f\x7f]{1,200}$"
"""Camunda message names are free text (``new invoice``); no control characters, not only blanks."""
STATUSES = ("active", "completed", "terminated")
MAX_PAGE_SIZE = 200


def utc_text(value: datetime | str | None) -> str | None:
    """An aware date-time as RFC 3339 UTC with a ``Z`` (what :class:`UtcDateTime` writes)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


class UtcDateTime(fields.AwareDateTime):
    """An aware date-time, written as RFC 3339 UTC with a ``Z``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return utc_text(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:  # pragma: no cover - AwareDateTime refuses naive values already
            raise self.make_error("invalid_awareness")
        return parsed.astimezone(UTC)


class StrictSchema(Schema):
    """A request body: unknown fields are an error."""

    class Meta:
        unknown = RAISE


def _text(pattern: str, max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, max_length), validate.Regexp(pattern)], **kwargs)


# -- problems -------------------------------------------------------------------------------------
class FieldProblem(Schema):
    field = fields.String(
        required=True, metadata={"description": "dotted path of the bad field or parameter"}
    )
    message = fields.String(required=True)
    elementId = fields.String(metadata={"description": "diagram element (deploy problems)"})
    line = fields.Integer(metadata={"description": "line in the document (deploy problems)"})


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldProblem), metadata={"description": "every bad field (422)"})


# -- paging ---------------------------------------------------------------------------------------
class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    pageSize = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE_SIZE))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A list response schema ``{items, page, pageSize, total}`` for ``item``."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "pageSize": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
    )


# -- process definitions --------------------------------------------------------------------------
class DeployQuery(Schema):
    name = fields.String(
        validate=[validate.Length(1, 200), validate.Regexp(r"^[A-Za-z0-9_. -]+$")],
        metadata={"description": "file name of the document, e.g. doorlopende_lijn.bpmn"},
    )


class DeployedDefinition(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)


class DeployOut(Schema):
    key = fields.String(required=True, metadata={"description": "the first process (or decision) key"})
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    definitions = fields.List(fields.Nested(DeployedDefinition), required=True)


class DefinitionOut(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    sha256 = fields.String(required=True)
    deployedAt = UtcDateTime(required=True)


DefinitionPage = page_of(DefinitionOut, "DefinitionPage")


class DefinitionListQuery(PageQuery):
    key = _text(KEY_PATTERN)


class DefinitionVersion(Schema):
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    deployedAt = UtcDateTime(required=True)
    versionTag = fields.String(
        allow_none=True,
        metadata={"description": "the process's camunda:versionTag (calledElementBinding versionTag)"},
    )


class TimerOut(Schema):
    id = fields.String(required=True)
    processInstanceId = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "null for a timer start event: firing it starts a new instance"},
    )
    elementId = fields.String(required=True)
    dueAt = UtcDateTime(required=True)
    processKey = fields.String(
        allow_none=True, metadata={"description": "a timer start event's process (else absent)"}
    )
    version = fields.Integer(
        allow_none=True, metadata={"description": "a timer start event's process version (else absent)"}
    )


class DefinitionDetail(Schema):
    key = fields.String(required=True)
    name = fields.String(allow_none=True)
    latestVersion = fields.Integer(required=True)
    versions = fields.List(fields.Nested(DefinitionVersion), required=True)
    startTimers = fields.List(
        fields.Nested(TimerOut),
        required=True,
        metadata={
            "description": "the scheduled timer start events of the latest version "
            "(a beheerder fires and reschedules them through /timers)"
        },
    )


class XmlQuery(Schema):
    version = fields.Integer(validate=validate.Range(1, 1_000_000))


# -- tasks, timers --------------------------------------------------------------------------------
class FormOption(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)


class FormFieldOut(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(
        required=True, validate=validate.OneOf(["string", "long", "boolean", "date", "enum"])
    )
    required = fields.Boolean(required=True)
    options = fields.List(fields.Nested(FormOption), required=True)
    constraints = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    default = fields.Raw(allow_none=True, required=True)


class FormOut(Schema):
    form_fields = fields.List(
        fields.Nested(FormFieldOut), required=True, data_key="fields", attribute="fields"
    )


class CaseHeaderOut(Schema):
    """Whose case: shown in instance and task bodies, never in a URL, log line or event."""

    naam = fields.String(
        allow_none=True,
        metadata={
            "description": "name of the status holder (variable `naam`, when the koppeling carries it); "
            "shown to the klantmanager of the instance's gemeente and to COA and systeem roles",
            "example": "A. Haddad",
        },
    )
    vNummer = fields.String(
        allow_none=True,
        metadata={
            "description": "V-nummer (the business key); shown to the same callers as `naam`",
            "example": "1234567890",
        },
    )
    azc = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "location code of the azc", "example": "AZC-ZWL"},
    )
    koppeldatum = fields.Date(
        allow_none=True,
        required=True,
        metadata={"description": "date of the koppeling; legal terms count from it", "example": "2027-01-04"},
    )
    scenario = fields.String(
        allow_none=True, required=True, metadata={"description": "1, 2 or 3 once chosen", "example": "2"}
    )
    gemeente = fields.String(
        allow_none=True, required=True, metadata={"description": "CBS code", "example": "GM0344"}
    )
    gemeenteNaam = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "the gemeente's organisation name", "example": "Utrecht"},
    )


class TaskOut(Schema):
    id = fields.String(required=True)
    elementId = fields.String(required=True)
    name = fields.String(required=True)
    lane = fields.String(allow_none=True, required=True)
    candidateGroups = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True, required=True)
    dueAt = UtcDateTime(allow_none=True, required=True)
    createdAt = UtcDateTime(required=True)
    processInstanceId = fields.String(required=True)
    processKey = fields.String(required=True)
    case = fields.Nested(
        CaseHeaderOut,
        metadata={"description": "whose case the task is about (omitted in an instance's `openTasks`)"},
    )


class TaskDetail(TaskOut):
    form = fields.Nested(FormOut, required=True)
    candidateUsers = fields.List(
        fields.String(), required=True, metadata={"description": "Camunda's `camunda:candidateUsers`"}
    )
    followUpAt = UtcDateTime(
        allow_none=True, required=True, metadata={"description": "Camunda's `camunda:followUpDate`"}
    )
    priority = fields.Integer(
        required=True, metadata={"description": "Camunda's `camunda:priority` (default 50)"}
    )


TaskPage = page_of(TaskOut, "TaskPage")


class TaskListQuery(PageQuery):
    candidateGroup = _text(ID_PATTERN, 100)
    assignee = fields.String(validate=validate.Length(1, 200))
    processInstanceId = fields.String(validate=validate.Length(1, 100))
    elementId = _text(ID_PATTERN)
    dueBefore = UtcDateTime()


class CompleteIn(StrictSchema):
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)


TimerPage = page_of(TimerOut, "TimerPage")


class TimerListQuery(PageQuery):
    processInstanceId = fields.String(validate=validate.Length(1, 100))
    dueBefore = UtcDateTime()
    processKey = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "only the timer start events of this process"},
    )
    startEvents = fields.Boolean(
        metadata={"description": "true: only timer start events; false: only timers of instances"}
    )


class TimerPatchIn(StrictSchema):
    dueAt = UtcDateTime(required=True)


# -- instances ------------------------------------------------------------------------------------
class InstanceStartIn(StrictSchema):
    processKey = _text(KEY_PATTERN, load_default="doorlopende_lijn")
    businessKey = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "the V-nummer of the status holder (never shown in URLs)"},
    )
    gemeente = _text(GEMEENTE_PATTERN, 6, required=True, metadata={"example": "GM0344"})
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)


class InstanceOut(Schema):
    id = fields.String(required=True)
    processKey = fields.String(required=True)
    version = fields.Integer(required=True)
    businessKey = fields.String(
        allow_none=True,
        metadata={
            "description": "the V-nummer; shown to the klantmanager of the instance's gemeente and to "
            "casemanager, beheerder and systeem"
        },
    )
    gemeente = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    scenario = fields.String(allow_none=True, required=True)
    createdAt = UtcDateTime(required=True)
    updatedAt = UtcDateTime(required=True)
    endedAt = UtcDateTime(allow_none=True, required=True)
    case = fields.Nested(CaseHeaderOut, required=True, metadata={"description": "whose case this is"})


class InstanceDetail(InstanceOut):
    activeElements = fields.List(fields.String(), required=True)
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    openTasks = fields.List(fields.Nested(TaskOut), required=True)
    timers = fields.List(fields.Nested(TimerOut), required=True)


InstancePage = page_of(InstanceOut, "InstancePage")


class CalledInstanceOut(Schema):
    id = fields.String(
        required=True, metadata={"description": "the called instance (its call activity's task)"}
    )
    processKey = fields.String(required=True)
    elementId = fields.String(required=True, metadata={"description": "the call activity"})
    superInstanceId = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "the called instance it runs in; null when called by this instance itself"},
    )
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


class CalledInstances(Schema):
    items = fields.List(fields.Nested(CalledInstanceOut), required=True)


class InstanceListQuery(PageQuery):
    gemeente = _text(GEMEENTE_PATTERN, 6)
    status = fields.String(validate=validate.OneOf(STATUSES))
    scenario = _text(r"^[A-Za-z0-9_-]{1,8}$", 8)


class HistoryEntry(Schema):
    id = fields.Integer(required=True)
    at = UtcDateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    elementId = fields.String(allow_none=True, required=True)
    detail = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


HistoryPage = page_of(HistoryEntry, "HistoryPage")


# -- messages -------------------------------------------------------------------------------------
class MessageIn(StrictSchema):
    messageName = _text(MESSAGE_NAME_PATTERN, required=True, metadata={"example": "huisvesting_gevonden"})
    businessKey = fields.String(
        validate=validate.Length(1, 100),
        metadata={"description": "the instance's business key; required unless processInstanceId is given"},
    )
    processKey = _text(KEY_PATTERN)
    processInstanceId = _text(
        ID_PATTERN, metadata={"description": "only this instance (Camunda's processInstanceId)"}
    )
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    all = fields.Boolean(
        load_default=False,
        metadata={
            "description": "deliver to every matching wait (Camunda's correlateAll); without it a "
            "message matching several waits answers 409 and is delivered to none"
        },
    )

    @validates_schema(skip_on_field_errors=False)
    def _addressed(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("businessKey") and not data.get("processInstanceId"):
            raise ValidationError("businessKey or processInstanceId is required", "businessKey")


class SignalIn(StrictSchema):
    signalName = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"example": "huisvesting_gewijzigd"}
    )
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    gemeente = _text(
        GEMEENTE_PATTERN, 6, metadata={"description": "only this gemeente's instances (Camunda's tenantId)"}
    )
    withoutTenantId = fields.Boolean(
        metadata={"description": "only instances without a gemeente (not with `gemeente`)"}
    )

    @validates_schema
    def _one_scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("gemeente") and data.get("withoutTenantId"):
            raise ValidationError("cannot be combined with gemeente", "withoutTenantId")


class MessageOut(Schema):
    processInstanceId = fields.String(required=True, metadata={"description": "the (first) instance reached"})
    processInstanceIds = fields.List(
        fields.String(), metadata={"description": "with `all`: every instance reached"}
    )


# -- instance migration ---------------------------------------------------------------------------
class MappingIn(StrictSchema):
    source = _text(KEY_PATTERN, required=True, metadata={"description": "element id in the source version"})
    target = _text(KEY_PATTERN, required=True, metadata={"description": "element id in the target version"})


class MigrationIn(StrictSchema):
    processKey = _text(KEY_PATTERN, required=True, metadata={"example": "doorlopende_lijn"})
    sourceVersion = fields.Integer(required=True, validate=validate.Range(min=1))
    targetVersion = fields.Integer(required=True, validate=validate.Range(min=1))
    mappings = fields.List(
        fields.Nested(MappingIn),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "elements whose id changed; the same id maps to itself"},
    )
    recomputeTimers = fields.List(
        _text(KEY_PATTERN),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "timers whose due time is computed anew (others keep theirs)"},
    )
    instanceIds = fields.List(
        _text(ID_PATTERN),
        load_default=None,
        validate=validate.Length(1, 10_000),
        metadata={
            "description": "only these instances (default: every active instance of the source version)"
        },
    )
    dryRun = fields.Boolean(load_default=False, metadata={"description": "validate only; change nothing"})


class MigrationFailure(Schema):
    processInstanceId = fields.String(required=True)
    reason = fields.String(required=True)


class MigrationOut(Schema):
    processKey = fields.String(required=True)
    sourceVersion = fields.Integer(required=True)
    targetVersion = fields.Integer(required=True)
    dryRun = fields.Boolean(required=True)
    instances = fields.List(
        fields.String(), required=True, metadata={"description": "the instances selected"}
    )
    migrated = fields.List(fields.String(), required=True)
    failed = fields.List(fields.Nested(MigrationFailure), required=True)
