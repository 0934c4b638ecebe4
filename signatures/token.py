"""Signing with a key that never leaves its token (khóa bí mật trên USB token): a PKCS#11
module (the token vendor's library; SoftHSM2 in the tests) signs the PDF through pyHanko.
The certificate and its chain are read from the token; the key is the token's only private
key unless a label names it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

from signatures.pdf import sign_pdf_with, sign_statement


class TokenError(RuntimeError):
    """The token could not be opened or holds no usable key (the message says which)."""


@dataclass(frozen=True)
class TokenKey:
    lib: Path
    token_label: str
    pin: str
    #: The key's (and its certificate's) label; None: the token's only private key.
    key_label: str | None = None


def _only_key_label(session: object) -> str:
    from pkcs11 import Attribute, ObjectClass

    keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))  # type: ignore[attr-defined]
    labels = [k[Attribute.LABEL] for k in keys]
    if len(labels) != 1:
        raise TokenError(
            f"token có {len(labels)} khóa; hãy chỉ rõ --key-label / the token holds "
            f"{len(labels)} private keys ({', '.join(labels) or 'none'}): name one with --key-label"
        )
    return str(labels[0])


@contextmanager
def token_signer(key: TokenKey) -> Iterator[PKCS11Signer]:
    """A signer whose key stays on the token, for the time of the block."""
    if not key.lib.exists():
        raise TokenError(f"{key.lib}: không có thư viện PKCS#11 / no such PKCS#11 module")
    try:
        session = open_pkcs11_session(
            str(key.lib), token_criteria=TokenCriteria(label=key.token_label), user_pin=key.pin
        )
    except Exception as exc:  # the module's own errors (no token, wrong PIN) vary by vendor
        raise TokenError(
            f"không mở được token '{key.token_label}' / cannot open the token: "
            f"{type(exc).__name__} {exc}".strip()
        ) from None
    try:
        label = key.key_label or _only_key_label(session)
        # The chain up to the root is on the token too: every certificate goes in.
        yield PKCS11Signer(session, cert_label=label, key_label=label, other_certs_to_pull=None)
    finally:
        session.close()


async def sign_with_token(pdf: bytes, key: TokenKey, reason: str | None = None) -> bytes:
    """``pdf`` with a PAdES signature made by the token's key."""
    with token_signer(key) as signer:
        return await sign_pdf_with(pdf, signer, reason=reason)


async def approve_with_token(statement: bytes, key: TokenKey) -> str:
    """A signed approval of ``statement`` made by the token's key."""
    with token_signer(key) as signer:
        return await sign_statement(statement, signer)
