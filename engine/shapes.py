"""Shapes Camunda 7 runs that SpiffWorkflow 3.2 cannot parse as drawn, rewritten to equivalents.

:func:`normalise` works on the parsed tree of an uploaded document, after the deploy checks and
before SpiffWorkflow's parser sees it. The stored document is never changed: the rewrite is made
again, identically, each time the document is parsed. Every rewrite keeps Camunda's semantics:

* a sequence flow without ``id`` (valid BPMN; Camunda runs it) gets a generated id, so the parser
  does not silently drop it;
* a flow node without ``id`` that Camunda deploys but can never reach (no sequence flow can name
  it: a task, gateway, sub-process, intermediate or end event) is left out, as it never runs there
  (:func:`anonymous_node_problem` says which ones Camunda cannot run at all: those are refused);
* an activity or event with several outgoing flows splits there, as in Camunda: in parallel when
  no flow has a condition, otherwise like an inclusive gateway (every flow whose condition holds;
  the ``default`` flow when none does) - an implicit gateway is inserted;
* a sequence flow without condition leaving an inclusive gateway is always taken;
* the one sequence flow without condition leaving an exclusive gateway is its default flow, as
  Camunda takes it (two such flows are refused at deploy, as Camunda does);
* a sub-process or event sub-process without an end event ends when nothing in it is left to do,
  as in Camunda: an end event is added, reached from every element with no outgoing flow;
* a receive task without ``messageRef`` waits for a trigger (Camunda's ``signal``): here the
  message named by the task's element id;
* an ``errorRef`` that names no declared error is the error code (Camunda uses the ref);
* a link throw event continues at the link catch event of the same name in its scope;
* standard multi-instance input (``loopDataInputRef``/``inputDataItem``) and a collection written
  ``${list}`` become Camunda's ``camunda:collection``/``camunda:elementVariable``;
* element ids ``Start`` and ``End`` (names the library uses for itself) are renamed inside the
  parsed copy; :func:`restore_ids` gives the parsed specs their designer's ids back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from engine.intake import BPMN_MODEL_NS, FLOW_NODE_TAGS

__all__ = [
    "GENERATED_PREFIX",
    "anonymous_node_problem",
    "describe",
    "normalise",
    "pass_through_tasks",
    "resolve_prefixed_refs",
    "restore_ids",
]

GENERATED_PREFIX = "__dl_"
"""Prefix of every id the rewrite makes up (never shown as a designer's element)."""

_RESERVED = {"Start": f"{GENERATED_PREFIX}Start", "End": f"{GENERATED_PREFIX}End"}
_ID_REFERENCES = ("sourceRef", "targetRef", "attachedToRef", "default")

# Flow nodes that can have an outgoing sequence flow and are not gateways.
_SPLITTING_NODES = FLOW_NODE_TAGS - {
    "endEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
    "transaction",
    "adHocSubProcess",
}
_FLOW_NODES = FLOW_NODE_TAGS


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_MODEL_NS}}}{tag}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _scopes(root: etree._Element) -> Iterable[etree._Element]:
    for tag in ("process", "subProcess", "transaction", "adHocSubProcess"):
        yield from root.iter(_bpmn(tag))


def _children(scope: etree._Element, names: Iterable[str]) -> list[etree._Element]:
    wanted = set(names)
    return [c for c in scope if _local(c) in wanted]


_REF_ATTRIBUTES = ("messageRef", "errorRef", "escalationRef", "signalRef")


ACTIVITI_NS = "http://activiti.org/bpmn"
_CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def camunda_namespace(root: etree._Element) -> None:
    """Read extensions in the legacy ``http://activiti.org/bpmn`` namespace as Camunda's, as Camunda 7
    does (older Camunda diagrams declare ``xmlns:camunda`` with it): without this, every
    ``camunda:*`` attribute of such a diagram would be ignored."""
    old_prefix = "{" + ACTIVITI_NS + "}"
    new_prefix = "{" + _CAMUNDA_NS + "}"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith(old_prefix):
            element.tag = new_prefix + element.tag[len(old_prefix) :]
        for key in [k for k in element.attrib if k.startswith(old_prefix)]:
            value = element.attrib.pop(key)
            element.set(new_prefix + key[len(old_prefix) :], value)


