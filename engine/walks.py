"""SpiffWorkflow 3.2's task-tree walks, the same tasks in the same order, for less CPU (installed once).

Every engine step walks the task tree many times: ``BpmnWorkflow._do_engine_steps`` asks each
active sub-process and then the whole instance for its READY tasks until nothing runs, each task
completion walks the tree for WAITING tasks (``Workflow.update_waiting_tasks``), ``is_completed``
looks for an unfinished task, and a parallel gateway looks for its own tasks. The library walks
with ``TaskIterator``: a generic filter object per task, a list shifted at its head for every task,
and the parent and children of every task looked up by UUID (``UUID.__hash__`` is Python code), partly
only to keep count of the depth. These walks were half of the engine's time in a step of the year.

:func:`walk` visits the tree as the library's iterator does, depth first, children in their order
and a sub-process's tree before the children of the task that holds it, and keeps the library's
rules exactly: it does not go below a task in a state under the filter's lowest state (below a
predicted task, unless predicted tasks are asked for), stops at ``end_at_spec`` and at
``max_depth`` as counted by the library (its count is kept from the depth of each task in its own
tree, which is what the library's count comes to), reads a task's children when it takes the
task, before handing it out (a caller that changes the tree while walking sees what it would have
seen), and filters with the same tests. ``tests/engine/test_walks.py`` compares it with the
library's iterators task by task on the shipped diagrams and the Camunda corpus, with small depth
limits too.

:func:`install` puts the walk under ``get_tasks``, ``get_next_task``, ``update_waiting_tasks``,
``is_completed`` and the end join's threshold of the BPMN workflow classes; :func:`library_walks`
runs the enclosed code with the library's own methods (for the comparison tests).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter
from SpiffWorkflow.util.task import TaskFilter, TaskIterator, TaskState

__all__ = ["install", "library_walks", "walk"]

_MAYBE = TaskState.MAYBE
_FUTURE = TaskState.FUTURE
_COMPLETED = TaskState.COMPLETED
_FINISHED_MASK = TaskState.FINISHED_MASK
_PREDICTED_MASK = TaskState.PREDICTED_MASK
_DEFINITE_MASK = TaskState.DEFINITE_MASK
_WAITING = TaskState.WAITING
_NOT_FINISHED_MASK = TaskState.NOT_FINISHED_MASK

_use_library: contextvars.ContextVar[bool] = contextvars.ContextVar("engine_library_walks", default=False)


@contextlib.contextmanager
def library_walks() -> Iterator[None]:
    """Run the enclosed code with SpiffWorkflow's own walks (the comparison tests run both)."""
    token = _use_library.set(True)
    try:
        yield
    finally:
        _use_library.reset(token)


def _min_state(state: int) -> int:
    """The lowest state below which the library's iterator does not descend (``TaskIterator.__init__``)."""
    if state & _PREDICTED_MASK:
        return _MAYBE
    if state & _DEFINITE_MASK:
        return _FUTURE
    return _COMPLETED


def _chain_length(task: Any) -> int:
    """How many ancestors the library finds above ``task`` (``parent`` until None)."""
    count = 0
    parent = task.parent
    while parent is not None:
        count += 1
        parent = parent.parent
    return count


def _matcher(task_filter: Any) -> Callable[[Any], bool]:
    """The filter's ``matches`` as a plain test when only its plain fields are set."""
    cls = type(task_filter)
    if cls not in (TaskFilter, BpmnTaskFilter):
        return task_filter.matches  # type: ignore[no-any-return]
    if cls is BpmnTaskFilter and (task_filter.catches_event is not None or task_filter.lane is not None):
        return task_filter.matches  # type: ignore[no-any-return]
    if task_filter.spec_class is not None:
        return task_filter.matches  # type: ignore[no-any-return]
    state, since = task_filter.state, task_filter.updated_ts
    manual, name = task_filter.manual, task_filter.spec_name
    if manual is None and name is None:
        return lambda t: bool(t._state & state) and t.last_state_change >= since
    if manual is None:
        return lambda t: bool(t._state & state) and t.last_state_change >= since and t.task_spec.name == name
    if name is None:
        return lambda t: (
            bool(t._state & state) and t.last_state_change >= since and t.task_spec.manual == manual
        )
    return task_filter.matches  # type: ignore[no-any-return]


