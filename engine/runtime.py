"""Steps of a process instance: a pure function of (stored state, input, now) -> StepResult.

Nothing here touches a database, the network or the wall clock. Each public method loads the workflow
from the state it is given, checks the input, runs SpiffWorkflow to the next wait state under the
step's time, and returns everything storage needs to write in one transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import (
    executions,
    expression,
    external_tasks,
    forms,
    io_mapping,
    multi_instance,
    pruning,
    scopes,
    serialization,
    signals,
    spiff_support,
    start_timers,
)
from engine.budget import StepBudget, StepMeter, Ticker, current_meter, cycle_minimum_text, metered
from engine.camunda import DocumentInfo, UserTaskInfo
from engine.clock import Clock
from engine.definition import Bundle, SpecLibrary
from engine.errors import (
    EngineError,
    ExpressionError,
    FormValidationError,
    NotFoundError,
    Problem,
    ProcessError,
    TaskNotOpenError,
    TimerCycleTooShort,
)
from engine.result import (
    AuditRecord,
    DomainEvent,
    MessageWait,
    OpenTask,
    PendingTimer,
    StepResult,
)
from engine.script_engine import SafeScriptEngine

spiff_support.install()

STATE_FORMAT = 1
_META = "doorlopendeLijn"  # key in a task's internal_data for what we computed when it opened
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
#: SpiffWorkflow's task iterators do not look deeper than this into the task tree: a task below it is
#: never run, and the instance would look completed while it is not.
_LIBRARY_MAX_DEPTH = 1000
_EXTERNAL_OPENED = "externalTaskOpenedAt"  # internal_data key: when an external task became READY


def _event_type(message_name: str) -> str:
    return message_name.replace("_", "-")


class _Step:
    """Collects what happens while the library runs: events and audit records, in order."""

    def __init__(self, runtime: Runtime, workflow: BpmnWorkflow, bundle: Bundle, actor: str) -> None:
        self.runtime = runtime
        self.workflow = workflow
        self.bundle = bundle
        self.actor = actor
        self.events: list[DomainEvent] = []
        self.audit: list[AuditRecord] = []
        self.thrown_signals: list[signals.SignalThrow] = []
        self.io_locals: dict[Any, dict[str, Any]] = {}
        self.open_before = {str(t.id) for t in _open_user_tasks(workflow)}
        self.completed_before = workflow.is_completed()

    def did_complete(self, task: Any) -> None:
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        element = getattr(spec, "bpmn_id", None)
        if isinstance(spec, ThrowingEvent) and isinstance(definition, MessageEventDefinition):
            info = self.runtime.info_for(self.bundle, task.workflow.spec.name)
            data = self.runtime.evaluate_properties(info.properties.get(element or "", {}), task)
            self.events.append(
                DomainEvent(_event_type(definition.name or element or "message"), element, data)
            )
        elif isinstance(spec, CatchingEvent) and isinstance(definition, TimerEventDefinition):
            if not task.internal_data.get(start_timers.UNFIRED):
                self._timer_fired(element)
        elif isinstance(spec, CatchingEvent) and isinstance(definition, MultipleEventDefinition):
            # An event-based gateway keeps the events of the catch events after it; see which one fired.
            for seen in task.internal_data.get("seen_events", []):
                if isinstance(seen.event_definition, TimerEventDefinition):
                    idx = definition.event_definitions.index(seen.event_definition)
                    self._timer_fired(spec.outputs[idx].bpmn_id)

        if isinstance(spec, ThrowingEvent) and signals.is_signal(definition):
            self._signal_thrown(task, element)

        if isinstance(spec, StartEvent) and element in self.bundle.interrupting_starts:
            self._interrupt_scope(task)

    def _signal_thrown(self, task: Any, element: str | None) -> None:
        """Record a thrown signal with Camunda's payload; the library already delivered it in-instance."""
        mappings = self.bundle.signal_payloads.get(element or "", ())

        def evaluate(text: str) -> Any:
            with executions.on_task(task, read_only=True):
                return _json_value(expression.evaluate(text, task.data, now=spiff_support.current_now()))

        variables, business_key = signals.evaluate_payload(
            mappings, task.data, evaluate, self.io_locals.pop(task.id, {})
        )
        name = signals.signal_name(task.task_spec.event_definition, task.data) or ""
        self.thrown_signals.append(
            signals.SignalThrow(
                name,
                element,
                _json_dict(variables),
                business_key,
                asynchronous=bool(getattr(task.task_spec, "camunda_async_signal", False)),
            )
        )
        self.audit.append(AuditRecord("signal-thrown", element, "system", {"signal": name}))

    def _interrupt_scope(self, start: Any) -> None:
        """An interrupting event subprocess started: cancel everything else in its enclosing scope.

        SpiffWorkflow 3.2 runs the event subprocess but leaves the scope running beside it.
        """
        subprocess = start.workflow
        parent = subprocess.parent_workflow
        if parent is None:
            return
        holder = parent.get_task_from_id(subprocess.parent_task_id)
        keep = set()
        node = holder
        while node is not None:
            keep.add(node.id)
            node = node.parent
        active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        for task in parent.get_tasks(state=active, skip_subprocesses=True):
            if task.id not in keep:
                task.cancel()
        parent.data[spiff_support.INTERRUPTED_SCOPE] = start.task_spec.bpmn_id
        node = holder
        while node is not None and not node.children and node.task_spec.outputs:
            # the scope ends with the event sub-process: its end follows it (a called process then
            # completes and its call activity goes on, as in Camunda)
            node._sync_children(node.task_spec.outputs, TaskState.FUTURE)
            node = node.children[0] if len(node.children) == 1 else None
        self.audit.append(AuditRecord("scope-interrupted", start.task_spec.bpmn_id, "system", {}))

    def _timer_fired(self, element: str | None) -> None:
        self.events.append(DomainEvent("termijn-verstreken", element, {"elementId": element}))
        self.audit.append(AuditRecord("timer-fired", element, "system:timer", {}))

    def will_complete(self, task: Any) -> None:
        if isinstance(task.task_spec, ThrowingEvent) and signals.is_signal(
            getattr(task.task_spec, "event_definition", None)
        ):
            # the event's local variables (its input parameters) end with it; a signal may carry them
            self.io_locals[task.id] = dict(
                (task.internal_data.get(io_mapping.STATE) or {}).get("locals") or {}
            )
        meter = current_meter()
        if meter is not None:
            meter.enter(getattr(task.task_spec, "bpmn_id", None))

    def run(self) -> None:
        try:
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps(
                will_complete_task=self.will_complete, did_complete_task=self.did_complete
            )
            while _finish_drained_scopes(self.workflow):
                self.workflow.do_engine_steps(
                    will_complete_task=self.will_complete, did_complete_task=self.did_complete
                )
        except SpiffWorkflowException as exc:
            raise ProcessError(_describe_library_error(exc)) from exc
        self.workflow.get_events()  # uncaught throws were turned into domain events already
        self.check_wait_states()

    def check_wait_states(self) -> None:
        """Refuse what the library would get wrong after this step: a too-deep tree, a racing cycle."""
        minimum = self.runtime.budget.min_timer_cycle
        for task in _all_tasks(self.workflow):
            if not task.state & _OPEN:
                continue
            element = getattr(task.task_spec, "bpmn_id", None)
            if task.depth >= _LIBRARY_MAX_DEPTH - 1:
                raise ProcessError(
                    f"{element}: the instance ran {task.depth} elements deep without a wait state the "
                    "engine can follow; it is stopped here instead of being reported completed"
                )
            if task.state != TaskState.WAITING:
                continue
            value = task.internal_data.get("event_value")
            if isinstance(value, dict) and isinstance(value.get("duration"), int | float):
                period = timedelta(seconds=value["duration"])
                if period < minimum:
                    raise TimerCycleTooShort(
                        element,
                        f"the timer cycle repeats every {period.total_seconds():g} s; "
                        + cycle_minimum_text(minimum),
                    )


