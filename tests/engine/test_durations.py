"""ISO durations on the Amsterdam calendar, as Camunda 7 reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import runtime  # noqa: F401 - installs the engine's adjustments to the library
from engine.clock import LOCAL_ZONE


def _end(duration: str, start: datetime) -> datetime:
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


@pytest.mark.parametrize(
    ("duration", "start", "end"),
    [
        # spring forward (28 March 2027): the wall clock is kept for days and weeks
        (
            "P14D",
            datetime(2027, 3, 20, 9, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 4, 3, 9, 0, tzinfo=LOCAL_ZONE),
        ),
        (
            "P2W",
            datetime(2027, 3, 20, 9, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 4, 3, 9, 0, tzinfo=LOCAL_ZONE),
        ),
        # fall back (31 October 2027)
        (
            "P1D",
            datetime(2027, 10, 30, 12, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 10, 31, 12, 0, tzinfo=LOCAL_ZONE),
        ),
        # months clamp to the month's last day
        (
            "P1M",
            datetime(2027, 1, 31, 9, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 2, 28, 9, 0, tzinfo=LOCAL_ZONE),
        ),
        (
            "P1Y",
            datetime(2028, 2, 29, 9, 0, tzinfo=LOCAL_ZONE),
            datetime(2029, 2, 28, 9, 0, tzinfo=LOCAL_ZONE),
        ),
        # hours are elapsed time, also across the change
        (
            "PT24H",
            datetime(2027, 3, 27, 12, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 3, 28, 13, 0, tzinfo=LOCAL_ZONE),
        ),
        (
            "P1DT1H",
            datetime(2027, 3, 27, 12, 0, tzinfo=LOCAL_ZONE),
            datetime(2027, 3, 28, 13, 0, tzinfo=LOCAL_ZONE),
        ),
    ],
)
def test_calendar_durations(duration: str, start: datetime, end: datetime) -> None:
    assert _end(duration, start.astimezone(UTC)) == end.astimezone(UTC)


def test_p14d_across_spring_is_one_hour_short_of_fourteen_times_24_hours() -> None:
    start = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
    assert _end("P14D", start) - start == timedelta(days=14, hours=-1)
