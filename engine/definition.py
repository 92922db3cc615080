"""Deployable documents: hardened intake, Camunda checks, SpiffWorkflow parsing, versioned specs.

A :class:`SpecLibrary` is the engine's in-memory registry of deployed process definitions. It holds the
parsed spec once per (key, version); instances name the versions they run on and never carry a spec.
Storage decides versions (it is the source of truth) and feeds documents back in on start-up.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import dmn, expression, expression_tasks, external_tasks, feel, io_mapping, shapes, signals
from engine.budget import StepBudget, cycle_problems
from engine.camunda import DocumentInfo, inspect_document
from engine.errors import DeployError, NotFoundError, Problem
from engine.intake import check_lengths, document_kind, parse_xml

signals.install()
dmn.install()

_validator: BpmnValidator | None = None
_validator_lock = threading.Lock()


def _schema_validator() -> BpmnValidator:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = BpmnValidator()
        return _validator


@dataclass(frozen=True)
class ParsedDocument:
    """A document that passed every check, with what it defines."""

    name: str
    sha256: str
    kind: str
    content: bytes
    info: DocumentInfo
    specs: Mapping[str, Any]  # executable process id -> BpmnProcessSpec
    embedded: Mapping[str, Mapping[str, Any]]  # process id -> its embedded subprocess specs
    called: Mapping[str, tuple[str, ...]]  # process id -> keys of processes it calls
    decisions: tuple[str, ...] = ()
    #: process id -> its ``camunda:versionTag``
    version_tags: Mapping[str, str] = field(default_factory=dict)
    #: processes called with ``camunda:calledElementBinding="deployment"``: the version of this document
    deployment_bound: frozenset[str] = frozenset()
    interrupting_starts: frozenset[str] = frozenset()
    signal_payloads: Mapping[str, tuple[signals.SignalInMapping, ...]] = field(default_factory=dict)
    decision_graph: Mapping[str, dmn.Decision] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.specs) if self.kind == "bpmn" else self.decisions


@dataclass(frozen=True)
class ProcessDefinition:
    """Version ``version`` of process ``key``."""

    key: str
    version: int
    sha256: str
    document: ParsedDocument
    name: str | None = None

    @property
    def spec(self) -> Any:
        return self.document.specs[self.key]

    @property
    def info(self) -> DocumentInfo:
        return self.document.info


@dataclass(frozen=True)
class Bundle:
    """Everything a workflow of ``top`` needs: its spec, the specs it calls, and their versions."""

    top: ProcessDefinition
    subprocess_specs: Mapping[str, Any]
    pins: Mapping[str, int]
    infos: tuple[DocumentInfo, ...] = field(default=())
    interrupting_starts: frozenset[str] = frozenset()
    signal_payloads: Mapping[str, tuple[signals.SignalInMapping, ...]] = field(default_factory=dict)


def _problem_from_validation(exc: SpiffWorkflowException, root: etree._Element | None = None) -> Problem:
    element = getattr(exc, "id", None) or None
    if element and element.startswith(shapes.GENERATED_PREFIX) and root is not None:
        element = shapes.describe(root, element)
    line = getattr(exc, "line_number", None)
    message = str(exc.args[0]) if exc.args else str(exc)
    if message == "No start event found":  # Camunda's BpmnParse wording
        message = "process must define a startEvent element"
    return Problem(message=message, element_id=element, line=line if isinstance(line, int) else None)


def _annotate_business_rules(
    specs: Iterable[Any], root: etree._Element, graphs: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """Give business rule task specs the Camunda result mapping the library does not read, and the
    decision graph (``graphs``: decision id -> its document's decisions) their decision is in."""
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    rules = {
        e.get("id"): e for e in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}businessRuleTask")
    }
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            element = rules.get(getattr(task_spec, "bpmn_id", None))
            if element is not None:
                task_spec.result_variable = element.get(f"{cam}resultVariable")
                task_spec.map_decision_result = element.get(f"{cam}mapDecisionResult") or "resultList"
                ref = element.get(f"{cam}decisionRef") or ""
                task_spec.decision_ref = ref
                task_spec.decision_graph = (graphs or {}).get(ref, {})


def _subprocess_specs(parser: CamundaParser, name: str, used: dict[str, Any] | None = None) -> dict[str, Any]:
    """Embedded and called process specs reachable from ``name``; called ones in other documents are None.

    The library's own ``get_subprocess_specs`` drops ``require_call_activity_specs`` when it recurses, so a
    call activity inside an embedded subprocess that calls a process of another document fails.
    """
    used = {} if used is None else used
    for task_spec in parser.get_spec(name).task_specs.values():
        if isinstance(task_spec, SubWorkflowTask) and task_spec.spec not in used:
            used[task_spec.spec] = parser.get_spec(task_spec.spec, required=False)
            if used[task_spec.spec] is not None:
                _subprocess_specs(parser, task_spec.spec, used)
    return used


