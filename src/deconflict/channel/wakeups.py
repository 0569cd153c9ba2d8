"""In-process wake-ups for the channel's loops, so that they need not poll fast.

A use case that writes notices or audit events asks to `QUEUED.notify()` once its
transaction has committed (`after_commit`); the sequencer then runs at once, and when it
has numbered notices it notifies `SEQUENCED`, which wakes the webhook dispatcher and the
stream broadcaster. Work written by another process is found by each loop's slower
poll (or by that process's own loops), so correctness never depends on a wake-up:
they only cut the delay, and the idle cost of polling every few milliseconds.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection


class Wake:
    """A notification many loops can wait for, each with its own flag (no lost wake-up
    when one of them clears it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: list[threading.Event] = []

    def subscribe(self) -> threading.Event:
        flag = threading.Event()
        with self._lock:
            self._flags.append(flag)
        return flag

    def unsubscribe(self, flag: threading.Event) -> None:
        with self._lock:
            self._flags = [f for f in self._flags if f is not flag]

    def notify(self) -> None:
        with self._lock:
            flags = list(self._flags)
        for flag in flags:
            flag.set()


QUEUED = Wake()
"""Notices or audit events were committed by this process."""
SEQUENCED = Wake()
"""The sequencer numbered notices (and made their deliveries)."""
USS = Wake()
"""Notifications to USSs were committed by this process (`uss_notifications`)."""


def after_commit(connection: Connection, wake: Wake) -> None:
    """Notify `wake` when the transaction on `connection` commits (see `Database.write`)."""
    hooks = connection.info.setdefault("after_commit", [])
    if wake.notify not in hooks:
        hooks.append(wake.notify)


def wait(flag: threading.Event, timeout: float) -> None:
    """Sleep until notified or `timeout`, then re-arm the flag."""
    flag.wait(timeout)
    flag.clear()
