"""The sign-in layer's Ed25519 key (khóa ký của lớp đăng nhập): it signs sessions and each
decision's proof; its public half is pinned in every case it starts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.private_files import write_private
from models.authorship import TrustedKey, key_id_of

#: The issuer name a local (development) key gives in the keys it lets cases trust.
LOCAL_ISSUER = "legisflow-local"


class SigningKeyError(RuntimeError):
    """The key file cannot be used; the message names it."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    issuer: str = LOCAL_ISSUER

    @property
    def raw_public(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.raw_public)

    def trusted(self) -> TrustedKey:
        """What a case pins to verify this key's proofs."""
        return TrustedKey(
            key_id=self.key_id,
            public_key=base64.b64encode(self.raw_public).decode(),
            issuer=self.issuer,
        )

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data)).decode()


def load_or_create(path: Path, issuer: str = LOCAL_ISSUER) -> SigningKey:
    """The key in ``path`` (PEM, PKCS#8), made on first use, readable by its owner only."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(path, pem)
    return load(path, issuer)


def load(path: Path, issuer: str = LOCAL_ISSUER) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(
            f"{path}: cannot read the sign-in key: {exc.strerror or exc}"
        ) from None
    except ValueError as exc:
        raise SigningKeyError(f"{path}: not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: the sign-in key must be Ed25519")
    return SigningKey(key, issuer)