def _variable_mappings(element: etree._Element, kind: str) -> tuple[dict[str, Any], ...]:
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    extension = element.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements")
    if extension is None:
        return ()
    out = []
    for mapping in extension.findall(f"{cam}{kind}"):
        out.append(
            {
                "source": mapping.get("source"),
                "sourceExpression": mapping.get("sourceExpression"),
                "target": mapping.get("target"),
                "all": mapping.get("variables") == "all",
                "local": mapping.get("local") == "true",
                "businessKey": mapping.get("businessKey"),
            }
        )
    return tuple(out)


def _parameters(element: etree._Element, kind: str) -> tuple[tuple[str, io_mapping.Value], ...]:
    return io_mapping.parameters(element, kind)


def _dynamic_calls(root: etree._Element) -> dict[str, tuple[str, str | None, str | None]]:
    """Call activities whose process is chosen when they start: ``calledElement="${...}"`` or
    ``camunda:calledElementBinding="version"`` or ``"versionTag"``. Returns activity id ->
    (calledElement, binding, calledElementVersion or calledElementVersionTag); the document's
    ``calledElement`` becomes a placeholder the parser accepts (the schema types it as a QName)."""
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for activity in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}callActivity"):
        called = activity.get("calledElement") or ""
        binding = activity.get(f"{cam}calledElementBinding")
        activity_id = activity.get("id") or ""
        if not called or not activity_id:
            continue
        if "${" in called or "#{" in called or binding in ("version", "versionTag"):
            version = activity.get(f"{cam}calledElementVersion{'Tag' if binding == 'versionTag' else ''}")
            out[activity_id] = (called.strip(), binding, version)
            activity.set("calledElement", f"{shapes.GENERATED_PREFIX}call_{activity_id}")
    return out


def _version_bindings(root: etree._Element) -> tuple[dict[str, str], frozenset[str]]:
    """Each process's ``camunda:versionTag``, and the processes called with binding ``deployment``."""
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    tags = {
        p.get("id") or "": (p.get(f"{cam}versionTag") or "").strip()
        for p in root.iter(f"{bpmn}process")
        if (p.get(f"{cam}versionTag") or "").strip()
    }
    bound = frozenset(
        (a.get("calledElement") or "").strip()
        for a in root.iter(f"{bpmn}callActivity")
        if a.get(f"{cam}calledElementBinding") == "deployment"
    )
    return tags, bound


def _annotate_call_activities(
    specs: Iterable[Any],
    root: etree._Element,
    dynamic: Mapping[str, tuple[str, str | None, str | None]] | None = None,
) -> None:
    """Give call activity specs their ``camunda:in``/``camunda:out`` mappings (Camunda passes only those)."""
    activities = {
        e.get("id"): e for e in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}callActivity")
    }
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            element = activities.get(getattr(task_spec, "bpmn_id", None))
            if element is not None and isinstance(task_spec, SubWorkflowTask):
                task_spec.camunda_in = _variable_mappings(element, "in")
                task_spec.camunda_out = _variable_mappings(element, "out")
                task_spec.camunda_input_parameters = _parameters(element, "inputParameter")
                task_spec.camunda_output_parameters = _parameters(element, "outputParameter")
                task_spec.dynamic_call = (dynamic or {}).get(element.get("id") or "")


def _annotate_error_events(specs: Iterable[Any], root: etree._Element) -> None:
    """Give error events what Camunda adds: the thrown message, and the catch's result variables."""
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    cam = "{http://camunda.org/schema/1.0/bpmn}"
    errors = {e.get("id"): e for e in root.iter(f"{bpmn}error")}
    events: dict[str | None, etree._Element] = {}
    for found in root.iter(f"{bpmn}errorEventDefinition"):
        owner = found.getparent()
        if owner is not None and owner.get("id"):
            events[owner.get("id")] = found
    escalations: dict[str | None, etree._Element] = {}
    for found in root.iter(f"{bpmn}escalationEventDefinition"):
        owner = found.getparent()
        if owner is not None and owner.get("id"):
            escalations[owner.get("id")] = found
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            event_definition = getattr(task_spec, "event_definition", None)
            escalation = escalations.get(getattr(task_spec, "bpmn_id", None))
            if escalation is not None and isinstance(event_definition, EscalationEventDefinition):
                event_definition.code_variable = escalation.get(f"{cam}escalationCodeVariable")
            element = events.get(getattr(task_spec, "bpmn_id", None))
            if element is None or not isinstance(event_definition, ErrorEventDefinition):
                continue
            error = errors.get(element.get("errorRef"))
            event_definition.error_message = error.get(f"{cam}errorMessage") if error is not None else None
            event_definition.code_variable = element.get(f"{cam}errorCodeVariable")
            event_definition.message_variable = element.get(f"{cam}errorMessageVariable")


