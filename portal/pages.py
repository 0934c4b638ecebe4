"""The portal's pages: drafts open for comment, one draft with its comment form, the
receipt, and the tracking page. Every page reads without JavaScript; a refusal is shown in
the page (``role="alert"``) with what the citizen wrote kept in the form."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from temporalio.client import Client

from activities.ports import DocumentStore
from client.status_cache import StatusCache
from models.legal_time import VIETNAM_TZ
from models.public_consultation import MAX_PUBLIC_COMMENT_CHARS, CommentSubmission, SpeaksFor
from models.registry import Registry
from portal.drafts import days_left, draft_page
from portal.limits import AddressLimits, TooMany, client_address
from public_records.comments import IntakeClosed, PublicComments
from public_records.feedback import is_feedback_code
from public_records.synthesis import public_synthesis

#: The largest clusters a closed draft's page lists with their answers.
SYNTHESIS_SHOWN = 200
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: What each field must hold, said in Vietnamese (pydantic's own messages are English).
FIELD_RULES = {
    "name": "Hãy ghi họ và tên (từ 2 đến 200 ký tự).",
    "contact": "Hãy ghi một địa chỉ thư điện tử hoặc một số điện thoại.",
    "text": f"Hãy ghi nội dung góp ý (tối đa {MAX_PUBLIC_COMMENT_CHARS:,} ký tự).".replace(
        ",", "."
    ),
    "article": "Hãy chọn một điều có trong dự thảo, hoặc góp ý chung.",
    "speaks_for": "Hãy chọn bạn góp ý với tư cách nào.",
}
CONSENT_NEEDED = (
    "Hãy đọc và đồng ý với thông báo về xử lý dữ liệu cá nhân để gửi góp ý "
    "(Nghị định 13/2023/NĐ-CP)."
)
REFUSED_AS_SPAM = "Không nhận được góp ý này. Hãy tải lại trang và gửi lại."


def vn_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM_TZ).date()
    return f"{value:%d/%m/%Y}"


TEMPLATES.env.filters["vn_date"] = vn_date


@dataclass
class Portal:
    """What the pages share: the public's records, the cases (read only) and the limits."""

    records: PublicComments
    store: DocumentStore
    registry: Registry
    limits: AddressLimits = field(default_factory=AddressLimits)
    cache: StatusCache = field(default_factory=lambda: StatusCache(size=2_000))
    client: Client | None = None

    def cases(self) -> Client:
        assert self.client is not None, "the portal's lifespan connects before serving"
        return self.client


def field_errors(exc: ValidationError, rules: dict[str, str]) -> str:
    """What to fix, one rule per field the form got wrong (in the form's own words)."""
    fields = dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"])
    return " ".join(rules.get(f, f) for f in fields)


def portal_pages(portal: Portal) -> APIRouter:
    router = APIRouter()

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status)

    @router.get("/", response_class=HTMLResponse)
    async def drafts(request: Request) -> Response:
        open_now = await asyncio.to_thread(portal.records.open_consultations)
        today = datetime.now(VIETNAM_TZ).date()
        listed = [(o, days_left(o.closes_on, today)) for o in open_now]
        return page(request, "drafts.html", {"drafts": listed})

    async def show_draft(
        request: Request,
        case_id: str,
        *,
        version: int | None = None,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        found = await asyncio.to_thread(portal.records.consultation, case_id)
        if found is None:
            return page(request, "missing.html", {"case_id": case_id}, status=404)
        view = await draft_page(
            *found, client=portal.cases(), cache=portal.cache, store=portal.store,
            registry=portal.registry, version=version,
        )  # fmt: skip
        synthesis = None
        if not view.open_now:
            synthesis = await asyncio.to_thread(
                public_synthesis, portal.records.db, case_id, SYNTHESIS_SHOWN
            )
        context = {
            "d": view,
            "synthesis": synthesis,
            "groups": list(SpeaksFor),
            "error": error,
            "form": form or {},
            "max_chars": MAX_PUBLIC_COMMENT_CHARS,
        }
        return page(request, "draft.html", context, status=status)

    @router.get("/du-thao/{case_id}", response_class=HTMLResponse)
    async def draft(request: Request, case_id: str, phien_ban: int | None = None) -> Response:
        return await show_draft(request, case_id, version=phien_ban)

    @router.post("/du-thao/{case_id}/gop-y", response_class=HTMLResponse)
    async def comment(
        request: Request,
        case_id: str,
        name: Annotated[str, Form()] = "",
        contact: Annotated[str, Form()] = "",
        text: Annotated[str, Form()] = "",
        article: Annotated[str, Form()] = "0",
        speaks_for: Annotated[str, Form()] = SpeaksFor.CITIZEN.value,
        consent: Annotated[str, Form()] = "",
        website: Annotated[str, Form()] = "",  # the honeypot: people never see it
    ) -> Response:
        form = {"name": name, "contact": contact, "text": text, "article": article,
                "speaks_for": speaks_for, "consent": consent}  # fmt: skip

        async def refused(error: str, status: int = 422) -> Response:
            return await show_draft(request, case_id, error=error, form=form, status=status)

        if website:
            return await refused(REFUSED_AS_SPAM, 400)
        if not consent:
            return await refused(CONSENT_NEEDED)
        try:
            sub = CommentSubmission.model_validate(
                {"case_id": case_id, "name": name, "contact": contact, "text": text,
                 "article": article or "0", "speaks_for": speaks_for}
            )  # fmt: skip
        except ValidationError as exc:
            return await refused(field_errors(exc, FIELD_RULES))
        try:
            portal.limits.take(client_address(request))
        except TooMany as exc:
            return await refused(str(exc), 429)
        try:
            receipt, title = await asyncio.to_thread(portal.records.submit_titled, sub)
        except IntakeClosed as exc:
            return await refused(str(exc), 409)
        return page(request, "receipt.html", {"receipt": receipt, "title": title, "sub": sub})

    @router.get("/tra-cuu", response_class=HTMLResponse)
    async def tracking(request: Request, ma: str = "") -> Response:
        if not ma.strip():
            return page(request, "tracking.html", {"code": "", "found": None})
        if is_feedback_code(ma):  # a feedback's code (PA-…): its own page
            return RedirectResponse(f"/phan-anh/tra-cuu?ma={quote(ma.strip())}", 303)
        found = await asyncio.to_thread(portal.records.tracked, ma)
        if found is None:
            error = f"Không tìm thấy góp ý nào có mã {ma.strip()[:40]}. Hãy kiểm tra lại mã."
            return page(request, "tracking.html", {"code": ma, "found": None, "error": error}, 404)
        return page(request, "tracking.html", {"code": ma, "found": found})

    return router
