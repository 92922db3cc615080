"""``inburgering serve --demo``: an idempotent seed of organisations, callers and status holders.

Demo tokens are derived from ``INBURGERING_SECRET_KEY`` (HMAC per organisation and role), so they
stay the same across restarts and are never stored in plain text; without a secret key a fixed
development secret is used and the output says so. Demo users log in to the tasklist with the
password ``demo``. The status holders have fake V-nummers (``V9000001``...) and are started on
``doorlopende_lijn`` when that process is deployed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import Services
from app.auth import READERS
from engine.clock import LOCAL_ZONE
from engine.errors import EngineError, NotFoundError
from storage.db import write_connection
from storage.errors import StorageError
from storage.orgs import add_organisation, add_user, create_token, get_organisation, get_user, token_exists
from storage.schema import process_instances, timers, user_tasks
from storage.task_forms import FORM, TASKS_WITH_FORM

log = logging.getLogger(__name__)

DEV_SECRET = "doorlopende-lijn-demo"  # noqa: S105 - development only, announced when used
DEMO_PASSWORD = "demo"  # noqa: S105 - demo users only
MAIN_PROCESS = "doorlopende_lijn"

ORGANISATIONS = (
    ("COA", "Centraal Orgaan opvang asielzoekers", "coa"),
    ("GM0344", "Gemeente Utrecht", "gemeente"),
    ("GM0363", "Gemeente Amsterdam", "gemeente"),
    ("SYSTEEM", "TVS-koppeling", "systeem"),
)
#: (organisation, role, tasklist user name) of every demo caller.
CALLERS = (
    ("GM0344", "klantmanager", "klantmanager.utrecht"),
    ("GM0363", "klantmanager", "klantmanager.amsterdam"),
    ("COA", "casemanager", "casemanager.coa"),
    ("COA", "procesontwerper", "procesontwerper.coa"),
    ("COA", "beheerder", "beheerder.coa"),
    ("SYSTEEM", "systeem", "tvs.systeem"),
)


@dataclass(frozen=True)
class StatusHolder:
    """A fake status holder and how far the demo moves them along."""

    v_nummer: str
    gemeente: str
    azc: str
    stage: str  # started | scenario | housing | coa (scenario 3, COA's voorinburgering started)
    naam: str = ""
    days_ago: int = 0  # koppeldatum this many days before today


STATUS_HOLDERS = (
    StatusHolder("V9000001", "GM0344", "AZC-ZWL", "started", "Amal Haddad", 9),
    StatusHolder("V9000002", "GM0344", "AZC-ZWL", "scenario", "Yonas Tesfaye", 3),
    StatusHolder("V9000003", "GM0344", "AZC-BDA", "housing", "Rahel Gebremedhin", 1),
    StatusHolder("V9000004", "GM0363", "AZC-BDA", "started", "Omar Nasser", 2),
    StatusHolder("V9000005", "GM0363", "AZC-TER", "scenario", "Lina Darwish", 5),
    StatusHolder("V9000006", "GM0363", "AZC-TER", "housing", "Samir Aziz", 0),
    StatusHolder("V9000007", "GM0344", "AZC-ZWL", "coa", "Hiwet Kidane", 20),
    StatusHolder("V9000008", "GM0363", "AZC-TER", "coa", "Farah Said", 16),
)


def demo_token(secret: str, org: str, role: str) -> str:
    digest = hmac.new(secret.encode(), f"demo:{org}:{role}".encode(), hashlib.sha256).hexdigest()
    return f"dl_demo_{digest[:40]}"


def seed(svc: Services, out: Callable[[str], None] = print) -> dict[tuple[str, str], str]:
    """Seed everything (again, harmlessly) and print how to use it. Returns the tokens."""
    now = svc.clock.now()
    secret = svc.config.get("SECRET_KEY") or DEV_SECRET
    tokens: dict[tuple[str, str], str] = {}
    with write_connection(svc.db) as conn, conn.begin():
        for code, name, kind in ORGANISATIONS:
            if get_organisation(conn, code) is None:
                add_organisation(conn, code, name, kind, now)
        password_hash = generate_password_hash(DEMO_PASSWORD)
        for org, role, username in CALLERS:
            token = demo_token(secret, org, role)
            if not token_exists(conn, token):
                create_token(conn, org, role, f"demo {username}", now, token=token)
            tokens[(org, role)] = token
            if get_user(conn, username) is None:
                add_user(conn, username, org, role, password_hash, now)
    started = _seed_status_holders(svc, tokens, out)
    _print_usage(svc, tokens, secret == DEV_SECRET, started, out)
    return tokens


def _seed_status_holders(
    svc: Services, tokens: Mapping[tuple[str, str], str], out: Callable[[str], None]
) -> int:
    workflow = svc.workflow
    try:
        workflow.definition(MAIN_PROCESS)
    except NotFoundError:
        out(f"(process '{MAIN_PROCESS}' is not deployed: no demo status holders)")
        return 0
    count = 0
    for holder in STATUS_HOLDERS:
        with svc.db.connect() as conn:
            exists = conn.execute(
                select(process_instances.c.id).where(process_instances.c.business_key == holder.v_nummer)
            ).first()
        if exists is not None:
            continue
        try:
            _advance(svc, holder)
            count += 1
        except (EngineError, StorageError) as exc:
            out(f"(demo status holder {holder.stage}/{holder.gemeente} stopped early: {exc})")
    return count


def _advance(svc: Services, holder: StatusHolder) -> None:
    workflow = svc.workflow
    today = svc.clock.now().astimezone(LOCAL_ZONE).date()
    actor = "systeem:demo@SYSTEEM"
    koppeldatum = today - timedelta(days=holder.days_ago)
    variables = {"gemeente": holder.gemeente, "azc": holder.azc, "koppeldatum": koppeldatum.isoformat()}
    if holder.naam:
        variables["naam"] = holder.naam
    record = workflow.start(
        MAIN_PROCESS, business_key=holder.v_nummer, gemeente=holder.gemeente, variables=variables, actor=actor
    )
    if holder.stage == "started":
        return
    task = _open_task(svc, record.id, "scenario_kiezen")
    if task is not None:
        scenario = {"housing": "1", "coa": "3"}.get(holder.stage, "2")
        values = fill_form(task.form, {"scenario": scenario}, today)
        workflow.complete_task(task.id, values, actor=f"klantmanager:demo@{holder.gemeente}")
    if holder.stage == "coa":  # the koppeling was weeks ago: COA's voorinburgering is due at once
        for timer_id in _pending_timers(svc, record.id):
            try:
                workflow.fire_timer(timer_id, actor="system:demo")
            except (EngineError, StorageError):
                continue
    if holder.stage == "housing":
        verhuisdatum = (today + timedelta(days=60)).isoformat()
        workflow.correlate(
            "huisvesting_gevonden", holder.v_nummer, {"verhuisdatum": verhuisdatum}, actor=actor
        )


def _pending_timers(svc: Services, instance_id: str) -> list[str]:
    """Timers of the instance that are due now (the demo does what the worker would do)."""
    with svc.db.connect() as conn:
        return list(
            conn.execute(
                select(timers.c.id).where(
                    timers.c.instance_id == instance_id, timers.c.due_at <= svc.clock.now()
                )
            ).scalars()
        )


def _open_task(svc: Services, instance_id: str, element_id: str) -> Any:
    with svc.db.connect() as conn:
        return conn.execute(
            select(user_tasks, FORM)
            .select_from(TASKS_WITH_FORM)
            .where(user_tasks.c.instance_id == instance_id, user_tasks.c.element_id == element_id)
        ).first()


def fill_form(form: list[dict[str, Any]], overrides: Mapping[str, Any], today: Any) -> dict[str, Any]:
    """Values for every required field of a task form (``overrides`` win)."""
    values: dict[str, Any] = {}
    for field in form or []:
        name = field["id"]
        if name in overrides:
            values[name] = overrides[name]
        elif field.get("required") and field.get("default") is None:
            kind = str(field.get("type"))
            options = field.get("options") or []
            values[name] = {
                "enum": options[0]["id"] if options else None,
                "date": today.isoformat(),
                "long": 1,
                "boolean": True,
            }.get(kind, "demo")
    return values


def _print_usage(
    svc: Services,
    tokens: Mapping[tuple[str, str], str],
    dev_secret: bool,
    started: int,
    out: Callable[[str], None],
) -> None:
    base = str(svc.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/") + "/api/v1"
    out("")
    out("Demo data is ready.")
    if dev_secret:
        out("  (no INBURGERING_SECRET_KEY set: demo tokens come from a fixed development secret)")
    if started:
        out(f"  {started} demo status holders started on '{MAIN_PROCESS}'.")
    out("  Bearer tokens (one per organisation and role):")
    for (org, role), token in tokens.items():
        out(f"    {role:<16} {org:<8} {token}")
    tasklist = str(svc.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/") + "/tasklist"
    out(f"  Werklijst (tasklist): {tasklist}")
    out(f"  Log in there with password '{DEMO_PASSWORD}' as one of:")
    for org, role, username in CALLERS:
        if role in READERS:
            out(f"    {username:<24} {role} ({org})")
    km, sysm, bh = (
        tokens[("GM0344", "klantmanager")],
        tokens[("SYSTEEM", "systeem")],
        tokens[("COA", "beheerder")],
    )
    out("  Try:")
    out(f"    curl -H 'Authorization: Bearer {km}' {base}/tasks")
    out(f"    curl -H 'Authorization: Bearer {km}' '{base}/process-instances?status=active'")
    out(f"    curl -H 'Authorization: Bearer {bh}' {base}/timers")
    out(
        f"    curl -H 'Authorization: Bearer {sysm}' -H 'Content-Type: application/json' "
        f'-d \'{{"businessKey": "V9000099", "gemeente": "GM0344", "variables": {{"azc": "AZC-ZWL", '
        f'"koppeldatum": "2027-01-04"}}}}\' {base}/process-instances'
    )
    out(f"    OpenAPI: {base}/openapi.json   docs: {base}/docs")
    out("")
