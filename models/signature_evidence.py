"""A case's own check of a signed document (kiểm tra chữ ký số khi ký ban hành): the signature
(its CMS, with the certificates it embeds) and the digest of the bytes it covers travel in
the decision; the case checks them in the Update's validator against the roots pinned in
its input, at its own time, and refuses, with nothing written:
- a signature that does not verify, or does not sign the digest it comes with;
- a certificate that does not chain to a pinned root;
- a certificate outside its validity when the signed file is submitted;
- a certificate that is not the deciding person's (its subject's UID is the person id).

The file itself stays in the document store. The client API checked the whole file
(``signatures/pdf.py``: intact, covering the whole file) before sending it.

Pure: no I/O, no Temporal; ``cryptography`` and ``asn1crypto`` are passed through the
workflow sandbox with the models.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Collection, Sequence
from datetime import datetime

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pydantic import BaseModel, Field

from models.signatures import SignerCertificate, not_the_person, untrusted, vn_time

#: A CMS signature with its chain is a few kilobytes; this bounds what a decision may carry.
MAX_CMS_BYTES = 64 * 1024
#: How long a chain may be (root, subordinate CAs, the official).
MAX_CHAIN = 5
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class SignatureEvidence(BaseModel):
    """What a decision carries of a signed PDF for the case to check."""

    #: The signature (CMS SignedData, DER, base64), certificates included.
    cms: str = Field(min_length=1, max_length=MAX_CMS_BYTES * 4 // 3 + 4)
    #: The digest of the bytes the signature covers (hex), as the client computed it.
    signed_digest: str = Field(pattern=r"^[0-9a-f]{64,128}$")


class SignedBy(BaseModel):
    """A signature a case accepted: on which action and document, by whose certificate."""

    action: str
    #: The signed document (a signed approval: the document it approves, if any).
    document_sha256: str | None
    signer: SignerCertificate
    #: When the case accepted it (its own clock).
    accepted_at: datetime
    #: A signed approval of the decision (phê duyệt có ký số), not a signed document.
    approval: bool = False

    def note(self) -> str:
        s = self.signer
        what = (
            "Phê duyệt ký số / signed approval"
            if self.approval
            else ("Chữ ký số / digital signature")
        )
        return (
            f"{what}: {s.name}"
            + (f", {s.organisation}" if s.organisation else "")
            + f"; chứng thư / certificate {s.serial} ({s.issuer})"
        )


def approval_statement(case_id: str, action: str, actor: str, document_sha256: str | None) -> bytes:
    """What a signed approval signs (nội dung phê duyệt): this person takes this action on
    this case, on this document — canonical JSON, the same bytes wherever it is made."""
    return json.dumps(
        {"case": case_id, "action": action, "actor": actor, "document_sha256": document_sha256},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    ).encode()  # fmt: skip


def check_approval(
    cms_b64: str,
    statement: bytes,
    roots: Sequence[x509.Certificate],
    person: str,
    at: datetime,
    known: Collection[str] = (),
) -> SignerCertificate:
    """The signer's certificate if ``cms_b64`` is ``person``'s signature of ``statement``."""
    digest = hashlib.sha256(statement).hexdigest()
    evidence = SignatureEvidence(cms=cms_b64, signed_digest=digest)
    return check_evidence(evidence, roots, person, at, known)


class SignatureRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refused(reason: str) -> SignatureRefused:
    return SignatureRefused(f"chữ ký không hợp lệ / the signature is not valid: {reason}")


def roots_of(pems: Sequence[str]) -> list[x509.Certificate]:
    return [c for pem in pems for c in x509.load_pem_x509_certificates(pem.encode())]


def _parsed(cms_b64: str) -> tuple[cms.SignerInfo, list[x509.Certificate]]:
    try:
        der = base64.b64decode(cms_b64, validate=True)
        signed = cms.ContentInfo.load(der)["content"]
        info = signed["signer_infos"][0]
        certificates = [
            x509.load_der_x509_certificate(c.chosen.dump())
            for c in signed["certificates"]
            if c.name == "certificate"
        ]
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise _refused(f"không đọc được chữ ký / unreadable CMS ({exc})") from None
    return info, certificates


def signer_of(cms_b64: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signer's certificate of a CMS signature and the other certificates it carries."""
    info, certificates = _parsed(cms_b64)
    leaf = _signer_certificate(info, certificates)
    return leaf, [c for c in certificates if c != leaf]


def check_evidence(
    evidence: SignatureEvidence,
    roots: Sequence[x509.Certificate],
    person: str,
    at: datetime,
    known: Collection[str] = (),
) -> SignerCertificate:
    """The signer's certificate if ``evidence`` is ``person``'s valid signature at ``at``
    (``known``: the fingerprints the directory lists for them); SignatureRefused saying why
    not."""
    info, certificates = _parsed(evidence.cms)
    leaf = _signer_certificate(info, certificates)
    _check_signed_digest(info, leaf, evidence.signed_digest)
    _check_chain(leaf, certificates, roots, at)
    summary = summary_of(leaf)
    if not belongs_to(summary, person, known):
        raise _refused(not_the_person(summary.person or summary.name, person))
    return summary


