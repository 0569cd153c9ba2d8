"""`deconflict serve --workers 2` as operators run it: configured by a TOML file (SQLite)
or by DECONFLICT_* variables (PostgreSQL), several worker processes, one service."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import (
    ADMIN,
    READ,
    WRITE,
    PostgresCluster,
    Served,
    fresh_database,
    serve_with_two_workers,
    worker_processes,
)
from service_helpers import op, unique

from deconflict.api.auth import mint_token
from deconflict.config import Settings


@pytest.fixture
def served(
    backend: str, postgres_cluster: PostgresCluster | None, key_dir: str, tmp_path: Path
) -> Iterator[Served]:
    with (
        fresh_database(backend, postgres_cluster, tmp_path) as url,
        serve_with_two_workers(backend, url, key_dir, tmp_path) as running,
    ):
        yield running


def token(key_dir: str, party: str | None, scopes: list[str]) -> dict[str, str]:
    minted = mint_token(Settings(data_dir=key_dir), subject="serve", party=party, scopes=scopes)
    return {"Authorization": f"Bearer {minted}"}


def test_two_workers_serve_one_service(served: Served, key_dir: str) -> None:
    workers = worker_processes(served.pid)
    assert workers == -1 or workers >= 2, workers
    with httpx.Client(base_url=served.url, headers=token(key_dir, None, [ADMIN])) as admin:
        for party in ("red", "blue"):
            assert admin.put(f"/v1/parties/{party}", json={"name": party}).status_code == 201
    red_headers, blue_headers = (token(key_dir, p, [READ, WRITE]) for p in ("red", "blue"))
    ident = unique("served")
    # Separate connections, so that both workers take part; all see the same database.
    with httpx.Client(base_url=served.url, headers=red_headers) as red:
        assert red.post("/v1/operations", json=op(ident, "red")).status_code == 201
    for _ in range(6):
        with httpx.Client(base_url=served.url, headers=blue_headers) as blue:
            assert blue.get(f"/v1/operations/{ident}").status_code == 200
            refused = blue.post("/v1/operations", json=op(unique("b"), "blue"))
            assert refused.status_code == 409, refused.text


def accepted_total(url: str) -> float:
    with httpx.Client(base_url=url) as client:  # a new connection: any worker may answer
        text = client.get("/metrics").text
    match = re.search(r"^deconflict_operations_accepted_total (\S+)$", text, re.M)
    assert match, text[:2000]
    return float(match.group(1))


def test_metrics_describe_the_whole_service(served: Served, key_dir: str) -> None:
    headers = token(key_dir, "red", [READ, WRITE])
    clients, per_client = 16, 2
    answered = 0
    seen = []
    for burst in range(3):
        start = threading.Barrier(clients)
        failures: list[str] = []

        def submit(
            number: int,
            burst: int = burst,
            start: threading.Barrier = start,
            failures: list[str] = failures,
        ) -> None:
            with httpx.Client(base_url=served.url, headers=headers, timeout=60) as client:
                start.wait()  # concurrent connections: both workers take some
                for k in range(per_client):
                    lon = 20 + number * 0.1 + k * 0.01
                    body = op(unique("m"), "red", lon=lon, lat=20 + burst, radius=100)
                    answer = client.post("/v1/operations", json=body)
                    if answer.status_code != 201:
                        failures.append(answer.text)

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures[:3]
        answered += clients * per_client
        seen += [(answered, accepted_total(served.url)) for _ in range(6)]
    assert all(count == total for total, count in seen), seen


def test_workers_answer_without_waiting_for_delayed_acks() -> None:
    """The sockets the workers listen on have TCP_NODELAY, and accepted connections inherit it
    (without it every answer on a kept-alive connection waits ~40 ms for a delayed ACK).
    Checked on the socket itself, not by timing requests."""
    import socket

    from deconflict.api.workers import listening_socket

    listener = listening_socket("127.0.0.1", 0, share=True)
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in (client, accepted, listener):
            sock.close()
