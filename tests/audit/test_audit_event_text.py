"""An event's line and record, written out member by member, are the canonical JSON
(RFC 8785, through the general encoder) of the objects the format defines."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from deconflict.audit import AuditEvent, EventKind
from deconflict.audit.canonical import reference_text
from deconflict.audit.event import encode_event

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
PAYLOADS = st.dictionaries(
    TEXT,
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(-1e30, 1e30)
    | TEXT,
    max_size=5,
)


@given(
    index=st.integers(0, 2**53 - 1),
    seconds=st.floats(0, 4e9),
    kind=st.sampled_from(list(EventKind)),
    actor=TEXT.filter(bool),
    subjects=st.lists(TEXT, max_size=4),
    payload=PAYLOADS,
    prev=st.binary(min_size=32, max_size=32),
)
def test_line_and_record_are_the_canonical_objects(
    index: int,
    seconds: float,
    kind: EventKind,
    actor: str,
    subjects: list[str],
    payload: dict,
    prev: bytes,
) -> None:
    time = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(seconds * 1e6))
    event = AuditEvent(index, time, kind, actor, tuple(subjects), payload, prev)
    head = {
        "actor": actor,
        "index": index,
        "kind": kind.value,
        "prev": prev.hex(),
        "subjects": subjects,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "v": 1,
    }
    digest = hashlib.sha256(reference_text(payload).encode()).hexdigest()
    assert event.line == reference_text({**head, "payload": payload}).encode()
    assert event.record == reference_text({**head, "payload_digest": digest}).encode()
    assert event.redacted().line == event.record
    quick = encode_event(index, time, kind.value, actor, subjects, payload, prev)
    assert quick == (event.line, event.leaf_hash)
