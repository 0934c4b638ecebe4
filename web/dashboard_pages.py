"""The heads' dashboard (bảng điều khiển): for the signed-in person's agency, the drafting
cases open and overdue now with the oldest overdue first, and, over a period, each stage's
stays completed, on-time rate and median legal days (the KPIs of ``legisflow report kpi``),
as tables and as bar charts drawn on the server (SVG, no JavaScript); and the province's (or
ministry's) yearly report on law enforcement as a Word file with charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from client.inbox import running_cases
from client.ops import case_trails
from client.yearly_report import DOCX, gather_yearly_report, render_docx, report_filename, unit_of
from models.case import CaseStatus
from models.kpi import KpiRow, kpis
from models.legal_time import VIETNAM_TZ
from models.registry import Registry
from web.workspace import Workspace

#: The period shown when none is asked for: the last 365 days.
DEFAULT_DAYS = 365
#: The first year a yearly report can be asked for (the 2015 law's documents onwards).
MIN_YEAR = 2016


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1
    text: str


def stage_label(registry: Registry, stage: str) -> str:
    """A stage's Vietnamese label from the first procedure that has it (KPIs span types)."""
    for d in registry:
        if stage in d.stages:
            return d.stages[stage].label
    return stage


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def dashboard_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    @pages.get("/bang-dieu-khien")
    async def dashboard(request: Request, tu: str = "", den: str = "") -> HTMLResponse:
        session = ws.session(request)
        try:
            agency = ws.directory.person(session.person).agency
            agency_name = ws.directory.agency(agency).name
        except KeyError:
            return ws.refusal(request, session, "Anh/chị không thuộc cơ quan nào", 404)
        today = datetime.now(UTC).date()
        start = _day(tu, today - timedelta(days=DEFAULT_DAYS))
        end = _day(den, today + timedelta(days=1))
        error = None
        if end <= start:
            error = "Ngày kết thúc phải sau ngày bắt đầu / the end must come after the start"
            start, end = today - timedelta(days=DEFAULT_DAYS), today + timedelta(days=1)
        since = datetime(start.year, start.month, start.day, tzinfo=UTC)
        until = datetime(end.year, end.month, end.day, tzinfo=UTC)
        client = ws.temporal()
        running: list[CaseStatus] = await running_cases(client, ws.task_queue, agency)
        overdue = sorted(
            (st for st in running if st.overdue),
            key=lambda st: min((d.due for d in st.deadlines if d.overdue), default=st.started_at),
        )
        rows: list[KpiRow] = kpis(
            await case_trails(client, agency=agency, until=until, task_queue=ws.task_queue),
            since,
            until,
        )
        labels = {r.stage: stage_label(ws.registry, r.stage) for r in rows}
        return ws.page(
            request,
            "dashboard.html",
            session,
            this_year=legal_today().year,
            min_year=MIN_YEAR,
            agency_name=agency_name,
            start=start,
            end=end,
            open_count=len(running),
            overdue=overdue,
            rows=rows,
            labels=labels,
            bars=[Bar(labels[r.stage], r.on_time_rate, f"{r.on_time_rate:.0%}") for r in rows],
            error=error,
        )

    @pages.get("/bao-cao-nam", response_model=None)
    async def yearly(request: Request, nam: str = "") -> Response:
        """The province's (or ministry's) yearly report on law enforcement, as a Word file:
        every monitored document of the signed-in person's unit."""
        session = ws.session(request)
        try:
            agency = ws.directory.person(session.person).agency
            scope, agencies = unit_of(ws.directory, agency)
        except KeyError:
            return ws.refusal(request, session, "Anh/chị không thuộc cơ quan nào", 404)
        today = legal_today()
        if not nam.isdigit() or not MIN_YEAR <= int(nam) <= today.year:
            return ws.refusal(
                request, session,
                f"Năm báo cáo phải từ {MIN_YEAR} đến {today.year} / the year must be between "
                f"{MIN_YEAR} and {today.year}",
                422,
            )  # fmt: skip
        report = await gather_yearly_report(
            ws.temporal(), ws.task_queue, int(nam), scope=scope, made_on=today, agencies=agencies
        )
        name = report_filename(report)
        return Response(
            render_docx(report),
            media_type=DOCX,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return pages


def legal_today() -> date:
    """Today in Vietnam."""
    return datetime.now(VIETNAM_TZ).date()
