"""Outbound events: CloudEvents 1.0 in structured JSON, following the NL GOV CloudEvents profile.

Events are thin. ``data`` carries only the fields the contract names (an allow-list, so a diagram
property can never leak a V-nummer or BSN into an event); the receiver follows ``dataref`` to the
instance and reads there what its role may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

TYPE_PREFIX = "nl.inburgering."
#: The outbound types of the contract (short names as the outbox stores them).
EVENT_TYPES = (
    "klantprofiel-gedeeld",
    "scenario-vastgesteld",
    "taak-aangemaakt",
    "taak-afgerond",
    "termijn-verstreken",
    "proces-afgerond",
)
FULL_EVENT_TYPES = tuple(TYPE_PREFIX + t for t in EVENT_TYPES)
#: The only data fields an outbound event may carry.
DATA_FIELDS = frozenset(
    {"processInstanceId", "gemeente", "moment", "scenario", "bijTermijn", "elementId", "taskId", "lane"}
)
DEFAULT_SOURCE = "urn:nld:oin:00000000000000000000:systeem:doorlopende-lijn"


def thin_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event data reduced to the contract's fields, scalar values only."""
    return {
        k: v
        for k, v in data.items()
        if k in DATA_FIELDS and (v is None or isinstance(v, str | int | float | bool))
    }


def instance_url(base_url: str, instance_id: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/process-instances/{instance_id}"


def build_event(
    *,
    event_id: str,
    short_type: str,
    time: datetime,
    instance_id: str,
    data: Mapping[str, Any],
    source: str,
    base_url: str,
) -> HTTPMessage:
    """The HTTP message (headers and body) of one outbound event; the same bytes on every retry."""
    event = CloudEvent(
        attributes={
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": TYPE_PREFIX + short_type,
            "time": time.astimezone(UTC),
            "subject": instance_id,
            "datacontenttype": "application/json",
            "dataref": instance_url(base_url, instance_id),
        },
        data={**thin_data(data), "processInstanceId": instance_id},
    )
    return to_structured(event, JSONFormat())
