"""Operation states and the transitions allowed between them (DESIGN.md, "Operation")."""

from __future__ import annotations

from enum import StrEnum

from deconflict.model.errors import InvalidTransition


class OperationState(StrEnum):
    """Where an operation is in its life. Only `IN_FORCE` states block other plans."""

    PROPOSED = "proposed"
    PENDING = "pending"
    ACCEPTED = "accepted"
    ACTIVATED = "activated"
    NONCONFORMING = "nonconforming"
    CONTINGENT = "contingent"
    ENDED = "ended"
    CANCELLED = "cancelled"


IN_FORCE = frozenset(
    {
        OperationState.PENDING,
        OperationState.ACCEPTED,
        OperationState.ACTIVATED,
        OperationState.NONCONFORMING,
        OperationState.CONTINGENT,
    }
)
"""States in which an operation occupies its airspace and is checked against."""

FINAL = frozenset({OperationState.ENDED, OperationState.CANCELLED})

_ALLOWED: dict[OperationState, frozenset[OperationState]] = {
    OperationState.PROPOSED: frozenset(
        {OperationState.PENDING, OperationState.ACCEPTED, OperationState.CANCELLED}
    ),
    OperationState.PENDING: frozenset({OperationState.ACCEPTED, OperationState.CANCELLED}),
    OperationState.ACCEPTED: frozenset(
        {OperationState.ACTIVATED, OperationState.CANCELLED, OperationState.ENDED}
    ),
    OperationState.ACTIVATED: frozenset(
        {OperationState.ENDED, OperationState.NONCONFORMING, OperationState.CONTINGENT}
    ),
    OperationState.NONCONFORMING: frozenset(
        {OperationState.ACTIVATED, OperationState.CONTINGENT, OperationState.ENDED}
    ),
    OperationState.CONTINGENT: frozenset({OperationState.ENDED}),
    OperationState.ENDED: frozenset(),
    OperationState.CANCELLED: frozenset(),
}


def require_transition(current: OperationState, target: OperationState) -> None:
    """Raise `InvalidTransition` unless `current → target` is allowed."""
    if target not in _ALLOWED[current]:
        allowed = ", ".join(sorted(_ALLOWED[current])) or "none (final state)"
        raise InvalidTransition(
            f"an operation that is {current} cannot become {target} (allowed: {allowed})",
            state=str(current),
            target=str(target),
        )
