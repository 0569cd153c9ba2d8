"""The tamper-evident record: an append-only Merkle-tree log of audit events (RFC 9162).

Every change, notice, delivery, read and acknowledgement is an `AuditEvent` (event.py)
appended to an `AuditLog` (log.py) over a `LogStore`. The hub signs checkpoints
(tree size + root, Ed25519, C2SP signed-note format: checkpoint.py); a party that kept
an old checkpoint demands a consistency proof and detects any rewrite, and an inclusion
proof shows a given event (an acknowledgement, say) is in the log (merkle.py).
`verify_log` recomputes everything from a stored log and names the first bad index;
`as_of` answers what a party had been told and had acknowledged at a time (asof.py);
`export_bundle`/`verify_bundle` carry a range of events with all proofs to a joint
investigation that has no access to the hub (bundle.py).

Pure library: no web, no database. The optional `deconflict.audit.sql_store` is the one
module that imports SQLAlchemy; nothing here imports it.
"""

from __future__ import annotations

from deconflict.audit.asof import NoticeStatus, PartyKnowledge, as_of
from deconflict.audit.bundle import (
    BundleReport,
    export_bundle,
    read_bundle,
    verify_bundle,
    write_bundle,
)
from deconflict.audit.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    SignedCheckpoint,
)
from deconflict.audit.errors import (
    AuditError,
    BundleError,
    CheckpointError,
    EventFormatError,
    ForkError,
    ProofError,
    TamperError,
)
from deconflict.audit.event import AuditEvent, EventKind
from deconflict.audit.log import (
    AuditLog,
    LogReport,
    LogStore,
    MemoryLogStore,
    check_consistency,
    verify_log,
)

__all__ = [
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "BundleError",
    "BundleReport",
    "Checkpoint",
    "CheckpointError",
    "CheckpointSigner",
    "CheckpointVerifier",
    "EventFormatError",
    "EventKind",
    "ForkError",
    "LogReport",
    "LogStore",
    "MemoryLogStore",
    "NoticeStatus",
    "PartyKnowledge",
    "ProofError",
    "SignedCheckpoint",
    "TamperError",
    "as_of",
    "check_consistency",
    "export_bundle",
    "read_bundle",
    "verify_bundle",
    "verify_log",
    "write_bundle",
]
