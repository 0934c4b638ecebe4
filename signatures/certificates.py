"""Certificates for signing (chứng thư số): a certification authority shaped like the
government CA's chain (Ban Cơ yếu Chính phủ: a root, a subordinate CA for the Party and
State bodies, then one certificate per official), for ``make demo``, ``legisflow dev`` and
the tests. A deployment uses the real CA: it pins its root (``signatures/trust.py``) and
never runs this.

Each official's certificate names them as the directory does: CN their name, O their
agency, UID their person id — the UID is how legisflow tells whose signature it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from identity.private_files import write_private

#: The demo root and subordinate CA's names (shaped like VGCA's; marked as not real).
#: (A common name holds at most 64 bytes of UTF-8.)
ROOT_NAME = "Chứng thực số chuyên dùng Chính phủ (THỬ NGHIỆM)"
CA_NAME = "CA phục vụ cơ quan Đảng, Nhà nước (THỬ NGHIỆM)"
ISSUER_ORG = "Ban Cơ yếu Chính phủ (thử nghiệm)"
#: RSA 2048, as the government CA issues to officials' tokens.
KEY_BITS = 2048


def _name(common: str, organisation: str, person: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ]
    if person is not None:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, person))
    return x509.Name(attrs)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    valid_from: datetime,
    valid_to: datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


@dataclass(frozen=True)
class Issued:
    """An official's key and certificate, and the chain up to (not including) the root."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class DemoCa:
    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    ca: x509.Certificate

    @classmethod
    def create(cls, now: datetime | None = None, root_name: str = ROOT_NAME) -> DemoCa:
        """A root valid 20 years and a subordinate CA valid 10, from ``now``."""
        now = now or datetime.now(UTC)
        root_key, ca_key = new_key(), new_key()
        root_subject = _name(root_name, ISSUER_ORG)
        root = _certificate(
            root_subject, root_key, root_subject, root_key, ca=True,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=20 * 365),
        )  # fmt: skip
        ca = _certificate(
            _name(CA_NAME, ISSUER_ORG), ca_key, root_subject, root_key, ca=True,
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=10 * 365),
        )  # fmt: skip
        return cls(root_key, root, ca_key, ca)

    def issue(
        self,
        person: str,
        name: str,
        organisation: str,
        *,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
    ) -> Issued:
        """A signing certificate for a directory person (valid 3 years from now unless
        said)."""
        now = datetime.now(UTC)
        key = new_key()
        cert = _certificate(
            _name(name, organisation, person), key, self.ca.subject, self.ca_key, ca=False,
            valid_from=valid_from or now - timedelta(days=1),
            valid_to=valid_to or now + timedelta(days=3 * 365),
        )  # fmt: skip
        return Issued(key, cert, (self.ca,))

    def revocation_list(
        self, revoked: Sequence[x509.Certificate], now: datetime | None = None
    ) -> x509.CertificateRevocationList:
        """The subordinate CA's CRL listing ``revoked`` (thu hồi), valid for a week."""
        now = now or datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + timedelta(days=7))
        )
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(now - timedelta(minutes=1))
                .build()
            )
        return builder.sign(self.ca_key, hashes.SHA256())

    # ---- kept under a directory (the demo's data dir) -------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "root.pem").write_bytes(pem(self.root))
        (folder / "ca.pem").write_bytes(pem(self.ca))
        write_private(folder / "root.key", key_pem(self.root_key))
        write_private(folder / "ca.key", key_pem(self.ca_key))

    @classmethod
    def load(cls, folder: Path) -> DemoCa:
        def key(name: str) -> rsa.RSAPrivateKey:
            k = serialization.load_pem_private_key((folder / name).read_bytes(), None)
            assert isinstance(k, rsa.RSAPrivateKey), f"{folder / name}: not an RSA key"
            return k

        def cert(name: str) -> x509.Certificate:
            return x509.load_pem_x509_certificate((folder / name).read_bytes())

        return cls(key("root.key"), cert("root.pem"), key("ca.key"), cert("ca.pem"))

    @classmethod
    def load_or_create(cls, folder: Path) -> DemoCa:
        if (folder / "root.pem").exists():
            return cls.load(folder)
        made = cls.create()
        made.save(folder)
        return made
