"""SQLite's log is copied back into the database file by `checkpoint()`, not by commits."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from deconflict.store.backend import connect


def rows_in_file_alone(path: Path, copy: Path) -> int:
    """Rows a reader of the database file sees without its write-ahead log."""
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as alone:
        return int(alone.execute("SELECT count(*) FROM t").fetchone()[0])


def test_commits_leave_the_log_to_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    database = connect(f"sqlite:///{path}")
    with database.write() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x BLOB)")
    database.checkpoint()
    for _ in range(500):  # well over SQLite's default of 1,000 pages of log
        with database.write() as connection:
            connection.execute(sa.text("INSERT INTO t VALUES (randomblob(8000))"))
    assert rows_in_file_alone(path, tmp_path / "before.db") == 0
    database.checkpoint()
    assert rows_in_file_alone(path, tmp_path / "after.db") == 500
