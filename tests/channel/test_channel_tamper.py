"""Tamper tests on the stored record: change, drop or reorder a stored event and
`deconflict audit verify` fails naming the first bad index; a forked log is caught by
the consistency proof a party demands from the checkpoint it kept."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from service_helpers import op, unique
from test_channel_escalation import ADMINISTRATOR, caller, declaration, parties, settle

from deconflict.application.acknowledge_notice import send_hotline
from deconflict.application.hub import Hub
from deconflict.application.submit_operation import submit_operation
from deconflict.audit import AuditLog, ForkError, check_consistency
from deconflict.audit.canonical import canonical_json
from deconflict.audit.sql_store import SqlLogStore, audit_events
from deconflict.channel import keys, sequencer
from deconflict.store.backend import connect
from deconflict.store.migrate import upgrade


@pytest.fixture
def filled(database_url: str, key_dir: str) -> Iterator[Hub]:
    """A record of ~30 events, all under a signed checkpoint."""
    database = connect(database_url)
    upgrade(database)
    hub = Hub(database)
    parties(hub)
    for i in range(4):
        body = op(unique("op"), "coalition", lon=36.0 + 0.2 * i)
        submit_operation(hub, caller("coalition"), declaration(body))
    send_hotline(hub, caller("coalition"), "russia", "hello")
    settle(hub, key_dir)
    sequencer.run_pass(hub.database, hub.clock, keys.hub_signer(key_dir), force_checkpoint=True)
    assert ADMINISTRATOR.is_admin
    yield hub
    database.engine.dispose()


def verify(database_url: str, key_dir: str) -> subprocess.CompletedProcess[str]:
    key = keys.hub_signer(key_dir).verifier.text()
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "deconflict.cli",
            "audit",
            "verify",
            "--database",
            database_url,
            "--key",
            key,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def lines(hub: Hub) -> list[bytes]:
    with hub.database.read() as connection:
        return [
            bytes(r.line)
            for r in connection.execute(
                sa.select(audit_events.c.line).order_by(audit_events.c.leaf_index)
            )
        ]


def altered(line: bytes) -> bytes:
    """The same event, canonical still, with another actor."""
    value = json.loads(line)
    value["actor"] = "mallory"
    return canonical_json(value)


def rewrite(hub: Hub, index: int, line: bytes) -> None:
    with hub.database.write() as connection:
        connection.execute(
            audit_events.update().where(audit_events.c.leaf_index == index).values(line=line)
        )


def test_an_untouched_record_verifies(filled: Hub, database_url: str, key_dir: str) -> None:
    result = verify(database_url, key_dir)
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout


@pytest.mark.parametrize("how", ["change", "drop", "swap"])
def test_damage_names_the_first_bad_index(
    filled: Hub, database_url: str, key_dir: str, how: str
) -> None:
    stored = lines(filled)
    target = len(stored) // 2
    if how == "change":
        rewrite(filled, target, altered(stored[target]))
    elif how == "drop":
        with filled.database.write() as connection:
            connection.execute(audit_events.delete().where(audit_events.c.leaf_index == target))
    else:
        rewrite(filled, target, stored[target + 1])
        rewrite(filled, target + 1, stored[target])
    result = verify(database_url, key_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"first bad index {target}" in result.stderr.replace("\n", " ")


def test_a_forked_log_fails_the_consistency_proof(filled: Hub, key_dir: str) -> None:
    signer = keys.hub_signer(key_dir)
    with filled.database.read() as connection:
        kept = AuditLog(SqlLogStore(connection)).checkpoints()[-1]  # a party keeps this
    # The hub rewrites an old event and re-signs: a new history, same key.
    stored = lines(filled)
    rewrite(filled, 1, altered(stored[1]))
    from deconflict.audit import AuditEvent, MemoryLogStore

    forged = AuditLog(MemoryLogStore())
    for line in [*lines(filled)]:
        event = AuditEvent.from_line(line)
        forged.append(event.kind, event.actor, event.subjects, event.payload or {}, time=event.time)
    send = forged.append("notice.read", "russia", ["x"], {"to": "russia"})
    assert send.index == len(stored)
    new_note = forged.sign_checkpoint(signer).note
    proof = forged.consistency_proof(len(stored), forged.size)
    with pytest.raises(ForkError):
        check_consistency(kept, new_note, proof, signer.verifier)
