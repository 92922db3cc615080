"""API latency and throughput against the production server (gunicorn, app/server.py).

For each size (10k and 100k stored instances by default) it seeds a fresh database quickly: one
instance of tests/fixtures/aanvraag.bpmn is started through the real engine, and its stored row,
open task and timers are copied in bulk with fresh ids (the ids inside the engine state are
replaced too, so every copy can be completed). Then concurrent clients (threads with keep-alive
http.client connections) measure, as a klantmanager of one gemeente:

* ``GET /api/v1/tasks`` (the worklist, first page of 50), and
* ``POST /api/v1/tasks/{id}/complete`` (each client completes distinct tasks).

The server's CPU time per request (all its processes, from /proc) is reported beside the latencies:
it holds up on a shared machine where the latencies do not.

Prints a table and writes bench/results/api.json. Run: ``python -m bench api`` or
``python -m bench.api_bench --sizes 10000,100000 --clients 8``. ``--db postgresql`` runs the same
on PostgreSQL (``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL``, in a throw-away schema); the
server's CPU is then reported beside the CPU of the database's backends serving it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "aanvraag.bpmn"
RESULTS = ROOT / "bench" / "results" / "api.json"
GEMEENTEN = ("GM0344", "GM0363")


def seed(path: Path, size: int) -> str:
    """A migrated database with ``size`` instances; returns a klantmanager token for GM0344."""
    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.orgs import add_organisation, create_token
    from storage.service import WorkflowService

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    clock = SystemClock()
    service = WorkflowService(engine, clock)
    service.deploy("aanvraag.bpmn", FIXTURE.read_bytes(), actor="bench")
    with engine.begin() as conn:
        add_organisation(conn, "COA", "COA", "coa", clock.now())
        for code in GEMEENTEN:
            add_organisation(conn, code, code, "gemeente", clock.now())
        token = create_token(conn, "GM0344", "klantmanager", "bench", clock.now())
    template = service.start("aanvraag", business_key="V0", gemeente="GM0344", variables={}, actor="bench")
    engine.dispose()

    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    inst = dict(db.execute("SELECT * FROM process_instances WHERE id = ?", (template.id,)).fetchone())
    task = dict(db.execute("SELECT * FROM user_tasks WHERE instance_id = ?", (template.id,)).fetchone())
    timer_rows = [dict(r) for r in db.execute("SELECT * FROM timers WHERE instance_id = ?", (template.id,))]
    state_text = inst["state"]
    created = datetime.fromisoformat(str(inst["created_at"]))
    db.execute("DELETE FROM timers")
    db.execute("DELETE FROM user_tasks")
    db.execute("DELETE FROM process_instances")
    old_ids = [task["id"]] + [t["id"] for t in timer_rows]
    chunk = 2000
    for start in range(0, size, chunk):
        instances, tasks, timers = [], [], []
        for n in range(start, min(size, start + chunk)):
            new_ids = [str(uuid.uuid4()) for _ in old_ids]
            text = state_text
            for old, new in zip(old_ids, new_ids, strict=True):
                text = text.replace(old, new)
            instance_id = str(uuid.uuid4())
            gemeente = GEMEENTEN[n % 2]
            at = str(created + timedelta(seconds=n))
            instances.append(
                {
                    **inst,
                    "id": instance_id,
                    "business_key": f"V{n:08d}",
                    "gemeente": gemeente,
                    "state": text,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            tasks.append(
                {**task, "id": new_ids[0], "instance_id": instance_id, "gemeente": gemeente, "created_at": at}
            )
            for row, new in zip(timer_rows, new_ids[1:], strict=True):
                timers.append({**row, "id": new, "instance_id": instance_id, "gemeente": gemeente})
        for table, rows in (("process_instances", instances), ("user_tasks", tasks), ("timers", timers)):
            columns = list(rows[0])
            db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [tuple(r[c] for c in columns) for r in rows],
            )
        db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return token


def seed_url(url: str, size: int) -> str:
    """``seed`` on any database URL (PostgreSQL): the template's rows copied in bulk through SQLAlchemy."""
    from sqlalchemy import delete, insert, select

    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.orgs import add_organisation, create_token
    from storage.schema import process_instances, timers, user_tasks
    from storage.service import WorkflowService

    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    service = WorkflowService(engine, clock)
    service.deploy("aanvraag.bpmn", FIXTURE.read_bytes(), actor="bench")
    with engine.begin() as conn:
        add_organisation(conn, "COA", "COA", "coa", clock.now())
        for code in GEMEENTEN:
            add_organisation(conn, code, code, "gemeente", clock.now())
        token = create_token(conn, "GM0344", "klantmanager", "bench", clock.now())
    template = service.start("aanvraag", business_key="V0", gemeente="GM0344", variables={}, actor="bench")
    with engine.begin() as conn:
        inst = dict(
            conn.execute(select(process_instances).where(process_instances.c.id == template.id))
            .one()
            ._mapping
        )
        task = dict(
            conn.execute(select(user_tasks).where(user_tasks.c.instance_id == template.id)).one()._mapping
        )
        timer_rows = [
            dict(r._mapping) for r in conn.execute(select(timers).where(timers.c.instance_id == template.id))
        ]
        for table in (timers, user_tasks, process_instances):
            conn.execute(delete(table))
    state_text = json.dumps(inst["state"])
    created = inst["created_at"]
    old_ids = [task["id"]] + [t["id"] for t in timer_rows]
    chunk = 2000
    for start in range(0, size, chunk):
        instances, tasks, timer_copies = [], [], []
        for n in range(start, min(size, start + chunk)):
            new_ids = [str(uuid.uuid4()) for _ in old_ids]
            text = state_text
            for old, new in zip(old_ids, new_ids, strict=True):
                text = text.replace(old, new)
            instance_id = str(uuid.uuid4())
            gemeente = GEMEENTEN[n % 2]
            at = created + timedelta(seconds=n)
            state = json.loads(text)
            state["instanceId"] = instance_id
            instances.append(
                {
                    **inst,
                    "id": instance_id,
                    "business_key": f"V{n:08d}",
                    "gemeente": gemeente,
                    "state": state,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            tasks.append(
                {**task, "id": new_ids[0], "instance_id": instance_id, "gemeente": gemeente, "created_at": at}
            )
            for row, new in zip(timer_rows, new_ids[1:], strict=True):
                timer_copies.append({**row, "id": new, "instance_id": instance_id, "gemeente": gemeente})
        with engine.begin() as conn:
            conn.execute(insert(process_instances), instances)
            conn.execute(insert(user_tasks), tasks)
            conn.execute(insert(timers), timer_copies)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return token


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A throw-away schema on ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL``; yields its URL."""
    from sqlalchemy import text

    from storage.db import make_engine

    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("--db postgresql needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    schema = f"api_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}&application_name={schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far (from /proc) of each PostgreSQL backend serving the bench's schema (by the
    ``application_name`` its URL sets); only backends on this machine can be read."""
    from sqlalchemy import text

    from storage.db import make_engine

    name = url.rsplit("application_name=", 1)[-1]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalars()
            pids = list(pids)
    finally:
        engine.dispose()
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def backend_cpu_ms(url: str, before: dict[int, float], requests: int) -> float:
    after = backend_cpu(url)
    return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()) * 1000 / requests, 2)


