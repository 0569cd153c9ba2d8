"""Domain errors: what a use case refuses, named so `api/problems.py` can map them once.

DomainError
 ├── NotFound            no such object (or not visible to the caller)
 ├── NotAllowed          the caller may not do this to this object (another party's)
 ├── StaleVersion        optimistic concurrency: the object changed since it was read
 ├── InvalidTransition   the state machine does not allow this change
 ├── IdempotencyMismatch a retried key came with a different request
 └── Rejected            the plan conflicts; carries the engine's report
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal a use case can make."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    """The request is well-formed but cannot be done as asked."""


class AlreadyExists(DomainError):
    """An object with this id exists already."""


class NotFound(DomainError):
    """No such object, or one the caller is not allowed to know exists."""


class NotAllowed(DomainError):
    """The caller's party may not do this (e.g. change another party's operation)."""


class StaleVersion(DomainError):
    """The caller's version is not the current one: re-read, then retry."""


class InvalidTransition(DomainError):
    """The operation's state does not allow this change."""


class IdempotencyMismatch(DomainError):
    """The same idempotency key was used for a different request."""


class Rejected(DomainError):
    """The submission conflicts with other parties' plans; `details["reports"]` says how."""
