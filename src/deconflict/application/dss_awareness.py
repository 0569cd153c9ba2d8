"""The two checks a create or update of an intent passes inside its write transaction.

The key rule (F3548-21): the key must hold the OVN of every relevant entity, i.e. every
intent (the USSs' and, one airspace, the native parties') whose boxes meet the new
extents, and every constraint too if the intent's subscription processes constraints.
The native rule (the hub's): no conflict with a native party's operation or zone, found
by the engine exactly as a native submission would be; USS-vs-USS conflicts are the
USSs' business, as the standard says.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from deconflict.application import candidates
from deconflict.application.dss_common import (
    UssCaller,
    availabilities,
    constraint_reference,
    intent_reference,
    intents_meeting,
    native_key,
    native_reference,
)
from deconflict.application.outcome import sort_conflicts
from deconflict.geo.declaration import Declaration
from deconflict.model.dss import MissingKeys
from deconflict.model.operation import Operation
from deconflict.store import dss_constraints, dss_intents, space_index


def check_key(
    connection: Any,
    caller: UssCaller,
    entity_id: str,
    boxes: Any,
    key: Set[str],
    now: float,
    constraints_too: bool,
) -> None:
    """Refuse (409) unless the key holds the OVN of every relevant entity."""
    found = intents_meeting(connection, boxes.tolist(), now, exclude=entity_id)
    missing = [r for r in found.intents.values() if r.ovn not in key]
    missing_natives = [o for o in found.natives.values() if native_key(o) not in key]
    missing_constraints = []
    if constraints_too:
        owners = space_index.owners_meeting(connection, boxes.tolist())
        ids = [i for kind, i in owners if kind == dss_constraints.OWNER_KIND]
        missing_constraints = [
            c
            for c in dss_constraints.get_many(connection, ids).values()
            if c.ovn not in key and c.time_end > now
        ]
    if missing or missing_natives or missing_constraints:
        known = availabilities(
            connection, {r.manager for r in missing} | {c.manager for c in missing_constraints}
        )
        raise MissingKeys(
            f"the key misses the OVNs of {len(missing) + len(missing_natives)} operational "
            f"intent(s) and {len(missing_constraints)} constraint(s)",
            [intent_reference(r, caller, known) for r in missing]
            + [native_reference(o, caller) for o in missing_natives],
            [constraint_reference(c, caller, known) for c in missing_constraints],
        )


def check_natives(
    connection: Any, declaration: Declaration, agreements: Any, probe: Any, caller: UssCaller
) -> list[Operation]:
    """Refuse an intent that conflicts with a native party's operation or zone; the
    native operations of lower priority it is accepted over (their parties are told,
    as of any priority override)."""
    near = candidates.neighbourhood(connection, declaration, agreements.policy, boxes=probe)
    report = near.airspace.check(declaration)
    if report.clear:
        return []
    found = sort_conflicts(report, declaration)
    others = [c.other for c in (*found.blocking, *found.overriding)]
    usses = dss_intents.get_many(connection, others)
    natives = [near.operations[c.other] for c in found.blocking if c.other not in usses]
    if natives or found.zones:
        zones = ", ".join(sorted({f"{c.other} of {c.other_party}" for c in found.zones}))
        raise MissingKeys(
            f"the operational intent conflicts with {len(natives)} operation(s) of parties "
            "that coordinate through this hub's native API"
            + (f" and enters their zone(s) {zones}" if zones else "")
            + "; replan around them (details at uss_base_url/uss/v1/operational_intents/{id})",
            [native_reference(o, caller) for o in natives],
            [],
        )
    return [near.operations[c.other] for c in found.overriding if c.other not in usses]
