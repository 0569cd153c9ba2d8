"""DSS changes told and recorded like native ones: notices and audit events in the outbox.

One airspace means one picture and one record. A USS's operational intent is an
operation of the USS's party, so its creation, changes and end go through the same
outbox calls as a native submission (`outbox.submitted`, `outbox.changed`): native
parties whose area of interest it touches are told (with the need-to-know facts only),
parties of operations it overrides are told, and each change is an audit event. The
other DSS writes (constraints, subscriptions, availability, reports) are audit events.
Every call here runs inside the use case's own write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from deconflict.channel import outbox
from deconflict.model.dss_volume import time_field
from deconflict.model.operation import Operation
from deconflict.model.operation_state import OperationState
from deconflict.store.dss_constraints import ConstraintRecord
from deconflict.store.dss_subscriptions import SubscriptionRecord


def intent_document(params: Mapping[str, Any]) -> dict[str, Any]:
    """What an intent's audit digest covers: the USS's extents, state and base URL."""
    return {k: params.get(k) for k in ("extents", "state", "uss_base_url")}


def intent_created(
    connection: Connection,
    operation: Operation,
    plan: outbox.Plan,
    overridden: Iterable[Operation],
    now: float,
) -> None:
    """A new intent: like a native submission (it never enters a zone: that is refused)."""
    outbox.submitted(connection, operation, plan, (), list(overridden), now)


def intent_updated(
    connection: Connection,
    before: Operation,
    after: Operation,
    actor: str,
    now: float,
    overridden: Iterable[Operation] = (),
) -> None:
    """A new version of an intent: a new plan is told to whom it concerns (as a native
    change), a new state only recorded (as a native state change), an unchanged one
    (new key, new subscription) recorded as a change."""
    losers = list(overridden)
    if before.declaration.volumes != after.declaration.volumes or losers:
        outbox.changed(connection, after, "operation.changed", actor, now, overridden=losers)
    elif before.state is not after.state:
        outbox.changed(connection, after, f"operation.{after.state}", actor, now)
    else:
        payload = {"version": after.version, "state": str(after.state), "plan": "unchanged"}
        outbox.recorded(connection, "operation.changed", actor, [after.id], payload, now)


def intent_ended(connection: Connection, ended: Operation, actor: str, now: float) -> None:
    """A deleted intent: cancelled (before it was flown: concerned parties are told)
    or ended."""
    kind = "operation.cancelled" if ended.state is OperationState.CANCELLED else "operation.ended"
    outbox.changed(connection, ended, kind, actor, now)


def constraint_changed(
    connection: Connection, record: ConstraintRecord, kind: str, actor: str, now: float
) -> None:
    """`constraint.declared`, `.changed` or `.withdrawn` (the OVN stays out: it is the
    manager's proof of awareness, not for the record's readers)."""
    payload = {
        "version": record.version,
        "manager": record.manager,
        "uss_base_url": record.uss_base_url,
        "time_start": time_field(record.time_start)["value"],
        "time_end": time_field(record.time_end)["value"],
        "digest": outbox.digest_of(record.extents),
    }
    outbox.recorded(connection, kind, actor, [record.id], payload, now)


def subscription_changed(
    connection: Connection, record: SubscriptionRecord, action: str, actor: str, now: float
) -> None:
    payload = {
        "action": action,
        "version": record.version,
        "implicit": record.implicit,
        "notify_for_operational_intents": record.notify_for_operational_intents,
        "notify_for_constraints": record.notify_for_constraints,
        "time_start": time_field(record.time_start)["value"],
        "time_end": time_field(record.time_end)["value"],
    }
    outbox.recorded(connection, "subscription.changed", actor, [record.id], payload, now)


def availability_set(
    connection: Connection, uss: str, availability: str, version: str, actor: str, now: float
) -> None:
    payload = {"availability": availability, "version": version}
    outbox.recorded(connection, "uss.availability", actor, [uss], payload, now)


def report_made(connection: Connection, report: Mapping[str, Any], actor: str, now: float) -> None:
    payload = {"digest": outbox.digest_of(report)}
    outbox.recorded(connection, "dss.report", actor, [report["report_id"]], payload, now)
