"""A real PostgreSQL server for the tests (``localdev/postgres.py``): a fresh cluster in a
temporary folder listening on loopback only, stopped at the end. A server that cannot be
set up fails the test that needs it, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from localdev import postgres
from tests.adapters.servers import free_port


@contextmanager
def running_postgres() -> Iterator[str]:
    """A PostgreSQL server with its cluster in a new temporary folder; yields its URL
    (``postgresql://…@127.0.0.1:PORT/legisflow``) while the block runs."""
    try:
        with postgres.running_postgres(free_port()) as url:
            yield url
    except postgres.PostgresError as exc:
        pytest.fail(f"the database tests need PostgreSQL: {exc}")
