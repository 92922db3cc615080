"""Keep an instance's stored state bounded: finished tasks nothing will look at again are dropped.

SpiffWorkflow keeps every task it ever created, so a state grows with each completed task and a loop
makes the task tree ever deeper. History lives in the audit trail; the engine only needs the tasks
that can still run and the few finished ones the library reads again. Per (sub-)workflow, and per
branch under the root (an event sub-process hangs off the root beside the main flow):

* every unfinished task (predicted, future, waiting, ready, started, error) stays, with the whole
  subtree of their lowest common ancestor ``L``: the branches of a split in flight, the input threads
  of a join that waits, the children of a multi-instance task or of a boundary-event split;
* ``L``'s nearest :data:`MARGIN` ancestors stay (a join reads its task's parent; a task under a
  boundary-event split reads that split);
* the finished trunk above them goes, with the finished side branches hanging off it;
* except when the library may read it again: a task of a join (parallel or inclusive gateway,
  boundary-event join) whose element can still be reached from an unfinished task keeps its place
  and its parent (the join compares its earlier arrivals with the tree), and so does the
  workflow's ``last_task`` (whose data are the process variables). The cut then moves up above it.
* a sub-process or call activity whose task was dropped is dropped with it (it has finished).

A finished instance keeps its root alone (:func:`prune_finished`).

The tasks below the cut keep their ids, data and order; the first kept task hangs under the root
in place of the dropped trunk. Nothing is pruned from a finished workflow.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from engine import scopes

#: Finished ancestors of the lowest common ancestor of the unfinished tasks that always stay.
MARGIN = 2
_DONE = TaskState.COMPLETED | TaskState.CANCELLED


def prune(workflow: Any) -> int:
    """Drop what nothing needs from ``workflow`` and its sub-workflows; returns how many tasks went."""
    removed = _prune_one(workflow)
    for sub in list(workflow.subprocesses.values()):
        removed += _prune_one(sub)
    removed += _drop_orphan_subprocesses(workflow)
    return removed


def prune_finished(workflow: Any) -> int:
    """A finished instance keeps only its root: nothing runs in it again.

    Its process variables are the store in the workflow's data (``engine.scopes``, read by
    ``Runtime._variables``), and its history is in the audit trail. (A state finished before the
    store existed kept its last task too, whose data were its variables; it is never pruned again.)
    """
    root = workflow.task_tree
    if root is None or root.id not in workflow.tasks or scopes.VARS not in workflow.data:
        return 0
    if any(_unfinished(t) for t in workflow.tasks.values()):
        return 0
    removed = len(workflow.tasks) - 1 + sum(len(sub.tasks) for sub in workflow.subprocesses.values())
    if not removed:
        return 0
    workflow.tasks = {root.id: root}
    root._children = []
    workflow.last_task = None
    workflow.subprocesses.clear()
    return removed


def _unfinished(task: Any) -> bool:
    return not task.state & _DONE


def _prune_one(wf: Any) -> int:
    root = wf.task_tree
    if root is None:
        return 0
    tasks = wf.tasks
    unfinished = [t for t in tasks.values() if not t.state & _DONE]
    if not unfinished:
        return 0
    # every unfinished task and its ancestors below the root, each walked once
    marked: set[int] = set()
    for task in unfinished:
        node = task
        while node is not None and node is not root and id(node) not in marked:
            marked.add(id(node))
            node = node.parent
    reachable: set[Any] | None = None
    removed = 0
    for top in list(root.children):
        if id(top) not in marked:
            continue  # a finished branch (an event sub-process that ran, say): left as it is
        path = _trunk(top, marked)
        if len(path) - 1 - MARGIN <= 0:
            continue
        if reachable is None:
            reachable = _reachable_join_specs(unfinished)
        removed += _prune_branch(wf, root, top, path, reachable)
    return removed


def _trunk(top: Any, marked: set[int]) -> list[Any]:
    """``top`` ... ``L``: down from ``top`` while one finished task leads to every unfinished one below.

    ``L`` is the lowest common ancestor of the branch's unfinished tasks (or one of them itself).
    """
    path = [top]
    node = top
    while node.state & _DONE:
        below = [c for c in node.children if id(c) in marked]
        if len(below) != 1:
            break
        node = below[0]
        path.append(node)
    return path


#: The attribute of a task spec that holds the joins a path from it can reach (specs do not change
#: once parsed: it is worked out once per spec).
_REACHABLE = "_pruning_reachable_joins"


def _reachable_join_specs(unfinished: list[Any]) -> set[Any]:
    """Joins that look at the whole tree and that a path from an unfinished task can still reach.

    Structured joins (boundary-event and start-event joins) look below their split only.
    """
    joins: set[Any] = set()
    seen: set[int] = set()
    for task in unfinished:
        spec = task.task_spec
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        found = getattr(spec, _REACHABLE, None)
        if found is None:
            found = frozenset(_joins_from(spec))
            setattr(spec, _REACHABLE, found)
        joins |= found
    return joins


def _joins_from(start: Any) -> set[Any]:
    seen: set[int] = set()
    joins: set[Any] = set()
    stack = [start]
    while stack:
        spec = stack.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        if isinstance(spec, UnstructuredJoin) or (isinstance(spec, Join) and spec.split_task is None):
            joins.add(spec)
        stack.extend(spec.outputs)
    return joins


def _movable(spec: Any) -> bool:
    """A join that reads an earlier arrival only through the arrival's parent (state, spec, data).

    A parallel gateway and the end join look at every task of their element wherever it is in the
    tree (and skip those that are ancestors of the arriving task); an inclusive gateway walks the
    tree from the root and stops at its own element, so its tasks keep their place.
    """
    return isinstance(spec, ParallelGateway | _EndJoin)


def _prune_branch(wf: Any, root: Any, top: Any, path: list[Any], reachable: set[Any]) -> int:
    """Prune the branch under the root at ``top``, whose trunk down to ``L`` is ``path``."""
    cut = len(path) - 1 - MARGIN  # index of the first task kept under the root
    if cut <= 0:
        return 0
    # What may not go moves the cut up: a pinned task stays with its parent and the path above it.
    rescued: list[Any] = []
    for i in range(cut):
        node = path[i]
        if node is wf.last_task:
            cut = min(cut, i)
        elif node.task_spec in reachable and not _movable(node.task_spec):
            cut = min(cut, i - 1)  # an ancestor of every unfinished task; a parallel join skips those
        else:
            for child in node.children:
                if child is path[i + 1]:
                    continue
                for task in _subtree(child):
                    if task is wf.last_task or (task.task_spec in reachable and not _movable(task.task_spec)):
                        cut = min(cut, i)
                    elif task.task_spec in reachable:
                        rescued.append(task)
        if cut <= i:
            break
    if cut <= 0:
        return 0
    new_top = path[cut]
    doomed = []
    for i in range(cut):
        doomed.append(path[i])
        for child in path[i].children:
            if child is not path[i + 1]:
                doomed.extend(_subtree(child))
    doomed_ids = {id(t) for t in doomed}
    rescued = [t for t in rescued if id(t) in doomed_ids]
    parents = {id(t.parent): t.parent for t in rescued}
    if any(id(t) in parents for t in rescued):
        return 0  # arrivals that hang under one another: left as they are
    keep = {id(t) for t in rescued} | set(parents)
    for task in doomed:
        if id(task) not in keep:
            del wf.tasks[task.id]
    for parent in parents.values():
        # an earlier arrival at a join, with the task it arrived from, hung under the root
        parent._parent = root.id
        parent._children = [t.id for t in rescued if t.parent is parent]
    for task in rescued:
        task._children = []
    moved = [p.id for p in parents.values()]
    root._children = [c for c in root._children if c != top.id and c not in moved] + moved + [new_top.id]
    new_top._parent = root.id
    return len(doomed) - len(keep)


def _subtree(task: Any) -> list[Any]:
    out = []
    stack = [task]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def _drop_orphan_subprocesses(workflow: Any) -> int:
    """Sub-workflows whose task is gone (it finished and was pruned) go too, nested ones with them."""
    removed = 0
    changed = True
    while changed:
        changed = False
        present = set(workflow.tasks)
        for sub in workflow.subprocesses.values():
            present.update(sub.tasks)
        for holder_id in list(workflow.subprocesses):
            if holder_id not in present:
                removed += len(workflow.subprocesses.pop(holder_id).tasks)
                changed = True
    return removed
