"""What every use case runs with: the database, the clock, and who is calling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deconflict.model.errors import NotAllowed
from deconflict.store.backend import Database

READ, WRITE, ADMIN = "deconflict.read", "deconflict.write", "deconflict.admin"


@dataclass(frozen=True)
class Hub:
    """The shared service: one database, one clock (replaceable in tests)."""

    database: Database
    clock: Callable[[], float] = field(default=time.time)


@dataclass(frozen=True)
class Caller:
    """An authenticated client: its party and the scopes its token grants."""

    subject: str
    party: str | None
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def require(self, scope: str) -> None:
        if scope not in self.scopes and not self.is_admin:
            raise NotAllowed(f"this needs the {scope} scope", scope=scope)

    def own_party(self) -> str:
        """The caller's party; a token without one cannot act for a party."""
        if self.party is None:
            raise NotAllowed("the token names no party")
        return self.party
