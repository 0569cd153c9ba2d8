"""Constraint references: query, get, create/update, delete.

The DSS keeps references only (details stay with the managing USS) and checks no key
for them; a change bumps the subscriptions that notify for constraints. Constraints are
not zones of the native API: the engine does not check native plans against them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from deconflict.application.dss_common import (
    UssCaller,
    availabilities,
    boxes_of,
    constraint_reference,
    declaration_of,
    notify,
    stored_boxes,
    str_field,
)
from deconflict.application.hub import Hub
from deconflict.model.dss import DssBadRequest, DssConflict, check_uuid, new_ovn
from deconflict.model.dss_volume import parse_extents, parse_volume4d, span
from deconflict.model.errors import NotAllowed, NotFound
from deconflict.store import dss_constraints, locks, space_index
from deconflict.store.dss_constraints import ConstraintRecord


def query_constraints(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    now = hub.clock()
    area = params.get("area_of_interest")
    if area is None:
        raise DssBadRequest("area_of_interest is required")
    volume = parse_volume4d(area, "area_of_interest", now=now, complete=False)
    boxes = boxes_of(declaration_of("query", "-", [volume], operation=False))
    with hub.database.read() as connection:
        owners = space_index.owners_meeting(connection, boxes.tolist())
        ids = [i for kind, i in owners if kind == dss_constraints.OWNER_KIND]
        records = [
            c for c in dss_constraints.get_many(connection, ids).values() if c.time_end > now
        ]
        known = availabilities(connection, {c.manager for c in records})
    references = sorted(
        (constraint_reference(c, caller, known) for c in records), key=lambda r: r["id"]
    )
    return {"constraint_references": references}


def get_constraint(hub: Hub, caller: UssCaller, entity_id: str) -> dict[str, Any]:
    entity_id = check_uuid(entity_id, "entityid")
    with hub.database.read() as connection:
        record = dss_constraints.get(connection, entity_id)
        if record is None:
            raise NotFound(f"constraint {entity_id} not found")
        known = availabilities(connection, [record.manager])
    return {"constraint_reference": constraint_reference(record, caller, known)}


def _put_constraint(
    hub: Hub, caller: UssCaller, entity_id: str, ovn: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`ovn` None) or update a constraint reference."""
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    uss_base_url = str_field(params, "uss_base_url")
    volumes = parse_extents(params.get("extents"), "extents", now=now, complete=True)
    start, end = span(volumes)
    if end <= now:
        raise DssBadRequest("the constraint ends in the past")
    boxes = boxes_of(declaration_of(entity_id, "-", volumes, operation=False))
    with hub.database.write() as connection:
        existing = dss_constraints.get(connection, entity_id)
        if ovn is None and existing is not None:
            raise DssConflict(f"constraint {entity_id} already exists")
        if ovn is not None:
            if existing is None:
                raise NotFound(f"constraint {entity_id} not found")
            if existing.manager != caller.manager:
                raise NotAllowed(f"constraint {entity_id} is managed by another USS")
            if existing.ovn != ovn:
                raise DssConflict(f"OVN {ovn} is not the current OVN of {entity_id}")
        locks.lock_cells_for(connection, [tuple(b) for b in boxes.tolist()])
        record = ConstraintRecord(
            id=entity_id,
            manager=caller.manager,
            version=1 if existing is None else existing.version + 1,
            ovn=new_ovn(entity_id),
            uss_base_url=uss_base_url or "",
            time_start=start,
            time_end=end,
            extents=params["extents"],
            updated_at=now,
        )
        notify_boxes = boxes.tolist()
        window = (start, end)
        if existing is None:
            dss_constraints.insert(connection, record, boxes)
        else:
            dss_constraints.replace(connection, record, existing.ovn, boxes)
            notify_boxes += stored_boxes(entity_id, existing.extents, now).tolist()
            window = (min(start, existing.time_start), max(end, existing.time_end))
        subscribers = notify(connection, notify_boxes, window, now, intents=False)
        known = availabilities(connection, [caller.manager])
    return {
        "subscribers": subscribers,
        "constraint_reference": constraint_reference(record, caller, known),
    }


def delete_constraint(hub: Hub, caller: UssCaller, entity_id: str, ovn: str) -> dict[str, Any]:
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    with hub.database.write() as connection:
        existing = dss_constraints.get(connection, entity_id)
        if existing is None:
            raise NotFound(f"constraint {entity_id} not found")
        if existing.manager != caller.manager:
            raise NotAllowed(f"constraint {entity_id} is managed by another USS")
        if existing.ovn != ovn:
            raise DssConflict(f"OVN {ovn} is not the current OVN of {entity_id}")
        old_boxes = stored_boxes(entity_id, existing.extents, now)
        locks.lock_cells_for(connection, [tuple(b) for b in old_boxes.tolist()])
        dss_constraints.delete(connection, entity_id)
        subscribers = notify(
            connection,
            old_boxes.tolist(),
            (existing.time_start, existing.time_end),
            now,
            intents=False,
        )
        known = availabilities(connection, [caller.manager])
    return {
        "subscribers": subscribers,
        "constraint_reference": constraint_reference(existing, caller, known),
    }


def put_constraint(
    hub: Hub, caller: UssCaller, ident: str, version: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`version` None) or update; a concurrent create of the same id loses with 409."""
    try:
        return _put_constraint(hub, caller, ident, version, params)
    except IntegrityError:
        raise DssConflict(f"{ident} was created concurrently") from None
