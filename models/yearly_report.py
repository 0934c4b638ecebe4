"""The yearly report on law enforcement of a province or ministry (báo cáo tình hình thi hành
pháp luật hằng năm), aggregated from the monitoring of every document in force — the report
agencies assemble by hand today. Pure: the figures and tables from monitoring statuses, for
``reports/yearly_docx.py`` to render and ``client/yearly_report.py`` to gather.

The year is the reporting period that ends on the monitoring rules' cut-off in that year
(14/12: from 15/12 of the year before; ``models/post_issuance.yaml``, its basis there). A
document's status holds the figures of its current period only: a document whose period for
the year has already been closed (the report made after its cut-off rolled it over) is listed
with a pointer to its own report of that period, and left out of the sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date

from pydantic import BaseModel, Field

from models.choices import EventKind
from models.counts import Counts
from models.monitoring import MonitoringStatus
from models.monitoring_report import Table


class DocumentYear(BaseModel):
    """One monitored document in the year."""

    case_id: str
    title: str
    doc_name: str
    agency: str
    agency_name: str
    status: str
    in_force_on: date
    #: The year's figures; None when its period was closed before this report.
    counts: Counts | None
    period_start: date | None = None
    period_cutoff: date | None = None
    #: Its own report(s) of the year's period, when that period was already closed.
    reports: list[str] = Field(default_factory=list)
    plan_overdue: int = 0
    open_feedback: int = 0


class YearlyEnforcementReport(BaseModel):
    year: int
    #: Whose report: the province or ministry, or one drafting agency.
    scope: str
    made_on: date
    basis: str
    documents: list[DocumentYear]

    @property
    def counted(self) -> list[DocumentYear]:
        return [d for d in self.documents if d.counts is not None]

    def total(self, docs: Iterable[DocumentYear] | None = None) -> Counts:
        out = Counts()
        for d in self.counted if docs is None else docs:
            assert d.counts is not None
            for name in Counts.model_fields:
                if name != "events":
                    out.add(name, getattr(d.counts, name))
            for kind, n in d.counts.events.items():
                out.events[kind] = out.events.get(kind, 0) + n
        return out

    def by_agency(self) -> dict[str, list[DocumentYear]]:
        groups: dict[str, list[DocumentYear]] = defaultdict(list)
        for d in self.documents:
            groups[d.agency_name].append(d)
        return dict(sorted(groups.items()))


def document_year(st: MonitoringStatus, year: int) -> DocumentYear | None:
    """``st``'s document in ``year``; None if it was not in force by the year's cut-off."""
    year_cutoff = st.period.cutoff.replace(year=year)
    if st.in_force_at.date() > year_cutoff:
        return None  # in force only after the year's cut-off: next year's report
    doc = st.document
    current = st.period.cutoff.year == year
    earlier = [r for r in st.reports if r.cutoff.year == year]
    return DocumentYear(
        case_id=doc.case_id,
        title=doc.title,
        doc_name=doc.doc_name,
        agency=doc.drafting_agency,
        agency_name=doc.drafting_agency_name,
        status=st.status_label or st.status,
        in_force_on=st.in_force_at.date(),
        counts=st.period.counts if current else None,
        period_start=st.period.start if current else (earlier[0].start if earlier else None),
        period_cutoff=st.period.cutoff if current else (earlier[0].cutoff if earlier else None),
        reports=[d.name for r in earlier for d in r.documents],
        plan_overdue=sum(p.overdue for p in st.plan),
        open_feedback=st.open_feedback_count,
    )


def yearly_report(
    statuses: Iterable[MonitoringStatus],
    year: int,
    *,
    scope: str,
    made_on: date,
    basis: str,
    agencies: Collection[str] | None = None,
) -> YearlyEnforcementReport:
    """The year's report from ``statuses`` (of documents drafted by ``agencies``, if given)."""
    docs = [
        d
        for st in statuses
        if (agencies is None or st.document.drafting_agency in agencies)
        and (d := document_year(st, year)) is not None
    ]
    docs.sort(key=lambda d: (d.agency_name, d.in_force_on, d.title))
    return YearlyEnforcementReport(
        year=year, scope=scope, made_on=made_on, basis=basis, documents=docs
    )


# ---- what the report says -------------------------------------------------------------------

FIGURES: tuple[tuple[str, str], ...] = (
    ("feedback_received", "Kiến nghị, phản ánh tiếp nhận"),
    ("feedback_answered", "Đã trả lời"),
    ("feedback_answered_late", "Trả lời quá hạn"),
    ("feedback_forwarded", "Chuyển cơ quan có thẩm quyền"),
    ("feedback_breaches", "Vi phạm thời hạn xử lý"),
    ("amendments_proposed", "Đề xuất sửa đổi, bổ sung"),
    ("checks_opened", "Kiểm tra văn bản đã mở"),
    ("checks_unlawful", "Phát hiện trái pháp luật"),
    ("checks_handled", "Đã xử lý theo kết luận"),
)


