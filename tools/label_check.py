"""Check the diagram interchange of the .bpmn files, as a reader of the printed diagram needs it:

- no label overlaps a shape (not its own) or another label;
- no flow (sequence or message) runs through a label that is not its own;
- (``--flows``) no flow runs through a task, event or gateway that is neither its source nor its
  target, and every flow label lies next to a part of its flow that no other flow shares;
- every task, event and gateway lies whole inside one lane (the lane that lists it, when one does)
  and inside its pool.

Labels are the boxes Camunda Modeler stores (``bpmndi:BPMNLabel/dc:Bounds``) for events, gateways,
data objects and flows, or, where a named element has none, the box bpmn-js would place below it.
Text inside a task or a sub-process is part of its shape. Pools, lanes and expanded sub-processes
are containers: a label may lie inside them, but not on their title band.

    python tools/label_check.py bpmn/*.bpmn           # labels and lanes; exit 1 on a problem
    python tools/label_check.py --flows bpmn/*.bpmn   # also the routing of the flows
"""

from __future__ import annotations

import math
import re
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
# what problems(flows=False) leaves out: the routing of the flows
ROUTING = re.compile(r"runs through (?!the label)|is not next to its own flow")
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


def _ends(path: Path) -> dict[str, set[str]]:
    """The elements each flow may touch: its source and target (and the activity a boundary event
    it starts from sits on)."""
    root = etree.fromstring(path.read_bytes())
    hosts = {e.get("id"): e.get("attachedToRef") for e in root.iterfind(".//bpmn:boundaryEvent", NS)}
    ends: dict[str, set[str]] = {}
    for flow in root.iter():
        if isinstance(flow.tag, str) and flow.get("sourceRef") and flow.get("id"):
            touched = {flow.get("sourceRef"), flow.get("targetRef")}
            ends[flow.get("id")] = touched | {hosts[t] for t in touched if t in hosts}
    return ends


def crossings(path: Path) -> list[str]:
    """Every flow that runs through a label not its own, or through a task, event or gateway that is
    neither its source nor its target."""
    shapes, labels = boxes(path)
    ends = _ends(path)
    problems = []
    for ref, points in edges(path):
        segments = list(zip(points, points[1:], strict=False))
        for label in labels:
            if label.owner != ref and any(_crosses(label, a, b) for a, b in segments):
                problems.append(f"{path.name}: flow {ref} runs through the label of {label.owner}")
        for shape in shapes:
            if shape.kind in CONTAINERS or shape.kind == "textAnnotation" or shape.owner in ends.get(ref, ()):
                continue
            if any(_crosses(shape, a, b, margin=2) for a, b in segments):
                problems.append(f"{path.name}: flow {ref} runs through {shape.kind} {shape.owner}")
    return problems


def _distance(box: Box, point: tuple[float, float]) -> float:
    dx = max(box.x - point[0], 0.0, point[0] - box.x - box.w)
    dy = max(box.y - point[1], 0.0, point[1] - box.y - box.h)
    return math.hypot(dx, dy)


def _samples(points: list[tuple[float, float]], step: float = 2.0) -> list[tuple[float, float]]:
    out = []
    for a, b in zip(points, points[1:], strict=False):
        n = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) / step))
        out += [(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n) for i in range(n + 1)]
    return out


def _on(point: tuple[float, float], points: list[tuple[float, float]]) -> bool:
    """Whether ``point`` lies on the polyline ``points`` (within a pixel)."""
    for a, b in zip(points, points[1:], strict=False):
        if (
            min(a[0], b[0]) - 1 <= point[0] <= max(a[0], b[0]) + 1
            and min(a[1], b[1]) - 1 <= point[1] <= max(a[1], b[1]) + 1
        ):
            cross = (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0])
            if abs(cross) <= math.hypot(b[0] - a[0], b[1] - a[1]):
                return True
    return False


def misplaced_flow_labels(path: Path, reach: float = 20.0) -> list[str]:
    """Every flow label that does not clearly belong to its flow: it must lie within ``reach`` of a
    part of its flow that no other flow shares, and nearer to that part than to any other flow."""
    _shapes, labels = boxes(path)
    flows = dict(edges(path))
    problems = []
    for label in labels:
        own = flows.get(label.owner)
        if not own:
            continue
        others = [pts for ref, pts in flows.items() if ref != label.owner]
        alone = [p for p in _samples(own) if not any(_on(p, o) for o in others)]
        mine = min((_distance(label, p) for p in alone), default=math.inf)
        theirs = min((_distance(label, p) for o in others for p in _samples(o)), default=math.inf)
        if mine > reach or theirs <= mine:
            problems.append(f"{path.name}: the label of flow {label.owner} is not next to its own flow")
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


def problems(path: Path, *, flows: bool = True) -> list[str]:
    """Everything the check finds in ``path``; ``flows=False`` leaves out the routing of the flows
    (a flow through a task, event or gateway not its own; a flow label away from its flow)."""
    found = [*overlaps(path), *crossings(path), *misplaced_flow_labels(path), *outside_lanes(path)]
    if not flows:
        found = [p for p in found if not (ROUTING.search(p))]
    return found


def main(argv: list[str]) -> int:
    strict = "--flows" in argv
    problems_found = [p for arg in argv if arg != "--flows" for p in problems(Path(arg), flows=strict)]
    for problem in problems_found:
        print(problem)
    return 1 if problems_found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
