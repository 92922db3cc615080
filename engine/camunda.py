"""What a Camunda Modeler diagram asks of the engine: read what we honour, refuse what needs Java.

:func:`inspect_document` walks a tree returned by :func:`engine.intake.parse_xml` and returns a
:class:`DocumentInfo`: the user tasks with their assignment attributes and generated forms, lanes,
messages, properties, call activities, and every reason the document cannot be deployed. It
never stops at the first problem: a designer sees the whole list at once, each naming the element
id and line.

SpiffWorkflow's Camunda parser silently accepts Java delegates, connectors, external tasks and
JavaScript listeners; this pass is what rejects them clearly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

from lxml import etree

from engine.errors import ExpressionError, Problem
from engine.expression.cron import CronError, is_cron, parse_cron
from engine.intake import BPMN_MODEL_NS, FLOW_NODE_TAGS, document_kind

__all__ = [
    "CAMUNDA_NS",
    "FORM_FIELD_TYPES",
    "FORM_CONSTRAINTS",
    "DocumentInfo",
    "FormField",
    "UserTaskInfo",
    "inspect_document",
    "is_expression",
]

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
"""Namespace of Camunda 7 extension attributes and elements."""

FORM_FIELD_TYPES: frozenset[str] = frozenset({"string", "long", "boolean", "date", "enum"})
"""Generated-form field types we render and validate."""

FORM_CONSTRAINTS: frozenset[str] = frozenset({"required", "readonly", "minlength", "maxlength", "min", "max"})
"""Validation constraint names we enforce (Camunda's built-in validators)."""

VARIABLE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
"""Form field ids and submitted variable names must match this."""

_PYTHON_SCRIPT_FORMATS = frozenset({"python", "py"})
_CONDITION_LANGUAGES = frozenset({"juel", "python", "py"})

# Event definitions and elements we refuse, with the reason a designer reads.
_UNSUPPORTED_EVENT_DEFINITIONS: Mapping[str, str] = {
    "compensateEventDefinition": "compensation events are not supported",
    "cancelEventDefinition": "cancel events (transactions) are not supported",
    "conditionalEventDefinition": "conditional events are not supported",
}
_UNSUPPORTED_ELEMENTS: Mapping[str, str] = {
    "transaction": "transaction subprocesses are not supported",
    "complexGateway": "complex gateways are not supported",
    "dataStoreReference": "data stores are not supported (remove the data store reference)",
}


def _is_event_subprocess(element: etree._Element) -> bool:
    """An event sub-process: no flow can reach it, so it needs no id (one is made up for it)."""
    return etree.QName(element).localname == "subProcess" and element.get("triggeredByEvent") == "true"


_IMPLEMENTED_TASKS = frozenset({"serviceTask", "sendTask", "businessRuleTask", "scriptTask"})
_CATCH_EVENTS = frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent"})
#: Start event definitions that start a process by their trigger, beside its one none or timer start.
_TRIGGERED_START_KINDS = frozenset(
    {"messageEventDefinition", "signalEventDefinition", "conditionalEventDefinition", "errorEventDefinition"}
)
_MULTIPLE_INITIAL = "multiple none start events or timer start events not supported on process definition"
_LISTENERS = {"executionListener": "execution listener", "taskListener": "task listener"}

_ISO_DURATION_RE = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:[.,]\d+)?S)?)?$"
)
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOOKS_LITERAL_RE = re.compile(r"^[0-9PR][0-9A-Za-z:.,+\-/]*$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_MODEL_NS}}}{tag}"


def _cam(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def is_expression(text: str | None) -> bool:
    """True when ``text`` holds a JUEL expression (``${...}`` or ``#{...}``)."""
    return text is not None and ("${" in text or "#{" in text)


@dataclass(frozen=True)
class FormField:
    """One field of a Camunda generated form (``camunda:formField``)."""

    id: str
    label: str
    type: str
    required: bool = False
    readonly: bool = False
    options: tuple[tuple[str, str], ...] = ()
    constraints: Mapping[str, int | str] = field(default_factory=lambda: MappingProxyType({}))
    default: str | None = None

    def typed_default(self) -> object:
        """The default as the JSON value a client would submit (expressions stay text)."""
        if self.default is None or is_expression(self.default):
            return self.default
        if self.type == "long" and _INTEGER_RE.match(self.default.strip()):
            return int(self.default.strip())
        if self.type == "boolean" and self.default.strip().lower() in ("true", "false"):
            return self.default.strip().lower() == "true"
        return self.default

    def as_dict(self) -> dict[str, object]:
        """The field as the HTTP contract's task form shows it.

        ``readonly`` is a Camunda validation constraint, so it appears in ``constraints``.
        """
        constraints: dict[str, object] = dict(self.constraints)
        if self.readonly:
            constraints["readonly"] = True
        return {
            "id": self.id,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "options": [{"id": option_id, "label": label} for option_id, label in self.options],
            "constraints": constraints,
            "default": self.typed_default(),
        }


@dataclass(frozen=True)
class UserTaskInfo:
    """A user task's Camunda attributes, read from the diagram (expressions kept as written)."""

    element_id: str
    name: str
    process_id: str
    lane: str | None
    assignee: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    due_date: str | None
    follow_up_date: str | None
    priority: str | None
    form_key: str | None
    form: tuple[FormField, ...]


def _frozen() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class DocumentInfo:
    """Everything the engine reads from one BPMN or DMN document, plus every deploy problem."""

    kind: str
    process_ids: tuple[str, ...] = ()
    executable_process_ids: tuple[str, ...] = ()
    history_ttl: Mapping[str, str | None] = field(default_factory=_frozen)
    user_tasks: Mapping[str, UserTaskInfo] = field(default_factory=_frozen)
    properties: Mapping[str, Mapping[str, str]] = field(default_factory=_frozen)
    message_names: Mapping[str, str] = field(default_factory=_frozen)
    element_messages: Mapping[str, str] = field(default_factory=_frozen)
    called_elements: Mapping[str, str] = field(default_factory=_frozen)
    element_names: Mapping[str, str] = field(default_factory=_frozen)
    element_lines: Mapping[str, int] = field(default_factory=_frozen)
    lanes: Mapping[str, str] = field(default_factory=_frozen)
    decision_ids: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    start_forms: Mapping[str, tuple[FormField, ...]] = field(default_factory=_frozen)
    """Start event id -> its generated form fields (for validating start variables)."""

    @property
    def ok(self) -> bool:
        """True when nothing refuses the deploy."""
        return not self.problems


# --------------------------------------------------------------------------------------------
# The inspection pass
# --------------------------------------------------------------------------------------------


def _split_expression_list(text: str) -> tuple[str, ...]:
    """Split a comma-separated Camunda list without breaking ``${...}`` expressions apart."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for index, char in enumerate(text):
        if char == "{" and (depth or (index > 0 and text[index - 1] in "$#")):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return tuple(item.strip() for item in items if item.strip())


def _resource_expressions(task: etree._Element, tag: str) -> list[str]:
    texts = []
    for role in task.findall(_bpmn(tag)):
        for formal in role.iter(_bpmn("formalExpression")):
            if (formal.text or "").strip():
                texts.append((formal.text or "").strip())
    return texts


def _bpmn_assignment(task: etree._Element) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """BPMN's ``humanPerformer`` and ``potentialOwner``, as Camunda reads them.

    ``humanPerformer`` is the assignee (``user(kermit)`` or ``kermit``); ``potentialOwner`` lists
    ``user(...)`` candidate users and ``group(...)`` candidate groups, a bare name being a group.
    Returns (assignee, candidate users, candidate groups).
    """

    def unwrap(item: str, prefix: str) -> str | None:
        if item.startswith(f"{prefix}(") and item.endswith(")"):
            return item[len(prefix) + 1 : -1].strip()
        return None

    assignee = None
    for text in _resource_expressions(task, "humanPerformer"):
        assignee = unwrap(text, "user") or text
    users: list[str] = []
    groups: list[str] = []
    for text in _resource_expressions(task, "potentialOwner"):
        for item in _split_expression_list(text):
            user = unwrap(item, "user")
            if user is not None:
                users.append(user)
            else:
                groups.append(unwrap(item, "group") or item)
    return assignee, tuple(users), tuple(groups)


def _valid_iso_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_iso_cycle(text: str) -> bool:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not re.fullmatch(r"R\d*", parts[0]):
        return False
    rest = parts[1:]
    durations = [p for p in rest if _ISO_DURATION_RE.match(p)]
    dates = [p for p in rest if _valid_iso_datetime(p)]
    return len(durations) >= 1 and len(durations) + len(dates) == len(rest)


def _valid_iso_date(text: str) -> bool:
    if not _ISO_DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_TIMER_LITERAL_CHECKS: Mapping[str, tuple[Callable[[str], bool], str]] = {
    "timeDuration": (
        # Camunda reads a repetition before a duration (R/PT3S) as the duration: the timer fires once
        lambda t: bool(_ISO_DURATION_RE.match(re.sub(r"^R\d*/", "", t))),
        "an ISO 8601 duration such as P14D",
    ),
    "timeDate": (_valid_iso_datetime, "an ISO 8601 date-time such as 2024-01-31T09:00:00Z"),
    "timeCycle": (
        _valid_iso_cycle,
        "an ISO 8601 repeating interval such as R3/PT1H or a cron expression such as 0 0/5 * * * ?",
    ),
}


class _Inspector:
    """One pass over a BPMN tree; collects facts and problems."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.process_ids: list[str] = []
        self.executable: list[str] = []
        self.history_ttl: dict[str, str | None] = {}
        self.user_tasks: dict[str, UserTaskInfo] = {}
        self.properties: dict[str, Mapping[str, str]] = {}
        self.message_names: dict[str, str] = {}
        self.element_messages: dict[str, str] = {}
        self.called_elements: dict[str, str] = {}
        self.element_names: dict[str, str] = {}
        self.element_lines: dict[str, int] = {}
        self.lanes: dict[str, str] = {}
        self.start_forms: dict[str, tuple[FormField, ...]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def problem(self, message: str, element: etree._Element | None, element_id: str | None = None) -> None:
        line = element.sourceline if element is not None else None
        if element_id is None and element is not None:
            element_id = element.get("id")
        self.problems.append(Problem(message, element_id=element_id, line=line or None))

    def expression(self, text: str, element: etree._Element, owner_id: str | None, what: str) -> None:
        """Check one designer-written expression with the safe evaluator's validator."""
        from engine.expression import validate_expression

        try:
            validate_expression(text)
        except ExpressionError as exc:
            self.problem(f"{self.label(element)}: {what} '{text}' is not supported: {exc}", element, owner_id)

    def maybe_expression(
        self, text: str | None, element: etree._Element, owner_id: str | None, what: str
    ) -> None:
        if text is not None and is_expression(text):
            self.expression(text.strip(), element, owner_id, what)

    @staticmethod
    def owner_of(element: etree._Element) -> etree._Element:
        """The nearest ancestor-or-self BPMN element that carries an id (the thing a designer sees)."""
        node: etree._Element | None = element
        while node is not None:
            tag = node.tag
            if (
                isinstance(tag, str)
                and tag.startswith(f"{{{BPMN_MODEL_NS}}}")
                and node.get("id")
                and not etree.QName(node).localname.endswith("EventDefinition")
            ):
                return node
            node = node.getparent()
        return element

    def label(self, element: etree._Element) -> str:
        kind = etree.QName(element).localname
        name = (element.get("name") or "").strip().replace("\n", " ")
        return f"{kind} '{name}'" if name else kind

    # -- the walk --------------------------------------------------------------------------

    def run(self) -> None:
        for message in self.root.iter(_bpmn("message")):
            message_id = message.get("id")
            if not message_id:
                continue
            name = message.get("name")
            if not name:
                if not self._caught_only(message_id):
                    self.problem("message has no name to correlate on", message)
                name = message_id
            self.message_names[message_id] = name

        seen_ids: dict[str, int] = {}
        for element in self.root.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_MODEL_NS}}}"):
                continue
            element_id = element.get("id")
            if element_id:
                if element_id in seen_ids:
                    self.problem(
                        f"element id '{element_id}' is used more than once (first on line "
                        f"{seen_ids[element_id]})",
                        element,
                    )
                else:
                    seen_ids[element_id] = element.sourceline or 0
                    self.element_lines[element_id] = element.sourceline or 0
                if element.get("name") is not None:
                    self.element_names[element_id] = element.get("name") or ""
            elif etree.QName(element).localname in FLOW_NODE_TAGS and not _is_event_subprocess(element):
                from engine.shapes import anonymous_node_problem

                reason = anonymous_node_problem(element)
                if reason is not None:
                    self.problem(f"{self.label(element)} has no id: {reason}; give it an id", element)
                    self.visit(element)
                continue  # Camunda deploys it, and no sequence flow can reach it: it never runs
            self.visit(element)

        self.check_flow_ends(seen_ids)
        self.check_message_subscriptions()
        self.check_bpmn_parse_rules()
        self.check_escalations()
        self.check_error_end_events()
        self.check_links()
        self.assign_lanes()
        self.collect_user_tasks()

    # Camunda's BpmnParse messages for start events inside a sub-process that is not an event sub-process
    _SUBPROCESS_START_EVENT_PROBLEMS: Mapping[str, str] = MappingProxyType(
        {
            "timerEventDefinition": "timerEventDefinition is not allowed on start event within a subprocess",
            "messageEventDefinition": (
                "messageEventDefinition only allowed on start event if subprocess is an event subprocess"
            ),
            "signalEventDefinition": (
                "signalEventDefintion only allowed on start event if subprocess is an event subprocess"
            ),
            "errorEventDefinition": (
                "errorEventDefinition only allowed on start event if subprocess is an event subprocess"
            ),
            "escalationEventDefinition": (
                "escalationEventDefinition is not allowed on start event within a subprocess"
            ),
            "compensateEventDefinition": (
                "compensateEventDefinition is not allowed on start event within a subprocess"
            ),
            "conditionalEventDefinition": (
                "conditionalEventDefinition is not allowed on start event within a subprocess"
            ),
        }
    )

    def check_bpmn_parse_rules(self) -> None:
        """The structural deploy checks Camunda's BpmnParse makes, with its messages (BpmnParseTest)."""
        for gateway in self.root.iter(_bpmn("eventBasedGateway")):
            if (gateway.get(_cam("asyncAfter")) or "").strip() == "true":
                self.problem(f"'asyncAfter' not supported for {self.label(gateway)}", gateway)
        for process in self.root.iter(_bpmn("process")):
            ttl = process.get(_cam("historyTimeToLive"))
            if ttl and not re.fullmatch(r"\d+|P\d+D", ttl.strip()):
                self.problem(
                    f"Cannot parse historyTimeToLive: '{ttl}' (a number of days such as 180 or P180D)",
                    process,
                )
            initial = None
            for start in process.findall(_bpmn("startEvent")):
                kinds = {etree.QName(c).localname for c in start if isinstance(c.tag, str)}
                if kinds & _TRIGGERED_START_KINDS:
                    continue  # message, signal, conditional: any number beside the initial one
                if initial is None:
                    initial = start
                else:
                    self.problem(_MULTIPLE_INITIAL, start)
        flows = list(self.root.iter(_bpmn("sequenceFlow")))
        for scope in self.root.iter(_bpmn("subProcess"), _bpmn("transaction")):
            starts = scope.findall(_bpmn("startEvent"))
            event_subprocess = scope.get("triggeredByEvent") == "true"
            if not starts and scope.get("id"):
                self.problem(f"{etree.QName(scope).localname} must define a startEvent element", scope)
            if not event_subprocess:
                for start in starts[1:]:
                    self.problem("multiple start events not supported for subprocess", start)
            for start in starts:
                definitions = [
                    etree.QName(child).localname
                    for child in start
                    if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
                ]
                if event_subprocess:
                    if not definitions:
                        self.problem(
                            "start event of event subprocess must be of type 'error', 'message', 'timer', "
                            "'signal', 'compensation' or 'escalation'",
                            start,
                        )
                    continue
                for definition in definitions:
                    message = self._SUBPROCESS_START_EVENT_PROBLEMS.get(definition)
                    if message:
                        self.problem(message, start)
            if event_subprocess and scope.get("id"):
                for flow in flows:
                    if flow.get("targetRef") == scope.get("id"):
                        self.problem(
                            "Invalid incoming sequence flow of event subprocess", flow, self.flow_name(flow)
                        )
                    if flow.get("sourceRef") == scope.get("id"):
                        self.problem(
                            "Invalid outgoing sequence flow of event subprocess", flow, self.flow_name(flow)
                        )
        for kind in ("in", "out"):
            for mapping in self.root.iter(_cam(kind)):
                self.check_variable_mapping_attributes(mapping)

    def check_variable_mapping_attributes(self, mapping: etree._Element) -> None:
        """Camunda's checks of a ``camunda:in`` / ``camunda:out`` that passes one variable."""
        if mapping.get("variables") is not None or mapping.get("businessKey") is not None:
            return
        owner = self.owner_of(mapping)
        source, expression, target = (
            mapping.get("source"),
            mapping.get("sourceExpression"),
            mapping.get("target"),
        )
        if source is None and expression is None:
            self.problem("Missing parameter 'source' or 'sourceExpression' when passing variables", owner)
        elif source is not None and not source.strip():
            self.problem("Empty attribute 'source' when passing variables", owner)
        if target is None:
            self.problem(
                "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set", owner
            )
        elif not target.strip():
            self.problem(
                "Empty attribute 'target' when attribute 'source' or 'sourceExpression' is set", owner
            )

    def check_error_end_events(self) -> None:
        """Camunda's deploy checks of error end events (BpmnParse.parseEndEvents)."""
        errors = {e.get("id"): e for e in self.root.iter(_bpmn("error"))}
        for end in self.root.iter(_bpmn("endEvent")):
            definition = end.find(_bpmn("errorEventDefinition"))
            if definition is None:
                continue
            ref = definition.get("errorRef")
            if not ref:
                self.problem("'errorRef' attribute is mandatory on error end event", end)
                continue
            error = errors.get(ref)
            if error is not None and not error.get("errorCode"):
                self.problem(
                    "'errorCode' is mandatory on errors referenced by throwing error event definitions, "
                    f"but the error '{ref}' does not define one.",
                    end,
                )
            message = error.get(_cam("errorMessage")) if error is not None else None
            if message is not None:
                self.maybe_expression(message, end, end.get("id"), "camunda:errorMessage")

    def check_links(self) -> None:
        """Camunda's deploy checks of link events: one catch per name and scope, a catch for every throw."""
        gateways = {g.get("id") for g in self.root.iter(_bpmn("eventBasedGateway"))}
        after_gateway = {
            f.get("targetRef")
            for f in self.root.iter(_bpmn("sequenceFlow"))
            if f.get("sourceRef") in gateways
        }
        for scope in self.root.iter(_bpmn("process"), _bpmn("subProcess")):
            catches: dict[str, etree._Element] = {}
            for event in scope.findall(_bpmn("intermediateCatchEvent")):
                definition = event.find(_bpmn("linkEventDefinition"))
                if definition is None:
                    continue
                name = definition.get("name") or event.get("name") or ""
                if event.get("id") in after_gateway:
                    self.problem(
                        "IntermediateCatchLinkEvent is not allowed after an EventBasedGateway.", event
                    )
                if name in catches:
                    self.problem(
                        f"Multiple Intermediate Catch Events with the same link event name ('{name}') "
                        "are not allowed.",
                        event,
                    )
                    continue
                catches[name] = event
            for event in scope.findall(_bpmn("intermediateThrowEvent")):
                definition = event.find(_bpmn("linkEventDefinition"))
                if definition is None:
                    continue
                name = definition.get("name") or event.get("name") or ""
                if name not in catches:
                    self.problem(
                        f"link event '{event.get('id')}' points to link event source with name '{name}' "
                        "but no event target with that name exists in its scope",
                        event,
                    )

    def _caught_only(self, message_id: str) -> bool:
        """True when every use of the message is a catching one: Camunda names the catching element
        (``check_message_subscriptions``), not the message."""
        users = []
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            if local not in ("messageEventDefinition", "receiveTask"):
                continue
            if (element.get("messageRef") or "").split(":")[-1] == message_id:
                owner = element if local == "receiveTask" else element.getparent()
                users.append(etree.QName(owner).localname if owner is not None else "")
        catching = {"startEvent", "boundaryEvent", "intermediateCatchEvent", "receiveTask"}
        return bool(users) and all(u in catching for u in users)

    def check_message_subscriptions(self) -> None:
        """Camunda's deploy checks of message event subscriptions (BpmnParse), with its messages."""
        raw = {m.get("id"): m.get("name") for m in self.root.iter(_bpmn("message")) if m.get("id")}

        def name_of(event: etree._Element) -> str | None:
            definition = (
                event if event.tag == _bpmn("receiveTask") else event.find(_bpmn("messageEventDefinition"))
            )
            if definition is None or not definition.get("messageRef"):
                return None
            ref = (definition.get("messageRef") or "").split(":")[-1]
            if ref not in raw:
                return None
            if not (raw[ref] or "").strip():
                self.problem("Cannot have a message event subscription with an empty or missing name", event)
                return None
            return raw[ref]

        def unique(events: list[etree._Element], scope_id: str) -> None:
            seen: set[str] = set()
            for event in events:
                name = name_of(event)
                if name is None:
                    continue
                if name in seen:
                    self.problem(
                        f"Cannot have more than one message event subscription with name '{name}' "
                        f"for scope '{scope_id}'",
                        event,
                    )
                seen.add(name)

        for process in self.root.iter(_bpmn("process")):
            starts = process.findall(_bpmn("startEvent"))
            unique(starts, process.get("id") or "")
            for start in starts:
                name = name_of(start)
                if name is not None and is_expression(name):
                    self.problem(
                        f"Invalid message name '{name}' for element '{start.get('id')}': expressions in the "
                        "message start event name are not allowed!",
                        start,
                    )
        for sub in self.root.iter(_bpmn("subProcess")):
            if sub.get("triggeredByEvent") != "true":
                unique(sub.findall(_bpmn("startEvent")), sub.get("id") or "")
        for catching in (
            *self.root.iter(_bpmn("intermediateCatchEvent")),
            *self.root.iter(_bpmn("receiveTask")),
        ):
            name_of(catching)
        boundaries: dict[str, list[etree._Element]] = {}
        for boundary in self.root.iter(_bpmn("boundaryEvent")):
            boundaries.setdefault(boundary.get("attachedToRef") or "", []).append(boundary)
        for attached, events in boundaries.items():
            unique(events, attached)

    def check_escalations(self) -> None:
        """Camunda's deploy checks of escalation events (BpmnParse), with its messages."""
        escalations: dict[str, etree._Element] = {}
        for declared in self.root.iter(_bpmn("escalation")):
            if not declared.get("id"):
                self.problem("escalation must have an id", declared)
            else:
                escalations[declared.get("id") or ""] = declared
        by_id = {e.get("id"): e for e in self.root.iter() if isinstance(e.tag, str) and e.get("id")}
        boundary_codes: dict[str, list[str | None]] = {}
        subprocess_codes: dict[int, list[str | None]] = {}
        for definition in self.root.iter(_bpmn("escalationEventDefinition")):
            event = definition.getparent()
            if event is None:
                continue
            tag = etree.QName(event).localname
            ref = definition.get("escalationRef")
            escalation = escalations.get(ref or "")
            if ref and escalation is None:
                self.problem(f"could not find escalation with id '{ref}'", event)
                continue
            code = (escalation.get("escalationCode") or None) if escalation is not None else None
            if tag in ("intermediateThrowEvent", "endEvent"):
                if not ref:
                    self.problem(
                        "escalationEventDefinition does not have required attribute 'escalationRef'", event
                    )
                elif code is None:
                    what = (
                        "throwing escalation event"
                        if tag == "intermediateThrowEvent"
                        else "escalation end event"
                    )
                    self.problem(f"{what} must have an 'escalationCode'", event)
            elif tag == "boundaryEvent":
                attached = by_id.get(event.get("attachedToRef"))
                if attached is None or etree.QName(attached).localname not in (
                    "subProcess",
                    "callActivity",
                    "userTask",
                ):
                    self.problem(
                        "An escalation boundary event should only be attached to a subprocess, "
                        "a call activity or an user task",
                        event,
                    )
                    continue
                self.check_escalation_scope(
                    event, code, boundary_codes.setdefault(attached.get("id") or "", []), "boundary event"
                )
            elif tag == "startEvent":
                sub = event.getparent()
                scope = sub.getparent() if sub is not None else None
                if scope is not None:
                    self.check_escalation_scope(
                        event, code, subprocess_codes.setdefault(id(scope), []), "event subprocess"
                    )

    def check_escalation_scope(
        self, event: etree._Element, code: str | None, seen: list[str | None], kind: str
    ) -> None:
        if seen:
            if code is None and None in seen:
                self.problem(
                    f"The same scope can not contains more than one escalation {kind} "
                    "without escalation code.",
                    event,
                )
            elif code is None or None in seen:
                self.problem(
                    f"The same scope can not contains an escalation {kind} without escalation code "
                    "and another one with escalation code.",
                    event,
                )
            elif code in seen:
                plural = "boundary events" if kind == "boundary event" else "event subprocesses"
                self.problem(
                    f"multiple escalation {plural} with the same escalationCode '{code}' "
                    "are not supported on same scope",
                    event,
                )
        seen.append(code)

    def check_flow_ends(self, ids: Mapping[str, int]) -> None:
        """Every sequence flow must connect two elements that exist (else part would never run)."""
        for flow in self.root.iter(_bpmn("sequenceFlow")):
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if not ref:
                    self.problem(f"sequence flow has no {end}", flow, flow.get("id") or "sequenceFlow")
                elif ref not in ids:
                    what = "source" if end == "sourceRef" else "destination"
                    self.problem(
                        f"Invalid {what} '{ref}' of sequence flow '{flow.get('id') or 'null'}': "
                        f"the sequence flow's {end} '{ref}' names no element of the document",
                        flow,
                        flow.get("id") or f"sequenceFlow {flow.get('sourceRef')}->{flow.get('targetRef')}",
                    )

    def visit(self, element: etree._Element) -> None:
        tag = etree.QName(element).localname
        if tag == "process":
            self.visit_process(element)
        elif tag == "dataStoreReference" and not self.data_associated(element):
            pass  # documentation only (connected by associations at most): Camunda ignores it
        elif tag in _UNSUPPORTED_ELEMENTS:
            self.problem(_UNSUPPORTED_ELEMENTS[tag], element)
        elif tag in _UNSUPPORTED_EVENT_DEFINITIONS:
            self.problem(_UNSUPPORTED_EVENT_DEFINITIONS[tag], self.owner_of(element))
        elif tag == "sequenceFlow":
            self.visit_sequence_flow(element)
        elif tag == "timerEventDefinition":
            self.visit_timer(element)
        elif tag == "messageEventDefinition":
            self.visit_message_event(element)
        elif tag in ("sendTask", "receiveTask"):
            self.visit_message_task(element)
        elif tag == "callActivity":
            self.visit_call_activity(element)
        elif tag == "multiInstanceLoopCharacteristics":
            self.visit_multi_instance(element)
        elif tag == "eventBasedGateway":
            self.visit_event_based_gateway(element)
        elif tag == "exclusiveGateway":
            self.visit_exclusive_gateway(element)
        if element.get("isForCompensation") == "true":
            self.problem("compensation handlers are not supported", element)
        if tag in _IMPLEMENTED_TASKS:
            self.visit_implemented_task(element, tag)
        self.visit_java_bindings(element, tag)
        extension = element.find(_bpmn("extensionElements"))
        if extension is not None:
            self.visit_extensions(element, extension)
        if tag == "startEvent":
            self.visit_start_event(element)
        if element.get(_cam("formRef")) is not None:
            self.problem(
                f"{self.label(element)} uses camunda:formRef (Camunda Forms): use generated form "
                "fields (camunda:formData) or a formKey instead",
                element,
            )

    @staticmethod
    def flow_name(flow: etree._Element) -> str:
        return flow.get("id") or f"{flow.get('sourceRef')}->{flow.get('targetRef')}"

    def visit_exclusive_gateway(self, gateway: etree._Element) -> None:
        """Camunda's checks of an exclusive gateway's outgoing flows (BpmnParse.validateExclusiveGateway)."""
        gateway_id = gateway.get("id")
        if not gateway_id:
            return
        outgoing = [f for f in self.root.iter(_bpmn("sequenceFlow")) if f.get("sourceRef") == gateway_id]
        label = f"exclusive gateway '{gateway_id}'"
        if not outgoing:
            self.problem(f"{label} has no outgoing sequence flows", gateway)
            return
        if len(outgoing) == 1:
            return
        default = gateway.get("default")
        unconditional = []
        for flow in outgoing:
            conditional = flow.find(_bpmn("conditionExpression")) is not None
            is_default = bool(default) and flow.get("id") == default
            if not conditional and not is_default:
                unconditional.append(flow)
            if conditional and is_default:
                self.problem(
                    f"{label} has outgoing sequence flow '{self.flow_name(flow)}' which is the default "
                    "flow but has a condition too",
                    flow,
                    self.flow_name(flow),
                )
        if default or len(unconditional) > 1:
            for flow in unconditional:
                self.problem(
                    f"{label} has outgoing sequence flow '{self.flow_name(flow)}' without condition which "
                    "is not the default flow",
                    flow,
                    self.flow_name(flow),
                )

    def visit_event_based_gateway(self, gateway: etree._Element) -> None:
        gateway_id = gateway.get("id")
        flows = list(self.root.iter(_bpmn("sequenceFlow")))
        by_id = {e.get("id"): e for e in self.root.iter() if isinstance(e.tag, str) and e.get("id")}
        after = set()
        for flow in flows:
            if flow.get("sourceRef") != gateway_id:
                continue
            target = by_id.get(flow.get("targetRef"))
            if target is None:
                continue
            if etree.QName(target).localname != "intermediateCatchEvent":
                self.problem(
                    f"event-based gateway '{gateway_id}' can only be connected to elements of type "
                    f"intermediateCatchEvent: sequence flow '{self.flow_name(flow)}' leads to "
                    f"{self.label(target)} '{target.get('id')}'",
                    flow,
                    self.flow_name(flow),
                )
            else:
                after.add(target.get("id"))
        for flow in flows:
            if flow.get("targetRef") in after and flow.get("sourceRef") != gateway_id:
                self.problem(
                    f"invalid incoming sequence flow '{self.flow_name(flow)}' for intermediateCatchEvent "
                    f"'{flow.get('targetRef')}' connected to event-based gateway '{gateway_id}'",
                    flow,
                    self.flow_name(flow),
                )
        # SpiffWorkflow 3.2 gives every timer after one event-based gateway the due time of the first.
        targets = {
            f.get("targetRef")
            for f in self.root.iter(_bpmn("sequenceFlow"))
            if f.get("sourceRef") == gateway_id
        }
        timers = [
            e.get("id")
            for e in self.root.iter(_bpmn("intermediateCatchEvent"))
            if e.get("id") in targets and e.find(_bpmn("timerEventDefinition")) is not None
        ]
        if len(timers) > 1:
            self.problem(
                f"{self.label(gateway)} waits for {len(timers)} timers "
                f"({', '.join(sorted(t or '' for t in timers))}): "
                "only one timer per event-based gateway is supported (they would share one due time); "
                "use a boundary timer or a second gateway",
                gateway,
            )

    def data_associated(self, element: etree._Element) -> bool:
        """Whether a data input or output association reads or writes ``element``."""
        element_id = element.get("id")
        for association in self.root.iter(_bpmn("dataInputAssociation"), _bpmn("dataOutputAssociation")):
            for ref in association.iter(_bpmn("sourceRef"), _bpmn("targetRef")):
                if (ref.text or "").strip() == element_id:
                    return True
        return False

    def visit_process(self, process: etree._Element) -> None:
        process_id = process.get("id") or ""
        self.process_ids.append(process_id)
        if process.get("isExecutable") == "true":
            self.executable.append(process_id)
        self.history_ttl[process_id] = process.get(_cam("historyTimeToLive"))

    def visit_java_bindings(self, element: etree._Element, tag: str) -> None:
        """Refuse implementations that run Java or need an engine-side worker."""
        owner = self.owner_of(element)
        what = self.label(owner)
        java_class = element.get(_cam("class"))
        if java_class is not None:
            self.problem(
                f"{what} uses a Java class (camunda:class='{java_class}'): Java delegates are not supported",
                owner,
            )
        delegate = element.get(_cam("delegateExpression"))
        if delegate is not None:
            self.problem(
                f"{what} uses camunda:delegateExpression '{delegate}': Java delegates are not supported",
                owner,
            )
        expression = element.get(_cam("expression"))
        if expression is not None and tag == "serviceTask":
            # evaluated by the safe evaluator (engine.expression_tasks); bean and method calls are refused
            from engine.expression.scripts import juel_set_variable

            setter = juel_set_variable(expression)
            if setter is not None:
                self.expression(setter[1], owner, owner.get("id"), "camunda:expression")
            elif is_expression(expression):
                self.expression(expression.strip(), owner, owner.get("id"), "camunda:expression")
        elif expression is not None:
            self.problem(
                f"{what} calls camunda:expression '{expression}': expression implementations "
                "(bean calls) are not supported",
                owner,
            )
        # camunda:type="external" is checked by engine.external_tasks (run through the external task API)

    def visit_implemented_task(self, task: etree._Element, tag: str) -> None:
        has_binding = (
            any(task.get(_cam(attr)) is not None for attr in ("class", "delegateExpression", "expression"))
            or task.get(_cam("type")) == "external"
        )
        extension = task.find(_bpmn("extensionElements"))
        has_connector = extension is not None and extension.find(_cam("connector")) is not None
        if tag == "serviceTask" and not has_binding and not has_connector:
            self.problem(f"{self.label(task)}: service task has no implementation we can run", task)
        elif tag == "businessRuleTask" and not has_binding:
            self.visit_business_rule_task(task)
        elif tag == "scriptTask":
            self.visit_script_task(task)

    def visit_business_rule_task(self, task: etree._Element) -> None:
        decision_ref = task.get(_cam("decisionRef"))
        if not decision_ref:
            self.problem(f"{self.label(task)} has no camunda:decisionRef", task)
        elif is_expression(decision_ref):
            self.problem(
                f"{self.label(task)}: a decision chosen by expression ('{decision_ref}') is not "
                "supported; name the decision id",
                task,
            )
        binding = task.get(_cam("decisionRefBinding"))
        if binding not in (None, "latest", "deployment"):
            self.problem(
                f"{self.label(task)}: decision binding '{binding}' is not supported; the latest "
                "deployed decision is always used",
                task,
            )

    def visit_script_task(self, task: etree._Element) -> None:
        from engine.expression.scripts import (
            FOREIGN_SCRIPT_FORMATS,
            compile_foreign_statements,
            juel_set_variable,
        )

        script_format = task.get("scriptFormat")
        name = (task.get("name") or "").strip().replace("\n", " ") or task.get("id") or ""
        what = f"'{name}'"
        normalized = (script_format or "juel").strip().lower()  # JUEL is Camunda's default
        body_text = task.findtext(_bpmn("script")) or ""
        if task.get(_cam("resource")) is None and normalized == "juel":
            setter = juel_set_variable(body_text)
            if not body_text.strip():
                self.problem(f"script task {what} has no script", task)
            else:
                source = setter[1] if setter is not None else body_text.strip()
                self.expression(source, task, task.get("id"), "JUEL script")
            return
        if task.get(_cam("resource")) is None and normalized in FOREIGN_SCRIPT_FORMATS:
            try:
                statements = compile_foreign_statements(body_text)
            except ExpressionError:
                self.problem(
                    f"script task {what} uses scriptFormat '{script_format}': only Python assignments in "
                    "the safe subset are supported",
                    task,
                )
                return
            for _kind, _name, source in statements:
                self.expression(source, task, task.get("id"), "script value")
            return
        if script_format is None or normalized not in _PYTHON_SCRIPT_FORMATS:
            shown = script_format if script_format is not None else "(none)"
            self.problem(
                f"script task {what!s} uses scriptFormat '{shown}': only Python assignments in "
                "the safe subset are supported",
                task,
            )
            return
        resource = task.get(_cam("resource"))
        if resource is not None:
            self.problem(
                f"script task {what} loads an external script ('{resource}'): only inline Python "
                "scripts are supported",
                task,
            )
            return
        script = task.find(_bpmn("script"))
        body = script.text if script is not None else None
        if body is None or not body.strip():
            self.problem(f"script task {what} has no script", task)
            return
        from engine.expression import validate_script

        try:
            validate_script(body)
        except ExpressionError as exc:
            self.problem(f"script task {what} is not supported: {exc}", task)

    def visit_sequence_flow(self, flow: etree._Element) -> None:
        condition = flow.find(_bpmn("conditionExpression"))
        if condition is None:
            return
        language = condition.get("language")
        if language is not None and language.strip().lower() not in _CONDITION_LANGUAGES:
            self.problem(
                f"condition language '{language}' is not supported; write a JUEL condition such "
                "as ${amount > 100}",
                flow,
            )
            return
        if condition.get(_cam("resource")) is not None:
            self.problem("conditions loaded from an external resource are not supported", flow)
            return
        text = (condition.text or "").strip()
        if not text:
            self.problem("the condition is empty", flow)
            return
        self.expression(text, flow, None, "condition")

    def visit_timer(self, timer: etree._Element) -> None:
        owner = self.owner_of(timer)
        parts = [timer.find(_bpmn(kind)) for kind in ("timeDate", "timeDuration", "timeCycle")]
        present = [p for p in parts if p is not None]
        if not present or not any((p.text or "").strip() for p in present):
            self.problem(
                f"{self.label(owner)}: timer has no date, duration or cycle: Timer needs configuration "
                "(either timeDate, timeCycle or timeDuration is needed).",
                owner,
            )
            return
        for part in present:
            kind = etree.QName(part).localname
            text = (part.text or "").strip()
            if not text:
                continue
            if is_expression(text):
                self.expression(text, owner, owner.get("id"), f"timer {kind}")
                continue
            if kind == "timeCycle" and is_cron(text):
                try:
                    parse_cron(text)
                except CronError as exc:
                    self.problem(
                        f"timer timeCycle '{text}' is not a cron expression Camunda accepts: {exc}", owner
                    )
                continue
            check, example = _TIMER_LITERAL_CHECKS[kind]
            if _LOOKS_LITERAL_RE.match(text):
                if not check(text):
                    self.problem(f"timer {kind} '{text}' is not {example}", owner)
            else:
                self.expression(text, owner, owner.get("id"), f"timer {kind}")

    def visit_message_event(self, definition: etree._Element) -> None:
        owner = self.owner_of(definition)
        owner_tag = etree.QName(owner).localname
        message_ref = definition.get("messageRef")
        if message_ref:
            self.link_message(owner, message_ref)
        elif owner_tag in _CATCH_EVENTS and not self.has_java_binding(definition):
            self.problem(f"{self.label(owner)}: message event has no message to wait for", owner)

    def visit_message_task(self, task: etree._Element) -> None:
        message_ref = task.get("messageRef")
        tag = etree.QName(task).localname
        if message_ref:
            self.link_message(task, message_ref)
            return
        if tag == "receiveTask":
            return  # waits for a trigger: a message named by its element id (see engine.shapes)
        if not self.has_java_binding(task) and task.find(f".//{_bpmn('messageEventDefinition')}") is None:
            extension = task.find(_bpmn("extensionElements"))
            if extension is None or extension.find(_cam("connector")) is None:
                self.problem(f"{self.label(task)}: send task has no message and no implementation", task)

    @staticmethod
    def has_java_binding(element: etree._Element) -> bool:
        return (
            any(element.get(_cam(a)) is not None for a in ("class", "delegateExpression", "expression"))
            or element.get(_cam("type")) == "external"
        )

    def link_message(self, owner: etree._Element, message_ref: str) -> None:
        name = self.message_names.get(message_ref)
        if name is not None and is_expression(name):
            self.expression(name, owner, owner.get("id"), "message name")
        if name is None:
            self.problem(
                f"{self.label(owner)} refers to message '{message_ref}', which is not declared", owner
            )
            return
        owner_id = owner.get("id")
        if owner_id:
            self.element_messages[owner_id] = name

    def visit_call_activity(self, activity: etree._Element) -> None:
        called = activity.get("calledElement")
        activity_id = activity.get("id") or ""
        if activity.get(_cam("caseRef")) is not None:
            self.problem(f"{self.label(activity)} calls a CMMN case: cases are not supported", activity)
        if not called:
            if activity.get(_cam("caseRef")) is None:
                self.problem(f"{self.label(activity)} has no calledElement", activity)
            return
        binding = activity.get(_cam("calledElementBinding"))
        if binding not in (None, "latest", "deployment", "version", "versionTag"):
            self.problem(
                f"{self.label(activity)}: called element binding '{binding}' is not supported; use "
                "latest, deployment, version or versionTag",
                activity,
            )
        if binding == "versionTag":
            tag = (activity.get(_cam("calledElementVersionTag")) or "").strip()
            if not tag:  # Camunda's BpmnParse wording
                self.problem(
                    f"{self.label(activity)}: Missing attribute 'calledElementVersionTag' when "
                    "'calledElementBinding' has value 'versionTag'",
                    activity,
                )
            elif is_expression(tag):
                self.expression(tag, activity, activity_id, "camunda:calledElementVersionTag")
        if binding == "deployment" and not is_expression(called):
            own = {p.get("id") for p in self.root.iter(_bpmn("process"))}
            if called.strip() not in own:
                self.problem(
                    f"{self.label(activity)}: camunda:calledElementBinding 'deployment' calls "
                    f"'{called.strip()}', which this document does not define (a deployment is one "
                    "document); deploy them in one document or use binding latest",
                    activity,
                )
        if binding == "version":
            version = (activity.get(_cam("calledElementVersion")) or "").strip()
            if not version:
                self.problem(
                    f"{self.label(activity)}: camunda:calledElementBinding 'version' needs a "
                    "camunda:calledElementVersion",
                    activity,
                )
            elif is_expression(version):
                self.expression(version, activity, activity_id, "camunda:calledElementVersion")
            elif not _INTEGER_RE.match(version):
                self.problem(
                    f"{self.label(activity)}: camunda:calledElementVersion '{version}' is not a whole number",
                    activity,
                )
        if is_expression(called):
            # chosen when the call activity starts (engine.spiff_support: dynamic calls)
            self.expression(called.strip(), activity, activity_id, "calledElement")
            return
        if binding in ("version", "versionTag"):
            return  # resolved when the call activity starts, like an expression
        self.called_elements[activity_id] = called

    def visit_multi_instance(self, loop: etree._Element) -> None:
        owner = self.owner_of(loop)
        self.maybe_expression(
            loop.get(_cam("collection")), owner, owner.get("id"), "multi-instance collection"
        )
        for child_tag, what in (
            ("loopCardinality", "multi-instance cardinality"),
            ("completionCondition", "multi-instance completion condition"),
        ):
            child = loop.find(_bpmn(child_tag))
            if child is not None and (child.text or "").strip():
                self.expression((child.text or "").strip(), owner, owner.get("id"), what)

    def visit_start_event(self, event: etree._Element) -> None:
        extension = event.find(_bpmn("extensionElements"))
        form_data = extension.find(_cam("formData")) if extension is not None else None
        if form_data is not None and event.get("id"):
            self.start_forms[event.get("id") or ""] = self.parse_form(form_data, event)

    # -- extension elements ------------------------------------------------------------------

    def visit_extensions(self, element: etree._Element, extension: etree._Element) -> None:
        owner = element
        what = self.label(owner)
        for child in extension:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{CAMUNDA_NS}}}"):
                continue
            name = etree.QName(child).localname
            if name == "connector":
                connector_id = (child.findtext(_cam("connectorId")) or "").strip()
                self.problem(f"{what}: connectors are not supported (connector '{connector_id}')", owner)
                for script in child.iter(_cam("script")):
                    parameter = script.getparent()
                    parameter_name = parameter.get("name") if parameter is not None else None
                    self.script_problem(script, owner, f"connector parameter '{parameter_name or ''}'")
            elif name in _LISTENERS:
                self.listener_problem(child, owner, _LISTENERS[name])
            elif name == "inputOutput":
                self.visit_input_output(child, owner)
            elif name == "properties":
                self.visit_properties(child, owner)
            elif name in ("in", "out"):
                self.visit_variable_mapping(child, owner, name)

    def listener_problem(self, listener: etree._Element, owner: etree._Element, kind: str) -> None:
        event = listener.get("event") or "?"
        detail: str
        if listener.get("class") is not None:
            detail = f"Java class '{listener.get('class')}'"
        elif listener.get("delegateExpression") is not None:
            detail = f"delegate expression '{listener.get('delegateExpression')}'"
        elif listener.get("expression") is not None:
            detail = f"expression '{listener.get('expression')}'"
        else:
            script = listener.find(_cam("script"))
            if script is not None:
                detail = f"a {script.get('scriptFormat') or 'untyped'} script"
            else:
                detail = "no implementation"
        self.problem(
            f"{self.label(owner)}: {kind} on '{event}' uses {detail}: listeners are not supported",
            owner,
        )

    def script_problem(self, script: etree._Element, owner: etree._Element, where: str) -> None:
        script_format = script.get("scriptFormat") or "untyped"
        resource = script.get("resource")
        source = f" from '{resource}'" if resource else ""
        self.problem(
            f"{self.label(owner)}: {where} uses a {script_format} script{source}: scripts in "
            "input/output mappings are not supported",
            owner,
        )

    def visit_input_output(self, mapping: etree._Element, owner: etree._Element) -> None:
        """Camunda's checks of ``camunda:inputOutput`` (its parse), with its messages."""
        tag = etree.QName(owner).localname
        outputs = [
            p for p in mapping if isinstance(p.tag, str) and etree.QName(p).localname == "outputParameter"
        ]
        if tag in ("startEvent", "boundaryEvent") or tag.endswith("Gateway"):
            self.problem(f"camunda:inputOutput mapping unsupported for element type '{tag}'", owner)
        elif tag == "subProcess" and owner.get("triggeredByEvent") == "true":
            self.problem(
                "camunda:inputOutput mapping unsupported for element type 'subProcess' with attribute "
                "'triggeredByEvent = true'",
                owner,
            )
        elif tag == "endEvent" and outputs:
            self.problem("camunda:outputParameter not allowed for element type 'endEvent'", owner)
        if outputs and owner.find(_bpmn("multiInstanceLoopCharacteristics")) is not None:
            self.problem("camunda:outputParameter not allowed for multi-instance constructs", owner)
        for parameter in mapping:
            if not isinstance(parameter.tag, str):
                continue
            kind = etree.QName(parameter).localname
            where = "input parameter" if kind == "inputParameter" else "output parameter"
            where = f"{where} '{parameter.get('name') or ''}'"
            if not parameter.get("name"):
                self.problem(f"{self.label(owner)}: {where} has no name", owner)
            self.visit_parameter_value(parameter, owner, where)

    def visit_parameter_value(self, value: etree._Element, owner: etree._Element, where: str) -> None:
        """A parameter value: text, an expression, a list, a map or a script we can run."""
        children = [c for c in value if isinstance(c.tag, str)]
        if not children:
            self.maybe_expression(value.text, owner, owner.get("id"), where)
            return
        for child in children:
            local = etree.QName(child).localname
            if local == "script":
                self.visit_parameter_script(child, owner, where)
            elif local == "map":
                for entry in child:
                    if not isinstance(entry.tag, str):
                        continue
                    self.maybe_expression(entry.get("key"), owner, owner.get("id"), f"{where} map key")
                    self.visit_parameter_value(entry, owner, where)
            elif local in ("list", "value", "entry"):
                self.visit_parameter_value(child, owner, where)

    def visit_parameter_script(self, script: etree._Element, owner: etree._Element, where: str) -> None:
        from engine.expression.scripts import compile_foreign_script

        script_format = script.get("scriptFormat") or "untyped"
        resource = script.get("resource")
        if resource is not None:
            self.problem(
                f"{self.label(owner)}: {where} uses a {script_format} script from '{resource}': "
                "external scripts are not supported",
                owner,
            )
            return
        try:
            source = compile_foreign_script(script.text or "")
        except ExpressionError as exc:
            self.problem(
                f"{self.label(owner)}: {where} uses a {script_format} script that is not supported: {exc}",
                owner,
            )
            return
        if source is not None:
            self.expression(source, owner, owner.get("id"), where)

    def visit_properties(self, properties: etree._Element, owner: etree._Element) -> None:
        owner_id = owner.get("id")
        values: dict[str, str] = dict(self.properties.get(owner_id or "", {}))
        for prop in properties.iter(_cam("property")):
            name = prop.get("name")
            value = prop.get("value") or ""
            if not name:
                continue  # Camunda keeps a property without name and value; it means nothing
            if "${" in value or "#{" in value:
                self.expression(value.strip(), owner, owner_id, f"property '{name}'")
            values[name] = value
        if owner_id:
            self.properties[owner_id] = MappingProxyType(values)

    def visit_variable_mapping(self, mapping: etree._Element, owner: etree._Element, kind: str) -> None:
        owner_id = owner.get("id")
        source_expression = mapping.get("sourceExpression")
        if source_expression is not None:
            self.expression(source_expression.strip(), owner, owner_id, f"camunda:{kind} sourceExpression")
        business_key = mapping.get("businessKey")
        if business_key is not None:
            self.maybe_expression(business_key, owner, owner_id, f"camunda:{kind} businessKey")

    # -- lanes and user tasks -----------------------------------------------------------------

    def assign_lanes(self) -> None:
        # Document order visits outer lanes before their child lanes, so inner names win.
        for lane in self.root.iter(_bpmn("lane")):
            name = (lane.get("name") or lane.get("id") or "").strip()
            for ref in lane.findall(_bpmn("flowNodeRef")):
                node_id = (ref.text or "").strip()
                if node_id:
                    self.lanes[node_id] = name
        # Nodes inside an embedded subprocess belong to the subprocess's lane.
        for element in self.root.iter():
            if not isinstance(element.tag, str) or not element.get("id"):
                continue
            element_id = element.get("id") or ""
            if element_id in self.lanes or not element.tag.startswith(f"{{{BPMN_MODEL_NS}}}"):
                continue
            parent = element.getparent()
            while parent is not None:
                parent_id = parent.get("id")
                if parent_id in self.lanes and etree.QName(parent).localname in (
                    "subProcess",
                    "transaction",
                    "adHocSubProcess",
                ):
                    self.lanes[element_id] = self.lanes[parent_id or ""]
                    break
                parent = parent.getparent()

    def collect_user_tasks(self) -> None:
        for task in self.root.iter(_bpmn("userTask")):
            element_id = task.get("id")
            if not element_id:
                continue  # reported with every other element without an id
            process = next(
                (a for a in task.iterancestors(_bpmn("process"))),
                None,
            )
            candidate_groups = _split_expression_list(task.get(_cam("candidateGroups")) or "")
            candidate_users = _split_expression_list(task.get(_cam("candidateUsers")) or "")
            assignee = task.get(_cam("assignee"))
            performer, owner_users, owner_groups = _bpmn_assignment(task)
            if assignee is None:
                assignee = performer
            elif performer is not None:
                self.problem(
                    "Invalid usage: duplicate assignee declaration for task "
                    f"{task.get('name') or element_id}: humanPerformer and camunda:assignee",
                    task,
                )
            candidate_users = tuple(dict.fromkeys(candidate_users + owner_users))
            candidate_groups = tuple(dict.fromkeys(candidate_groups + owner_groups))
            due_date = task.get(_cam("dueDate"))
            follow_up = task.get(_cam("followUpDate"))
            priority = task.get(_cam("priority"))
            self.maybe_expression(assignee, task, element_id, "assignee")
            for group in candidate_groups:
                self.maybe_expression(group, task, element_id, "candidate group")
            for user in candidate_users:
                self.maybe_expression(user, task, element_id, "candidate user")
            for attr, value in (("dueDate", due_date), ("followUpDate", follow_up)):
                if value is None:
                    continue
                if is_expression(value):
                    self.expression(value.strip(), task, element_id, attr)
                elif not _valid_iso_datetime(value.strip()):
                    self.problem(
                        f"{self.label(task)}: {attr} '{value}' is neither an ISO 8601 date-time nor "
                        "an expression",
                        task,
                    )
            if priority is not None:
                if is_expression(priority):
                    self.expression(priority.strip(), task, element_id, "priority")
                elif not _INTEGER_RE.match(priority.strip()):
                    self.problem(f"{self.label(task)}: priority '{priority}' is not a whole number", task)
            extension = task.find(_bpmn("extensionElements"))
            form_data = extension.find(_cam("formData")) if extension is not None else None
            form = self.parse_form(form_data, task) if form_data is not None else ()
            self.user_tasks[element_id] = UserTaskInfo(
                element_id=element_id,
                name=task.get("name") or "",
                process_id=(process.get("id") or "") if process is not None else "",
                lane=self.lanes.get(element_id),
                assignee=assignee,
                candidate_groups=candidate_groups,
                candidate_users=candidate_users,
                due_date=due_date,
                follow_up_date=follow_up,
                priority=priority,
                form_key=task.get(_cam("formKey")),
                form=form,
            )

    # -- generated forms ----------------------------------------------------------------------

    def parse_form(self, form_data: etree._Element, owner: etree._Element) -> tuple[FormField, ...]:
        fields: list[FormField] = []
        seen: set[str] = set()
        for xml_field in form_data.findall(_cam("formField")):
            parsed = self.parse_field(xml_field, owner)
            if parsed is None:
                continue
            if parsed.id in seen:
                self.field_problem(owner, xml_field, parsed.id, "is defined twice")
                continue
            seen.add(parsed.id)
            fields.append(parsed)
        return tuple(fields)

    def field_problem(
        self, owner: etree._Element, xml_field: etree._Element, field_id: str, message: str
    ) -> None:
        self.problems.append(
            Problem(
                f"{self.label(owner)}: form field '{field_id}' {message}",
                element_id=owner.get("id"),
                line=xml_field.sourceline or None,
                field=field_id or None,
            )
        )

    def parse_field(self, xml_field: etree._Element, owner: etree._Element) -> FormField | None:
        field_id = (xml_field.get("id") or "").strip()
        if not field_id:
            self.field_problem(owner, xml_field, "", "has no id")
            return None
        if not VARIABLE_NAME_RE.match(field_id) or field_id == "typename":
            self.field_problem(
                owner,
                xml_field,
                field_id,
                "is not a usable variable name (a letter, then letters, digits or '_'; not 'typename')",
            )
        field_type = (xml_field.get("type") or "").strip()
        if field_type not in FORM_FIELD_TYPES:
            shown = field_type or "(none)"
            self.field_problem(
                owner,
                xml_field,
                field_id,
                f"has type '{shown}': only string, long, boolean, date and enum are supported",
            )
        options: list[tuple[str, str]] = []
        if field_type == "enum":
            for value in xml_field.findall(_cam("value")):
                option_id = value.get("id")
                if not option_id:
                    self.field_problem(owner, xml_field, field_id, "has an enum value without an id")
                    continue
                if any(option_id == existing for existing, _ in options):
                    self.field_problem(owner, xml_field, field_id, f"lists enum value '{option_id}' twice")
                    continue
                options.append((option_id, value.get("name") or option_id))
            if not options and not is_expression(xml_field.get("defaultValue")):
                # An enum whose values come from an expression default (Camunda idiom
                # ``defaultValue="#{users}"``) is dynamic: any text is accepted at run time.
                self.field_problem(owner, xml_field, field_id, "is an enum with no values")

        required = False
        readonly = False
        constraints: dict[str, int | str] = {}
        validation = xml_field.find(_cam("validation"))
        constraint_nodes = validation.findall(_cam("constraint")) if validation is not None else []
        for node in constraint_nodes:
            name = (node.get("name") or "").strip()
            config = node.get("config")
            if name not in FORM_CONSTRAINTS:
                self.field_problem(
                    owner,
                    xml_field,
                    field_id,
                    f"uses validation constraint '{name or '(none)'}': only required, readonly, "
                    "minlength, maxlength, min and max are supported",
                )
                continue
            if name == "required":
                required = True
                continue
            if name == "readonly":
                readonly = True
                continue
            parsed = self.parse_constraint(name, config, field_type, owner, xml_field, field_id)
            if parsed is not None:
                constraints[name] = parsed
        for low, high in (("minlength", "maxlength"), ("min", "max")):
            lo, hi = constraints.get(low), constraints.get(high)
            if lo is not None and hi is not None and type(lo) is type(hi) and lo > hi:  # type: ignore[operator]
                self.field_problem(owner, xml_field, field_id, f"has {low} {lo} greater than {high} {hi}")

        default = xml_field.get("defaultValue")
        if default is not None:
            self.check_default(default, field_type, options, owner, xml_field, field_id)
        return FormField(
            id=field_id,
            label=xml_field.get("label") or field_id,
            type=field_type,
            required=required,
            readonly=readonly,
            options=tuple(options),
            constraints=MappingProxyType(constraints),
            default=default,
        )

    def parse_constraint(
        self,
        name: str,
        config: str | None,
        field_type: str,
        owner: etree._Element,
        xml_field: etree._Element,
        field_id: str,
    ) -> int | str | None:
        text = (config or "").strip()
        if name in ("minlength", "maxlength"):
            if field_type != "string":
                self.field_problem(owner, xml_field, field_id, f"uses {name} on a {field_type} field")
                return None
            if not re.fullmatch(r"\d+", text):
                self.field_problem(owner, xml_field, field_id, f"has {name} '{text}': not a whole number")
                return None
            return int(text)
        # min / max
        if field_type == "long":
            if not _INTEGER_RE.match(text):
                self.field_problem(owner, xml_field, field_id, f"has {name} '{text}': not a whole number")
                return None
            return int(text)
        if field_type == "date":
            if not _valid_iso_date(text):
                self.field_problem(owner, xml_field, field_id, f"has {name} '{text}': not a YYYY-MM-DD date")
                return None
            return text
        self.field_problem(owner, xml_field, field_id, f"uses {name} on a {field_type or 'untyped'} field")
        return None

    def check_default(
        self,
        default: str,
        field_type: str,
        options: list[tuple[str, str]],
        owner: etree._Element,
        xml_field: etree._Element,
        field_id: str,
    ) -> None:
        if is_expression(default):
            self.expression(default.strip(), owner, owner.get("id"), f"default of form field '{field_id}'")
            return
        value = default.strip()
        valid = True
        expected = ""
        if field_type == "long":
            valid, expected = bool(_INTEGER_RE.match(value)), "a whole number"
        elif field_type == "boolean":
            valid, expected = value.lower() in ("true", "false"), "true or false"
        elif field_type == "date":
            valid, expected = _valid_iso_date(value), "a YYYY-MM-DD date"
        elif field_type == "enum":
            valid = any(value == option_id for option_id, _ in options)
            expected = "one of its enum values"
        if not valid:
            self.field_problem(
                owner, xml_field, field_id, f"has default '{default}', which is not {expected}"
            )