def _describe_library_error(exc: SpiffWorkflowException) -> str:
    task = getattr(exc, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    message = str(exc.args[0]) if exc.args else exc.__class__.__name__
    if message.startswith("No conditions satisfied"):  # Camunda's ENGINE-02004, naming the gateway
        spec = getattr(exc, "task_spec", None) or getattr(task, "task_spec", None)
        gateway = getattr(spec, "bpmn_id", None) or element
        return (
            f"{gateway}: No outgoing sequence flow for the element with id '{gateway}' could be "
            "selected for continuing the process"
        )
    return f"{element}: {message}" if element else message


def _definitions_by_element(task: Any) -> list[tuple[str, Any]]:
    """(element id, event definition) pairs a waiting task catches; a gateway catches for its outputs."""
    spec = task.task_spec
    definition = getattr(spec, "event_definition", None)
    if not isinstance(spec, CatchingEvent) or definition is None:
        return []
    if isinstance(definition, MultipleEventDefinition):
        outputs = list(spec.outputs)
        pairs = []
        for idx, item in enumerate(definition.event_definitions):
            element = outputs[idx].bpmn_id if idx < len(outputs) else spec.bpmn_id
            pairs.append((element, item))
        return pairs
    return [(spec.bpmn_id, definition)]


def _active_scopes(workflow: BpmnWorkflow) -> list[Any]:
    """The running process and every running embedded sub-process (scopes of event sub-processes)."""
    if workflow.is_completed():
        return []
    found = [workflow]
    for task_id, subprocess in workflow.subprocesses.items():
        if subprocess.is_completed():
            continue
        holder = workflow.get_task_from_id(task_id) if task_id in workflow.tasks else None
        if holder is None:
            for sub in workflow.subprocesses.values():
                if task_id in sub.tasks:
                    holder = sub.tasks[task_id]
                    break
        if holder is not None and holder.state == TaskState.STARTED:
            found.append(subprocess)
    return found


def _holder_of(workflow: BpmnWorkflow, task_id: Any) -> Any:
    if task_id in workflow.tasks:
        return workflow.tasks[task_id]
    for sub in workflow.subprocesses.values():
        if task_id in sub.tasks:
            return sub.tasks[task_id]
    return None


def _finish_drained_scopes(workflow: BpmnWorkflow) -> bool:
    """Complete sub-processes that have nothing left to do but never reached their end event.

    An interrupting event sub-process inside a sub-process cancels the sub-process's own path; once
    the event sub-process ends, the sub-process is done (Camunda continues after it). The library only
    notices a sub-process's end at its End task, so the sub-process task would wait for ever.
    """
    finished = False
    for task_id, subprocess in list(workflow.subprocesses.items()):
        holder = _holder_of(workflow, task_id)
        if holder is None or holder.state != TaskState.STARTED or not subprocess.is_completed():
            continue
        holder.task_spec._on_subworkflow_completed(subprocess, holder)
        finished = True
    return finished


def _scope_data(scope: Any) -> dict[str, Any]:
    data: dict[str, Any] = dict(scope.data)
    if scope.last_task is not None:
        data.update(scope.last_task.data)
    for task in sorted(
        (t for t in scope.tasks.values() if t.state & _OPEN), key=lambda t: t.last_state_change
    ):
        data.update(task.data)
    return data


def _legacy_variables(workflow: Any) -> dict[str, Any]:
    """The variables of a state stored before each instance kept one set of them.

    The latest completed task's data, then every open branch's; for the process, also what its
    event sub-processes caught.
    """
    if getattr(workflow, "parent_task_id", None) is not None:
        return _scope_data(workflow)
    merged: dict[str, Any] = dict(workflow.data)
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    if not workflow.is_completed():
        open_tasks = [t for t in workflow.tasks.values() if t.state & _OPEN]
        for sub in workflow.subprocesses.values():
            parent = sub.parent_workflow
            triggered = getattr(parent.spec.start, "trigger_specs", ()) if parent is not None else ()
            if sub.spec.name in triggered and not sub.is_completed():
                open_tasks.extend(t for t in sub.tasks.values() if t.state & _OPEN)
        for task in sorted(open_tasks, key=lambda t: t.last_state_change):
            merged.update(task.data)
    return merged


def _event_subprocess_message_starts(workflow: BpmnWorkflow) -> list[tuple[Any, str, Any]]:
    """(scope, event sub-process spec name, start event spec) for message-started event sub-processes."""
    found = []
    for scope in _active_scopes(workflow):
        if spiff_support.scope_interrupted(scope):
            continue
        for name in getattr(scope.spec.start, "trigger_specs", ()):
            sp_spec = workflow.subprocess_specs.get(name)
            if sp_spec is None:
                continue
            for start in sp_spec.bpmn_start_events:
                if isinstance(start.event_definition, MessageEventDefinition):
                    found.append((scope, name, start))
    return found


def _open_event_subprocesses(workflow: BpmnWorkflow, message_name: str) -> None:
    """Start, in every scope that has one, the event sub-process whose message start catches the message.

    The library only starts those of the top process, and only for a literal message name.
    """
    for scope, spec_name, start in _event_subprocess_message_starts(workflow):
        if spiff_support.message_name(start.event_definition, _scope_data(scope)) != message_name:
            continue
        waiting = any(
            t.state == TaskState.WAITING and t.task_spec.name == start.name
            for sub in workflow.subprocesses.values()
            if sub.parent_workflow is scope
            for t in sub.tasks.values()
        )
        if not waiting:
            scope.spec.start.trigger_wf(scope.task_tree, spec_name)


def _fire_only_message_start(workflow: BpmnWorkflow, variables: Mapping[str, Any]) -> bool:
    """A process whose single start event is a message start event starts there when started by key.

    Camunda's ``startProcessInstanceByKey`` does so; without it the instance would wait for its own
    start message.
    """
    starts = [t for t in workflow.spec.task_specs.values() if isinstance(t, StartEvent)]
    if len(starts) != 1 or not isinstance(
        getattr(starts[0], "event_definition", None), MessageEventDefinition
    ):
        return False
    for task in workflow.tasks.values():
        if task.task_spec is starts[0] and task.state == TaskState.WAITING:
            definition = task.task_spec.event_definition
            payload = {"payload": dict(variables), "result_var": None}
            event_definition = CamundaMessage(definition.name)
            if not isinstance(definition, CamundaMessage):
                event_definition, payload = MessageEventDefinition(definition.name), dict(variables)
            task.task_spec.catch(task, BpmnEvent(event_definition, payload=payload))
            task.task_spec._update(task)
            return True
    return False


def message_start_names(spec: Any) -> tuple[str, ...]:
    """Names of the messages whose start events start ``spec`` (Camunda's message start subscriptions)."""
    names = [
        spiff_support.message_name(task_spec.event_definition, {})
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent)
        and isinstance(getattr(task_spec, "event_definition", None), MessageEventDefinition)
    ]
    return tuple(dict.fromkeys(n for n in names if n is not None))


