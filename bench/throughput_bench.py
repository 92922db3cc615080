"""Straight-through throughput: instances of a 10-script-task process started and run to their end.

* floor: SpiffWorkflow alone, in memory, one process: create the workflow, run it, serialize it.
* service: ``WorkflowService.start`` on the database, in 1 and in ``--processes`` OS processes
  (each its own engine and connection pool; SQLite's single writer is shared by them all).
* http: ``POST /api/v1/process-instances`` against the production server (gunicorn,
  ``--workers`` x ``--threads``), with 1 and ``--clients`` concurrent clients.

On SQLite (a temporary file) and, when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` is set, on
PostgreSQL (in a throw-away schema). Reports instances/s and the ratio to the floor measured in the
same run; writes bench/results/throughput.json. Run: ``python -m bench throughput`` or
``python -m bench.throughput_bench --instances 600 --processes 2 --clients 8``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DIAGRAM = ROOT / "bench" / "fixtures" / "straight.bpmn"
RESULTS = ROOT / "bench" / "results" / "throughput.json"
KEY = "rechtdoor"


def floor_rate(count: int) -> tuple[float, float]:
    """Instances/s of the library alone (one process), and its CPU milliseconds per instance."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec(KEY)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        workflow = BpmnWorkflow(spec)
        workflow.get_next_task(state=TaskState.READY).data.update({"teller": 0})
        workflow.do_engine_steps()
        assert workflow.is_completed()
        serializer.serialize_json(workflow)
    return count / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / count


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database URL with the diagram deployed and the callers registered."""
    from sqlalchemy import text

    from storage.db import make_engine

    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'throughput-{uuid.uuid4().hex[:8]}.db'}"
        _prepare(url)
        yield url
        return
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ["TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        _prepare(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


TOKEN = "bench-systeem-" + "x" * 24


def _prepare(url: str) -> None:
    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.orgs import add_organisation, create_token
    from storage.service import WorkflowService

    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    WorkflowService(engine, clock).deploy(DIAGRAM.name, DIAGRAM.read_bytes(), actor="bench")
    with engine.begin() as conn:
        add_organisation(conn, "GM0344", "GM0344", "gemeente", clock.now())
        add_organisation(conn, "SYSTEEM", "TVS", "systeem", clock.now())
        create_token(conn, "SYSTEEM", "systeem", "bench", clock.now(), token=TOKEN)
    engine.dispose()


def _service_worker(url: str, count: int, ready: Any, go: Any, done: Any) -> None:
    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.service import WorkflowService

    engine = make_engine(url)
    service = WorkflowService(engine, SystemClock())
    service.load_definitions()
    service.start(KEY, business_key=None, gemeente="GM0344", variables={"teller": 0}, actor="bench")
    ready.release()
    go.wait()
    cpu = time.process_time()
    for _ in range(count):
        record = service.start(
            KEY, business_key=None, gemeente="GM0344", variables={"teller": 0}, actor="bench"
        )
        assert record.status == "completed"
    done.put((time.perf_counter(), time.process_time() - cpu))
    engine.dispose()


def service_rate(url: str, count: int, processes: int) -> tuple[float, float]:
    """Instances/s through ``WorkflowService.start`` in ``processes`` processes, ``count`` in all,
    and the CPU milliseconds per instance (of the processes that start them)."""
    ctx = multiprocessing.get_context("fork")
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    per = count // processes
    procs = [ctx.Process(target=_service_worker, args=(url, per, ready, go, done)) for _ in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    ends = [done.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(end for end, _ in ends) - started
    return per * processes / wall, sum(cpu for _, cpu in ends) * 1000 / (per * processes)


def http_rates(url: str, count: int, clients: int, workers: int, threads: int) -> dict[str, Any]:
    from bench.api_bench import free_port, run_clients, server_cpu_seconds

    port = free_port()
    server = start_server_url(url, port, workers, threads)
    out = {}
    try:

        def jobs(n: int, per: int) -> list[list[tuple[str, str, bytes | None]]]:
            return [
                [
                    (
                        "POST",
                        "/api/v1/process-instances",
                        json.dumps(
                            {
                                "processKey": KEY,
                                "businessKey": f"V{uuid.uuid4().hex[:9]}",
                                "gemeente": "GM0344",
                                "variables": {"teller": 0},
                            }
                        ).encode(),
                    )
                    for _ in range(per)
                ]
                for _ in range(n)
            ]

        run_clients(port, 1, jobs(1, 20), TOKEN)  # warm up
        for n in (1, clients):
            work = jobs(n, max(1, count // n))
            cpu = server_cpu_seconds(server.pid)
            r = out[f"{n}_clients"] = run_clients(port, n, work, TOKEN)
            r["server_cpu_ms"] = round((server_cpu_seconds(server.pid) - cpu) * 1000 / r["requests"], 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def start_server_url(url: str, port: int, workers: int, threads: int) -> Any:
    import http.client
    import subprocess

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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Straight-through throughput against the floor")
    parser.add_argument("--instances", type=int, default=600)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--kinds", default="", help="sqlite,postgresql (default: both when possible)")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    kinds = args.kinds.split(",") if args.kinds else ["sqlite"]
    if not args.kinds and (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")):
        kinds.append("postgresql")
    floors = [floor_rate(args.instances // 3) for _ in range(3)]
    floor = statistics.median(f[0] for f in floors)
    floor_cpu = statistics.median(f[1] for f in floors)
    result: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "floor_per_s": round(floor, 1),
        "floor_cpu_ms": round(floor_cpu, 2),
        "runs": {},
    }
    lines = [
        "| database | path | instances/s | ratio to floor | CPU ms per instance | ratio |",
        "|---|---|---|---|---|---|",
    ]
    lines.append(f"| - | SpiffWorkflow alone, 1 process | {floor:.0f} | 1.00x | {floor_cpu:.2f} | 1.00x |")
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        for kind in kinds:
            run: dict[str, Any] = {}
            for procs in sorted({1, args.processes}):
                with database(kind, Path(tmp)) as url:
                    rate, cpu = service_rate(url, args.instances, procs)
                run[f"service_{procs}_processes"] = {"per_s": round(rate, 1), "cpu_ms": round(cpu, 2)}
                lines.append(
                    f"| {kind} | service, {procs} process(es) | {rate:.0f} | {rate / floor:.2f}x "
                    f"| {cpu:.2f} | {cpu / floor_cpu:.2f}x |"
                )
            if not args.no_http:
                with database(kind, Path(tmp)) as url:
                    http = http_rates(url, args.instances, args.clients, args.workers, args.threads)
                run["http"] = http
                for name, r in http.items():
                    rate = r["throughput_rps"]
                    lines.append(
                        f"| {kind} | HTTP {args.workers}x{args.threads}, {name.replace('_', ' ')} "
                        f"(p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms) | {rate:.0f} | {rate / floor:.2f}x "
                        f"| {r['server_cpu_ms']:.2f} (server) | {r['server_cpu_ms'] / floor_cpu:.2f}x |"
                    )
            result["runs"][kind] = run
    print("\n".join(lines), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
