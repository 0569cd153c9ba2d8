"""Several API worker processes, each accepting on its own socket of one shared port.

uvicorn's own multi-worker mode hands every worker the same listening socket; the
worker whose event loop wakes first takes a burst of new connections, and with
keep-alive clients one worker ended up serving all of them while the other idled. Here
each worker binds its own socket with ``SO_REUSEPORT``, and the kernel spreads incoming
connections over them evenly. The supervisor is written by hand (a few lines around
`multiprocessing`) because neither uvicorn nor gunicorn gives each worker its own
socket. It restarts a worker that dies and stops them all on SIGINT or SIGTERM.

Workers hold no state that correctness depends on (the database is the only shared
state), so a restarted worker simply carries on.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType

RESTART_PAUSE_S = 1.0
STOP_GRACE_S = 10.0


def listening_socket(host: str, port: int, *, share: bool) -> socket.socket:
    """A TCP socket bound to (host, port) with TCP_NODELAY, which accepted connections
    inherit (without it every answer on a kept-alive connection waits ~40 ms for a
    delayed ACK); with `share`, other sockets may bind the same port (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    """One worker: its own socket on the shared port, the app built from DECONFLICT_*."""
    import uvicorn

    sock = listening_socket(host, port, share=True)
    config = uvicorn.Config(
        "deconflict.api.asgi:build", factory=True, log_level=log_level, access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, count: int, *, log_level: str = "warning") -> None:
    """Serve with `count` worker processes until SIGINT or SIGTERM."""
    # Held (bound, never listening) for the supervisor's lifetime: it fixes the port when
    # 0 was asked for, and keeps another program from taking it between restarts.
    anchor = listening_socket(host, port, share=True)
    port = anchor.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(host, port, log_level), daemon=False)
        process.start()
        return process

    workers = [start() for _ in range(count)]
    try:
        while not stopping:
            time.sleep(0.2)
            for i, process in enumerate(workers):
                if not process.is_alive() and not stopping:
                    time.sleep(RESTART_PAUSE_S)  # a worker that dies at once must not spin
                    workers[i] = start()
    finally:
        for process in workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        deadline = time.monotonic() + STOP_GRACE_S
        for process in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        anchor.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
