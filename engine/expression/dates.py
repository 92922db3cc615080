"""The Camunda date idiom (``${dateTime().plusDays(2).toDate()}``) and ISO 8601 timer literals.

:class:`DateTime` emulates the Joda-Time value Camunda's ``dateTime()`` returns; days, weeks, months
and years move on the Europe/Amsterdam calendar. Bare timer values (``P14D``, ``R3/PT10H``) are
recognised by :func:`is_iso_timer_literal`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.clock import LOCAL_ZONE
from engine.errors import ExpressionError
from engine.expression.limits import (
    _MAX_DATE_TEXT,
    _fail,
    _type_name,
)

# ---------------------------------------------------------------------------------------------
# Dates and the DateTime value
# ---------------------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(UTC)


def to_utc_datetime(value: Any) -> datetime:
    """Convert a DateTime, datetime, date or ISO text to an aware datetime in UTC.

    A ``date`` (or ``YYYY-MM-DD`` text) is midnight of that day in Europe/Amsterdam; a naive
    datetime is read as Europe/Amsterdam wall-clock time. Anything else raises ExpressionError.
    """
    if isinstance(value, DateTime):
        return value.instant
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return _local_midnight(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_DATE_TEXT:
            _fail("date text is too long")
        try:
            if _DATE_ONLY.fullmatch(text):
                return _local_midnight(date.fromisoformat(text))
            return to_utc_datetime(datetime.fromisoformat(text))
        except ValueError:
            _fail(f"'{text}' is not a date (YYYY-MM-DD) or an ISO 8601 date-time")
    _fail(f"cannot convert {_type_name(value)} to a date-time")


def _shift_calendar(instant: datetime, *, months: int = 0, days: int = 0) -> datetime:
    """Calendar arithmetic on the Europe/Amsterdam wall clock (the time of day is kept)."""
    wall = instant.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    if months:
        year, month0 = divmod(wall.month - 1 + months, 12)
        year += wall.year
        if not 1 <= year <= 9999:
            _fail("date out of range")
        day = min(wall.day, calendar.monthrange(year, month0 + 1)[1])
        wall = wall.replace(year=year, month=month0 + 1, day=day)
    if days:
        wall = wall + timedelta(days=days)
    # fold=0: an ambiguous wall time takes the first (summer-time) instant; a wall time in the
    # spring-forward gap moves forward by the gap, as Joda-Time does.
    return wall.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class DateTime:
    """An instant with Joda-Time style arithmetic, as Camunda's ``dateTime()`` returns.

    Day, week, month and year arithmetic is calendar arithmetic in Europe/Amsterdam; hour, minute
    and second arithmetic is absolute. Instances are immutable; every method returns a new value.
    """

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ExpressionError("DateTime needs an aware datetime")
        object.__setattr__(self, "instant", self.instant.astimezone(UTC))

    def plus(self, *, months: int = 0, days: int = 0, seconds: int = 0) -> DateTime:
        """Return this instant moved by calendar months/days (Amsterdam) and absolute seconds."""
        try:
            moved = (
                _shift_calendar(self.instant, months=months, days=days) if months or days else self.instant
            )
            return DateTime(moved + timedelta(seconds=seconds))
        except (OverflowError, ValueError) as exc:
            raise ExpressionError(f"date out of range: {exc}") from exc

    def start_of_day(self) -> DateTime:
        """Return midnight (Europe/Amsterdam) of this instant's day."""
        return DateTime(_local_midnight(self.instant.astimezone(LOCAL_ZONE).date()))

    def to_datetime(self) -> datetime:
        """Return the instant as an aware datetime in UTC."""
        return self.instant

    def isoformat(self) -> str:
        """Return the instant in ISO 8601, in UTC."""
        return self.instant.isoformat()

    def __str__(self) -> str:
        return self.isoformat()


