"""Live tracks, tactical alerts and the cycle's lease: read and write.

Track states are upserted with ``INSERT … ON CONFLICT DO UPDATE … WHERE newer`` (SQLite
and PostgreSQL both have it, as do CockroachDB and YugabyteDB): two feeds reporting the
same aircraft at once keep the later report whatever the order of their transactions.

The lease row decides which worker process runs the tactical cycle: a worker holds it
until `expires_at` and renews it each cycle; the `term` (a fencing number) goes up on
each change of holder, and a cycle's results are written only if the term is still the
one it started under.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from deconflict.model.track import TrackState
from deconflict.store.track_tables import (
    alert_events,
    tactical_alerts,
    tactical_lease,
    track_states,
)

LEASE = "tactical"
_FIELDS = [c.name for c in track_states.c]


def _state(row: sa.Row) -> TrackState:
    return TrackState(**{name: getattr(row, name) for name in _FIELDS})


def latest(connection: Connection, aircraft: Iterable[str]) -> dict[str, TrackState]:
    """The stored state of each of these aircraft (those known)."""
    names = sorted(set(aircraft))
    found: dict[str, TrackState] = {}
    for start in range(0, len(names), 500):
        query = sa.select(track_states).where(
            track_states.c.aircraft.in_(names[start : start + 500])
        )
        found.update((r.aircraft, _state(r)) for r in connection.execute(query))
    return found


def upsert(connection: Connection, states: Sequence[TrackState]) -> None:
    """Write these states, each replacing its aircraft's row only if it is newer.

    Rows go in aircraft order, so concurrent batches lock rows in the same order
    (PostgreSQL) and cannot deadlock.
    """
    if not states:
        return
    rows = [asdict(s) for s in sorted(states, key=lambda s: s.aircraft)]
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(track_states)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[track_states.c.aircraft],
        set_={name: excluded[name] for name in _FIELDS if name != "aircraft"},
        where=excluded.time > track_states.c.time,
    )
    connection.execute(statement, rows)


def set_jumps(connection: Connection, jumps: dict[str, int]) -> None:
    """Count refused jumps of these aircraft (kept until a report is accepted)."""
    if jumps:
        connection.execute(
            track_states.update()
            .where(track_states.c.aircraft == sa.bindparam("name"))
            .values(jumps=sa.bindparam("count")),
            [{"name": k, "count": v} for k, v in sorted(jumps.items())],
        )


def live(connection: Connection, since: float, until: float) -> list[TrackState]:
    """States reported in ``[since, until]``, in aircraft order."""
    query = (
        sa.select(track_states)
        .where(track_states.c.time >= since, track_states.c.time <= until)
        .order_by(track_states.c.aircraft)
    )
    return [_state(r) for r in connection.execute(query)]


def any_live(connection: Connection, since: float) -> bool:
    """Whether any aircraft reported since `since` (idle hubs skip their cycles)."""
    query = sa.select(track_states.c.aircraft).where(track_states.c.time >= since).limit(1)
    return connection.execute(query).first() is not None


def prune(connection: Connection, before: float) -> int:
    """Forget aircraft not heard from since `before`; how many."""
    return connection.execute(track_states.delete().where(track_states.c.time < before)).rowcount


# --- alerts ------------------------------------------------------------------------------


def save_alert_event(connection: Connection, event_type: str, time: float, alert: dict) -> int:
    """Record one alert event and the alert's new state; the event's sequence number."""
    party_a, party_b = [*alert["parties"], "", ""][:2]
    values = {
        "kind": alert["kind"],
        "severity": alert["severity"],
        "worst": alert["worst"],
        "aircraft": list(alert["aircraft"]),
        "party_a": party_a,
        "party_b": party_b,
        "geometry": alert["geometry"],
        "details": alert["details"],
        "opened_at": alert["opened_at"],
        "updated_at": alert["updated_at"],
        "closed_at": alert["closed_at"],
    }
    changed = connection.execute(
        tactical_alerts.update().where(tactical_alerts.c.id == alert["id"]).values(**values)
    ).rowcount
    if not changed:
        connection.execute(tactical_alerts.insert().values(id=alert["id"], **values))
    result = connection.execute(
        alert_events.insert().values(
            alert_id=alert["id"],
            type=event_type,
            time=time,
            party_a=party_a,
            party_b=party_b,
            alert=alert,
        )
    )
    return int(result.inserted_primary_key[0])


def _alert(row: sa.Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "severity": row.severity,
        "worst": row.worst,
        "aircraft": list(row.aircraft),
        "parties": [row.party_a, row.party_b],
        "geometry": row.geometry,
        "details": row.details,
        "opened_at": row.opened_at,
        "updated_at": row.updated_at,
        "closed_at": row.closed_at,
    }


def _involving(table: sa.Table, party: str | None) -> sa.ColumnElement[bool]:
    if party is None:
        return sa.true()
    return sa.or_(table.c.party_a == party, table.c.party_b == party)


def alerts(
    connection: Connection,
    *,
    party: str | None,
    open_only: bool = True,
    since: float | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Alerts involving `party` (every alert when None), newest first."""
    query = sa.select(tactical_alerts).where(_involving(tactical_alerts, party))
    if open_only:
        query = query.where(tactical_alerts.c.closed_at.is_(None))
    if since is not None:
        query = query.where(tactical_alerts.c.updated_at >= since)
    query = query.order_by(tactical_alerts.c.opened_at.desc(), tactical_alerts.c.id).limit(limit)
    return [_alert(r) for r in connection.execute(query)]


