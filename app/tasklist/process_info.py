"""What the tasklist reads from the deployed diagrams: names, work instructions, boundary timers.

Work instructions are the element's ``bpmn:documentation``, written by the process designer. A
task's deadline may come from a timer on a boundary event attached to it; its documentation tells
the caseworker what happens when it fires. Parsed documents are cached by content hash (a deployed
version never changes).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import Connection, func, select

from engine.intake import parse_xml
from storage.schema import documents, process_definitions

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN}


@dataclass(frozen=True)
class Boundary:
    """A timer boundary event on a task: what ends or escalates it."""

    id: str
    name: str
    documentation: str
    interrupting: bool
    target_name: str

    @property
    def consequence(self) -> str:
        """The first sentence of its documentation (else its target's name): what happens then."""
        text = first_sentence(self.documentation) or self.target_name or self.name
        return text


@dataclass(frozen=True)
class ProcessInfo:
    """Element names and documentation, and the timer boundaries of each task, of one process."""

    key: str
    names: dict[str, str] = field(default_factory=dict)
    documentation: dict[str, str] = field(default_factory=dict)
    boundaries: dict[str, tuple[Boundary, ...]] = field(default_factory=dict)
    called: dict[str, str] = field(default_factory=dict)  # call activity id -> called process key
    boundary_ids: set[str] = field(default_factory=set)  # every boundary event (timer or other)
    task_lanes: dict[str, str] = field(default_factory=dict)  # user task id -> lane key


def first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if line.startswith("Bron"):
        return ""
    return line


def instructions(text: str) -> list[tuple[str, bool]]:
    """Documentation as paragraphs: ``(text, is_source_quote)``."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.append((line, line.startswith("Bron")))
    return out


def parse_processes(content: bytes) -> dict[str, ProcessInfo]:
    """Every process in a BPMN document, by key."""
    root = parse_xml(content, name="diagram")
    result: dict[str, ProcessInfo] = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        info = ProcessInfo(key=process.get("id") or "")
        for element in process.iter():
            if not isinstance(element.tag, str):
                continue
            element_id = element.get("id")
            if not element_id:
                continue
            info.names[element_id] = element.get("name") or ""
            doc = element.find("bpmn:documentation", _NS)
            if doc is not None and doc.text:
                info.documentation[element_id] = doc.text.strip()
            if etree.QName(element).localname == "boundaryEvent":
                info.boundary_ids.add(element_id)
            if etree.QName(element).localname == "callActivity" and element.get("calledElement"):
                info.called[element_id] = element.get("calledElement") or ""
        lanes = {
            (ref.text or "").strip(): (lane.get("name") or "").strip().lower()
            for lane in process.iter(f"{{{BPMN}}}lane")
            for ref in lane.findall("bpmn:flowNodeRef", _NS)
        }
        for task in process.iter(f"{{{BPMN}}}userTask"):
            task_id = task.get("id") or ""
            info.task_lanes[task_id] = lanes.get(task_id, "")
        for boundary in process.iter(f"{{{BPMN}}}boundaryEvent"):
            if boundary.find("bpmn:timerEventDefinition", _NS) is None:
                continue
            attached = boundary.get("attachedToRef") or ""
            target = ""
            outgoing = boundary.find("bpmn:outgoing", _NS)
            if outgoing is not None and outgoing.text:
                flow = process.find(f"bpmn:sequenceFlow[@id='{outgoing.text.strip()}']", _NS)
                if flow is not None:
                    target = info.names.get(flow.get("targetRef") or "", "")
            entry = Boundary(
                id=boundary.get("id") or "",
                name=boundary.get("name") or "",
                documentation=info.documentation.get(boundary.get("id") or "", ""),
                interrupting=boundary.get("cancelActivity", "true") != "false",
                target_name=target,
            )
            info.boundaries[attached] = (*info.boundaries.get(attached, ()), entry)
        result[info.key] = info
    return result


_cache: dict[str, dict[str, ProcessInfo]] = {}
_lock = threading.Lock()


def _parsed(conn: Connection, sha256: str) -> dict[str, ProcessInfo]:
    with _lock:
        cached = _cache.get(sha256)
    if cached is not None:
        return cached
    row = conn.execute(
        select(documents.c.kind, documents.c.content).where(documents.c.sha256 == sha256)
    ).first()
    parsed = parse_processes(bytes(row.content)) if row is not None and row.kind == "bpmn" else {}
    with _lock:
        _cache[sha256] = parsed
    return parsed


def current_processes(conn: Connection) -> dict[str, ProcessInfo]:
    """The newest deployed version of every process, by key."""
    newest = (
        select(process_definitions.c.key, func.max(process_definitions.c.version).label("version"))
        .group_by(process_definitions.c.key)
        .subquery()
    )
    rows = conn.execute(
        select(process_definitions.c.key, process_definitions.c.document_sha256).join(
            newest,
            (newest.c.key == process_definitions.c.key) & (newest.c.version == process_definitions.c.version),
        )
    ).all()
    out: dict[str, ProcessInfo] = {}
    for row in rows:
        info = _parsed(conn, row.document_sha256).get(row.key)
        if info is not None:
            out[row.key] = info
    return out


def boundary_pairs(processes: dict[str, ProcessInfo]) -> list[tuple[str, str, str]]:
    """(process key, task element, timer element) for every timer boundary on a task."""
    return sorted(
        (key, task, boundary.id)
        for key, info in processes.items()
        for task, entries in info.boundaries.items()
        for boundary in entries
    )


def boundaries_of(processes: dict[str, ProcessInfo], key: str, element_id: str) -> Sequence[Boundary]:
    info = processes.get(key)
    return info.boundaries.get(element_id, ()) if info is not None else ()


def task_kinds(processes: dict[str, ProcessInfo], lane: str | None) -> list[tuple[str, str]]:
    """(element id, name) of every user task in ``lane`` (every lane for None), by name."""
    kinds: dict[str, str] = {}
    for info in processes.values():
        for task_id, task_lane in info.task_lanes.items():
            if lane is None or task_lane == lane:
                kinds.setdefault(task_id, info.names.get(task_id) or task_id)
    return sorted(kinds.items(), key=lambda kind: (kind[1].lower(), kind[0]))
