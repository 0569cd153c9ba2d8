"""Webhooks to a real HTTP receiver on 127.0.0.1: signed, retried, dead-lettered."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from channel_helpers import notices_of, wait_for
from live_server import Service, free_port
from service_helpers import make_party, op, unique

from deconflict.channel.webhook import NOTICE_HEADER, SIGNATURE_HEADER, verify


class Receiver:
    """Answers 500 to the first `failures` POSTs, then 200 (each after `delay_s`); keeps
    what it was sent, and when."""

    def __init__(self, failures: int = 0, delay_s: float = 0.0) -> None:
        self.failures = failures
        self.delay_s = delay_s
        self.times: list[float] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                receiver.times.append(time.time())
                time.sleep(receiver.delay_s)
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(failures=2)
    yield found
    found.close()


def test_webhooks_are_signed_and_retried_until_delivered(
    service: Service, receiver: Receiver
) -> None:
    admin = service.admin()
    make_party(admin, "coalition")
    make_party(admin, "russia", webhook_url=receiver.url)
    secret = service.client("russia").get("/v1/channel/webhook").json()["secret"]
    coalition, russia = service.client("coalition"), service.client("russia")
    ident = unique("op")
    assert coalition.post("/v1/operations", json=op(ident, "coalition")).status_code == 201
    wait_for(lambda: len(receiver.received) >= 3, message="two failures, then a delivery")
    headers, body = receiver.received[-1]
    assert verify(secret, headers[SIGNATURE_HEADER], body, time.time())
    assert not verify("another secret", headers[SIGNATURE_HEADER], body, time.time())
    assert not verify(secret, headers[SIGNATURE_HEADER], body + b" ", time.time())
    ids = {h[NOTICE_HEADER] for h, _ in receiver.received}
    assert len(ids) == 1  # three attempts, one notice: receivers de-duplicate on the id
    notice = notices_of(russia)[0]
    assert notice["id"] in ids and notice["about"] == [ident]

    def delivered() -> dict | None:
        shown = russia.get(f"/v1/notices/{notice['id']}").json()
        hooks = shown["deliveries"]
        return shown if hooks and hooks[0]["state"] == "delivered" else None

    shown = wait_for(delivered, message="the delivery recorded")
    assert shown["deliveries"][0]["attempts"] == 3
    assert shown["delivered_at"] is not None


def test_an_unreachable_webhook_is_dead_lettered(service: Service) -> None:
    admin = service.admin()
    make_party(admin, "coalition")
    make_party(admin, "russia", webhook_url=f"http://127.0.0.1:{free_port()}/nobody")
    coalition, russia = service.client("coalition"), service.client("russia")
    assert coalition.post("/v1/operations", json=op(unique("op"), "coalition")).status_code == 201
    notice = wait_for(lambda: notices_of(russia), message="the notice")[0]

    def dead() -> dict | None:
        shown = russia.get(f"/v1/notices/{notice['id']}").json()
        return shown if shown["deliveries"] and shown["deliveries"][0]["state"] == "dead" else None

    shown = wait_for(dead, message="the dead letter")
    assert shown["deliveries"][0]["attempts"] == 3  # max_attempts in the test settings
    status = coalition.get("/v1/channel/status").json()["links"]
    assert status[0]["outbound"]["dead_letters"] == 1
    assert status[0]["outbound"]["undelivered"] == 1


def test_a_slow_receiver_delays_only_its_own_notices(service: Service) -> None:
    slow, fast = Receiver(delay_s=4.0), Receiver()
    try:
        admin = service.admin()
        make_party(admin, "coalition")
        make_party(admin, "russia", webhook_url=slow.url)
        make_party(admin, "turkey", webhook_url=fast.url)
        coalition = service.client("coalition")
        first, second = unique("op"), unique("op")
        assert coalition.post("/v1/operations", json=op(first, "coalition")).status_code == 201
        wait_for(lambda: slow.received and fast.received, message="both got the first")
        # russia's receiver holds its POST for 4 s; turkey's next notice must not wait.
        sent = time.time()
        body = op(second, "coalition", lon=37.0)
        assert coalition.post("/v1/operations", json=body).status_code == 201
        wait_for(lambda: len(fast.received) >= 2, timeout=10, message="turkey's second")
        assert fast.times[1] - sent < 2.0, fast.times[1] - sent  # not after russia's 4 s
        about = [json.loads(b)["about"][0] for _, b in fast.received]
        assert about == [first, second]
        wait_for(lambda: len(slow.received) >= 2, timeout=20, message="russia's second, later")
    finally:
        slow.close()
        fast.close()
