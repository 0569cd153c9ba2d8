"""Canonical encoding (RFC 8785) and the event's two byte forms."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from deconflict.audit import AuditEvent, EventKind
from deconflict.audit.canonical import (
    canonical_json,
    canonical_text,
    format_number,
    parse_canonical,
    reference_text,
)
from deconflict.audit.errors import EventFormatError

# RFC 8785 appendix B: IEEE 754 bit patterns and their canonical text.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), RFC8785_NUMBERS)
def test_numbers_as_rfc8785(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert format_number(value) == text


def test_members_sorted_by_utf16_and_strings_escaped_minimally() -> None:
    # UTF-16 order: U+FB33 (one unit) sorts after 😀 (surrogates D83D DE00), though its
    # code point is lower; control characters take the short escapes or \u00xx.
    value = {"\ufb33": 1, "😀": 2, "€": 3, "\r": 4, "1": 5, "a": [True, None, 1.0, "é\n\u0001"]}
    assert canonical_json(value) == (
        '{"\\r":4,"1":5,"a":[true,null,1,"é\\n\\u0001"],"€":3,"😀":2,"\ufb33":1}'.encode()
    )


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**53) + 1, 2**53 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_canonical_json_round_trips(value: object) -> None:
    data = canonical_json(value)
    assert canonical_json(parse_canonical(data)) == data


_KEYS = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4
) | st.sampled_from(["a", "A", "\ufb33", "😀", "1", "\u00e9"])
_NUMBERS = (
    st.integers()
    | st.floats()
    | st.floats(min_value=-1e22, max_value=1e22).map(round).map(float)  # integral floats
    | st.sampled_from([2.0**53, -(2.0**53), 2.0**53 + 2, 1e16, 1e21, 1e-4, 9.99e-5, -0.0, 1e-7])
)


@given(
    st.recursive(
        st.none() | st.booleans() | _NUMBERS | st.text(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(_KEYS, inner, max_size=4)
        ),
        max_leaves=16,
    )
)
@example({"\ufb33": 1, "😀": [-(2**53) + 1]})  # UTF-16 order, not code points
@example({"a": [2**53]})  # an integer too large
@example([2**60, 1e-5, 123456789012345680000.0, 2.0**60])
def test_the_fast_path_writes_what_the_rules_write(value: object) -> None:
    """Every value gets the reference encoder's bytes, or the same refusal."""
    try:
        expected = reference_text(value)
    except EventFormatError:
        with pytest.raises(EventFormatError):
            canonical_text(value)
        return
    assert canonical_text(value) == expected


@pytest.mark.parametrize(
    "data",
    [b'{"a": 1}', b'{"b":1,"a":2}', b'{"a":1,"a":1}', b"[1.0]", b'"\\u00e9"', b"\xff", b"NaN"],
)
def test_non_canonical_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(EventFormatError):
        parse_canonical(data)


def test_refuses_values_json_cannot_carry_exactly() -> None:
    for bad in (2**53, float("nan"), b"bytes", {1: "x"}, object()):
        with pytest.raises(EventFormatError):
            canonical_json(bad)


def event(**changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "index": 3,
        "time": datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC),
        "kind": EventKind.NOTICE_ACKNOWLEDGED,
        "actor": "bravo",
        "subjects": ("notice-7",),
        "payload": {"to": "bravo", "note": "seen"},
        "prev": bytes(range(32)),
    }
    fields.update(changes)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def test_line_round_trips_and_leaf_hash_is_rfc9162() -> None:
    e = event()
    assert e.line == (
        b'{"actor":"bravo","index":3,"kind":"notice.acknowledged",'
        b'"payload":{"note":"seen","to":"bravo"},'
        b'"prev":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",'
        b'"subjects":["notice-7"],"time":"2026-03-01T12:00:00.250000Z","v":1}'
    )
    assert AuditEvent.from_line(e.line) == e
    import hashlib

    assert e.leaf_hash == hashlib.sha256(b"\x00" + e.record).digest()
    assert b"payload_digest" in e.record and b'"payload"' not in e.record


def test_redaction_keeps_the_leaf_hash() -> None:
    e = event()
    hidden = e.redacted()
    assert hidden.payload is None
    assert b"seen" not in hidden.line
    assert hidden.leaf_hash == e.leaf_hash
    assert AuditEvent.from_line(hidden.line).leaf_hash == e.leaf_hash


def test_times_are_utc_whatever_zone_they_came_in() -> None:
    local = datetime(2026, 3, 1, 15, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=3)))
    assert event(time=local).line == event().line
    with pytest.raises(EventFormatError):
        _ = event(time=datetime(2026, 3, 1, 12, 0)).line  # noqa: DTZ001 (naive on purpose)


@pytest.mark.parametrize(
    "replace",
    [
        (b'"v":1', b'"v":2'),
        (b'"kind":"notice.acknowledged"', b'"kind":"notice.forgotten"'),
        (b"000102", b"ABCDEF"[:3] + b"102"),
        (b'"index":3', b'"index":true'),
        (b"12:00:00.250000Z", b"12:00:00.25Z"),
        (b'"actor":"bravo",', b""),
    ],
)
def test_lines_that_are_not_events_are_refused(replace: tuple[bytes, bytes]) -> None:
    old, new = replace
    with pytest.raises(EventFormatError):
        AuditEvent.from_line(event().line.replace(old, new), position=3)
