"""The case's own check of a signature (``models/signature_evidence.py``), on evidence taken
from real PAdES-signed PDFs: the right person's signature at a time its certificate is valid
holds; another person's, one from a CA that is not pinned, one whose certificate expired
before the file was submitted, one that signs other content, and unreadable evidence are
refused with their reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.signature_evidence import (
    SignatureEvidence,
    SignatureRefused,
    check_evidence,
    fingerprint,
    signer_of,
)
from signatures.certificates import DemoCa
from signatures.pdf import evidence_of
from tests.unit.test_pdf_signatures import AGENCY, SIGNER, SIGNER_NAME, signed_by

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def ca() -> DemoCa:
    return DemoCa.create()


def refusal(
    evidence: SignatureEvidence, ca: DemoCa, person: str = SIGNER, at: datetime = NOW
) -> str:
    with pytest.raises(SignatureRefused) as refused:
        check_evidence(evidence, [ca.root], person, at)
    return refused.value.message


async def test_the_signers_own_valid_signature_holds(ca: DemoCa) -> None:
    signer = check_evidence(evidence_of(await signed_by(ca)), [ca.root], SIGNER, NOW)
    assert (signer.name, signer.person, signer.organisation) == (SIGNER_NAME, SIGNER, AGENCY)
    assert signer.issuer.startswith("CA phục vụ cơ quan Đảng")


async def test_another_persons_signature_is_refused(ca: DemoCa) -> None:
    evidence = evidence_of(await signed_by(ca, "le.thi.binh", "Lê Thị Bình"))
    assert "chữ ký của le.thi.binh, không phải của người giữ vai trò ký" in refusal(evidence, ca)


async def test_a_certificate_from_a_ca_not_pinned_is_refused(ca: DemoCa) -> None:
    evidence = evidence_of(await signed_by(DemoCa.create(root_name="CA lạ")))
    assert "không thuộc chuỗi tin cậy" in refusal(evidence, ca)


async def test_a_certificate_expired_before_submission_is_refused(ca: DemoCa) -> None:
    evidence = evidence_of(await signed_by(ca))
    later = NOW + timedelta(days=4 * 365)  # the certificate lasts three years
    assert "chứng thư hết hạn ngày" in refusal(evidence, ca, at=later)


async def test_a_signature_over_other_content_is_refused(ca: DemoCa) -> None:
    evidence = evidence_of(await signed_by(ca))
    other = evidence.model_copy(update={"signed_digest": "0" * 64})
    assert "không ký đúng nội dung được nộp" in refusal(other, ca)


async def test_unreadable_evidence_is_refused(ca: DemoCa) -> None:
    garbage = SignatureEvidence(cms="bm90IGEgc2lnbmF0dXJl", signed_digest="0" * 64)
    assert "không đọc được chữ ký" in refusal(garbage, ca)


async def test_a_government_certificate_is_known_by_its_fingerprint_in_the_directory(
    ca: DemoCa,
) -> None:
    """A real certificate names the official by their citizen id, not legisflow's person id:
    the directory lists its SHA-256 fingerprint for them."""
    evidence = evidence_of(await signed_by(ca, "CCCD:066080001234", SIGNER_NAME))
    assert "không phải của người giữ vai trò ký" in refusal(evidence, ca)
    leaf, _ = signer_of(evidence.cms)
    signer = check_evidence(evidence, [ca.root], SIGNER, NOW, known={fingerprint(leaf)})
    assert signer.fingerprint == fingerprint(leaf)
    assert signer.person == "CCCD:066080001234"
