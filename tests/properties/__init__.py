"""Property-based suites (hypothesis). ``examples(n)`` scales the number of examples of each test by
``HYPOTHESIS_SCALE`` (default 1: the bounded CI run)."""

from __future__ import annotations

import os


def examples(count: int) -> int:
    """``count`` examples, times ``HYPOTHESIS_SCALE``."""
    return count * max(1, int(os.environ.get("HYPOTHESIS_SCALE", "1")))
