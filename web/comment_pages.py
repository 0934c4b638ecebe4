"""The comments on a draft in the workspace (góp ý dự thảo): each distinct comment's text
next to its sources and its disposition, filtered (open, source, disposition), and the
drafting unit's dispositions (tiếp thu, tiếp thu một phần, giải trình) of one or many at once.

Public pages never show who commented; officials see the groups a text came from, not the
person (the synthesis report shows the same)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from activities.ports import StoreError
from client.comments import comment_entries, comments_summary, dispose
from client.errors import CaseError
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.case import CaseStatus
from models.choices import Disposition
from models.comments import CommentSummary, DispositionRequest, Entry
from web import csrf
from web.workspace import NoSuchCase, Workspace, disposition_fields, said

#: The most comments one page lists (the rest by narrowing the filter).
PAGE_LIMIT = 500


@dataclass(frozen=True)
class Row:
    entry: Entry
    text: str


def comment_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    def text_of(entry: Entry) -> str:
        try:
            body = json.loads(ws.store.get_blob(entry.ref))
            return str(body.get("text", ""))
        except (StoreError, ValueError):
            return "(không đọc được nội dung / the text cannot be read)"

    async def listing(
        request: Request,
        session: Session,
        st: CaseStatus,
        *,
        show: str,
        source: str,
        disposition: str,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        summary: CommentSummary | None
        try:
            summary = await comments_summary(ws.temporal(), st.id)
            entries = await comment_entries(ws.temporal(), ws.store, st.id, limit=None)
        except CaseError:
            summary, entries = None, []
        if show == "open":
            entries = [e for e in entries if e.disposition is None]
        if source:
            entries = [e for e in entries if source in e.sources]
        if disposition:
            entries = [e for e in entries if e.disposition and e.disposition.value == disposition]
        shown = entries[:PAGE_LIMIT]
        return ws.page(
            request,
            "comments.html",
            session,
            status_code,
            st=st,
            summary=summary,
            rows=[Row(e, text_of(e)) for e in shown],
            more=len(entries) - len(shown),
            show=show,
            source=source,
            disposition=disposition,
            dispositions=list(Disposition),
            error=error,
            done=done,
        )

    @pages.get("/gop-y/{case_id:path}", response_model=None)
    async def comments(
        request: Request, case_id: str, show: str = "all", source: str = "", disposition: str = ""
    ) -> Response:
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        return await listing(
            request, session, st, show=show, source=source, disposition=disposition
        )

    @pages.post("/gop-y/{case_id:path}", response_model=None)
    async def dispose_many(
        request: Request,
        case_id: str,
        disposition: Annotated[str, Form()],
        comment_ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI's form default)
        reason: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)

        async def again(
            error: str | None = None, done: str | None = None, code: int = 200
        ) -> Response:
            return await listing(
                request, session, st, show="all", source="", disposition="",
                error=error, done=done, status_code=code,
            )  # fmt: skip

        try:
            ws.check_form(session, token)
        except csrf.CsrfRefused as exc:
            return await again(str(exc), code=403)
        if not comment_ids:
            return await again("Chưa chọn góp ý nào / choose at least one comment", code=422)
        with acting_as(session):
            disposed: list[str] = []
            try:
                answer = disposition_fields(session, disposition, reason, no_interest)
                for cid in comment_ids:
                    # One Update at a time: a ledger takes a bounded number in flight.
                    req = DispositionRequest(comment_id=cid, **answer)
                    await dispose(ws.temporal(), case_id, req)
                    disposed.append(cid)
            except (CaseError, NotSignedIn, ValueError, ValidationError) as exc:
                reasons = said(exc)
                kept = f" Đã xử lý trước đó: {', '.join(disposed)}." if disposed else ""
                return await again(f"{reasons}{kept}", code=409)
        label = Disposition(disposition).label
        return await again(
            done=f"Đã ghi nhận «{label}» cho {len(disposed)} góp ý: {', '.join(disposed)}"
        )

    return pages
