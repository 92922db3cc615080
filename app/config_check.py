"""``inburgering config check``: what is missing or unsafe for production, before it bites."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from app.worker_metrics import parse_listen
from engine.budget import StepBudget
from storage.db import make_engine
from storage.migrate import alembic_config

ERROR, WARNING = "error", "warning"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Finding:
    """One thing to fix (``error``: not fit for production) or to look at (``warning``)."""

    level: str
    setting: str
    message: str

    def line(self) -> str:
        return f"{self.level}: {self.setting}: {self.message}"


def check_config(config: Mapping[str, Any], *, database: bool = True) -> list[Finding]:
    """Every finding for ``config`` (as :func:`app.config.load_config` gives it), errors first."""
    found: list[Finding] = []

    def error(setting: str, message: str) -> None:
        found.append(Finding(ERROR, setting, message))

    def warning(setting: str, message: str) -> None:
        found.append(Finding(WARNING, setting, message))

    key = str(config.get("SECRET_KEY") or "")
    if not key:
        error(
            "INBURGERING_SECRET_KEY",
            "not set: subscription signing secrets are stored unsealed and demo tokens come from a public "
            "development secret",
        )
    elif len(key) < MIN_SECRET_LENGTH:
        error("INBURGERING_SECRET_KEY", f"shorter than {MIN_SECRET_LENGTH} characters")
    if key and key in (config.get("SECRET_KEY_PREVIOUS") or ()):
        error("INBURGERING_SECRET_KEY_PREVIOUS", "holds the current key")
    elif config.get("SECRET_KEY_PREVIOUS"):
        warning(
            "INBURGERING_SECRET_KEY_PREVIOUS",
            "a key rotation is under way: run `inburgering secrets rotate`, then remove it",
        )
    if config.get("WEBHOOKS_ALLOW_INSECURE"):
        error(
            "INBURGERING_WEBHOOKS_ALLOW_INSECURE",
            "allows http subscription URLs and loopback or private targets (development and tests only)",
        )
    tvs = config.get("TVS_WEBHOOK_SECRET")
    if not tvs:
        warning("TVS_WEBHOOK_SECRET", "not set: inbound TVS events are refused (503)")
    elif not str(tvs).startswith("whsec_"):
        error("TVS_WEBHOOK_SECRET", "is not a Standard Webhooks secret (whsec_...)")

    url = str(config.get("DATABASE_URL") or "")
    nodes = _int(config.get("NODES"), 1)
    if nodes is None or nodes < 1:
        error("INBURGERING_NODES", "must be a whole number from 1")
        nodes = 1
    if url.startswith("sqlite"):
        if nodes > 1:
            error(
                "DATABASE_URL",
                f"SQLite with {nodes} nodes: SQLite is one machine's file; "
                "use PostgreSQL for more than one node",
            )
        else:
            warning("DATABASE_URL", "SQLite: one node only; back it up with `inburgering backup`")
    elif url.startswith("postgresql") and shutil.which("pg_dump") is None:
        warning("DATABASE_URL", "pg_dump is not installed here: `inburgering backup` cannot run")

    base = str(config.get("PUBLIC_BASE_URL") or "")
    if not base.startswith("https://"):
        warning(
            "INBURGERING_PUBLIC_BASE_URL",
            f"{base or 'not set'}: not https, so tasklist cookies are not Secure "
            "and event links are plain http",
        )
    if str(config.get("LOG_FORMAT") or "text") not in ("text", "json"):
        error("INBURGERING_LOG_FORMAT", "must be text or json")
    elif config.get("LOG_FORMAT") != "json":
        warning("INBURGERING_LOG_FORMAT", "text: set json for a log shipper")
    try:
        StepBudget.from_settings(config)
    except ValueError as exc:
        error("INBURGERING_STEP_MAX_*", str(exc))
    poll = _float(config.get("TIMER_POLL_SECONDS"), 1.0)
    if poll is None or poll <= 0:
        error("INBURGERING_TIMER_POLL_SECONDS", "must be a positive number")
    elif poll > 60:
        warning("INBURGERING_TIMER_POLL_SECONDS", f"{poll:g} s: timers may fire up to that late")
    listen = config.get("WORKER_METRICS_LISTEN")
    if listen:
        try:
            address = parse_listen(str(listen))
        except ValueError as exc:
            error("INBURGERING_WORKER_METRICS_LISTEN", str(exc).partition(": ")[2])
        else:
            if not address.is_loopback():
                warning(
                    "INBURGERING_WORKER_METRICS_LISTEN",
                    f"plain http on {address.host}: the beheerder token of every scrape crosses the "
                    "network; keep it on a management network or behind a TLS proxy",
                )
    if database:
        found.extend(_database_findings(url))
    return sorted(found, key=lambda f: f.level != ERROR)


def _database_findings(url: str) -> list[Finding]:
    try:
        engine = make_engine(url)
    except (SQLAlchemyError, ValueError) as exc:
        return [Finding(ERROR, "DATABASE_URL", f"cannot be used: {exc}")]
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return [Finding(ERROR, "DATABASE_URL", f"cannot connect: {type(exc).__name__}")]
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current != head:
        return [
            Finding(
                ERROR,
                "DATABASE_URL",
                f"the schema is at {current or 'nothing'}, this version needs {head}: "
                "run `inburgering db upgrade`",
            )
        ]
    return []


def _int(value: Any, default: int) -> int | None:
    try:
        return default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any, default: float) -> float | None:
    try:
        return default if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None
