"""Workflows kept deserialized between steps, in this process, by (instance id, revision).

A step reads the instance row, rebuilds its SpiffWorkflow workflow from the stored state, runs it and
writes the new state under the revision check. Rebuilding costs about as much as the step itself, so
the workflow a committed step leaves behind is kept here under the revision it was written as. The
next step on that instance reads the row as always; only when the row's revision is the one kept
does it run on the kept workflow instead of a rebuilt one.

Why this never serves stale state:

* an entry is *taken* out when a step uses it, so two steps never share one workflow object; a step
  that fails, conflicts or rolls back never puts it back (its object may be half changed);
* an entry is put back only after the write transaction committed, under the revision written;
* every other writer (another process, a signal delivery, a migration) raises the revision, so the
  entry no longer matches the row and is dropped the next time it is asked for.

With the workflow goes what the committed step wrote of the instance's index rows (its timers and
its message and signal waits, :class:`storage.repository.WrittenIndex`): the rows of that very
revision, so the next step compares with it instead of reading them back. Nothing but a step writes
those rows, and every step raises the revision.

Memory is bounded: at most ``capacity`` workflows, least recently used first out; 0 keeps none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: Default of :attr:`WorkflowCache.capacity` (``INBURGERING_WORKFLOW_CACHE``).
DEFAULT_CAPACITY = 2000


class WorkflowCache:
    """An LRU of live workflows keyed by instance id, each valid for exactly one revision."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 0:
            raise ValueError("the workflow cache capacity cannot be negative")
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[int, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, instance_id: str, revision: int) -> Any | None:
        """The workflow kept for ``instance_id`` at exactly ``revision``, removed from the cache; or None."""
        kept = self.take_kept(instance_id, revision)
        return None if kept is None else kept[0]

    def take_kept(self, instance_id: str, revision: int) -> tuple[Any, Any] | None:
        """(workflow, index rows it wrote) kept for ``instance_id`` at ``revision``, taken out; or None."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is not None and entry[0] == revision:
                self.hits += 1
                return entry[1], entry[2]
            self.misses += 1
            return None

    def keep(self, instance_id: str, revision: int, workflow: Any, index: Any = None) -> None:
        """Keep the workflow a committed step wrote as ``revision`` (never an older one over a newer),
        with the index rows it wrote (None: not known)."""
        if self.capacity == 0 or workflow is None:
            return
        with self._lock:
            kept = self._entries.get(instance_id)
            if kept is not None and kept[0] > revision:
                return
            self._entries[instance_id] = (revision, workflow, index)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def drop(self, instance_id: str) -> None:
        with self._lock:
            self._entries.pop(instance_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
