"""Who may sign proofs for which person (người ký chứng thực): the client API asks a
:class:`Signer` for the proof of each decision it sends (``client/proofs.py``).

- :class:`SessionSigner`: the signed-in person, and nobody else (the CLI; the web app per
  request).
- :class:`DeskSigner`: several people signed in at one desk, each with their own session (the
  demo's walkthrough plays every role of a document's life, signing in as each person).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel

from identity.sessions import SIGN_IN_FIRST, NotSignedIn, Session, check_session
from identity.signing_key import SigningKey
from models.authorship import (
    PROOF_LIFETIME,
    Proof,
    Signed,
    TrustedKey,
    content_digest,
    decision_name,
    request_content,
)


class Signer(Protocol):
    def trusted_keys(self) -> list[TrustedKey]:
        """The public keys a case started through this signer pins."""
        ...

    def prove(
        self, case_id: str, update: str, request: Signed, now: datetime | None = None
    ) -> Proof | Awaitable[Proof]:
        """The proof that ``request``'s author sends ``update`` to ``case_id``, issued
        ``now`` (default: the wall clock); NotSignedIn when this signer may not speak for
        that person. A signer that asks a service over the network returns an awaitable."""
        ...


def issue(
    key: SigningKey,
    session: Session,
    case_id: str,
    update: str,
    request: BaseModel | dict[str, Any],
    now: datetime | None = None,
) -> Proof:
    """A proof for ``session``'s person, signed with ``key``, of ``request`` (a model, or
    its JSON content as ``request_content`` gives it)."""
    now = now or datetime.now(UTC)
    content = request if isinstance(request, dict) else request_content(request)
    proof = Proof(
        key_id=key.key_id,
        person=session.person,
        case_id=case_id,
        action=decision_name(update, content),
        digest=content_digest(content),
        issued_at=now,
        expires_at=now + PROOF_LIFETIME,
        nonce=secrets.token_hex(16),
        kind=session.kind.value,
    )
    return proof.model_copy(update={"signature": key.sign(proof.claims())})


class SessionSigner:
    """Proofs for the one signed-in person."""

    def __init__(self, key: SigningKey, session: Session) -> None:
        self.key = key
        self.session = check_session(key, session)

    def trusted_keys(self) -> list[TrustedKey]:
        return [self.key.trusted()]

    def prove(
        self, case_id: str, update: str, request: Signed, now: datetime | None = None
    ) -> Proof:
        author = request.author()
        if author != self.session.person:
            raise NotSignedIn(
                f"bạn đang đăng nhập là {self.session.person!r} / you are signed in as "
                f"{self.session.person!r}, not {author!r}: nobody acts as someone else"
            )
        check_session(self.key, self.session)
        return issue(self.key, self.session, case_id, update, request, now)


class DeskSigner:
    """Proofs for each person signed in at this desk, with that person's own session."""

    def __init__(
        self,
        key: SigningKey,
        sessions: Mapping[str, Session] | None = None,
        *,
        sign_in: Callable[[str], Session] | None = None,
    ) -> None:
        self.key = key
        self.sessions: dict[str, Session] = dict(sessions or {})
        #: Signs a person in when they first act here (the demo: with the demo password).
        self.sign_in = sign_in

    def add(self, session: Session) -> None:
        self.sessions[session.person] = check_session(self.key, session)

    def trusted_keys(self) -> list[TrustedKey]:
        return [self.key.trusted()]

    def prove(
        self, case_id: str, update: str, request: Signed, now: datetime | None = None
    ) -> Proof:
        person = request.author()
        session = self.sessions.get(person)
        if session is None and self.sign_in is not None:
            session = self.sessions[person] = self.sign_in(person)
        if session is None:
            raise NotSignedIn(f"{person!r} has not signed in; {SIGN_IN_FIRST}")
        check_session(self.key, session)
        return issue(self.key, session, case_id, update, request, now)


class RequestSigner:
    """Proofs for the person signed in on the request being served (the web app): one
    client for the whole process, each request's session set in :data:`CURRENT_SESSION`
    for the time it acts."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def trusted_keys(self) -> list[TrustedKey]:
        return [self.key.trusted()]

    def prove(
        self, case_id: str, update: str, request: Signed, now: datetime | None = None
    ) -> Proof:
        session = CURRENT_SESSION.get()
        if session is None:
            raise NotSignedIn(SIGN_IN_FIRST)
        return SessionSigner(self.key, session).prove(case_id, update, request, now)


#: The session of the request a web handler serves (None outside one).
CURRENT_SESSION: ContextVar[Session | None] = ContextVar("legisflow_session", default=None)


@contextmanager
def acting_as(session: Session) -> Iterator[None]:
    """Within the block, the decisions a web handler sends are proven for ``session``."""
    bound = CURRENT_SESSION.set(session)
    try:
        yield
    finally:
        CURRENT_SESSION.reset(bound)
