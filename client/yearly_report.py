"""Gathering the yearly report on law enforcement (báo cáo tình hình thi hành pháp luật hằng
năm) from every monitored document of a deployment, and rendering it as a Word file with
charts. The figures are ``models/yearly_report.py``'s; this module does the I/O.

What it costs the Temporal server: one visibility listing of the running monitorings of the
deployment's task queue (of one agency, if asked), then one status query per monitored
document, at most ``PARALLEL`` at a time — a report made once a year, not a page view.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Collection
from datetime import date

from temporalio.client import Client

from activities.word import docx_bytes, word_report
from client.after_issuance import monitoring_status
from client.errors import CaseError
from models.actors import Directory
from models.monitoring import MonitoringStatus
from models.post_issuance import load_rules
from models.yearly_report import (
    YearlyEnforcementReport,
    chart_series,
    heading,
    intro,
    tables,
    yearly_report,
)

PARALLEL = 16
MONITORING_SUFFIX = "/monitoring"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def monitored(
    client: Client, task_queue: str, agency: str | None = None
) -> list[MonitoringStatus]:
    """The status of every running monitoring on ``task_queue`` (of ``agency``'s documents)."""
    for name in (task_queue, agency or ""):
        if "'" in name or "\\" in name:
            raise CaseError(f"not a name a query can carry: {name!r}")
    query = (
        f"WorkflowType = 'DocumentMonitoring' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{task_queue}'"
    )
    if agency:
        query += f" AND DraftingAgency = '{agency}'"
    ids = [wf.id async for wf in client.list_workflows(query)]
    gate = asyncio.Semaphore(PARALLEL)

    async def one(workflow_id: str) -> MonitoringStatus | None:
        async with gate:
            try:
                return await monitoring_status(client, workflow_id.removesuffix(MONITORING_SUFFIX))
            except CaseError:
                return None  # ended since it was listed

    return [s for s in await asyncio.gather(*(one(i) for i in ids)) if s is not None]


async def gather_yearly_report(
    client: Client,
    task_queue: str,
    year: int,
    *,
    scope: str,
    made_on: date,
    agency: str | None = None,
    agencies: Collection[str] | None = None,
) -> YearlyEnforcementReport:
    """The year's report from every monitored document (of ``agency``, or of ``agencies``:
    a province's or ministry's, if given)."""
    basis = load_rules().monitoring.report.basis
    statuses = await monitored(client, task_queue, agency)
    chosen = agencies if agency is None else {agency}
    return yearly_report(statuses, year, scope=scope, made_on=made_on, basis=basis, agencies=chosen)


def unit_of(directory: Directory, agency_id: str) -> tuple[str, set[str]]:
    """The deployment unit an agency belongs to — its province or ministry, the first part
    of its jurisdiction — by the name of the unit's issuing body, with the ids of every
    agency of the unit (a province's communes included)."""
    home = directory.agency(agency_id)
    unit = (home.jurisdiction or "").split("/")[0]
    members = [
        a for a in directory.agencies if a.jurisdiction and a.jurisdiction.split("/")[0] == unit
    ]
    issuers = [a for a in members if a.kind == "issuing" and a.jurisdiction == unit]
    return (issuers[0].name if issuers else home.name), {a.id for a in members} or {home.id}


def report_filename(r: YearlyEnforcementReport) -> str:
    return f"bao-cao-thi-hanh-phap-luat-nam-{r.year}.docx"


def render_docx(r: YearlyEnforcementReport) -> bytes:
    """The report as a Word document: heading, introduction, tables, and two charts
    (feedback by agency; monitoring events by kind)."""
    from docx.shared import Cm

    series = chart_series(r)
    doc = word_report(heading(r), intro(r), tables(r), empty="(không có)")
    doc.add_heading("4. Biểu đồ", level=2)
    agencies = series["agencies"]
    doc.add_picture(
        io.BytesIO(
            _bars(
                "Kiến nghị, phản ánh theo cơ quan chủ trì",
                [a[0] for a in agencies],
                {"Tiếp nhận": [a[1] for a in agencies], "Đã trả lời": [a[2] for a in agencies]},
            )
        ),
        width=Cm(16),
    )
    events = series["events"]
    doc.add_picture(
        io.BytesIO(
            _bars(
                "Việc theo dõi thi hành đã ghi nhận",
                [e[0] for e in events],
                {"Số việc": [e[1] for e in events]},
            )
        ),
        width=Cm(16),
    )
    return docx_bytes(doc)


def _bars(title: str, labels: list[str], series: dict[str, list[int]]) -> bytes:
    """A horizontal grouped bar chart as PNG (matplotlib, drawn off-screen; its DejaVu Sans
    covers Vietnamese)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rows = max(1, len(labels))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * rows * max(1, len(series))), dpi=120)
    try:
        height = 0.8 / max(1, len(series))
        for i, (name, values) in enumerate(series.items()):
            ax.barh([n + i * height for n in range(len(labels))], values, height=height, label=name)
        ax.set_yticks([n + height * (len(series) - 1) / 2 for n in range(len(labels))])
        ax.set_yticklabels([label[:45] for label in labels])
        ax.invert_yaxis()
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend()
        fig.tight_layout()
        png = io.BytesIO()
        fig.savefig(png, format="png")
        return png.getvalue()
    finally:
        plt.close(fig)
