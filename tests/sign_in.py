"""The tests' sign-in layer: one key for the test session, written where the `legisflow`
command reads it, and sessions for the people a test plays.

The tests stand where the sign-in service stands (it signs proofs for a person once that
person has signed in): a test that acts as a drafter first opens the drafter's session with
this key. What the tests check is the other side: that a case accepts a decision only with a
valid proof from a key it trusts (``tests/workflows/test_authorship.py``), and that the real
sign-in (accounts, passwords, `legisflow login`) gives such sessions only to the right person
(``tests/unit/test_identity.py``, ``tests/workflows/test_cli_sign_in.py``).
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from client.proofs import AttachProofs
from identity import sessions
from identity.accounts import AccountKind
from identity.sessions import Session, open_session
from identity.signing_key import SigningKey, load_or_create
from localdev.stand_in import stand_in_signer


def session_key(folder: Path) -> SigningKey:
    return load_or_create(folder / "signing-key.pem")


def session_file(key: SigningKey, folder: Path, person: str) -> Path:
    """A session file for ``person`` (what `legisflow login` would write)."""
    session: Session = open_session(key, person, AccountKind.PERSON)
    path = folder / "sessions" / f"{person}.json"
    sessions.save(path, session)
    return path


def signing(proofs: AttachProofs | None = None) -> list[Interceptor]:
    """A client's interceptors for a test server of its own: decisions are signed for the
    person they name, with a key made for this server (``proofs``, to set its clock to a
    time-skipping server's once that has started)."""
    return [proofs or skipping_proofs()]


def skipping_proofs() -> AttachProofs:
    """Proofs signed for whoever a decision names, with a key made here; on a time-skipping
    server, set ``clock`` to its ``get_current_time``."""
    return AttachProofs(stand_in_signer())


async def raw_client(address: str) -> Client:
    """What anyone who reaches the frontend has: a client with no sign-in at all (as
    `temporal workflow update` or `signal` sends)."""
    return await Client.connect(address, data_converter=pydantic_data_converter)


def unsigned(client: Client) -> Client:
    """``client``'s connection without its interceptors: what a worker has (it signs and
    pins nothing)."""
    return Client(
        client.service_client,
        namespace=client.namespace,
        data_converter=client.data_converter,
    )
