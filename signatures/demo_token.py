"""The demo's officials' keys on a real PKCS#11 token (SoftHSM2 from Debian), as their USB
tokens hold them: one token under the data dir, one key and certificate (with its chain)
per official, labelled with their person id. A key is put on the token when the official
is first issued a certificate and never written to a file. ``LEGISFLOW_DEMO_TOKEN`` turns
it on for `legisflow demo`, `legisflow dev` and `legisflow sign` (when SoftHSM2 is there);
otherwise the demo's keys are files under the data dir, readable by its owner only.

The PKCS#11 library reads its configuration (SOFTHSM2_CONF) once, when it loads: a process
holds one demo token.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity.private_files import write_private
from signatures.certificates import Issued
from signatures.token import TokenKey, approve_with_token, sign_with_token

SOFTHSM_LIB = Path("/usr/lib/softhsm/libsofthsm2.so")
LABEL = "legisflow-demo"


def softhsm_available() -> bool:
    return SOFTHSM_LIB.exists() and shutil.which("softhsm2-util") is not None


class DemoTokenError(RuntimeError):
    """The demo token cannot be used here (the message says why)."""


@dataclass
class DemoToken:
    folder: Path

    def __post_init__(self) -> None:
        conf = self.folder / "softhsm2.conf"
        wanted = str(conf)
        current = os.environ.get("SOFTHSM2_CONF")
        if current not in (None, wanted):
            raise DemoTokenError(
                f"this process already uses the PKCS#11 token of {current}: one per process"
            )
        if not conf.exists():
            (self.folder / "tokens").mkdir(parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)
            conf.write_text(
                f"directories.tokendir = {self.folder / 'tokens'}\nobjectstore.backend = file\n"
            )
        os.environ["SOFTHSM2_CONF"] = wanted
        pin_file = self.folder / "pin"
        if not pin_file.exists():
            pin = secrets.token_hex(8)
            subprocess.run(
                ["softhsm2-util", "--init-token", "--free", "--label", LABEL, "--pin", pin,
                 "--so-pin", secrets.token_hex(8)],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            write_private(pin_file, pin.encode())
        self.pin = pin_file.read_text().strip()

    def key(self, person: str) -> TokenKey:
        return TokenKey(SOFTHSM_LIB, LABEL, self.pin, person)

    def certificate(self, person: str) -> x509.Certificate | None:
        """``person``'s certificate on the token, if they have a key there."""
        from pkcs11 import Attribute, ObjectClass

        with self._session() as session:
            for cert in session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: person}
            ):
                return x509.load_der_x509_certificate(cert[Attribute.VALUE])
        return None

    def put(self, person: str, issued: Issued) -> None:
        """Put ``issued``'s key and certificates on the token under ``person``."""
        from pkcs11 import Attribute, CertificateType, ObjectClass
        from pkcs11.util.rsa import decode_rsa_private_key

        der = issued.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )  # fmt: skip
        ident = person.encode()
        with self._session(rw=True) as session:
            session.create_object({
                **decode_rsa_private_key(der), Attribute.TOKEN: True, Attribute.LABEL: person,
                Attribute.ID: ident, Attribute.SIGN: True, Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
            })  # fmt: skip
            for n, cert in enumerate((issued.certificate, *issued.chain)):
                serial = cert.serial_number
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: person if n == 0 else f"{person}-ca-{n}",
                    Attribute.ID: ident if n == 0 else ident + b"-ca",
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ISSUER: cert.issuer.public_bytes(),
                    Attribute.SERIAL_NUMBER: serial.to_bytes((serial.bit_length() + 8) // 8, "big"),
                })  # fmt: skip

    async def sign(self, person: str, pdf: bytes, reason: str | None = None) -> bytes:
        return await sign_with_token(pdf, self.key(person), reason=reason)

    async def approve(self, person: str, statement: bytes) -> str:
        return await approve_with_token(statement, self.key(person))

    def _session(self, rw: bool = False):  # type: ignore[no-untyped-def]
        import pkcs11

        token = pkcs11.lib(str(SOFTHSM_LIB)).get_token(token_label=LABEL)
        return token.open(user_pin=self.pin, rw=rw)
