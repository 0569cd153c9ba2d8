"""Separation minima agreed between parties: how far apart in space and time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from deconflict.geo.errors import InputError
from deconflict.geo.pieces import MAX_MINIMUM_M

MAX_VERTICAL_MINIMUM_M = 5_000.0
MAX_TIME_MINIMUM_S = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class Minima:
    """Two things are in conflict when closer than *all three* of these at once.

    horizontal, vertical: metres; time: seconds between their time windows. A gap equal
    to the minimum is clear (touching is not overlapping), so all-zero minima mean
    "no shared airspace at the same instant", the ASTM F3548 strategic rule.
    """

    horizontal: float = 0.0
    vertical: float = 0.0
    time: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.horizontal <= MAX_MINIMUM_M):
            raise InputError(
                f"horizontal minimum {self.horizontal:g} m is out of range "
                f"(0 … {MAX_MINIMUM_M / 1000:g} km)",
                field="horizontal",
            )
        if not (0.0 <= self.vertical <= MAX_VERTICAL_MINIMUM_M):
            raise InputError(
                f"vertical minimum {self.vertical:g} m is out of range (0 … 5 km)", field="vertical"
            )
        if not (0.0 <= self.time <= MAX_TIME_MINIMUM_S):
            raise InputError(
                f"time buffer {self.time:g} s is out of range (0 … 6 h)", field="time_buffer"
            )


ZERO = Minima()
"""Bare overlap: what zones and lines use (their outline already is the keep-out)."""


@dataclass(frozen=True)
class SeparationPolicy:
    """Minima per unordered party pair, a default, and who checks against themselves."""

    default: Minima = ZERO
    pairs: dict[frozenset[str], Minima] = field(default_factory=dict)
    self_checking: frozenset[str] = frozenset()
    """Parties that asked for their own operations to be checked against each other."""

    def between(self, party_a: str, party_b: str) -> Minima | None:
        """The minima that apply, or None when the two never conflict (same party)."""
        if party_a == party_b and party_a not in self.self_checking:
            return None
        return self.pairs.get(frozenset((party_a, party_b)), self.default)

    def widest_for(self, party: str, others: Iterable[str] = ()) -> Minima:
        """The largest minima `party` has with anyone: the margin an index probe needs."""
        candidates = [self.default]
        candidates += [m for key, m in self.pairs.items() if party in key]
        candidates += [m for p in others if (m := self.between(party, p)) is not None]
        return Minima(
            max(m.horizontal for m in candidates),
            max(m.vertical for m in candidates),
            max(m.time for m in candidates),
        )
