"""What the CLI prints, checked on the models it prints (no server): user text stays text,
a late handling says so, the monitoring plan's dates are all legal dates; and the pieces
under it: slugs, the listing's due dates, the text of a comment given as a Word or PDF file.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import docx
import pytest

from cli.after_issuance import print_check, print_monitoring
from cli.drafting import print_status
from client.documents import read_text
from client.listing import CaseRow
from models.case import CaseStatus
from models.choices import Handling
from models.counts import Counts
from models.definition import Deadline, Level
from models.legality_check import CheckStatus, HandlingRecord
from models.monitoring import MonitoringStatus, Period, PlanItem
from models.post_issuance import CaseTime, DocumentInfo
from models.starting import slugify

ORIGIN = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_user_text_is_printed_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    """A title or note with Rich markup crashed `status` for everyone who viewed the case,
    `[link=…]` became a link and escape sequences reached the terminal."""
    title = "Quy định [/] [link=http://x.example]bấm[/link] [bold]đậm\x1b[31m đỏ\x07"
    st = CaseStatus(
        id="so-xd:q",
        type="qd_ubnd_tinh",
        regime="L2025_A87",
        title=title,
        drafting_agency="so-xd",
        stage="drafting",
        stage_label="Soạn thảo [/]",
        stage_label_en="Drafting",
        final=False,
        overdue=False,
        allowed=[],
        blocked=[],
        deadlines=[],
        documents=[],
        audit_entries=1,
        started_at=ORIGIN,
        legal_today=date(2026, 12, 1),
    )
    print_status(st)
    shown = capsys.readouterr().out
    assert "Quy định [/] [link=http://x.example]bấm[/link] [bold]đậm[31m đỏ" in shown
    assert "\x1b" not in shown
    assert "\x07" not in shown
    assert "Soạn thảo [/]" in shown


def _check(late: bool) -> CheckStatus:
    return CheckStatus(
        id="so-xd:q/check/1",
        document_id="so-xd:q",
        document_title="Quy định",
        stage="check_handled",
        stage_label="Đã xử lý văn bản",
        final=True,
        opened_by="ta.quang.kien",
        opened_at=ORIGIN,
        overdue=False,
        handling=HandlingRecord(
            actor="bui.van.khoa",
            action=Handling.AMEND,
            at=ORIGIN,
            legal_date=date(2027, 1, 20),
            late=late,
            by_higher_authority=False,
        ),
    )


def test_a_check_handled_late_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    print_check(_check(late=True))
    late = capsys.readouterr().out
    print_check(_check(late=False))
    in_time = capsys.readouterr().out
    assert "QUÁ HẠN / late" in late
    assert "QUÁ HẠN" not in in_time
    assert "on 2027-01-20" in in_time


def test_the_monitoring_plan_shows_legal_dates_on_the_documents_clock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With a compressed legal day (a demo's 1 s), a plan item done 20 wall-clock seconds
    after the entry into force was done 20 legal days later, not on the wall-clock date."""
    time = CaseTime(origin=ORIGIN, legal_day_seconds=1.0)
    clock = time.clock()
    in_force = ORIGIN + timedelta(seconds=100)  # legal: 100 days after the origin
    rule = Deadline(days=30, unit="calendar", kind="maximum", basis="Nghị định 80", confirmed=False)
    done = in_force + timedelta(seconds=20)
    item = PlanItem(
        item="dissemination",
        label="Phổ biến",
        label_en="Disseminate",
        rule=rule,
        due=in_force + timedelta(seconds=30),
        due_legal_date=clock.legal_date(in_force + timedelta(seconds=30)),
        remind_at=None,
        explanation="30 ngày",
        done_at=done,
        done_by="au.van.manh",
    )
    st = MonitoringStatus(
        id="so-xd:q/monitoring",
        document=DocumentInfo(
            case_id="so-xd:q",
            title="Quy định",
            doc_type="qd_ubnd_tinh",
            doc_name="Quyết định",
            regime="L2025_A87",
            level=Level.LOCAL,
            drafting_agency="so-xd",
            drafting_agency_name="Sở Xây dựng",
        ),
        status="in_force",
        status_note=None,
        in_force_at=in_force,
        legal_day_seconds=1.0,
        time=time,
        plan=[item],
        period=Period(index=1, start=date(2027, 3, 11), cutoff=date(2027, 12, 14)),
        totals=Counts(),
        open_feedback=[],
        open_feedback_count=0,
        checks=[],
        links=[],
        reports=[],
        next_report=date(2027, 12, 14),
        monitoring_officers=[],
        feedback_answerers=[],
        runs=1,
        run_events=[],
        history_length=10,
    )
    print_monitoring(st, clock.legal_date(done))
    shown = capsys.readouterr().out
    legal_done = clock.legal_date(done)
    assert legal_done == date(2027, 3, 31)
    assert f"{legal_done:%Y-%m-%d} au.van.manh" in shown
    assert f"{done:%Y-%m-%d}" not in shown  # the wall-clock date (2026-12-01)


def test_titles_without_latin_letters_get_distinct_ids() -> None:
    """An emoji-only title got the id `…:van-ban`, so the next one collided."""
    first, second = slugify("📜🏛️"), slugify("⚖️📑")
    assert first.startswith("van-ban-")
    assert second.startswith("van-ban-")
    assert first != second
    assert slugify("Quy định phân cấp") == "quy-dinh-phan-cap"


def test_a_listed_due_date_is_a_day_in_vietnam() -> None:
    """StageDueAt is an instant: 20:00 UTC on 12/12 is 13/12 in Vietnam, as `status` says."""
    due = datetime(2026, 12, 12, 20, 0, tzinfo=UTC)
    row = CaseRow("c", "qd_ubnd_tinh", "so-xd", "appraisal", False, due, "running")
    assert row.due_date == date(2026, 12, 13)


def test_the_text_of_a_comment_given_as_a_word_file(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Đề nghị sửa Điều 3.")
    document.add_paragraph("Bổ sung thời hạn phối hợp.")
    path = tmp_path / "gop-y.docx"
    document.save(str(path))
    assert read_text(path) == "Đề nghị sửa Điều 3.\nBổ sung thời hạn phối hợp."


def _pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` (ASCII) in Helvetica, byte offsets computed."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_the_text_of_a_comment_given_as_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "gop-y.pdf"
    path.write_bytes(_pdf("De nghi sua Dieu 3"))
    assert read_text(path).strip() == "De nghi sua Dieu 3"


def test_a_file_that_is_neither_utf8_nor_a_document_is_one_clear_error(tmp_path: Path) -> None:
    from client.errors import CaseError

    path = tmp_path / "gop-y.txt"
    path.write_bytes("Đề nghị sửa đổi".encode("utf-16"))  # e.g. saved by an old editor
    with pytest.raises(CaseError, match=r"not UTF-8 text; give a \.txt/\.md in UTF-8, a \.docx"):
        read_text(path)
