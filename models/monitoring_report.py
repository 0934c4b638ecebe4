"""The yearly monitoring report (báo cáo tình hình theo dõi thi hành văn bản) as data.

One structure — intro lines and tables — rendered to Markdown here and to Word by
``activities.monitoring_report``: feedback received and how it was handled, the plan, the
events recorded, legality checks and their handling, amendments started.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.counts import Counts
from models.monitoring import MonitoringReport

KIND_TITLES = {
    "yearly": "BÁO CÁO TÌNH HÌNH THEO DÕI THI HÀNH VĂN BẢN NĂM",
    "interim": "BÁO CÁO NHANH TÌNH HÌNH THEO DÕI THI HÀNH VĂN BẢN",
    "final": "BÁO CÁO KẾT THÚC THEO DÕI THI HÀNH VĂN BẢN",
}


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]


def heading(r: MonitoringReport) -> str:
    title = KIND_TITLES.get(r.kind, KIND_TITLES["interim"])
    return f"{title} {r.period.cutoff.year}" if r.kind == "yearly" else title


def intro(r: MonitoringReport) -> list[str]:
    c = r.period.counts
    return [
        f"Văn bản / Document: {r.document.doc_name}: {r.document.title}",
        f"Mã hồ sơ / Case: {r.document.case_id} — theo dõi / monitoring {r.monitoring_id}",
        f"Cơ quan chủ trì / Drafting agency: {r.document.drafting_agency_name}",
        f"Kỳ báo cáo / Period {r.period.index}: {r.period.start:%d/%m/%Y} – "
        f"{r.period.cutoff:%d/%m/%Y}; lập ngày / made on {r.made_on:%d/%m/%Y}",
        f"Tình trạng văn bản / Status: {r.status}",
        f"Kiến nghị, phản ánh / Feedback: received {c.feedback_received}, answered "
        f"{c.feedback_answered} (late {c.feedback_answered_late}), forwarded "
        f"{c.feedback_forwarded}, opened by forwarding {c.feedback_forwarded_in}, "
        f"deadline breaches {c.feedback_breaches}, still open {len(r.open_feedback)}",
        f"Kiểm tra văn bản / Checks: opened {c.checks_opened}, clean {c.checks_clean}, "
        f"errors of form {c.checks_form_errors}, unlawful {c.checks_unlawful}, handled "
        f"{c.checks_handled}, escalated {c.checks_escalated}",
        f"Đề xuất sửa đổi / Amendments proposed: {c.amendments_proposed}",
    ]


def _counts_rows(period: Counts, totals: Counts) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for name in Counts.model_fields:
        if name == "events":
            continue
        rows.append((name, str(getattr(period, name)), str(getattr(totals, name))))
    for kind in sorted(set(period.events) | set(totals.events)):
        rows.append(
            (f"events.{kind}", str(period.events.get(kind, 0)), str(totals.events.get(kind, 0)))
        )
    return rows


def tables(r: MonitoringReport) -> list[Table]:
    out = [
        Table(
            "Số liệu / Figures",
            ("Chỉ tiêu / Item", "Trong kỳ / Period", "Lũy kế / Since entry into force"),
            _counts_rows(r.period.counts, r.totals),
        ),
        Table(
            "Kế hoạch triển khai / Implementation plan",
            ("Việc / Task", "Hạn / Due", "Hoàn thành / Done", "Căn cứ / Basis"),
            [
                (
                    f"{p.label} / {p.label_en}",
                    f"{p.due_legal_date:%d/%m/%Y}",
                    (f"{p.done_at:%d/%m/%Y} ({p.done_by})" if p.done_at else "")
                    + (" — QUÁ HẠN / OVERDUE" if p.overdue else ""),
                    p.rule.basis + ("" if p.rule.confirmed else " [chưa xác nhận / unconfirmed]"),
                )
                for p in r.plan
            ],
        ),
        Table(
            "Thu thập thông tin, kiểm tra / Events recorded",
            ("Số / No", "Ngày / Date", "Loại / Kind", "Người / By", "Nội dung / Note"),
            [
                (str(e.seq), f"{e.legal_date:%d/%m/%Y}", e.kind.label, e.actor, e.note)
                for e in r.period.events
            ],
        ),
        Table(
            "Kiến nghị, phản ánh chưa giải quyết xong / Feedback still open",
            ("Mã / Id", "Cơ quan / Agency", "Tiếp nhận / Received", "Bước / Stage", "Quá hạn"),
            [
                (
                    f.id,
                    f.agency,
                    f"{f.received:%d/%m/%Y}",
                    f.stage,
                    "x" if f.overdue else "",
                )
                for f in r.open_feedback
            ],
        ),
        Table(
            "Kiểm tra văn bản / Legality checks",
            ("Mã / Id", "Kết luận / Conclusion", "Xử lý / Handling", "Nội dung / Findings"),
            [
                (
                    c.id,
                    c.outcome.label if c.outcome else c.stage,
                    (c.handling.label if c.handling else "")
                    + (" — QUÁ HẠN / OVERDUE" if c.overdue else ""),
                    c.findings or "",
                )
                for c in r.checks
            ],
        ),
        Table(
            "Liên kết, sửa đổi / Links and amendments",
            ("Loại / Kind", "Hồ sơ / Case", "Qua / Via", "Người / By"),
            [(link.kind.label, link.target, link.via or "", link.by or "") for link in r.links],
        ),
    ]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def to_markdown(r: MonitoringReport) -> str:
    out = [f"# {heading(r)}", "", *intro(r), ""]
    for t in tables(r):
        out += [f"## {t.title}", ""]
        if not t.rows:
            out += ["(không có / none)", ""]
            continue
        out.append("| " + " | ".join(t.headers) + " |")
        out.append("|" + "---|" * len(t.headers))
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
        out.append("")
    return "\n".join(out)
