"""The public's comments in a real database, the same tests on SQLite (the embedded default)
and on a real PostgreSQL server (``tests/postgres.py``)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from models.public_consultation import CommentSubmission, IntakeOpening, SpeaksFor
from public_records.comments import IntakeClosed, PublicComments
from public_records.database import Database, DatabaseError


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> PublicComments:
    if request.param == "sqlite":
        return PublicComments.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    return PublicComments.at(request.getfixturevalue("postgres_url"))


def _opened(records: PublicComments) -> str:
    case_id = f"case-{uuid.uuid4().hex[:8]}"
    records.open_intake(
        IntakeOpening(
            case_id=case_id,
            title="Nghị định về vận tải đường bộ",
            agency="Bộ Giao thông",
            affected_groups=["Doanh nghiệp vận tải", "Người lái xe"],
            closes_on=date(2027, 1, 15),
        )
    )
    return case_id


def _comment(
    case_id: str, text: str, contact: str = "an@example.vn", **kw: object
) -> CommentSubmission:
    return CommentSubmission.model_validate(
        {"case_id": case_id, "name": "Nguyễn Văn An", "contact": contact, "text": text, **kw}
    )


def test_a_comment_gets_a_code_that_finds_it_without_personal_data(records: PublicComments) -> None:
    case_id = _opened(records)
    receipt = records.submit(_comment(case_id, "Điều 5 nên rõ hơn.", article=5))
    assert not receipt.duplicate
    tracked = records.tracked(receipt.tracking_code.lower().replace("-", " "))
    assert tracked is not None
    assert (tracked.case_id, tracked.article, tracked.text) == (case_id, 5, "Điều 5 nên rõ hơn.")
    assert tracked.disposition is None
    dumped = tracked.model_dump_json()
    assert "Nguyễn" not in dumped
    assert "an@example.vn" not in dumped
    assert records.tracked("GY-0000-0000") is None
    assert records.tracked("not a code") is None


def test_the_same_text_from_one_contact_is_counted_once(records: PublicComments) -> None:
    case_id = _opened(records)
    first = records.submit(_comment(case_id, "Cần  giảm phí."))
    again = records.submit(_comment(case_id, "Cần giảm phí. "))  # whitespace differs only
    other = records.submit(_comment(case_id, "Cần giảm phí.", contact="0912 345 678"))
    assert again.duplicate
    assert again.tracking_code == first.tracking_code
    assert not other.duplicate
    assert other.tracking_code != first.tracking_code
    assert records.counts(case_id).received == 2


def test_counts_are_exact_by_group_and_no_comment_lands_after_the_close(
    records: PublicComments,
) -> None:
    case_id = _opened(records)
    groups = [SpeaksFor.CITIZEN, SpeaksFor.BUSINESS, SpeaksFor.BUSINESS, SpeaksFor.ASSOCIATION]

    def send(i: int) -> str:
        sub = _comment(case_id, f"Ý kiến số {i}", contact=f"p{i}@example.vn",
                       speaks_for=groups[i % 4])  # fmt: skip
        return records.submit(sub).tracking_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, range(200)))
    assert len(set(codes)) == 200
    counts = records.close_intake(case_id)
    assert counts.received == 200
    assert counts.by_group == {"citizen": 50, "business": 100, "association": 50}
    assert counts.by_disposition == {"open": 200}
    with pytest.raises(IntakeClosed, match="hết thời gian"):
        records.submit(_comment(case_id, "Muộn rồi"))
    assert records.close_intake(case_id).received == 200
    listed = [c.case_id for c in records.open_consultations()]
    assert case_id not in listed
    found = records.consultation(case_id)
    assert found is not None
    assert found[1] is False
    records.open_intake(found[0])  # the case came back to a stage that takes comments
    assert records.submit(_comment(case_id, "Lại mở")).tracking_code


def test_a_draft_without_a_consultation_refuses(records: PublicComments) -> None:
    with pytest.raises(IntakeClosed, match="không lấy ý kiến"):
        records.submit(_comment("no-such-case", "Xin chào"))


def test_bad_input_is_refused_before_the_database() -> None:
    with pytest.raises(ValidationError, match="e-mail address or a phone number"):
        _comment("c", "text", contact="not a contact")
    with pytest.raises(ValidationError, match="text"):
        _comment("c", " \u00a0 ")
    with pytest.raises(ValidationError):
        _comment("c", "x" * 10_001)


def test_an_unknown_or_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="sqlite:///PATH or postgresql://"):
        Database("mysql://x")
    with pytest.raises(DatabaseError, match="cannot reach the database"):
        Database("postgresql://nobody@127.0.0.1:1/none")


def test_a_tracking_code_drawn_twice_is_drawn_again(
    records: PublicComments, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Among a million comments two may draw the same 40-bit code: the second gets a new one
    (before, the citizen got an error page)."""
    case_id = _opened(records)
    first = records.submit(_comment(case_id, "Ý kiến thứ nhất"))
    draws = iter([first.tracking_code, "GY-ZZZZ-ZZZ1"])
    monkeypatch.setattr("public_records.comments.new_code", lambda prefix: next(draws))
    second = records.submit(_comment(case_id, "Ý kiến thứ hai", contact="khac@example.vn"))
    assert not second.duplicate
    assert second.tracking_code == "GY-ZZZZ-ZZZ1"
    assert records.counts(case_id).received == 2