def _catch_message_at(task: Any, variables: Mapping[str, Any]) -> None:
    definition = task.task_spec.event_definition
    payload: Any = {"payload": dict(variables), "result_var": None}
    event_definition: Any = CamundaMessage(definition.name)
    if not isinstance(definition, CamundaMessage):
        event_definition, payload = MessageEventDefinition(definition.name), dict(variables)
    task.task_spec.catch(task, BpmnEvent(event_definition, payload=payload))
    task.task_spec._update(task)


def _fire_message_start(workflow: BpmnWorkflow, name: str, variables: Mapping[str, Any]) -> None:
    """Start at the message start event for ``name`` (Camunda's start by message); the others never run."""
    while True:
        ready = [
            t
            for t in workflow.get_tasks(state=TaskState.READY)
            if t.task_spec.name in ("Start", "StartEventSplit")
        ]
        if not ready:
            break
        for task in ready:
            task.run()
    chosen = None
    for task in signals.top_start_tasks(workflow):
        definition = signals.start_definition(task)
        if (
            chosen is None
            and isinstance(definition, MessageEventDefinition)
            and spiff_support.message_name(definition, {}) == name
        ):
            chosen = task
        elif task.state & (TaskState.WAITING | TaskState.READY):
            task.cancel()
    if chosen is not None:
        _catch_message_at(chosen, variables)


def _cancel_waiting_message_starts(workflow: BpmnWorkflow) -> None:
    """Top-level message start events still waiting once the instance started another way.

    They belong to the process definition (a message starts a new instance), not to this instance.
    """
    starts = signals.top_start_tasks(workflow)
    waiting = [
        t
        for t in starts
        if t.state == TaskState.WAITING and isinstance(signals.start_definition(t), MessageEventDefinition)
    ]
    if not waiting:
        return
    if not any(t.state == TaskState.COMPLETED for t in starts):
        raise ProcessError(
            "the process has no default start activity (no none start event): start it with one of its "
            "start messages "
            f"({', '.join(sorted(t.task_spec.bpmn_id for t in waiting))}) through POST /messages"
        )
    for task in waiting:
        task.cancel()


def _all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """Every task of the workflow and its subprocesses, in tree order (one cheap pass, no filters)."""
    tasks = list(workflow.tasks.values())
    for subprocess in workflow.subprocesses.values():
        tasks.extend(subprocess.tasks.values())
    return tasks


def _open_user_tasks(workflow: BpmnWorkflow, tasks: list[Any] | None = None) -> list[Any]:
    tasks = _all_tasks(workflow) if tasks is None else tasks
    ready = [t for t in tasks if t.state == TaskState.READY and isinstance(t.task_spec, UserTask)]
    ready.sort(key=lambda t: t.last_state_change)
    return ready