def _inspect_dmn(root: etree._Element) -> DocumentInfo:
    namespace = etree.QName(root).namespace
    decision_ids: list[str] = []
    names: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for decision in root.iter(f"{{{namespace}}}decision"):
        decision_id = decision.get("id")
        if not decision_id:
            problems.append(Problem("a decision has no id", line=decision.sourceline or None))
            continue
        decision_ids.append(decision_id)
        names[decision_id] = decision.get("name") or ""
        lines[decision_id] = decision.sourceline or 0
    if not decision_ids:
        problems.append(Problem("the DMN document has no decisions", line=root.sourceline or None))
    return DocumentInfo(
        kind="dmn",
        element_names=MappingProxyType(names),
        element_lines=MappingProxyType(lines),
        decision_ids=tuple(decision_ids),
        problems=tuple(problems),
    )


def inspect_document(root: etree._Element) -> DocumentInfo:
    """Read a parsed BPMN or DMN document: what the engine honours and every reason to refuse it.

    ``root`` comes from :func:`engine.intake.parse_xml`. Nothing is raised for a bad diagram:
    callers check ``DocumentInfo.problems`` (each names the element id and line) and raise
    :class:`~engine.errors.DeployError` with all of them.
    """
    kind: Literal["bpmn", "dmn"] = document_kind(root)
    if kind == "dmn":
        return _inspect_dmn(root)
    inspector = _Inspector(root)
    inspector.run()
    from engine import external_tasks, signals

    inspector.problems.extend(signals.check_document(root))
    inspector.problems.extend(external_tasks.check_document(root))
    return DocumentInfo(
        kind="bpmn",
        process_ids=tuple(inspector.process_ids),
        executable_process_ids=tuple(inspector.executable),
        history_ttl=MappingProxyType(inspector.history_ttl),
        user_tasks=MappingProxyType(inspector.user_tasks),
        properties=MappingProxyType(inspector.properties),
        message_names=MappingProxyType(inspector.message_names),
        element_messages=MappingProxyType(inspector.element_messages),
        called_elements=MappingProxyType(inspector.called_elements),
        element_names=MappingProxyType(inspector.element_names),
        element_lines=MappingProxyType(inspector.element_lines),
        lanes=MappingProxyType(inspector.lanes),
        problems=tuple(sorted(inspector.problems, key=lambda p: p.line or 0)),
        start_forms=MappingProxyType(inspector.start_forms),
    )
