"""The worklist at 10,000 open tasks: API and tasklist page, against the raw SpiffWorkflow floor.

The database holds 10,000 instances of tests/fixtures/aanvraag.bpmn, each with one open task in
the klantmanager's own gemeente and a case header (naam, azc, koppeldatum), seeded in bulk as
``bench/api_bench.py`` does. The production server (gunicorn, ``app/server.py``) serves it; one
client at a time measures, as that klantmanager:

* ``GET /api/v1/tasks`` first page and page 100 (50 rows, case header, data-processing records),
* ``GET /tasklist`` (the werklijst page, logged in, sorted by deadline, with case header).

Floor, measured in the same run: SpiffWorkflow alone builds one page of 50 worklist rows from 50
stored states (deserialize each workflow, list its ready user tasks): what a worklist costs without
our indexes, for one page only. Ratios are ours / floor: p50 over the floor's wall-clock median, and
the server's CPU per request (all its processes, from /proc) over the floor's CPU per page, the
steadier figure on a busy machine. The goal is p50 < 50 ms.

Prints a table and writes bench/results/worklist.json. Run: ``python -m bench worklist``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.api_bench import free_port, seed, server_cpu_seconds, start_server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "worklist.json"
LOOP = Path(__file__).with_name("fixtures") / "loop.bpmn"
PAGE = 50
GOAL_MS = 50.0
USER, PASSWORD = "km.bench", "bench-wachtwoord"


def _ms(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "n": len(samples)}


# -- the floor ------------------------------------------------------------------------------------
def floor_page_samples(pages: int) -> list[float]:
    """Seconds for SpiffWorkflow alone to list the ready user tasks of 50 stored workflows."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_file(str(LOOP))
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    workflow = BpmnWorkflow(parser.get_spec("werklus"))
    workflow.get_next_task(state=TaskState.READY).data.update({"limit": 10**9})
    workflow.do_engine_steps()
    states = [serializer.serialize_json(workflow)] * PAGE
    samples = []
    for _ in range(pages):
        started, cpu = time.perf_counter(), time.process_time()
        rows = []
        for state in states:
            wf = serializer.deserialize_json(state)
            rows.extend((t.task_spec.name, t.id) for t in wf.get_tasks(state=TaskState.READY, manual=True))
        assert len(rows) == PAGE
        samples.append(time.perf_counter() - started)
        FLOOR_CPU.append(time.process_time() - cpu)
    return samples


FLOOR_CPU: list[float] = []  # CPU seconds of each floor page (the wall-clock ones include waiting)


# -- the database ---------------------------------------------------------------------------------
def prepare(path: Path, size: int) -> str:
    """``size`` open tasks, all in GM0344 with a case header, and a tasklist user; returns a token."""
    token = seed(path, size)
    db = sqlite3.connect(path)
    db.execute("UPDATE user_tasks SET gemeente = 'GM0344'")
    db.execute("UPDATE timers SET gemeente = 'GM0344'")
    db.execute(
        "UPDATE process_instances SET gemeente = 'GM0344', variables = json_set(variables, "
        "'$.naam', 'Statushouder ' || substr(business_key, 2), '$.azc', 'AZC-ZWL', "
        "'$.koppeldatum', '2027-01-04')"
    )
    db.execute("UPDATE organisations SET name = 'Gemeente Utrecht' WHERE code = 'GM0344'")
    db.execute("ANALYZE")
    db.commit()
    db.close()
    from werkzeug.security import generate_password_hash

    from engine.clock import SystemClock
    from storage.db import make_engine
    from storage.orgs import add_user

    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        add_user(conn, USER, "GM0344", "klantmanager", generate_password_hash(PASSWORD), SystemClock().now())
    engine.dispose()
    return token