def walk(
    start: Any,
    task_filter: Any,
    *,
    into_subprocesses: bool,
    end_at_spec: str | None = None,
    max_depth: int = 1000,
    skip_subprocesses: bool = False,
) -> Iterator[Any]:
    """The tasks ``TaskIterator`` (``into_subprocesses=False``) or ``BpmnTaskIterator`` would yield.

    Depth first only (the library's default and all it uses). The library's depth count goes up by
    one for every task it descends from, so it stays under the number of tasks taken so far: while
    that number is under ``max_depth`` the count cannot stop the walk and is not kept. Past it (a
    tree of ``max_depth`` tasks or more), it is kept as the library keeps it (:func:`_counted`).
    """
    matches = _matcher(task_filter)
    filter_state = task_filter.state
    min_state = _min_state(filter_state)
    if not into_subprocesses:
        return _uncounted(start, matches, min_state, filter_state, {}, end_at_spec, False, max_depth)
    subprocesses = start.workflow.top_workflow.subprocesses
    size = len(start.workflow.tasks) + sum(len(sub.tasks) for sub in subprocesses.values())
    if size < max_depth:  # the walk takes each task once at most
        return _uncounted(
            start, matches, min_state, filter_state, subprocesses, end_at_spec, skip_subprocesses
        )
    return _counted(
        matches,
        min_state,
        filter_state,
        subprocesses,
        end_at_spec,
        skip_subprocesses,
        max_depth,
        [start],
        [_chain_length(start)],
        [True],
        0,
    )


def _uncounted(
    start: Any,
    matches: Callable[[Any], bool],
    min_state: int,
    filter_state: int,
    subprocesses: dict[Any, Any],
    end_at_spec: str | None,
    skip_subprocesses: bool,
    limit: int | None = None,
) -> Iterator[Any]:
    """The walk while the library's depth count cannot reach its limit.

    ``limit`` (this workflow's own tree only): after that many tasks, go on counting the depth.
    """
    stack = [start]
    pop, extend = stack.pop, stack.extend
    taken = 0
    holders: dict[int, Any] = {}
    if subprocesses:  # by the ids' numbers: a UUID's own hash is Python code (none is added meanwhile)
        holders = {key.int: sub for key, sub in subprocesses.items()}
    while stack:
        if limit is not None and taken >= limit:
            # in a workflow's own tree the library's count is each task's depth below the start
            base = _chain_length(start)
            depths = [_chain_length(task) for task in stack]
            yield from _counted(
                matches,
                min_state,
                filter_state,
                subprocesses,
                end_at_spec,
                skip_subprocesses,
                limit,
                stack,
                depths,
                [True] * len(stack),
                depths[-1] - base,
            )
            return
        task = pop()
        taken += 1
        subprocess = holders.get(task.id.int) if holders else None
        if subprocess is None:
            if task._children and task._state >= min_state and task.task_spec.name != end_at_spec:
                lookup = task.workflow.tasks.get
                extend([lookup(child_id) for child_id in reversed(task._children)])
        elif task.task_spec.name != end_at_spec:
            lookup = task.workflow.tasks.get
            extend([lookup(child_id) for child_id in reversed(task._children)])
            if not (skip_subprocesses or (task._state >= _FINISHED_MASK and filter_state <= _FINISHED_MASK)):
                stack.append(subprocess.task_tree)
        if matches(task):
            yield task


