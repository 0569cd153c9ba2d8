"""The audit event: what happened, who did it, when, to which objects; and its leaf hash.

Every change, notice, delivery, read and acknowledgement becomes one `AuditEvent`, one
leaf of the Merkle-tree log (RFC 9162). Two byte forms exist:

- the **line** (`AuditEvent.line`), what is stored and exported: canonical JSON
  (RFC 8785) of ``actor, index, kind, payload, prev, subjects, time, v``;
- the **record** (`AuditEvent.record`), what is hashed into the tree: the same object
  with ``payload`` replaced by ``payload_digest`` (hex SHA-256 of the payload's
  canonical JSON). The leaf hash is ``SHA-256(0x00 || record)`` (RFC 9162 2.1.1).

Hashing the payload's digest rather than the payload lets an exported bundle *redact*
a payload (say, another party's mission details) and still prove the event's inclusion:
DESIGN.md's record is "who, what, when, digest of the payload". A redacted line carries
``payload_digest`` instead of ``payload``. (Digests of short, guessable payloads can be
confirmed by guessing; put no secret there that a few guesses would find.)

Why each event also carries ``index`` and ``prev`` (the previous event's leaf hash): a
signed checkpoint commits to the whole tree with one root, so a mismatch says only
"something among the first n events is wrong". The position field turns a dropped,
inserted or reordered event into a local mismatch at its own position, and the chain
turns a changed event into a mismatch at the next one, so `verify_log` can name the
*first bad index* without any trusted copy of the tree nodes. The tree still does the
proving (inclusion and consistency in O(log n)); the chain only localises damage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from deconflict.audit.canonical import (
    MAX_SAFE_INTEGER,
    Encoded,
    canonical_text,
    canonical_value,
    escape_string,
    parse_canonical,
)
from deconflict.audit.errors import EventFormatError
from deconflict.audit.event_kinds import KIND_NAMES, EventKind

FORMAT_VERSION = 1
HASH_SIZE = 32
GENESIS = bytes(HASH_SIZE)
"""The ``prev`` of event 0: there is no previous leaf."""
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


_LINE_FIELDS = frozenset({"actor", "index", "kind", "prev", "subjects", "time", "v"})


def leaf_hash(record: bytes) -> bytes:
    """RFC 9162 2.1.1: ``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(LEAF_PREFIX + record).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and ``Z``: fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise EventFormatError("event time must be timezone-aware (UTC)")
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # isoformat pads the year to four digits, strftime may not
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is the same text, several times faster (it runs once per logged event).
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_CANONICAL_TIME = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def parse_time(text: str) -> datetime:
    """The inverse of `format_time`; refuses any other spelling (it would not be canonical)."""
    if isinstance(text, str) and _CANONICAL_TIME.fullmatch(text):
        try:  # the fixed-width spelling, so only the values remain to check (in C)
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
        except ValueError:
            pass  # e.g. February 30th: the full check below words the refusal
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        raise EventFormatError(f"time {text!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ") from exc
    if format_time(moment) != text:
        raise EventFormatError(f"time {text!r} is not in canonical form")
    return moment


def encode_event(
    index: int,
    time: datetime,
    kind: str,
    actor: str,
    subjects: Sequence[str],
    payload: Mapping[str, Any],
    prev: bytes,
) -> tuple[bytes, bytes]:
    """(line, leaf hash) of an event: the bytes an `AuditEvent` of these fields has,
    without building one (the sequencer writes thousands a second)."""
    if kind not in KIND_NAMES:
        raise EventFormatError(f"unknown event kind {kind!r}")
    if not actor:
        raise EventFormatError("actor must be a non-empty party id")
    if len(prev) != HASH_SIZE:
        raise EventFormatError("prev must be a 32-byte hash")
    if not 0 <= index <= MAX_SAFE_INTEGER:
        raise EventFormatError("index must be ≥ 0 (and an I-JSON integer)")
    payload_text = canonical_text(payload)
    digest = hashlib.sha256(_utf8(payload_text)).hexdigest()
    when = format_time(time)
    record = _event_text(index, when, kind, actor, subjects, prev, "payload_digest", f'"{digest}"')
    line = _event_text(index, when, kind, actor, subjects, prev, "payload", payload_text)
    return line, leaf_hash(record)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in a string
        raise EventFormatError(f"string is not valid Unicode: {exc.reason}") from exc


