"""Constraint references: query, get, create/update, delete.

The DSS keeps references only (details stay with the managing USS) and checks no key
for them; a change bumps the subscriptions that notify for constraints, and is an audit
event (`constraint.declared`, `.changed`, `.withdrawn`). Constraints are not zones of
the native API: the engine does not check native plans against them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from deconflict.application import dss_record
from deconflict.application.dss_common import (
    UssCaller,
    area_boxes,
    availabilities,
    boxes_of,
    constraint_reference,
    declaration_of,
    stored_boxes,
)
from deconflict.application.dss_reference import (
    ReferenceKind,
    answer,
    delete_reference,
    one_create_wins,
    owned,
)
from deconflict.application.hub import Hub
from deconflict.model.dss import DssBadRequest, DssConflict, check_uuid, new_ovn
from deconflict.model.dss_volume import parse_extents, span
from deconflict.model.errors import NotFound
from deconflict.store import dss_constraints, locks, space_index
from deconflict.store.dss_constraints import ConstraintRecord


def query_constraints(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    now = hub.clock()
    boxes = area_boxes(params, now)
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


def _remove(
    connection: Connection, caller: UssCaller, existing: ConstraintRecord, now: float
) -> None:
    dss_constraints.delete(connection, existing.id)
    dss_record.constraint_changed(connection, existing, "constraint.withdrawn", caller.party, now)


CONSTRAINT = ReferenceKind(
    noun="constraint",
    field="constraint_reference",
    for_intents=False,
    show=constraint_reference,
    load=dss_constraints.get,
    remove=_remove,
)


def delete_constraint(hub: Hub, caller: UssCaller, entity_id: str, ovn: str) -> dict[str, Any]:
    return delete_reference(hub, CONSTRAINT, caller, entity_id, ovn)


@one_create_wins
def put_constraint(
    hub: Hub, caller: UssCaller, entity_id: str, ovn: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Create (`ovn` None) or update a constraint reference."""
    entity_id = check_uuid(entity_id, "entityid")
    now = hub.clock()
    uss_base_url = caller.base_url(params)
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
            existing = owned(CONSTRAINT, existing, entity_id, caller, ovn)
        locks.lock_cells_for(connection, [tuple(b) for b in boxes.tolist()])
        record = ConstraintRecord(
            id=entity_id,
            manager=caller.manager,
            version=1 if existing is None else existing.version + 1,
            ovn=new_ovn(entity_id),
            uss_base_url=uss_base_url,
            time_start=start,
            time_end=end,
            extents=params["extents"],
            updated_at=now,
        )
        notify_boxes = boxes.tolist()
        window = (start, end)
        if existing is None:
            dss_constraints.insert(connection, record, boxes)
            kind = "constraint.declared"
        else:
            dss_constraints.replace(connection, record, existing.ovn, boxes)
            notify_boxes += stored_boxes(entity_id, existing.extents, now).tolist()
            window = (min(start, existing.time_start), max(end, existing.time_end))
            kind = "constraint.changed"
        dss_record.constraint_changed(connection, record, kind, caller.party, now)
        return answer(connection, CONSTRAINT, caller, record, notify_boxes, window, now)
