"""A changed version of a shipped diagram, as a designer would save it in Camunda Modeler.

The tests derive it from the shipped file at run time, so it follows whatever the designers change
in ``bpmn/``: a label and a documentation text reworded, a timer's duration changed, and element
ids renamed (every reference with them).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def changed_version(
    content: bytes,
    *,
    relabel: Mapping[str, str] | None = None,
    durations: Mapping[str, str] | None = None,
    renames: Mapping[str, str] | None = None,
    retype: Mapping[str, str] | None = None,
) -> bytes:
    """``content`` with labels, timer values, element types and ids changed (each must exist).

    ``retype`` gives elements another BPMN type (``manualTask``), without their Camunda settings.
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
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