def _event_text(
    index: int,
    time_text: str,
    kind: str,
    actor: str,
    subjects: Sequence[str],
    prev: bytes,
    body: str,
    body_text: str,
) -> bytes:
    """Canonical JSON of an event's members, written out: they are strings, one integer
    and the already-canonical body, and their names are ASCII, so RFC 8785's order is
    the one below (tests hold it to the general encoder)."""
    return _utf8(
        '{"actor":'
        + escape_string(actor)
        + ',"index":'
        + str(index)
        + ',"kind":'
        + escape_string(kind)
        + ',"'
        + body
        + '":'
        + body_text
        + ',"prev":"'
        + prev.hex()
        + '","subjects":['
        + ",".join(map(escape_string, subjects))
        + '],"time":"'
        + time_text
        + '","v":'
        + str(FORMAT_VERSION)
        + "}"
    )


@dataclass(frozen=True)
class AuditEvent:
    """One log entry. `payload` is None when the line was redacted (digest kept).

    `time` is the hub's clock (UTC); the log keeps times non-decreasing in index order.
    """

    index: int
    time: datetime
    kind: EventKind
    actor: str
    subjects: tuple[str, ...]
    payload: Mapping[str, Any] | None
    prev: bytes = GENESIS
    payload_digest: bytes = field(default=b"", compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.index <= MAX_SAFE_INTEGER:
            raise EventFormatError("index must be ≥ 0 (and an I-JSON integer)")
        if len(self.prev) != HASH_SIZE:
            raise EventFormatError("prev must be a 32-byte hash")
        if not self.actor:
            raise EventFormatError("actor must be a non-empty party id")
        if self.payload is None:
            if len(self.payload_digest) != HASH_SIZE:
                raise EventFormatError("a redacted event needs its 32-byte payload digest")
        else:
            encoded = canonical_text(self.payload)
            try:
                digest = hashlib.sha256(encoded.encode("utf-8")).digest()
            except UnicodeEncodeError as exc:  # a lone surrogate in a string
                raise EventFormatError(f"string is not valid Unicode: {exc.reason}") from exc
            object.__setattr__(self, "_payload_text", encoded)
            if self.payload_digest and self.payload_digest != digest:
                raise EventFormatError("payload digest does not match the payload")
            object.__setattr__(self, "payload_digest", digest)
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "subjects", tuple(self.subjects))

    @cached_property
    def record(self) -> bytes:
        """The bytes hashed into the tree (payload replaced by its digest)."""
        digest = f'"{self.payload_digest.hex()}"'
        return self._text("payload_digest", digest)

    @cached_property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.record)

    @cached_property
    def line(self) -> bytes:
        """The stored/exported form: canonical JSON with the payload (or its digest)."""
        if self.payload is None:
            return self.record
        encoded: Encoded = self.__dict__["_payload_text"]  # made once, in __post_init__
        return self._text("payload", encoded)

    def _text(self, body: str, body_text: str) -> bytes:
        time_text = format_time(self.time)
        subjects = self.subjects
        return _event_text(
            self.index, time_text, self.kind.value, self.actor, subjects, self.prev, body, body_text
        )

    def redacted(self) -> AuditEvent:
        """The same event with its payload withheld; its leaf hash is unchanged."""
        return AuditEvent(
            self.index,
            self.time,
            self.kind,
            self.actor,
            self.subjects,
            None,
            self.prev,
            self.payload_digest,
        )

    @classmethod
    def from_line(cls, line: bytes, *, position: int | None = None) -> AuditEvent:
        """Decode a stored line; `position` (where it was found) only labels errors."""
        value = parse_canonical(line)
        try:
            return cls._from_object(value, line)
        except EventFormatError as exc:
            raise EventFormatError(exc.message, index=position) from exc

    @classmethod
    def _from_object(cls, value: Any, line: bytes | None = None) -> AuditEvent:
        if not isinstance(value, dict):
            raise EventFormatError("an event is a JSON object")
        redacted = "payload_digest" in value
        body = "payload_digest" if redacted else "payload"
        if set(value) != _LINE_FIELDS | {body}:
            raise EventFormatError(f"members must be {sorted(_LINE_FIELDS | {body})}")
        if value["v"] != FORMAT_VERSION:
            raise EventFormatError(f"unknown event format version {value['v']!r}")
        index, subjects = value["index"], value["subjects"]
        if not isinstance(index, int) or isinstance(index, bool):
            raise EventFormatError("index must be an integer")
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
            raise EventFormatError("subjects must be a list of strings")
        if not isinstance(value["actor"], str):
            raise EventFormatError("actor must be a string")
        try:
            kind = EventKind(value["kind"])
            prev = bytes.fromhex(value["prev"])
            digest = bytes.fromhex(value["payload_digest"]) if redacted else b""
        except (TypeError, ValueError) as exc:
            raise EventFormatError(f"bad kind or hash: {exc}") from exc
        payload = None if redacted else value["payload"]
        if payload is not None and not isinstance(payload, dict):
            raise EventFormatError("payload must be a JSON object")
        if redacted and value["payload_digest"] != digest.hex():
            raise EventFormatError("payload_digest must be lowercase hex")
        if value["prev"] != prev.hex():
            raise EventFormatError("prev must be lowercase hex")
        moment = parse_time(value["time"])
        if line is not None and payload is not None:
            known = cls._from_canonical_line(value, line, kind, prev, moment)
            if known is not None:
                return known
        return cls(index, moment, kind, value["actor"], tuple(subjects), payload, prev, digest)

    @classmethod
    def _from_canonical_line(
        cls, value: dict[str, Any], line: bytes, kind: EventKind, prev: bytes, moment: datetime
    ) -> AuditEvent | None:
        """The event of a line known to be canonical, without encoding it again (`_cut`);
        None if the line does not cut as expected (it then goes the long way)."""
        cut = _cut(value, line)
        if cut is None or value["index"] < 0 or not value["actor"]:
            return None  # the constructor names the fault
        digest, record = cut
        event = object.__new__(cls)
        # Fields as the constructor would set them, and the cached forms (cached_property
        # keeps them in the instance's __dict__ too).
        event.__dict__.update(
            index=value["index"],
            time=moment,
            kind=kind,
            actor=value["actor"],
            subjects=tuple(value["subjects"]),
            payload=value["payload"],
            prev=prev,
            payload_digest=digest,
            line=line,
            record=record,
        )
        return event


