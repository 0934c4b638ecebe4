"""Generating the monitoring report (lập báo cáo theo dõi thi hành): Word and Markdown,
stored in the document store. Everything it reports travels in the request (the monitoring
workflow's compact state), so a retry renders the same bytes and stores nothing new."""

from __future__ import annotations

import io

from docx import Document
from temporalio import activity

from activities.ports import DocumentStore
from models.documents import DocumentRef
from models.monitoring import MonitoringReport
from models.monitoring_report import heading, intro, tables, to_markdown

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_docx(report: MonitoringReport) -> bytes:
    doc = Document()
    doc.add_heading(heading(report), level=1)
    for line in intro(report):
        doc.add_paragraph(line)
    for t in tables(report):
        doc.add_heading(t.title, level=2)
        if not t.rows:
            doc.add_paragraph("(không có / none)")
            continue
        table = doc.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, t.headers, strict=True):
            cell.text = title
        for row in t.rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


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
