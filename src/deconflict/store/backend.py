"""Connecting to the database, and the one place that knows SQLite from PostgreSQL.

SQLite: one file in WAL mode; a check-and-write is one `BEGIN IMMEDIATE` transaction,
which takes the single write lock up front so two writers never interleave. Writers
queue first at a `WriterGate` (a thread lock plus an OS file lock beside the database),
because SQLite's own busy handler polls with sleeps of up to 100 ms: under load that,
not the work, set the latency.
PostgreSQL: READ COMMITTED transactions that lock the coarse space-time cells they
touch (`lock_cells`, `SELECT … FOR UPDATE` in key order), so only writers that could
conflict wait for each other. Row locks, not advisory locks: the same SQL runs on
CockroachDB and YugabyteDB.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from deconflict.store.group_commit import GroupCommit

T = TypeVar("T")
log = logging.getLogger("deconflict.store")


class WriterGate:
    """Queues one SQLite file's writers, within a process and across processes.

    A waiting writer sleeps in the kernel (``flock``) and wakes the moment the lock is
    free, in arrival order as far as the OS allows. Correctness does not depend on it:
    ``BEGIN IMMEDIATE`` still takes SQLite's own lock, so a writer that bypasses the gate
    (another tool on the same file) is merely slower.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        # One descriptor per process: flock locks belong to the open file, and a worker
        # process must not share its parent's.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._descriptor()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Database:
    """An engine plus what its dialect needs; `write()` and `read()` open transactions,
    `grouped()` runs a unit of write work in a transaction shared with concurrent ones."""

    engine: Engine
    gate: WriterGate | None = field(default=None, compare=False)
    groups: GroupCommit | None = field(default=None, compare=False, init=False)

    def __post_init__(self) -> None:
        # Only SQLite's single writer gains from sharing: on PostgreSQL writers already
        # run side by side, and one transaction locking several units' cells (each unit
        # in its own key order) could deadlock with another.
        if self.is_sqlite:
            object.__setattr__(self, "groups", GroupCommit(self.write))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may check and write (SQLite: holds the write lock)."""
        gate: AbstractContextManager[None] = self.gate.held() if self.gate else nullcontext()
        with gate, self.engine.connect() as connection:
            connection = connection.execution_options(deconflict_immediate=True)
            try:
                with connection.begin():
                    yield connection
                hooks = connection.info.get("after_commit", ())
                for hook in hooks:  # committed: e.g. wake the loops that deliver its notices
                    hook()
            finally:
                # `info` belongs to the pooled connection: never carry hooks to its next use.
                connection.info.pop("after_commit", None)

    def grouped(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in a write transaction, perhaps shared with other units of
        this process (each in its own savepoint: its error undoes only its own writes)."""
        if self.groups is None:
            with self.write() as connection:
                return work(connection)
        return self.groups.run(work)

    def checkpoint(self) -> None:
        """Copy SQLite's write-ahead log back into the database file, as far as readers
        allow, without blocking writers (a passive checkpoint; nothing on PostgreSQL)."""
        if self.is_sqlite:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        with self.engine.connect() as connection, connection.begin():
            yield connection


AUTOCHECKPOINT_PAGES = 20_000
"""About 80 MB of log (4 KiB pages) before a commit copies it back itself."""
MMAP_BYTES = 1 << 30
"""Up to 1 GiB of the database file mapped (address space, not memory: the OS pages it)."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Copying the log into the database (and syncing it) is left to `checkpoint()`, run
    # in the background by the service, instead of to whichever commit crosses 1,000
    # pages while holding the write lock; this bound only stops the log growing without
    # end where nothing calls it (a command-line tool writing alone).
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    # Pages are read through a memory map shared by every connection of every process
    # (the OS page cache) rather than copied into each connection's small private cache
    # with a system call per miss: a check reads index and row pages all over the file.
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("deconflict_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


POOL_SIZE = 5
"""Connections kept open per process, unless the caller knows how many threads it runs."""
PG_OVERFLOW = 4


def connect(url: str, *, pool_size: int = POOL_SIZE) -> Database:
    """A `Database` for an SQLAlchemy URL (``sqlite:///file.db``, ``postgresql+psycopg://…``).

    `pool_size` connections stay open; more may open for a burst (SQLite: as many again).
    Size it to the threads that use the database at once: a connection opened beyond the
    kept ones is closed when given back, and under steady load that meant a new connection (SQLite:
    pragmas and a schema parse; PostgreSQL: a server process) every few requests.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            return Database(engine, WriterGate(Path(f"{database}-writer.lock")))
    else:
        # Few beyond the kept ones: every worker's connections count against the server's
        # `max_connections` (100 by default), and a thread that finds none free waits.
        engine = sa.create_engine(url, pool_size=pool_size, max_overflow=PG_OVERFLOW)
        event.listen(engine, "connect", _plan_each_execution)
        event.listen(engine, "checkout", _refuse_dead_connection)
    return Database(engine)


def _plan_each_execution(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Have the server plan every execution of a prepared statement for its parameters
    and the tables as they now are (``plan_cache_mode = force_custom_plan``).

    Why: the driver prepares a statement after a few executions, and the server then
    settles on a generic plan made once. One made while a table was small (a new hub:
    no notices, no cell locks yet) scans the table whole, and keeps doing so as the table
    grows, until autovacuum's next ANALYZE. Measured on a new database: 9.4 ms of CPU per
    submission at first, 15.4 ms some 1,600 submissions later, 7.3 ms once autovacuum had
    analysed the tables; planning each time costs 0-6 % and the climb is gone. Servers
    without the setting (before PostgreSQL 12) keep their default.
    """
    if dbapi_connection.info.server_version < 120000:
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # no transaction left open by the SET
    try:
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
    except Exception:  # a compatible server without it: the default plans stay
        log.warning("plan_cache_mode is not supported by this server", exc_info=True)
    finally:
        dbapi_connection.autocommit = autocommit


def _refuse_dead_connection(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
    """Make the pool drop a pooled PostgreSQL connection that the server has closed
    (restarted, or `pg_terminate_backend`) and hand out a fresh one instead.

    Why not SQLAlchemy's `pool_pre_ping`: it asks the server (a round trip) at every
    checkout, two per submission, about a tenth of one. An idle connection in good health
    has nothing to read; one the server closed has its farewell or end of file waiting
    on the socket, which a zero-timeout poll sees without a round trip. (A connection cut
    silently, with no word from the server, is not caught here, nor by a ping before its
    TCP timeout.) Raising `DisconnectionError` at checkout is SQLAlchemy's documented way
    to have the pool discard the connection and try another.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise sa.exc.DisconnectionError("the connection is closed")
    poll = select.poll()  # not select(): a busy process may hold descriptors above 1024
    try:
        poll.register(dbapi_connection.fileno(), select.POLLIN)
        waiting = poll.poll(0)
    except (OSError, ValueError) as error:
        raise sa.exc.DisconnectionError(f"the connection's socket failed: {error}") from error
    if waiting:
        raise sa.exc.DisconnectionError("the server closed the connection")
