"""Self-verifying export bundles: a range of events with everything needed to check it.

A bundle is one JSON object (``format: deconflict-audit-bundle/1``)::

    origin, public_key        the log's name and the hub's verifier key (note text form)
    range: {from, to}         event indexes [from, to)
    events: [line, …]         each event's canonical line, as a string (bytes preserved)
    checkpoints: [note, …]    signed checkpoints, by size; the last covers `to`
    inclusion: [{index, size, path}, …]    one per event, against the last checkpoint
    consistency: [{from, to, path}, …]     between consecutive checkpoints, and from
                                           any size the receiving party said it holds

Hashes are standard base64. `verify_bundle` needs no server: it checks every
checkpoint's signature, every consistency proof (a failure is a `ForkError`), every
event's canonical form, position, chain link and inclusion proof (a failure is a
`TamperError` naming the index). It should be given the hub's key the party already
trusts; the key inside the bundle is only a claim. A party that kept checkpoints of
its own passes them as `known_checkpoints`: each must match a bundle checkpoint of the
same size or be joined to the latest by a consistency proof in the bundle.

Payloads may be redacted (`AuditEvent.redacted`): the leaf commits to the payload's
digest, so inclusion still verifies and the digest shows what was withheld.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deconflict.audit import merkle
from deconflict.audit.checkpoint import Checkpoint, CheckpointVerifier
from deconflict.audit.errors import (
    AuditError,
    BundleError,
    EventFormatError,
    ForkError,
    ProofError,
    TamperError,
)
from deconflict.audit.event import AuditEvent
from deconflict.audit.log import AuditLog

BUNDLE_FORMAT = "deconflict-audit-bundle/1"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BundleError("a hash must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"bad base64 {text!r}") from exc


def export_bundle(
    log: AuditLog,
    start: int,
    end: int,
    verifier: CheckpointVerifier,
    *,
    known_sizes: Iterable[int] = (),
    redact: Callable[[AuditEvent], bool] | None = None,
) -> dict[str, Any]:
    """Bundle events ``[start, end)`` with proofs against the log's latest checkpoint.

    Checkpoints included: the last one before the range, every one from the range on,
    and the latest (which must cover `end`: sign one first). `known_sizes` adds
    consistency proofs from checkpoint sizes the receiving party already holds.
    `redact(event)` → True withholds that event's payload.
    """
    notes = log.checkpoints()
    if not notes:
        raise BundleError("the log has no signed checkpoint yet")
    heads = [verifier.verify(note).checkpoint for note in notes]
    latest = heads[-1]
    if not 0 <= start <= end <= latest.size:
        raise BundleError(f"range [{start}, {end}) is not covered by checkpoint {latest.size}")
    before = [i for i, h in enumerate(heads) if h.size <= start]
    first = before[-1] if before else 0
    chosen = list(range(first, len(heads)))
    events = []
    inclusion = []
    for event in log.events(start, end):
        shown = event.redacted() if redact is not None and redact(event) else event
        events.append(shown.line.decode("utf-8"))
        path = log.inclusion_proof(event.index, latest.size)
        inclusion.append(
            {"index": event.index, "size": latest.size, "path": [_b64(h) for h in path]}
        )
    pairs = [(heads[a].size, heads[b].size) for a, b in itertools.pairwise(chosen)]
    pairs += [(m, latest.size) for m in sorted(set(known_sizes)) if 0 < m < latest.size]
    consistency = [
        {"from": a, "to": b, "path": [_b64(h) for h in log.consistency_proof(a, b)]}
        for a, b in dict.fromkeys(pairs)
    ]
    return {
        "format": BUNDLE_FORMAT,
        "origin": verifier.name,
        "public_key": verifier.text(),
        "range": {"from": start, "to": end},
        "events": events,
        "checkpoints": [notes[i] for i in chosen],
        "inclusion": inclusion,
        "consistency": consistency,
    }


def write_bundle(bundle: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"cannot read bundle {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise BundleError("a bundle is a JSON object")
    return value


@dataclass(frozen=True)
class BundleReport:
    """What `verify_bundle` established."""

    origin: str
    start: int
    end: int
    latest: Checkpoint
    checkpoints: int
    redacted: int
    events: tuple[AuditEvent, ...]


def verify_bundle(
    bundle: dict[str, Any],
    *,
    trusted_key: str | None = None,
    known_checkpoints: Sequence[str] = (),
) -> BundleReport:
    """Check everything in `bundle` offline; raise an `AuditError` naming what fails."""
    try:
        return _verify(bundle, trusted_key, known_checkpoints)
    except AuditError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleError(f"malformed bundle: {exc!r}") from exc


def _verify(
    bundle: dict[str, Any], trusted_key: str | None, known_checkpoints: Sequence[str]
) -> BundleReport:
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"not a {BUNDLE_FORMAT} bundle")
    if trusted_key is not None and bundle["public_key"] != trusted_key:
        raise BundleError("the bundle is signed with a key other than the one you trust")
    verifier = CheckpointVerifier.from_text(trusted_key or bundle["public_key"])
    heads = sorted(
        (verifier.verify(note).checkpoint for note in bundle["checkpoints"]),
        key=lambda c: c.size,
    )
    if not heads:
        raise BundleError("the bundle has no checkpoint")
    by_size = {h.size: h for h in heads}
    for known in known_checkpoints:
        mine = verifier.verify(known).checkpoint
        if mine.size > heads[-1].size:
            raise BundleError(f"your checkpoint of size {mine.size} is newer than the bundle")
        if mine.size in by_size and by_size[mine.size].root != mine.root:
            raise ForkError(f"your checkpoint of size {mine.size} has a different root: fork")
        by_size.setdefault(mine.size, mine)
    proofs = {(p["from"], p["to"]): [_unb64(h) for h in p["path"]] for p in bundle["consistency"]}
    latest = heads[-1]
    needed = list(itertools.pairwise(heads)) + [
        (by_size[m], latest) for m in sorted(by_size) if m < latest.size and by_size[m] not in heads
    ]
    for old, new in needed:
        if old.size == new.size:
            if old.root != new.root:
                raise ForkError(f"two signed checkpoints of size {old.size}, different roots")
            continue
        if (old.size, new.size) not in proofs:
            raise BundleError(f"no consistency proof from size {old.size} to {new.size}")
        try:
            merkle.verify_consistency(
                old.size, new.size, old.root, new.root, proofs[(old.size, new.size)]
            )
        except ProofError as exc:
            raise ForkError(f"size {new.size} does not extend size {old.size}: {exc}") from exc
    start, end = int(bundle["range"]["from"]), int(bundle["range"]["to"])
    lines, inclusion = bundle["events"], bundle["inclusion"]
    if len(inclusion) != len(lines):
        raise BundleError("the bundle needs one inclusion proof per event")
    events: list[AuditEvent] = []
    previous: bytes | None = None
    for offset, (text, proof) in enumerate(zip(lines, inclusion, strict=True)):
        position = start + offset
        try:
            event = AuditEvent.from_line(text.encode("utf-8"), position=position)
        except EventFormatError as exc:
            raise TamperError(exc.message, index=position) from exc
        if event.index != position:
            raise TamperError(f"position {position} holds event {event.index}", index=position)
        if previous is not None and event.prev != previous:
            raise TamperError("chain broken: does not follow the event before", index=position)
        if proof["index"] != position or proof["size"] != latest.size:
            raise BundleError(f"inclusion proof {offset} is not for event {position}")
        try:
            merkle.verify_inclusion(
                event.leaf_hash,
                position,
                latest.size,
                [_unb64(h) for h in proof["path"]],
                latest.root,
            )
        except ProofError as exc:
            raise TamperError(f"not in the signed log: {exc}", index=position) from exc
        previous = event.leaf_hash
        events.append(event)
    if len(events) != end - start:
        raise TamperError(
            f"range [{start}, {end}) has {len(events)} events", index=start + len(events)
        )
    return BundleReport(
        origin=verifier.name,
        start=start,
        end=end,
        latest=latest,
        checkpoints=len(heads),
        redacted=sum(1 for e in events if e.payload is None),
        events=tuple(events),
    )
