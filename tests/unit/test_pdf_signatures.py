"""Verifying a signed PDF (``signatures/pdf.py``) with real PAdES signatures (pyHanko) and a
real certificate chain shaped like the government CA's (``signatures/certificates.py``):
a signature by the right person holds; tampered after signing, signed by another person,
by a certificate from a CA that is not pinned, expired at signing time, covering only part
of the file, no signature at all, or not a PDF — each is refused with its reason."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfWriter

from models.signatures import NO_SIGNATURE
from signatures.certificates import DemoCa
from signatures.pdf import sign_pdf, verify_pdf
from tests.workflows.cli_harness import legisflow

SIGNER, SIGNER_NAME = "bui.van.khoa", "Bùi Văn Khoa"
AGENCY = "Ủy ban nhân dân tỉnh Đắk Lắk"
TITLE = "Quyết định ban hành Quy định về quản lý chợ truyền thống"
#: Text in the signed part of the file, that a forger changes.
MARK = b"legisflow signed text 2026"


@pytest.fixture(scope="module")
def ca() -> DemoCa:
    return DemoCa.create()


def document(title: str = TITLE) -> bytes:
    """A one-page PDF whose title is part of what is signed."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title, "/Subject": MARK.decode()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def signed_by(
    ca: DemoCa, person: str = SIGNER, name: str = SIGNER_NAME, **validity: datetime
) -> bytes:
    issued = ca.issue(person, name, AGENCY, **validity)
    return await sign_pdf(
        document(), issued.key, issued.certificate, issued.chain, reason="Ký ban hành"
    )


def with_revision_appended(pdf: bytes) -> bytes:
    """``pdf`` with an incremental revision after its signature (the language set)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root[NameObject("/Lang")] = TextStringObject("vi")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_a_signature_by_the_right_person_holds(ca: DemoCa) -> None:
    report = await verify_pdf(await signed_by(ca), [ca.root], person=SIGNER)
    assert report.valid, report.problems
    assert report.signer is not None
    assert (report.signer.name, report.signer.person) == (SIGNER_NAME, SIGNER)
    assert report.signer.organisation == AGENCY
    assert report.signer.issuer.startswith("CA phục vụ cơ quan Đảng, Nhà nước")
    assert report.signed_at is not None
    assert abs(report.signed_at - datetime.now(UTC)) < timedelta(hours=1)
    assert report.lines()[0] == "Hợp lệ / valid"


async def test_a_file_changed_after_signing_is_refused(ca: DemoCa) -> None:
    data = await signed_by(ca)
    forged = data.replace(MARK, MARK.replace(b"signed", b"forged"), 1)
    assert forged != data
    report = await verify_pdf(forged, [ca.root], person=SIGNER)
    assert not report.valid
    assert any("bị sửa sau khi ký" in p for p in report.problems), report.problems


async def test_a_signature_by_another_person_is_refused(ca: DemoCa) -> None:
    data = await signed_by(ca, "le.thi.binh", "Lê Thị Bình")
    report = await verify_pdf(data, [ca.root], person=SIGNER)
    assert report.problems == [
        "chữ ký của le.thi.binh, không phải của người giữ vai trò ký (bui.van.khoa) / signed "
        "by le.thi.binh, not by the holder of the signing role (bui.van.khoa)"
    ]


async def test_a_certificate_from_a_ca_not_pinned_is_refused(ca: DemoCa) -> None:
    stranger = DemoCa.create(root_name="Một CA không được ghim")
    report = await verify_pdf(await signed_by(stranger), [ca.root], person=SIGNER)
    assert not report.valid
    assert any("không thuộc chuỗi tin cậy" in p for p in report.problems), report.problems


async def test_a_certificate_expired_at_signing_time_is_refused_with_its_date(ca: DemoCa) -> None:
    ended = datetime(2025, 6, 30, 17, tzinfo=UTC)  # 1 July 2025, 00:00 in Vietnam
    data = await signed_by(ca, valid_from=ended - timedelta(days=365), valid_to=ended)
    report = await verify_pdf(data, [ca.root], person=SIGNER)
    assert not report.valid
    [problem] = report.problems
    assert problem.startswith("chữ ký không hợp lệ: chứng thư hết hạn ngày 01/07/2025 00:00")


async def test_a_signature_covering_only_part_of_the_file_is_refused(ca: DemoCa) -> None:
    # A revision appended after the signature: the signature still matches what it covers.
    report = await verify_pdf(with_revision_appended(await signed_by(ca)), [ca.root], person=SIGNER)
    assert not report.valid
    assert any("không phủ toàn bộ tài liệu" in p for p in report.problems), report.problems


async def test_an_unsigned_pdf_and_a_file_that_is_no_pdf_are_refused(ca: DemoCa) -> None:
    unsigned = await verify_pdf(document(), [ca.root], person=SIGNER)
    assert (unsigned.signed, unsigned.problems) == (False, [NO_SIGNATURE])
    garbage = await verify_pdf(b"PK\x03\x04 not a pdf", [ca.root])
    assert not garbage.signed
    assert garbage.problems[0].startswith("không đọc được tệp PDF")


async def test_legisflow_verify_prints_the_report_and_fails_on_a_bad_signature(
    ca: DemoCa, tmp_path: Path
) -> None:
    """`legisflow verify FILE` against the demo CA under the data dir (the default roots)."""
    ca.save(tmp_path / "signatures" / "demo-ca")
    env = {**os.environ, "LEGISFLOW_DATA_DIR": str(tmp_path)}
    good = tmp_path / "quyet-dinh.pdf"
    good.write_bytes(await signed_by(ca))
    run = await legisflow(env, "verify", str(good), "--person", SIGNER)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        "Hợp lệ / valid",
        f"Người ký / signer: {SIGNER_NAME} ({SIGNER})",
    ]
    assert f"Tổ chức / organisation: {AGENCY}" in run.stdout

    forged = tmp_path / "sua-sau-khi-ky.pdf"
    forged.write_bytes(good.read_bytes().replace(MARK, MARK.replace(b"signed", b"forged"), 1))
    run = await legisflow(env, "verify", str(forged))
    assert run.code == 1
    assert run.stdout.startswith("KHÔNG hợp lệ / NOT valid")
    assert "nội dung đã bị sửa sau khi ký" in run.stdout

    unsigned = tmp_path / "chua-ky.pdf"
    unsigned.write_bytes(document())
    run = await legisflow(env, "verify", str(unsigned))
    assert (run.code, run.stdout.strip()) == (1, NO_SIGNATURE)
