"""Storage's error hierarchy; driver errors are wrapped once, here or in the repository."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class ConflictError(StorageError):
    """Someone else changed the row first (optimistic revision check) or the state forbids the change."""


class DuplicateInstanceError(ConflictError):
    """An active instance with the same process key and business key exists."""


class NotFound(StorageError):
    """No such row (or not visible to the caller)."""


class AmbiguousCorrelationError(ConflictError):
    """A single correlation matched several waits (Camunda's MismatchingMessageCorrelationException)."""