# -- the client -----------------------------------------------------------------------------------
class Client:
    """One keep-alive connection with a bearer token or a tasklist session cookie."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers: dict[str, str] = {"Authorization": f"Bearer {token}"} if token else {}
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: str | None = None) -> tuple[int, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, url, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def login(self) -> None:
        _, page = self.request("GET", "/tasklist/inloggen")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on the login page"
        form = {"gebruikersnaam": USER, "wachtwoord": PASSWORD, "csrf_token": match.group(1)}
        status, _ = self.request("POST", "/tasklist/inloggen", urllib.parse.urlencode(form))
        assert status in (302, 303), f"login answered {status}"

    def timed(self, url: str, count: int, expect: str) -> list[float]:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            status, text = self.request("GET", url)
            samples.append(time.perf_counter() - started)
            assert status == 200 and expect in text, (url, status, text[:300])
        return samples


def run(size: int, requests: int, workers: int, threads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="worklist-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        token = prepare(path, size)
        seeded = time.perf_counter() - t0
        port = free_port()
        server = start_server(path, port, workers, threads)
        try:
            api = Client(port, token)
            first = json.loads(api.request("GET", "/api/v1/tasks")[1])
            assert first["total"] == size and len(first["items"]) == PAGE, first.get("total")
            assert first["items"][0]["case"]["naam"].startswith("Statushouder")
            api.timed("/api/v1/tasks", 20, "Statushouder")  # warm-up
            cpu: dict[str, float] = {}

            def measured(name: str, client: Client, url: str) -> list[float]:
                before = server_cpu_seconds(server.pid)
                samples = client.timed(url, requests, "Statushouder")
                cpu[name] = (server_cpu_seconds(server.pid) - before) / requests
                return samples

            results = {
                "api_first_page": measured("api_first_page", api, "/api/v1/tasks"),
                "api_page_100": measured(
                    "api_page_100", api, f"/api/v1/tasks?page={min(100, size // PAGE)}&pageSize={PAGE}"
                ),
            }
            page = Client(port)
            page.login()
            page.timed("/tasklist", 10, "Statushouder")  # warm-up
            results["tasklist_page"] = measured("tasklist_page", page, "/tasklist")
        finally:
            server.terminate()
            server.wait(timeout=30)
    FLOOR_CPU.clear()
    floor = statistics.median(floor_page_samples(max(20, requests // 5))) * 1000
    floor_cpu = statistics.median(FLOOR_CPU) * 1000
    out: dict[str, Any] = {
        "open_tasks": size,
        "seed_seconds": round(seeded, 1),
        "floor_page_ms": round(floor, 2),
        "floor_page_cpu_ms": round(floor_cpu, 2),
    }
    for name, samples in results.items():
        stats = _ms([s * 1000 for s in samples])
        out[name] = {
            **stats,
            "ratio_to_floor": round(stats["p50_ms"] / floor, 2),
            "server_cpu_ms": round(cpu[name] * 1000, 2),
            "cpu_ratio_to_floor": round(cpu[name] * 1000 / floor_cpu, 2),
            "goal_met": stats["p50_ms"] < GOAL_MS,
        }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="The worklist at 10,000 open tasks")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    result = run(args.size, args.requests, args.workers, args.threads)
    result.update(
        server=f"gunicorn gthread {args.workers} workers x {args.threads} threads, SQLite",
        cpus=os.cpu_count(),
        load_average=[round(x, 1) for x in os.getloadavg()],  # other work on the machine skews the ms
    )
    print(
        f"{'open tasks':>10} {'what':<28} {'p50 ms':>8} {'p95 ms':>8} {'floor ms':>9} {'ratio':>6} goal<50ms"
        f" {'CPU ms':>7} {'floor CPU':>9} {'CPU ratio':>9}"
    )
    labels = {
        "api_first_page": "GET /api/v1/tasks (page 1)",
        "api_page_100": "GET /api/v1/tasks (page 100)",
        "tasklist_page": "GET /tasklist (werklijst)",
    }
    for key, label in labels.items():
        r = result[key]
        print(
            f"{result['open_tasks']:>10} {label:<28} {r['p50_ms']:>8} {r['p95_ms']:>8} "
            f"{result['floor_page_ms']:>9} {r['ratio_to_floor']:>6} {'yes' if r['goal_met'] else 'NO':>9}"
            f" {r['server_cpu_ms']:>7} {result['floor_page_cpu_ms']:>9} {r['cpu_ratio_to_floor']:>9}",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
