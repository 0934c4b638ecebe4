"""What every command shares: the ``legisflow`` app, settings read with one clear line on a
bad variable, the configured document store and directory, and running a coroutine with
Temporal's errors turned into one line.

Heavy modules (temporalio, the worker, python-docx) are imported inside the functions that
need them, so ``legisflow --help`` and a command's start cost only what the command uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from datetime import date

    from temporalio.client import Client

    from activities.ports import DocumentStore
    from identity.remote import RemoteSigner
    from identity.signers import SessionSigner
    from models.actors import Directory
    from settings import Settings

T = TypeVar("T")

#: Exit status of an action the rules refused (the reason is printed).
EXIT_REFUSED = 2

app = typer.Typer(
    help="legisflow — vòng đời văn bản quy phạm pháp luật / the life of a legal "
    "normative document, as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class CliError(Exception):
    """Shown as one line on stderr; exit code 1."""


def parse_day(text: str, what: str = "date") -> date:
    """A day given as 10/01/2026 (Vietnamese order) or 2026-01-10; CliError otherwise."""
    from datetime import datetime

    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CliError(f"{what}: {text!r} is not a date; give it as 10/01/2026 or 2026-01-10")


def settings() -> Settings:
    from settings import load_settings

    return load_settings()


def store(s: Settings) -> DocumentStore:
    """The configured document store: uploads go where the workers read."""
    from activities import adapters

    return adapters.document_store(s)


def directory(s: Settings) -> Directory:
    """The configured directory, checked (its roles and e-mail addresses)."""
    from activities.post_issuance import cached_directory

    return cached_directory(s.directory_file)


#: ``--as`` is gone from the commands that decide: kept, hidden, only to say why.
#: ``--no-interest`` on a command that decides: the declaration of interest it carries.
NoInterest = Annotated[
    bool,
    typer.Option(
        "--no-interest",
        help="Declare with this decision that you have no conflict of interest in the case "
        "(needed on your first decision in it; see `legisflow declare`)",
    ),
]
AsGone = Annotated[
    str | None,
    typer.Option("--as", hidden=True, help="Removed: decisions are the signed-in person's"),
]


def signed_in(s: Settings, as_given: str | None = None) -> SessionSigner | RemoteSigner:
    """The signed-in person's signer (``legisflow login``): with ``LEGISFLOW_SIGN_IN_URL``,
    one whose proofs come from the sign-in service; CliError says to sign in."""
    from identity import sessions
    from identity.local import LocalSignIn
    from identity.remote import RemoteSigner

    if as_given is not None:
        raise CliError(
            f"--as {as_given} is no longer accepted: every decision is the signed-in "
            "person's. Sign in as them (`legisflow login`); `legisflow whoami` says who you are"
        )
    try:
        session = sessions.load(s.session_path)
        if s.sign_in_url:
            return RemoteSigner(s.sign_in_url, session)
        return LocalSignIn(s).signer(session)
    except sessions.NotSignedIn as exc:
        raise CliError(str(exc)) from None


async def connect(s: Settings, signer: SessionSigner | RemoteSigner | None = None) -> Client:
    """A client; with ``signer``, its decisions carry the signed-in person's proofs, and only
    references to documents the configured store holds."""
    from client.connection import connect as connect_client

    if signer is None:
        return await connect_client(s)
    return await connect_client(s, signer, store(s).has_blob)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(_guard(coro))


async def _guard(coro: Awaitable[T]) -> T:
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError

    from client.connection import ConnectError

    try:
        return await coro
    except RPCError as exc:
        raise CliError(f"Temporal: {exc.message}") from None
    except WorkflowQueryFailedError as exc:
        raise CliError(f"Temporal: {exc}") from None
    except ConnectError as exc:
        raise CliError(f"{exc} — is the server running? (`legisflow dev` starts one)") from None
