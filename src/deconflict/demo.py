"""`deconflict demo`: the service on a fresh SQLite file, with the example scenario loaded.

The scenario's times are moved so that it starts an hour from now; its parties, their
agreement, zones and lines are created, then its operations are submitted in file order
as each party's duty officer would, so the conflicting ones are refused exactly as they
would be live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from deconflict.application.declare_zone import declare_zone
from deconflict.application.hub import ADMIN, READ, WRITE, Caller, Hub
from deconflict.application.manage_parties import put_agreement, put_party
from deconflict.application.submit_operation import submit_operation
from deconflict.geo.declaration import Kind
from deconflict.geo.geojson_files import read_files
from deconflict.model.agreement import PairAgreement
from deconflict.model.errors import DomainError
from deconflict.model.party import Party

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "syria.geojson"


@dataclass(frozen=True)
class Loaded:
    parties: tuple[str, ...]
    accepted: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]


def load_scenario(hub: Hub, path: Path, now: float) -> Loaded:
    """Load a scenario file into the service, its first start moved to the next full hour."""
    scenario = read_files([path])
    first = min(d.start for d in scenario.declarations if d.kind is Kind.OPERATION)
    shift = math.ceil(now / 3600.0) * 3600.0 + 3600.0 - first
    admin = Caller("demo-admin", None, frozenset({ADMIN}))
    parties = sorted({d.party for d in scenario.declarations})
    for party in parties:
        put_party(hub, admin, Party(party, party.capitalize()))
    policy = scenario.policy
    for pair, minima in policy.pairs.items():
        put_agreement(hub, admin, PairAgreement(pair, minima, minimum_notice_s=1800.0))
    accepted, refused = [], []
    for declaration in scenario.declarations:
        caller = Caller(f"demo-{declaration.party}", declaration.party, frozenset({READ, WRITE}))
        moved = declaration.shifted(seconds=shift)
        if declaration.kind is not Kind.OPERATION:
            declare_zone(hub, caller, moved)  # (zone, replayed): nothing to replay here
            continue
        try:
            submit_operation(hub, caller, moved)
            accepted.append(moved.id)
        except DomainError as error:
            refused.append((moved.id, error.message))
    return Loaded(tuple(parties), tuple(accepted), tuple(refused))
