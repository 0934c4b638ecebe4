"""Revocation (thu hồi chứng thư số): whether a certificate is on a revocation list (CRL) its
issuer published. The lists are files in one folder (``LEGISFLOW_SIGNATURE_CRLS_DIR``) that
operations keep current (the government CA publishes them; the demo CA writes its own); a
list is believed only if its issuer's key signed it. OCSP is not asked (nothing is fetched)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes

from models.signatures import vn_time


def revocation_lists(folder: Path | None) -> list[x509.CertificateRevocationList]:
    """Every CRL of ``folder`` (PEM or DER, ``*.crl`` or ``*.pem``); none if unset."""
    if folder is None or not folder.is_dir():
        return []
    lists = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".crl", ".pem"):
            continue
        data = path.read_bytes()
        try:
            if data.lstrip().startswith(b"-----BEGIN"):
                lists.append(x509.load_pem_x509_crl(data))
            else:
                lists.append(x509.load_der_x509_crl(data))
        except ValueError:
            continue  # not a CRL (a certificate kept beside them): not ours to read
    return lists


def revoked(
    cert: x509.Certificate,
    issuers: Sequence[x509.Certificate],
    lists: Iterable[x509.CertificateRevocationList],
) -> str | None:
    """Why ``cert`` is revoked, per a list its issuer signed; None if no list says so."""
    issuer = next((i for i in issuers if i.subject == cert.issuer), None)
    if issuer is None:
        return None
    key: CertificateIssuerPublicKeyTypes = issuer.public_key()  # type: ignore[assignment]
    for crl in lists:
        if crl.issuer != cert.issuer or not crl.is_signature_valid(key):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return revoked_note(cert, entry.revocation_date_utc)
    return None


def revoked_note(cert: x509.Certificate, on: datetime) -> str:
    return (
        f"chứng thư số {cert.serial_number:X} đã bị thu hồi từ {vn_time(on)} / the certificate "
        f"{cert.serial_number:X} was revoked on {vn_time(on)}"
    )
