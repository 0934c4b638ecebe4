"""Starting a case from the workspace (khởi tạo hồ sơ): the drafting unit picks the document
type its agency may draft, the legal regime, the title (trích yếu) and, where the law allows
it, the simplified procedure with who decided it and why (Luật 64/2025 Điều 50). A mistake is
said next to its field; the draft itself goes with the first action on the case page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from client.cases import open_case
from client.errors import CaseError, CaseExists
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.case import SimplifiedDecision
from models.definition import ProcessDefinition
from models.registry import DEFAULT_REGIME
from models.starting import TITLE_CHARS, StartRefused, StartRequest, plan_case
from web import csrf
from web.workspace import Workspace

NEW_CASE = "/ho-so-moi"


def startable(ws: Workspace, person: str) -> list[ProcessDefinition]:
    """The procedures ``person`` may start: they hold the starter role, and their agency
    drafts documents of the type's tier."""
    try:
        p = ws.directory.person(person)
        level = ws.directory.agency(p.agency).level
    except KeyError:
        return []
    return [d for d in ws.registry if d.starter_role in p.roles and d.level is level]


def start_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    def form(
        request: Request,
        session: Session,
        *,
        given: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        types = startable(ws, session.person)
        return ws.page(
            request,
            "start.html",
            session,
            status_code,
            types=types,
            regimes=sorted({d.regime for d in types}),
            default_regime=DEFAULT_REGIME,
            given=given or {},
            errors=errors or {},
            title_chars=TITLE_CHARS,
        )

    @pages.get(NEW_CASE)
    def new_case(request: Request) -> HTMLResponse:
        return form(request, ws.session(request))

    @pages.post(NEW_CASE, response_model=None)
    async def start(
        request: Request,
        doc_type: Annotated[str, Form()] = "",
        regime: Annotated[str, Form()] = DEFAULT_REGIME,
        title: Annotated[str, Form()] = "",
        simplified: Annotated[bool, Form()] = False,
        simplified_by: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        session = ws.session(request)
        given = {
            "doc_type": doc_type,
            "regime": regime,
            "title": title,
            "simplified": "on" if simplified else "",
            "simplified_by": simplified_by,
            "reason": reason,
        }
        errors: dict[str, str] = {}
        try:
            ws.check_form(session, token)
        except csrf.CsrfRefused as exc:
            return form(request, session, given=given, errors={"form": str(exc)}, status_code=403)
        wanted = (doc_type, regime)
        definition = next(
            (d for d in startable(ws, session.person) if (d.doc_type, d.regime) == wanted), None
        )
        if definition is None:
            errors["doc_type"] = (
                "Anh/chị không thể khởi tạo loại văn bản này theo chế độ đã chọn / you cannot "
                "start this type of document under this regime"
            )
        low, high = TITLE_CHARS
        if not low <= len(title.strip()) <= high:
            errors["title"] = f"Trích yếu cần từ {low} đến {high} ký tự / give {low} to {high}"
        decision = None
        if simplified:
            if not simplified_by.strip():
                errors["simplified_by"] = "Ghi người quyết định áp dụng / who decided it"
            if len(reason.strip()) < 5:
                errors["reason"] = "Ghi lý do áp dụng trình tự rút gọn / give the reason"
            if "simplified_by" not in errors and "reason" not in errors:
                decision = SimplifiedDecision(
                    decided_by=simplified_by.strip(), reason=reason.strip()
                )
        if errors or definition is None:
            return form(request, session, given=given, errors=errors, status_code=422)
        try:
            opening = plan_case(
                ws.directory,
                StartRequest(
                    definition=definition,
                    title=title,
                    starter=session.person,
                    legal_day_seconds=ws.legal_day_seconds,
                    simplified=decision,
                ),
            )
        except StartRefused as exc:
            field = "simplified_by" if simplified else "form"
            return form(request, session, given=given, errors={field: str(exc)}, status_code=422)
        with acting_as(session):
            try:
                handle = await open_case(ws.temporal(), opening, task_queue=ws.task_queue)
            except CaseExists:
                said = (
                    f"Đã có hồ sơ {opening.case_id} với trích yếu này / a case with this title "
                    "already exists"
                )
                return form(request, session, given=given, errors={"title": said}, status_code=409)
            except (CaseError, NotSignedIn) as exc:
                return form(
                    request, session, given=given, errors={"form": str(exc)}, status_code=409
                )
        return RedirectResponse(f"/ho-so/{handle.id}", status_code=303)

    return pages
