"""In-process wake-ups for the channel's loops, so that they need not poll fast.

A use case that writes notices asks to `NOTICES.notify()` once its transaction has
committed (`after_commit`), one that writes only audit events `QUEUED.notify()`. The
sequencer numbers notices at once (they are on their way to duty officers) and merges
mere events into the log in batches. When it has numbered notices it notifies
`SEQUENCED`, which wakes the webhook dispatcher and the stream broadcaster.

Work written by another process is found by each loop's poll of the database (the
stream's is fast while it has listeners), so correctness never depends on a wake-up:
they only cut the delay, and the idle cost of polling every few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Protocol

from sqlalchemy.engine import Connection


class Flag(Protocol):
    """What a subscriber is: something `notify` can set from any thread."""

    def set(self) -> None: ...


class AsyncFlag:
    """Sets asyncio events of one loop; a thread may call `set` (through the loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *events: asyncio.Event) -> None:
        self.loop = loop
        self.events = events

    def _set(self) -> None:
        for event in self.events:
            event.set()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(self._set)


class Wake:
    """A notification many loops can wait for, each with its own flag (no lost wake-up
    when one of them clears it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: list[Flag] = []

    def subscribe(self) -> threading.Event:
        """A new flag, set by each `notify`."""
        flag = threading.Event()
        self.add(flag)
        return flag

    def add(self, flag: Flag) -> None:
        """Set `flag` (which other wakes may share) on each `notify`."""
        with self._lock:
            self._flags.append(flag)

    def unsubscribe(self, flag: Flag) -> None:
        with self._lock:
            self._flags = [f for f in self._flags if f is not flag]

    def notify(self) -> None:
        with self._lock:
            flags = list(self._flags)
        for flag in flags:
            flag.set()


NOTICES = Wake()
"""Notices were committed by this process (the sequencer numbers them at once)."""
QUEUED = Wake()
"""Audit events, and no notice, were committed by this process (merged in batches)."""
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
