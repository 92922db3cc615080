"""Every setting an operator can give, in one table: environment variable, default, meaning.

The README's configuration table is this table (a test keeps them equal), and
``inburgering config check`` (:mod:`app.config_check`) says what is missing or unsafe for production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable the service reads."""

    env: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "`sqlite:///var/inburgering.db`",
        "SQLAlchemy URL of the database; `postgresql+psycopg://user:password@host/db` for PostgreSQL "
        "(required for more than one node)",
    ),
    Setting(
        "INBURGERING_SECRET_KEY",
        "none (development only)",
        "seals subscription signing secrets, keys the TVS events' `subjectHash` and the data-processing "
        "log's pseudonyms, signs tasklist sessions and derives demo tokens; at least 32 random characters",
    ),
    Setting(
        "INBURGERING_SECRET_KEY_PREVIOUS",
        "none",
        "keys in use before a rotation (separated by commas), still accepted until `secrets rotate` has run",
    ),
    Setting(
        "TVS_WEBHOOK_SECRET",
        "none (inbound TVS events answer 503)",
        "`whsec_...` secret TVS signs its events with (Standard Webhooks)",
    ),
    Setting(
        "INBURGERING_PUBLIC_BASE_URL",
        "`http://127.0.0.1:8000` (`serve`: its own address)",
        "address callers reach the service at: `dataref` of outbound events; `https://` makes session "
        "cookies `Secure`",
    ),
    Setting(
        "INBURGERING_TRUSTED_PROXIES",
        "`0`",
        "number of reverse proxies in front whose `X-Forwarded-*` headers are trusted",
    ),
    Setting(
        "INBURGERING_WEBHOOKS_ALLOW_INSECURE",
        "`0`",
        "`1` allows `http` subscription URLs and loopback or private targets: development and tests only",
    ),
    Setting(
        "INBURGERING_EVENT_SOURCE",
        "`urn:nld:oin:00000000000000000000:systeem:doorlopende-lijn`",
        "CloudEvents `source` of outbound events (your organisation's OIN)",
    ),
    Setting(
        "INBURGERING_MAX_SUBSCRIPTIONS_PER_ORGANISATION",
        "`20`",
        "active webhook subscriptions one organisation may have",
    ),
    Setting("INBURGERING_MAX_VARIABLES_BYTES", "`262144`", "largest variables object one request may set"),
    Setting(
        "INBURGERING_MAX_MULTI_INSTANCES",
        "`1000`",
        "most instances one multi-instance activity may start (more fails the step)",
    ),
    Setting("INBURGERING_TIMER_POLL_SECONDS", "`1`", "the timer job's poll interval"),
    Setting("INBURGERING_TIMER_BATCH", "`50`", "timers one sweep claims"),
    Setting(
        "INBURGERING_TIMER_LEASE_SECONDS",
        "`60`",
        "how long a sweep's claim on its timers lasts (keep it well above a batch's time)",
    ),
    Setting(
        "INBURGERING_TIMER_THREADS",
        "`4` on PostgreSQL, `1` on SQLite",
        "instances a sweep advances at once",
    ),
    Setting(
        "INBURGERING_WORKFLOW_CACHE",
        "`2000`",
        "running instances per process whose workflow is kept deserialized between steps (by revision; "
        "`0`: none); a workflow of the shipped diagrams takes about 80 KB",
    ),
    Setting("INBURGERING_STEP_MAX_ITERATIONS", "`500`", "engine iterations one step may take"),
    Setting(
        "INBURGERING_STEP_MAX_OPERATIONS", "`1000000`", "expression evaluator operations one step may take"
    ),
    Setting("INBURGERING_STEP_MAX_SECONDS", "`10`", "wall time one step may take"),
    Setting(
        "INBURGERING_TIMER_CYCLE_MIN_SECONDS",
        "`1`",
        "shortest period of a timer cycle (`R/PT10S`, `0/2 * * * * ?`); a shorter literal cycle is "
        "refused at deploy naming its event, one from a variable fails its step",
    ),
    Setting(
        "INBURGERING_PROCESSING_LOG_RETENTION_DAYS",
        "`1826`",
        "days the data-processing log keeps its records",
    ),
    Setting(
        "INBURGERING_VAR_DIR",
        "`var`",
        "folder for the files the service keeps (the tasklist session key when no secret key is set)",
    ),
    Setting("INBURGERING_LOG_FORMAT", "`text`", "`json` for one JSON line per log record (see Logs)"),
    Setting("INBURGERING_LOG_LEVEL", "`INFO`", "lowest level logged (`DEBUG`, `INFO`, `WARNING`, ...)"),
    Setting(
        "INBURGERING_NODES",
        "`1`",
        "machines that run `serve` or `worker` against this database; `config check` refuses SQLite for more "
        "than one",
    ),
    Setting(
        "PROMETHEUS_MULTIPROC_DIR",
        "a fresh folder per `serve`",
        "where gunicorn's worker processes keep their metrics (see Metrics); set it to one folder for "
        "`serve` and `worker` on a machine so /metrics shows the worker's counts too, or for another WSGI "
        "server",
    ),
    Setting(
        "INBURGERING_WORKER_METRICS_LISTEN",
        "none (no listener)",
        "`[HOST:]PORT` where `inburgering worker` serves its own /metrics to a beheerder's bearer token "
        "(also `--metrics-listen`); a bare port listens on 127.0.0.1, `0.0.0.0:9464` lets Prometheus on "
        "another machine scrape it; its counts then stay out of `PROMETHEUS_MULTIPROC_DIR` (see Metrics)",
    ),
    Setting("INBURGERING_CLI_TRACEBACK", "unset", "`1` shows a command's traceback instead of one line"),
)


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| environment variable | default | meaning |", "|---|---|---|"]
    rows.extend(f"| `{s.env}` | {s.default} | {s.meaning} |" for s in SETTINGS)
    return "\n".join(rows)
