"""Errors raised by the audit log, its proofs, checkpoints and bundles.

    Exception
     └── AuditError                 anything the audit layer refuses or finds wrong
          ├── EventFormatError      bytes that are not one canonical audit event
          ├── CheckpointError       a checkpoint note that is malformed or not signed by the key
          ├── ProofError            an inclusion or consistency proof that does not verify
          │    └── ForkError        two signed checkpoints that cannot both describe one log
          ├── TamperError           a stored log that its checkpoints disprove; names the
          │                         first bad index
          └── BundleError           an exported bundle that is malformed or does not verify

One tree so that a caller (the CLI, the API) can catch `AuditError` and print one line
that says *what* is wrong and *where* (`index`), never a traceback, while tests can
still tell a forged signature from a rewritten event.
"""

from __future__ import annotations


class AuditError(Exception):
    """Base of every audit-layer error; `message` is the one-line explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EventFormatError(AuditError):
    """Bytes that do not decode to one canonical event (`index`: where, if known)."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message if index is None else f"event {index}: {message}")
        self.index = index


class CheckpointError(AuditError):
    """A checkpoint note is malformed, from another log, or its signature does not verify."""


class ProofError(AuditError):
    """An inclusion or consistency proof does not verify against the roots given."""


class ForkError(ProofError):
    """Two checkpoints signed by the log's key describe two different histories.

    This is the evidence a party needs: both notes verify under the hub's key, and no
    append-only log can produce both (the consistency proof between them fails, or
    they have the same size and different roots).
    """


class TamperError(AuditError):
    """The stored events disagree with the log's own structure or signed checkpoints.

    `index` is the first position that cannot be the original event (see
    `deconflict.audit.log.verify_log` for how it is located); `earliest` is the first
    index that is *not* vouched for by a verified checkpoint, so the damage lies in
    ``[earliest, index]`` even if several events were rewritten consistently.
    """

    def __init__(self, message: str, *, index: int, earliest: int | None = None) -> None:
        super().__init__(f"first bad index {index}: {message}")
        self.index = index
        self.earliest = index if earliest is None else earliest
        self.reason = message


class BundleError(AuditError):
    """An exported bundle is malformed, or something inside it does not verify."""