def task_ids(url: str, limit: int) -> list[str]:
    from sqlalchemy import select

    from storage.db import make_engine
    from storage.schema import user_tasks

    engine = make_engine(url)
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                select(user_tasks.c.id).where(user_tasks.c.gemeente == "GM0344").limit(limit)
            ).scalars()
        )
    engine.dispose()
    return ids


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server process and all its children."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    code = (
        "from app.server import Server; "
        f"Server(host='127.0.0.1', port={port}, workers={workers}, threads={threads}, "
        "run_worker=False, access_log=False).run()"
    )
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def run_clients(
    port: int, clients: int, jobs: list[list[tuple[str, str, bytes | None]]], token: str
) -> dict[str, Any]:
    """Each client runs its own job list; returns latency percentiles (ms) and throughput."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(work: list[tuple[str, str, bytes | None]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], []
        for method, url, body in work:
            t0 = time.perf_counter()
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if response.status != 200:
                bad.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(jobs[i],)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "p99_ms": round(q[98], 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
    }


@contextlib.contextmanager
def seeded(kind: str, size: int) -> Iterator[tuple[str, str]]:
    """A database of ``kind`` seeded with ``size`` instances: yields its URL and a klantmanager token."""
    if kind == "postgresql":
        with postgres_schema() as url:
            yield url, seed_url(url, size)
        return
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        yield f"sqlite:///{path}", seed(path, size)


def bench_size(
    size: int, clients: int, requests: int, workers: int, threads: int, kind: str = "sqlite"
) -> dict[str, Any]:
    t0 = time.perf_counter()
    with seeded(kind, size) as (url, token):
        seeded_s = time.perf_counter() - t0
        ids = task_ids(url, clients * requests)
        port = free_port()
        server = start_server(url, port, workers, threads)
        pg = kind == "postgresql"
        try:
            warm = [[("GET", "/api/v1/tasks", None)] * 20 for _ in range(clients)]
            run_clients(port, clients, warm, token)
            worklist = [[("GET", "/api/v1/tasks", None)] * requests for _ in range(clients)]
            cpu, backends = server_cpu_seconds(server.pid), backend_cpu(url) if pg else {}
            get_tasks = run_clients(port, clients, worklist, token)
            get_tasks["server_cpu_ms"] = round(
                (server_cpu_seconds(server.pid) - cpu) * 1000 / get_tasks["requests"], 2
            )
            if pg:
                get_tasks["database_cpu_ms"] = backend_cpu_ms(url, backends, get_tasks["requests"])
            body = json.dumps({"variables": {"besluit": "nee"}}).encode()
            complete_jobs = [
                [("POST", f"/api/v1/tasks/{tid}/complete", body) for tid in ids[i::clients][:requests]]
                for i in range(clients)
            ]
            cpu, backends = server_cpu_seconds(server.pid), backend_cpu(url) if pg else {}
            complete = run_clients(port, clients, complete_jobs, token)
            complete["server_cpu_ms"] = round(
                (server_cpu_seconds(server.pid) - cpu) * 1000 / complete["requests"], 2
            )
            if pg:
                complete["database_cpu_ms"] = backend_cpu_ms(url, backends, complete["requests"])
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "database": kind,
        "instances": size,
        "seed_seconds": round(seeded_s, 1),
        "get_tasks": get_tasks,
        "complete": complete,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="API latency against the production server")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="per client and operation")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        runs.append(bench_size(size, args.clients, args.requests, args.workers, args.threads, args.db))
        print_table(runs[-1:], args)
    result = {
        "server": f"gunicorn gthread {args.workers} workers x {args.threads} threads, {args.db}",
        "clients": args.clients,
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def print_table(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"{'instances':>10} {'operation':<16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6}"
        f" {'CPU ms/req':>10} {'DB CPU ms':>9}"
    )
    for run in runs:
        for name in ("get_tasks", "complete"):
            r = run[name]
            label = "GET /tasks" if name == "get_tasks" else "POST complete"
            print(
                f"{run['instances']:>10} {label:<16} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} "
                f"{r['throughput_rps']:>8} {r['errors']:>6} {r.get('server_cpu_ms', ''):>10}"
                f" {r.get('database_cpu_ms', ''):>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