def _cut(value: dict[str, Any], line: bytes) -> tuple[bytes, bytes] | None:
    """(payload digest, record) of canonical `line` (decoded: `value`), cut out of it.

    In a canonical line the payload member's value *is* the payload's canonical JSON,
    and the record is the line with that member swapped for the digest (members sort
    the same: payload < payload_digest < prev). Where: members are sorted, and a JSON
    string never holds a bare `"`, so the first `,"payload":` is the top-level one (only
    actor, index and kind come before it) and the last `,"prev":"` too (only subjects,
    time and v come after it). So both come from slicing, and what reading a line costs
    is two hashes, not three encodings. None if the line is not a plain event line.
    """
    version = value.get("v")
    if type(version) is not int or version != FORMAT_VERSION or "payload" not in value:
        return None  # the constructor decides (it writes v as FORMAT_VERSION)
    start = line.find(b',"payload":') + 1
    end = line.rfind(b',"prev":"')
    if start <= 0 or end < start:
        return None
    digest = hashlib.sha256(line[start + len(b'"payload":') : end]).digest()
    return digest, line[:start] + b'"payload_digest":"%s"' % digest.hex().encode() + line[end:]


_MEMBERS = _LINE_FIELDS | {"payload"}
_HASH_HEX = re.compile(r"[0-9a-f]{64}")


def leaf_facts(line: bytes) -> tuple[int, bytes, bytes] | None:
    """(index, prev, leaf hash) of a stored line, the short way; None when it must be read
    with `AuditEvent.from_line` (a redacted line, a number or character the short way
    cannot vouch for, or a fault, which that names). Both ways agree on every line the
    short way answers (tests/audit: hypothesis, against `from_line`)."""
    value = canonical_value(line)
    if type(value) is not dict or value.keys() != _MEMBERS:
        return None
    index, actor, subjects, prev, moment = (
        value["index"],
        value["actor"],
        value["subjects"],
        value["prev"],
        value["time"],
    )
    if not (
        type(index) is int
        and index >= 0
        and type(actor) is str
        and actor
        and value["kind"] in KIND_NAMES
        and type(value["payload"]) is dict
        and type(subjects) is list
        and all(type(s) is str for s in subjects)
        and type(prev) is str
        and _HASH_HEX.fullmatch(prev)
        and type(moment) is str
        and _CANONICAL_TIME.fullmatch(moment)
    ):
        return None
    try:
        datetime.fromisoformat(moment[:-1])
    except ValueError:
        return None
    cut = _cut(value, line)
    if cut is None:
        return None
    return index, bytes.fromhex(prev), leaf_hash(cut[1])
