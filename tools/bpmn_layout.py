"""A small layout model for BPMN diagrams written the way Camunda Modeler 5 saves them for Camunda 7.

Lanes are horizontal bands of named rows, elements sit in (column, row) cells, and sequence flows get
orthogonal waypoints computed from which side of the source they leave and which side of the target
they enter. ``Diagram.to_xml()`` returns the complete document: collaboration, process, messages,
signals and diagram interchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
EXPORTER_VERSION = "5.31.0"
PLATFORM_VERSION = "7.21.0"

COL_X0 = 280  # centre of column 0
COL_W = 160  # column pitch
POOL_X = 160
LANE_X = 190

SIZES = {
    "task": (120, 80),
    "event": (36, 36),
    "gateway": (50, 50),
    "annotation": (190, 70),
}

TASK_TAGS = {"userTask", "scriptTask", "receiveTask", "callActivity", "task"}
EVENT_TAGS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}
GATEWAY_TAGS = {"exclusiveGateway", "parallelGateway", "eventBasedGateway"}


def attr(value: str) -> str:
    return quoteattr(value, {"\n": "&#10;"})


@dataclass
class FormField:
    id: str
    label: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    constraints: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Node:
    id: str
    tag: str
    name: str
    lane: str
    col: float
    row: str
    doc: str
    attrs: dict[str, str] = field(default_factory=dict)
    body: list[str] = field(default_factory=list)  # raw XML after incoming/outgoing
    extensions: list[str] = field(default_factory=list)  # raw XML inside extensionElements
    attached_to: str | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0

    @property
    def kind(self) -> str:
        if self.tag in TASK_TAGS:
            return "task"
        if self.tag in GATEWAY_TAGS:
            return "gateway"
        return "event"

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def port(self, side: str) -> tuple[float, float]:
        return {
            "l": (self.x, self.cy),
            "r": (self.x + self.w, self.cy),
            "t": (self.cx, self.y),
            "b": (self.cx, self.y + self.h),
        }[side]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None
    condition: str | None
    doc: str
    exit: str | None = None
    entry: str | None = None
    via_row: str | None = None
    mid_col: float | None = None
    label_at: str = "start"
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Annotation:
    id: str
    text: str
    col: float
    row: str
    target: str


class Diagram:
    """One .bpmn document: one collaboration with one pool (participant) around one process."""

    def __init__(
        self,
        *,
        definitions_id: str,
        process_id: str,
        process_name: str,
        participant_id: str,
        participant_doc: str,
        process_doc: str,
        lanes: list[tuple[str, str, list[tuple[str, float]], str]],
    ) -> None:
        # lanes: (lane id, lane name, [(row name, row height)], documentation)
        self.definitions_id = definitions_id
        self.process_id = process_id
        self.process_name = process_name
        self.participant_id = participant_id
        self.participant_doc = participant_doc
        self.process_doc = process_doc
        self.lanes = lanes
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages: dict[str, str] = {}
        self.signals: dict[str, str] = {}
        self.annotations: list[Annotation] = []
        self.row_y: dict[str, float] = {}
        self.row_lane: dict[str, str] = {}
        y = 80.0
        self.pool_y = y
        self.lane_bounds: dict[str, tuple[float, float]] = {}
        for lane_id, _name, rows, _doc in lanes:
            top = y
            for row, height in rows:
                self.row_y[row] = y + height / 2
                self.row_lane[row] = lane_id
                y += height
            self.lane_bounds[lane_id] = (top, y - top)
        self.pool_h = y - self.pool_y
        self._def_counter = 0

    # -- building ---------------------------------------------------------------------------------
    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate id {node.id}")
        if node.attached_to:
            node.lane = self.nodes[node.attached_to].lane
        elif node.lane == "":
            node.lane = self.row_lane[node.row]
        self.nodes[node.id] = node
        return node

    def def_id(self, prefix: str) -> str:
        self._def_counter += 1
        return f"{prefix}_{self.process_id}_{self._def_counter}"

    def message(self, name: str) -> str:
        self.messages.setdefault(name, f"Message_{name}")
        return self.messages[name]

    def signal(self, name: str) -> str:
        self.signals.setdefault(name, f"Signal_{name}")
        return self.signals[name]

    def flow(
        self,
        source: str,
        target: str,
        *,
        name: str | None = None,
        condition: str | None = None,
        default: bool = False,
        doc: str | None = None,
        exit: str | None = None,
        entry: str | None = None,
        via_row: str | None = None,
        mid_col: float | None = None,
        label_at: str = "start",
    ) -> Flow:
        flow_id = f"Flow_{source}__{target}"
        if "voorinburgering" in flow_id:
            flow_id = flow_id.replace("voorinburgering", "vib")
        src, tgt = self.nodes[source], self.nodes[target]
        text = doc or self._flow_doc(src, tgt, name)
        f = Flow(flow_id, source, target, name, condition, text, exit, entry, via_row, mid_col, label_at)
        self.flows.append(f)
        src.outgoing.append(flow_id)
        tgt.incoming.append(flow_id)
        if default:
            src.attrs["default"] = flow_id
        return f

    @staticmethod
    def _flow_doc(src: Node, tgt: Node, name: str | None) -> str:
        base = f"Volgorde: na '{_plain(src.name)}' volgt '{_plain(tgt.name)}'."
        return f"{name}: {base}" if name else base

    def annotate(self, annotation: Annotation) -> None:
        self.annotations.append(annotation)

    # -- layout -----------------------------------------------------------------------------------
    def layout(self) -> None:
        for node in self.nodes.values():
            w, h = SIZES[node.kind]
            node.w, node.h = w, h
            if node.attached_to:
                host = self.nodes[node.attached_to]
                node.x = host.x + host.w * node.col - w / 2
                node.y = host.y + host.h - h / 2
                continue
            cx = COL_X0 + COL_W * node.col
            cy = self.row_y[node.row]
            node.x, node.y = cx - w / 2, cy - h / 2
        # boundary events are laid out after their hosts
        for node in self.nodes.values():
            if node.attached_to:
                host = self.nodes[node.attached_to]
                node.x = host.x + host.w * node.col - node.w / 2
                node.y = host.y + host.h - node.h / 2
        for f in self.flows:
            f.points = self._route(f)

    def _sides(self, f: Flow) -> tuple[str, str]:
        s, t = self.nodes[f.source], self.nodes[f.target]
        exit_side = f.exit
        entry_side = f.entry
        if exit_side is None:
            if s.attached_to:
                exit_side = "b"
            elif s.kind == "gateway" and len(s.outgoing) > 1 and abs(s.cy - t.cy) > 1:
                exit_side = "t" if t.cy < s.cy else "b"
            else:
                exit_side = "r"
        if entry_side is None:
            if t.kind == "gateway" and len(t.incoming) > 1 and abs(s.cy - t.cy) > 1 and exit_side == "r":
                entry_side = "t" if s.cy < t.cy else "b"
            else:
                entry_side = "l"
        return exit_side, entry_side

    def _route(self, f: Flow) -> list[tuple[float, float]]:
        s, t = self.nodes[f.source], self.nodes[f.target]
        exit_side, entry_side = self._sides(f)
        sx, sy = s.port(exit_side)
        tx, ty = t.port(entry_side)
        if exit_side == "r" and entry_side == "l":
            if abs(sy - ty) < 1:
                return [(sx, sy), (tx, ty)]
            mx = COL_X0 + COL_W * f.mid_col if f.mid_col is not None else (sx + tx) / 2
            return [(sx, sy), (mx, sy), (mx, ty), (tx, ty)]
        if exit_side in "tb" and entry_side == "l":
            if f.via_row:
                vy = self.row_y[f.via_row]
                mx = COL_X0 + COL_W * f.mid_col if f.mid_col is not None else tx - 30
                return [(sx, sy), (sx, vy), (mx, vy), (mx, ty), (tx, ty)]
            return [(sx, sy), (sx, ty), (tx, ty)]
        if exit_side == "r" and entry_side in "tb":
            if f.via_row:
                vy = self.row_y[f.via_row]
                mx = COL_X0 + COL_W * f.mid_col if f.mid_col is not None else sx + 30
                return [(sx, sy), (mx, sy), (mx, vy), (tx, vy), (tx, ty)]
            return [(sx, sy), (tx, sy), (tx, ty)]
        if exit_side in "tb" and entry_side in "tb":
            vy = self.row_y[f.via_row] if f.via_row else (sy + ty) / 2
            return [(sx, sy), (sx, vy), (tx, vy), (tx, ty)]
        raise ValueError(f"cannot route {f.id} from {exit_side} to {entry_side}")

    # -- output -----------------------------------------------------------------------------------
    def to_xml(self) -> str:
        self.layout()
        out: list[str] = []
        w = out.append
        w('<?xml version="1.0" encoding="UTF-8"?>')
        w(
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
            'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
            'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
            f'id="{self.definitions_id}" targetNamespace="http://bpmn.io/schema/bpmn" '
            f'exporter="Camunda Modeler" exporterVersion="{EXPORTER_VERSION}" '
            'modeler:executionPlatform="Camunda Platform" '
            f'modeler:executionPlatformVersion="{PLATFORM_VERSION}">'
        )
        collab_id = f"Collaboration_{self.process_id}"
        w(f'  <bpmn:collaboration id="{collab_id}">')
        w(
            f'    <bpmn:participant id="{self.participant_id}" name={attr(self.process_name)} '
            f'processRef="{self.process_id}">'
        )
        w(f"      <bpmn:documentation>{escape(self.participant_doc)}</bpmn:documentation>")
        w("    </bpmn:participant>")
        w("  </bpmn:collaboration>")
        w(
            f'  <bpmn:process id="{self.process_id}" name={attr(self.process_name)} isExecutable="true" '
            'camunda:historyTimeToLive="P180D">'
        )
        w(f"    <bpmn:documentation>{escape(self.process_doc)}</bpmn:documentation>")
        w(f'    <bpmn:laneSet id="LaneSet_{self.process_id}">')
        for lane_id, lane_name, _rows, lane_doc in self.lanes:
            w(f'      <bpmn:lane id="{lane_id}" name={attr(lane_name)}>')
            w(f"        <bpmn:documentation>{escape(lane_doc)}</bpmn:documentation>")
            for node in self.nodes.values():
                if node.lane == lane_id:
                    w(f"        <bpmn:flowNodeRef>{node.id}</bpmn:flowNodeRef>")
            w("      </bpmn:lane>")
        w("    </bpmn:laneSet>")
        flows_by_source: dict[str, list[Flow]] = {}
        for f in self.flows:
            flows_by_source.setdefault(f.source, []).append(f)
        for node in self.nodes.values():
            self._node_xml(node, w)
            for f in flows_by_source.get(node.id, []):
                self._flow_xml(f, w)
        for a in self.annotations:
            w(f'    <bpmn:textAnnotation id="{a.id}">')
            w(f"      <bpmn:text>{escape(a.text)}</bpmn:text>")
            w("    </bpmn:textAnnotation>")
            w(f'    <bpmn:association id="Association_{a.id}" sourceRef="{a.target}" targetRef="{a.id}" />')
        w("  </bpmn:process>")
        for name, mid in self.messages.items():
            w(f'  <bpmn:message id="{mid}" name="{name}" />')
        for name, sid in self.signals.items():
            w(f'  <bpmn:signal id="{sid}" name="{name}" />')
        self._di_xml(w, collab_id)
        w("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _node_xml(self, node: Node, w) -> None:  # type: ignore[no-untyped-def]
        attrs = f'id="{node.id}" name={attr(node.name)}'
        for key, value in node.attrs.items():
            attrs += f" {key}={attr(value)}"
        w(f"    <bpmn:{node.tag} {attrs}>")
        w(f"      <bpmn:documentation>{escape(node.doc)}</bpmn:documentation>")
        if node.extensions:
            w("      <bpmn:extensionElements>")
            for line in node.extensions:
                w("        " + line)
            w("      </bpmn:extensionElements>")
        for fid in node.incoming:
            w(f"      <bpmn:incoming>{fid}</bpmn:incoming>")
        for fid in node.outgoing:
            w(f"      <bpmn:outgoing>{fid}</bpmn:outgoing>")
        for line in node.body:
            w("      " + line)
        w(f"    </bpmn:{node.tag}>")

    @staticmethod
    def _flow_xml(f: Flow, w) -> None:  # type: ignore[no-untyped-def]
        name = f" name={attr(f.name)}" if f.name else ""
        w(f'    <bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" targetRef="{f.target}">')
        w(f"      <bpmn:documentation>{escape(f.doc)}</bpmn:documentation>")
        if f.condition:
            w(
                '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                f"{escape(f.condition)}</bpmn:conditionExpression>"
            )
        w("    </bpmn:sequenceFlow>")

    def _sides_used(self, node: Node) -> set[str]:
        used: set[str] = set()
        for f in self.flows:
            if f.source == node.id:
                used.add(self._sides(f)[0])
            if f.target == node.id:
                used.add(self._sides(f)[1])
        if any(n.attached_to == node.id for n in self.nodes.values()):
            used.add("b")
        return used

    def _label_bounds(self, node: Node) -> tuple[float, float, float, float]:
        lw = 100
        lines = max(1, (len(node.name) + 17) // 18)
        lh = 14 * lines
        if node.attached_to:  # right of the boundary event, under its host
            return (node.x + node.w + 2, node.y + node.h - 4, lw, lh)
        used = self._sides_used(node)
        if "b" not in used:
            return (node.cx - lw / 2, node.y + node.h + 5, lw, lh)
        if "t" not in used:
            return (node.cx - lw / 2, node.y - lh - 5, lw, lh)
        return (node.x - lw + 5, node.y - lh - 2, lw, lh)

    def _di_xml(self, w, collab_id: str) -> None:  # type: ignore[no-untyped-def]
        max_x = max(n.x + n.w for n in self.nodes.values())
        for a in self.annotations:
            max_x = max(max_x, COL_X0 + COL_W * a.col + SIZES["annotation"][0])
        pool_w = max_x + 60 - POOL_X
        w(f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.process_id}">')
        w(f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.process_id}" bpmnElement="{collab_id}">')

        def shape(
            element: str,
            x: float,
            y: float,
            width: float,
            height: float,
            extra: str = "",
            label: tuple[float, float, float, float] | None = None,
            empty_label: bool = False,
        ) -> None:
            w(f'      <bpmndi:BPMNShape id="{_di_id(element)}" bpmnElement="{element}"{extra}>')
            w(f'        <dc:Bounds x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" />')
            if label:
                lx, ly, lw, lh = label
                w("        <bpmndi:BPMNLabel>")
                w(f'          <dc:Bounds x="{_n(lx)}" y="{_n(ly)}" width="{_n(lw)}" height="{_n(lh)}" />')
                w("        </bpmndi:BPMNLabel>")
            elif empty_label:
                w("        <bpmndi:BPMNLabel />")
            w("      </bpmndi:BPMNShape>")

        shape(
            self.participant_id,
            POOL_X,
            self.pool_y,
            pool_w,
            self.pool_h,
            ' isHorizontal="true"',
            empty_label=True,
        )
        for lane_id, _name, _rows, _doc in self.lanes:
            top, height = self.lane_bounds[lane_id]
            shape(
                lane_id,
                LANE_X,
                top,
                pool_w - (LANE_X - POOL_X),
                height,
                ' isHorizontal="true"',
                empty_label=True,
            )
        for node in self.nodes.values():
            extra = ' isMarkerVisible="true"' if node.tag == "exclusiveGateway" else ""
            label = None
            if node.kind != "task" and node.name:
                label = self._label_bounds(node)
            shape(node.id, node.x, node.y, node.w, node.h, extra, label)
        for a in self.annotations:
            aw, ah = SIZES["annotation"]
            ax = COL_X0 + COL_W * a.col - aw / 2
            ay = self.row_y[a.row] - ah / 2
            shape(a.id, ax, ay, aw, ah)
        for f in self.flows:
            w(f'      <bpmndi:BPMNEdge id="{_di_id(f.id)}" bpmnElement="{f.id}">')
            for x, y in f.points:
                w(f'        <di:waypoint x="{_n(x)}" y="{_n(y)}" />')
            if f.name:
                (x1, y1), (x2, y2) = f.points[0], f.points[1]
                if f.label_at == "end":
                    (x1, y1), (x2, y2) = f.points[-2], f.points[-1]
                lw = 7 * len(f.name) + 6
                if abs(x1 - x2) < 1:  # vertical segment: label to the right of it
                    lx, ly = x1 + 5, min(y1, y2) + abs(y2 - y1) / 2 - 7
                else:
                    lx, ly = min(x1, x2) + 22, y1 - 20
                w("        <bpmndi:BPMNLabel>")
                w(f'          <dc:Bounds x="{_n(lx)}" y="{_n(ly)}" width="{_n(lw)}" height="14" />')
                w("        </bpmndi:BPMNLabel>")
            w("      </bpmndi:BPMNEdge>")
        for a in self.annotations:
            target = self.nodes[a.target]
            aw, ah = SIZES["annotation"]
            ax = COL_X0 + COL_W * a.col - aw / 2
            ay = self.row_y[a.row] - ah / 2
            sx, sy = target.x + 20, (target.y if ay < target.y else target.y + target.h)
            ty = ay + ah if ay < target.y else ay
            edge_id = _di_id("Association_" + a.id)
            w(f'      <bpmndi:BPMNEdge id="{edge_id}" bpmnElement="Association_{a.id}">')
            w(f'        <di:waypoint x="{_n(sx)}" y="{_n(sy)}" />')
            w(f'        <di:waypoint x="{_n(sx)}" y="{_n(ty)}" />')
            w("      </bpmndi:BPMNEdge>")
        w("    </bpmndi:BPMNPlane>")
        w("  </bpmndi:BPMNDiagram>")


def _di_id(element: str) -> str:
    # No identifier except COA's programme and its start timer may contain the programme's name.
    return element.replace("voorinburgering", "vib") + "_di"


def _n(value: float) -> str:
    return str(int(round(value)))


def _plain(text: str) -> str:
    return " ".join(text.split())


def form_xml(fields: list[FormField]) -> list[str]:
    lines = ["<camunda:formData>"]
    for f in fields:
        default = f" defaultValue={attr(f.default)}" if f.default is not None else ""
        constraints = list(f.constraints)
        if f.required:
            constraints.insert(0, ("required", None))
        if not constraints and not f.options:
            lines.append(
                f'  <camunda:formField id="{f.id}" label={attr(f.label)} type="{f.type}"{default} />'
            )
            continue
        lines.append(f'  <camunda:formField id="{f.id}" label={attr(f.label)} type="{f.type}"{default}>')
        if constraints:
            lines.append("    <camunda:validation>")
            for cname, cval in constraints:
                cfg = f" config={attr(cval)}" if cval is not None else ""
                lines.append(f'      <camunda:constraint name="{cname}"{cfg} />')
            lines.append("    </camunda:validation>")
        for oid, oname in f.options:
            lines.append(f'    <camunda:value id="{oid}" name={attr(oname)} />')
        lines.append("  </camunda:formField>")
    lines.append("</camunda:formData>")
    return lines


def properties_xml(props: list[tuple[str, str]]) -> list[str]:
    lines = ["<camunda:properties>"]
    for name, value in props:
        lines.append(f'  <camunda:property name="{name}" value={attr(value)} />')
    lines.append("</camunda:properties>")
    return lines