def resolve_prefixed_refs(root: etree._Element) -> None:
    """``messageRef="tns:newInvoice"`` names the element ``newInvoice`` of this document, as Camunda reads it.

    A reference is a QName: a prefix bound to the document's target namespace may stand before the
    id. Called before the deploy checks, so they see the ids the references mean.
    """
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attr in _REF_ATTRIBUTES:
            value = element.get(attr)
            if value and ":" in value and value not in ids:
                local = value.split(":", 1)[1]
                if local in ids:
                    element.set(attr, local)


def _name_anonymous_flows(root: etree._Element) -> None:
    """Ids for what Camunda runs without one: sequence flows and event sub-processes."""
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    counter = 0
    anonymous = [
        e
        for e in root.iter(_bpmn("sequenceFlow"), _bpmn("subProcess"))
        if not e.get("id") and (_local(e) == "sequenceFlow" or e.get("triggeredByEvent") == "true")
    ]
    for element in anonymous:
        kind = "flow" if _local(element) == "sequenceFlow" else "eventSubProcess"
        while True:
            counter += 1
            candidate = f"{GENERATED_PREFIX}{kind}_{counter}"
            if candidate not in taken:
                break
        taken.add(candidate)
        element.set("id", candidate)


def _documentation_data_stores(root: etree._Element) -> None:
    """Drop data store references no data association reads or writes (Camunda ignores them)."""
    used = {
        (ref.text or "").strip()
        for association in root.iter(_bpmn("dataInputAssociation"), _bpmn("dataOutputAssociation"))
        for ref in association.iter(_bpmn("sourceRef"), _bpmn("targetRef"))
    }
    for reference in list(root.iter(_bpmn("dataStoreReference"))):
        parent = reference.getparent()
        if reference.get("id") not in used and parent is not None:
            parent.remove(reference)
    referenced = {r.get("dataStoreRef") for r in root.iter(_bpmn("dataStoreReference"))}
    for store in list(root.iter(_bpmn("dataStore"))):
        parent = store.getparent()
        if store.get("id") not in referenced and parent is not None:
            parent.remove(store)


def anonymous_node_problem(element: etree._Element) -> str | None:
    """Why Camunda's BpmnParse cannot run the flow node ``element``, which has no ``id``; None when it
    deploys it as a node no sequence flow can reach (it never runs, and is left out here).

    A start event without id fails Camunda's parse (its start form handler compares ids); a
    boundary event fires on its activity though no flow names it, and so does an event
    sub-process's start; a link catch event is found by its link name, and Camunda refuses the link
    whose catch event has no id.
    """
    kind = _local(element)
    if kind == "startEvent":
        return "a start event needs an id (Camunda's parser fails on one without)"
    if kind == "boundaryEvent":
        return "a boundary event needs an id: it fires on its activity, and its path needs a name"
    if kind == "intermediateCatchEvent" and element.find(_bpmn("linkEventDefinition")) is not None:
        return "a link catch event needs an id: link throw events go on there"
    return None