def _initiator_variable(root: etree._Element, process_id: str) -> str | None:
    """The variable a process's start event names in ``camunda:initiator`` (the starting user)."""
    ns = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    for process in root.iter(f"{ns}process"):
        if process.get("id") != process_id:
            continue
        for start in process.findall(f"{ns}startEvent"):
            name = (start.get("{http://camunda.org/schema/1.0/bpmn}initiator") or "").strip()
            if name:
                return name
    return None


def _interrupting_starts(root: etree._Element) -> frozenset[str]:
    """Start events of event subprocesses that interrupt their scope (BPMN's default)."""
    ns = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    found = set()
    for sub in root.iter(f"{ns}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(f"{ns}startEvent"):
            if start.get("isInterrupting", "true") != "false" and start.get("id"):
                found.add(start.get("id") or "")
    return frozenset(found)


class SpecLibrary:
    """Parsed, validated and versioned process definitions (thread-safe)."""

    def __init__(self, budget: StepBudget | None = None) -> None:
        #: Step limits for the runtime, and the shortest timer cycle a document may declare.
        self.budget = budget or StepBudget()
        self._lock = threading.RLock()
        self._definitions: dict[str, dict[int, ProcessDefinition]] = {}
        self._by_hash: dict[tuple[str, str], int] = {}
        self._dmn: dict[str, ParsedDocument] = {}  # decision id -> DMN document
        self._bundles: dict[tuple[str, int, tuple[tuple[str, int], ...]], Bundle] = {}

    # -- parsing ---------------------------------------------------------------------------------
    def parse(self, name: str, content: bytes) -> ParsedDocument:
        """Check and parse one document without registering it; raise DeployError listing every problem."""
        root = parse_xml(content, name=name)
        kind = document_kind(root)
        if kind == "bpmn":
            shapes.camunda_namespace(root)
            shapes.resolve_prefixed_refs(root)
        info = inspect_document(root)
        problems = [*check_lengths(root), *info.problems]
        if kind == "dmn":
            problems.extend(feel.cell_problems(root, expression.validate_expression))
        sha = hashlib.sha256(content).hexdigest()
        if kind == "dmn":
            if problems:
                raise DeployError(problems)
            graph, dmn_problems = dmn.parse_decisions(root)
            if dmn_problems:
                raise DeployError(dmn_problems)
            return ParsedDocument(
                name, sha, kind, content, info, {}, {}, {}, tuple(info.decision_ids), decision_graph=graph
            )

        problems.extend(cycle_problems(root, self.budget.min_timer_cycle))
        dynamic_calls = _dynamic_calls(root)
        version_tags, deployment_bound = _version_bindings(root)
        try:
            _schema_validator().validate(root, filename=name)
        except ValidationException as exc:
            problems.append(_problem_from_validation(exc))
        if not info.executable_process_ids:
            problems.append(Problem('the document has no executable process (isExecutable="true")'))
        with self._lock:
            graphs = {ref: doc.decision_graph for ref, doc in self._dmn.items()}
            known_decisions = set(self._dmn)
        for task in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}businessRuleTask"):
            ref = task.get("{http://camunda.org/schema/1.0/bpmn}decisionRef")
            if ref and ref not in known_decisions:
                problems.append(
                    Problem(
                        f"business rule task refers to decision '{ref}', which is not deployed: "
                        "deploy its DMN document first",
                        element_id=task.get("id"),
                        line=task.sourceline,
                    )
                )
        if problems:
            raise DeployError(problems)

        interrupting = _interrupting_starts(root)
        signal_payloads = signals.payload_mappings(root)
        renamed = shapes.normalise(root)
        parser = CamundaParser()
        try:
            parser.add_bpmn_xml(root, filename=name)
        except (ValidationException, SpiffWorkflowException) as exc:
            raise DeployError([_problem_from_validation(exc, root)]) from exc

        specs: dict[str, Any] = {}
        embedded: dict[str, dict[str, Any]] = {}
        called: dict[str, tuple[str, ...]] = {}
        own = set(info.process_ids)
        for pid in info.executable_process_ids:
            try:
                spec = parser.get_spec(pid)
                subs = _subprocess_specs(parser, pid)
            except (ValidationException, SpiffWorkflowException) as exc:
                problems.append(_problem_from_validation(exc, root))
                continue
            except Exception as exc:  # noqa: BLE001 - parser raises bare exceptions (e.g. NotImplementedError)
                problems.append(Problem(f"cannot be parsed: {exc}", element_id=pid))
                continue
            specs[pid] = spec
            _annotate_business_rules([spec, *subs.values()], root, graphs)
            external_tasks.annotate([spec, *subs.values()], external_tasks.definitions(root))
            _annotate_call_activities([spec, *subs.values()], root, dynamic_calls)
            io_mapping.annotate([spec, *subs.values()], root)
            expression_tasks.annotate([spec, *subs.values()], root)
            _annotate_error_events([spec, *subs.values()], root)
            signals.annotate_async([spec, *subs.values()], root)
            spec.camunda_initiator = _initiator_variable(root, pid)
            for sub_spec in [spec, *subs.values()]:
                for task_spec in sub_spec.task_specs.values() if sub_spec is not None else ():
                    if getattr(task_spec, "bpmn_id", None) in interrupting:
                        task_spec.camunda_interrupting = True
            shapes.restore_ids([spec, *subs.values()], renamed)
            shapes.pass_through_tasks([spec, *subs.values()])
            embedded[pid] = {
                k: v for k, v in subs.items() if v is not None and k not in info.called_elements.values()
            }
            targets = []
            for ts in list(spec.task_specs.values()) + [
                t for s in embedded[pid].values() for t in s.task_specs.values()
            ]:
                if getattr(ts, "dynamic_call", None) is not None:
                    continue  # the called process is chosen when the activity starts
                if isinstance(ts, SubWorkflowTask) and ts.spec not in embedded[pid]:
                    if ts.spec in own and ts.spec not in info.executable_process_ids:
                        problems.append(
                            Problem(f"calls process '{ts.spec}', which is not executable", ts.bpmn_id)
                        )
                    targets.append(ts.spec)
            called[pid] = tuple(dict.fromkeys(targets))
        if problems:
            raise DeployError(problems)
        return ParsedDocument(
            name,
            sha,
            kind,
            content,
            info,
            specs,
            embedded,
            called,
            interrupting_starts=interrupting,
            signal_payloads=signal_payloads,
            version_tags=version_tags,
            deployment_bound=deployment_bound,
        )

    # -- registry --------------------------------------------------------------------------------
    def add_document(
        self, name: str, content: bytes, *, versions: Mapping[str, int] | None = None
    ) -> list[ProcessDefinition]:
        """Parse and register a document. Same content again gives the same versions.

        ``versions`` (key -> version) is given by storage when it reloads what it stored; without it the
        next free version of each key is taken.
        """
        doc = self.parse(name, content)
        return self.register(doc, versions=versions)

    def register(
        self, doc: ParsedDocument, *, versions: Mapping[str, int] | None = None
    ) -> list[ProcessDefinition]:
        out: list[ProcessDefinition] = []
        with self._lock:
            if doc.kind == "dmn":
                for decision in doc.decisions:
                    self._dmn[decision] = doc
            for key in doc.keys:
                existing = self._by_hash.get((key, doc.sha256))
                if versions is not None and key in versions:
                    version = versions[key]
                elif existing is not None:
                    version = existing
                else:
                    version = max(self._definitions.get(key, {}).keys(), default=0) + 1
                definition = ProcessDefinition(key, version, doc.sha256, doc, doc.info.element_names.get(key))
                self._definitions.setdefault(key, {})[version] = definition
                self._by_hash[(key, doc.sha256)] = version
                out.append(definition)
        return out

    def get(self, key: str, version: int | None = None) -> ProcessDefinition:
        with self._lock:
            versions = self._definitions.get(key)
            if not versions:
                raise NotFoundError(f"no process definition '{key}'")
            if version is None:
                return versions[max(versions)]
            if version not in versions:
                raise NotFoundError(f"no version {version} of process definition '{key}'")
            return versions[version]

    def get_by_version_tag(self, key: str, tag: str) -> ProcessDefinition:
        """The one version of ``key`` whose ``camunda:versionTag`` is ``tag`` (Camunda's binding
        ``versionTag``); NotFoundError when none or several are."""
        with self._lock:
            found = [
                d for d in self._definitions.get(key, {}).values() if d.document.version_tags.get(key) == tag
            ]
        if not found:
            raise NotFoundError(f"no processes deployed with key = '{key}', versionTag = '{tag}'")
        if len(found) > 1:
            raise NotFoundError(
                f"There are '{len(found)}' results for a process definition with key '{key}', "
                f"versionTag '{tag}'"
            )
        return found[0]

    def check_message_starts(self, doc: ParsedDocument) -> None:
        """A message starts one process: Camunda refuses a document whose message start event waits
        for a message another process's latest version starts on (a new version of the same process
        replaces its subscription)."""
        if doc.kind != "bpmn":
            return
        taken: dict[str, str] = {}
        for definition in self.definitions():
            if definition.key in doc.specs or definition.document.kind != "bpmn":
                continue
            if self.get(definition.key).version != definition.version:
                continue
            for _element, message in _message_starts(definition.spec):
                taken.setdefault(message, definition.key)
        problems = [
            Problem(
                f"Cannot deploy process definition '{doc.name}': there already is a message event "
                f"subscription for the message with name '{message}'.",
                element_id=element,
            )
            for spec in doc.specs.values()
            for element, message in _message_starts(spec)
            if message in taken
        ]
        if problems:
            raise DeployError(problems)

    def definitions(self) -> list[ProcessDefinition]:
        with self._lock:
            return [d for versions in self._definitions.values() for d in versions.values()]

    def bundle(self, key: str, version: int | None = None, pins: Mapping[str, int] | None = None) -> Bundle:
        """The spec of ``key`` with every process it calls, transitively.

        Called processes run on the versions in ``pins`` (what an instance recorded when it started),
        else on their latest version.
        """
        top = self.get(key, version)
        if top.document.kind != "bpmn":
            raise NotFoundError(f"'{key}' is a decision, not a process")
        pins = dict(pins or {})
        cache_key = (top.key, top.version, tuple(sorted(pins.items())))
        with self._lock:
            cached = self._bundles.get(cache_key)
        if cached is not None:
            return cached
        subprocess_specs: dict[str, Any] = {}
        resolved: dict[str, int] = {top.key: top.version}
        infos = [top.info]
        interrupting = set(top.document.interrupting_starts)
        payloads = dict(top.document.signal_payloads)
        queue: list[ProcessDefinition] = [top]
        while queue:
            current = queue.pop()
            subprocess_specs.update(current.document.embedded.get(current.key, {}))
            for target in current.document.called.get(current.key, ()):
                if target in resolved:
                    continue
                version = pins.get(target)
                if version is None and target in current.document.deployment_bound:
                    with self._lock:  # the version this very document deployed
                        version = self._by_hash.get((target, current.sha256))
                try:
                    called = self.get(target, version)
                except NotFoundError as exc:
                    raise NotFoundError(
                        f"process '{current.key}' calls '{target}', which is not deployed"
                    ) from exc
                resolved[target] = called.version
                subprocess_specs[target] = called.spec
                infos.append(called.info)
                interrupting |= called.document.interrupting_starts
                payloads.update(called.document.signal_payloads)
                queue.append(called)
            if not queue:  # processes an instance called dynamically (pinned): they run on too
                for extra, extra_version in pins.items():
                    if extra in resolved:
                        continue
                    try:
                        dynamic = self.get(extra, extra_version)
                    except NotFoundError:
                        continue
                    resolved[extra] = dynamic.version
                    subprocess_specs[extra] = dynamic.spec
                    infos.append(dynamic.info)
                    interrupting |= dynamic.document.interrupting_starts
                    payloads.update(dynamic.document.signal_payloads)
                    queue.append(dynamic)
        result = Bundle(top, subprocess_specs, resolved, tuple(infos), frozenset(interrupting), payloads)
        with self._lock:
            self._bundles[cache_key] = result
        return result

    def missing_calls(self, definitions: Iterable[ProcessDefinition]) -> list[Problem]:
        """Problems for call activities whose target is not (yet) deployed."""
        problems = []
        for definition in definitions:
            for target in definition.document.called.get(definition.key, ()):
                with self._lock:
                    known = target in self._definitions
                if not known:
                    problems.append(
                        Problem(f"calls process '{target}', which is not deployed", definition.key)
                    )
        return problems


def _message_starts(spec: Any) -> list[tuple[str, str]]:
    """(element id, message name) of the process's own message start events."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

    return [
        (start.bpmn_id, start.event_definition.name)
        for start in spec.bpmn_start_events
        if isinstance(start.event_definition, MessageEventDefinition)
        and isinstance(start.event_definition.name, str)
    ]
