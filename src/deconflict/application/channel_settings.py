"""A party's channel: its duty roster, officers' keys, time zone, webhook secret; the pair
arrangement (suspend or resume, by either side) and policy (administrators); link status."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from deconflict.application.hub import ADMIN, READ, WRITE, Caller, Hub
from deconflict.channel import keys, notice_store, outbox, policy, status
from deconflict.channel.escalation import Officer
from deconflict.channel.kinds import NoticeKind
from deconflict.model.errors import InvalidRequest, NotFound
from deconflict.store import party as party_store


def _other_party(connection: Any, party: str, other: str) -> None:
    if other == party or party_store.get(connection, other) is None:
        raise NotFound(f"no other party {other}", id=other)


def get_roster(hub: Hub, caller: Caller) -> list[Officer]:
    caller.require(READ)
    party = caller.own_party()
    with hub.database.read() as connection:
        return notice_store.roster(connection, party)


def put_roster(hub: Hub, caller: Caller, officers: list[Officer]) -> list[Officer]:
    """Replace the caller's party's duty roster (who may acknowledge, in escalation order)."""
    caller.require(WRITE)
    party = caller.own_party()
    if len({o.id for o in officers}) != len(officers):
        raise InvalidRequest("officer ids must be unique", pointer="/officers")
    with hub.database.write() as connection:
        notice_store.put_roster(connection, party, officers)
        payload = {"officers": [o.id for o in officers if o.on_duty]}
        outbox.recorded(connection, "party.changed", party, [party], payload, hub.clock())
        return notice_store.roster(connection, party)


def register_key(hub: Hub, caller: Caller, officer: str, public_key: str) -> None:
    """An officer's Ed25519 public key, to check the acknowledgements they sign."""
    caller.require(WRITE)
    party = caller.own_party()
    keys.parse_public_key(public_key)
    with hub.database.write() as connection:
        now = hub.clock()
        notice_store.put_officer_key(connection, party, officer, public_key, now)
        payload = {"officer": officer, "public_key": public_key}
        outbox.recorded(connection, "party.changed", party, [party], payload, now)


def webhook_settings(hub: Hub, caller: Caller) -> dict[str, Any]:
    """The secret webhook bodies to the caller's party are signed with, and its time zone."""
    caller.require(WRITE)
    party = caller.own_party()
    with hub.database.write() as connection:
        row = notice_store.channel_party(connection, party)
        found = party_store.get(connection, party)
    return {
        "party": party,
        "webhook_url": found.webhook_url if found else None,
        "secret": row.webhook_secret,
        "timezone": row.timezone,
    }


def set_timezone(hub: Hub, caller: Caller, timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    caller.require(WRITE)
    party = caller.own_party()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {timezone!r}", pointer="/timezone") from None
    from deconflict.store.channel_tables import channel_parties

    with hub.database.write() as connection:
        notice_store.channel_party(connection, party)
        connection.execute(
            channel_parties.update()
            .where(channel_parties.c.party == party)
            .values(timezone=timezone)
        )


def set_suspended(hub: Hub, caller: Caller, other: str, suspended: bool) -> policy.Arrangement:
    """Either side suspends (or resumes) the pair's arrangement; both are told."""
    caller.require(WRITE)
    party = caller.own_party()
    with hub.database.write() as connection:
        _other_party(connection, party, other)
        now = hub.clock()
        current = policy.lookup(policy.load_all(connection), party, other)
        changed = replace(current, suspended=suspended, changed_by=party, changed_at=now)
        policy.save(connection, changed)
        state = "suspended" if suspended else "resumed"
        a, b = changed.parties
        facts = {"a": a, "b": b, "by": party, "state": state}
        drafts = [outbox.Draft(p, party, NoticeKind.ARRANGEMENT, (a, b), facts) for p in (a, b)]
        event = outbox.Event("agreement.changed", party, (a, b), {"suspended": suspended})
        outbox.write(connection, drafts, [event], now)
        return changed


def put_policy(
    hub: Hub, caller: Caller, parties: list[str], value: dict[str, Any]
) -> policy.Arrangement:
    """Administrators set a pair's deadlines and ladder."""
    caller.require(ADMIN)
    if len(set(parties)) != 2:
        raise InvalidRequest("a policy is between two different parties", pointer="/parties")
    parsed = policy.Policy.from_dict(value)
    with hub.database.write() as connection:
        for ident in parties:
            if party_store.get(connection, ident) is None:
                raise NotFound(f"no party {ident}", id=ident)
        current = policy.lookup(policy.load_all(connection), parties[0], parties[1])
        changed = replace(current, policy=parsed)
        policy.save(connection, changed)
        outbox.recorded(
            connection,
            "agreement.changed",
            caller.subject,
            list(changed.parties),
            {"policy": parsed.as_dict()},
            hub.clock(),
        )
        return changed


def arrangements(hub: Hub, caller: Caller) -> list[policy.Arrangement]:
    caller.require(READ)
    party = caller.own_party()
    with hub.database.read() as connection:
        others = [p.id for p in party_store.list_all(connection) if p.id != party]
        found = policy.load_all(connection)
    return [policy.lookup(found, party, other) for other in others]


def link_status(hub: Hub, caller: Caller) -> dict[str, Any]:
    caller.require(READ)
    party = caller.own_party()
    with hub.database.read() as connection:
        others = [p.id for p in party_store.list_all(connection) if p.id != party]
        return {"party": party, "links": status.link_status(connection, party, others)}


def heartbeat(hub: Hub, caller: Caller) -> None:
    caller.require(READ)
    party = caller.own_party()
    with hub.database.write() as connection:
        notice_store.heartbeat(connection, party, hub.clock())
