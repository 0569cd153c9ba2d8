"""Change an operation's plan: a new version, accepted only if it adds or worsens nothing.

The stored version stays in force until the new one is accepted (a refused change
leaves it untouched). A conflict the old version already had is tolerated if the new
version is no worse with that same operation: planners must be able to improve a plan
that a priority override or a new zone left in conflict.
"""

from __future__ import annotations

from dataclasses import replace

from deconflict.application import candidates, dss_native_notify, policy
from deconflict.application.hub import Caller, Hub
from deconflict.application.outcome import Decision, not_worse, sort_conflicts
from deconflict.application.submit_operation import (
    check_ownership,
    late_parties,
    record_overrides,
    rejection,
    remember,
    replay,
)
from deconflict.channel import outbox
from deconflict.engine.boxes import declaration_index_boxes
from deconflict.geo.declaration import Declaration
from deconflict.model.errors import InvalidTransition, NotFound, StaleVersion
from deconflict.model.operation_state import FINAL, OperationState
from deconflict.store import locks
from deconflict.store import operation as operation_store


def update_operation(
    hub: Hub,
    caller: Caller,
    declaration: Declaration,
    expected_version: int,
    *,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> Decision:
    """Replace operation `declaration.id` (at `expected_version`) with `declaration`."""
    party = check_ownership(caller, declaration)
    now = hub.clock()
    with hub.database.write() as connection:
        replayed = replay(connection, party, idempotency_key, request_hash)
        if replayed is not None:
            return replayed
        current = operation_store.get(connection, declaration.id)
        if current is None or current.party != party:
            raise NotFound(f"no operation {declaration.id} of party {party}", id=declaration.id)
        if current.version != expected_version:
            raise StaleVersion(
                f"operation {declaration.id} is at version {current.version}, "
                f"not {expected_version}",
                id=declaration.id,
                current=current.version,
            )
        if current.state in FINAL:
            raise InvalidTransition(f"operation {declaration.id} is {current.state}")
        agreements = policy.load(connection)
        boxes = candidates.probe(declaration, agreements.policy, for_suggestions=False)
        old_boxes = candidates.probe(current.declaration, agreements.policy, for_suggestions=False)
        locks.lock_cells_for(connection, boxes + old_boxes)
        near = candidates.neighbourhood(connection, declaration, agreements.policy)
        report = near.airspace.check(declaration)
        before = near.airspace.check(current.declaration).conflicts
        found = sort_conflicts(report, declaration)
        new_problems = [c for c in (*found.blocking, *found.zones) if not not_worse(c, before)]
        if new_problems:
            raise rejection(
                connection,
                declaration,
                report,
                agreements,
                f"the change to {declaration.id} adds or worsens {len(new_problems)} conflict(s)",
            )
        state = current.state
        if state is OperationState.PROPOSED:
            state = OperationState.ACCEPTED
        updated = replace(
            current,
            version=current.version + 1,
            state=state,
            declaration=declaration,
            updated_at=now,
            late_notice=tuple(
                sorted(set(current.late_notice) | set(late_parties(declaration, now, agreements)))
            ),
        )
        operation_store.replace(
            connection, updated, current.version, declaration_index_boxes(declaration)
        )
        fresh = [c for c in found.overriding if not not_worse(c, before)]
        losers = [near.operations[c.other] for c in fresh]
        overridden = record_overrides(connection, updated, losers, now)
        outbox.changed(connection, updated, "operation.changed", party, now, overridden=losers)
        dss_native_notify.changed(connection, current, updated, now)
        remember(connection, party, idempotency_key, request_hash, updated, now)
    return Decision(updated, report, overridden)
