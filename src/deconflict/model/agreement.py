"""What two parties agreed: separation minima and how much notice each owes the other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from deconflict.geo.separation import Minima, SeparationPolicy


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """The arrangement between two parties."""

    parties: frozenset[str]
    minima: Minima
    minimum_notice_s: float = 0.0
    """An operation starting sooner than this after its submission is `late notice`."""


def separation_policy(
    agreements: Iterable[PairAgreement], default: Minima | None = None
) -> SeparationPolicy:
    """The engine's view of all agreements: minima per pair."""
    return SeparationPolicy(default or Minima(), {a.parties: a.minima for a in agreements})
