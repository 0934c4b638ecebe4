"""The portal's pages for following a draft by e-mail (theo dõi dự thảo qua thư điện tử): the
form (on the draft's page, and on its own page where a refusal is shown with what was typed
kept), the page saying a confirmation was sent, the confirmation page and the unsubscribe
page.

Double opt-in: the confirmation e-mail links a page whose button confirms; the unsubscribe
link in every e-mail opens a page whose button unsubscribes. A GET changes nothing, so a mail
scanner or a link prefetcher opening a link neither follows nor unfollows anyone. No page
shows an e-mail address, except the one just typed, back to the person who typed it. Every
page reads without JavaScript; a refusal is shown in the page (``role="alert"``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from temporalio.client import Client

from activities import adapters
from activities.ports import Notifier
from models.public_consultation import IntakeOpening
from portal.follow_mail import confirmation_mail
from portal.follow_notifier import FollowNotifier, TemporalCases
from portal.limits import TooMany, client_address
from portal.pages import TEMPLATES, Portal
from public_records.follows import Follow, Follows, InvalidEmail, normalized_email
from settings import Settings

log = logging.getLogger(__name__)

CONSENT_NEEDED = (
    "Hãy đồng ý nhận thư và với thông báo về xử lý dữ liệu cá nhân để theo dõi dự thảo "
    "(Nghị định 13/2023/NĐ-CP)."
)
EMAIL_NEEDED = "Hãy ghi một địa chỉ thư điện tử, ví dụ ten@example.vn."
REFUSED_AS_SPAM = "Không nhận được yêu cầu này. Hãy tải lại trang và gửi lại."
NOT_SENT = (
    "Chưa gửi được thư xác nhận đến địa chỉ này. Hãy thử lại sau ít phút; nếu vẫn không "
    "được, hãy kiểm tra lại địa chỉ."
)


@dataclass
class FollowDesk:
    """What the follow pages share: the portal's (limits, records), the follows, the
    deployment's notifier and the portal's public address (for the links in e-mails)."""

    portal: Portal
    follows: Follows
    mailer: Notifier
    public_url: str
    notifier: FollowNotifier | None = None

    @classmethod
    def of(cls, portal: Portal, settings: Settings) -> FollowDesk:
        return cls(
            portal=portal,
            follows=Follows.at(settings.database),
            mailer=adapters.notifier(settings),
            public_url=settings.portal_public_url or settings.portal_url,
        )

    @asynccontextmanager
    async def notifying(self, client: Client) -> AsyncIterator[FollowNotifier]:
        """The follow notifier running in the background while the block runs."""
        self.notifier = FollowNotifier(
            self.follows, self.portal.records, self.mailer, TemporalCases(client),
            portal_url=self.public_url,
        )  # fmt: skip
        async with self.notifier.running() as running:
            yield running


def follow_pages(desk: FollowDesk) -> APIRouter:
    router = APIRouter()
    records = desk.portal.records

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status)

    async def opening_of(case_id: str) -> tuple[IntakeOpening, bool] | None:
        return await asyncio.to_thread(records.consultation, case_id)

    def missing(request: Request, case_id: str) -> Response:
        return page(request, "missing.html", {"case_id": case_id}, 404)

    def show_form(
        request: Request,
        opening: IntakeOpening,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        context = {"opening": opening, "follow_error": error, "follow_form": form or {}}
        return page(request, "follow.html", context, status)

    @router.get("/du-thao/{case_id}/theo-doi", response_class=HTMLResponse)
    async def follow_form(request: Request, case_id: str) -> Response:
        found = await opening_of(case_id)
        if found is None:
            return missing(request, case_id)
        return show_form(request, found[0])

    @router.post("/du-thao/{case_id}/theo-doi", response_class=HTMLResponse)
    async def follow(
        request: Request,
        case_id: str,
        email: Annotated[str, Form()] = "",
        consent: Annotated[str, Form()] = "",
        website: Annotated[str, Form()] = "",  # the honeypot: people never see it
    ) -> Response:
        found = await opening_of(case_id)
        if found is None:
            return missing(request, case_id)
        opening, open_now = found
        form = {"email": email, "consent": consent}

        def refused(error: str, status: int = 422) -> Response:
            return show_form(request, opening, error=error, form=form, status=status)

        if website:
            return refused(REFUSED_AS_SPAM, 400)
        if not consent:
            return refused(CONSENT_NEEDED)
        try:
            address = normalized_email(email)
        except InvalidEmail:
            return refused(EMAIL_NEEDED)
        try:
            desk.portal.limits.take(client_address(request))
        except TooMany as exc:
            return refused(str(exc), 429)
        asked = await asyncio.to_thread(desk.follows.request, case_id, address)
        if asked.mail is not None:
            mail = confirmation_mail(
                follow_id=asked.follow_id, email=address, token=asked.token, mail=asked.mail,
                opening=opening, open_now=open_now, portal_url=desk.public_url,
                now=datetime.now(UTC),
            )  # fmt: skip
            try:
                await asyncio.to_thread(desk.mailer.send, mail)
            except Exception:
                # Asking again sends a confirmation again (a new one): nothing is lost.
                log.exception("follow %s: the confirmation was not sent", asked.follow_id)
                return refused(NOT_SENT, 503)
        context = {"opening": opening, "email": address, "sent": asked.mail is not None}
        return page(request, "follow_sent.html", context)

    async def by_token(request: Request, token: str, template: str, follow: Follow | None,
                       **more: Any) -> Response:  # fmt: skip
        if follow is None:
            return page(request, "follow_invalid.html", {}, 404)
        found = await opening_of(follow.case_id)
        title = found[0].title if found else follow.case_id
        context = {"follow": follow, "title": title, "token": token, **more}
        return page(request, template, context)

    @router.get("/theo-doi/xac-nhan/{token}", response_class=HTMLResponse)
    async def confirmation(request: Request, token: str) -> Response:
        follow = await asyncio.to_thread(desk.follows.by_token, token)
        return await by_token(request, token, "follow_confirm.html", follow)

    @router.post("/theo-doi/xac-nhan/{token}", response_class=HTMLResponse)
    async def confirm(request: Request, token: str) -> Response:
        follow = await asyncio.to_thread(desk.follows.confirm, token)
        return await by_token(request, token, "follow_confirm.html", follow, done=True)

    @router.get("/theo-doi/huy/{token}", response_class=HTMLResponse)
    async def unsubscribe_page(request: Request, token: str) -> Response:
        follow = await asyncio.to_thread(desk.follows.by_token, token)
        return await by_token(request, token, "follow_unsubscribe.html", follow)

    @router.post("/theo-doi/huy/{token}", response_class=HTMLResponse)
    async def unsubscribe(request: Request, token: str) -> Response:
        follow = await asyncio.to_thread(desk.follows.unsubscribe, token)
        return await by_token(request, token, "follow_unsubscribe.html", follow, done=True)

    return router
