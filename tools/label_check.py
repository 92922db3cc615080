"""Check the diagram interchange of the .bpmn files, as a reader of the printed diagram needs it:

- no label overlaps a shape (not its own) or another label;
- no flow (sequence or message) runs through a label that is not its own;
- every task, event and gateway lies whole inside one lane (the lane that lists it, when one does)
  and inside its pool.

Labels are the boxes Camunda Modeler stores (``bpmndi:BPMNLabel/dc:Bounds``) for events, gateways,
data objects and flows, or, where a named element has none, the box bpmn-js would place below it.
Text inside a task or a sub-process is part of its shape. Pools, lanes and expanded sub-processes
are containers: a label may lie inside them, but not on their title band.

    python tools/label_check.py bpmn/*.bpmn      # prints each problem, exit 1 when there is one
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
CONTAINERS = {"participant", "lane", "subProcess"}
SMALL = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}


@dataclass(frozen=True)
class Box:
    """A rectangle in diagram coordinates, with what it belongs to."""

    owner: str
    kind: str
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (
            self.x < other.x + other.w - margin
            and other.x < self.x + self.w - margin
            and self.y < other.y + other.h - margin
            and other.y < self.y + self.h - margin
        )


def _bounds(node: etree._Element) -> tuple[float, float, float, float] | None:
    b = node.find("dc:Bounds", NS)
    if b is None:
        return None
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def _default_label(name: str, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    # bpmn-js: 90 px wide, centred below the element, about 14 px a line
    lines = max(1, math.ceil(len(name) * 6.0 / 90))
    return x + w / 2 - 45, y + h + 5, 90, 14 * lines


def boxes(path: Path) -> tuple[list[Box], list[Box]]:
    """(shapes, labels) of every diagram in ``path``."""
    root = etree.fromstring(path.read_bytes())
    by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    shapes: list[Box] = []
    labels: list[Box] = []
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        ref = shape.get("bpmnElement")
        element = by_id.get(ref)
        kind = etree.QName(element).localname if element is not None else "?"
        bounds = _bounds(shape)
        if bounds is None:
            continue
        shapes.append(Box(ref, kind, *bounds))
        name = (element.get("name") or "").strip() if element is not None else ""
        label = shape.find("bpmndi:BPMNLabel", NS)
        label_bounds = _bounds(label) if label is not None else None
        if name and (kind in SMALL or kind.endswith("Gateway") or kind.startswith("data")):
            labels.append(Box(ref, "label", *(label_bounds or _default_label(name, *bounds))))
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        ref = edge.get("bpmnElement")
        element = by_id.get(ref)
        name = (element.get("name") or "").strip() if element is not None else ""
        label = edge.find("bpmndi:BPMNLabel", NS)
        label_bounds = _bounds(label) if label is not None else None
        if name and label_bounds:
            labels.append(Box(ref, "label", *label_bounds))
        elif name:
            points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
            mid = points[len(points) // 2 - 1] if len(points) > 1 else points[0]
            labels.append(Box(ref, "label", mid[0], mid[1] - 14, len(name) * 6.0, 14))
    return shapes, labels


def edges(path: Path) -> list[tuple[str, list[tuple[float, float]]]]:
    """Every flow of ``path`` with its waypoints."""
    root = etree.fromstring(path.read_bytes())
    return [
        (
            e.get("bpmnElement"),
            [(float(p.get("x")), float(p.get("y"))) for p in e.iterfind("di:waypoint", NS)],
        )
        for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    ]


def _crosses(box: Box, a: tuple[float, float], b: tuple[float, float], margin: float = 1.0) -> bool:
    """Whether the segment a-b passes through the inside of ``box`` (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = box.x + margin, box.y + margin, box.x + box.w - margin, box.y + box.h - margin
    if x0 >= x1 or y0 >= y1:
        return False
    dx, dy = b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def crossings(path: Path) -> list[str]:
    """Every flow that runs through a label that is not its own."""
    _shapes, labels = boxes(path)
    problems = []
    for ref, points in edges(path):
        for label in labels:
            if label.owner != ref and any(
                _crosses(label, a, b) for a, b in zip(points, points[1:], strict=False)
            ):
                problems.append(f"{path.name}: flow {ref} runs through the label of {label.owner}")
    return problems


def _inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.x + inner.w <= outer.x + outer.w
        and inner.y + inner.h <= outer.y + outer.h
    )


def outside_lanes(path: Path) -> list[str]:
    """Every task, event or gateway that is not whole inside its lane and its pool."""
    root = etree.fromstring(path.read_bytes())
    shapes = {s.owner: s for s in boxes(path)[0]}
    listed = {
        ref.text: lane.get("id")
        for lane in root.iterfind(".//bpmn:lane", NS)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS)
    }
    pools = [s for s in shapes.values() if s.kind == "participant"]
    lanes = [s for s in shapes.values() if s.kind == "lane"]
    problems = []
    for shape in shapes.values():
        if shape.kind in CONTAINERS or shape.kind in {"textAnnotation", "?"} or shape.kind.startswith("data"):
            continue
        if shape.kind == "boundaryEvent":
            continue  # it sits on its activity's border, and so may stick out of a lane
        if pools and not any(_inside(shape, pool) for pool in pools):
            problems.append(f"{path.name}: {shape.kind} {shape.owner} is not inside a pool")
        lane = listed.get(shape.owner)
        if lane is not None and lane in shapes and not _inside(shape, shapes[lane]):
            problems.append(f"{path.name}: {shape.kind} {shape.owner} sticks out of its lane {lane}")
        elif lane is None and lanes and not any(_inside(shape, other) for other in lanes):
            problems.append(f"{path.name}: {shape.kind} {shape.owner} lies across a lane border")
    return problems


def overlaps(path: Path) -> list[str]:
    """Every label that overlaps a shape (not its own) or another label, described for a designer."""
    shapes, labels = boxes(path)
    problems = []
    for i, label in enumerate(labels):
        for shape in shapes:
            if shape.owner == label.owner:
                continue
            if shape.kind in CONTAINERS:
                band = (
                    Box(shape.owner, "band", shape.x, shape.y, 30, shape.h)
                    if shape.kind != "subProcess"
                    else None
                )
                if shape.kind == "subProcess":
                    band = Box(shape.owner, "band", shape.x, shape.y, shape.w, 20)
                if band and label.overlaps(band, margin=1):
                    problems.append(f"{path.name}: label of {label.owner} lies on the title of {shape.owner}")
                continue
            if label.overlaps(shape, margin=1):
                problems.append(f"{path.name}: label of {label.owner} overlaps {shape.kind} {shape.owner}")
        for other in labels[i + 1 :]:
            if other.owner != label.owner and label.overlaps(other, margin=1):
                problems.append(f"{path.name}: labels of {label.owner} and {other.owner} overlap")
    return problems


def problems(path: Path) -> list[str]:
    """Everything the check finds in ``path``."""
    return [*overlaps(path), *crossings(path), *outside_lanes(path)]


def main(argv: list[str]) -> int:
    problems_found = [p for arg in argv for p in problems(Path(arg))]
    for problem in problems_found:
        print(problem)
    return 1 if problems_found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
