"""One SQL database, SQLite or PostgreSQL, chosen by URL (``LEGISFLOW_DATABASE_URL``):
``sqlite:///path/to/file.sqlite3`` or ``postgresql://user@host:port/name``.

The statements are written once, with ``?`` placeholders and SQL both engines accept
(``ON CONFLICT … DO NOTHING``, ``RETURNING``); the schema's few differences are the types
``SCHEMA_TYPES`` names. Each thread has its own connection: the portal serves requests from
a thread pool. A transaction is committed before any caller learns its result, and SQLite
syncs each commit to disk (``synchronous=FULL``), so a receipt given is never lost.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]

#: Column types that differ between the engines (``{id}`` in the schema). Times are ISO
#: 8601 text in UTC on both, which sorts as time does.
SCHEMA_TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"id": "INTEGER PRIMARY KEY"},
    "postgresql": {"id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
}


#: Whether this thread is inside a SQLite transaction (holds its turn).
_writing = threading.local()


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
        # SQLite takes one writer at a time, and a connection that finds the database locked
        # sleeps 1, 2, 5 … 100 ms before it tries again, however soon the lock is free: under
        # load some wait far longer than the others. Writers here queue instead, and each
        # wakes as soon as the one before has committed: the threads of a process on a lock,
        # the processes (the portal's workers) on a lock file beside the database (``.turn``,
        # released by the kernel if its holder dies). Every transaction here is IMMEDIATE.
        self._thread_turn = threading.Lock()
        self._turn_fd: int | None = None
        if self.dialect == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            self._turn_fd = os.open(f"{path}.turn", os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._turn_fd)
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
        # Imported here: psycopg is 22 MB of a process that runs on SQLite (docs/capacity.md).
        import psycopg

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
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        """A cursor whose statements commit together when the block ends (or roll back if
        it raises). ``?`` placeholders work on both engines. ``write=False`` promises reads
        only: on SQLite they then read the last commit without taking the turn to write, so
        a long count does not hold the comments back (PostgreSQL's reads never do)."""
        conn = self._connection()
        if self.dialect == "sqlite" and not write:
            cur = conn.cursor()
            cur.execute("BEGIN DEFERRED")
            try:
                yield cur
            finally:
                if conn.in_transaction:
                    cur.execute("ROLLBACK")  # nothing to keep
            return
        if self.dialect == "sqlite":
            with self._sqlite_turn():
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
        import psycopg  # loaded by _connect already

        try:
            with conn.transaction(), conn.cursor() as raw:
                yield _Placeholders(raw)
        except psycopg.OperationalError:
            # A broken connection (the server restarted) is dropped; the next call reconnects.
            self._local.conn = None
            raise

    @contextmanager
    def _sqlite_turn(self) -> Iterator[None]:
        """This thread's and this process's turn to write (see ``__init__``). A transaction
        begun inside another (a mistake) takes no turn, and fails in SQLite as it did."""
        assert self._turn_fd is not None
        if getattr(_writing, "now", False):
            yield
            return
        with self._thread_turn:
            fcntl.flock(self._turn_fd, fcntl.LOCK_EX)
            _writing.now = True
            try:
                yield
            finally:
                _writing.now = False
                fcntl.flock(self._turn_fd, fcntl.LOCK_UN)

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
