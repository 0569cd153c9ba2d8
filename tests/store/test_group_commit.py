"""Group commit on a real SQLite file: shared transactions, separate outcomes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.exc
from sqlalchemy.engine import Connection

from deconflict.store.backend import Database, connect
from deconflict.store.group_commit import GroupCommit

ROWS = sa.table("rows", sa.column("id"), sa.column("writer"))


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = connect(f"sqlite:///{tmp_path / 'group.db'}")
    with database.write() as connection:
        connection.exec_driver_sql("CREATE TABLE rows (id INTEGER PRIMARY KEY, writer TEXT)")
    return database


def stored(database: Database) -> set[int]:
    with database.read() as connection:
        return {row.id for row in connection.execute(sa.select(ROWS.c.id))}


def test_sqlite_databases_group_their_writes(database: Database) -> None:
    assert isinstance(database.groups, GroupCommit)


def test_each_unit_gets_its_own_result_and_error(database: Database) -> None:
    """Many threads at once: units that raise leave no rows; the others all commit."""
    results: dict[int, object] = {}
    start = threading.Barrier(24)

    def work(connection: Connection, key: int) -> int:
        connection.execute(sa.insert(ROWS).values(id=key, writer="x"))
        if key % 3 == 0:
            raise ValueError(f"unit {key} refuses")
        return key * 10

    def writer(n: int) -> None:
        start.wait()
        for attempt in range(5):
            key = n + 100 * attempt
            try:
                results[key] = database.grouped(lambda c, k=key: work(c, k))
            except ValueError as error:
                results[key] = error

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 120
    expected_ok = {k for k in results if k % 3}
    assert {k for k, v in results.items() if v == k * 10} == expected_ok
    assert all(isinstance(results[k], ValueError) for k in results if k % 3 == 0)
    assert stored(database) == expected_ok
    groups = database.groups
    assert groups is not None
    assert groups.units == len(results)
    # Under contention some transactions carried more than one unit.
    assert groups.batches < groups.units


def test_a_unit_sees_the_writes_of_units_before_it(database: Database) -> None:
    """Check-then-write stays atomic inside a shared transaction: two units that each
    insert only if the other's row is absent never both insert."""
    start = threading.Barrier(2)
    outcomes: list[bool] = []

    def claim(connection: Connection, me: int, other: int) -> bool:
        taken = connection.execute(sa.select(ROWS.c.id).where(ROWS.c.id == other)).first()
        if taken is not None:
            return False
        connection.execute(sa.insert(ROWS).values(id=me, writer=str(me)))
        return True

    for round_ in range(50):
        a, b = 1000 + 2 * round_, 1001 + 2 * round_

        def run(me: int, other: int) -> None:
            start.wait()
            outcomes.append(database.grouped(lambda c: claim(c, me, other)))

        threads = [threading.Thread(target=run, args=p) for p in ((a, b), (b, a))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(stored(database) & {a, b}) == 1
    assert outcomes.count(True) == 50


def test_a_failed_commit_fails_every_unit_of_the_batch(database: Database) -> None:
    """A batch whose COMMIT fails (here a deferred foreign key, checked only then)
    reports that error to each of its units, and none of their writes is kept."""
    with database.write() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES rows(id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )
    groups = database.groups
    assert groups is not None
    first_running, queued = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def slow_first(connection: Connection) -> str:
        first_running.set()
        queued.wait(10)
        connection.execute(sa.insert(ROWS).values(id=1, writer="first"))
        return "first"

    def orphan(connection: Connection) -> str:
        connection.exec_driver_sql("INSERT INTO child (id, parent) VALUES (1, 999)")
        return "orphan"

    def innocent(connection: Connection) -> str:
        connection.execute(sa.insert(ROWS).values(id=2, writer="innocent"))
        return "innocent"

    def run(name: str, work) -> None:  # type: ignore[no-untyped-def]
        try:
            outcomes[name] = database.grouped(work)
        except sa.exc.IntegrityError as error:
            outcomes[name] = error

    leader = threading.Thread(target=run, args=("first", slow_first))
    leader.start()
    assert first_running.wait(10)
    # These two queue behind the running batch, so they form the next one together.
    followers = [
        threading.Thread(target=run, args=("orphan", orphan)),
        threading.Thread(target=run, args=("innocent", innocent)),
    ]
    for thread in followers:
        thread.start()
    while len(groups._queue) < 2:  # both queued
        threading.Event().wait(0.001)
    queued.set()
    for thread in [leader, *followers]:
        thread.join()

    assert outcomes["first"] == "first"
    assert isinstance(outcomes["orphan"], sa.exc.IntegrityError)
    assert isinstance(outcomes["innocent"], sa.exc.IntegrityError)
    assert stored(database) == {1}
