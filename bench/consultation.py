"""The public-records database a portal benchmark writes to, with one consultation open."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from localdev.postgres import running_postgres
from models.public_consultation import IntakeOpening
from public_records.comments import PublicComments


def open_consultation(
    stack: ExitStack, tmp: Path, database: str, opening: IntakeOpening
) -> tuple[str, PublicComments]:
    """A database of the kind asked (``postgresql``: one on loopback for ``stack``'s life;
    else SQLite under ``tmp``) with ``opening``'s consultation open: its URL and records."""
    if database == "postgresql":
        url = stack.enter_context(running_postgres())
    else:
        url = f"sqlite:///{tmp / 'public.sqlite3'}"
    records = PublicComments.at(url)
    records.open_intake(opening)
    return url, records
