"""Parties, their duty contacts, and what they let others see of their plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import shapely


class DetailLevel(StrEnum):
    """How much of its operations a party shows another (need-to-know)."""

    FULL = "full"
    """Everything the owner wrote: callsign, mission, free properties."""
    VOLUMES = "volumes"
    """Where, how high, when, state and priority; no callsign, mission or other properties."""


@dataclass(frozen=True, slots=True)
class DutyContact:
    """One duty officer or desk of a party (the channel escalates through them)."""

    name: str
    role: str = "duty officer"
    contact: str = ""


@dataclass(frozen=True)
class Party:
    """An organisation with its own duty officers."""

    id: str
    name: str
    languages: tuple[str, ...] = ("en",)
    webhook_url: str | None = None
    duty_contacts: tuple[DutyContact, ...] = ()
    area_of_interest: shapely.Geometry | None = None
    """Lon/lat area where this party needs to see others' plans; None means everywhere."""
    grants: Mapping[str, DetailLevel] = field(default_factory=dict)
    """Detail this party shows each other party; parties not listed get `VOLUMES`."""

    def detail_for(self, viewer: str) -> DetailLevel:
        """What `viewer` may see of this party's operations."""
        if viewer == self.id:
            return DetailLevel.FULL
        return self.grants.get(viewer, DetailLevel.VOLUMES)
