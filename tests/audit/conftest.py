"""Fixtures for the audit tests (helpers live in audit_support.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from audit_support import T0, fill, make_signer

from deconflict.audit import AuditLog, CheckpointSigner, MemoryLogStore


@pytest.fixture
def signer() -> CheckpointSigner:
    return make_signer()


@pytest.fixture
def small_log(signer: CheckpointSigner) -> AuditLog:
    """Twelve events; checkpoints at sizes 4, 9 and 12 (the last covers everything)."""
    log = AuditLog(MemoryLogStore())
    for size in (4, 9, 12):
        fill(log, size - log.size, start_second=log.size)
        log.sign_checkpoint(signer, time=T0 + timedelta(seconds=size))
    return log
