"""A notice's digest (what an officer signs) is the SHA-256 of its canonical JSON, however
it was made: written by the outbox with facts shared among recipients, or recomputed."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from deconflict.audit.canonical import canonical_text, reference_text
from deconflict.audit.checkpoint import CheckpointSigner
from deconflict.channel import notice_store, outbox, sequencer
from deconflict.channel.kinds import NoticeKind
from deconflict.store.backend import connect
from deconflict.store.channel_tables import notices
from deconflict.store.migrate import upgrade


def expected_digest(row: sa.Row) -> str:
    """Independent of the service's code path: the body spelled out, the rules' encoder."""
    created = datetime.fromtimestamp(row.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "id": row.id,
        "to": row.recipient,
        "from": row.sender,
        "kind": row.kind,
        "about": list(row.about),
        "facts": row.facts,
        "created_at": created,
    }
    return hashlib.sha256(reference_text(body).encode("utf-8")).hexdigest()


def test_stored_digests_match_the_notices(database_url: str) -> None:
    database = connect(database_url)
    upgrade(database)
    shared = {"operation": "op-1", "start": 1.8e9, "lower_m": 0.0, "lon": 35.12345, "note": "é"}
    drafts = [
        outbox.Draft("bravo", "alpha", NoticeKind.OPERATION_NEW, ("op-1",), shared, 1.8e9),
        outbox.Draft("charlie", "alpha", NoticeKind.OPERATION_NEW, ("op-1",), shared, 1.8e9),
        outbox.Draft("bravo", "alpha", NoticeKind.HOTLINE, (), {"text": "1.0 ok", "n": 2.5}),
    ]
    now = time.time()
    with database.write() as connection:
        outbox.write(connection, drafts, [], now)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), "test")
    sequencer.run_pass(database, time.time, signer)
    with database.read() as connection:
        rows = connection.execute(sa.select(notices).order_by(notices.c.id)).all()
    assert [r.id for r in rows] == sorted(d.id for d in drafts)
    assert len({r.digest for r in rows}) == 3
    for row in rows:
        assert row.seq is not None
        assert row.digest == expected_digest(row)
        assert sequencer.notice_digest(row) == row.digest


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10)
FACTS = st.dictionaries(
    TEXT, st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | TEXT, max_size=5
) | st.dictionaries(TEXT, st.floats(-1e12, 1e12), max_size=3)


@given(
    ident=TEXT,
    recipient=TEXT,
    sender=TEXT,
    kind=TEXT,
    about=st.lists(TEXT, max_size=3),
    facts=FACTS,
    created_at=st.floats(0, 4e9),
    encoded=st.booleans(),
)
def test_the_digest_is_of_the_canonical_object(
    ident: str,
    recipient: str,
    sender: str,
    kind: str,
    about: list[str],
    facts: dict,
    created_at: float,
    encoded: bool,
) -> None:
    row = SimpleNamespace(
        id=ident,
        recipient=recipient,
        sender=sender,
        kind=kind,
        about=about,
        facts=facts,
        created_at=created_at,
    )
    given_facts = canonical_text(facts) if encoded else facts
    made = notice_store.digest(ident, recipient, sender, kind, about, given_facts, created_at)
    assert made == expected_digest(row)  # type: ignore[arg-type]
