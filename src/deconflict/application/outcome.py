"""What a write use case answers, and how conflicts are sorted into blocking or not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deconflict.engine.conflict import Conflict, Report
from deconflict.geo.declaration import Declaration, Kind
from deconflict.model.errors import AlreadyExists
from deconflict.model.operation import Operation


@dataclass(frozen=True)
class Decision:
    """An accepted write: the operation as stored, and the conflicts that did not block.

    `replayed` is True when this answers a retry of a request already applied.
    """

    operation: Operation
    report: Report | None
    overridden: tuple[str, ...] = ()
    replayed: bool = False
    document: Mapping[str, Any] | None = field(default=None, compare=False)
    """The operation's GeoJSON, when the use case made it already (for the answer)."""


@dataclass(frozen=True)
class Sorted:
    """A report's conflicts by consequence."""

    blocking: tuple[Conflict, ...]
    """Against another party's operation of equal or higher priority: refused."""
    overriding: tuple[Conflict, ...]
    """Against a lower-priority operation: accepted over it; its party is told."""
    zones: tuple[Conflict, ...]
    """Inside another party's binding zone or line: pending until that party agrees."""


def sort_conflicts(report: Report, declaration: Declaration) -> Sorted:
    blocking, overriding, zones = [], [], []
    for conflict in report.conflicts:
        if conflict.other_kind is not Kind.OPERATION:
            zones.append(conflict)
        elif declaration.priority > conflict.other_priority:
            overriding.append(conflict)
        else:
            blocking.append(conflict)
    return Sorted(tuple(blocking), tuple(overriding), tuple(zones))


def _duration(conflict: Conflict) -> float:
    return sum(max(e.end - e.start, 0.0) for e in conflict.encounters)


def not_worse(new: Conflict, old: Iterable[Conflict]) -> bool:
    """Whether `new` is a conflict the old version already had, and no worse: no closer
    horizontally or vertically, and no longer in time."""
    for before in old:
        if before.other != new.other:
            continue
        return (
            new.min_horizontal_gap >= before.min_horizontal_gap - 1e-6
            and new.min_vertical_gap >= before.min_vertical_gap - 1e-6
            and _duration(new) <= _duration(before) + 1e-6
        )
    return False


def taken(kind: str, ident: str) -> AlreadyExists:
    """The refusal of an id already in use: the same words whoever holds it.

    Ids are one namespace for every party, so a refused id does tell the caller that it
    is in use; the answer tells nothing more: not whose it is (another party's object
    outside the caller's area of interest would otherwise show through), nor whether it
    is live or ended (docs/api.md, "Ids").
    """
    return AlreadyExists(
        f"{kind} id {ident!r} is taken: choose another",
        id=ident,
        pointer="/features/0/id" if kind == "operation" else "/geojson/features/0/id",
    )
