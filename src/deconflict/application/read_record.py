"""The audit record as parties read it: checkpoints, events, proofs, bundles, as-of.

Administrators read every payload. A party reads every event, but payloads of events
that neither it acted in nor were addressed to it are redacted (the leaf commits to the
payload's digest, so proofs still verify): need-to-know holds in the record too.
"""

from __future__ import annotations

import base64
from typing import Any

from deconflict.application.hub import READ, Caller, Hub
from deconflict.audit import AuditLog, export_bundle
from deconflict.audit.errors import AuditError
from deconflict.audit.event import AuditEvent
from deconflict.audit.sql_store import SqlLogStore
from deconflict.channel.keys import hub_signer
from deconflict.model.errors import InvalidRequest

MAX_EVENTS = 10_000


def _visible(caller: Caller, event: AuditEvent) -> bool:
    if caller.is_admin:
        return True
    payload = event.payload or {}
    return (
        event.actor == caller.party
        or payload.get("to") == caller.party
        or payload.get("from") == caller.party
        or caller.party in payload.get("parties", ())
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def verifier_key(data_dir: str) -> str:
    return hub_signer(data_dir).verifier.text()


def checkpoints(hub: Hub, caller: Caller) -> list[str]:
    caller.require(READ)
    with hub.database.read() as connection:
        return AuditLog(SqlLogStore(connection)).checkpoints()


def events(hub: Hub, caller: Caller, start: int, end: int | None) -> dict[str, Any]:
    caller.require(READ)
    with hub.database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        size = log.size
        stop = min(size, end if end is not None else size, start + MAX_EVENTS)
        lines = [
            (e if _visible(caller, e) else e.redacted()).line.decode("utf-8")
            for e in log.events(start, stop)
        ]
    return {"size": size, "from": start, "to": stop, "events": lines}


def inclusion(hub: Hub, caller: Caller, index: int, size: int) -> dict[str, Any]:
    caller.require(READ)
    with hub.database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        if not 0 <= index < size <= log.size:
            raise InvalidRequest(f"need 0 ≤ index < size ≤ {log.size}", pointer="/index")
        path = log.inclusion_proof(index, size)
    return {"index": index, "size": size, "path": [_b64(h) for h in path]}


def consistency(hub: Hub, caller: Caller, old: int, new: int) -> dict[str, Any]:
    caller.require(READ)
    with hub.database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        if not 0 < old <= new <= log.size:
            raise InvalidRequest(f"need 0 < from ≤ to ≤ {log.size}", pointer="/from")
        path = log.consistency_proof(old, new)
    return {"from": old, "to": new, "path": [_b64(h) for h in path]}


def bundle(
    hub: Hub, caller: Caller, data_dir: str, start: int, end: int | None, known: list[int]
) -> dict[str, Any]:
    caller.require(READ)
    verifier = hub_signer(data_dir).verifier
    with hub.database.read() as connection:
        log = AuditLog(SqlLogStore(connection))
        notes = log.checkpoints()
        if not notes:
            raise InvalidRequest("no checkpoint has been signed yet; retry in a second")
        latest = verifier.verify(notes[-1]).checkpoint.size
        stop = latest if end is None else min(end, latest)
        if stop - start > MAX_EVENTS:
            raise InvalidRequest(f"at most {MAX_EVENTS} events per bundle", pointer="/to")
        try:
            return export_bundle(
                log,
                start,
                stop,
                verifier,
                known_sizes=known,
                redact=lambda e: not _visible(caller, e),
            )
        except AuditError as error:
            raise InvalidRequest(str(error)) from error