def _drop_anonymous_nodes(root: etree._Element) -> None:
    """Flow nodes without id, which no sequence flow can reach, never run: leave them out."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.get("id") or _local(element) not in _ANONYMOUS_DROPPED:
            continue
        parent = element.getparent()
        if parent is not None and anonymous_node_problem(element) is None:
            parent.remove(element)


#: Flow nodes left out when they have no id; start and boundary events are kept (their own checks).
_ANONYMOUS_DROPPED = FLOW_NODE_TAGS - {"startEvent", "boundaryEvent"}


def _rename_reserved(root: etree._Element) -> dict[str, str]:
    renamed: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id")
        if element_id in _RESERVED and element.tag.startswith(f"{{{BPMN_MODEL_NS}}}"):
            element.set("id", _RESERVED[element_id])
            renamed[_RESERVED[element_id]] = element_id
    if not renamed:
        return renamed
    back = {v: k for k, v in renamed.items()}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attr in _ID_REFERENCES:
            value = element.get(attr)
            if value in back:
                element.set(attr, back[value])
        if (
            _local(element) in ("incoming", "outgoing", "flowNodeRef")
            and (element.text or "").strip() in back
        ):
            element.text = back[(element.text or "").strip()]
    return renamed


def _condition(flow: etree._Element) -> etree._Element | None:
    return flow.find(_bpmn("conditionExpression"))


def _insert_split(scope: etree._Element, node: etree._Element, flows: list[etree._Element]) -> None:
    """Move ``flows`` behind an implicit gateway that follows ``node``."""
    node_id = node.get("id") or ""
    conditional = any(_condition(f) is not None for f in flows)
    gateway = etree.SubElement(scope, _bpmn("inclusiveGateway" if conditional else "parallelGateway"))
    gateway_id = f"{GENERATED_PREFIX}split_{node_id}"
    gateway.set("id", gateway_id)
    default = node.get("default")
    if default:
        gateway.set("default", default)
        del node.attrib["default"]
    for flow in flows:
        flow.set("sourceRef", gateway_id)
    link = etree.SubElement(scope, _bpmn("sequenceFlow"))
    link.set("id", f"{GENERATED_PREFIX}to_split_{node_id}")
    link.set("sourceRef", node_id)
    link.set("targetRef", gateway_id)


def _split_multiple_outgoing(scope: etree._Element) -> None:
    flows = _children(scope, ["sequenceFlow"])
    by_source: dict[str, list[etree._Element]] = {}
    for flow in flows:
        by_source.setdefault(flow.get("sourceRef") or "", []).append(flow)
    nodes = {n.get("id"): n for n in scope if _local(n) in _SPLITTING_NODES and n.get("id")}
    for source, outgoing in by_source.items():
        node = nodes.get(source)
        if node is None:
            continue
        conditional = [f for f in outgoing if _condition(f) is not None]
        if len(outgoing) > 1 or conditional:
            _insert_split(scope, node, outgoing)


def _unconditional_exclusive_flows(scope: etree._Element) -> None:
    """Camunda takes the one flow without condition of an exclusive gateway as its default flow."""
    flows = _children(scope, ["sequenceFlow"])
    for gateway in _children(scope, ["exclusiveGateway"]):
        if gateway.get("default"):
            continue
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        unconditional = [f for f in outgoing if _condition(f) is None]
        if len(outgoing) > 1 and len(unconditional) == 1:
            gateway.set("default", unconditional[0].get("id") or "")


def _unconditional_inclusive_flows(scope: etree._Element) -> None:
    """A flow without condition leaving an inclusive gateway is always taken, as in Camunda."""
    flows = _children(scope, ["sequenceFlow"])
    for gateway in _children(scope, ["inclusiveGateway"]):
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if _condition(flow) is None and flow.get("id") != gateway.get("default"):
                etree.SubElement(flow, _bpmn("conditionExpression")).text = "${true}"


def _implicit_end(scope: etree._Element) -> None:
    if _local(scope) == "process" or _children(scope, ["endEvent"]):
        return
    sources = {f.get("sourceRef") for f in _children(scope, ["sequenceFlow"])}
    ends = [
        n
        for n in scope
        if _local(n) in _FLOW_NODES
        and n.get("id")
        and n.get("id") not in sources
        and _local(n) != "boundaryEvent"
        and n.get("triggeredByEvent") != "true"
    ]
    scope_id = scope.get("id") or ""
    end = etree.SubElement(scope, _bpmn("endEvent"))
    end_id = f"{GENERATED_PREFIX}end_{scope_id}"
    end.set("id", end_id)
    for index, node in enumerate(ends):
        flow = etree.SubElement(scope, _bpmn("sequenceFlow"))
        flow.set("id", f"{GENERATED_PREFIX}to_end_{scope_id}_{index}")
        flow.set("sourceRef", node.get("id") or "")
        flow.set("targetRef", end_id)


def _undeclared_errors(root: etree._Element) -> None:
    """An ``errorRef`` naming no declared error is the error code itself, as Camunda reads it."""
    declared = {e.get("id") for e in root.iter(_bpmn("error"))}
    for definition in root.iter(_bpmn("errorEventDefinition")):
        ref = definition.get("errorRef")
        if ref and ref not in declared:
            error = etree.Element(_bpmn("error"))
            error.set("id", ref)
            error.set("errorCode", ref)
            error.set("name", ref)
            root.insert(0, error)
            declared.add(ref)


def _links(scope: etree._Element) -> None:
    """Link events: a throw jumps to the catch of the same name in its scope (a plain flow here)."""

    def link_name(event: etree._Element) -> str | None:
        definition = event.find(_bpmn("linkEventDefinition"))
        return None if definition is None else (definition.get("name") or event.get("name") or "")

    catches: dict[str, etree._Element] = {}
    for event in _children(scope, ["intermediateCatchEvent"]):
        name = link_name(event)
        if name is not None:
            catches.setdefault(name, event)
    for event in _children(scope, ["intermediateThrowEvent", "intermediateCatchEvent"]):
        name = link_name(event)
        if name is None:
            continue
        definition = event.find(_bpmn("linkEventDefinition"))
        if definition is not None:
            event.remove(definition)
        if _local(event) == "intermediateCatchEvent":
            event.tag = _bpmn("intermediateThrowEvent")  # passes straight through, like a none event
            continue
        target = catches.get(name)
        if target is not None and target.get("id") and event.get("id"):
            flow = etree.SubElement(scope, _bpmn("sequenceFlow"))
            flow.set("id", f"{GENERATED_PREFIX}link_{event.get('id')}")
            flow.set("sourceRef", event.get("id") or "")
            flow.set("targetRef", target.get("id") or "")


def _multi_instance_forms(root: etree._Element) -> None:
    """Standard BPMN multi-instance input (and ``${list}`` collections) as Camunda's attributes."""
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    for loop in root.iter(_bpmn("multiInstanceLoopCharacteristics")):
        data_input = loop.find(_bpmn("loopDataInputRef"))
        item = loop.find(_bpmn("inputDataItem"))
        if (
            data_input is not None
            and (data_input.text or "").strip()
            and loop.get(f"{cam}collection") is None
        ):
            loop.set(f"{cam}collection", (data_input.text or "").strip())
            if item is not None and (item.get("name") or item.get("id")):
                loop.set(f"{cam}elementVariable", item.get("name") or item.get("id") or "")
        for child in (data_input, item):
            if child is not None:
                loop.remove(child)
        collection = (loop.get(f"{cam}collection") or "").strip()
        simple = re.fullmatch(r"[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", collection)
        if simple:
            loop.set(f"{cam}collection", simple.group(1))


