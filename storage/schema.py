"""Tables. Everything users query lives in its own indexed table; no query deserializes a workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def lane_key(lane: str | None) -> str | None:
    """The lane as the worklist filters on it: case and surrounding spaces do not matter."""
    return lane.strip().lower() if lane else None


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every dialect; always read back as an aware UTC datetime."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime bound to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


organisations = Table(
    "organisations",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("org_code", String(32), ForeignKey("organisations.code"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("org_code", String(32), ForeignKey("organisations.code"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Raised at logout: every session cookie carrying an older version no longer logs anyone in.
    Column("session_version", Integer, nullable=False, server_default="0"),
)

#: Which timer boundary events sit on which user tasks, per process, read from deployed diagrams.
boundary_timers = Table(
    "boundary_timers",
    metadata,
    Column("process_key", String(200), primary_key=True),
    Column("task_element", String(200), primary_key=True),
    Column("timer_element", String(200), primary_key=True),
)

#: Failed tasklist logins per user and per address (keys are hashes, never what was typed).
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime(), nullable=False),
    Column("blocked_until", UTCDateTime(), nullable=True),
)

documents = Table(
    "documents",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("deployed_at", UTCDateTime(), nullable=False),
    Column("deployed_by", String(200), nullable=False),
)

process_definitions = Table(
    "process_definitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document_sha256", String(64), ForeignKey("documents.sha256"), nullable=False),
    Column("name", String(300), nullable=True),
    Column("deployed_at", UTCDateTime(), nullable=False),
    UniqueConstraint("key", "version"),
    UniqueConstraint("key", "document_sha256"),
)

process_instances = Table(
    "process_instances",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("process_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("business_key", String(100), nullable=True),
    Column("gemeente", String(32), nullable=True),
    Column("scenario", String(8), nullable=True),
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("variables", JSON, nullable=False),
    Column("active_elements", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    # Last: on SQLite the columns before it stay on the row's own page when a large state overflows
    # (migration 0014); reads that do not need the state never walk its overflow pages.
    Column("state", JSON, nullable=False),
    Index("ix_process_instances_gemeente_status", "gemeente", "status"),
    Index("ix_process_instances_scenario", "scenario"),
    Index("ix_process_instances_created_at", "created_at"),
    Index(
        "uq_process_instances_active_business_key",
        "process_key",
        "business_key",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

#: Each distinct user task form once, keyed by the SHA-256 of its fields (storage/task_forms.py).
task_forms = Table(
    "task_forms",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("fields", JSON, nullable=False),
)

user_tasks = Table(
    "user_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("instance_id", String(36), ForeignKey("process_instances.id"), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("name", String(300), nullable=False),
    Column("lane", String(100), nullable=True),
    Column("lane_key", String(100), nullable=True),
    Column("candidate_groups", JSON, nullable=False),
    Column("assignee", String(200), nullable=True),
    Column("due_at", UTCDateTime(), nullable=True),
    Column("gemeente", String(32), nullable=True),
    Column("process_key", String(200), nullable=False),
    # The task's form fields, stored once per distinct form (storage/task_forms.py); NULL: no fields
    Column("form_id", String(64), ForeignKey("task_forms.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The earlier of due_at and the earliest pending timer on a boundary event of the task (the
    # worklist sorts and filters on it); kept by storage/deadlines.py on every step.
    Column("deadline_at", UTCDateTime(), nullable=True),
    # Camunda's candidate users, follow-up date and priority (shown on the task, not sorted on)
    Column("candidate_users", JSON, nullable=True),
    Column("follow_up_at", UTCDateTime(), nullable=True),
    Column("priority", Integer, nullable=True),
    Index("ix_user_tasks_instance_id", "instance_id"),
    # The werklijst's sort key in full (deadline, age, id): a page is read in index order.
    Index(
        "ix_user_tasks_gemeente_lane_key_deadline", "gemeente", "lane_key", "deadline_at", "created_at", "id"
    ),
    Index(
        "ix_user_tasks_gemeente_lane_key_element_deadline",
        "gemeente",
        "lane_key",
        "element_id",
        "deadline_at",
        "created_at",
        "id",
    ),
    Index("ix_user_tasks_lane_key_deadline", "lane_key", "deadline_at", "created_at", "id"),
    Index("ix_user_tasks_gemeente_lane_key_created", "gemeente", "lane_key", "created_at", "id"),
    Index("ix_user_tasks_lane_key_created", "lane_key", "created_at", "id"),
    Index("ix_user_tasks_gemeente_created", "gemeente", "created_at", "id"),
    Index("ix_user_tasks_created", "created_at", "id"),
    Index("ix_user_tasks_due_at", "due_at"),
)

closed_tasks = Table(
    "closed_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("instance_id", String(36), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("gemeente", String(32), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
    Index("ix_closed_tasks_instance_id", "instance_id"),
)

timers = Table(
    "timers",
    metadata,
    Column("id", String(36), primary_key=True),
    # None for a timer start event: the timer belongs to the process definition (process_key,
    # version) and starts a new instance when due; ``schedule`` then holds what a cycle repeats by.
    Column("instance_id", String(36), ForeignKey("process_instances.id"), nullable=True),
    Column("element_id", String(200), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("gemeente", String(32), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    # Set while an open incident holds the timer: no worker claims it until the incident is retried.
    Column("incident_id", String(36), nullable=True),
    Column("process_key", String(200), nullable=True),
    Column("version", Integer, nullable=True),
    Column("schedule", JSON, nullable=True),
    # Covers the worker's claim and next-due reads (storage/timer_store.py): no table look-ups.
    Index("ix_timers_due_claim", "due_at", "id", "claimed_until", "incident_id"),
    Index("ix_timers_gemeente_due", "gemeente", "due_at", "id"),
    Index("ix_timers_claimed_until", "claimed_until", "claimed_by"),
    Index("ix_timers_instance_id", "instance_id"),
    Index("ix_timers_process_key", "process_key"),
)

message_waits = Table(
    "message_waits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", String(36), ForeignKey("process_instances.id"), nullable=False),
    Column("message_name", String(200), nullable=False),
    Column("business_key", String(100), nullable=True),
    Column("element_id", String(200), nullable=False),
    Index("ix_message_waits_name_key", "message_name", "business_key"),
    Index("ix_message_waits_instance_id", "instance_id"),
)

signal_waits = Table(
    "signal_waits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", String(36), ForeignKey("process_instances.id"), nullable=False),
    Column("signal_name", String(200), nullable=False),
    Column("gemeente", String(32), nullable=True),
    Column("element_id", String(200), nullable=False),
    Index("ix_signal_waits_name_gemeente", "signal_name", "gemeente"),
    Index("ix_signal_waits_instance_id", "instance_id"),
)

# One row per (thrown signal, receiver) chosen when the signal was thrown, written in the thrower's
# transaction: a waiting instance (``instance_id``) or a process to start (``process_key``, ``version``).
# A row is deleted in the receiver's own step transaction, so each receiver gets the signal once.
signal_deliveries = Table(
    "signal_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("signal_name", String(200), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("instance_id", String(36), nullable=True),
    Column("process_key", String(200), nullable=True),
    Column("version", Integer, nullable=True),
    Column("gemeente", String(32), nullable=True),
    Column("business_key", String(100), nullable=True),
    Column("source_instance_id", String(36), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index("ix_signal_deliveries_created_at", "created_at"),
)

external_tasks = Table(
    "external_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("instance_id", String(36), ForeignKey("process_instances.id"), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("process_key", String(200), nullable=False),
    Column("gemeente", String(32), nullable=True),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("worker_id", String(200), nullable=True),
    Column("lock_expires_at", UTCDateTime(), nullable=True),
    Column("retries", Integer, nullable=True),
    Column("error_message", Text, nullable=True),
    Column("error_details", Text, nullable=True),
    Column("incident_id", String(36), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_external_tasks_topic_lock", "topic", "lock_expires_at"),
    Index("ix_external_tasks_instance_id", "instance_id"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", String(36), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("element_id", String(200), nullable=True),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_entries_instance_id", "instance_id", "id"),
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("instance_id", String(36), nullable=False),
    Column("gemeente", String(32), nullable=True),
    Column("type", String(100), nullable=False),
    Column("element_id", String(200), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("dispatched", Boolean, nullable=False, server_default=text("false")),
    Index("ix_outbox_events_instance_seq", "instance_id", "seq"),
    Index("ix_outbox_events_dispatched_seq", "dispatched", "seq"),
)
incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    # What failed: "timer" (a timer step), "external-task", "delivery" (a webhook delivery that died).
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("instance_id", String(36), nullable=True),
    Column("gemeente", String(32), nullable=True),
    Column("element_id", String(200), nullable=True),
    # The row that failed (timer, external task or delivery id): what a retry re-arms.
    Column("subject_id", String(36), nullable=True),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Index("ix_incidents_status_created", "status", "created_at"),
    Index("ix_incidents_instance_id", "instance_id", "created_at"),
    Index(
        "uq_incidents_open_subject",
        "kind",
        "subject_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

# -- data-processing log (Logboek Dataverwerkingen) ------------------------------------------------
data_subjects = Table(
    "data_subjects",
    metadata,
    Column("subject_hash", String(64), primary_key=True),
    Column("id", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_data_subjects_id", "id"),
)

processing_records = Table(
    "processing_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trace_id", String(32), nullable=False),
    Column("operation_id", String(16), nullable=False),
    Column("parent_operation_id", String(16), nullable=True),
    Column("name", String(200), nullable=False),
    Column("start_time", UTCDateTime(), nullable=False),
    Column("end_time", UTCDateTime(), nullable=False),
    Column("status_code", String(8), nullable=False),
    Column("processing_activity_id", String(100), nullable=False),
    Column("data_subject_id", String(36), nullable=True),
    Column("instance_id", String(36), nullable=True),
    Column("actor", String(200), nullable=False),
    Index("ix_processing_records_data_subject_id", "data_subject_id", "id"),
    Index("ix_processing_records_start_time", "start_time"),
    Index("ix_processing_records_trace_id", "trace_id"),
)

processing_log_horizon = Table(
    "processing_log_horizon",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("horizon", UTCDateTime(), nullable=False),
)

from storage import webhook_schema as _webhook_schema  # noqa: E402, F401
