"""Retention: ended, cancelled and expired operations leave the hot tables.

After `retention_days`, an operation that is over (ended, cancelled, or whose window has
closed) is removed from `operations` and from the 4D index; its versions stay in
`operation_versions`, which is the history the record covers. The hub's settled
notifications to USSs (delivered or dead) older than that go too, and so do the DSS's
references and subscriptions that ended that long ago (an intent's with its operation; a
subscription once no intent still relies on it): the standard lets a DSS forget what has
expired, and no answer depends on them any more. PostgreSQL's lock cells of hours that
ended that long ago go as well (`locks.prune_cells`). Safe to run from every worker at once:
each pass deletes what is due, and a second pass finds nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.application.hub import Hub
from deconflict.model.operation_state import FINAL
from deconflict.store import dss_constraints, dss_subscriptions, dss_tables, locks, space_index
from deconflict.store.dss_tables import dss_intents, uss_notifications
from deconflict.store.tables import operations

BATCH = 1000


def purge(hub: Hub, retention_s: float) -> int:
    """Remove operations over for longer than `retention_s`; returns how many."""
    cutoff = hub.clock() - retention_s
    with hub.database.write() as connection:
        connection.execute(
            uss_notifications.delete().where(
                uss_notifications.c.state != "pending", uss_notifications.c.created_at < cutoff
            )
        )
    removed = 0
    while True:
        with hub.database.write() as connection:
            due = operations.c.end < cutoff
            finished = operations.c.state.in_([str(s) for s in FINAL]) & (
                operations.c.updated_at < cutoff
            )
            ids = [
                row.id
                for row in connection.execute(
                    sa.select(operations.c.id).where(due | finished).limit(BATCH)
                )
            ]
            for ident in ids:
                space_index.delete_boxes(connection, "operation", ident)
            if ids:
                connection.execute(operations.delete().where(operations.c.id.in_(ids)))
        removed += len(ids)
        if len(ids) < BATCH:
            break
    _purge_dss(hub, cutoff)
    locks.prune_cells(hub.database, cutoff)
    return removed


def _purge_dss(hub: Hub, cutoff: float) -> None:
    """DSS entities over before `cutoff`: intents whose operation has left (above),
    constraints, then subscriptions no remaining intent relies on (implicit ones too)."""
    relied_on = sa.select(dss_intents.c.subscription_id).where(
        dss_intents.c.subscription_id.is_not(None)
    )
    constraints, subscriptions = dss_tables.dss_constraints, dss_tables.dss_subscriptions
    with hub.database.write() as connection:
        connection.execute(
            dss_intents.delete().where(dss_intents.c.id.not_in(sa.select(operations.c.id)))
        )
    for table, remove, due in (
        (constraints, dss_constraints.delete, constraints.c.time_end < cutoff),
        (
            subscriptions,
            dss_subscriptions.delete,
            (subscriptions.c.time_end < cutoff) & subscriptions.c.id.not_in(relied_on),
        ),
    ):
        while True:
            with hub.database.write() as connection:
                ids = [
                    r.id for r in connection.execute(sa.select(table.c.id).where(due).limit(BATCH))
                ]
                for ident in ids:
                    remove(connection, ident)
            if len(ids) < BATCH:
                break
