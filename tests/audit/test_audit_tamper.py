"""Tamper tests: change, drop, reorder or insert any stored event → the first bad index.

The log under test has twelve events and checkpoints at sizes 4, 9 and 12. Every byte
of every stored line is changed (two ways), every event dropped, every pair swapped,
every event moved, and a forged or replayed event inserted at every position; each time
`verify_log` must fail with a `TamperError` naming exactly the damaged position.
"""

from __future__ import annotations

import base64
import itertools
from datetime import timedelta

import pytest
from audit_support import T0, fill, make_signer

from deconflict.audit import (
    AuditEvent,
    AuditLog,
    CheckpointError,
    CheckpointSigner,
    EventKind,
    ForkError,
    MemoryLogStore,
    TamperError,
    check_consistency,
    verify_log,
)
from deconflict.audit.event import GENESIS


def lines_of(log: AuditLog) -> list[bytes]:
    return list(log.store.lines(0, log.size))


def first_bad(lines: list[bytes], log: AuditLog, signer: CheckpointSigner) -> int:
    with pytest.raises(TamperError) as caught:
        verify_log(lines, log.checkpoints(), signer.verifier)
    return caught.value.index


def test_an_untouched_log_verifies(small_log: AuditLog, signer: CheckpointSigner) -> None:
    report = verify_log(lines_of(small_log), small_log.checkpoints(), signer.verifier)
    assert (report.size, report.checkpoints, report.attested) == (12, 3, 12)
    assert report.root == small_log.root()


def test_every_byte_of_every_event_changed(small_log: AuditLog, signer: CheckpointSigner) -> None:
    original = lines_of(small_log)
    cases = 0
    for i, line in enumerate(original):
        for position in range(len(line)):
            for replacement in {line[position] ^ 0x01, ord("7") if line[position] != 55 else 56}:
                damaged = bytearray(line)
                damaged[position] = replacement
                lines = [*original[:i], bytes(damaged), *original[i + 1 :]]
                assert first_bad(lines, small_log, signer) == i, (i, position, replacement)
                cases += 1
    assert cases > 12 * 200


@pytest.mark.parametrize("i", range(12))
def test_dropping_an_event(i: int, small_log: AuditLog, signer: CheckpointSigner) -> None:
    lines = lines_of(small_log)
    del lines[i]
    assert first_bad(lines, small_log, signer) == i


def test_swapping_any_two_events(small_log: AuditLog, signer: CheckpointSigner) -> None:
    original = lines_of(small_log)
    for i, j in itertools.combinations(range(12), 2):
        lines = list(original)
        lines[i], lines[j] = lines[j], lines[i]
        assert first_bad(lines, small_log, signer) == i, (i, j)


def test_moving_an_event(small_log: AuditLog, signer: CheckpointSigner) -> None:
    original = lines_of(small_log)
    for i, j in itertools.permutations(range(12), 2):
        lines = list(original)
        lines.insert(j, lines.pop(i))
        assert first_bad(lines, small_log, signer) == min(i, j), (i, j)


def forged(log: AuditLog, position: int, previous_leaf: bytes) -> bytes:
    """A well-formed event claiming `position` and chained to the real event before it."""
    return AuditEvent(
        position,
        T0 + timedelta(seconds=position),
        EventKind.NOTICE_ACKNOWLEDGED,
        "bravo",
        ("notice-forged",),
        {"to": "bravo"},
        previous_leaf,
    ).line


@pytest.mark.parametrize("p", range(12))
def test_inserting_a_forged_event(p: int, small_log: AuditLog, signer: CheckpointSigner) -> None:
    lines = lines_of(small_log)
    previous_leaf = small_log.store.node(0, p - 1) if p else GENESIS
    lines.insert(p, forged(small_log, p, previous_leaf))
    assert first_bad(lines, small_log, signer) == p


def test_an_event_added_after_the_last_checkpoint_is_not_attested(
    small_log: AuditLog, signer: CheckpointSigner
) -> None:
    """Beyond the last signed head nothing is proven: such events are counted, not trusted."""
    lines = [*lines_of(small_log), forged(small_log, 12, small_log.store.node(0, 11))]
    report = verify_log(lines, small_log.checkpoints(), signer.verifier)
    assert (report.size, report.attested) == (13, 12)


@pytest.mark.parametrize("p", range(1, 13))
def test_inserting_a_replayed_copy(p: int, small_log: AuditLog, signer: CheckpointSigner) -> None:
    lines = lines_of(small_log)
    lines.insert(p, lines[p - 1])
    assert first_bad(lines, small_log, signer) == p


def test_cutting_off_the_tail(small_log: AuditLog, signer: CheckpointSigner) -> None:
    assert first_bad(lines_of(small_log)[:10], small_log, signer) == 10


