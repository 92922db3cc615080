"""A changed version of a shipped diagram, as a designer would save it in Camunda Modeler.

The tests derive it from the shipped file at run time, so it follows whatever the designers change
in ``bpmn/``: a label and a documentation text reworded, a timer's duration changed, element
ids renamed (every reference with them), and the flow changed: a milestone (a none intermediate
throw event, with its shape) put on the way into an element, so the element's incoming flow now
comes from the new event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"


def changed_version(
    content: bytes,
    *,
    relabel: Mapping[str, str] | None = None,
    durations: Mapping[str, str] | None = None,
    renames: Mapping[str, str] | None = None,
    retype: Mapping[str, str] | None = None,
    milestones_before: Iterable[str] = (),
) -> bytes:
    """``content`` with labels, timer values, element types and ids changed (each must exist).

    ``retype`` gives elements another BPMN type (``manualTask``), without their Camunda settings.
    ``milestones_before`` puts a milestone ``<id>_mijlpaal`` on the way into each element.
    """
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    for element_id, name in (relabel or {}).items():
        by_id[element_id].set("name", name)
        docs = by_id[element_id].find(f"{BPMN}documentation")
        if docs is not None:
            docs.text = (docs.text or "") + " (Herzien.)"
    for element_id, duration in (durations or {}).items():
        (node,) = by_id[element_id].iter(f"{BPMN}timeDuration", f"{BPMN}timeDate", f"{BPMN}timeCycle")
        node.text = duration
    for element_id, kind in (retype or {}).items():
        element = by_id[element_id]
        element.tag = BPMN + kind
        for ext in element.findall(f"{BPMN}extensionElements"):
            element.remove(ext)
        for attr in [a for a in element.attrib if a.startswith("{http://camunda.org/")]:
            del element.attrib[attr]
    for old, new in (renames or {}).items():
        assert old in by_id, old
        for element in root.iter():
            for attr, value in element.attrib.items():
                if value == old:
                    element.set(attr, new)
            if element.text and element.text.strip() == old:
                element.text = new
    for element_id in milestones_before:
        _milestone_before(root, by_id, element_id)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _milestone_before(root: Any, by_id: dict[str, Any], element_id: str) -> None:
    """``X -> element`` becomes ``X -> milestone -> element`` (each incoming flow of the element)."""
    element = by_id[element_id]
    container = element.getparent()
    new_id = f"{element_id}_mijlpaal"
    event = etree.Element(f"{BPMN}intermediateThrowEvent", id=new_id, name="Mijlpaal")
    element.addprevious(event)  # flow elements stay before the diagram's artifacts
    flows = [f for f in container.findall(f"{BPMN}sequenceFlow") if f.get("targetRef") == element_id]
    assert flows, element_id
    for flow in flows:
        etree.SubElement(event, f"{BPMN}incoming").text = flow.get("id")
        flow.set("targetRef", new_id)
    onward = etree.Element(f"{BPMN}sequenceFlow", id=f"Flow_{new_id}", sourceRef=new_id, targetRef=element_id)
    event.addnext(onward)
    etree.SubElement(event, f"{BPMN}outgoing").text = onward.get("id")
    first, *rest = element.findall(f"{BPMN}incoming")  # the element's references keep their place
    first.text = onward.get("id")
    for ref in rest:
        element.remove(ref)
    for lane in root.iter(f"{BPMN}lane"):
        if any(ref.text == element_id for ref in lane.findall(f"{BPMN}flowNodeRef")):
            etree.SubElement(lane, f"{BPMN}flowNodeRef").text = new_id
    # the shape: just left of the element, on its centre line; the new flow's edge joins them
    shape = next(s for s in root.iter(f"{BPMNDI}BPMNShape") if s.get("bpmnElement") == element_id)
    bounds = shape.find(f"{DC}Bounds")
    x, y, h = float(bounds.get("x")), float(bounds.get("y")), float(bounds.get("height"))
    plane = shape.getparent()
    new_shape = etree.SubElement(plane, f"{BPMNDI}BPMNShape", id=f"{new_id}_di", bpmnElement=new_id)
    etree.SubElement(new_shape, f"{DC}Bounds", x=str(x - 30), y=str(y + h / 2 - 18), width="36", height="36")
    edge = etree.SubElement(plane, f"{BPMNDI}BPMNEdge", id=f"Flow_{new_id}_di", bpmnElement=onward.get("id"))
    etree.SubElement(edge, f"{DI}waypoint", x=str(x + 6), y=str(y + h / 2))
    etree.SubElement(edge, f"{DI}waypoint", x=str(x), y=str(y + h / 2))
    by_id[new_id] = event
