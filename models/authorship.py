"""Proof of authorship (chứng thực người quyết định): every decision a case accepts carries a
statement, signed by the sign-in layer, that this person took this action on this case with
exactly this content.

The sign-in layer (``identity/``) holds an Ed25519 private key; a case holds only the public
keys it was given at start (``trusted_keys`` in its input). A workflow's validator checks a
request's ``proof`` with :class:`ProofLedger` before anything is written: a missing proof, a
proof by an unknown key, for another case, action or person, for different content, an
expired one or one already used is refused with its reason.

Pure: no I/O, no Temporal; the workflows import it through the sandbox's pass-through
(``cryptography`` must not be re-imported inside the sandbox).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

#: How long a proof is good for after it is issued: enough for the client's retries of a
#: busy case (``client/updates.py``: 60 s), short enough that a copied one is soon useless.
PROOF_LIFETIME = timedelta(minutes=10)
#: How far ahead of the case's clock an issuing machine's clock may be.
CLOCK_SKEW = timedelta(minutes=2)


class TrustedKey(BaseModel):
    """A sign-in layer's public key (khóa công khai), pinned in a case at its start."""

    model_config = ConfigDict(frozen=True)
    key_id: str = Field(min_length=8, max_length=64)
    #: The raw 32-byte Ed25519 public key, base64.
    public_key: str = Field(min_length=40, max_length=64)
    #: Who holds the private key ("legisflow-local", the web app's name…), for people.
    issuer: str = Field(min_length=1, max_length=128)


class Proof(BaseModel):
    """A signed statement that ``person`` takes ``action`` on ``case_id`` with the request
    whose digest is ``digest``; ``nonce`` makes each one usable once."""

    model_config = ConfigDict(frozen=True)
    key_id: str = Field(min_length=8, max_length=64)
    person: str = Field(min_length=1, max_length=128)
    case_id: str = Field(min_length=1, max_length=400)
    action: str = Field(min_length=1, max_length=128)
    digest: str = Field(min_length=64, max_length=64)
    issued_at: datetime
    expires_at: datetime
    nonce: str = Field(min_length=16, max_length=64)
    #: "person" for a signed-in person, "service" for an automation account.
    kind: str = Field(default="person", max_length=16)
    signature: str = Field(default="", max_length=200)

    def claims(self) -> bytes:
        """The bytes the signature covers: every field but the signature, canonically."""
        return canonical(self.model_dump(mode="json", exclude={"signature"}))


