"""Generating the synthesis report (lập bản tổng hợp ý kiến): Word and Markdown, stored as
documents of the case. The comments come from the ledger workflow (its ``view`` query and
its pages) and the texts from the document store."""

from __future__ import annotations

import asyncio
import json
from functools import cached_property

from temporalio import activity

from activities.ledger_pages import read_entries
from activities.ports import DocumentStore
from activities.word import docx_bytes, word_report
from models.audit import AuditExport
from models.comments import LedgerView
from models.documents import DocumentRef
from models.monitoring_report import Table
from models.public_consultation import PublicSynthesis
from models.synthesis_report import (
    ReportLine,
    ReportRequest,
    SynthesisReport,
    disposition_text,
    public_tables,
    sources_text,
    to_markdown,
)
from public_records.comments import PublicComments
from public_records.synthesis import public_synthesis

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_docx(report: SynthesisReport) -> bytes:
    comments = Table(
        "",
        ("Số", "Ý kiến góp ý", "Lượt", "Nguồn", "Giải trình, tiếp thu"),
        [
            (
                line.entry.id,
                line.text,
                str(line.entry.count),
                sources_text(line.entry),
                disposition_text(line.entry),
            )
            for line in report.lines
        ],
    )
    tables = [comments, *(public_tables(report.public) if report.public else [])]
    return docx_bytes(
        word_report(report.heading(), report.intro().splitlines(), tables, empty=None)
    )


class ReportActivities:
    def __init__(self, store: DocumentStore, database_url: str | None = None) -> None:
        self.store = store
        self._database_url = database_url

    @cached_property
    def _records(self) -> PublicComments | None:
        # One per worker, opened at the first report (not per report: opening applies the
        # schema), and never by a worker that writes no report.
        return None if self._database_url is None else PublicComments.at(self._database_url)

    def _public(self, case_id: str) -> PublicSynthesis | None:
        """The public's part, if the case took comments through the portal."""
        records = self._records
        if records is None:
            return None
        if records.consultation(case_id) is None or not records.counts(case_id).received:
            return None
        return public_synthesis(records.db, case_id)

    @activity.defn(name="store_audit_export")
    def store_audit_export(self, export: AuditExport) -> DocumentRef:
        """Keep the case's chained audit trail beyond Temporal's retention."""
        name = f"nhat-ky-{export.case_id.replace(':', '-').replace('/', '-')}.jsonl"
        return self.store.put_blob(export.text.encode("utf-8"), name, "application/jsonl")

    @activity.defn(name="generate_synthesis_report")
    async def generate_synthesis_report(self, req: ReportRequest) -> list[DocumentRef]:
        """Read every distinct comment from the ledger, render the report, store it twice
        (Word, Markdown). Content-addressed, so a retry stores nothing new."""
        handle = activity.client().get_workflow_handle(req.ledger_id)
        view = await handle.query("view", result_type=LedgerView)
        entries = read_entries(self.store, view)
        activity.heartbeat(len(entries))
        lines = []
        for n, e in enumerate(entries):
            if n % 500 == 0:  # reading 10,000 bodies takes a while: show it is alive
                activity.heartbeat(n)
            body = json.loads(self.store.get_blob(e.ref))
            lines.append(
                ReportLine(
                    entry=e,
                    text=str(body.get("text", "")),
                    first_author=str(body.get("author", "")),
                )
            )
        report = SynthesisReport(
            case_id=req.case_id, title=req.title, agency=req.agency, day=req.day, lines=lines,
            public=await asyncio.to_thread(self._public, req.case_id),
        )  # fmt: skip
        stem = f"bao-cao-tong-hop-y-kien-{req.day:%Y%m%d}"
        return [
            self.store.put_blob(render_docx(report), f"{stem}.docx", DOCX),
            self.store.put_blob(to_markdown(report).encode("utf-8"), f"{stem}.md", "text/markdown"),
        ]
