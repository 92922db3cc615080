"""A scrape of /metrics after a case of the shipped main process ran, with the expected series and values."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select

from app import create_app
from app.server import GRACEFUL_TIMEOUT
from app.worker import TimerJob, WorkerSettings
from engine.clock import ManualClock
from storage.db import write_connection
from storage.orgs import create_token
from storage.schema import audit_entries
from storage.webhook_schema import deliveries
from tests.operability.case_driver import Case, deploy_shipped
from tests.timing import patience, wait_for
from tests.webhooks.conftest import GM_A, Parties, Receiver, app_config
from tests.webhooks.test_delivery import CONFIG, subscribe
from webhooks.dispatch import deliver_pending

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Any, token: str) -> Samples:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.data
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def systeem(db: Engine, clock: ManualClock, parties: Parties) -> str:
    with write_connection(db) as conn, conn.begin():
        return create_token(conn, "TVS", "systeem", "tvs", clock.now())


def test_a_scrape_after_a_case_shows_requests_steps_timers_deliveries_and_instances(
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    systeem: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    app = create_app(app_config(db, clock))
    svc = app.extensions["inburgering"]
    deploy_shipped(svc.workflow)
    client = app.test_client()
    subscribe(client, parties, "km_a", receiver)

    started = client.post(
        "/api/v1/process-instances",
        json={
            "businessKey": "1000000001",
            "gemeente": GM_A,
            "variables": {"azc": "AZC-ZST", "koppeldatum": "2027-01-04"},
        },
        headers={"Authorization": f"Bearer {systeem}"},
    )
    assert started.status_code == 201, started.json
    listed = [client.get("/api/v1/tasks", headers=parties.auth("km_a")) for _ in range(3)]
    assert all(a.status_code == 200 for a in listed)
    assert client.get("/api/v1/tasks/nope", headers=parties.auth("km_a")).status_code == 404

    job = TimerJob(None, svc, "metrics-test", WorkerSettings())  # the scheduler's timer job, one tick
    case = Case(svc.workflow, clock, started.json["id"], sweep=job, late_by=timedelta(seconds=30))
    case.finish()
    assert case.status() == "completed"
    receiver.script.append(500)  # the first delivery fails; the others are not tried yet
    deliver_pending(db, clock, CONFIG, worker_id="w", limit=1)

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=parties.auth("casemanager")).status_code == 403
    samples = scrape(client, parties.tokens["beheerder"])

    # requests by route template, method and status, with latency histograms
    assert (
        value(
            samples,
            "inburgering_http_requests_total",
            route="/api/v1/process-instances",
            method="POST",
            status="201",
        )
        == 1
    )
    assert (
        value(samples, "inburgering_http_requests_total", route="/api/v1/tasks", method="GET", status="200")
        == 3
    )
    assert (
        value(
            samples,
            "inburgering_http_requests_total",
            route="/api/v1/tasks/<task_id>",
            method="GET",
            status="404",
        )
        == 1
    )
    assert (
        value(samples, "inburgering_http_request_duration_seconds_count", route="/api/v1/tasks", method="GET")
        == 3
    )
    assert (
        value(samples, "inburgering_http_request_duration_seconds_sum", route="/api/v1/tasks", method="GET")
        > 0
    )

    # engine steps by kind, with their durations
    moves = Counter(step.split()[0] for step in case.steps)
    expected = {
        "start": 1,
        "complete_task": moves["complete"],
        "correlate": moves["message"],
        "fire_due_timers": moves["timers"],
    }
    assert all(expected.values())
    for kind, count in expected.items():
        assert value(samples, "inburgering_engine_steps_total", kind=kind, outcome="ok") == count, kind
        assert value(samples, "inburgering_engine_step_duration_seconds_count", kind=kind) == count, kind

    # timers: one sweep per timer move, each fired 30 s late
    with db.connect() as conn:
        fired = conn.execute(
            select(func.count()).where(
                audit_entries.c.instance_id == case.id, audit_entries.c.action == "timer-fired"
            )
        ).scalar_one()
        total_deliveries = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
    assert value(samples, "inburgering_timer_sweep_duration_seconds_count") == moves["timers"]
    assert value(samples, "inburgering_timers_fired_total") == fired > 0
    assert value(samples, "inburgering_timer_lateness_seconds_count") == fired
    assert value(samples, "inburgering_timer_lateness_seconds_sum") == pytest.approx(30.0 * fired)
    assert value(samples, "inburgering_timer_lateness_seconds_bucket", le="30.0") == fired
    assert value(samples, "inburgering_timer_lateness_seconds_bucket", le="10.0") == 0
    assert value(samples, "inburgering_timers_pending") == 0
    assert value(samples, "inburgering_timers_overdue") == 0

    # deliveries, incidents and instances, read from the database
    assert total_deliveries > 1
    assert value(samples, "inburgering_deliveries", status="pending") == total_deliveries
    assert value(samples, "inburgering_deliveries", status="failing") == 1
    assert value(samples, "inburgering_deliveries", status="dead") == 0
    for kind in ("delivery", "external-task", "timer"):
        assert value(samples, "inburgering_incidents_open", kind=kind) == 0
    assert (
        value(samples, "inburgering_instances", process="doorlopende_lijn", version="1", status="completed")
        == 1
    )


def test_overdue_timers_show_while_no_worker_fires_them(
    db: Engine, clock: ManualClock, parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    app = create_app(app_config(db, clock))
    svc = app.extensions["inburgering"]
    deploy_shipped(svc.workflow)
    case = Case.start(svc.workflow, clock, "1000000001", GM_A)
    due = min(t.due_at for t in case.timers())
    clock.set(due + timedelta(minutes=10))
    samples = scrape(app.test_client(), parties.tokens["beheerder"])
    pending = len(case.timers())
    overdue = sum(1 for t in case.timers() if t.due_at <= clock.now())
    assert value(samples, "inburgering_timers_pending") == pending
    assert value(samples, "inburgering_timers_overdue") == overdue >= 1
    assert value(samples, "inburgering_timer_oldest_overdue_seconds") == 600
    assert (
        value(samples, "inburgering_instances", process="doorlopende_lijn", version="1", status="active") == 1
    )


def test_under_gunicorn_the_worker_processes_counts_add_up(tmp_path: Any) -> None:
    """``inburgering serve`` with two worker processes: /metrics counts the requests of both, and with
    JSON logs every line it writes (gunicorn's own included) is JSON, one per request."""
    import os
    import re
    import subprocess
    import sys
    import urllib.request

    from app.cli import main as cli

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "INBURGERING_SECRET_KEY": "served-secret",
        "INBURGERING_LOG_FORMAT": "json",
    }
    (tmp_path / "metrics").mkdir()
    serve = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--no-worker",
        "--workers",
        "2",
        "--threads",
        "2",
        "--port",
        "0",
    ]
    server = subprocess.Popen(serve, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        lines: list[str] = []
        for line in server.stdout:  # type: ignore[union-attr]
            lines.append(line)
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
            if sum("Booting worker" in x for x in lines) == 2:
                break
        assert port, "".join(lines)
        old = dict(os.environ)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "INBURGERING_SECRET_KEY")})
        try:
            assert cli(["org", "add", "BEHEER", "--name", "Beheer", "--kind", "systeem"]) == 0
        finally:
            os.environ.clear()
            os.environ.update(old)
        token = (
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "app.cli",
                    "token",
                    "create",
                    "--org",
                    "BEHEER",
                    "--role",
                    "beheerder",
                    "--name",
                    "b",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(12):
            with urllib.request.urlopen(
                f"{base}/api/v1/health", timeout=patience(30)
            ) as answer:  # a new connection each time
                assert answer.status == 200
        request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=patience(30)) as answer:
            text = answer.read().decode()
        counted = sum(
            s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "inburgering_http_requests_total" and s.labels.get("route") == "/api/v1/health"
        )
        assert counted == 12, text
        assert {p.name.split("_")[0] for p in (tmp_path / "metrics").iterdir()} >= {"counter", "histogram"}
    finally:
        server.terminate()
        # gunicorn gives its workers up to its graceful timeout to finish before it exits
        rest, _ = server.communicate(timeout=GRACEFUL_TIMEOUT + patience(30))
    # the start-up summary (what was deployed, where it serves) is the command's own output on stdout
    logged = [json.loads(line) for line in [*lines, *rest.splitlines()] if line.startswith("{")]
    health = [e for e in logged if e.get("event") == "request" and e["route"] == "/api/v1/health"]
    assert len(health) == 12 and all(len(e["trace_id"]) == 32 and e["status"] == 200 for e in health)
    assert any("Listening at" in e["message"] for e in logged)


