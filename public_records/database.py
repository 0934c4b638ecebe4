"""One SQL database, SQLite or PostgreSQL, chosen by URL (``LEGISFLOW_DATABASE_URL``):
``sqlite:///path/to/file.sqlite3`` or ``postgresql://user@host:port/name``.

The statements are written once, with ``?`` placeholders and SQL both engines accept
(``ON CONFLICT … DO NOTHING``, ``RETURNING``); the schema's few differences are the types
``SCHEMA_TYPES`` names. Each thread has its own connection: the portal serves requests from
a thread pool. A transaction is committed before any caller learns its result, and SQLite
syncs each commit to disk (``synchronous=FULL``), so a receipt given is never lost.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg

Dialect = Literal["sqlite", "postgresql"]

#: Column types that differ between the engines (``{id}`` in the schema). Times are ISO
#: 8601 text in UTC on both, which sorts as time does.
SCHEMA_TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"id": "INTEGER PRIMARY KEY"},
    "postgresql": {"id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
}


class DatabaseError(RuntimeError):
    """The database cannot be used (unreachable, unreadable URL); one line for people."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def dialect_of(url: str) -> Dialect:
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    raise DatabaseError(
        f"unknown database URL {url.split(':', 1)[0]!r}: give sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/NAME"
    )


class Database:
    """Connections to one database, one per thread, and its schema."""

    def __init__(self, url: str, schema: Sequence[str] = ()) -> None:
        self.url = url
        self.dialect = dialect_of(url)
        self._local = threading.local()
        self._schema = schema
        with self.transaction() as cur:
            for statement in schema:
                cur.execute(statement.format(**SCHEMA_TYPES[self.dialect]))

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        try:
            return psycopg.connect(self.url, connect_timeout=10)
        except psycopg.OperationalError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise DatabaseError(f"cannot reach the database: {first}") from None

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor whose statements commit together when the block ends (or roll back if
        it raises). ``?`` placeholders work on both engines."""
        conn = self._connection()
        if self.dialect == "sqlite":
            cur = conn.cursor()
            # IMMEDIATE: take the write lock at once, so two writers wait rather than fail.
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            return
        try:
            with conn.transaction(), conn.cursor() as raw:
                yield _Placeholders(raw)
        except psycopg.OperationalError:
            # A broken connection (the server restarted) is dropped; the next call reconnects.
            self._local.conn = None
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _Placeholders:
    """A psycopg cursor that takes the ``?`` placeholders SQLite takes."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("%", "%%").replace("?", "%s"), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())
