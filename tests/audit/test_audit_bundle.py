"""Export bundles: they verify offline, and any damage is named."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from audit_support import T0, fill, make_signer

from deconflict.audit import (
    AuditLog,
    BundleError,
    CheckpointError,
    CheckpointSigner,
    ForkError,
    MemoryLogStore,
    TamperError,
    export_bundle,
    read_bundle,
    verify_bundle,
    write_bundle,
)


@pytest.fixture
def log(signer: CheckpointSigner) -> AuditLog:
    """50 events, checkpoints at 10, 20, 30, 40, 50."""
    log = AuditLog(MemoryLogStore())
    for _ in range(5):
        fill(log, 10, start_second=log.size)
        log.sign_checkpoint(signer, time=T0)
    return log


def flip_b64(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_round_trip_through_a_file(log: AuditLog, signer: CheckpointSigner, tmp_path: Path) -> None:
    bundle = export_bundle(log, 12, 27, signer.verifier)
    write_bundle(bundle, tmp_path / "b.json")
    report = verify_bundle(read_bundle(tmp_path / "b.json"), trusted_key=signer.verifier.text())
    assert (report.start, report.end, report.latest.size) == (12, 27, 50)
    assert [e.index for e in report.events] == list(range(12, 27))
    assert report.checkpoints == 5  # the one at 10 (before the range), 20, 30, 40, 50
    assert [e.line for e in report.events] == list(log.store.lines(12, 27))


def test_redacted_payloads_still_verify(log: AuditLog, signer: CheckpointSigner) -> None:
    bundle = export_bundle(log, 0, 50, signer.verifier, redact=lambda e: e.actor != "bravo")
    report = verify_bundle(bundle, trusted_key=signer.verifier.text())
    assert report.redacted == sum(1 for e in log.events() if e.actor != "bravo")
    assert all((e.payload is None) == (e.actor != "bravo") for e in report.events)


def test_a_partys_own_checkpoints_are_checked(log: AuditLog, signer: CheckpointSigner) -> None:
    kept = log.checkpoints()[1]  # size 20, kept by the party
    bundle = export_bundle(log, 40, 45, signer.verifier, known_sizes=[20])
    verify_bundle(bundle, trusted_key=signer.verifier.text(), known_checkpoints=[kept])
    forked = AuditLog(MemoryLogStore())
    fill(forked, 20, tag="other")
    other = forked.sign_checkpoint(signer, time=T0).note
    with pytest.raises(ForkError):
        verify_bundle(bundle, trusted_key=signer.verifier.text(), known_checkpoints=[other])
    without = export_bundle(log, 40, 45, signer.verifier)
    with pytest.raises(BundleError):
        verify_bundle(without, known_checkpoints=[kept])


def damaged(bundle: dict[str, Any], change: str) -> dict[str, Any]:
    b = copy.deepcopy(bundle)
    if change == "event":
        b["events"][3] = b["events"][3].replace('"n":', '"n":1')
    elif change == "event-swap":
        b["events"][2], b["events"][3] = b["events"][3], b["events"][2]
    elif change == "event-drop":
        del b["events"][3]
        del b["inclusion"][3]
    elif change == "inclusion":
        b["inclusion"][3]["path"][0] = flip_b64(b["inclusion"][3]["path"][0])
    elif change == "consistency":
        b["consistency"][0]["path"][0] = flip_b64(b["consistency"][0]["path"][0])
    elif change == "checkpoint":
        b["checkpoints"][-1] = b["checkpoints"][-1].replace("\n50\n", "\n51\n")
    elif change == "key":
        b["public_key"] = make_signer(seed=9).verifier.text()
    elif change == "missing":
        del b["inclusion"]
    return b


@pytest.mark.parametrize(
    ("change", "error", "index"),
    [
        ("event", TamperError, 13),
        ("event-swap", TamperError, 12),
        ("event-drop", TamperError, 13),
        ("inclusion", TamperError, 13),
        ("consistency", ForkError, None),
        ("checkpoint", CheckpointError, None),
        ("key", BundleError, None),
        ("missing", BundleError, None),
    ],
)
def test_a_damaged_bundle_is_refused(
    log: AuditLog,
    signer: CheckpointSigner,
    change: str,
    error: type[Exception],
    index: int | None,
) -> None:
    bundle = export_bundle(log, 10, 30, signer.verifier)
    verify_bundle(json.loads(json.dumps(bundle)), trusted_key=signer.verifier.text())
    with pytest.raises(error) as caught:
        verify_bundle(damaged(bundle, change), trusted_key=signer.verifier.text())
    if index is not None:
        assert caught.value.index == index  # type: ignore[attr-defined]


def test_without_a_trusted_key_a_forger_can_only_fool_the_careless(
    log: AuditLog, signer: CheckpointSigner
) -> None:
    """A bundle re-signed by another key verifies against its own claim, never against ours."""
    impostor = make_signer(seed=5)
    fake = AuditLog(MemoryLogStore())
    fill(fake, 30)
    fake.sign_checkpoint(impostor, time=T0)
    bundle = export_bundle(fake, 0, 30, impostor.verifier)
    verify_bundle(bundle)
    with pytest.raises(BundleError):
        verify_bundle(bundle, trusted_key=signer.verifier.text())


def test_export_needs_a_checkpoint_covering_the_range(signer: CheckpointSigner) -> None:
    log = AuditLog(MemoryLogStore())
    fill(log, 5)
    with pytest.raises(BundleError):
        export_bundle(log, 0, 5, signer.verifier)
    log.sign_checkpoint(signer, time=T0)
    fill(log, 5, start_second=5)
    with pytest.raises(BundleError):
        export_bundle(log, 0, 10, signer.verifier)
