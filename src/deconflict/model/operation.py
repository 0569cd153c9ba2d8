"""An operation as the hub keeps it: a declaration plus state, version and hub timestamps."""

from __future__ import annotations

from dataclasses import dataclass, field

from deconflict.geo.declaration import Declaration
from deconflict.model.operation_state import IN_FORCE, OperationState


@dataclass(frozen=True)
class Operation:
    """One version of a planned air operation.

    `submitted_at` and `updated_at` are the hub's clock, never the client's: they decide
    late notice and answer "who knew what, when".
    """

    id: str
    party: str
    version: int
    state: OperationState
    declaration: Declaration
    submitted_at: float
    updated_at: float
    late_notice: tuple[str, ...] = ()
    """Parties that were given less notice than agreed."""
    overridden_by: tuple[str, ...] = field(default=())
    """Higher-priority operations accepted over this one, which its party must be told."""
    awaiting: tuple[str, ...] = ()
    """Parties whose zones it enters and who have not yet acknowledged it (while pending)."""

    @property
    def priority(self) -> int:
        return self.declaration.priority

    @property
    def in_force(self) -> bool:
        """Whether it occupies its airspace (and so is checked against)."""
        return self.state in IN_FORCE
