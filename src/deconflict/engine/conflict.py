"""What a check finds: encounters between pieces, grouped into conflicts per declaration.

Encounters and conflicts are named tuples, not frozen dataclasses: a check near a busy
route makes a few hundred of each, and a tuple is made ten times faster (no attribute
set one by one through `object.__setattr__`), which was a quarter of such a check.
Both are immutable all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from deconflict.geo.declaration import Kind
from deconflict.geo.separation import Minima
from deconflict.geo.units import format_time

if TYPE_CHECKING:
    import shapely

    from deconflict.engine.resolution import Suggestion


class Encounter(NamedTuple):
    """One place where a volume of the new declaration meets a volume of another.

    Gaps are signed (negative: overlapping on that axis). `start`–`end` is when the
    conflict holds: the shared time if the windows overlap, otherwise the too-short
    break between them.
    """

    volume: int
    other_volume: int
    horizontal_gap: float
    vertical_gap: float
    time_gap: float
    start: float
    end: float
    lon: float
    lat: float
    area: shapely.Geometry | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (gaps below zero reported as 0: overlapping)."""
        return {
            "volume": self.volume,
            "other_volume": self.other_volume,
            "horizontal_gap_m": round(max(self.horizontal_gap, 0.0), 1),
            "vertical_gap_m": round(max(self.vertical_gap, 0.0), 1),
            "time_gap_s": round(max(self.time_gap, 0.0), 1),
            "start": format_time(self.start),
            "end": format_time(self.end),
            "position": [round(self.lon, 6), round(self.lat, 6)],
        }


class Conflict(NamedTuple):
    """The new declaration against one other party's declaration."""

    declaration: str
    other: str
    other_party: str
    other_kind: Kind
    other_priority: int
    minima: Minima
    encounters: tuple[Encounter, ...]

    @property
    def first(self) -> Encounter:
        """The encounter that starts earliest."""
        return min(self.encounters, key=lambda e: (e.start, e.horizontal_gap))

    @property
    def worst(self) -> Encounter:
        """Where the two come closest horizontally (then vertically, then longest in time)."""
        return min(self.encounters, key=lambda e: (e.horizontal_gap, e.vertical_gap, e.time_gap))

    @property
    def min_horizontal_gap(self) -> float:
        """Smallest horizontal gap in metres (0 when they overlap)."""
        return max(min(e.horizontal_gap for e in self.encounters), 0.0)

    @property
    def min_vertical_gap(self) -> float:
        """Smallest vertical gap in metres (0 when the bands overlap)."""
        return max(min(e.vertical_gap for e in self.encounters), 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "declaration": self.declaration,
            "other": self.other,
            "other_party": self.other_party,
            "other_kind": str(self.other_kind),
            "other_priority": self.other_priority,
            "minima": {
                "horizontal_m": self.minima.horizontal,
                "vertical_m": self.minima.vertical,
                "time_s": self.minima.time,
            },
            "min_horizontal_gap_m": round(self.min_horizontal_gap, 1),
            "min_vertical_gap_m": round(self.min_vertical_gap, 1),
            "first": self.first.as_dict(),
            "worst": self.worst.as_dict(),
            "encounters": len(self.encounters),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a check says about one declaration."""

    declaration: str
    party: str
    conflicts: tuple[Conflict, ...]
    suggestions: tuple[Suggestion, ...] = field(default=())

    @property
    def clear(self) -> bool:
        return not self.conflicts

    def as_dict(self) -> dict[str, Any]:
        return {
            "declaration": self.declaration,
            "party": self.party,
            "clear": self.clear,
            "conflicts": [c.as_dict() for c in self.conflicts],
            "suggestions": [s.as_dict() for s in self.suggestions],
        }
