"""Helpers shared by the audit tests: a fixed hub key and a filler of varied events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.audit import AuditLog, CheckpointSigner, EventKind

ORIGIN = "hub.test/audit"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_signer(seed: int = 1, name: str = ORIGIN) -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), name)


def fill(log: AuditLog, count: int, *, start_second: int = 0, tag: str = "a") -> None:
    """Append `count` varied events, one second apart."""
    kinds = list(EventKind)
    for k in range(count):
        i = log.size
        log.append(
            kinds[(i * 7) % len(kinds)],
            ("alpha", "bravo", "hub")[i % 3],
            [f"{tag}-obj-{i}", f"{tag}-other-{i % 4}"],
            {"n": i, "alt_m": 1500.5 + i, "note": f"event {i} ✈", "tag": tag},
            time=T0 + timedelta(seconds=start_second + k),
        )