def events_after(
    connection: Connection, seq: int, *, party: str | None, limit: int = 500
) -> list[tuple[int, str, float, dict[str, Any]]]:
    """Alert events after `seq` involving `party` (all when None): (seq, type, time, alert)."""
    query = (
        sa.select(alert_events)
        .where(alert_events.c.seq > seq, _involving(alert_events, party))
        .order_by(alert_events.c.seq)
        .limit(limit)
    )
    return [(r.seq, r.type, r.time, r.alert) for r in connection.execute(query)]


def last_event(connection: Connection) -> int:
    """The newest event's sequence number (0 when none)."""
    return int(connection.execute(sa.select(sa.func.max(alert_events.c.seq))).scalar() or 0)


# --- the cycle's lease -------------------------------------------------------------------


def acquire(connection: Connection, holder: str, now: float, ttl: float) -> int | None:
    """Take or renew the lease for `holder` if it is free, expired or already its own;
    the term it now holds under, or None when another holder has it.

    One conditional UPDATE: on PostgreSQL a concurrent taker waits on the row lock and
    then re-checks the condition against the winner's row, so only one succeeds.
    """
    row = tactical_lease.c
    taken = connection.execute(
        tactical_lease.update()
        .where(row.name == LEASE, sa.or_(row.holder == holder, row.expires_at <= now))
        .values(
            term=sa.case((row.holder == holder, row.term), else_=row.term + 1),
            holder=holder,
            expires_at=now + ttl,
        )
    ).rowcount
    if taken != 1:
        return None
    return int(connection.execute(sa.select(row.term).where(row.name == LEASE)).scalar_one())


def watches(connection: Connection) -> tuple[list[Any], float]:
    """The alert hysteresis the last cycle left, and that cycle's time."""
    found = connection.execute(
        sa.select(tactical_lease.c.watches, tactical_lease.c.last_cycle).where(
            tactical_lease.c.name == LEASE
        )
    ).one()
    return list(found.watches), float(found.last_cycle)


def finish_cycle(
    connection: Connection,
    holder: str,
    term: int,
    now: float,
    ttl: float,
    state: list[Any],
) -> bool:
    """Record a cycle's hysteresis if `holder` still holds the lease under `term`
    (and the cycle is newer than the last one); False when it lost the lease."""
    row = tactical_lease.c
    return (
        connection.execute(
            tactical_lease.update()
            .where(
                row.name == LEASE,
                row.holder == holder,
                row.term == term,
                row.last_cycle < now,
            )
            .values(last_cycle=now, expires_at=now + ttl, watches=state)
        ).rowcount
        == 1
    )


def release(connection: Connection, holder: str) -> None:
    """Give the lease up (a worker shutting down), so another takes over at once."""
    connection.execute(
        tactical_lease.update()
        .where(tactical_lease.c.name == LEASE, tactical_lease.c.holder == holder)
        .values(expires_at=0.0)
    )
