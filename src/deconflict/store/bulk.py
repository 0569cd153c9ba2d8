"""Many rows in one statement, with as little per-row work as the backend allows.

SQLAlchemy processes every parameter of every row (type adapters, key lookups) before
the driver sees it, which for the channel's thousands of small rows a second costs more
than SQLite's own work. On SQLite, `executemany` compiles the statement once to the
driver's SQL and hands it plain tuples (the driver loops in C).

On PostgreSQL an executemany is still one statement execution per row on the server
(pipelined, but each bound, executed and answered: tens of microseconds apiece on both
ends), and the channel writes a dozen small rows per accepted operation. There
`insert_rows` sends one statement whatever the number of rows: each column's values as
one array parameter, `INSERT … SELECT … FROM unnest(…) WITH ORDINALITY` in the rows'
order (so serial ids follow it). One statement text per table and column list, so the
driver prepares it once.

Only for values the driver takes as they are (str, int, float, bool, bytes, None): no
JSON or other adapted type passes through `executemany` unprocessed (`insert_rows`
takes JSON columns too, as their text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Executable

_compiled: dict[int, tuple[Executable, str, tuple[str, ...]]] = {}


def _sqlite_form(connection: Connection, statement: Executable) -> tuple[str, tuple[str, ...]]:
    # Keyed by the statement object, which is kept alive in the entry (ids are not reused).
    found = _compiled.get(id(statement))
    if found is None:
        compiled = statement.compile(dialect=connection.dialect)  # type: ignore[attr-defined]
        found = (statement, str(compiled), tuple(compiled.positiontup or ()))
        _compiled[id(statement)] = found
    return found[1], found[2]


def executemany(
    connection: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]
) -> None:
    """`connection.execute(statement, rows)`, faster on SQLite (see the module)."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(statement, list(rows))
        return
    sql, names = _sqlite_form(connection, statement)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, [tuple(row[name] for name in names) for row in rows])
    finally:
        cursor.close()


_inserts: dict[tuple[str, tuple[str, ...]], tuple[Executable, bool]] = {}
"""One INSERT per table and column list (`_sqlite_form` caches its text by identity), and
whether any of those columns is JSON."""
_unnest_forms: dict[tuple[str, tuple[str, ...], str], tuple[sa.TextClause, tuple[bool, ...]]] = {}


def _unnest_form(
    connection: Connection, table: sa.Table, names: tuple[str, ...], prefix: str = ""
) -> tuple[sa.TextClause, tuple[bool, ...]]:
    """The statement inserting rows with these keys, its parameters named `prefix`c0…"""
    key = (table.name, names, prefix)
    found = _unnest_forms.get(key)
    if found is None:
        preparer = connection.dialect.identifier_preparer
        arrays, selected, json_columns = [], [], []
        for i, name in enumerate(names):
            column_type = table.c[name].type
            is_json = isinstance(column_type, sa.JSON)
            sql_type = "text" if is_json else column_type.compile(dialect=connection.dialect)
            arrays.append(f"CAST(:{prefix}c{i} AS {sql_type}[])")
            selected.append(f"u.c{i}::json" if is_json else f"u.c{i}")
            json_columns.append(is_json)
        columns = ", ".join(preparer.quote(name) for name in names)
        aliases = ", ".join(f"c{i}" for i in range(len(names)))
        text = sa.text(
            f"INSERT INTO {preparer.format_table(table)} ({columns}) "
            f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) "
            f"WITH ORDINALITY AS u({aliases}, position) ORDER BY u.position"
        )
        found = _unnest_forms[key] = (text, tuple(json_columns))
    return found


def insert_rows(connection: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same keys) into `table`, in their order: one statement
    on PostgreSQL (see the module), `executemany` on SQLite. JSON columns take any JSON
    value (serialised here, as SQLAlchemy's JSON type would)."""
    if not rows:
        return
    names = tuple(rows[0])
    if connection.dialect.name != "postgresql":
        found = _inserts.get((table.name, names))
        if found is None:  # of these columns only (not an autoincrement key)
            values = {name: sa.bindparam(name) for name in names}
            has_json = any(isinstance(table.c[name].type, sa.JSON) for name in names)
            found = _inserts[(table.name, names)] = (table.insert().values(values), has_json)
        statement, has_json = found
        if has_json:
            connection.execute(statement, list(rows))  # SQLAlchemy serialises the JSON
        else:
            executemany(connection, statement, rows)
        return
    statement, json_columns = _unnest_form(connection, table, names)
    connection.execute(statement, _arrays(names, json_columns, rows))


def _arrays(
    names: tuple[str, ...],
    json_columns: tuple[bool, ...],
    rows: Sequence[Mapping[str, Any]],
    prefix: str = "",
) -> dict[str, list[Any]]:
    """The array parameters of an `_unnest_form`: one list per column."""
    parameters = {}
    for i, (name, is_json) in enumerate(zip(names, json_columns, strict=True)):
        values = [row[name] for row in rows]
        parameters[f"{prefix}c{i}"] = [json.dumps(v) for v in values] if is_json else values
    return parameters


_together_forms: dict[tuple, sa.TextClause] = {}


def insert_rows_together(
    connection: Connection, batches: Sequence[tuple[sa.Table, Sequence[Mapping[str, Any]]]]
) -> None:
    """`insert_rows` into several tables: on PostgreSQL in one statement (the inserts but
    the last as WITH clauses, so one round trip); elsewhere one after the other."""
    batches = [(table, rows) for table, rows in batches if rows]
    if connection.dialect.name != "postgresql" or len(batches) < 2:
        for table, rows in batches:
            insert_rows(connection, table, rows)
        return
    shapes = [(table, tuple(rows[0])) for table, rows in batches]
    key = tuple((table.name, names) for table, names in shapes)
    statement = _together_forms.get(key)
    forms = [
        _unnest_form(connection, table, names, prefix=f"t{i}_")
        for i, (table, names) in enumerate(shapes)
    ]
    if statement is None:
        texts = [form[0].text for form in forms]
        clauses = ", ".join(f"w{i} AS ({text})" for i, text in enumerate(texts[:-1]))
        statement = _together_forms[key] = sa.text(f"WITH {clauses} {texts[-1]}")
    parameters: dict[str, list[Any]] = {}
    for i, ((_, names), (_, json_columns), (_, rows)) in enumerate(
        zip(shapes, forms, batches, strict=True)
    ):
        parameters.update(_arrays(names, json_columns, rows, prefix=f"t{i}_"))
    connection.execute(statement, parameters)