def _receive_task_triggers(root: etree._Element) -> None:
    """A receive task without ``messageRef`` waits for a trigger: the message named by its id."""
    for task in root.iter(_bpmn("receiveTask")):
        task_id = task.get("id")
        if task.get("messageRef") or not task_id:
            continue
        message = etree.Element(_bpmn("message"))
        message.set("id", f"{GENERATED_PREFIX}trigger_{task_id}")
        message.set("name", task_id)
        root.insert(0, message)
        task.set("messageRef", message.get("id") or "")


def normalise(root: etree._Element) -> dict[str, str]:
    """Rewrite ``root`` in place (see the module text); return generated id -> designer's id."""
    _name_anonymous_flows(root)
    _drop_anonymous_nodes(root)
    _documentation_data_stores(root)
    _receive_task_triggers(root)
    _multi_instance_forms(root)
    _undeclared_errors(root)
    renamed = _rename_reserved(root)
    for scope in list(_scopes(root)):
        _links(scope)
        _unconditional_exclusive_flows(scope)
        _unconditional_inclusive_flows(scope)
        _split_multiple_outgoing(scope)
        _implicit_end(scope)
    return renamed


def describe(root: etree._Element, generated_id: str) -> str:
    """How a designer finds the element behind a generated id (a flow by its ends)."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == generated_id:
            if _local(element) == "sequenceFlow":
                return f"sequenceFlow {element.get('sourceRef')}->{element.get('targetRef')}"
            return _local(element)
    return generated_id


def pass_through_tasks(specs: Iterable[Any]) -> None:
    """Manual tasks and tasks without a type pass at once, as in Camunda.

    The library waits on them as on a user task, but no one can see or complete them: an instance
    would hang there unseen.
    """
    from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
    from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, ManualTask | NoneTask):
                task_spec.manual = False


def restore_ids(specs: Iterable[Any], renamed: Mapping[str, str]) -> None:
    """Give task specs parsed from a renamed element their designer's id back (``bpmn_id``)."""
    if not renamed:
        return
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            original = renamed.get(getattr(task_spec, "bpmn_id", None) or "")
            if original is not None:
                task_spec.bpmn_id = original
