"""Declare, change, accept and withdraw zones and deconfliction lines.

Every change is a new version; the history stays readable. A zone that binds other
parties takes effect only once each of them has accepted that version: until then the
version accepted before stays in force.
"""

from __future__ import annotations

from dataclasses import replace

from deconflict.application.hub import READ, WRITE, Caller, Hub
from deconflict.application.outcome import taken
from deconflict.channel import outbox
from deconflict.engine.boxes import declaration_index_boxes
from deconflict.geo.declaration import Declaration, Kind
from deconflict.model.errors import InvalidRequest, NotAllowed, NotFound, StaleVersion
from deconflict.model.zone import Zone
from deconflict.store import idempotency
from deconflict.store import party as party_store
from deconflict.store import zone as zone_store


def _facts(zone: Zone) -> dict:
    """What the record keeps of a zone change."""
    return {
        "version": zone.version,
        "binds": list(zone.binds),
        "accepted_by": list(zone.accepted_by),
        "in_force_version": zone.in_force_version,
    }


def _in_force(zone: Zone) -> Zone:
    """The zone with its latest version in force, if every bound party accepted it."""
    if zone.withdrawn or not zone.fully_accepted:
        return zone
    return replace(zone, in_force=zone.declaration, in_force_version=zone.version)


def declare_zone(
    hub: Hub,
    caller: Caller,
    declaration: Declaration,
    binds: tuple[str, ...] = (),
    expected_version: int | None = None,
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> tuple[Zone, bool]:
    """A new zone (no `expected_version`) or a new version of one of the caller's; and
    whether this answers a retry of a request already applied."""
    caller.require(WRITE)
    party = caller.own_party()
    if declaration.party != party:
        raise NotAllowed(f"party {party} cannot declare zones of {declaration.party}")
    if declaration.kind is Kind.OPERATION:
        raise InvalidRequest(
            f"{declaration.id} is an operation, not a zone or line",
            pointer="/geojson/features/0/properties/kind",
        )
    binds = tuple(sorted(set(binds) - {party}))
    now = hub.clock()
    with hub.database.write() as connection:
        if idempotency_key is not None:
            recalled = idempotency.recall(connection, party, idempotency_key, request_hash)
            if recalled is not None:
                stored = zone_store.get(connection, recalled[1]["zone"])
                if stored is None:
                    raise NotFound(f"zone {recalled[1]['zone']} is gone")
                return stored, True
        for other in binds:
            if party_store.get(connection, other) is None:
                raise NotFound(f"no party {other}", id=other)
        current = zone_store.get(connection, declaration.id)
        if current is not None and current.party != party:
            if expected_version is None:  # a new zone: the id is taken, as for operations
                raise taken("zone", declaration.id)
            raise NotFound(f"no zone {declaration.id} of party {party}")
        if expected_version is None and current is not None:
            raise StaleVersion(f"zone {declaration.id} exists: give its version to change it")
        if current is not None and current.version != expected_version:
            raise StaleVersion(
                f"zone {declaration.id} is at version {current.version}, not {expected_version}",
                current=current.version,
            )
        zone = Zone(
            id=declaration.id,
            party=party,
            version=1 if current is None else current.version + 1,
            declaration=declaration,
            created_at=now,
            binds=binds,
            accepted_by=(),
            in_force=current.in_force if current else None,
            in_force_version=current.in_force_version if current else None,
        )
        zone = _in_force(zone)
        boxes = declaration_index_boxes(zone.in_force) if zone.in_force is not None else None
        zone_store.save(connection, zone, None if current is None else current.version, boxes)
        kind = "zone.declared" if current is None else "zone.changed"
        outbox.recorded(connection, kind, party, [zone.id], _facts(zone), now)
        if idempotency_key is not None:
            body = {"zone": zone.id, "version": zone.version}
            idempotency.remember(connection, party, idempotency_key, request_hash, 200, body, now)
    return zone, False


def accept_zone(hub: Hub, caller: Caller, ident: str, version: int) -> Zone:
    """A bound party accepts a version of another party's zone."""
    caller.require(WRITE)
    party = caller.own_party()
    with hub.database.write() as connection:
        zone = zone_store.get(connection, ident)
        if zone is None or party not in zone.binds:
            raise NotFound(f"no zone {ident} binding party {party}", id=ident)
        if zone.version != version:
            raise StaleVersion(
                f"zone {ident} is at version {zone.version}, not {version}", current=zone.version
            )
        accepted = tuple(sorted({*zone.accepted_by, party}))
        changed = _in_force(replace(zone, accepted_by=accepted))
        boxes = (
            declaration_index_boxes(changed.in_force)
            if changed.in_force_version != zone.in_force_version and changed.in_force
            else None
        )
        # Same version number: accepting records agreement, it does not change the zone.
        zone_store.save(connection, changed, zone.version, boxes, new_version=False)
        outbox.recorded(connection, "zone.accepted", party, [ident], _facts(changed), hub.clock())
    return changed


def withdraw_zone(hub: Hub, caller: Caller, ident: str, version: int) -> Zone:
    """The owner withdraws its zone: it stops binding at once."""
    caller.require(WRITE)
    party = caller.own_party()
    with hub.database.write() as connection:
        zone = zone_store.get(connection, ident)
        if zone is None or zone.party != party:
            raise NotFound(f"no zone {ident} of party {party}", id=ident)
        if zone.version != version:
            raise StaleVersion(
                f"zone {ident} is at version {zone.version}, not {version}", current=zone.version
            )
        changed = replace(
            zone,
            version=zone.version + 1,
            withdrawn=True,
            in_force=None,
            in_force_version=None,
            created_at=hub.clock(),
        )
        zone_store.save(connection, changed, zone.version, None)
        outbox.recorded(connection, "zone.withdrawn", party, [ident], _facts(changed), hub.clock())
    return changed


def list_zones(hub: Hub, caller: Caller) -> list[Zone]:
    """Zones are shared knowledge: every party sees every zone and line."""
    caller.require(READ)
    with hub.database.read() as connection:
        return zone_store.list_all(connection)


def get_zone(hub: Hub, caller: Caller, ident: str) -> tuple[Zone, list[dict]]:
    """A zone and its version history."""
    caller.require(READ)
    with hub.database.read() as connection:
        zone = zone_store.get(connection, ident)
        if zone is None:
            raise NotFound(f"no zone {ident}", id=ident)
        return zone, zone_store.history(connection, ident)
