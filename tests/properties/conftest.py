"""Hypothesis settings for the property suites: reproducible (derandomized) and bounded in CI.

``HYPOTHESIS_PROFILE=deep`` draws fresh random examples each run; ``HYPOTHESIS_SCALE=10`` runs ten times
as many (see :func:`tests.properties.examples`).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,  # time is bounded by the step budget in the tests themselves, not per example
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
settings.register_profile("deep", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
