"""The delivery's statements, sent in as few round trips as the database allows.

On PostgreSQL the statements are queued in a psycopg pipeline and travel together; asking for a
result sends everything queued so far and waits once. On SQLite (in-process, no round trips)
they simply run one by one through SQLAlchemy. The statements are SQLAlchemy Core constructs,
written once; PostgreSQL gets them compiled once per process.

Statements that need no result (an event row, a message row) cost nothing until the next
result or the commit, which psycopg also sends in the pipeline.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection
from sqlalchemy.sql import Executable


class Prepared:
    """A Core statement and its compiled PostgreSQL form.

    Parameters the caller passes are named ``p_*``; constants written into the statement
    (``subscribed=True``) become parameters too, whose values the compiled form remembers."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._compiled: dict[int, tuple[str, dict[str, Any]]] = {}

    def compiled_for(self, conn: Connection, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key = id(conn.dialect)
        if key not in self._compiled:
            compiled = self.statement.compile(dialect=conn.dialect)
            constants = {name: value for name, value in compiled.params.items() if not name.startswith("p_")}
            self._compiled[key] = (compiled.string, constants)
        sql, constants = self._compiled[key]
        return sql, {**constants, **params}


class Pending:
    """A statement's result: rows already read, or a pipelined cursor read when first asked."""

    def __init__(self, cursor: Any = None, rows: list | None = None):
        self._cursor = cursor
        self._rows = rows

    def all(self) -> list:
        if self._rows is None:
            self._rows = self._cursor.fetchall()  # sends what is queued and waits
            self._cursor.close()
        return self._rows

    def first(self):
        rows = self.all()
        return rows[0] if rows else None


class Batch(AbstractContextManager):
    """Wraps the delivery's connection: ``queue()`` for the hot path, ``conn`` for everything else."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self.dialect_name = conn.dialect.name
        self._pipelined = self.dialect_name == "postgresql"
        self._pipeline_cm = None

    def queue(self, prepared: Prepared, params: dict[str, Any]) -> Pending:
        if not self._pipelined:
            result = self._conn.execute(prepared.statement, params)
            return Pending(rows=result.all() if result.returns_rows else [])
        driver = self._conn.connection.driver_connection
        if self._pipeline_cm is None:
            self._pipeline_cm = driver.pipeline()
            self._pipeline_cm.__enter__()
        cursor = driver.cursor(row_factory=namedtuple_row)
        cursor.execute(*prepared.compiled_for(self._conn, params))
        return Pending(cursor=cursor)

    @property
    def conn(self) -> Connection:
        """The SQLAlchemy connection, out of pipeline mode (SQLAlchemy reads results eagerly)."""
        self._leave_pipeline()
        return self._conn

    def _leave_pipeline(self, *exc_info) -> None:
        if self._pipeline_cm is not None:
            cm, self._pipeline_cm = self._pipeline_cm, None
            cm.__exit__(*(exc_info or (None, None, None)))

    def __exit__(self, *exc_info) -> None:
        self._leave_pipeline(*exc_info)
