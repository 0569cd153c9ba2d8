"""Group commit: concurrent writes of one process share a write transaction.

On SQLite every write transaction takes the database's one write lock, and its COMMIT
(writing the WAL frames) costs more than most of the work inside it. When requests
arrive together, the first to find no batch running leads: it takes everything queued
(itself included), opens one write transaction, runs each unit of work in a savepoint
of its own, commits once, and hands each caller its own result or exception. Callers
that arrived meanwhile wait; when the leader is done, the oldest of them leads the next
batch. Nobody waits for a timer: a lone request is a batch of one.

Each unit sees the writes of the units before it in the same batch (one connection, one
transaction), so a check-then-write unit is as atomic as if it ran alone. A unit that
raises is rolled back to its savepoint and the others go on; if the commit itself fails,
every unit of the batch gets that error, as each would have alone.

Written by hand: SQLAlchemy and the drivers have no such queue, and the thing is short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")

MAX_BATCH = 64
"""Units per transaction at most: bounds how long the first of them waits for the last."""


class _Unit(Generic[T]):
    __slots__ = ("done", "error", "lead", "result", "work")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.done = threading.Event()
        self.lead = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit:
    """Runs units of write work in shared transactions (see the module docstring)."""

    def __init__(
        self,
        open_write: Callable[[], AbstractContextManager[Connection]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._open_write = open_write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Unit[Any]] = []
        self._leading = False
        self.batches = 0
        self.units = 0
        self.on_batch: Callable[[int], None] | None = None
        """Told each transaction's number of units (the service's metrics listen)."""

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work(connection)` inside a write transaction; its result, or its error."""
        unit: _Unit[T] = _Unit(work)
        with self._lock:
            self._queue.append(unit)
            lead = not self._leading
            self._leading = True
        if not lead:
            unit.done.wait()
            if not unit.lead:
                return unit.outcome()
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        try:
            self._execute(batch)
        finally:
            with self._lock:
                if self._queue:  # hand over: the oldest waiter leads the next batch
                    following = self._queue[0]
                    following.lead = True
                    following.done.set()
                else:
                    self._leading = False
        return unit.outcome()

    def _execute(self, batch: list[_Unit[Any]]) -> None:
        self.batches += 1
        self.units += len(batch)
        if self.on_batch is not None:
            self.on_batch(len(batch))
        try:
            with self._open_write() as connection:
                for unit in batch:
                    _run_in_savepoint(connection, unit)
        except BaseException as error:  # the transaction failed as a whole
            for unit in batch:
                if unit.error is None:
                    unit.result, unit.error = None, error
        finally:
            for unit in batch:
                if not unit.lead:
                    unit.done.set()


def _run_in_savepoint(connection: Connection, unit: _Unit[Any]) -> None:
    savepoint = connection.begin_nested()
    try:
        unit.result = unit.work(connection)
    except Exception as error:
        savepoint.rollback()
        unit.error = error
    else:
        savepoint.commit()