def _parse_due(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
        value = value.get("next")
        if value is None:
            return None
    try:
        parsed = TimerEventDefinition.get_datetime(str(value))
    except ValueError:
        return None
    # the library's patched datetime class must not leak out of the engine
    return datetime.fromisoformat(parsed.astimezone(UTC).isoformat())


#: Longest assignee and candidate group names (the columns that store them).
MAX_ASSIGNEE_LENGTH = 200
MAX_GROUP_LENGTH = 100
#: Latest due time a timer or task may have.
LATEST_DUE = datetime(9999, 1, 1, tzinfo=UTC)


def _in_range(due: datetime) -> datetime:
    if due >= LATEST_DUE:
        raise ValueError("after the year 9998")
    return due


def _checked_assignee(element: str, value: Any) -> str | None:
    """An assignee expression must give one user name (text) or nothing."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProcessError(f"{element}: the assignee is a {_kind(value)}, not one user name (text)")
    if len(value) > MAX_ASSIGNEE_LENGTH:
        raise ProcessError(f"{element}: the assignee is longer than {MAX_ASSIGNEE_LENGTH} characters")
    return value


def _checked_groups(element: str, value: Any, what: str = "candidate group") -> list[str]:
    """Candidate groups (or users): text (comma-separated) or a list of texts, as Camunda accepts them."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(g, str) for g in items):
        raise ProcessError(f"{element}: the {what}s are a {_kind(value)}, not text or a list of texts")
    groups = [g.strip() for g in items if g.strip()]
    if any(len(g) > MAX_GROUP_LENGTH for g in groups):
        raise ProcessError(f"{element}: a {what} is longer than {MAX_GROUP_LENGTH} characters")
    return groups


#: Camunda's task priority when ``camunda:priority`` is absent.
DEFAULT_TASK_PRIORITY = 50


def _checked_priority(element: str, value: Any) -> int:
    """``camunda:priority``: a whole number, written or evaluated, as Camunda reads it."""
    if value is None or value == "":
        return DEFAULT_TASK_PRIORITY
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProcessError(f"{element}: the priority is a {_kind(value)}, not a whole number")
    try:
        priority = int(str(value).strip())
    except ValueError as exc:
        raise ProcessError(f"{element}: the priority '{str(value)[:50]}' is not a whole number") from exc
    if abs(priority) > 2**31 - 1:
        raise ProcessError(f"{element}: the priority {priority} is out of range")
    return priority


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


#: Default of :attr:`Runtime.max_variables_bytes` (256 KB).
MAX_VARIABLES_BYTES = 256 * 1024


class Runtime:
    """Runs process instances of the definitions in a :class:`SpecLibrary` on a :class:`Clock`."""

    def __init__(
        self,
        library: SpecLibrary,
        clock: Clock,
        budget: StepBudget | None = None,
        ticker: Ticker | None = None,
    ) -> None:
        self.library = library
        self.clock = clock
        self.budget = budget or library.budget
        self.ticker = ticker
        self.script_engine = SafeScriptEngine()
        #: Largest JSON size of the variables one request submits, and of an instance's variables.
        self.max_variables_bytes = MAX_VARIABLES_BYTES
        self.max_multi_instances = multi_instance.MAX_INSTANCES
        #: Drop finished tasks nothing needs from the stored state (engine/pruning.py).
        self.prune_state = True
        self._index_kinds: dict[tuple[Any, ...], frozenset[str]] = {}
        self._timer_starts: dict[tuple[str, int], list[str]] = {}

    @contextlib.contextmanager
    def _stepping(self, now: datetime, *, fire_timers: bool = False) -> Iterator[StepMeter]:
        """Every step runs in here: on the step's time, and under its budget.

        Over budget raises :class:`~engine.errors.StepBudgetExceeded` naming the element; the step's
        result is never returned, so nothing of it is written.
        """
        meter = StepMeter(self.budget, self.ticker) if self.ticker else StepMeter(self.budget)
        with (
            spiff_support.step_time(now, fire_timers=fire_timers),
            metered(meter),
            multi_instance.max_instances(self.max_multi_instances),
            spiff_support.resolving_calls(self._resolve_call),
        ):
            yield meter

    def _resolve_call(
        self, key: str, version: int | None, version_tag: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """A process called by a call activity that chooses it when it starts: its version and specs."""
        if version_tag is not None:
            version = self.library.get_by_version_tag(key, version_tag).version
        bundle = self.library.bundle(key, version)
        return bundle.top.version, {key: bundle.top.spec, **bundle.subprocess_specs}

    # -- public steps ----------------------------------------------------------------------------
    def start(
        self,
        process_key: str,
        *,
        business_key: str | None = None,
        variables: Mapping[str, Any] | None = None,
        actor: str = "system",
        version: int | None = None,
        signal: str | None = None,
        message: str | None = None,
        initiator: str | None = None,
        instance_id: str | None = None,
        timer: str | None = None,
    ) -> StepResult:
        """Create an instance and run it to its first wait state.

        ``initiator`` is the user who starts it: a start event's ``camunda:initiator`` names the
        variable that holds it, as Camunda's authenticated user.
        ``instance_id`` is the id storage gives the instance (``execution.id`` in expressions).

        With ``signal``, the instance starts at the signal start event for that signal (a broadcast
        reached the process definition); NotFoundError when the process has none. Without it, a
        process whose only start event is a signal start event starts there, as Camunda's
        ``startProcessInstanceByKey`` does. With ``timer`` (a due timer start event of the process), or
        without any of the three when the process has a timer start event, it starts at that event
        at once (engine/start_timers.py).
        """
        clean = forms.validate_free_variables(dict(variables or {}))
        self._check_size(clean, "the submitted variables")
        bundle = self.library.bundle(process_key, version)
        if signal is not None and signal not in signals.signal_start_names(bundle.top.spec):
            raise NotFoundError(f"process '{process_key}' has no start event for signal '{signal}'")
        if message is not None and message not in message_start_names(bundle.top.spec):
            raise NotFoundError(f"process '{process_key}' has no start event for message '{message}'")
        timer_starts = self._timer_starts.get((bundle.top.key, bundle.top.version))
        if timer_starts is None:
            timer_starts = [t.element_id for t in start_timers.start_timers(bundle.top.spec)]
            self._timer_starts[(bundle.top.key, bundle.top.version)] = timer_starts
        if timer is not None and timer not in timer_starts:
            raise NotFoundError(f"process '{process_key}' has no timer start event '{timer}'")
        by_timer = timer
        if timer is None and signal is None and message is None and timer_starts:
            timer = timer_starts[0]  # Camunda's initial: the one none-or-timer start event
        now = self.clock.now()
        with self._stepping(now):
            workflow = BpmnWorkflow(
                bundle.top.spec, dict(bundle.subprocess_specs), script_engine=self.script_engine
            )
            _bind_identity(workflow, instance_id, business_key, bundle)
            scopes.ensure_store(workflow)
            start = workflow.get_next_task(state=TaskState.READY)
            if start is not None:
                start.data.update(clean)
                initiator_variable = getattr(bundle.top.spec, "camunda_initiator", None)
                if initiator_variable:
                    start.data[initiator_variable] = initiator
            step = _Step(self, workflow, bundle, actor)
            step.open_before = set()
            detail: dict[str, Any] = {"version": bundle.top.version}
            if signal is not None:
                detail["signal"] = signal
            if message is not None:
                detail["message"] = message
            if by_timer is not None:
                detail["timer"] = by_timer
            step.audit.append(AuditRecord("start", bundle.top.key, actor, detail))
            if timer is not None:
                start_timers.fire_start(workflow, timer, by_timer=by_timer is not None)
            if start is not None and (signal is not None or signals.only_signal_start(bundle.top.spec)):
                signals.fire_start(workflow, signal)
            if message is not None:
                _fire_message_start(workflow, message, clean)
            step.run()
            if (
                signal is None
                and message is None
                and timer is None
                and _fire_only_message_start(workflow, clean)
            ):
                step.run()
            signals.cancel_waiting_signal_starts(workflow)
            _cancel_waiting_message_starts(workflow)
            return self._result(workflow, bundle, business_key, step, now)

    def _load_for_event(
        self, state: Mapping[str, Any], variables: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], BpmnWorkflow, Bundle, str | None]:
        """The checked variables of a message or signal, and the instance they go to."""
        clean = forms.validate_free_variables(dict(variables or {}))
        self._check_size(clean, "the submitted variables")
        workflow, bundle, business_key = self._load(state)
        return clean, workflow, bundle, business_key

    def signal(
        self,
        state: Mapping[str, Any],
        signal_name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str = "system",
    ) -> StepResult:
        """Deliver a broadcast signal to every wait for it in this instance; NotFoundError when none waits."""
        clean, workflow, bundle, business_key = self._load_for_event(state, variables)
        now = self.clock.now()
        waiting = [
            w for w in self._signal_waits(workflow, _all_tasks(workflow)) if w.signal_name == signal_name
        ]
        if not waiting:
            raise NotFoundError(f"no wait for signal '{signal_name}'")
        with self._stepping(now):
            step = _Step(self, workflow, bundle, actor)
            signals.open_event_subprocesses(workflow, signal_name)
            workflow.catch(signals.event(signal_name, clean))
            step.audit.append(
                AuditRecord(
                    "signal-received",
                    waiting[0].element_id,
                    actor,
                    {"signal": signal_name, "elements": sorted({w.element_id for w in waiting})},
                )
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def complete_task(
        self, state: Mapping[str, Any], task_id: str, data: Mapping[str, Any], *, actor: str = "system"
    ) -> StepResult:
        """Complete an open user task with form data validated against its form."""
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        task = self._find_task(workflow, task_id)
        if task is None and workflow.is_completed():
            # a finished instance keeps none of its tasks (engine/pruning.py)
            raise TaskNotOpenError(f"task {task_id} is no longer open: the instance has ended")
        if task is None or not isinstance(task.task_spec, UserTask):
            raise NotFoundError(f"no task {task_id}")
        if task.state != TaskState.READY:
            raise TaskNotOpenError(f"task {task_id} is no longer open")
        info = self.user_task_info(bundle, task)
        fields = info.form if info else ()
        clean = forms.validate_submission(fields, dict(data), current=task.data)
        self._check_size(clean, "the submitted variables")
        with self._stepping(now) as meter:
            step = _Step(self, workflow, bundle, actor)
            task.data.update(clean)
            meter.enter(task.task_spec.bpmn_id)
            try:
                task.run()
            except SpiffWorkflowException as exc:
                raise ProcessError(_describe_library_error(exc)) from exc
            step.audit.append(
                AuditRecord(
                    "task-completed",
                    task.task_spec.bpmn_id,
                    actor,
                    {"taskId": task_id, "fields": sorted(clean)},
                )
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now, completed_task=task)

    def _open_external_task(self, workflow: BpmnWorkflow, task_id: str) -> Any:
        """The open external task ``task_id`` of ``workflow``, or the error an integrator is given."""
        task = self._find_task(workflow, task_id)
        if task is None or external_tasks.definition_of(task) is None:
            raise NotFoundError(f"no external task {task_id}")
        if task.state != TaskState.READY:
            raise TaskNotOpenError(f"external task {task_id} is no longer open")
        return task

    def external_task_variables(
        self, state: Mapping[str, Any], task_id: str, element_id: str, *, local: bool
    ) -> dict[str, Any] | None:
        """The variables a worker fetching external task ``task_id`` sees (with ``local``: only those
        local to the task); None when they are the instance's variables (the task has no scope)."""
        bundle = self.library.bundle(state["process"], state["version"], state.get("pins"))
        specs = (bundle.top.spec, *bundle.subprocess_specs.values())
        scoped = any(
            external_tasks.has_local_scope(ts)
            for spec in specs
            if spec is not None
            for ts in spec.task_specs.values()
            if getattr(ts, "bpmn_id", None) == element_id
        )
        if not scoped:
            return {} if local else None
        workflow, _, _ = self._load(state)
        visible, own = external_tasks.task_variables(self._open_external_task(workflow, task_id))
        return _json_dict(own if local else visible)

    def complete_external_task(
        self,
        state: Mapping[str, Any],
        task_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str = "system",
    ) -> StepResult:
        """Complete an open external task with the worker's variables and run to the next wait state."""
        clean = forms.validate_free_variables(dict(variables or {}))
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        task = self._open_external_task(workflow, task_id)
        with self._stepping(now) as meter:
            step = _Step(self, workflow, bundle, actor)
            task.data.update(clean)
            meter.enter(task.task_spec.bpmn_id)
            try:
                task.run()
                if task.state == TaskState.STARTED:  # a service task's library run does nothing
                    task.complete()
            except SpiffWorkflowException as exc:
                raise ProcessError(_describe_library_error(exc)) from exc
            step.audit.append(
                AuditRecord(
                    "external-task-completed",
                    task.task_spec.bpmn_id,
                    actor,
                    {"taskId": task_id, "variables": sorted(clean)},
                )
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def external_task_bpmn_error(
        self,
        state: Mapping[str, Any],
        task_id: str,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str = "system",
    ) -> StepResult:
        """Camunda's ``handleBpmnError``: the external task throws a BPMN error with ``error_code``.

        The variables are set first. A boundary error event or an error event sub-process that catches
        the code takes over (with ``camunda:errorCodeVariable``/``errorMessageVariable``); an error that
        nothing catches ends the task's path without going on, as Camunda ends its execution.
        """
        clean = forms.validate_free_variables(dict(variables or {}))
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        task = self._open_external_task(workflow, task_id)
        with self._stepping(now) as meter:
            step = _Step(self, workflow, bundle, actor)
            task.data.update(clean)
            scopes.set_variables(task, clean)  # Camunda sets them on the process instance's scope
            meter.enter(task.task_spec.bpmn_id)
            event = BpmnEvent(
                ErrorEventDefinition(error_code, code=error_code),
                payload=dict(task.data),
                target=task.workflow,
            )
            event.error_message = error_message  # type: ignore[attr-defined]
            try:
                workflow.event_manager.catch(event)
                caught = event not in workflow.bpmn_events
                if not caught:
                    workflow.bpmn_events.remove(event)
                    if task.state == TaskState.READY:
                        task.cancel()
            except SpiffWorkflowException as exc:
                raise ProcessError(_describe_library_error(exc)) from exc
            step.audit.append(
                AuditRecord(
                    "external-task-bpmn-error",
                    task.task_spec.bpmn_id,
                    actor,
                    {
                        "taskId": task_id,
                        "errorCode": error_code,
                        "caught": caught,
                        "variables": sorted(clean),
                    },
                )
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def correlate(
        self,
        state: Mapping[str, Any],
        message_name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str = "system",
    ) -> StepResult:
        """Deliver message ``message_name`` with ``variables``; NotFoundError when nothing waits for it."""
        clean, workflow, bundle, business_key = self._load_for_event(state, variables)
        now = self.clock.now()
        waiting = [w for w in self._message_waits(workflow) if w.message_name == message_name]
        if not waiting:
            raise NotFoundError(f"no wait for message '{message_name}'")
        with self._stepping(now):
            step = _Step(self, workflow, bundle, actor)
            definition = CamundaMessage(message_name)
            event = BpmnEvent(definition, payload={"payload": clean, "result_var": None})
            _open_event_subprocesses(workflow, message_name)
            if not workflow.event_manager.catch(event):
                workflow.catch(BpmnEvent(MessageEventDefinition(message_name), payload=clean))
            step.audit.append(
                AuditRecord("message-correlated", waiting[0].element_id, actor, {"message": message_name})
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def fire_due_timers(self, state: Mapping[str, Any], *, actor: str = "system:timer") -> StepResult:
        """Fire every timer whose due time has come (``due_at <= now``)."""
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        with self._stepping(now + timedelta(microseconds=1), fire_timers=True):
            step = _Step(self, workflow, bundle, actor)
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def fire_timer(
        self, state: Mapping[str, Any], timer_id: str, *, actor: str = "system:timer"
    ) -> StepResult:
        """Fire one timer now, as if it were due."""
        return self.reschedule_timer(
            state, timer_id, self.clock.now() - timedelta(microseconds=1), actor=actor, fire=True
        )

    def reschedule_timer(
        self,
        state: Mapping[str, Any],
        timer_id: str,
        due_at: datetime,
        *,
        actor: str = "system",
        fire: bool = False,
    ) -> StepResult:
        """Give a pending timer a new due time, in the engine state itself."""
        if due_at.tzinfo is None:
            raise EngineError("due_at must be timezone-aware")
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        task = self._find_task(workflow, timer_id)
        if task is None or not self._is_timer(task):
            raise NotFoundError(f"no timer {timer_id}")
        if task.state != TaskState.WAITING:
            raise TaskNotOpenError(f"timer {timer_id} is no longer pending")
        value = task.internal_data.get("event_value")
        new_value = due_at.astimezone(UTC).isoformat()
        if isinstance(value, dict):
            value = dict(value, next=new_value)
            task.internal_data["event_value"] = value
        else:
            task.internal_data["event_value"] = new_value
        with self._stepping(now, fire_timers=fire):
            step = _Step(self, workflow, bundle, actor)
            action = "timer-fire-requested" if fire else "timer-rescheduled"
            step.audit.append(
                AuditRecord(action, task.task_spec.bpmn_id, actor, {"timerId": timer_id, "dueAt": new_value})
            )
            step.run()
            return self._result(workflow, bundle, business_key, step, now)

    def terminate(self, state: Mapping[str, Any], *, actor: str = "system") -> StepResult:
        """Cancel every open task; the instance ends as terminated."""
        workflow, bundle, business_key = self._load(state)
        now = self.clock.now()
        with self._stepping(now):
            step = _Step(self, workflow, bundle, actor)
            workflow.cancel()
            step.audit.append(AuditRecord("terminated", bundle.top.key, actor, {}))
            return self._result(workflow, bundle, business_key, step, now, terminated=True)

    def describe(self, state: Mapping[str, Any]) -> StepResult:
        """The current view of a stored state, without running anything."""
        workflow, bundle, business_key = self._load(state)
        step = _Step(self, workflow, bundle, "system")
        return self._result(workflow, bundle, business_key, step, self.clock.now(), describe_only=True)

    def called_instances(self, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The instance's running called instances (call activities) with their own variables."""
        workflow, _bundle, _key = self._load(state)
        found = scopes.called_instances(workflow)
        for item in found:
            item["variables"] = _json_dict(item["variables"])
        return found

    def index_kinds(self, bundle: Bundle) -> frozenset[str]:
        """The kinds of wait (``message``, ``signal``, ``external``) any element of the bundle has."""
        key = (bundle.top.key, bundle.top.version, tuple(sorted(bundle.pins.items())))
        kinds = self._index_kinds.get(key)
        if kinds is None:
            found = set()
            for spec in (bundle.top.spec, *bundle.subprocess_specs.values()):
                for task_spec in spec.task_specs.values():
                    if external_tasks.definition_of(_SpecHolder(task_spec)) is not None:
                        found.add("external")
                    definition = getattr(task_spec, "event_definition", None)
                    for item in (definition, *getattr(definition, "event_definitions", ())):
                        if isinstance(item, MessageEventDefinition):
                            found.add("message")
                        elif signals.is_signal(item):
                            found.add("signal")
            kinds = self._index_kinds[key] = frozenset(found)
        return kinds

    # -- helpers shared with _Step ---------------------------------------------------------------
    def info_for(self, bundle: Bundle, process_id: str) -> DocumentInfo:
        for info in bundle.infos:
            if process_id in info.process_ids:
                return info
        return bundle.top.info

    @staticmethod
    def process_key_of(bundle: Bundle, workflow: Any) -> str:
        """The process a task belongs to: an embedded sub-process belongs to the process around it."""
        known = {pid for info in (bundle.top.info, *bundle.infos) for pid in info.process_ids}
        while workflow.spec.name not in known and getattr(workflow, "parent_workflow", None) is not None:
            workflow = workflow.parent_workflow
        return str(workflow.spec.name)

    def user_task_info(self, bundle: Bundle, task: Any) -> UserTaskInfo | None:
        info = self.info_for(bundle, self.process_key_of(bundle, task.workflow))
        return info.user_tasks.get(task.task_spec.bpmn_id)

    def evaluate_properties(self, properties: Mapping[str, str], task: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, raw in properties.items():
            if "${" in raw or "#{" in raw:
                try:
                    with executions.on_task(task, read_only=True):
                        value = expression.evaluate(raw, task.data, now=spiff_support.current_now())
                    out[name] = _json_value(value)
                except ExpressionError:
                    out[name] = None
            else:
                out[name] = raw
        return out

    # -- internals -------------------------------------------------------------------------------
    def _check_size(self, variables: Mapping[str, Any], what: str) -> None:
        """Refuse variables whose JSON is larger than the limit: every completion copies them.

        Submitted variables are a form problem (422 naming ``variables``); an instance whose
        variables grew past the limit in a step is a process error (422, nothing stored).
        """
        size = len(json.dumps(variables, separators=(",", ":"), default=str).encode())
        limit = self.max_variables_bytes
        if size <= limit:
            return
        message = f"{what} take {size} bytes as JSON; at most {limit} are allowed"
        if what.startswith("the submitted"):
            raise FormValidationError([Problem(message, field="")])
        raise ProcessError(message)

    def _load(self, state: Mapping[str, Any]) -> tuple[BpmnWorkflow, Bundle, str | None]:
        if state.get("format") != STATE_FORMAT:
            raise EngineError(f"unknown state format {state.get('format')!r}")
        bundle = self.library.bundle(state["process"], state["version"], state.get("pins"))
        workflow = serialization.live_workflow(state, bundle.top.spec, bundle.subprocess_specs)
        if workflow is None:
            workflow = serialization.restore(
                state["workflow"], bundle.top.spec, dict(bundle.subprocess_specs)
            )
        workflow.script_engine = self.script_engine
        _bind_identity(workflow, state.get("instanceId"), state.get("businessKey"), bundle)
        scopes.seed_legacy(workflow, _legacy_variables)
        return workflow, bundle, state.get("businessKey")

    @staticmethod
    def _find_task(workflow: BpmnWorkflow, task_id: str) -> Any:
        try:
            uid = UUID(str(task_id))
        except ValueError:
            return None
        try:
            return workflow.get_task_from_id(uid)
        except Exception:  # noqa: BLE001 - the library raises a bare TaskNotFoundException
            return None

    @staticmethod
    def _is_timer(task: Any) -> bool:
        return any(isinstance(d, TimerEventDefinition) for _, d in _definitions_by_element(task))

    def _message_waits(self, workflow: BpmnWorkflow, tasks: list[Any] | None = None) -> list[MessageWait]:
        waits = []
        for task in _all_tasks(workflow) if tasks is None else tasks:
            if task.state != TaskState.WAITING:
                continue
            for element, definition in _definitions_by_element(task):
                if isinstance(definition, MessageEventDefinition):
                    if definition.name is None:
                        continue
                    name = signals.evaluated_name(definition, task.data, element, "message")
                    waits.append(MessageWait(name, element, str(task.id)))
        for scope, _spec_name, start_spec in _event_subprocess_message_starts(workflow):
            if start_spec.event_definition.name is None:
                continue
            listening = any(
                t.state == TaskState.WAITING and t.task_spec.name == start_spec.name
                for sub in workflow.subprocesses.values()
                if sub.parent_workflow is scope
                for t in sub.tasks.values()
            )
            if listening:
                continue  # its start event waits already, counted above
            name = signals.evaluated_name(
                start_spec.event_definition, _scope_data(scope), start_spec.bpmn_id, "message"
            )
            waits.append(MessageWait(name, start_spec.bpmn_id, str(scope.task_tree.id)))
        return waits

    @staticmethod
    def _signal_waits(workflow: BpmnWorkflow, tasks: list[Any]) -> list[signals.SignalWait]:
        waits = signals.event_subprocess_waits(workflow)
        for task in tasks:
            if task.state == TaskState.WAITING:
                waits.extend(signals.waits_of(task, _definitions_by_element(task)))
        return waits

    def _timers(self, workflow: BpmnWorkflow, tasks: list[Any] | None = None) -> list[PendingTimer]:
        timers = []
        for task in _all_tasks(workflow) if tasks is None else tasks:
            if task.state != TaskState.WAITING:
                continue
            for element, definition in _definitions_by_element(task):
                if not isinstance(definition, TimerEventDefinition):
                    continue
                due = _parse_due(task.internal_data.get("event_value"))
                if due is None:
                    continue
                kind = "cycle" if isinstance(definition, CycleTimerEventDefinition) else "timer"
                timers.append(PendingTimer(str(task.id), element, due, kind))
        timers.sort(key=lambda t: (t.due_at, t.element_id or ""))
        return timers

    def _open_task(self, bundle: Bundle, task: Any, now: datetime) -> OpenTask:
        info = self.user_task_info(bundle, task)
        meta = task.internal_data.get(_META)
        if meta is None:
            meta = self._evaluate_task_meta(info, task, now)
            task.internal_data[_META] = meta
        spec = task.task_spec
        # Our reading honours flowNodeRef of nodes inside embedded subprocesses; the library gives them the
        # subprocess's lane.
        lane = (info.lane if info else None) or getattr(spec, "lane", None)
        return OpenTask(
            id=str(task.id),
            element_id=spec.bpmn_id,
            name=meta.get("name")
            or getattr(spec, "bpmn_name", None)
            or (info.name if info else spec.bpmn_id),
            lane=lane,
            candidate_groups=tuple(meta.get("candidateGroups") or ()),
            assignee=meta.get("assignee"),
            due_at=_parse_due(meta.get("dueAt")),
            form=info.form if info else (),
            process_id=self.process_key_of(bundle, task.workflow),
            created_at=_parse_due(meta.get("createdAt")) or now,
            candidate_users=tuple(meta.get("candidateUsers") or ()),
            follow_up_at=_parse_due(meta.get("followUpAt")),
            priority=meta.get("priority", DEFAULT_TASK_PRIORITY),
        )

    def _evaluate_task_meta(self, info: UserTaskInfo | None, task: Any, now: datetime) -> dict[str, Any]:
        element = task.task_spec.bpmn_id

        def value(raw: str | None) -> Any:
            if not raw:
                return None
            if "${" in raw or "#{" in raw:
                try:
                    with executions.on_task(task, read_only=True):
                        return _json_value(expression.evaluate(raw, task.data, now=now))
                except ExpressionError:
                    return None
            return raw

        meta: dict[str, Any] = {"createdAt": now.isoformat()}
        if info is None:
            return meta
        if info.name and ("${" in info.name or "#{" in info.name):
            named = value(info.name)  # a composite name such as "My Task ${loopCounter}"
            meta["name"] = str(named) if named is not None else None
        meta["assignee"] = _checked_assignee(element, value(info.assignee))
        groups: list[str] = []
        for raw in info.candidate_groups:
            groups.extend(_checked_groups(element, value(raw)))
        meta["candidateGroups"] = groups
        users: list[str] = []
        for raw_user in info.candidate_users:
            users.extend(_checked_groups(element, value(raw_user), "candidate user"))
        meta["candidateUsers"] = users
        for key, raw_date, what in (
            ("dueAt", info.due_date, "due date"),
            ("followUpAt", info.follow_up_date, "follow-up date"),
        ):
            when = value(raw_date)
            if when is not None and not isinstance(when, str):
                raise ProcessError(
                    f"{element}: the {what} is a {type(when).__name__}, not a date or duration"
                )
            if isinstance(when, str) and when:
                try:
                    if expression.is_iso_timer_literal(when) and when.upper().startswith("P"):
                        parsed = TimerEventDefinition.parse_iso_duration(when)
                        at = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
                        meta[key] = _in_range(at).isoformat()
                    else:
                        parsed_at = _parse_due(when)
                        meta[key] = parsed_at.isoformat() if parsed_at else None
                except (ValueError, OverflowError) as exc:
                    raise ProcessError(f"{element}: the {what} '{when[:100]}' is out of range") from exc
        meta["priority"] = _checked_priority(element, value(info.priority))
        return meta

    def _variables(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The process variables: the process instance's one set of variables (engine/scopes.py).

        While an activity with input parameters waits, its local variables are listed too (Camunda's
        variable instance query finds them on the activity's execution).
        """
        variables = dict(scopes.variables_of(workflow))
        if not workflow.is_completed():
            variables.update(scopes.open_locals(workflow))
        return _json_dict(variables)

    def _result(
        self,
        workflow: BpmnWorkflow,
        bundle: Bundle,
        business_key: str | None,
        step: _Step,
        now: datetime,
        *,
        completed_task: Any = None,
        terminated: bool = False,
        describe_only: bool = False,
    ) -> StepResult:
        tasks = _all_tasks(workflow)
        open_tasks = [self._open_task(bundle, t, now) for t in _open_user_tasks(workflow, tasks)]

        def opened_at(task: Any) -> datetime:
            return _parse_due(task.internal_data.setdefault(_EXTERNAL_OPENED, now.isoformat())) or now

        open_external = external_tasks.open_tasks(tasks, opened_at)
        events = list(step.events)
        if not describe_only:
            if completed_task is not None:
                events.append(
                    DomainEvent(
                        "taak-afgerond",
                        completed_task.task_spec.bpmn_id,
                        {"taskId": str(completed_task.id), "elementId": completed_task.task_spec.bpmn_id},
                    )
                )
            for task in open_tasks:
                if task.id not in step.open_before:
                    events.append(
                        DomainEvent(
                            "taak-aangemaakt",
                            task.element_id,
                            {"taskId": task.id, "elementId": task.element_id, "lane": task.lane},
                        )
                    )
        variables = self._variables(workflow)
        if not (describe_only or terminated):
            self._check_size(variables, "the instance's variables")
        completed = workflow.is_completed()
        status = "terminated" if terminated else ("completed" if completed else "active")
        if status == "completed" and not step.completed_before and not describe_only:
            events.append(DomainEvent("proces-afgerond", bundle.top.key, {}))
            step.audit.append(AuditRecord("completed", bundle.top.key, step.actor, {}))
        active = []
        for task in tasks:
            if not task.state & _OPEN:
                continue
            element = getattr(task.task_spec, "bpmn_id", None)
            if element and element not in active:
                active.append(element)
        if self.prune_state and not describe_only:
            if status == "active":
                pruning.prune(workflow)
            elif not step.completed_before:
                pruning.prune_finished(workflow)
        state = {
            "format": STATE_FORMAT,
            "process": bundle.top.key,
            "version": bundle.top.version,
            "pins": {**dict(workflow.data.get(spiff_support.DYNAMIC_CALLS) or {}), **dict(bundle.pins)},
            "businessKey": business_key,
            "workflow": serialization.dump(workflow),
        }
        identity = executions.identity_of(workflow)
        if identity is not None and identity.instance_id is not None:
            state["instanceId"] = identity.instance_id
        return StepResult(
            state=state,
            status=status,
            process_key=bundle.top.key,
            version=bundle.top.version,
            variables=variables,
            open_tasks=tuple(open_tasks),
            timers=tuple(self._timers(workflow, tasks)) if status == "active" else (),
            message_waits=tuple(self._message_waits(workflow, tasks)) if status == "active" else (),
            signal_waits=tuple(self._signal_waits(workflow, tasks)) if status == "active" else (),
            external_tasks=tuple(open_external) if status == "active" else (),
            signals=tuple(step.thrown_signals),
            business_key=business_key,
            index_kinds=self.index_kinds(bundle),
            events=tuple(events),
            active_elements=tuple(active) if status == "active" else (),
            audit=tuple(step.audit),
            at=now,
            workflow=None if describe_only else workflow,
        )


def _bind_identity(
    workflow: BpmnWorkflow, instance_id: str | None, business_key: str | None, bundle: Bundle
) -> None:
    """What ``execution.id``, ``processBusinessKey`` and ``processDefinitionId`` read in this workflow."""
    definition = f"{bundle.top.key}:{bundle.top.version}"
    executions.bind(workflow, executions.Identity(instance_id, business_key, definition))


class _SpecHolder:
    """Looks like a task to the helpers that read its spec."""

    def __init__(self, task_spec: Any) -> None:
        self.task_spec = task_spec


def _spec_name(spec: Any) -> str | None:
    return getattr(spec, "bpmn_name", None)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _json_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in data.items() if not k.startswith("_")}
