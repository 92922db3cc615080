"""Property-based suites (hypothesis), bounded for CI.

Every test takes its settings from :func:`bounded`: derandomized (the same examples on every run),
no example database, no per-example deadline (each test bounds time itself, with the step budget),
and a fixed number of examples. ``HYPOTHESIS_SCALE=10`` runs ten times as many and
``HYPOTHESIS_RANDOM=1`` draws fresh random ones, for a deeper run by hand. The settings are applied
per test, never as a global profile, so other hypothesis users in the session are unaffected.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def examples(count: int) -> int:
    """``count`` examples, times ``HYPOTHESIS_SCALE``."""
    return count * max(1, int(os.environ.get("HYPOTHESIS_SCALE", "1")))


def bounded(count: int) -> settings:
    """The settings of one property test with ``count`` examples (see the module docstring)."""
    return settings(
        derandomize=not os.environ.get("HYPOTHESIS_RANDOM"),
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        max_examples=examples(count),
    )