def heading(r: YearlyEnforcementReport) -> str:
    return f"BÁO CÁO TÌNH HÌNH THI HÀNH PHÁP LUẬT NĂM {r.year} — {r.scope}"


def intro(r: YearlyEnforcementReport) -> list[str]:
    start, cutoff = _period(r)
    closed = [d for d in r.documents if d.counts is None]
    lines = [
        f"Kỳ báo cáo: từ {start:%d/%m/%Y} đến {cutoff:%d/%m/%Y}; lập ngày {r.made_on:%d/%m/%Y}.",
        f"Căn cứ: {r.basis}",
        f"Số văn bản được theo dõi thi hành: {len(r.documents)} (số liệu tổng hợp từ "
        f"{len(r.counted)} văn bản).",
    ]
    if closed:
        lines.append(
            f"{len(closed)} văn bản đã chốt kỳ báo cáo năm {r.year} trước ngày lập báo cáo này: "
            "số liệu của chúng ở báo cáo theo dõi riêng của từng văn bản (bảng cuối)."
        )
    return lines


def _period(r: YearlyEnforcementReport) -> tuple[date, date]:
    cutoffs = [d.period_cutoff for d in r.documents if d.period_cutoff is not None]
    starts = [d.period_start for d in r.documents if d.period_start is not None]
    cutoff = max(cutoffs) if cutoffs else date(r.year, 12, 14)
    start = min(starts) if starts else date(r.year - 1, 12, 15)
    return start, cutoff


def tables(r: YearlyEnforcementReport) -> list[Table]:
    total = r.total()
    general: list[tuple[str, ...]] = [(label, str(getattr(total, n))) for n, label in FIGURES]
    general += [
        (f"Việc theo dõi: {k.label.split(' / ')[0]}", str(total.events.get(k.value, 0)))
        for k in EventKind
    ]
    out = [
        Table("1. Số liệu chung", ("Chỉ tiêu", "Số lượng"), general),
        Table(
            "2. Theo cơ quan chủ trì soạn thảo",
            (
                "Cơ quan",
                "Văn bản",
                "Kiến nghị nhận",
                "Đã trả lời",
                "Quá hạn",
                "Kiểm tra",
                "Trái pháp luật",
                "Đề xuất sửa đổi",
            ),
            [_agency_row(name, docs, r) for name, docs in r.by_agency().items()],
        ),
        Table(
            "3. Văn bản được theo dõi",
            (
                "Văn bản",
                "Cơ quan",
                "Hiệu lực từ",
                "Tình trạng",
                "Kiến nghị nhận",
                "Đang xử lý",
                "Việc kế hoạch quá hạn",
                "Ghi chú",
            ),
            [_document_row(d) for d in r.documents],
        ),
    ]
    return out


def _agency_row(
    name: str, docs: Sequence[DocumentYear], r: YearlyEnforcementReport
) -> tuple[str, ...]:
    t = r.total(d for d in docs if d.counts is not None)
    late = t.feedback_answered_late + t.feedback_forwarded_late
    return (
        name, str(len(docs)), str(t.feedback_received), str(t.feedback_answered), str(late),
        str(t.checks_opened), str(t.checks_unlawful), str(t.amendments_proposed),
    )  # fmt: skip


def _document_row(d: DocumentYear) -> tuple[str, ...]:
    received = str(d.counts.feedback_received) if d.counts is not None else "—"
    note = "" if d.counts is not None else "đã chốt kỳ: " + (", ".join(d.reports) or "—")
    return (
        f"{d.doc_name}: {d.title}", d.agency_name, f"{d.in_force_on:%d/%m/%Y}", d.status,
        received, str(d.open_feedback), str(d.plan_overdue), note,
    )  # fmt: skip


def chart_series(r: YearlyEnforcementReport) -> dict[str, list[tuple[str, int, int]]]:
    """What the charts draw: per agency, feedback received and answered; per kind of
    monitoring event, how many (second value unused)."""
    agencies = [
        (name, (t := r.total(d for d in docs if d.counts is not None)).feedback_received,
         t.feedback_answered)
        for name, docs in r.by_agency().items()
    ]  # fmt: skip
    total = r.total()
    events = [(k.label.split(" / ")[0], total.events.get(k.value, 0), 0) for k in EventKind]
    return {"agencies": agencies, "events": events}
