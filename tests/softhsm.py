"""A real PKCS#11 token for the tests: SoftHSM2 (Debian's ``softhsm2``, which ``.ci/run``
installs), one token in a temporary folder holding an official's key and certificate, as
the government CA's USB token holds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signatures.certificates import Issued, key_pem

SOFTHSM_LIB = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN, SO_PIN = "123456", "12345678"


@dataclass(frozen=True)
class Token:
    lib: Path
    label: str
    pin: str
    #: The environment a process needs to see this token (SOFTHSM2_CONF).
    env: dict[str, str]


def softhsm_token(folder: Path, label: str, holder: Issued, key_label: str) -> Token:
    """A SoftHSM2 token in ``folder`` with ``holder``'s key and certificate (and its chain)
    under ``key_label``."""
    util = shutil.which("softhsm2-util")
    if util is None or not SOFTHSM_LIB.exists():
        pytest.fail("the PKCS#11 token tests need Debian's softhsm2 (`.ci/run` installs it)")
    (folder / "tokens").mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def run(*args: str) -> None:
        subprocess.run([util, *args], env=env, check=True, capture_output=True, timeout=60)

    run("--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN)
    key_file = folder / "key.pem"
    key_file.write_bytes(key_pem(holder.key))
    run("--import", str(key_file), "--token", label, "--label", key_label, "--id", "01",
        "--pin", PIN)  # fmt: skip
    key_file.unlink()
    _put_certificates(env, label, holder, key_label)
    return Token(SOFTHSM_LIB, label, PIN, {"SOFTHSM2_CONF": str(conf)})


def _put_certificates(env: dict[str, str], label: str, holder: Issued, key_label: str) -> None:
    """The certificate beside its key (same label and id), and the chain, on the token: in
    a process of its own, since the PKCS#11 library reads SOFTHSM2_CONF once, when loaded."""
    pems = [
        cert.public_bytes(serialization.Encoding.PEM).decode()
        for cert in (holder.certificate, *holder.chain)
    ]
    subprocess.run(
        [sys.executable, "-c", _PUT_CERTIFICATES, str(SOFTHSM_LIB), label, PIN, key_label, *pems],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


_PUT_CERTIFICATES = """
import sys
import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pkcs11 import Attribute, CertificateType, ObjectClass

lib, label, pin, key_label, *pems = sys.argv[1:]
token = pkcs11.lib(lib).get_token(token_label=label)
with token.open(user_pin=pin, rw=True) as session:
    for n, text in enumerate(pems):
        cert = x509.load_pem_x509_certificate(text.encode())
        serial = cert.serial_number
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: key_label if n == 0 else f"{key_label}-ca-{n}",
            Attribute.ID: b"\\x01" if n == 0 else bytes([0x10 + n]),
            Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.ISSUER: cert.issuer.public_bytes(),
            Attribute.SERIAL_NUMBER: serial.to_bytes((serial.bit_length() + 8) // 8, "big"),
        })
"""
