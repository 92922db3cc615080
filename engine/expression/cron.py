"""Camunda 7's cron timer cycles (Quartz syntax), such as ``0 0/5 * * * ?``.

A Camunda ``timeCycle`` is either an ISO 8601 repeating interval (``R3/PT10H``) or a Quartz cron
expression: six or seven fields, ``seconds minutes hours day-of-month month day-of-week [year]``.
Each field takes ``*``, a value, a range ``a-b``, a list ``a,b``, and steps ``a/n`` or ``a-b/n``;
months and weekdays take names (``JAN``, ``MON-FRI``); weekdays count ``1`` = Sunday to
``7`` = Saturday, as in Quartz. ``?`` means "no specific value" in the day-of-month or
day-of-week field, and one of the two must be ``?``, as Quartz requires. Day-of-month also takes
``L`` (the last day), day-of-week ``5L`` (the last Thursday) and ``6#3`` (the third Friday).
``W`` (nearest weekday) is refused with a message naming it. Times are read on the
Europe/Amsterdam clock (Camunda uses its server's zone), so ``0 0 9 * * ?`` is 09:00 local time
across daylight-saving changes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.clock import LOCAL_ZONE

__all__ = ["CronError", "CronSchedule", "is_cron", "parse_cron", "shortest_period"]

_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {k.upper(): v for k, v in _MONTHS.items()}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIELD_RE = re.compile(r"^[0-9A-Za-z*?/,#\-]+$")
#: How far ahead a schedule is searched for its next time (a February 30 never comes).
_HORIZON_DAYS = 366 * 8


class CronError(ValueError):
    """The text is not a cron expression Camunda (Quartz) would accept; the message says why."""


def is_cron(text: object) -> bool:
    """True when ``text`` has the shape of a Quartz cron expression (six or seven fields)."""
    if not isinstance(text, str) or len(text) > 200 or "{" in text:
        return False
    fields = text.split()
    return len(fields) in (6, 7) and all(_FIELD_RE.match(f) for f in fields)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; :meth:`next_after` gives its next time."""

    text: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: '?'
    last_day: bool
    months: frozenset[int]
    weekdays: frozenset[int] | None  # Quartz numbers 1 (Sunday) .. 7; None: '?'
    last_weekday: int | None  # '5L'
    nth_weekday: tuple[int, int] | None  # '6#3' -> (6, 3)
    years: frozenset[int] | None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        quartz_weekday = (day.weekday() + 1) % 7 + 1
        last = calendar.monthrange(day.year, day.month)[1]
        if self.days is not None or self.last_day:
            return (self.last_day and day.day == last) or (self.days is not None and day.day in self.days)
        if self.last_weekday is not None:
            return quartz_weekday == self.last_weekday and day.day + 7 > last
        if self.nth_weekday is not None:
            weekday, nth = self.nth_weekday
            return quartz_weekday == weekday and (day.day - 1) // 7 + 1 == nth
        return self.weekdays is None or quartz_weekday in self.weekdays

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after ``moment`` (aware) that the schedule names, in UTC."""
        local = moment.astimezone(LOCAL_ZONE).replace(microsecond=0)
        start = local.replace(tzinfo=None) + timedelta(seconds=1)
        day = start.date()
        for _ in range(_HORIZON_DAYS):
            if self._day_matches(day):
                first = day == start.date()
                for hour in sorted(self.hours):
                    if first and hour < start.hour:
                        continue
                    for minute in sorted(self.minutes):
                        if first and hour == start.hour and minute < start.minute:
                            continue
                        for second in sorted(self.seconds):
                            candidate = datetime(day.year, day.month, day.day, hour, minute, second)
                            if candidate < start:
                                continue
                            aware = candidate.replace(tzinfo=LOCAL_ZONE)
                            # a local time skipped by the spring change does not exist: take the next
                            if aware.astimezone(UTC).astimezone(LOCAL_ZONE).replace(tzinfo=None) != candidate:
                                continue
                            result = aware.astimezone(UTC)
                            if result > moment:
                                return result
            day += timedelta(days=1)
        return None


def _number(token: str, names: dict[str, int], field: str) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise CronError(f"'{token}' is not a number or name in the {field} field")
    return int(token)


def _values(
    text: str, low: int, high: int, field: str, names: dict[str, int] | None = None
) -> frozenset[int]:
    names = names or {}
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"empty list item in the {field} field")
        step, has_step = 1, "/" in part
        if has_step:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"step '{step_text}' in the {field} field is not a positive number")
            step = int(step_text)
        if part in ("*", ""):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, names, field), _number(b, names, field)
        else:
            first = _number(part, names, field)
            last = high if has_step else first
        if not (low <= first <= high and low <= last <= high):
            raise CronError(f"'{part}' is outside {low}-{high} in the {field} field")
        if last < first:  # a wrapping range such as FRI-MON
            span = list(range(first, high + 1)) + list(range(low, last + 1))
        else:
            span = list(range(first, last + 1))
        values.update(span[::step])
    return frozenset(values)


def parse_cron(text: str) -> CronSchedule:
    """Parse a Quartz cron expression as Camunda 7 reads a ``timeCycle``; raise CronError saying why not."""
    fields = text.split()
    if len(fields) not in (6, 7):
        raise CronError(
            f"a cron expression has 6 or 7 fields (seconds minutes hours day-of-month month "
            f"day-of-week [year]), not {len(fields)}"
        )
    second, minute, hour, dom, month, dow = fields[:6]
    if "W" in dom.upper():
        raise CronError("'W' (nearest weekday) in the day-of-month field is not supported")
    if (dom == "?") == (dow == "?"):
        raise CronError("one of day-of-month and day-of-week must be '?' and the other not")
    days: frozenset[int] | None = None
    last_day = False
    if dom != "?":
        if dom.upper() == "L":
            last_day = True
        else:
            days = _values(dom, 1, 31, "day-of-month")
    weekdays: frozenset[int] | None = None
    last_weekday: int | None = None
    nth: tuple[int, int] | None = None
    if dow != "?":
        upper = dow.upper()
        if upper.endswith("L") and len(upper) > 1:
            last_weekday = _number(upper[:-1], _DAYS, "day-of-week")
            if not 1 <= last_weekday <= 7:
                raise CronError(f"'{dow}' is outside 1-7 in the day-of-week field")
        elif "#" in upper:
            a, b = upper.split("#", 1)
            weekday = _number(a, _DAYS, "day-of-week")
            if not (1 <= weekday <= 7 and b.isdigit() and 1 <= int(b) <= 5):
                raise CronError(f"'{dow}' is not a weekday#n (n 1-5) in the day-of-week field")
            nth = (weekday, int(b))
        else:
            weekdays = _values(upper, 1, 7, "day-of-week", _DAYS)
    schedule = CronSchedule(
        text=text,
        seconds=_values(second, 0, 59, "seconds"),
        minutes=_values(minute, 0, 59, "minutes"),
        hours=_values(hour, 0, 23, "hours"),
        days=days,
        last_day=last_day,
        months=_values(month, 1, 12, "month", _MONTHS),
        weekdays=weekdays,
        last_weekday=last_weekday,
        nth_weekday=nth,
        years=_values(fields[6], 1970, 2199, "year") if len(fields) == 7 else None,
    )
    return schedule


_PROBE = datetime(2001, 1, 1, tzinfo=UTC)


def shortest_period(schedule: CronSchedule, samples: int = 64) -> timedelta | None:
    """The shortest gap between two of the schedule's first ``samples`` times.

    None when it fires once or never.
    """
    previous = schedule.next_after(_PROBE)
    shortest: timedelta | None = None
    for _ in range(samples):
        if previous is None:
            break
        following = schedule.next_after(previous)
        if following is None:
            break
        gap = following - previous
        shortest = gap if shortest is None or gap < shortest else shortest
        previous = following
    return shortest
