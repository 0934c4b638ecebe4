"""Generating the monitoring report (lập báo cáo theo dõi thi hành): Word and Markdown,
stored in the document store. Everything it reports travels in the request (the monitoring
workflow's compact state), so a retry renders the same bytes and stores nothing new."""

from __future__ import annotations

from temporalio import activity

from activities.ports import DocumentStore
from activities.word import docx_bytes, word_report
from models.documents import DocumentRef
from models.monitoring import MonitoringReport
from models.monitoring_report import heading, intro, tables, to_markdown

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_docx(report: MonitoringReport) -> bytes:
    return docx_bytes(
        word_report(heading(report), intro(report), tables(report), empty="(không có / none)")
    )


def report_stem(report: MonitoringReport) -> str:
    doc = report.document.case_id.replace(":", "-").replace("/", "-")
    return f"bao-cao-theo-doi-{doc}-ky-{report.period.index}-{report.kind}-{report.made_on:%Y%m%d}"


class MonitoringReportActivities:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    @activity.defn(name="generate_monitoring_report")
    def generate_monitoring_report(self, report: MonitoringReport) -> list[DocumentRef]:
        """Render the report and store it twice (Word, Markdown); content-addressed."""
        stem = report_stem(report)
        return [
            self.store.put_blob(render_docx(report), f"{stem}.docx", DOCX),
            self.store.put_blob(to_markdown(report).encode("utf-8"), f"{stem}.md", "text/markdown"),
        ]
