"""The synthesis report (bản tổng hợp, giải trình, tiếp thu ý kiến góp ý) as data.

Built from the comment ledger and the stored comment texts; rendered to Markdown here and
to Word by ``activities.reports``. Every distinct comment appears with its count, sources
and disposition, so the report is the complete answer to the consultation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from models.choices import Disposition
from models.comments import Entry
from models.monitoring_report import Table
from models.public_consultation import ClusterView, PublicSynthesis


class ReportRequest(BaseModel):
    """What the report activity needs: the case and its comment ledger."""

    case_id: str
    ledger_id: str
    title: str
    agency: str
    day: date


@dataclass(frozen=True)
class ReportLine:
    entry: Entry
    text: str
    first_author: str


@dataclass(frozen=True)
class SynthesisReport:
    case_id: str
    title: str
    agency: str
    day: date
    lines: list[ReportLine]
    #: The public's comments through the portal, by cluster, and each group's influence.
    public: PublicSynthesis | None = None

    @property
    def submissions(self) -> int:
        return sum(line.entry.count for line in self.lines)

    def counts(self) -> dict[str, int]:
        out = {d.value: 0 for d in Disposition}
        for line in self.lines:
            if line.entry.disposition is not None:
                out[line.entry.disposition.value] += 1
        return out

    def heading(self) -> str:
        return "BẢN TỔNG HỢP, GIẢI TRÌNH, TIẾP THU Ý KIẾN GÓP Ý"

    def intro(self) -> str:
        c = self.counts()
        return (
            f"Dự thảo / Draft: {self.title}\n"
            f"Cơ quan chủ trì soạn thảo / Drafting agency: {self.agency}\n"
            f"Ngày lập / Date: {self.day:%d/%m/%Y} — mã hồ sơ / case {self.case_id}\n"
            f"Tổng số lượt góp ý / Submissions: {self.submissions}; ý kiến khác nhau / distinct "
            f"comments: {len(self.lines)} (tiếp thu {c['accepted']}, tiếp thu một phần "
            f"{c['partly']}, giải trình {c['explained']})"
        )


def sources_text(entry: Entry) -> str:
    return ", ".join(f"{s} ({n})" if n > 1 else s for s, n in sorted(entry.sources.items()))


def disposition_text(entry: Entry) -> str:
    if entry.disposition is None:
        return "CHƯA XỬ LÝ / NO DISPOSITION"
    reason = f": {entry.reason}" if entry.reason else ""
    return f"{entry.disposition.label}{reason}"


def answer_text(c: ClusterView) -> str:
    if c.disposition is None:
        return "CHƯA XỬ LÝ / NO DISPOSITION"
    return f"{c.disposition.label}{f': {c.reason}' if c.reason else ''}"


def public_tables(public: PublicSynthesis) -> list[Table]:
    """The public's part of the report: each group's influence, then every cluster."""
    influence = Table(
        "Ảnh hưởng của từng nhóm đối tượng (góp ý qua cổng) / Influence by group",
        ("Nhóm đối tượng", "Số lượt", "Tiếp thu", "Tiếp thu một phần", "Giải trình",
         "Chưa xử lý"),
        [
            (g.group.label, str(g.received), str(g.accepted), str(g.partly),
             str(g.explained), str(g.open))
            for g in public.influence
        ],
    )  # fmt: skip
    clusters = Table(
        f"Góp ý qua cổng thông tin / Comments through the portal: {public.received} lượt, "
        f"{len(public.clusters)} nhóm nội dung",
        ("Nhóm", "Điều", "Nội dung (đại diện)", "Lượt", "Theo nhóm đối tượng",
         "Giải trình, tiếp thu"),
        [
            (str(c.representative), str(c.article) if c.article else "chung", c.text,
             str(c.count), ", ".join(f"{g.label} ({n})" for g, n in c.by_group.items()),
             answer_text(c))
            for c in public.clusters
        ],
    )  # fmt: skip
    return [influence, clusters]


def table_markdown(table: Table) -> list[str]:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    return [
        f"## {table.title}",
        "",
        "| " + " | ".join(table.headers) + " |",
        "|" + "---|" * len(table.headers),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in table.rows),
        "",
    ]


def to_markdown(report: SynthesisReport) -> str:
    out = [f"# {report.heading()}", "", *report.intro().splitlines(), ""]
    out += [
        "| Số / No | Ý kiến / Comment | Lượt / Count | Nguồn / From | "
        "Giải trình, tiếp thu / Disposition |",
        "|---|---|---|---|---|",
    ]
    for line in report.lines:
        e = line.entry
        text = line.text.replace("|", "\\|").replace("\n", " ")
        out.append(
            f"| {e.id} | {text} | {e.count} | {sources_text(e)} | "
            f"{disposition_text(e).replace('|', '/')} |"
        )
    if report.public is not None:
        out.append("")
        for table in public_tables(report.public):
            out += table_markdown(table)
    return "\n".join(out) + "\n"
