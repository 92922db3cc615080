"""Webhook tables: subscriptions, their deliveries and attempts, and the inbound TVS event log.

They share ``storage.schema.metadata`` so that Alembic and the schema check see one metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from storage.schema import UTCDateTime, metadata

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_code", String(32), ForeignKey("organisations.code"), nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    # The signing secret is shared with the receiver, so it must be stored as such (not hashed).
    Column("secret", String(500), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_reason", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("deleted_at", UTCDateTime(), nullable=True),
    Index("ix_subscriptions_org_code", "org_code"),
    Index("ix_subscriptions_active", "active"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscription_id", String(36), ForeignKey("subscriptions.id"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("instance_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The retry budget (about a day) runs from the first attempt: a delivery waiting behind an earlier
    # one of the same instance has not used any of it.
    Column("first_attempt_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    UniqueConstraint("subscription_id", "event_id"),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_deliveries_order", "subscription_id", "instance_id", "seq"),
    Index("ix_deliveries_subscription_created", "subscription_id", "created_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), ForeignKey("deliveries.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("worker_id", String(100), nullable=True),
    Index("ix_delivery_attempts_delivery_id", "delivery_id", "id"),
)

inbound_events = Table(
    "inbound_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(200), nullable=False, unique=True),
    Column("event_id", String(200), nullable=False),
    Column("type", String(200), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("outcome", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("instance_id", String(36), nullable=True),
    Column("gemeente", String(32), nullable=True),
    # A keyed hash of the V-nummer: operators can match events of one status holder, not read it.
    Column("subject_hash", String(64), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("processed_at", UTCDateTime(), nullable=True),
    Index("ix_inbound_events_status_received", "status", "received_at"),
)
