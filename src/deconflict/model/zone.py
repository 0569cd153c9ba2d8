"""Zones and deconfliction lines as the hub keeps them: versioned, binding once accepted."""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.geo.declaration import Declaration


@dataclass(frozen=True)
class Zone:
    """One version of a party's zone or line.

    A zone that binds other parties (a shared line along a river) only becomes binding
    when every party in `binds` has accepted this version.
    """

    id: str
    party: str
    version: int
    declaration: Declaration
    created_at: float
    binds: tuple[str, ...] = ()
    accepted_by: tuple[str, ...] = ()
    withdrawn: bool = False

    @property
    def binding(self) -> bool:
        return not self.withdrawn and all(p in self.accepted_by for p in self.binds)
