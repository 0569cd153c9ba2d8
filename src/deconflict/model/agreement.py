"""What two parties agreed: separation minima and how much notice each owes the other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from deconflict.geo.errors import InputError
from deconflict.geo.separation import Minima, SeparationPolicy

MAX_MINIMUM_NOTICE_S = 30 * 86400.0
"""A month: more notice than this is no working arrangement between duty desks (and a
bound keeps absurd values, 1e300 s, out of the arithmetic of every submission)."""


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """The arrangement between two parties."""

    parties: frozenset[str]
    minima: Minima
    minimum_notice_s: float = 0.0
    """An operation starting sooner than this after its submission is `late notice`."""

    def check(self) -> None:
        """Refuse values no arrangement has (checked where agreements are made, not where
        stored ones are read back: a row written before a bound must still load)."""
        if not (0.0 <= self.minimum_notice_s <= MAX_MINIMUM_NOTICE_S):
            raise InputError(
                f"minimum notice {self.minimum_notice_s:g} s is out of range (0 … 30 days)",
                field="minimum_notice",
            )


def separation_policy(
    agreements: Iterable[PairAgreement], default: Minima | None = None
) -> SeparationPolicy:
    """The engine's view of all agreements: minima per pair."""
    return SeparationPolicy(default or Minima(), {a.parties: a.minima for a in agreements})
