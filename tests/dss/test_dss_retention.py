"""Retention forgets the DSS's expired entities: an intent with its operation, a
constraint, a subscription once nothing relies on it, and their boxes in the 4D index;
what is still within the retention period stays. In process, on a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from dss_helpers import CM, CP, SC, intent, new_id, volume4d

from deconflict.application.dss_common import UssCaller
from deconflict.application.dss_constraints import put_constraint
from deconflict.application.dss_intents import put_intent
from deconflict.application.dss_subscriptions import put_subscription
from deconflict.application.hub import Hub
from deconflict.application.retention import purge
from deconflict.store.backend import connect
from deconflict.store.migrate import upgrade

HOUR = 3600.0


def _left(hub: Hub) -> dict[str, list[str]]:
    """Ids left in each DSS table, and the owner kinds left in the 4D index."""
    found: dict[str, list[str]] = {}
    with hub.database.read() as connection:
        for table in ("dss_intents", "dss_constraints", "dss_subscriptions", "operations"):
            rows = connection.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))
            found[table] = [row.id for row in rows]
        rows = connection.execute(sa.text("SELECT DISTINCT owner_kind FROM pieces"))
        found["indexed"] = sorted(row.owner_kind for row in rows)
    return found


def test_expired_dss_entities_leave_with_retention(tmp_path: Path) -> None:
    now = time.time()
    clock = [now]
    database = connect(f"sqlite:///{tmp_path / 'dss-retention.db'}")
    upgrade(database)
    hub = Hub(database, clock=lambda: clock[0])
    uss = UssCaller("uss1", frozenset({SC, CM, CP}), "https://hub.test")
    start, end = now + 600, now + 600 + HOUR

    explicit = new_id()
    put_subscription(
        hub,
        uss,
        explicit,
        None,
        {
            "extents": volume4d(start=now, end=now + 6 * HOUR, size=0.2),
            "uss_base_url": "https://uss.test",
            "notify_for_operational_intents": True,
        },
    )
    flight = new_id()
    created = put_intent(hub, uss, flight, None, intent([volume4d(start=start, end=end)]))
    implicit = created["operational_intent_reference"]["subscription_id"]
    closure = new_id()
    put_constraint(
        hub,
        uss,
        closure,
        None,
        {"extents": [volume4d(lng=7.6, start=start, end=end)], "uss_base_url": "https://uss.test"},
    )
    everything = _left(hub)
    assert everything["dss_intents"] == [flight]
    assert everything["dss_constraints"] == [closure]
    assert set(everything["dss_subscriptions"]) == {explicit, implicit}

    purge(hub, HOUR)
    assert _left(hub) == everything  # nothing has ended yet

    clock[0] = end + HOUR + 60  # the flight, its subscription and the closure: over > 1 h
    purge(hub, HOUR)
    left = _left(hub)
    assert left["dss_intents"] == [] and left["operations"] == []
    assert left["dss_constraints"] == []
    assert left["dss_subscriptions"] == [explicit]  # ends 6 h after `now`: within retention
    assert left["indexed"] == ["dss_subscription"]

    clock[0] = now + 7 * HOUR + 60
    purge(hub, HOUR)
    assert _left(hub) == {
        "dss_intents": [],
        "dss_constraints": [],
        "dss_subscriptions": [],
        "operations": [],
        "indexed": [],
    }
