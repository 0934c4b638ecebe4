"""The demo's officials signing for real (``make demo``, ``legisflow dev``, the tests): each
person gets a key and a certificate from the demo CA the first time they sign. `legisflow
demo` and `legisflow dev` keep the keys on a SoftHSM2 token under the data dir when Debian's
softhsm2 is installed (``signatures/demo_token.py``); otherwise, and in the tests' own
process, they are key files under the data dir, readable by its owner only. Dev and demo
only: a deployment's officials sign with their own tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.private_files import write_private
from models.actors import Directory
from settings import Settings
from signatures.certificates import DemoCa, Issued, key_pem, pem
from signatures.demo_token import DemoToken, softhsm_available
from signatures.pdf import key_signer, sign_pdf, sign_statement


def demo_signing(settings: Settings) -> bool:
    """Whether demo keys may sign here: a data dir with the demo's CA (`legisflow demo`,
    `legisflow dev`) and no deployment roots pinned (LEGISFLOW_SIGNATURE_ROOTS_FILE)."""
    return settings.signature_roots_file is None and (settings.demo_ca_dir / "root.pem").exists()


@dataclass
class DemoSigners:
    ca: DemoCa
    directory: Directory
    #: Where each person's key and certificate are kept (``<person>.key``, ``<person>.pem``).
    folder: Path
    #: The demo token holding the keys, if this data dir has one.
    token: DemoToken | None = None
    _issued: dict[str, Issued] = field(default_factory=dict)

    @classmethod
    def under(cls, ca_dir: Path, directory: Directory, *, make_token: bool = False) -> DemoSigners:
        """The demo CA of ``ca_dir`` (made if missing) and its officials beside it: on the
        data dir's demo token if it has one (``make_token``: make one, if SoftHSM2 is here)."""
        token = None
        token_dir = ca_dir / "softhsm"
        if (token_dir / "pin").exists() or (make_token and softhsm_available()):
            token = DemoToken(token_dir)
        return cls(DemoCa.load_or_create(ca_dir), directory, ca_dir / "people", token)

    @property
    def roots(self) -> list[x509.Certificate]:
        return [self.ca.root]

    def issued(self, person: str) -> Issued:
        if person not in self._issued:
            self._issued[person] = self._load(person) or self._issue(person)
        return self._issued[person]

    async def sign(self, person: str, pdf: bytes, reason: str | None = None) -> bytes:
        if self.token is not None:
            self._on_token(self.token, person)
            return await self.token.sign(person, pdf, reason)
        issued = self.issued(person)
        return await sign_pdf(pdf, issued.key, issued.certificate, issued.chain, reason=reason)

    async def approve(self, person: str, statement: bytes) -> str:
        """``person``'s signed approval of ``statement`` (CMS, detached, base64)."""
        if self.token is not None:
            self._on_token(self.token, person)
            return await self.token.approve(person, statement)
        issued = self.issued(person)
        return await sign_statement(
            statement, key_signer(issued.key, issued.certificate, issued.chain)
        )

    def _on_token(self, token: DemoToken, person: str) -> None:
        """``person``'s key on the token, issued (and never written to a file) if missing."""
        if token.certificate(person) is None:
            token.put(person, self._new(person))

    def _new(self, person: str) -> Issued:
        who = self.directory.person(person)
        return self.ca.issue(person, who.name, self.directory.agency(who.agency).name)

    def _load(self, person: str) -> Issued | None:
        key_file, cert_file = self.folder / f"{person}.key", self.folder / f"{person}.pem"
        if not (key_file.exists() and cert_file.exists()):
            return None
        key = serialization.load_pem_private_key(key_file.read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey), f"{key_file}: not an RSA key"
        return Issued(key, x509.load_pem_x509_certificate(cert_file.read_bytes()), (self.ca.ca,))

    def _issue(self, person: str) -> Issued:
        issued = self._new(person)
        write_private(self.folder / f"{person}.key", key_pem(issued.key))
        (self.folder / f"{person}.pem").write_bytes(pem(issued.certificate))
        return issued