def _counted(
    matches: Callable[[Any], bool],
    min_state: int,
    filter_state: int,
    subprocesses: dict[Any, Any],
    end_at_spec: str | None,
    skip_subprocesses: bool,
    max_depth: int,
    tasks: list[Any],
    depths: list[int],
    as_child: list[bool],
    depth: int,
) -> Iterator[Any]:
    """The walk keeping the library's depth count.

    The stacks hold, per task still to take: the task, its depth in its own tree (its ancestors),
    and whether it was put there as a child (False: the root of a sub-process's tree). At a task
    it does not descend from, the library counts down the ancestors between it and the parent of
    the next task, or all its ancestors when that parent is not above it (the walk comes back out
    of a sub-process's tree): ``d(task) - d(next)`` or ``d(task)``.
    """
    pop_task, pop_depth, pop_child = tasks.pop, depths.pop, as_child.pop
    while tasks:
        task = pop_task()
        own = pop_depth()
        pop_child()
        state = task._state
        subprocess = subprocesses.get(task.id) if subprocesses else None
        if (
            (task._children or subprocess is not None)
            and (state >= min_state or subprocess is not None)
            and depth < max_depth
            and task.task_spec.name != end_at_spec
        ):
            lookup = task.workflow.tasks.get
            below = own + 1
            for child_id in reversed(task._children):
                tasks.append(lookup(child_id))
                depths.append(below)
                as_child.append(True)
            if not (
                subprocess is None
                or skip_subprocesses
                or (state >= _FINISHED_MASK and filter_state <= _FINISHED_MASK)
            ):
                root = subprocess.task_tree
                tasks.append(root)
                depths.append(_chain_length(root))
                as_child.append(False)
            depth += 1
        elif tasks:
            if as_child[-1] and tasks[-1].workflow is task.workflow:
                depth -= own - depths[-1]
            else:
                depth -= own
        if matches(task):
            yield task


def _filter_from(kwargs: dict[str, Any]) -> Any:
    task_filter = kwargs.pop("task_filter", None)
    # as the library: filter keywords next to a task_filter are not used
    return task_filter or BpmnTaskFilter(**kwargs)


_WALK_KEYS = {"end_at_spec", "max_depth", "skip_subprocesses"}
_END = object()
_checking = False


@contextlib.contextmanager
def checking() -> Iterator[None]:
    """Every walk in the enclosed code is made twice, ours and the library's, side by side: a task
    out of place raises ``AssertionError`` (the comparison tests; not for production)."""
    global _checking
    before, _checking = _checking, True
    try:
        yield
    finally:
        _checking = before


def _lockstep(ours: Iterator[Any], theirs: Iterator[Any], what: str) -> Iterator[Any]:
    """Hand out our walk's tasks, each checked against the library's next one (both read the tree
    at the same moments: each takes a task and reads its children before handing it out)."""
    count = 0
    for task in ours:
        other = next(theirs, _END)
        if other is not task:
            raise AssertionError(f"{what}: task {count} is {_name(task)}, the library's {_name(other)}")
        count += 1
        yield task
    other = next(theirs, _END)
    if other is not _END:
        raise AssertionError(f"{what}: {count} tasks, the library has more ({_name(other)})")


def _name(task: Any) -> str:
    if task is _END:
        return "none"
    try:
        return f"{task.task_spec.name} {TaskState.get_name(task._state)} {task.id}"
    except AttributeError:
        return repr(task)


def _bpmn_walk(workflow: Any, first_task: Any, kwargs: dict[str, Any]) -> Iterator[Any] | None:
    """``BpmnTaskIterator(first_task or workflow.task_tree, **kwargs)``'s walk; None: the library's."""
    if _use_library.get() or not kwargs.get("depth_first", True):
        return None
    library_kwargs = kwargs
    kwargs = dict(kwargs)
    kwargs.pop("depth_first", None)
    options = {key: kwargs.pop(key) for key in _WALK_KEYS if key in kwargs}
    task_filter = _filter_from(kwargs)
    ours = walk(first_task or workflow.task_tree, task_filter, into_subprocesses=True, **options)
    if _checking:
        from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator

        theirs = BpmnTaskIterator(first_task or workflow.task_tree, **library_kwargs)
        return _lockstep(ours, theirs, f"get_tasks{library_kwargs}")
    return ours


def _get_tasks(original: Any) -> Any:
    def get_tasks(self: Any, first_task: Any = None, **kwargs: Any) -> list[Any]:
        walked = _bpmn_walk(self, first_task, kwargs)
        if walked is None:
            return original(self, first_task, **kwargs)  # type: ignore[no-any-return]
        return list(walked)

    get_tasks.__wrapped__ = original  # type: ignore[attr-defined]
    return get_tasks


