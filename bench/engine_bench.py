"""Cost of one task completion against the raw SpiffWorkflow floor, measured in the same run.

* floor: SpiffWorkflow alone, in memory: deserialize the JSON state, complete the ready user task,
  run the engine, serialize again (its own serializer and script engine, and its own tree walks:
  ``engine.walks.library_walks``).
* engine: our Runtime on the same diagram: restore, validate the form, step, describe, dump (+ JSON).
* stored: the whole product path, ``WorkflowService.complete_task`` on a SQLite file: read the row,
  validate, step, write instance, indexes, audit and outbox, commit.

Reported as medians in milliseconds and as ratios to the floor, by history length (completed tasks
in the instance) and by number of instances stored in the database.

Run: ``make bench`` or ``python -m bench.engine_bench [--instances 1000,10000,100000] [--cpu]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert

from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.runtime import Runtime
from engine.walks import library_walks
from storage.db import make_engine, write_connection
from storage.migrate import upgrade
from storage.schema import process_instances, user_tasks
from storage.service import WorkflowService

DIAGRAM = Path(__file__).with_name("fixtures") / "loop.bpmn"
RESULTS = Path(__file__).with_name("results")
START = {"limit": 10**9, "gemeente": "GM0344"}


_clock = time.perf_counter


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _data(i: int) -> dict[str, Any]:
    return {"n": i, "notitie": "afgerond"}


# -- the floor -------------------------------------------------------------------------------------
def floor_samples(history: int, window: int) -> list[float]:
    with library_walks():
        return _floor_samples(history, window)


def _floor_samples(history: int, window: int) -> list[float]:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec("werklus")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    workflow = BpmnWorkflow(spec)
    workflow.get_next_task(state=TaskState.READY).data.update(START)
    workflow.do_engine_steps()
    state = serializer.serialize_json(workflow)

    def step(i: int, state: str) -> str:
        wf = serializer.deserialize_json(state)
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(_data(i))
        task.run()
        wf.do_engine_steps()
        return serializer.serialize_json(wf)  # type: ignore[no-any-return]

    for i in range(history):
        state = step(i, state)
    samples = []
    for i in range(history, history + window):
        started = _clock()
        state = step(i, state)
        samples.append(_clock() - started)
    return samples


# -- our engine, in memory -------------------------------------------------------------------------
def engine_samples(history: int, window: int) -> tuple[list[float], int]:
    library = SpecLibrary()
    library.add_document(DIAGRAM.name, DIAGRAM.read_bytes())
    runtime = Runtime(library, ManualClock())
    result = runtime.start("werklus", variables=START)
    state_text, task_id = json.dumps(result.state), result.open_tasks[0].id

    def step(i: int, text: str, task_id: str) -> tuple[str, str]:
        r = runtime.complete_task(json.loads(text), task_id, _data(i))
        return json.dumps(r.state), r.open_tasks[0].id

    for i in range(history):
        state_text, task_id = step(i, state_text, task_id)
    samples = []
    for i in range(history, history + window):
        started = _clock()
        state_text, task_id = step(i, state_text, task_id)
        samples.append(_clock() - started)
    return samples, len(state_text)


# -- the product path on SQLite --------------------------------------------------------------------
def _seed_instances(db: Any, template: dict[str, Any], count: int) -> None:
    """Bulk-store ``count`` instances (each with one open task) so the tables hold real-sized rows."""
    batch = 5000
    now = template["created_at"]
    with write_connection(db) as conn, conn.begin():
        for start in range(0, count, batch):
            rows, tasks = [], []
            for _ in range(min(batch, count - start)):
                iid = str(uuid.uuid4())
                rows.append({**template, "id": iid, "business_key": f"V{uuid.uuid4().hex[:9]}"})
                tasks.append(
                    {
                        "id": str(uuid.uuid4()),
                        "instance_id": iid,
                        "element_id": "werk",
                        "name": "Werk",
                        "lane": "Gemeente",
                        "candidate_groups": ["gemeente"],
                        "assignee": None,
                        "due_at": None,
                        "gemeente": "GM0344",
                        "process_key": "werklus",
                        "created_at": now,
                    }
                )
            conn.execute(insert(process_instances), rows)
            conn.execute(insert(user_tasks), tasks)


def stored_samples(stored: int, history: int, window: int, workdir: Path) -> list[float]:
    db = make_engine(f"sqlite:///{workdir / f'bench-{stored}-{uuid.uuid4().hex[:8]}.db'}")
    upgrade(db)
    clock = ManualClock()
    service = WorkflowService(db, clock)
    service.deploy(DIAGRAM.name, DIAGRAM.read_bytes(), actor="bench")
    probe = service.start(
        "werklus", business_key="V-probe", gemeente="GM0344", variables=START, actor="bench"
    )
    template = {
        "process_key": "werklus",
        "version": 1,
        "gemeente": "GM0344",
        "scenario": None,
        "status": "active",
        "revision": 1,
        "state": probe.state,
        "variables": probe.variables,
        "active_elements": probe.active_elements,
        "created_at": probe.created_at,
        "updated_at": probe.updated_at,
        "ended_at": None,
    }
    _seed_instances(db, template, max(0, stored - 1))
    record = service.start(
        "werklus", business_key="V-bench", gemeente="GM0344", variables=START, actor="bench"
    )

    def open_task(instance_id: str) -> str:
        with db.connect() as conn:
            return str(
                conn.execute(
                    user_tasks.select()
                    .with_only_columns(user_tasks.c.id)
                    .where(user_tasks.c.instance_id == instance_id)
                ).scalar_one()
            )

    def step(i: int) -> None:
        service.complete_task(open_task(record.id), _data(i), actor="bench")

    for i in range(history):
        step(i)
    samples = []
    for i in range(history, history + window):
        task_id = open_task(record.id)
        started = _clock()
        service.complete_task(task_id, _data(i), actor="bench")
        samples.append(_clock() - started)
    db.dispose()
    return samples


def _row(label: str, floor: float, value: float) -> str:
    return f"| {label} | {floor:.2f} | {value:.2f} | {value / floor:.2f}x |"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="1000,10000,100000")
    parser.add_argument("--histories", default="1,50,200")
    parser.add_argument("--window", type=int, default=40)
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with the process's CPU clock (on a shared, loaded machine; leaves out the commit's "
        "disk wait)",
    )
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.cpu else time.perf_counter
    histories = [int(h) for h in args.histories.split(",")]
    counts = [int(c) for c in args.instances.split(",")]
    out: dict[str, Any] = {"history": [], "instances": []}
    lines = ["| case | floor ms | ours ms | ratio |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for history in histories:
            floor = _median_ms(floor_samples(history, args.window))
            engine, size = engine_samples(history, args.window)
            stored = _median_ms(stored_samples(1, history, args.window, workdir))
            out["history"].append(
                {
                    "history": history,
                    "floor_ms": floor,
                    "engine_ms": _median_ms(engine),
                    "stored_ms": stored,
                    "state_bytes": size,
                }
            )
            lines.append(
                _row(f"engine, history {history} ({size // 1024} KB state)", floor, _median_ms(engine))
            )
            lines.append(_row(f"stored + SQLite commit, history {history}", floor, stored))
        floor = _median_ms(floor_samples(1, args.window))
        for count in counts:
            stored = _median_ms(stored_samples(count, 1, args.window, workdir))
            out["instances"].append({"instances": count, "floor_ms": floor, "stored_ms": stored})
            lines.append(_row(f"stored + SQLite commit, {count:,} instances", floor, stored))
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
