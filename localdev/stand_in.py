"""A stand-in for the sign-in service, for the programs that play every person of a
document's life themselves: benchmarks and crash drills. It signs each decision for the
person the decision names, with a key made for the run; the cases such a program starts
trust that key and no other. Never in a deployment: there, proofs come from people who
signed in (``identity/``)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signers import DeskSigner
from identity.signing_key import SigningKey


def stand_in_signer(key: SigningKey | None = None) -> DeskSigner:
    """Every person the program plays is signed in when they first act."""
    key = key or SigningKey(Ed25519PrivateKey.generate())
    return DeskSigner(key, sign_in=lambda person: open_session(key, person, AccountKind.PERSON))