def _get_next_task(original: Any) -> Any:
    def get_next_task(self: Any, first_task: Any = None, **kwargs: Any) -> Any:
        walked = _bpmn_walk(self, first_task, kwargs)
        if walked is None:
            return original(self, first_task, **kwargs)
        return next(walked, None)

    get_next_task.__wrapped__ = original  # type: ignore[attr-defined]
    return get_next_task


def _plain_walk(start: Any, state: int, what: str, end_at_spec: str | None = None) -> Iterator[Any]:
    """``TaskIterator(start, state=state, end_at_spec=end_at_spec)``: this workflow's own tree."""
    ours = walk(start, TaskFilter(state=state), into_subprocesses=False, end_at_spec=end_at_spec)
    if _checking:
        return _lockstep(ours, TaskIterator(start, state=state, end_at_spec=end_at_spec), what)
    return ours


def _update_waiting_tasks(original: Any) -> Any:
    """``Workflow.update_waiting_tasks``: the library's plain iterator over this workflow's own tree."""

    def update_waiting_tasks(self: Any) -> None:
        if _use_library.get():
            original(self)
            return
        if not any(task._state == _WAITING for task in self.tasks.values()):
            # the walk would hand out nothing (it only finds tasks of this workflow's tree)
            if _checking:
                for _ in _lockstep(iter(()), TaskIterator(self.task_tree, state=_WAITING), "waiting"):
                    pass
            return
        for task in _plain_walk(self.task_tree, _WAITING, "update_waiting_tasks"):
            task.task_spec._update(task)

    update_waiting_tasks.__wrapped__ = original  # type: ignore[attr-defined]
    return update_waiting_tasks


def _under(task: Any, root: Any, levels: int) -> bool:
    """Whether ``root`` is above ``task`` at most ``levels`` levels up."""
    parent = task.parent
    while parent is not None and levels > 0:
        if parent is root:
            return True
        parent = parent.parent
        levels -= 1
    return False


def _is_completed(original: Any) -> Any:
    """``Workflow.is_completed``: whether the walk from the root finds no unfinished task.

    It finds every task below the root down to its depth limit (predicted tasks included). So when
    the workflow has no unfinished task at all it is completed, and when one of them is below the
    root within the limit it is not; otherwise (a task out of the tree) it walks.
    """

    def is_completed(self: Any) -> bool:
        if _use_library.get() or self.completed:
            return bool(original(self))
        root = self.task_tree
        unfinished = [task for task in self.tasks.values() if task._state & _NOT_FINISHED_MASK]
        known: bool | None = None
        if not unfinished and not root._state & _NOT_FINISHED_MASK:
            known = True
        elif any(task is root or _under(task, root, 1000) for task in unfinished[:3]):
            known = False
        completed = known
        if known is None or _checking:
            completed = next(_plain_walk(root, _NOT_FINISHED_MASK, "is_completed"), None) is None
            assert known is None or known == completed, f"is_completed {known}, the walk {completed}"
        if completed:
            self.completed = True
        return bool(self.completed)

    is_completed.__wrapped__ = original  # type: ignore[attr-defined]
    return is_completed


def _end_join_threshold(original: Any) -> Any:
    """``_EndJoin._check_threshold_unstructured``: fires when no other unfinished task is left."""

    def check(self: Any, my_task: Any) -> bool:
        if _use_library.get():
            return bool(original(self, my_task))
        unfinished = _plain_walk(my_task.workflow.task_tree, _NOT_FINISHED_MASK, "end join", self.name)
        return all(task == my_task for task in unfinished)

    check.__wrapped__ = original  # type: ignore[attr-defined]
    return check


def _runnable(top: Any) -> list[Any]:
    """The READY tasks that are not manual in the workflows of the instance, two at most."""
    ready = TaskState.READY
    found = []
    for workflow in (top, *top.subprocesses.values()):
        for task in workflow.tasks.values():
            if task._state == ready and not task.task_spec.manual:
                found.append(task)
                if len(found) > 1:
                    return found
    return found


