"""The retention job: finished cases past their ``historyTimeToLive``, and data-processing records
past their own term (``INBURGERING_PROCESSING_LOG_RETENTION_DAYS``), leave the database.

It runs on the worker every ``INBURGERING_RETENTION_INTERVAL_SECONDS`` (default one hour), in
batches, with ``now`` from the app's clock. Records of the data-processing log outlive the cases
they are about: each leaves at its own term, whatever happened to its case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app import Services, processing_log, tracing
from storage import processing_log as store
from storage.db import write_connection

logger = logging.getLogger("inburgering.retention")

DEFAULT_INTERVAL_SECONDS = 3600.0
_MAX_BATCHES = 20


@dataclass(frozen=True)
class RetentionReport:
    instances: int
    processing_records: int


class RetentionJob:
    """One run removes what is past its term, in bounded batches (the next run takes the rest)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self) -> RetentionReport | None:
        svc = self.services
        try:
            with tracing.operation("retention purge", new_trace=True):
                instances = 0
                for _ in range(_MAX_BATCHES):
                    removed = svc.workflow.purge_history()
                    instances += removed
                    if removed == 0:
                        break
                days = processing_log.retention_days(svc.config)
                records = 0
                for _ in range(_MAX_BATCHES):
                    with write_connection(svc.db) as conn, conn.begin():
                        removed = store.purge_records(conn, svc.clock.now(), days)
                    records += removed
                    if removed == 0:
                        break
        except Exception:
            logger.exception("retention purge failed; retrying at the next run")
            return None
        if instances or records:
            logger.info("retention: %d finished cases and %d processing records removed", instances, records)
        return RetentionReport(instances, records)


def interval_seconds(services: Services) -> float:
    return float(services.config.get("RETENTION_INTERVAL_SECONDS") or DEFAULT_INTERVAL_SECONDS)