def test_a_separate_worker_s_counts_are_served_through_the_shared_metrics_folder(
    db: Engine, clock: ManualClock, parties: Parties, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``inburgering worker`` in its own process, with PROMETHEUS_MULTIPROC_DIR naming the folder the
    service's /metrics reads: after it fired an overdue timer, a scrape shows its sweep, the timer it
    fired, how late it was and the engine step it ran."""
    import os
    import subprocess
    import sys

    from engine.clock import SystemClock
    from storage.schema import timers as timer_rows
    from tests.conftest import ROOT
    from tests.operability.conftest import current_schema

    folder = tmp_path / "metrics"
    folder.mkdir()
    # a case that started four weeks ago: its two-week term is overdue for the worker's real clock
    clock.set(SystemClock().now() - timedelta(weeks=4))
    app = create_app(app_config(db, clock))
    deploy_shipped(app.extensions["inburgering"].workflow)
    case = Case.start(app.extensions["inburgering"].workflow, clock, "1000000001", GM_A)
    overdue = [t.id for t in case.timers() if t.due_at <= SystemClock().now()]
    assert overdue

    env = {
        **os.environ,
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "INBURGERING_TIMER_POLL_SECONDS": "0.2",
        "PYTHONPATH": str(ROOT),
    }
    schema = current_schema(db)
    if schema:
        env["PGOPTIONS"] = f"-csearch_path={schema}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def fired_or_died() -> bool:  # the worker's own pace: wait for its first sweep's work
        if worker.poll() is not None:
            return True
        with db.connect() as conn:
            left = conn.execute(
                select(func.count()).select_from(timer_rows).where(timer_rows.c.id.in_(overdue))
            ).scalar_one()
        return left == 0

    try:
        assert wait_for(fired_or_died, 90, interval=0.2), "the worker fired nothing in time"
        assert worker.poll() is None, worker.communicate()[1]
    finally:
        worker.terminate()
        _out, errors = worker.communicate(timeout=patience(30))
    assert worker.returncode == 0, errors
    assert "not served" not in errors  # the folder is set: no warning that its counts are lost

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    samples = scrape(app.test_client(), parties.tokens["beheerder"])
    fired = value(samples, "inburgering_timers_fired_total")
    assert fired >= len(overdue)
    assert value(samples, "inburgering_timer_lateness_seconds_count") == fired
    # four weeks after the koppeldatum, the two-week term was about two weeks late
    assert value(samples, "inburgering_timer_lateness_seconds_bucket", le="3600.0") == 0
    assert value(samples, "inburgering_timer_sweep_duration_seconds_count") >= 1
    assert value(samples, "inburgering_engine_steps_total", kind="fire_due_timers", outcome="ok") >= 1


def test_a_worker_on_another_machine_is_scraped_over_its_own_listener(
    db: Engine, clock: ManualClock, parties: Parties, tmp_path: Any
) -> None:
    """``inburgering worker --metrics-listen`` in its own process, sharing no folder with anything:
    after it fired an overdue timer, Prometheus scrapes the worker itself over HTTP with a beheerder's
    token and finds its sweep, the timer it fired, how late it was and its engine step. Anyone else is
    refused as at the service's /metrics, and its counts went to no shared folder."""
    import os
    import re
    import selectors
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from engine.clock import SystemClock
    from storage.schema import timers as timer_rows
    from tests.conftest import ROOT
    from tests.operability.conftest import current_schema

    clock.set(SystemClock().now() - timedelta(weeks=4))  # its two-week term is overdue for the worker
    app = create_app(app_config(db, clock))
    deploy_shipped(app.extensions["inburgering"].workflow)
    case = Case.start(app.extensions["inburgering"].workflow, clock, "1000000001", GM_A)
    overdue = [t.id for t in case.timers() if t.due_at <= SystemClock().now()]
    assert overdue

    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBURGERING_")}
    env.update(
        DATABASE_URL=db.url.render_as_string(hide_password=False),
        PROMETHEUS_MULTIPROC_DIR=str(folder),  # set, but the worker's own listener takes its counts
        INBURGERING_TIMER_POLL_SECONDS="0.2",
        PYTHONPATH=str(ROOT),
    )
    schema = current_schema(db)
    if schema:
        env["PGOPTIONS"] = f"-csearch_path={schema}"
    command = [sys.executable, "-m", "app.cli", "worker", "--metrics-listen", "127.0.0.1:0"]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def get(url: str, token: str | None = None) -> tuple[int, str, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local test server
        try:
            with urllib.request.urlopen(request, timeout=patience(30)) as answer:  # noqa: S310
                return answer.status, answer.headers["Content-Type"], answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.headers["Content-Type"], refused.read().decode()

    try:
        assert worker.stdout is not None
        with selectors.DefaultSelector() as waiting:  # printed once the listener is bound
            waiting.register(worker.stdout, selectors.EVENT_READ)
            ready = waiting.select(patience(60))
        announced = worker.stdout.readline() if ready else ""
        found = re.search(r"Worker metrics on (http://127\.0\.0\.1:(\d+)/metrics)", announced)
        assert found, announced + worker.communicate(timeout=patience(30))[1]
        url = found.group(1)
        scraped: list[tuple[int, str, str]] = []

        def counted_or_died() -> bool:  # the worker's own pace: its sweep counts once its batch is written
            if worker.poll() is not None:
                return True
            scraped.append(get(url, parties.tokens["beheerder"]))
            return "inburgering_timers_fired_total 0.0" not in scraped[-1][2]

        assert wait_for(counted_or_died, 90, interval=0.2), "the worker fired nothing in time"
        assert worker.poll() is None, worker.communicate()[1]
        status, content_type, text = scraped[-1]
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, text)
        with db.connect() as conn:
            left = conn.execute(
                select(func.count()).select_from(timer_rows).where(timer_rows.c.id.in_(overdue))
            ).scalar_one()
        assert left == 0
        refusals = [
            get(url),
            get(url, "not-a-token"),
            get(url, parties.tokens["km_a"]),
            get(url.replace("/metrics", "/health"), parties.tokens["beheerder"]),
        ]
    finally:
        worker.terminate()
        _out, errors = worker.communicate(timeout=patience(30))
    assert worker.returncode == 0, errors
    assert "not served" not in errors  # it has a listener: no warning that its counts are lost

    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    fired = value(samples, "inburgering_timers_fired_total")
    assert fired >= len(overdue)
    assert value(samples, "inburgering_timer_lateness_seconds_count") == fired
    # four weeks after the koppeldatum, the two-week term was about two weeks late
    assert value(samples, "inburgering_timer_lateness_seconds_bucket", le="3600.0") == 0
    assert value(samples, "inburgering_timer_sweep_duration_seconds_count") >= 1
    assert value(samples, "inburgering_engine_steps_total", kind="fire_due_timers", outcome="ok") >= 1
    # the database series are the service's /metrics: a worker does not serve them a second time
    assert not any(name.startswith("inburgering_instances") for name, _ in samples)

    assert [(code, kind) for code, kind, _ in refusals] == [
        (401, "application/problem+json"),
        (401, "application/problem+json"),
        (403, "application/problem+json"),
        (404, "application/problem+json"),
    ]
    assert json.loads(refusals[2][2])["detail"] == "the role klantmanager may not read metrics"
    assert list(folder.iterdir()) == []  # its counts went to its listener only
