"""When to try a failed delivery again: exponential backoff with jitter, about 24 hours in all.

Pure functions of the attempt number, a random source and the clock's ``now``, so the schedule can be
tested (and reasoned about) without waiting.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

#: First retry after about 30 seconds, doubling up to 4 hours between attempts.
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=4)
#: Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER], so that receivers coming back
#: after an outage are not hit by every sender at the same second.
JITTER = 0.2
#: 15 attempts: 9 doubling delays (about 4.3 h) then 5 delays of 4 h make about 24 hours.
MAX_ATTEMPTS = 15
#: A delivery that still fails this long after its first attempt is dead, whatever the attempt count.
MAX_AGE = timedelta(hours=24)
#: Bounds on an honoured ``Retry-After`` (a 429 answer).
MIN_RETRY_AFTER = timedelta(seconds=1)
MAX_RETRY_AFTER = timedelta(hours=6)


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based); ``rng=None`` means no jitter."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    delay = min(BASE_DELAY * (2 ** min(attempt - 1, 30)), MAX_DELAY)
    if rng is None:
        return delay
    return delay * rng.uniform(1 - JITTER, 1 + JITTER)


def is_exhausted(attempts: int, first_attempt_at: datetime, now: datetime) -> bool:
    """True when a delivery that just failed has had its chances and becomes dead."""
    return attempts >= MAX_ATTEMPTS or now - first_attempt_at >= MAX_AGE


def retry_after(header: str | None, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for (seconds or HTTP date), bounded; None if absent/bad."""
    if not header:
        return None
    value = header.strip()
    wait: timedelta
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    return max(MIN_RETRY_AFTER, min(wait, MAX_RETRY_AFTER))
