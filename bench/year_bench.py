"""The year of the country: 40,000 status holders koppeled over one simulated year, on one machine.

Every instance of the shipped main process (``bpmn/*.bpmn``, with its call activities) runs from
the koppeling to its end on a :class:`~engine.clock.ManualClock`: the koppelingen are spread evenly
over 365 days, the scenarios are mixed 20/30/50 (1/2/3), every user task a journey meets is
completed with valid form data (required fields filled from the task's stored form), the messages
``huisvesting_gevonden`` and ``verhuisd`` are sent, and the timers fire where the diagrams put them
(the termijn scenariokeuze, the start of voorinburgering, the termijn huisvesting for a woning
found late, the driegesprek two weeks before the move) through the product's own timer sweep
(``app.worker_sweep.sweep_timers``, polled every simulated hour). One in five journeys finds its
woning after 12 weeks, so the huisvesting escalation opens and is handled.

Steps go through ``storage.service.WorkflowService`` (the layer the API calls); one journey in 100
goes through real HTTP instead (the Flask app on a real socket, werkzeug's threaded server in
this process so that it shares the manual clock), with the tokens of the systeem, the
klantmanager of its gemeente and the COA casemanager; once a simulated day both worklists are read
over HTTP as well.

Reported: wall time, steps/s, p50/p95/p99 per step kind, peak RSS, database size, the per-step
cost when 1k, 10k and 40k instances are stored (same operations: start and the scenario choice, plus
all steps), and the ratio to the raw SpiffWorkflow floor measured in the same run (one task
completion in memory, ``bench.engine_bench.floor_samples``). At the end every instance must have
ended and the audit trail must hold exactly the task completions, messages and timer firings the
journeys call for, per element.

Run: ``python -m bench.year_bench --instances 40000 --db sqlite --out year.json`` (``--db`` also
``postgresql``, which reads ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` and works in a
throw-away schema). ``python -m bench year`` runs 40,000 on SQLite, and on PostgreSQL when a URL is
set. Flat cost: ``--instances 200 --stored-before 800,39800`` runs the same 200 journeys once with
800 and once with 39,800 instances already stored (copies of an earlier year's finished and running
instances, see :func:`preload`) and compares the per-step cost at 1k and at 40k stored.
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import multiprocessing
import os
import resource
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "year.json"
YEAR_START = date(2027, 1, 4)
GEMEENTEN = ("GM0344", "GM0363", "GM0518", "GM0599", "GM0014", "GM0153", "GM0193", "GM0202")
MARKS = (1_000, 10_000, 40_000)
HTTP_EVERY = 100  # one journey in 100 runs through real HTTP
POLL = timedelta(hours=1)  # the timer worker's poll, in simulated time
SWEEP_BATCH = 50
STEPPERS = 2  # processes that step journeys side by side (one per core)
WORKFLOW_CACHE = 20_000  # workflows each stepper keeps deserialized between steps

# Valid form data per task, as a caseworker enters it; other required fields come from the form.
FORM_VALUES: dict[str, dict[str, Any]] = {
    "contact_bijzonderheden": {
        "bijzonderheden": "Medische bijzonderheden besproken",
        "relevantVoorScenario": True,
    },
    "kennismaking_azc": {"kennismakingDatum": "2027-01-20"},
    "afspraken_casemanager": {
        "afsprakenIntakePip": "Intake op locatie, casemanager schuift aan",
        "driegesprekMoment": "voor-verhuizing",
    },
    "driegesprek": {
        "driegesprekDatum": "2027-02-01",
        "deelnemers": "vergunninghouder, casemanager COA, klantmanager gemeente",
        "afsprakenOverdracht": "Klantprofiel doorgenomen",
    },
    "brede_intake": {
        "intakeDatum": "2027-02-03",
        "leerbaarheid": "Goed leerbaar",
        "opleidingWerkervaring": "Hbo, vijf jaar werkervaring als boekhouder",
        "taalniveau": "a1",
        "begeleidingNodig": False,
    },
    "begeleiding_inzetten": {"begeleidingVorm": "Taalmaatje en werkfit-traject"},
    "pip_opstellen": {"pipDatum": "2027-02-10", "leerroute": "b1", "begeleiding": "Maandelijks gesprek"},
    "reguliere_inburgering_starten": {"startdatumTraject": "2027-02-15"},
    "aanbod_programma": {"deelname": "geaccepteerd"},
    "programma_volgen": {
        "nt2Gevolgd": True,
        "knmAfgerond": True,
        "mapAfgerond": True,
        "pvtAfgerond": False,
        "taalniveauNaProgramma": "a2",
        "klantprofielUpdate": "Voortgang NT2, KNM en MAP bijgewerkt",
    },
    "huisvesting_escaleren": {
        "contactMetCoa": "2027-03-30",
        "oorzaakVertraging": "Geen passende woning beschikbaar",
        "vervolgafspraken": "Gemeente meldt binnen 4 weken een woning",
    },
    "overdracht_plannen_coa": {"vergunninghouderGeinformeerd": True, "klantprofielBijgewerkt": True},
}


# -- the journeys ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    """``day`` days after the koppeling: complete the task ``target`` or send the message ``target``."""

    day: float
    kind: str  # "complete" | "message"
    target: str
    values: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Plan:
    """One journey: what people do and when, and the timers the diagrams fire on the way."""

    scenario: int
    late_woning: bool
    actions: tuple[Action, ...]
    timers: tuple[str, ...]


def _c(day: float, element: str, **values: Any) -> Action:
    return Action(day, "complete", element, tuple(values.items()))


def _m(day: float, message: str, **values: Any) -> Action:
    return Action(day, "message", message, tuple(values.items()))


def plan_for(i: int, koppeldatum: date) -> Plan:
    """Journey ``i``: scenario 1, 2 or 3 in 2/3/5 of every 10; one in five finds its woning late."""
    scenario = (1, 1, 2, 2, 2, 3, 3, 3, 3, 3)[i % 10]
    late = (i // 10) % 5 == 4
    # An optional step taken: guidance (1), the programme completed (2), the kennismaking (3).
    extra = (i // 10) % 2 == 0
    woning, move = (90, 118) if late else (56, 84)
    verhuisdatum = (koppeldatum + timedelta(days=move)).isoformat()
    actions: list[Action] = []
    timers: list[str] = []
    if scenario == 1:
        actions += [
            _c(5, "scenario_kiezen", scenario="1"),
            _c(9, "driegesprek"),
            _c(19, "brede_intake", begeleidingNodig=extra),
            _c(33, "pip_opstellen"),
            _c(40, "reguliere_inburgering_starten"),
        ]
        if extra:  # guidance first (the optional step between intake and PIP)
            actions.append(_c(26, "begeleiding_inzetten"))
    elif scenario == 2:
        actions += [
            _c(3, "contact_bijzonderheden"),
            _c(6, "scenario_kiezen", scenario="2"),
            _c(10, "afspraken_casemanager"),
            _c(15, "aanbod_programma"),  # after start_voorinburgering (day 14)
            _c(24, "brede_intake"),
            _c(38, "pip_opstellen"),
        ]
        timers.append("start_voorinburgering")
        if extra:
            actions.append(_c(70, "programma_volgen"))
    else:
        timers += ["termijn_scenariokeuze", "start_voorinburgering"]  # no choice in 2 weeks: 3
        actions.append(_c(16, "aanbod_programma"))
        if extra:
            actions.append(_c(20, "kennismaking_azc"))
    if late:
        timers.append("termijn_huisvesting")  # 12 weeks: escalation while the wait goes on
        actions.append(_c(86, "huisvesting_escaleren"))
    actions.append(_m(woning, "huisvesting_gevonden", verhuisdatum=verhuisdatum))
    if scenario != 1:  # the driegesprek is still to come: warme overdracht before the move
        timers.append("driegesprek_plannen")
        actions += [
            _c(woning + 5, "overdracht_plannen_coa"),
            _c(woning + 7, "overdracht_plannen"),
            _c(move - 12, "driegesprek"),
        ]
    actions.append(_m(move, "verhuisd", datum=verhuisdatum))
    if scenario == 2:
        actions.append(_c(move + 7, "reguliere_inburgering_starten"))
    if scenario == 3:
        actions += [
            _c(move + 10, "brede_intake"),
            _c(move + 24, "pip_opstellen"),
            _c(move + 30, "reguliere_inburgering_starten"),
        ]
    actions.sort(key=lambda a: a.day)
    return Plan(scenario, late, tuple(actions), tuple(timers))


def koppel_moment(i: int, n: int) -> tuple[date, datetime]:
    """Journey ``i`` of ``n``: its koppeldatum (spread over the year) and the moment it is started."""
    koppeldatum = YEAR_START + timedelta(days=i * 365 // n)
    start = datetime(koppeldatum.year, koppeldatum.month, koppeldatum.day, 8, 0, tzinfo=UTC)
    return koppeldatum, start + timedelta(minutes=(i * 7) % 480)


def form_data(element_id: str, form: list[dict[str, Any]]) -> dict[str, Any]:
    """Valid data for a task: the values above, then every other required field without a default."""
    data: dict[str, Any] = {}
    given = FORM_VALUES.get(element_id, {})
    for f in form or []:
        fid = f.get("id")
        if f.get("readonly") or fid is None:
            continue
        if fid in given:
            data[fid] = given[fid]
        elif f.get("required") and f.get("default") is None:
            data[fid] = _value(f)
    return data


def _value(f: dict[str, Any]) -> Any:
    options = f.get("options") or []
    if options:
        first = options[0]
        return first.get("id") if isinstance(first, dict) else first[0]
    return {"date": "2027-03-01", "boolean": True, "long": 1}.get(f.get("type") or "", "Vastgelegd")


# -- measurement ------------------------------------------------------------------------------------
@dataclass
class Samples:
    """Seconds per step, by kind, with the number of instances stored when the step ran."""

    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    marked: list[tuple[int, str, float]] = field(default_factory=list)  # (stored, kind, seconds)

    def add(self, kind: str, seconds: float, stored: int) -> None:
        self.by_kind[kind].append(seconds)
        self.marked.append((stored, kind, seconds))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _ms(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": round(_pct(values, 0.50) * 1000, 3),
        "p95_ms": round(_pct(values, 0.95) * 1000, 3),
        "p99_ms": round(_pct(values, 0.99) * 1000, 3),
    }


#: Kinds compared across sizes: the same operation whatever the date (a start; the scenario choice).
SAME_STEP = ("start", "complete:scenario_kiezen")
#: Kinds that are engine steps through the service layer (the steps/s and "all steps" figures).
SERVICE_KINDS = ("start", "complete", "message", "timer")
HTTP_STEPS = ("http:start", "http:complete", "http:message")


def _window(n: int) -> int:
    return max(25, n // 40)


def cost_by_size(samples: Samples, first: int, stored: int) -> list[dict[str, Any]]:
    """Per-step cost in the window just before ``mark`` instances were stored, for each mark passed."""
    out = []
    for mark in [m for m in MARKS if first < m <= stored] or [stored]:
        low = mark - _window(mark)
        window = [(k, s) for stored, k, s in samples.marked if low < stored <= mark]
        row: dict[str, Any] = {"stored": mark, "window": [low + 1, mark]}
        steps = [s for k, s in window if k.split(":")[0] in SERVICE_KINDS]
        if steps:
            row["all_steps"] = _ms(steps)
        for kind in (*SAME_STEP, "http:worklist_gemeente"):
            values = [s for k, s in window if k == kind]
            if values:
                row[kind] = _ms(values)
        out.append(row)
    return out


# -- the databases ----------------------------------------------------------------------------------
@dataclass
class Database:
    engine: Engine
    kind: str
    size: Callable[[], int]


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[Database]:
    from storage.db import make_engine
    from storage.migrate import upgrade

    if kind == "sqlite":
        path = workdir / "year.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)

        def sqlite_size() -> int:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(p.stat().st_size for p in workdir.glob("year.db*"))

        try:
            yield Database(engine, kind, sqlite_size)
        finally:
            engine.dispose()
        return
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        raise SystemExit("--db postgresql needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    schema = f"year_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})

    def pg_size() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                ).scalar_one()
            )

    try:
        upgrade(engine)
        yield Database(engine, kind, pg_size)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -- HTTP -------------------------------------------------------------------------------------------
class Http:
    """The Flask app on a real socket, sharing the bench's clock and database."""

    def __init__(self, db: Engine, clock: Any, tokens: dict[str, str]) -> None:
        import http.client

        from werkzeug.serving import make_server

        from app import create_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
        app = create_app({"DB_ENGINE": db, "CLOCK": clock, "DATABASE_URL": str(db.url)})
        app.extensions["inburgering"].workflow.load_definitions()  # before the first request
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="year-http", daemon=True)
        self.thread.start()
        self.port = self.server.server_port
        self.tokens = tokens
        self.conns: dict[str, http.client.HTTPConnection] = {}
        self._http = http.client

    def request(self, who: str, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        conn = self.conns.get(who)
        if conn is None:
            conn = self.conns[who] = self._http.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body)
        conn.request(method, f"/api/v1{url}", body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()
        self.server.shutdown()
        self.thread.join(timeout=10)


def _poll_after(at: datetime) -> datetime:
    """The first whole hour after ``at`` (an action at a whole hour comes after that hour's poll)."""
    return at.replace(minute=0, second=0, microsecond=0) + POLL


def _at_or_after(due: datetime) -> datetime:
    """The worker's first poll (a whole hour) at or after ``due``."""
    return _poll_after(due - timedelta(microseconds=1))


def _seed_organisations(db: Engine, now: datetime) -> dict[str, str]:
    from storage.orgs import add_organisation, create_token

    tokens: dict[str, str] = {}
    with db.begin() as conn:
        add_organisation(conn, "COA", "COA", "coa", now)
        add_organisation(conn, "TVS", "TVS", "systeem", now)
        tokens["systeem"] = create_token(conn, "TVS", "systeem", "year bench", now)
        tokens["coa"] = create_token(conn, "COA", "casemanager", "year bench", now)
        for code in GEMEENTEN:
            add_organisation(conn, code, f"Gemeente {code}", "gemeente", now)
            tokens[code] = create_token(conn, code, "klantmanager", "year bench", now)
    return tokens


# -- the year ---------------------------------------------------------------------------------------
class Year:
    """Drives every journey through the service (or HTTP), the timer sweep on the hour between."""

    def __init__(
        self,
        db: Engine,
        instances: int,
        http_every: int = HTTP_EVERY,
        *,
        tokens: dict[str, str] | None = None,
        part: int = 0,
        parts: int = 1,
    ) -> None:
        """``tokens``: the organisations are already seeded (and the diagrams deployed) with these.

        ``part`` of ``parts``: this year runs the journeys of the gemeenten ``j`` with
        ``j % parts == part`` (``j`` the gemeente's place in :data:`GEMEENTEN`), on a clock of its
        own, and its timer sweep owns those gemeenten's timers only (``sweep_timers(gemeenten=)``):
        the other parts' journeys, on their own clocks, are none of its business.
        """
        from engine.clock import ManualClock
        from storage.service import WorkflowService

        if not 0 <= part < parts <= len(GEMEENTEN):
            raise ValueError(f"part {part} of {parts}: at most {len(GEMEENTEN)} parts, one per gemeente")
        self.db = db
        self.n = instances
        self.http_every = http_every
        self.part, self.parts = part, parts
        owned = [j for j in range(len(GEMEENTEN)) if j % parts == part]
        self.owned = frozenset(owned)
        self.gemeenten = None if parts == 1 else tuple(GEMEENTEN[j] for j in owned)
        first = koppel_moment(0, instances)[1]
        self.clock = ManualClock(first - timedelta(hours=1))
        self.service = WorkflowService(self.db, self.clock, workflow_cache=WORKFLOW_CACHE)
        if tokens is None:
            for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
                self.service.deploy(path.name, path.read_bytes(), actor="year-bench")
            tokens = _seed_organisations(self.db, self.clock.now())
        self.tokens = tokens
        self.service.load_definitions()  # as a worker process does at its start, not in the first step
        self.http = Http(self.db, self.clock, self.tokens) if http_every else None
        self.samples = Samples()
        self.started: Any = None  # journeys started by every stepper together (a shared counter)
        self.stored = self.stored_before = 0
        self.ids: dict[int, str] = {}
        self.plans: dict[int, Plan] = {}
        self.expected: Counter[tuple[str, str]] = Counter()
        self.timer_steps = 0
        self.sweeps = 0

    def close(self) -> None:
        if self.http is not None:
            self.http.close()

    def _client(self) -> Http:
        assert self.http is not None
        return self.http

    # -- one step each ---------------------------------------------------------------------------
    def _via_http(self, i: int) -> bool:
        """One journey in each block of ``http_every``; its place in the block moves on with the
        block, so the journeys over HTTP meet every gemeente (every part) and every scenario."""
        every = self.http_every
        return bool(every) and i % every == (i // every) % min(every, len(GEMEENTEN))

    def journeys(self) -> range | list[int]:
        """The journeys of this part: those of its gemeenten (``GEMEENTEN[i % 8]``)."""
        if self.parts == 1:
            return range(self.n)
        return [i for i in range(self.n) if i % len(GEMEENTEN) in self.owned]

    def _timed(self, kind: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        out = call()
        self.samples.add(kind, time.perf_counter() - started, self._stored())
        return out

    def start(self, i: int) -> None:
        koppeldatum, _ = koppel_moment(i, self.n)
        gemeente = GEMEENTEN[i % len(GEMEENTEN)]
        business_key = f"V{i:09d}"
        variables = {
            "gemeente": gemeente,
            "azc": f"AZC-{i % 17:02d}",
            "koppeldatum": koppeldatum.isoformat(),
            "naam": f"Statushouder {i}",
        }
        plan = self.plans[i] = plan_for(i, koppeldatum)
        for action in plan.actions:
            self.expected[("task-completed" if action.kind == "complete" else "message", action.target)] += 1
        for timer in plan.timers:
            self.expected[("timer-fired", timer)] += 1
        if self._via_http(i):
            body = {
                "processKey": "doorlopende_lijn",
                "businessKey": business_key,
                "gemeente": gemeente,
                "variables": variables,
            }
            status, answer = self._timed(
                "http:start", lambda: self._client().request("systeem", "POST", "/process-instances", body)
            )
            assert status == 201, (status, answer)
            self.ids[i] = answer["id"]
        else:
            record = self._timed(
                "start",
                lambda: self.service.start(
                    "doorlopende_lijn",
                    business_key=business_key,
                    gemeente=gemeente,
                    variables=variables,
                    actor="system:tvs",
                ),
            )
            self.ids[i] = record.id
        self.stored += 1
        if self.started is not None:
            with self.started.get_lock():
                self.started.value += 1

    def _stored(self) -> int:
        """Instances stored now, by every stepper together."""
        return self.stored if self.started is None else self.stored_before + int(self.started.value)

    def act(self, i: int, action: Action) -> None:
        values = dict(action.values)
        if action.kind == "message":
            if self._via_http(i):
                body = {"messageName": action.target, "businessKey": f"V{i:09d}", "variables": values}
                status, answer = self._timed(
                    "http:message", lambda: self._client().request("systeem", "POST", "/messages", body)
                )
                assert status == 200, (status, answer)
            else:
                self._timed(
                    "message",
                    lambda: self.service.correlate(
                        action.target, f"V{i:09d}", values, actor="system:tvs", process_key="doorlopende_lijn"
                    ),
                )
            return
        task_id, form, lane = self._open_task(self.ids[i], action.target)
        data = {**form_data(action.target, form), **values}
        if self._via_http(i):
            who = "coa" if (lane or "").strip().lower() == "coa" else GEMEENTEN[i % len(GEMEENTEN)]
            status, answer = self._timed(
                "http:complete",
                lambda: self._client().request(
                    who, "POST", f"/tasks/{task_id}/complete", {"variables": data}
                ),
            )
            assert status == 200, (status, answer)
        else:
            self._timed(
                f"complete:{action.target}",
                lambda: self.service.complete_task(task_id, data, actor="user:year-bench"),
            )

    def _open_task(self, instance_id: str, element_id: str) -> tuple[str, list[dict[str, Any]], str | None]:
        """The open task a caseworker picks from the worklist (by instance and element)."""
        from storage.schema import user_tasks
        from storage.task_forms import FORM, TASKS_WITH_FORM

        with self.db.connect() as conn:
            row = conn.execute(
                select(user_tasks.c.id, FORM, user_tasks.c.lane)
                .select_from(TASKS_WITH_FORM)
                .where(user_tasks.c.instance_id == instance_id, user_tasks.c.element_id == element_id)
            ).first()
            if row is None:
                open_now = conn.execute(
                    select(user_tasks.c.element_id).where(user_tasks.c.instance_id == instance_id)
                ).scalars()
                raise AssertionError(
                    f"instance {instance_id}: no open task {element_id}; open: {list(open_now)}"
                )
        return row.id, list(row.form or []), row.lane

    def sweep(self) -> datetime | None:
        """The timer worker's poll: sweep until nothing is due (each instance stepped is one step).

        Returns when the worker should look next (the sweep's own ``next_due_at``, of this part's
        timers).
        """
        from app.worker_sweep import sweep_timers

        while True:
            started = time.perf_counter()
            report = sweep_timers(
                (self.db, self.service, self.clock),
                worker_id=f"year-bench-{self.part}",
                batch=SWEEP_BATCH,
                gemeenten=self.gemeenten,
            )
            elapsed = time.perf_counter() - started
            self.sweeps += 1
            if report.claimed:
                stepped = max(1, report.fired)
                for _ in range(stepped):
                    self.samples.add("timer", elapsed / stepped, self._stored())
                self.timer_steps += report.fired
            if report.claimed < SWEEP_BATCH:
                return report.next_due_at

    def worklists(self, day: int) -> None:
        """Once a day a klantmanager and the COA casemanager read their worklist page over HTTP.

        The klantmanager's gemeente goes round the gemeenten day by day; the part that owns it reads.
        """
        gemeente = GEMEENTEN[day % len(GEMEENTEN)]
        for who, kind in ((gemeente, "http:worklist_gemeente"), ("coa", "http:worklist_coa")):
            status, answer = self._timed(kind, partial(self._client().request, who, "GET", "/tasks"))
            assert status == 200, (status, answer)

    # -- the year --------------------------------------------------------------------------------
    def _last_day(self) -> int:
        """The day (since the year's start) of the year's last action, of every part together.

        The plans repeat every 100 journeys and later journeys start later: the last 100 decide.
        """
        last = 0
        for i in range(max(0, self.n - 100), self.n):
            begin = koppel_moment(i, self.n)[1]
            end = begin + timedelta(days=plan_for(i, begin.date()).actions[-1].day)
            last = max(last, (end.date() - YEAR_START).days)
        return last

    def run(self, progress: Callable[[str], None] | None = None, *, until: datetime | None = None) -> float:
        """Run this part's journeys to their end (or to ``until``); returns the wall time in seconds.

        Between the actions, in simulated time, the timer worker polls every whole hour; a poll with
        nothing of this part due is skipped (the sweep's next due time says when to look again). An
        action at a whole hour comes after that hour's poll. Once a simulated day (09:00) the
        worklists are read over HTTP, by the part that owns that day's gemeente.
        """
        queue: list[tuple[datetime, int, int, int]] = []  # (when, seq, journey, action; -1 start, -2 read)
        for i in self.journeys():
            queue.append((koppel_moment(i, self.n)[1], i, i, -1))
        if self.http is not None:
            first = datetime.combine(YEAR_START, datetime.min.time(), UTC) + timedelta(hours=9)
            for day in range(self._last_day() + 1):
                if day % len(GEMEENTEN) in self.owned:
                    queue.append((first + timedelta(days=day), -1, day, -2))
        heapq.heapify(queue)
        seq = self.n
        began = last_report = time.perf_counter()
        tick = _poll_after(self.clock.now())  # the worker's next poll
        next_due = self._next_due()
        acted = False
        while queue:
            when, _, i, index = queue[0]
            if until is not None and when > until:
                return time.perf_counter() - began
            if when >= tick:  # polls come before this event: those with something due sweep
                if acted:  # the actions since the last look may have set timers
                    next_due, acted = self._next_due(), False
                tick, next_due = self._polls(tick, next_due, when)
            heapq.heappop(queue)
            if when > self.clock.now():
                self.clock.set(when)
            if index == -2:
                self.worklists(i)
                continue
            try:
                if index < 0:
                    self.start(i)
                else:
                    self.act(i, self.plans[i].actions[index])
            except AssertionError as exc:
                raise AssertionError(f"journey {i} ({self.plans.get(i)}), step {index}: {exc}") from exc
            acted = True
            if index + 1 < len(self.plans[i].actions):
                at = koppel_moment(i, self.n)[1] + timedelta(days=self.plans[i].actions[index + 1].day)
                heapq.heappush(queue, (at, seq, i, index + 1))
                seq += 1
            if progress is not None and time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                day = (when.date() - YEAR_START).days
                progress(f"day {day}, {self._stored():,} stored, {len(queue)} journeys under way here")
        if until is not None:
            return time.perf_counter() - began
        # What is still due after the last action (stored copies' timers lie decades ahead: not ours).
        horizon = self.clock.now() + timedelta(days=365)
        self._polls(tick, self._next_due() if acted else next_due, horizon)
        return time.perf_counter() - began

    def _polls(
        self, tick: datetime, due: datetime | None, until: datetime
    ) -> tuple[datetime, datetime | None]:
        """The worker's polls from ``tick`` up to ``until``: only those with a timer due sweep.

        ``due`` is when the first timer of this part is due. Returns the first poll after ``until``
        and the next due time after the sweeps.
        """
        while due is not None and max(tick, _at_or_after(due)) <= until:
            tick = max(tick, _at_or_after(due))
            self.clock.set(max(tick, self.clock.now()))
            due = self.sweep()
            tick += POLL
        return max(tick, _poll_after(until)), due

    def _next_due(self) -> datetime | None:
        from storage import timer_store

        with self.db.connect() as conn:
            return timer_store.next_due_at(conn, self.clock.now(), gemeenten=self.gemeenten)

    # -- what the year left behind ---------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """Every journey ended; the audit trail holds exactly what the journeys call for."""
        from storage.schema import audit_entries, process_instances, timers, user_tasks

        ours = select(process_instances.c.id).where(
            process_instances.c.process_key == "doorlopende_lijn", process_instances.c.business_key.like("V%")
        )
        with self.db.connect() as conn:
            statuses: dict[str, int] = dict(
                conn.execute(
                    select(process_instances.c.status, func.count())
                    .where(process_instances.c.id.in_(ours))
                    .group_by(process_instances.c.status)
                ).all()
            )
            found: Counter[tuple[str, str]] = Counter()
            message = audit_entries.c.detail["message"].as_string()
            rows = conn.execute(
                select(audit_entries.c.action, audit_entries.c.element_id, message, func.count())
                .where(
                    audit_entries.c.action.in_(("task-completed", "message-correlated", "timer-fired")),
                    audit_entries.c.instance_id.in_(ours),
                )
                .group_by(audit_entries.c.action, audit_entries.c.element_id, message)
            ).all()
            left_tasks = conn.execute(
                select(func.count()).select_from(user_tasks).where(user_tasks.c.instance_id.in_(ours))
            ).scalar_one()
            left_timers = conn.execute(
                select(func.count()).select_from(timers).where(timers.c.instance_id.in_(ours))
            ).scalar_one()
        for action, element, message_name, count in rows:
            if action == "message-correlated":
                found[("message", message_name or element)] += count
            else:
                found[(action, element)] += count
        expected = {f"{a} {t}": n for (a, t), n in sorted(self.expected.items())}
        actual = {f"{a} {t}": n for (a, t), n in sorted(found.items())}
        return {
            "statuses": statuses,
            "allEnded": statuses == {"completed": self.n},
            "openTasksLeft": left_tasks,
            "pendingTimersLeft": left_timers,
            "expected": expected,
            "actual": actual,
            "asTheDiagramsSay": expected == actual,
        }


def preload(target: Engine, count: int, workdir: Path) -> None:
    """Store ``count`` instances before the year, as the end of an earlier year leaves them.

    A small year (40 journeys) runs on a scratch SQLite file up to day 300, which leaves finished
    journeys and journeys under way in the proportions of a running year; its instances and every
    row that belongs to them (tasks, timers, message waits, audit, outbox, closed tasks,
    data-processing records) are copied into ``target`` with fresh ids until ``count`` are stored.
    The copies' business keys start with ``P`` and their timers lie decades ahead, so the year never
    touches them: they are only there, as stored instances are.
    """
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.schema import metadata, process_instances, task_forms

    scratch = make_engine(f"sqlite:///{workdir / 'template.db'}")
    upgrade(scratch)
    template = Year(scratch, 40, http_every=0)
    template.run(until=datetime.combine(YEAR_START + timedelta(days=300), datetime.min.time(), UTC))
    template.close()
    tables = [t for t in metadata.sorted_tables if "instance_id" in t.c and t.name != "signal_deliveries"]
    with scratch.connect() as conn:
        instances = [dict(r._mapping) for r in conn.execute(select(process_instances))]
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in tables}
        forms = [dict(r._mapping) for r in conn.execute(select(task_forms))]
    scratch.dispose()
    from storage.db import write_connection

    with write_connection(target) as conn, conn.begin():  # the tasks' forms, stored once per form
        known = set(conn.execute(select(task_forms.c.id)).scalars())
        missing = [f for f in forms if f["id"] not in known]
        if missing:
            conn.execute(task_forms.insert(), missing)

    copy = 0
    stored = 0
    while stored < count:
        batch = instances[: count - stored]
        new_id = {r["id"]: str(uuid.uuid4()) for r in batch}
        new_key = {r["id"]: f"P{copy:05d}{r['business_key']}" for r in batch}
        with write_connection(target) as conn, conn.begin():
            conn.execute(
                process_instances.insert(),
                [{**r, "id": new_id[r["id"]], "business_key": new_key[r["id"]]} for r in batch],
            )
            for table in tables:
                copied = []
                for r in rows[table.name]:
                    if r["instance_id"] not in new_id:
                        continue
                    row = {**r, "instance_id": new_id[r["instance_id"]]}
                    for column in table.primary_key.columns:
                        if column.autoincrement is True or isinstance(r.get(column.name), int):
                            row.pop(column.name, None)  # a serial key: the database numbers the copy
                        else:
                            row[column.name] = str(uuid.uuid4())
                    if "id" in row and table.name == "outbox_events":
                        row["id"] = str(uuid.uuid4())
                    if "business_key" in row:
                        row["business_key"] = new_key[r["instance_id"]]
                    if table.name == "timers":
                        row["due_at"] = r["due_at"] + timedelta(days=365 * 30)
                    copied.append(row)
                if copied:
                    conn.execute(table.insert(), copied)
        stored += len(batch)
        copy += 1


def _floor_ms(window: int = 200) -> float:
    from bench.engine_bench import floor_samples

    return statistics.median(floor_samples(1, window)) * 1000


def figures(year: Year, kind: str, wall: float, floor: float) -> dict[str, Any]:
    """What the samples say so far (the whole year once it has run)."""
    samples = year.samples
    steps = sum(len(v) for k, v in samples.by_kind.items() if k.split(":")[0] in SERVICE_KINDS)
    http_steps = sum(len(v) for k, v in samples.by_kind.items() if k in HTTP_STEPS)
    kinds: dict[str, list[float]] = defaultdict(list)
    for k, v in samples.by_kind.items():
        kinds[k].extend(v)
        if k.startswith("complete:"):
            kinds["complete"].extend(v)
    all_steps = [s for k, v in samples.by_kind.items() if k.split(":")[0] in SERVICE_KINDS for s in v]
    per_kind = {
        k: _ms(v)
        for k, v in sorted(kinds.items())
        if k == "complete" or ":" not in k or k.startswith("http:")
    }
    by_size = cost_by_size(samples, year.stored_before, year.stored)
    for row in by_size:
        if "all_steps" in row:
            row["ratio_to_floor"] = round(row["all_steps"]["p50_ms"] / floor, 2)
    flat = None
    if len(by_size) > 1:
        first, last = by_size[0], by_size[-1]
        flat = {
            k: round(last[k]["p50_ms"] / first[k]["p50_ms"], 2)
            for k in ("all_steps", *SAME_STEP, "http:worklist_gemeente")
            if k in first and k in last
        }
    return {
        "db": kind,
        "instances": year.n,
        "stored": year.stored,
        "http_every": year.http_every,
        "wall_seconds": round(wall, 1),
        "steps": steps + http_steps,
        "service_steps": steps,
        "http_steps": http_steps,
        "timer_steps": year.timer_steps,
        "steps_per_second": round((steps + http_steps) / wall, 1) if wall else None,
        "floor_step_ms": round(floor, 3),
        "all_steps": _ms(all_steps) if all_steps else None,
        "ratio_to_floor": round(_pct(all_steps, 0.5) * 1000 / floor, 2) if all_steps else None,
        "per_kind": per_kind,
        "by_stored_instances": by_size,
        "flat_cost_largest_over_smallest": flat,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def run_year(
    instances: int,
    kind: str,
    *,
    http_every: int = HTTP_EVERY,
    verbose: bool = True,
    checkpoint: Path | None = None,
    stored_before: int = 0,
    steppers: int = STEPPERS,
) -> dict[str, Any]:
    """Run the year; with ``checkpoint``, the figures so far are written there every few minutes.

    With ``steppers`` > 1 the journeys are shared out over that many processes by gemeente (see
    :func:`_run_steppers`); the figures are those of all of them together. The CPU time of every
    process of the bench (user + system) over the run is reported with the wall time: ``cores_busy``
    is their ratio, ``steps_per_cpu_second`` the steps over it.
    """
    floor = _floor_ms()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="year-bench-") as tmp, database(kind, Path(tmp)) as db:
        if stored_before:
            t0 = time.perf_counter()
            preload(db.engine, stored_before, Path(tmp))
            if verbose:
                print(
                    f"year[{kind}] {stored_before:,} stored in {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                )
        if steppers > 1:
            year = Year(db.engine, instances, http_every=0)  # deploys and seeds; the steppers do the rest
        else:
            year = Year(db.engine, instances, http_every)
        year.stored = year.stored_before = stored_before
        cpu = _cpu_seconds()
        if steppers > 1:
            wall, extra = _run_steppers(
                year, db.engine, kind, http_every, verbose, steppers, floor, checkpoint
            )
        else:
            wall, extra = _run_one(year, kind, verbose, floor, checkpoint, loads)
        cpu = {k: v - cpu[k] for k, v in _cpu_seconds().items()}
        loads.append(os.getloadavg()[0])
        result = figures(year, kind, wall, floor)
        result.update(extra)
        used = cpu["self"] + cpu["children"]
        result["cpu_seconds"] = round(used, 1)
        result["cpu_seconds_coordinator"] = round(cpu["self"], 1) if steppers > 1 else None
        result["cores_busy"] = round(used / wall, 2) if wall else None
        result["steps_per_cpu_second"] = round(result["steps"] / used, 1) if used else None
        result["check"] = year.check()
        size = db.size()
    result["stored_before"] = stored_before
    result["database_mb"] = round(size / 1024 / 1024, 1)
    result["database_kb_per_instance"] = round(size / 1024 / (instances + stored_before), 2)
    result["load_average_during_run"] = round(statistics.mean(loads), 1)
    return result


def _runqueue_seconds() -> float:
    """Seconds this process's threads spent ready to run while every core was taken (Linux
    ``schedstat``; 0 where the kernel does not tell): the share of the wall time the machine's other
    load took."""
    total = 0
    for stat in Path("/proc/self/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def _cpu_seconds() -> dict[str, float]:
    """User + system CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": own.ru_utime + own.ru_stime, "children": children.ru_utime + children.ru_stime}


class _Progress:
    """Progress lines on stderr; with ``checkpoint``, the figures so far there every fourth line."""

    def __init__(
        self, year: Year, kind: str, floor: float, *, verbose: bool, checkpoint: Path | None, **extra: Any
    ) -> None:
        self.year, self.kind, self.floor = year, kind, floor
        self.verbose, self.checkpoint, self.extra = verbose, checkpoint, extra
        self.began = time.perf_counter()
        self.cpu = time.process_time()
        self.lines = 0
        self.loads: list[float] = []

    def __call__(self, line: str) -> None:
        load = os.getloadavg()[0]
        self.loads.append(load)
        if self.verbose:
            print(f"year[{self.kind}] {line} (load {load:.1f})", file=sys.stderr, flush=True)
        self.lines += 1
        if self.checkpoint is None or self.lines % 4:
            return
        year = self.year
        year.stored = year._stored()
        so_far = figures(year, self.kind, time.perf_counter() - self.began, self.floor)
        so_far.update(
            partial=True,
            progress=line,
            cpu_seconds=round(time.process_time() - self.cpu, 1),
            workflow_cache={"hits": year.service.workflows.hits, "misses": year.service.workflows.misses},
            **self.extra,
        )
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoint.write_text(json.dumps(so_far, indent=2, default=str) + "\n")


def _run_one(
    year: Year, kind: str, verbose: bool, floor: float, checkpoint: Path | None, loads: list[float]
) -> tuple[float, dict[str, Any]]:
    """The whole year in this process."""
    say = _Progress(year, kind, floor, verbose=verbose, checkpoint=checkpoint)
    try:
        wall = year.run(say)
    finally:
        year.close()
    loads.extend(say.loads)
    return wall, {"steppers": 1}


def _run_steppers(
    year: Year,
    engine: Engine,
    kind: str,
    http_every: int,
    verbose: bool,
    steppers: int,
    floor: float,
    checkpoint: Path | None = None,
) -> tuple[float, dict[str, Any]]:
    """The year in ``steppers`` processes, each the journeys of its share of the gemeenten.

    Each stepper runs its journeys on a clock of its own and sweeps its gemeenten's timers only, so
    the steppers never wait for each other: every timer fires at the poll it fires at in one process
    (the journeys of a gemeente, their timers and their sweeps share one clock). They share the
    database, the count of instances stored, and nothing else. ``year`` (which deployed the diagrams
    and seeded the organisations) collects their samples and expectations for the figures and the
    check.
    """
    context = multiprocessing.get_context("fork")
    engine.dispose()  # no pooled connection crosses the fork
    started = context.Value("q", 0)
    pipes = []
    workers = []
    for part in range(steppers):
        here, there = context.Pipe(duplex=False)
        worker = context.Process(
            target=_stepper,
            args=(engine, year.n, http_every, year.tokens, year.stored_before, part, steppers, started),
            kwargs={
                "verbose": verbose and part == 0,
                "kind": kind,
                "out": there,
                "floor": floor,
                "checkpoint": checkpoint if part == 0 else None,
            },
            name=f"year-stepper-{part}",
        )
        worker.start()
        there.close()
        pipes.append(here)
        workers.append(worker)
    began = time.perf_counter()
    outcomes = []
    for here in pipes:
        try:
            outcomes.append(here.recv())
        except EOFError:
            outcomes.append({"error": "the stepper died"})
    wall = time.perf_counter() - began
    for worker in workers:
        worker.join()
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        raise SystemExit("year: " + "; ".join(errors))
    for o in outcomes:
        for k, values in o["by_kind"].items():
            year.samples.by_kind[k].extend(values)
        year.samples.marked.extend(o["marked"])
        year.expected.update(o["expected"])
        year.timer_steps += o["timer_steps"]
    year.http_every = http_every
    year.stored = year.stored_before + year.n
    return wall, {
        "steppers": steppers,
        "peak_rss_mb": max(o["peak_rss_mb"] for o in outcomes),
        "workflow_cache": {
            "capacity": WORKFLOW_CACHE,
            "hits": sum(o["cache_hits"] for o in outcomes),
            "misses": sum(o["cache_misses"] for o in outcomes),
        },
        "per_stepper": [
            {
                "gemeenten": o["gemeenten"],
                "wall_seconds": round(o["wall"], 1),
                "cpu_seconds": round(o["cpu_seconds"], 1),
                # ready to run, but the cores were taken (the machine's other load)
                "runqueue_seconds": round(o["runqueue_seconds"], 1),
                # neither: waiting for the database (SQLite's write gate, PostgreSQL), the disk, HTTP
                "blocked_seconds": round(o["wall"] - o["cpu_seconds"] - o["runqueue_seconds"], 1),
                "steps": o["steps"],
                "sweeps": o["sweeps"],
            }
            for o in outcomes
        ],
    }


def _stepper(
    engine: Engine,
    instances: int,
    http_every: int,
    tokens: dict[str, str],
    stored_before: int,
    part: int,
    parts: int,
    started: Any,
    *,
    verbose: bool,
    kind: str,
    out: Any,
    floor: float,
    checkpoint: Path | None = None,
) -> None:
    """One stepper process: the journeys of its gemeenten; sends its samples back through ``out``.

    With ``checkpoint``, the figures of this stepper's share so far are written there every few
    minutes (``"partial"``), with the floor and the CPU time they took.
    """
    engine.dispose(close=False)  # connections of the parent stay the parent's
    try:
        cpu, waited = time.process_time(), _runqueue_seconds()
        year = Year(engine, instances, http_every, tokens=tokens, part=part, parts=parts)
        year.started = started
        year.stored_before = stored_before
        say = _Progress(
            year, kind, floor, verbose=verbose, checkpoint=checkpoint, stepper=f"{part + 1} of {parts}"
        )
        try:
            wall = year.run(say)
        finally:
            year.close()
        out.send(
            {
                "wall": wall,
                "gemeenten": list(year.gemeenten or GEMEENTEN),
                "by_kind": dict(year.samples.by_kind),
                "marked": year.samples.marked,
                "expected": year.expected,
                "timer_steps": year.timer_steps,
                "steps": sum(
                    len(v) for k, v in year.samples.by_kind.items() if k.split(":")[0] in SERVICE_KINDS
                )
                + sum(len(v) for k, v in year.samples.by_kind.items() if k in HTTP_STEPS),
                "sweeps": year.sweeps,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "cache_hits": year.service.workflows.hits,
                "cache_misses": year.service.workflows.misses,
                "cpu_seconds": time.process_time() - cpu,
                "runqueue_seconds": _runqueue_seconds() - waited,
            }
        )
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        out.send({"error": f"stepper {part}: {type(exc).__name__}: {exc}"})
    finally:
        out.close()


def summary(r: dict[str, Any]) -> str:
    lines = [
        f"year of the country, {r['instances']:,} instances on {r['db']}: {r['wall_seconds']} s wall, "
        f"{r['steps']:,} steps ({r['http_steps']} over HTTP), {r['steps_per_second']} steps/s, "
        f"peak RSS {r['peak_rss_mb']} MB, database {r['database_mb']} MB; floor {r['floor_step_ms']} ms/step, "
        f"all steps p50 {r['all_steps']['p50_ms']} ms ({r['ratio_to_floor']}x floor); "
        f"ended {r['check']['allEnded']}, as the diagrams say {r['check']['asTheDiagramsSay']}",
        f"{'kind':<26} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for kind, s in r["per_kind"].items():
        lines.append(f"{kind:<26} {s['n']:>7} {s['p50_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8}")
    for row in r["by_stored_instances"]:
        parts = [f"{k} p50 {v['p50_ms']} ms" for k, v in row.items() if isinstance(v, dict)]
        lines.append(f"at {row['stored']:,} stored: " + ", ".join(parts))
    if r["flat_cost_largest_over_smallest"]:
        lines.append(f"largest/smallest size, p50 ratio: {r['flat_cost_largest_over_smallest']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description="The year of the country")
    parser.add_argument("--instances", type=int, default=40_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument(
        "--http-every", type=int, default=HTTP_EVERY, help="one journey in N over HTTP; 0: none"
    )
    parser.add_argument(
        "--stored-before",
        default="0",
        help="instances stored before the year starts (copies of an earlier year); a list such as "
        "0,39000 runs the same journeys once per size and compares the per-step cost",
    )
    parser.add_argument(
        "--steppers", type=int, default=STEPPERS, help="processes stepping journeys side by side"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    # A stopped run still drops its PostgreSQL schema and temporary files (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    kinds = [args.db] if args.db else ["sqlite"]
    if args.db is None and (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")):
        kinds.append("postgresql")
    sizes = [int(x) for x in args.stored_before.split(",")]
    results = []
    for kind in kinds:
        runs = []
        for before in sizes:
            result = run_year(
                args.instances,
                kind,
                http_every=args.http_every,
                checkpoint=args.out,
                stored_before=before,
                steppers=args.steppers,
            )
            print(summary(result), flush=True)
            runs.append(result)
        if len(runs) > 1:
            flat = flat_cost(runs[0], runs[-1])
            print(f"flat cost on {kind}: {json.dumps(flat)}", flush=True)
            runs.append({"db": kind, "flat_cost": flat})
        results.extend(runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results if len(results) > 1 else results[0], indent=2, default=str) + "\n")
    return results


def flat_cost(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """The same journeys with more instances stored: p50 per step, larger over smaller."""
    out: dict[str, Any] = {
        "stored": [small["stored_before"] + small["instances"], large["stored_before"] + large["instances"]],
        "all_steps": round(large["all_steps"]["p50_ms"] / small["all_steps"]["p50_ms"], 2),
        # The machine's speed drifts between the runs: the same ratio with each run's own floor.
        "all_steps_per_floor": round(large["ratio_to_floor"] / small["ratio_to_floor"], 2),
    }
    for kind, s in small["per_kind"].items():
        if kind in large["per_kind"] and s["p50_ms"]:
            out[kind] = round(large["per_kind"][kind]["p50_ms"] / s["p50_ms"], 2)
    return out


if __name__ == "__main__":
    main()