def summary_of(cert: x509.Certificate) -> SignerCertificate:
    def first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
        found = name.get_attributes_for_oid(oid)
        return str(found[0].value) if found else None

    oid = x509.NameOID
    return SignerCertificate(
        name=first(cert.subject, oid.COMMON_NAME) or cert.subject.rfc4514_string(),
        organisation=first(cert.subject, oid.ORGANIZATION_NAME),
        person=first(cert.subject, oid.USER_ID),
        serial=f"{cert.serial_number:X}",
        issuer=first(cert.issuer, oid.COMMON_NAME) or cert.issuer.rfc4514_string(),
        valid_from=cert.not_valid_before_utc,
        valid_to=cert.not_valid_after_utc,
        fingerprint=fingerprint(cert),
    )


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def belongs_to(signer: SignerCertificate, person: str, certificates: Collection[str]) -> bool:
    """Whether the certificate is ``person``'s: its subject names them (UID), or the
    directory lists its fingerprint for them."""
    return signer.person == person or signer.fingerprint in certificates


def _signer_certificate(info: cms.SignerInfo, pool: list[x509.Certificate]) -> x509.Certificate:
    sid = info["sid"]
    for cert in pool:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.serial_number == sid.chosen["serial_number"].native
                and cert.issuer.public_bytes() == sid.chosen["issuer"].dump()
            ):
                return cert
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == sid.chosen.native:
                return cert
    raise _refused("chữ ký không kèm chứng thư của người ký / the signer's certificate is missing")


def _check_signed_digest(info: cms.SignerInfo, cert: x509.Certificate, digest_hex: str) -> None:
    algorithm = HASHES.get(info["digest_algorithm"]["algorithm"].native)
    if algorithm is None:
        raise _refused("thuật toán băm không được chấp nhận / digest algorithm not accepted")
    attrs = info["signed_attrs"]
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if digests != [bytes.fromhex(digest_hex)]:
        raise _refused(
            "chữ ký không ký đúng nội dung được nộp / it does not sign the submitted content"
        )
    signed_bytes = attrs.untag().dump()
    signature = info["signature"].native
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            scheme: padding.AsymmetricPadding = padding.PKCS1v15()
            if info["signature_algorithm"].signature_algo == "rsassa_pss":
                scheme = padding.PSS(padding.MGF1(algorithm()), padding.PSS.AUTO)
            key.verify(signature, signed_bytes, scheme, algorithm())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(algorithm()))
        else:
            raise _refused("loại khóa không được chấp nhận / key type not accepted")
    except InvalidSignature:
        raise _refused(
            "chữ ký không khớp với chứng thư / the signature does not match its certificate"
        ) from None


def _check_chain(
    leaf: x509.Certificate,
    pool: list[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    current = leaf
    for _ in range(MAX_CHAIN):
        _check_validity(current, at)
        for root in roots:
            if _issued_by(current, root):
                _check_validity(root, at)
                return
        issuer = next((c for c in pool if c != current and _issued_by(current, c)), None)
        if issuer is None or not _is_ca(issuer):
            break
        current = issuer
    raise _refused(untrusted(summary_of(leaf).issuer))


def _check_validity(cert: x509.Certificate, at: datetime) -> None:
    if at > cert.not_valid_after_utc:
        raise _refused(
            f"chứng thư hết hạn ngày {vn_time(cert.not_valid_after_utc)}, trước khi văn bản "
            f"được nộp ({vn_time(at)}) / the certificate expired on "
            f"{vn_time(cert.not_valid_after_utc)}, before the signed file was submitted"
        )
    if at < cert.not_valid_before_utc:
        raise _refused(
            f"chứng thư chỉ có hiệu lực từ {vn_time(cert.not_valid_before_utc)} / the "
            f"certificate is valid only from {vn_time(cert.not_valid_before_utc)}"
        )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


#: ``workflow.patched`` id: a case checks a signed document again after accepting it.
SIGNATURE_CHECK_PATCH = "check-signed-document-after-acceptance"


class SignedDocumentCheck(BaseModel):
    """What the check after acceptance reads (an activity): the stored file the case
    accepted, the digest its signature was accepted for, whose it must be, and when — or,
    for a signed approval, the approval's signature (only its revocation is left to see)."""

    case_id: str
    action: str
    document_sha256: str | None
    signed_digest: str
    person: str
    accepted_at: datetime
    roots: list[str]
    #: A signed approval's CMS (base64): its certificate is checked against the CRLs.
    approval_cms: str | None = None
    #: The fingerprints of the person's certificates the directory listed (``belongs_to``).
    known: list[str] = Field(default_factory=list)


class SignatureCheck(BaseModel):
    """What the check after acceptance found: nothing, or why the case is flagged for ops
    (the stored file is not the one signed, the certificate was revoked, …)."""

    problems: list[str] = Field(default_factory=list)
