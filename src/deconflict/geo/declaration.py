"""What a party declares: a zone, a deconfliction line or a planned operation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from deconflict.geo.errors import InputError
from deconflict.geo.route import Route
from deconflict.geo.volume import MAX_DURATION_S, Volume


class Kind(StrEnum):
    """The three things a party puts on the shared map."""

    ZONE = "zone"
    """A zone of operations or restricted area: other parties' operations keep out."""
    LINE = "line"
    """A deconfliction line (a polyline with a buffer each side): nobody else crosses it."""
    OPERATION = "operation"
    """A planned air operation: volumes, or a route compiled into one volume per leg."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """One party's zone, line or operation, made of one or more 4D volumes."""

    id: str
    party: str
    kind: Kind
    volumes: tuple[Volume, ...]
    priority: int = 0
    route: Route | None = None
    """Set when the operation is one route: lets a suggestion offset it sideways."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Everything else the owner wrote (callsign, mission, name), carried through untouched."""

    def __post_init__(self) -> None:
        if not self.volumes:
            raise InputError("it has no volume", feature=self.id)
        if self.kind is Kind.OPERATION and self.end - self.start > MAX_DURATION_S:
            raise InputError(
                f"the operation lasts {(self.end - self.start) / 3600:.2f} h; at most "
                f"{MAX_DURATION_S / 3600:.0f} h (7 days) are allowed",
                feature=self.id,
                field="end",
            )

    def shifted(self, *, seconds: float = 0.0, metres: float = 0.0) -> Declaration:
        """The same declaration later by `seconds` and higher by `metres`."""
        if self.route is not None:
            route = self.route.shifted(seconds=seconds, metres=metres)
            return replace(self, route=route, volumes=route.legs())
        volumes = tuple(
            Volume(v.outline, v.band.shifted(metres), v.window.shifted(seconds))
            for v in self.volumes
        )
        return replace(self, volumes=volumes)

    def offset(self, metres: float) -> Declaration:
        """The route flown `metres` to the right of track (left if negative)."""
        if self.route is None:
            raise ValueError(f"{self.id} is not a route: only routes can be offset")
        route = self.route.offset(metres)
        return replace(self, route=route, volumes=route.legs())

    @property
    def start(self) -> float:
        """Earliest start of any volume (POSIX seconds)."""
        return min(v.window.start for v in self.volumes)

    @property
    def end(self) -> float:
        """Latest end of any volume (POSIX seconds)."""
        return max(v.window.end for v in self.volumes)
