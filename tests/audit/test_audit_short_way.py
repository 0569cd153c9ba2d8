"""The short way of reading a line (C encoder check, payload and record cut out of the
line) agrees with the long way (RFC 8785 re-encoding in Python, the event rebuilt and
re-hashed) on every line it answers: events of random payloads, and those lines damaged
at random. The long way is written out here from the module's parts, so that the two
stay independent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from deconflict.audit import AuditEvent, EventKind
from deconflict.audit import canonical as jcs
from deconflict.audit.errors import EventFormatError
from deconflict.audit.event import leaf_facts

T0 = datetime(2026, 3, 1, tzinfo=UTC)

NUMBERS = (
    st.integers(-(2**53) + 1, 2**53 - 1)
    | st.integers(2**53, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1e-7, 1e-5, 1e16, 1e21, 1520.5, 1520.0, 2.0**60, 0.1])
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    ["\ufb33", "😀", "\u2028", "\x00\x1f", '"\\/', "é€", "\ud7ff"]
)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
PAYLOADS = st.dictionaries(TEXT, VALUES, max_size=4)


def slow_canonical(data: bytes) -> Any:
    """The reference check: decode with duplicate checks, re-encode in Python, compare."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=jcs._no_duplicates, parse_int=jcs._integer
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventFormatError(f"not JSON: {exc}") from exc
    if jcs.canonical_json(value) != data:
        raise EventFormatError("not canonical")
    return value


def long_way(line: bytes) -> AuditEvent:
    """The reference reading: the slow check, then the constructor encodes everything."""
    return AuditEvent._from_object(slow_canonical(line))


def event_of(payload: dict[str, Any], index: int, subjects: list[str], ms: int) -> AuditEvent:
    return AuditEvent(
        index,
        T0 + timedelta(milliseconds=ms),
        EventKind.NOTICE_DELIVERED,
        "bravo",
        tuple(subjects),
        payload,
        bytes(range(32)),
    )


@settings(max_examples=300, deadline=None)
@given(PAYLOADS, st.integers(0, 10**9), st.lists(TEXT, max_size=3), st.integers(0, 10**9))
@example({"alt_m": 1520.5, "to": "russia"}, 7, ["notice-1"], 0)
@example({"a": {"prev": "x", "subjects": [1]}}, 0, ['","prev":"'], 1)
def test_the_short_way_reads_an_event_as_the_long_way(
    payload: dict[str, Any], index: int, subjects: list[str], ms: int
) -> None:
    try:
        event = event_of(payload, index, subjects, ms)
        line = event.line
    except EventFormatError:
        return  # not an I-JSON payload (integers beyond 2**53): never stored
    reference = long_way(line)
    facts = leaf_facts(line)
    assert facts is None or facts == (index, event.prev, reference.leaf_hash)
    read = AuditEvent.from_line(line)
    assert read == reference and read.leaf_hash == reference.leaf_hash == event.leaf_hash
    assert read.payload_digest == reference.payload_digest and read.record == reference.record


PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15) + 1, 10**15 - 1)  # 16 digits and more go the long way
    | st.text("abc-é€ ", max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("xyz", max_size=3), inner),
    max_leaves=6,
)


@given(st.dictionaries(st.text("xyz_", max_size=4), PLAIN, max_size=4), st.integers(0, 10**9))
def test_plain_lines_go_the_short_way(payload: dict[str, Any], index: int) -> None:
    event = event_of(payload, index, ["op-1", "n-2"], 3)
    assert leaf_facts(event.line) == (index, event.prev, event.leaf_hash)
    assert leaf_facts(event.redacted().line) is None  # redacted lines go the long way


DAMAGE = st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.sampled_from([b" ", b"\\", b"0"])),
    st.tuples(st.just("drop"), st.integers(0, 10**6), st.just(b"")),
)


@settings(max_examples=500, deadline=None)
@given(PAYLOADS, st.integers(0, 10**6), DAMAGE)
@example({"v": 1.5}, 3, ("insert", 0, b" "))
def test_damaged_lines_are_judged_alike(
    payload: dict[str, Any], index: int, damage: tuple[str, int, Any]
) -> None:
    try:
        line = event_of(payload, index, ["op-1"], 5).line
    except EventFormatError:
        return
    how, where, what = damage
    where %= len(line)
    if how == "byte":
        damaged = line[:where] + bytes([what]) + line[where + 1 :]
    elif how == "insert":
        damaged = line[:where] + what + line[where:]
    else:
        damaged = line[:where] + line[where + 1 :]
    try:
        reference: AuditEvent | None = long_way(damaged)
    except EventFormatError:
        reference = None
    facts = leaf_facts(damaged)
    if facts is not None:  # the short way vouches only for what the long way accepts
        assert reference is not None
        assert facts == (reference.index, reference.prev, reference.leaf_hash)
    value = jcs.canonical_value(damaged)
    if value is not None:  # the short check vouches only for what the long check accepts
        assert slow_canonical(damaged) == value
    try:
        read: AuditEvent | None = AuditEvent.from_line(damaged)
    except EventFormatError:
        read = None
    assert (read is None) == (reference is None)
    if read is not None and reference is not None:
        assert read.leaf_hash == reference.leaf_hash and read.payload == reference.payload


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(0, 10**6), st.sampled_from([b"", b" ", b"0", b"e", b".0", b"\\"]))
@example(9007199254740992.0, 0, b"")
@example({"a": 1e16}, 0, b"")
def test_the_short_check_vouches_only_for_canonical_json(
    value: Any, where: int, insert: bytes
) -> None:
    try:
        data = jcs.canonical_json(value)
    except EventFormatError:
        return
    where %= len(data) + 1
    for candidate in (data, data[:where] + insert + data[where:]):
        short = jcs.canonical_value(candidate)
        if short is not None:
            assert slow_canonical(candidate) == short
            assert jcs.canonical_json(short) == candidate
