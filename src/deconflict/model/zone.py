"""Zones and deconfliction lines as the hub keeps them: versioned, binding once accepted."""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.geo.declaration import Declaration


@dataclass(frozen=True)
class Zone:
    """The latest version of a party's zone or line, and the version in force.

    A zone that binds other parties (a shared line along a river) only takes effect when
    every party in `binds` has accepted the version; until then the previously accepted
    version (`in_force`) stays in force, so a proposed change never opens a gap.
    """

    id: str
    party: str
    version: int
    declaration: Declaration
    created_at: float
    binds: tuple[str, ...] = ()
    accepted_by: tuple[str, ...] = ()
    withdrawn: bool = False
    in_force: Declaration | None = None
    in_force_version: int | None = None

    @property
    def fully_accepted(self) -> bool:
        """Whether every bound party accepted the latest version."""
        return all(p in self.accepted_by for p in self.binds)
