"""Check the diagram interchange of the .bpmn files: no label overlaps a shape or another label.

Labels are the boxes Camunda Modeler stores (``bpmndi:BPMNLabel/dc:Bounds``) for events, gateways,
data objects and sequence flows, or, where a named element has none, the box bpmn-js would place
below it. Text inside a task or a sub-process is part of its shape. Pools, lanes and expanded
sub-processes are containers: a label may lie inside them, but not on their title band.

    python tools/label_check.py bpmn/*.bpmn      # prints each overlap, exit 1 when there is one
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


def main(argv: list[str]) -> int:
    problems = [p for arg in argv for p in overlaps(Path(arg))]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
