"""Signed checkpoints: the hub's Ed25519 signature over (origin, tree size, root, time).

Format: a C2SP signed note (c2sp.org/signed-note) whose text is a C2SP checkpoint
(c2sp.org/tlog-checkpoint), so the tools of the transparency-log world (Go's
``golang.org/x/mod/sumdb/note``, witnesses) can read and verify it::

    deconflict.example/audit          ← origin (the log's identity)
    1048576                           ← tree size, decimal
    QkN4...9Xo=                       ← root hash, standard base64
    time 2026-01-01T00:00:00.000000Z  ← extension line: when the hub signed it
                                      ← blank line
    — deconflict.example/audit AbCd...  ← em dash, key name, base64(key ID || signature)

The signature is Ed25519 over the note text (every line up to and including the last
newline before the blank line), so the time is signed too. The key ID is
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``; the verifier key is written in
the note ecosystem's text form ``name+hexkeyid+base64(0x01 || public key)``.
The time sits in an extension line (the spec allows them, though witnesses do not
audit them): a party answering "what did we know at T" needs the hub's own timestamp
on each tree head.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from deconflict.audit.errors import CheckpointError, EventFormatError
from deconflict.audit.event import HASH_SIZE, format_time, parse_time

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "— "  # em dash U+2014, then a space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log `origin` had `size` leaves with root `root` at `time`."""

    origin: str
    size: int
    root: bytes
    time: datetime

    def text(self) -> str:
        """The note text that gets signed (ends with a newline)."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\ntime {format_time(self.time)}\n"

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 5 or lines[4] != "":
            raise CheckpointError("checkpoint text must be origin, size, root and time lines")
        origin, size, root_b64, time_line = lines[:4]
        if not origin or any(c.isspace() or c == "+" for c in origin):
            raise CheckpointError("origin must be non-empty, without spaces or '+'")
        if not _DECIMAL.fullmatch(size):
            raise CheckpointError(f"tree size {size!r} is not a decimal without leading zeros")
        root = _b64(root_b64, "root hash")
        if len(root) != HASH_SIZE:
            raise CheckpointError("root hash must be 32 bytes")
        if not time_line.startswith("time "):
            raise CheckpointError("fourth line must be 'time <RFC 3339 UTC>'")
        try:
            moment = parse_time(time_line.removeprefix("time "))
        except EventFormatError as exc:
            raise CheckpointError(exc.message) from exc
        return cls(origin, int(size), root, moment)


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of C2SP signed-note for an Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + _raw_public(public_key)).digest()[
        :4
    ]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The text form ``name+hexkeyid+base64(0x01 || key)`` a party stores and compares."""
    encoded = base64.b64encode(ED25519_TYPE + _raw_public(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """(key name, public key) from `verifier_key` text; checks the embedded key ID."""
    parts = text.split("+", 2)  # the name has no '+'; the base64 key may
    if len(parts) != 3:
        raise CheckpointError("verifier key must be name+keyid+key")
    name, hex_id, encoded = parts
    raw = _b64(encoded, "verifier key")
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key).hex() != hex_id:
        raise CheckpointError("verifier key ID does not match the key")
    return name, public_key


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint and the exact note (text + signatures) it was read from or signed as."""

    checkpoint: Checkpoint
    note: str


class CheckpointSigner:
    """Signs checkpoints with the hub's Ed25519 key; the key name is the log's origin."""

    def __init__(self, private_key: Ed25519PrivateKey, name: str) -> None:
        self.private_key = private_key
        self.name = name
        self.public_key = private_key.public_key()
        self.key_id = key_id(name, self.public_key)

    def sign(self, checkpoint: Checkpoint) -> SignedCheckpoint:
        if checkpoint.origin != self.name:
            raise CheckpointError("the signing key's name must be the checkpoint's origin")
        text = checkpoint.text()
        signature = self.private_key.sign(text.encode("utf-8"))
        encoded = base64.b64encode(self.key_id + signature).decode("ascii")
        return SignedCheckpoint(checkpoint, f"{text}\n{SIGNATURE_PREFIX}{self.name} {encoded}\n")

    @property
    def verifier(self) -> CheckpointVerifier:
        return CheckpointVerifier(self.public_key, self.name)


class CheckpointVerifier:
    """Verifies notes signed by one known key; ignores other signers, as the spec says."""

    def __init__(self, public_key: Ed25519PublicKey, name: str) -> None:
        self.public_key = public_key
        self.name = name
        self.key_id = key_id(name, public_key)

    @classmethod
    def from_text(cls, text: str) -> CheckpointVerifier:
        name, public_key = parse_verifier_key(text)
        return cls(public_key, name)

    def text(self) -> str:
        return verifier_key(self.name, self.public_key)

    def verify(self, note: str) -> SignedCheckpoint:
        """Parse `note`; raise `CheckpointError` unless our key signed it and it is well formed."""
        if any(ord(c) < 0x20 and c != "\n" for c in note):
            raise CheckpointError("a note must not contain control characters")
        text, separator, signatures = note.rpartition("\n\n")
        if not separator or not signatures.endswith("\n"):
            raise CheckpointError("a note is text, a blank line, then signature lines")
        text += "\n"
        found = False
        for line in signatures[:-1].split("\n"):
            if not line.startswith(SIGNATURE_PREFIX):
                raise CheckpointError(f"malformed signature line {line!r}")
            name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
            raw = _b64(encoded, "signature")
            if name != self.name or raw[:4] != self.key_id:
                continue  # another signer (a witness, an old key): not ours to judge
            try:
                self.public_key.verify(raw[4:], text.encode("utf-8"))
            except InvalidSignature as exc:
                raise CheckpointError("checkpoint signature does not verify") from exc
            found = True
        if not found:
            raise CheckpointError(f"checkpoint is not signed by {self.name}")
        checkpoint = Checkpoint.parse_text(text)
        if checkpoint.origin != self.name:
            raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, not {self.name!r}")
        return SignedCheckpoint(checkpoint, note)
