"""The part of the stored airspace a check needs, fetched through the database's index.

The engine's `Airspace` is built from just the declarations whose boxes meet the new
one's probe boxes (widened by minima, and by a suggestion search's slack when asked),
so a check costs the same whether the database holds a thousand plans or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from deconflict.engine import Airspace
from deconflict.engine.boxes import probe_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.engine.resolution import MAX_DELAY_S, MAX_OFFSET_M
from deconflict.geo.declaration import Declaration
from deconflict.geo.pieces import Piece
from deconflict.geo.separation import SeparationPolicy
from deconflict.geo.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from deconflict.model.operation import Operation
from deconflict.model.zone import Zone
from deconflict.store import operation as operation_store
from deconflict.store import space_index
from deconflict.store import zone as zone_store
from deconflict.store.dss_subscriptions import OWNER_KIND as SUBSCRIPTION

_FULL = MAX_ALTITUDE_M - MIN_ALTITUDE_M


@dataclass(frozen=True)
class Neighbourhood:
    """What is in force near a declaration: an engine airspace and the records behind it."""

    airspace: Airspace
    operations: dict[str, Operation]
    zones: dict[str, Zone]
    boxes: list[tuple[float, ...]]
    subscriptions: tuple[str, ...] = ()
    """DSS subscriptions whose boxes meet the probe (the index answers for them too):
    none, and no USS need be told of the declaration (`dss_native_notify`)."""

    def fingerprint(self) -> tuple[dict[str, int], dict[str, tuple]]:
        """The versions (zones: binding states) the check was made against."""
        return (
            {i: o.version for i, o in self.operations.items()},
            {i: zone_store.state_of(z) for i, z in self.zones.items()},
        )


def probe(
    declaration: Declaration,
    policy: SeparationPolicy,
    *,
    for_suggestions: bool,
    pieces: Sequence[Piece] | None = None,
) -> list:
    """The boxes to ask the database with (and to lock cells for); `pieces` are the
    declaration's own, if the caller compiled them already."""
    widest = policy.widest_for(declaration.party)
    if pieces is None:
        pieces = compile_pieces(declaration)
    if not for_suggestions:
        return [tuple(b) for b in probe_boxes(pieces, widest).tolist()]
    boxes = probe_boxes(
        pieces,
        widest,
        time_slack=(0.0, MAX_DELAY_S),
        altitude_slack=(_FULL, _FULL),
        horizontal_slack=MAX_OFFSET_M,
    )
    return [tuple(b) for b in boxes.tolist()]


def neighbourhood(
    connection: Connection,
    declaration: Declaration,
    policy: SeparationPolicy,
    *,
    for_suggestions: bool = False,
    boxes: list | None = None,
) -> Neighbourhood:
    """In-force operations and binding zones that may meet `declaration` (not itself);
    `boxes` are its probe boxes, if the caller made them already."""
    if boxes is None:
        boxes = probe(declaration, policy, for_suggestions=for_suggestions)
    operation_ids, zone_ids, subscription_ids = _owners(connection, declaration, boxes)
    operations = {o.id: o for o in operation_store.get_many(connection, operation_ids)}
    zones = {z.id: z for z in zone_store.get_many(connection, zone_ids) if z.in_force}
    airspace = Airspace(policy)
    airspace.add_many(
        [o.declaration for o in operations.values() if o.in_force]
        + [z.in_force for z in zones.values() if z.in_force is not None]
    )
    return Neighbourhood(airspace, operations, zones, boxes, subscription_ids)


def _owners(
    connection: Connection, declaration: Declaration, boxes: list
) -> tuple[list[str], list[str], tuple[str, ...]]:
    """Ids of the operations and zones (not `declaration` itself), and of the DSS
    subscriptions, whose boxes meet these."""
    owners = space_index.owners_meeting(connection, boxes)
    operation_ids = sorted(i for kind, i in owners if kind == "operation" and i != declaration.id)
    zone_ids = sorted(i for kind, i in owners if kind == "zone" and i != declaration.id)
    subscription_ids = tuple(sorted(i for kind, i in owners if kind == SUBSCRIPTION))
    return operation_ids, zone_ids, subscription_ids


def unchanged(connection: Connection, declaration: Declaration, near: Neighbourhood) -> bool:
    """Whether what meets `near.boxes` now is exactly what `near` was built from, at the
    same versions: then a check made on `near` (outside the write transaction) stands,
    and so do the subscriptions it found.

    Cheap: the index query and two narrow look-ups, no documents and no engine.
    """
    operation_ids, zone_ids, subscription_ids = _owners(connection, declaration, near.boxes)
    if subscription_ids != near.subscriptions:
        return False
    operations, zones = near.fingerprint()
    # Zones with no version in force were left out of `near`; they must still not be.
    zone_states = zone_store.states(connection, zone_ids)
    in_force_zones = {i: s for i, s in zone_states.items() if s[1] is not None}
    return operation_store.versions(connection, operation_ids) == operations and (
        in_force_zones == zones
    )
