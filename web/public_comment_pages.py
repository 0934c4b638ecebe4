"""The public's comments through the portal, in the workspace (góp ý qua cổng thông tin):
clusters of near-identical comments, the largest first, each with its representative text,
how many sent it and for which groups, and the drafting unit's answer to the whole cluster
(``dispose_public`` on the comment ledger, proven for the signed-in person). Officials see
the groups a comment speaks for, never the person."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from client.comments import comments_summary, dispose_public
from client.errors import CaseError
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.case import CaseStatus
from models.choices import Disposition
from models.comments import CommentSummary
from models.public_consultation import PublicDispositionRequest
from public_records.campaigns import clusters_page
from public_records.dispositions import influence
from web import csrf
from web.workspace import NoSuchCase, Workspace, disposition_fields, said

#: Clusters one page lists.
PAGE_SIZE = 50


def public_comment_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    async def listing(
        request: Request,
        session: Session,
        st: CaseStatus,
        *,
        show: str = "all",
        page: int = 1,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        records = ws.public_records()
        summary: CommentSummary | None
        try:
            summary = await comments_summary(ws.temporal(), st.id)
        except CaseError:
            summary = None
        received = await asyncio.to_thread(records.counts, st.id)
        groups = await asyncio.to_thread(influence, records.db, st.id)
        page = max(1, page)
        clusters = await asyncio.to_thread(
            clusters_page, records.db, st.id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
            only_open=show == "open",
        )  # fmt: skip
        return ws.page(
            request, "public_comments.html", session, status_code, st=st, summary=summary,
            received=received, clusters=clusters, show=show, page=page, page_size=PAGE_SIZE,
            dispositions=list(Disposition), influence=groups, error=error, done=done,
        )  # fmt: skip

    @pages.get("/gop-y-cong/{case_id:path}", response_model=None)
    async def public_comments(
        request: Request, case_id: str, show: str = "all", page: int = 1
    ) -> Response:
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        return await listing(request, session, st, show=show, page=page)

    @pages.post("/gop-y-cong/{case_id:path}", response_model=None)
    async def answer_cluster(
        request: Request,
        case_id: str,
        cluster: Annotated[int, Form()],
        disposition: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        try:
            ws.check_form(session, token)
        except csrf.CsrfRefused as exc:
            return await listing(request, session, st, error=str(exc), status_code=403)
        with acting_as(session):
            try:
                answer = disposition_fields(session, disposition, reason, no_interest)
                req = PublicDispositionRequest(cluster=cluster, **answer)
                tally = await dispose_public(ws.temporal(), case_id, req)
            except (CaseError, NotSignedIn, ValueError, ValidationError) as exc:
                reasons = said(exc)
                return await listing(request, session, st, error=reasons, status_code=409)
        done = (
            f"Đã ghi nhận «{Disposition(disposition).label}» cho nhóm {cluster}; còn "
            f"{tally.open_clusters} nhóm chưa giải trình. / Recorded for cluster {cluster}; "
            f"{tally.open_clusters} clusters remain."
        )
        return await listing(request, session, st, done=done)

    return pages