def _reached(task: Any, start: Any) -> bool | None:
    """Whether the walk for READY tasks from the tree of workflow ``start`` comes to ``task``.

    Only where the library's depth count cannot stop the walk (fewer tasks than its limit). The walk
    goes below a task in a state from FUTURE on and into the tree of a task that holds a
    sub-process, so ``task`` is reached when each task above it, up to the root of its tree, is
    such a task, that root is its workflow's tree, and that workflow is ``start`` or is held by a
    task reached in the same way. None when that cannot be told (then the caller walks).
    """
    top = start.top_workflow
    subprocesses = top.subprocesses
    if len(top.tasks) + sum(len(sub.tasks) for sub in subprocesses.values()) >= 1000:
        return None
    while True:
        node, parent = task, task.parent
        while parent is not None:
            if parent._state < _FUTURE and parent.id not in subprocesses:
                return False
            node, parent = parent, parent.parent
        workflow = task.workflow
        if node is not workflow.task_tree:
            return False
        if workflow is start:
            return True
        holder_id = workflow.parent_task_id
        if holder_id is None:
            return False  # the top workflow, and ``start`` was not on the way
        if subprocesses.get(holder_id) is not workflow:
            return None
        holder = top.get_task_from_id(holder_id)
        if holder is None:
            return None
        task = holder


def _do_engine_steps(original: Any) -> Any:
    """``BpmnWorkflow._do_engine_steps``, the library's code, where asking a workflow for its READY
    tasks is skipped while no workflow of the instance has a READY task that is not manual: the
    walk would only find manual ones (user tasks), which it leaves."""

    def do_engine_steps(self: Any, will_complete_task: Any = None, did_complete_task: Any = None) -> bool:
        if _use_library.get():
            return bool(original(self, will_complete_task, did_complete_task))

        def update_workflow(wf: Any) -> int:
            count = 0
            runnable = _runnable(self)
            tasks: list[Any] | None = None  # None: walk
            if not runnable:
                tasks = []
            elif len(runnable) == 1:
                # the walk's list would hold this task (when it comes to it) and manual ones it leaves
                reached = _reached(runnable[0], wf)
                if reached is not None:
                    tasks = runnable if reached else []
            if _checking and tasks is not None:
                found = [t for t in wf.get_tasks(state=TaskState.READY) if not t.task_spec.manual]
                assert found == tasks, f"READY {[_name(t) for t in found]}, found {[_name(t) for t in tasks]}"
            if tasks is None:
                tasks = wf.get_tasks(state=TaskState.READY)
            for task in tasks:
                if not task.task_spec.manual:
                    if will_complete_task is not None:
                        will_complete_task(task)
                    task.run()
                    count += 1
                    if did_complete_task is not None:
                        did_complete_task(task)
            return count

        active_subprocesses = self.get_active_subprocesses()
        for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
            count = None
            while count is None or count > 0:
                count = update_workflow(subprocess)
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)

        count = update_workflow(self)
        return count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)

    do_engine_steps.__wrapped__ = original  # type: ignore[attr-defined]
    return do_engine_steps


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.specs.control import _EndJoin
    from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.workflow import Workflow

    BpmnWorkflow._do_engine_steps = _do_engine_steps(BpmnWorkflow._do_engine_steps)  # type: ignore[method-assign]
    BpmnBaseWorkflow.get_tasks = _get_tasks(Workflow.get_tasks)  # type: ignore[method-assign]
    BpmnBaseWorkflow.get_next_task = _get_next_task(Workflow.get_next_task)  # type: ignore[method-assign]
    BpmnBaseWorkflow.update_waiting_tasks = _update_waiting_tasks(  # type: ignore[method-assign]
        Workflow.update_waiting_tasks
    )
    BpmnBaseWorkflow.is_completed = _is_completed(Workflow.is_completed)  # type: ignore[method-assign]
    _EndJoin._check_threshold_unstructured = _end_join_threshold(  # type: ignore[method-assign]
        _EndJoin._check_threshold_unstructured
    )
    _installed = True
