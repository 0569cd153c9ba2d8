"""Notices from the use cases, over SSE with resume, acknowledged, and in the record."""

from __future__ import annotations

import httpx
from channel_helpers import SseReader, notices_of, wait_for
from live_server import Service
from service_helpers import assert_problem, make_party, op, unique

from deconflict.audit import verify_bundle


def _parties(service: Service) -> None:
    admin = service.admin()
    make_party(admin, "coalition", languages=["en"])
    make_party(admin, "russia", languages=["ru"])


def test_a_new_operation_reaches_the_other_party_over_sse_and_is_acknowledged(
    service: Service,
) -> None:
    _parties(service)
    coalition, russia = service.client("coalition"), service.client("russia")
    with SseReader(service.url, service.token("russia")) as reader:
        ident = unique("op")
        assert coalition.post("/v1/operations", json=op(ident, "coalition")).status_code == 201
        wait_for(lambda: reader.events, message="the notice on the stream")
    seq, notice = reader.events[0]
    assert notice["kind"] == "operation.new" and notice["about"] == [ident]
    assert notice["to"] == "russia" and notice["from"] == "coalition"
    assert notice["seq"] == seq
    assert notice["text"].startswith("Новая операция")
    assert notice["needs_ack"] is True
    answer = russia.post(f"/v1/notices/{notice['id']}:ack", json={})
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged_at"] is not None
    # Acknowledging another party's notice: not found.
    assert coalition.post(f"/v1/notices/{notice['id']}:ack", json={}).status_code == 404
    assert notices_of(russia, state="open") == []

    def recorded() -> list[str]:
        lines = russia.get("/v1/audit/events").json()["events"]
        return [line for line in lines if notice["id"] in line]

    kinds = wait_for(
        lambda: any("notice.acknowledged" in e for e in recorded()) and recorded(),
        message="the acknowledgement in the log",
    )
    assert any("notice.created" in e for e in kinds)
    assert any("notice.delivered" in e for e in kinds)


def test_resume_from_last_event_id_skips_nothing(service: Service) -> None:
    _parties(service)
    coalition = service.client("coalition")
    token = service.token("russia")
    first = [unique("op") for _ in range(3)]
    for i, ident in enumerate(first):
        body = op(ident, "coalition", lon=36.0 + 0.2 * i)
        assert coalition.post("/v1/operations", json=body).status_code == 201
    with SseReader(service.url, token) as reader:
        wait_for(lambda: len(reader.events) >= 3, message="three notices")
    last = reader.events[1][0]  # pretend the third was lost in the disconnect
    second = [unique("op") for _ in range(2)]
    for i, ident in enumerate(second):
        body = op(ident, "coalition", lon=37.0 + 0.2 * i)
        assert coalition.post("/v1/operations", json=body).status_code == 201
    with SseReader(service.url, token, last_event_id=last) as resumed:
        wait_for(lambda: len(resumed.events) >= 3, message="the rest")
    about = [e[1]["about"][0] for e in resumed.events]
    assert about == [first[2], *second]
    seqs = [e[0] for e in resumed.events]
    assert seqs == sorted(seqs) and seqs[0] > last


def test_the_record_exports_a_bundle_that_verifies(service: Service) -> None:
    _parties(service)
    coalition = service.client("coalition")
    assert coalition.post("/v1/operations", json=op(unique("op"), "coalition")).status_code == 201
    key = coalition.get("/v1/audit/key").json()["key"]

    def bundle() -> dict | None:
        answer = coalition.get("/v1/audit/bundle", params={"from": 0})
        if answer.status_code != 200:
            return None
        body = answer.json()
        return body if any("notice.created" in e for e in body["events"]) else None

    found = wait_for(bundle, message="a checkpoint covering the notice")
    report = verify_bundle(found, trusted_key=key)
    assert report is not None
    # russia sees coalition's submission event, with its payload redacted
    russia = service.client("russia")
    lines = russia.get("/v1/audit/events").json()["events"]
    submitted = [line for line in lines if "operation.submitted" in line]
    assert submitted and all("payload_digest" in line for line in submitted)


def test_hotline_message_is_a_notice_in_the_recipients_language(service: Service) -> None:
    _parties(service)
    coalition, russia = service.client("coalition"), service.client("russia")
    answer = coalition.post("/v1/hotline", json={"to": "russia", "text": "Call me on channel 2"})
    assert answer.status_code == 201, answer.text
    ident = answer.json()["id"]
    found = wait_for(lambda: [n for n in notices_of(russia) if n["id"] == ident])
    assert found[0]["text"].startswith("Сообщение по прямой линии от coalition")
    assert found[0]["safety"] is True and found[0]["needs_ack"] is True
    bad = coalition.post("/v1/hotline", json={"to": "nobody", "text": "x"})
    assert bad.status_code == 404
    unauth = httpx.post(f"{service.url}/v1/hotline", json={"to": "russia", "text": "x"})
    assert unauth.status_code == 401


def test_a_retried_hotline_message_is_sent_once(service: Service) -> None:
    _parties(service)
    coalition, russia = service.client("coalition"), service.client("russia")
    message = {"to": "russia", "text": "Confirm sortie 12"}
    key = {"Idempotency-Key": unique("key")}
    first = coalition.post("/v1/hotline", json=message, headers=key)
    again = coalition.post("/v1/hotline", json=message, headers=key)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["id"] == first.json()["id"]
    other = coalition.post("/v1/hotline", json={**message, "text": "Another text"}, headers=key)
    assert_problem(other, 422)["type"].endswith("/idempotency-key-reused")
    # the key is the sender's own: another party may use the same one
    back = russia.post("/v1/hotline", json={"to": "coalition", "text": "Confirmed"}, headers=key)
    assert back.status_code == 201, back.text
    fresh = coalition.post("/v1/hotline", json=message)  # no key: a new message each time
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]
    wait_for(lambda: fresh.json()["id"] in {n["id"] for n in notices_of(russia)})
    hotlines = [n for n in notices_of(russia) if n["kind"] == "hotline"]
    assert sorted(n["id"] for n in hotlines) == sorted([first.json()["id"], fresh.json()["id"]])


def test_the_reference_receiver_prints_and_acknowledges(service: Service) -> None:
    import json
    import subprocess
    import sys

    _parties(service)
    coalition, russia = service.client("coalition"), service.client("russia")
    listener = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deconflict.cli",
            "listen",
            "--url",
            service.url,
            "--token",
            service.token("russia"),
            "--json",
            "--ack",
            "--max",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        ident = unique("op")
        assert coalition.post("/v1/operations", json=op(ident, "coalition")).status_code == 201
        out, err = listener.communicate(timeout=60)
    finally:
        listener.kill()
    assert listener.returncode == 0, err
    printed = json.loads(out.splitlines()[0])
    assert printed["about"] == [ident] and "acknowledged" in err
    shown = russia.get(f"/v1/notices/{printed['id']}").json()
    assert shown["acknowledged_at"] is not None
