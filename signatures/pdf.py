"""PAdES signatures on PDFs (pyHanko): signing with a key at hand (the demo's, a token's in
the CLI), and verifying a signed file the way legisflow accepts one — intact, covering the
whole file, made while its certificate was valid, chaining to a pinned root, and (when
asked) by the person expected. The report is ``models.signatures.SignatureReport``.

Revocation (OCSP, CRL) is not checked here: nothing is fetched while verifying, and an
activity checks revocation after a signature is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from models.signature_evidence import SignatureEvidence, belongs_to
from models.signatures import (
    NO_SIGNATURE,
    SignatureReport,
    SignerCertificate,
    expired,
    not_the_person,
    not_yet_valid,
    partly_covered,
    tampered,
    unreadable,
    untrusted,
)

#: The signature field legisflow adds (Chữ ký người có thẩm quyền).
FIELD = "ChuKyNguoiCoThamQuyen"

# pyHanko logs each failed check with its traceback; the report says the same in words.
logging.getLogger("pyhanko").setLevel(logging.ERROR)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


async def sign_pdf(
    pdf: bytes,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    *,
    reason: str | None = None,
) -> bytes:
    """``pdf`` with a PAdES signature by ``key`` (its certificate and chain embedded)."""
    return await sign_pdf_with(pdf, key_signer(key, certificate, chain), reason=reason)


def key_signer(
    key: rsa.RSAPrivateKey, certificate: x509.Certificate, chain: Sequence[x509.Certificate] = ()
) -> signers.Signer:
    """A signer with the key at hand (the demo's; a token's key never is)."""
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return signers.SimpleSigner(
        signing_cert=_asn1(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
    )


async def sign_pdf_with(pdf: bytes, signer: signers.Signer, *, reason: str | None = None) -> bytes:
    """``pdf`` with a PAdES signature by ``signer`` (a key at hand or on a token)."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason=reason
    )
    out = await signers.async_sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer
    )
    return out.getvalue()


async def sign_statement(statement: bytes, signer: signers.Signer) -> str:
    """A detached CMS signature of ``statement`` (a signed approval), base64."""
    cms = await signer.async_sign_general_data(statement, "sha256", detached=True)
    return base64.b64encode(cms.dump()).decode()


def _signer(cert: asn1_x509.Certificate) -> SignerCertificate:
    subject = cert.subject.native
    return SignerCertificate(
        name=str(subject.get("common_name", cert.subject.human_friendly)),
        organisation=subject.get("organization_name"),
        person=subject.get("user_id"),
        serial=f"{cert.serial_number:X}",
        issuer=str(cert.issuer.native.get("common_name", cert.issuer.human_friendly)),
        valid_from=cert.not_valid_before,
        valid_to=cert.not_valid_after,
        fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
    )


class NotSigned(ValueError):
    """The file is no readable PDF, or carries no signature (the message says which)."""


def _signatures(pdf: bytes) -> list[EmbeddedPdfSignature]:
    """The file's signatures, in order; NotSigned if none or unreadable."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise NotSigned(unreadable(str(exc) or type(exc).__name__)) from None
    if not signatures:
        raise NotSigned(NO_SIGNATURE)
    return signatures


async def verify_pdf(
    data: bytes,
    roots: Sequence[x509.Certificate],
    *,
    person: str | None = None,
    at: datetime | None = None,
    known: Collection[str] = (),
) -> SignatureReport:
    """Verify the last signature of ``data``. The chain is checked at ``at`` (the time the
    file is submitted) or, when not given, at the time the signature says it was made;
    ``person`` must have signed it (``known``: the fingerprints the directory lists for
    them)."""
    try:
        signatures = _signatures(data)
    except NotSigned as exc:
        return SignatureReport(signed=False, problems=[str(exc)])
    sig = signatures[-1]
    signer = _signer(sig.signer_cert)
    signed_at = sig.self_reported_timestamp
    context = ValidationContext(
        trust_roots=[_asn1(r) for r in roots],
        allow_fetching=False,
        moment=at or signed_at or datetime.now(UTC),
        revocation_mode="soft-fail",
    )
    status = await async_validate_pdf_signature(sig, context)
    problems = []
    if not status.intact:
        problems.append(tampered())
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(partly_covered())
    when = signed_at or at
    if when is not None and when > signer.valid_to:
        problems.append(expired(signer.valid_to, when))
    elif when is not None and when < signer.valid_from:
        problems.append(not_yet_valid(signer.valid_from, when))
    elif not status.trusted:
        problems.append(untrusted(signer.issuer))
    if person is not None and not belongs_to(signer, person, known):
        problems.append(not_the_person(signer.person or signer.name, person))
    return SignatureReport(
        signed=True,
        signer=signer,
        signed_at=signed_at,
        signatures=len(signatures),
        problems=problems,
    )


def evidence_of(pdf: bytes) -> SignatureEvidence:
    """What a decision carries of ``pdf``'s last signature for the case to check: its CMS and
    the digest of the bytes it covers."""
    sig = _signatures(pdf)[-1]
    return SignatureEvidence(
        cms=base64.b64encode(sig.pkcs7_content).decode(),
        signed_digest=sig.compute_digest().hex(),
    )
