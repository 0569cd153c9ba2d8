"""Several API processes on one database (what `serve --workers N` runs): a notice
written through one process reaches a stream held by another, promptly. The database is
the only state they share: the in-process wake-ups cannot help here, so this is the
path through the other process's poll of the stream head."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx
from channel_helpers import SseReader, served, wait_for
from live_server import free_port
from service_helpers import make_party, op, unique

from deconflict.api.auth import mint_token
from deconflict.config import Settings

READ, WRITE, ADMIN = "deconflict.read", "deconflict.write", "deconflict.admin"


def test_a_notice_written_through_one_process_reaches_a_stream_on_another(
    database_url: str, key_dir: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=key_dir)

    def token(party: str | None, *scopes: str) -> str:
        return mint_token(settings, subject=f"{party}-duty", party=party, scopes=list(scopes))

    ports = free_port(), free_port()
    writer_url, reader_url = (f"http://127.0.0.1:{port}" for port in ports)
    with (
        served(database_url, key_dir, ports[0], tmp_path / "writer.log"),
        served(database_url, key_dir, ports[1], tmp_path / "reader.log"),
        httpx.Client(
            base_url=writer_url, headers={"Authorization": f"Bearer {token(None, ADMIN)}"}
        ) as admin,
        httpx.Client(
            base_url=writer_url,
            headers={"Authorization": f"Bearer {token('coalition', READ, WRITE)}"},
        ) as coalition,
    ):
        make_party(admin, "coalition")
        make_party(admin, "russia")
        with SseReader(reader_url, token("russia", READ, WRITE)) as stream:
            sent = []
            for i in range(6):
                ident = unique("op")
                answer = coalition.post("/v1/operations", json=op(ident, "coalition", lon=36 + i))
                assert answer.status_code == 201, answer.text
                sent.append(ident)
                wait_for(lambda n=i: len(stream.events) > n, message=f"notice {i} on the stream")
                time.sleep(0.1)  # one at a time: each is a delivery of its own
        assert [event["about"][0] for _, event in stream.events] == sent
        latencies = [
            received - event["created_at"]
            for received, (_, event) in zip(stream.received, stream.events, strict=True)
        ]
        # The reader polls the head every 20 ms while it has listeners (docs/channel.md):
        # tens of milliseconds, where a slow poll (the idle one, 1 s) would show here.
        assert statistics.median(latencies) < 0.4, latencies