def test_a_consistent_rewrite_is_caught_by_the_checkpoint(
    small_log: AuditLog, signer: CheckpointSigner
) -> None:
    """Rewrite event 6 and re-chain everything after it: no local signal is left."""
    events = list(small_log.events())
    rewritten = AuditLog(MemoryLogStore())
    for e in events:
        payload = dict(e.payload or {})
        if e.index == 6:
            payload["n"] = 666
        rewritten.append(e.kind, e.actor, e.subjects, payload, time=e.time)
    with pytest.raises(TamperError) as caught:
        verify_log(lines_of(rewritten), small_log.checkpoints(), signer.verifier)
    assert caught.value.earliest == 4  # vouched for up to the checkpoint of size 4
    assert caught.value.index == 8  # the first checkpoint that fails is of size 9
    assert caught.value.earliest <= 6 <= caught.value.index


def test_events_after_the_last_checkpoint_are_reported_unattested(
    small_log: AuditLog, signer: CheckpointSigner
) -> None:
    fill(small_log, 3, start_second=20)
    report = verify_log(lines_of(small_log), small_log.checkpoints(), signer.verifier)
    assert (report.size, report.attested) == (15, 12)


# --- forks: consistency proofs ------------------------------------------------------


def forked_pair(signer: CheckpointSigner) -> tuple[AuditLog, AuditLog]:
    """Two logs sharing 40 events, then diverging (the hub rewrote history after 40)."""
    a, b = AuditLog(MemoryLogStore()), AuditLog(MemoryLogStore())
    fill(a, 40)
    fill(b, 40)
    fill(a, 40, start_second=40, tag="a")
    fill(b, 40, start_second=40, tag="b")
    return a, b


def test_a_forked_log_is_caught_by_the_consistency_proof(signer: CheckpointSigner) -> None:
    a, b = forked_pair(signer)
    kept = a.sign_checkpoint(signer, time=T0).note  # a party kept A at size 80
    fill(b, 20, start_second=80)
    shown = b.sign_checkpoint(signer, time=T0).note  # later the hub shows B at 100
    with pytest.raises(ForkError):
        check_consistency(kept, shown, b.consistency_proof(80, 100), signer.verifier)
    # ...while the honest continuation of A passes.
    fill(a, 20, start_second=80)
    honest = a.sign_checkpoint(signer, time=T0).note
    old, new = check_consistency(kept, honest, a.consistency_proof(80, 100), signer.verifier)
    assert (old.size, new.size) == (80, 100)


def test_a_checkpoint_from_before_the_fork_cannot_see_it(signer: CheckpointSigner) -> None:
    """The limit of the method: a head kept before the divergence stays consistent."""
    _, b = forked_pair(signer)
    early = AuditLog(MemoryLogStore())
    fill(early, 30)
    kept = early.sign_checkpoint(signer, time=T0).note
    shown = b.sign_checkpoint(signer, time=T0).note
    check_consistency(kept, shown, b.consistency_proof(30, 80), signer.verifier)


def test_two_signed_heads_of_one_size_are_a_fork(signer: CheckpointSigner) -> None:
    a, b = forked_pair(signer)
    notes = [a.sign_checkpoint(signer, time=T0).note, b.sign_checkpoint(signer, time=T0).note]
    with pytest.raises(ForkError):
        verify_log(lines_of(a), notes, signer.verifier)


# --- checkpoint signatures ----------------------------------------------------------


def test_a_tampered_checkpoint_note_is_refused(
    small_log: AuditLog, signer: CheckpointSigner
) -> None:
    note = small_log.checkpoints()[-1]
    body, _, signature = note.partition("\n\n")
    size_line = body.split("\n")[1]
    variants = [
        note.replace(f"\n{size_line}\n", f"\n{int(size_line) + 1}\n", 1),  # claims more
        note.replace("time 2026", "time 2025", 1),  # backdated
        body.replace(body.split("\n")[2], "A" * 43 + "=", 1) + "\n\n" + signature,  # root
        note[:-6] + ("A" if note[-6] != "A" else "B") + note[-5:],  # signature bits
        body + "\n",  # signature stripped
    ]
    for bad in variants:
        assert bad != note
        with pytest.raises(CheckpointError):
            verify_log(lines_of(small_log), [bad], signer.verifier)


def test_a_checkpoint_signed_by_another_key_is_refused(small_log: AuditLog) -> None:
    impostor = make_signer(seed=2)
    note = small_log.sign_checkpoint(impostor, time=T0).note
    with pytest.raises(CheckpointError):
        make_signer().verifier.verify(note)


def test_cosignatures_by_others_are_ignored(small_log: AuditLog, signer: CheckpointSigner) -> None:
    """A witness may add its line to the note; the hub's signature still decides."""
    witness = make_signer(seed=3, name="witness.test/w1")
    note = small_log.checkpoints()[-1]
    text = note.partition("\n\n")[0] + "\n"
    extra = "— witness.test/w1 " + base64.b64encode(
        witness.key_id + witness.private_key.sign(text.encode())
    ).decode("ascii")
    cosigned = note + extra + "\n"
    assert signer.verifier.verify(cosigned).checkpoint.size == 12
    assert verify_log(lines_of(small_log), [cosigned], signer.verifier).attested == 12


def test_verifier_key_text_round_trips(signer: CheckpointSigner) -> None:
    from deconflict.audit import CheckpointVerifier

    text = signer.verifier.text()
    assert text.startswith("hub.test/audit+")
    again = CheckpointVerifier.from_text(text)
    assert again.key_id == signer.key_id and again.name == signer.name