class Signed(BaseModel):
    """A decision request that carries its author's proof (added by the client API)."""

    proof: Proof | None = None

    def author(self) -> str:
        """Who the request says decides (its ``actor`` or ``operator``)."""
        for name in ("actor", "operator"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                return value
        raise TypeError(f"{type(self).__name__} names no actor")


class KeysPinned(BaseModel):
    """A workflow input that pins the sign-in layer's public keys (at start; a child gets
    its parent's)."""

    trusted_keys: list[TrustedKey] = Field(default_factory=list)
    #: Who may change what the workflow trusts and counts on (rotate its keys, apply a new
    #: official calendar): the operators of the case it belongs to, pinned with the keys. A
    #: drafting case reads its own from its assignments.
    operators: list[str] = Field(default_factory=list)


class KeyRotation(Signed):
    """From now on the case trusts ``keys`` (the sign-in service has a new key): an
    operator's decision, proven with a key the case trusts today, and audited."""

    operator: str = Field(min_length=1, max_length=128)
    keys: list[TrustedKey] = Field(min_length=1, max_length=8)
    reason: str = Field(min_length=5, max_length=1000)


class ProofRefused(Exception):
    """Why a proof does not hold; ``code`` is the refusal code a person's interface shows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def request_content(request: BaseModel) -> dict[str, Any]:
    """What a proof vouches for: the request as JSON, proof excluded (what the client API
    sends a remote sign-in service to prove)."""
    return request.model_dump(mode="json", exclude={"proof"})


def content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def request_digest(request: BaseModel) -> str:
    """SHA-256 of the request's content (its note, document reference, reason…), proof
    excluded: a proof for one content cannot carry another."""
    return content_digest(request_content(request))


def decision_name(update: str, request: BaseModel | dict[str, Any]) -> str:
    """What a proof names as the action: the Update, and for ``act`` which transition
    (``act:sign``), so a proof to send a draft cannot sign it."""
    if isinstance(request, dict):
        action = request.get("action")
    else:
        action = getattr(request, "action", None)
    if action is None:
        return update
    return f"{update}:{action.value if isinstance(action, Enum) else action}"


def content_author(content: dict[str, Any]) -> str | None:
    """Who a request's content says decides (``Signed.author`` on its JSON form)."""
    for name in ("actor", "operator"):
        value = content.get(name)
        if isinstance(value, str):
            return value
    return None


def key_id_of(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ProofLedger:
    """A case's trusted keys and the proofs it has accepted (until they expire).

    ``check`` is for validators (refuses, writes nothing); ``record`` for the handler that
    accepts, so a proof is used once. Both are deterministic given the case's clock."""

    def __init__(
        self,
        keys: list[TrustedKey] | tuple[TrustedKey, ...],
        used: dict[str, datetime] | None = None,
    ) -> None:
        self.keys = {k.key_id: k for k in keys}
        self._public = {
            k.key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(k.public_key))
            for k in keys
        }
        self.used: dict[str, datetime] = dict(used or {})

    def check(self, request: Signed, *, case_id: str, update: str, now: datetime) -> Proof:
        proof = request.proof
        if not self.keys:
            raise ProofRefused(
                "no_trusted_keys",
                "hồ sơ chưa có khóa đăng nhập tin cậy / this case has no trusted sign-in keys "
                "pinned; no decision can be proven on it",
            )
        if proof is None:
            raise ProofRefused(
                "unsigned",
                "quyết định không có chứng thực người quyết định / the decision carries no proof "
                "of its author: sign in and act through legisflow",
            )
        public = self._public.get(proof.key_id)
        if public is None:
            raise ProofRefused("unknown_key", f"proof signed by unknown key {proof.key_id!r}")
        try:
            public.verify(base64.b64decode(proof.signature), proof.claims())
        except (InvalidSignature, ValueError):
            raise ProofRefused("bad_signature", "the proof's signature does not match") from None
        action = decision_name(update, request)
        author = request.author()
        for what, got, want in (
            ("case", proof.case_id, case_id),
            ("action", proof.action, action),
            ("person", proof.person, author),
        ):
            if got != want:
                raise ProofRefused(
                    "proof_mismatch",
                    f"the proof is for {what} {got!r}, not {want!r}",
                )
        if proof.digest != request_digest(request):
            raise ProofRefused("proof_mismatch", "the proof is for a different content")
        if now > proof.expires_at:
            raise ProofRefused(
                "proof_expired",
                f"chứng thực đã hết hạn / the proof expired at {proof.expires_at.isoformat()}",
            )
        if proof.issued_at > now + CLOCK_SKEW or proof.expires_at - proof.issued_at > (
            PROOF_LIFETIME + CLOCK_SKEW
        ):
            raise ProofRefused("proof_expired", "the proof's validity period is not acceptable")
        if proof.nonce in self.used:
            raise ProofRefused(
                "proof_replayed",
                "chứng thực đã được dùng / this proof was already used for a decision",
            )
        return proof

    def check_rotation(self, req: KeyRotation, operators: list[str], role: str) -> None:
        """Refuse (ProofRefused) a rotation by someone who is not an operator, or to keys
        that are not Ed25519 public keys. The proof itself is checked by :meth:`check`."""
        if req.operator not in operators:
            raise ProofRefused(
                "wrong_role",
                f"{req.operator!r} is not an authorised operator ({role}) of this case; "
                f"operators: {', '.join(operators) or 'none'}",
            )
        try:
            self.rotated(req.keys)
        except ValueError as exc:
            raise ProofRefused("bad_key", f"not an Ed25519 public key: {exc}") from None

    def rotated(self, keys: list[TrustedKey]) -> ProofLedger:
        """The same ledger trusting ``keys`` instead (ValueError on a key that is not an
        Ed25519 public key); the proofs already used stay used."""
        return ProofLedger(keys, used=self.used)

    def record(self, request: Signed, now: datetime) -> None:
        """Remember the accepted proof's nonce; forget those that can no longer be used."""
        self.used = {n: t for n, t in self.used.items() if t >= now}
        if request.proof is not None:
            self.used[request.proof.nonce] = request.proof.expires_at
