"""What a digital signature on a document says and whether it holds (chữ ký số trên văn bản):
the report legisflow makes of a signed PDF, pure data. The checks themselves (PAdES, the
certificate chain to a pinned root) are in ``signatures/pdf.py``; this module only says
what was found, in Vietnamese with English, for the status, the case page and the CLI."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.legal_time import VIETNAM_TZ


class SignerCertificate(BaseModel):
    """The signer's certificate as the report shows it (chứng thư số của người ký)."""

    name: str
    organisation: str | None = None
    #: The directory person the certificate names (its subject's UID), if it names one.
    person: str | None = None
    serial: str
    issuer: str
    valid_from: datetime
    valid_to: datetime
    #: SHA-256 of the certificate (hex): what the directory lists for a person whose
    #: certificate does not carry their person id.
    fingerprint: str = ""


class SignatureReport(BaseModel):
    """One verification of a PDF: its last signature, and every reason it does not hold."""

    signed: bool
    signer: SignerCertificate | None = None
    #: The time the signer's software wrote into the signature (thời điểm ký).
    signed_at: datetime | None = None
    #: How many signatures the file carries (the report is on the last one).
    signatures: int = 0
    problems: list[str] = Field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signed and not self.problems

    def lines(self) -> list[str]:
        """The report as a person reads it, one fact per line."""
        if not self.signed or self.signer is None:
            return self.problems or [NO_SIGNATURE]
        s = self.signer
        out = [
            ("Hợp lệ / valid" if self.valid else "KHÔNG hợp lệ / NOT valid"),
            f"Người ký / signer: {s.name}" + (f" ({s.person})" if s.person else ""),
        ]
        if s.organisation:
            out.append(f"Tổ chức / organisation: {s.organisation}")
        if self.signed_at is not None:
            out.append(f"Thời điểm ký / signed at: {vn_time(self.signed_at)}")
        out += [
            f"Số hiệu chứng thư / certificate serial: {s.serial}",
            f"Dấu vân tay SHA-256 / fingerprint: {s.fingerprint}",
            f"Cấp bởi / issued by: {s.issuer}",
            f"Hiệu lực chứng thư / certificate valid: {vn_time(s.valid_from)} – "
            f"{vn_time(s.valid_to)}",
        ]
        if self.signatures > 1:
            out.append(f"Số chữ ký trong tệp / signatures in the file: {self.signatures}")
        return out + [f"Lỗi / problem: {p}" for p in self.problems]


NO_SIGNATURE = "Tệp không có chữ ký số / the file carries no digital signature"


def vn_time(at: datetime) -> str:
    """dd/mm/yyyy HH:MM on Vietnam's clock."""
    return f"{at.astimezone(VIETNAM_TZ):%d/%m/%Y %H:%M}"


def tampered() -> str:
    return (
        "chữ ký không hợp lệ: nội dung đã bị sửa sau khi ký / the signature does not match "
        "the document: it was changed after signing"
    )


def partly_covered() -> str:
    return (
        "chữ ký không phủ toàn bộ tài liệu: có nội dung thêm vào sau khi ký / the signature "
        "does not cover the whole document: content was added after signing"
    )


def expired(valid_to: datetime, signed_at: datetime) -> str:
    return (
        f"chữ ký không hợp lệ: chứng thư hết hạn ngày {vn_time(valid_to)}, trước thời điểm ký "
        f"{vn_time(signed_at)} / the certificate expired on {vn_time(valid_to)}, before the "
        f"signature was made ({vn_time(signed_at)})"
    )


def not_yet_valid(valid_from: datetime, signed_at: datetime) -> str:
    return (
        f"chữ ký không hợp lệ: chứng thư chỉ có hiệu lực từ {vn_time(valid_from)}, sau thời "
        f"điểm ký {vn_time(signed_at)} / the certificate was not yet valid when the signature "
        f"was made"
    )


def untrusted(issuer: str) -> str:
    return (
        f"chứng thư không thuộc chuỗi tin cậy được ghim cho hệ thống (cấp bởi {issuer}) / the "
        f"certificate does not chain to a root pinned for this deployment (issued by {issuer})"
    )


def not_the_person(signer: str, expected: str) -> str:
    return (
        f"chữ ký của {signer}, không phải của người giữ vai trò ký ({expected}) / signed by "
        f"{signer}, not by the holder of the signing role ({expected})"
    )


def unreadable(reason: str) -> str:
    return f"không đọc được tệp PDF / the file is not a readable PDF: {reason}"