def _int_argument(value: Any, what: str) -> int:
    if isinstance(value, bool) or value is None:
        _fail(f"{what} needs a whole number, not {_type_name(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            _fail(f"{what} needs a whole number, not {value}")
        value = int(value)
    if isinstance(value, str):
        from engine.expression.juel import _el_number  # JUEL's number coercion; juel imports this module

        value = _el_number(value)
        if isinstance(value, float):
            value = _int_argument(value, what)
    if not isinstance(value, int):
        _fail(f"{what} needs a whole number, not {_type_name(value)}")
    if abs(value) > 10_000_000:
        _fail(f"{what}: {value} is out of range")
    return value


def _shift_method(unit: str, sign: int) -> Callable[[DateTime, list[Any]], Any]:
    def method(value: DateTime, args: list[Any]) -> Any:
        if len(args) != 1:
            _fail(f"{'plus' if sign > 0 else 'minus'}{unit} takes one argument")
        amount = sign * _int_argument(args[0], f"{'plus' if sign > 0 else 'minus'}{unit}")
        if unit == "Days":
            return value.plus(days=amount)
        if unit == "Weeks":
            return value.plus(days=7 * amount)
        if unit == "Months":
            return value.plus(months=amount)
        if unit == "Years":
            return value.plus(months=12 * amount)
        if unit == "Hours":
            return value.plus(seconds=3600 * amount)
        if unit == "Minutes":
            return value.plus(seconds=60 * amount)
        return value.plus(seconds=amount)

    return method


def _no_args(name: str, args: list[Any]) -> None:
    if args:
        _fail(f"{name}() takes no arguments")


def _nullary(name: str, function: Callable[[Any], Any]) -> Callable[[Any, list[Any]], Any]:
    def method(value: Any, args: list[Any]) -> Any:
        _no_args(name, args)
        return function(value)

    return method


def _one_arg(name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        _fail(f"{name}() takes one argument")
    return args[0]


_DATETIME_METHODS: dict[str, Callable[[DateTime, list[Any]], Any]] = {
    f"{prefix}{unit}": _shift_method(unit, sign)
    for prefix, sign in (("plus", 1), ("minus", -1))
    for unit in ("Days", "Weeks", "Months", "Years", "Hours", "Minutes", "Seconds")
}
_DATETIME_METHODS.update(
    {
        "toDate": _nullary("toDate", lambda v: v.to_datetime()),
        "toString": _nullary("toString", lambda v: v.isoformat()),
        "withTimeAtStartOfDay": _nullary("withTimeAtStartOfDay", lambda v: v.start_of_day()),
        "isBefore": lambda v, a: v.instant < to_utc_datetime(_one_arg("isBefore", a)),
        "isAfter": lambda v, a: v.instant > to_utc_datetime(_one_arg("isAfter", a)),
        "isEqual": lambda v, a: v.instant == to_utc_datetime(_one_arg("isEqual", a)),
    }
)


# ---------------------------------------------------------------------------------------------
# ISO 8601 timer literals
# ---------------------------------------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")
_CYCLE = re.compile(r"R(\d*)/(.+)")


def _is_duration(text: str) -> bool:
    return bool(_DURATION.fullmatch(text)) and text not in ("P", "PT") and not text.endswith("T")


def _is_date_time(text: str) -> bool:
    if not _DATE_TIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        return False
    return True


def is_iso_timer_literal(text: str) -> bool:
    """True for a bare ISO 8601 duration, date-time or repeating interval, as Modeler writes them.

    Durations: ``P14D``, ``PT1H``, ``P2W``, ``P1Y2M3DT4H5M6S``. Date-times: ``2026-03-01T09:00:00Z``,
    ``2026-03-01T09:00:00+01:00`` (a date-time without offset is accepted too; it means
    Europe/Amsterdam). Cycles: ``R3/PT10H``, ``R/P1D``, ``R3/2026-03-01T09:00:00Z/PT1H`` and
    ``R3/PT1H/2026-03-01T09:00:00Z``.
    """
    if not isinstance(text, str) or len(text) > 200:
        return False
    text = text.strip()
    if _is_duration(text) or _is_date_time(text):
        return True
    cycle = _CYCLE.fullmatch(text)
    if cycle is None:
        return False
    parts = cycle.group(2).split("/")
    if len(parts) == 1:
        return _is_duration(parts[0])
    if len(parts) == 2:
        first, second = parts
        return (_is_date_time(first) and _is_duration(second)) or (
            _is_duration(first) and _is_date_time(second)
        )
    return False
