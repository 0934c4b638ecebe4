"""The public portal's web app (``legisflow portal``; ``legisflow dev`` and ``demo`` serve it
too): FastAPI on uvicorn, pages in Vietnamese that read without JavaScript."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from activities import adapters
from client.connection import connect
from models.registry import load_registry
from portal.feedback_pages import FeedbackDesk, feedback_pages
from portal.follow_pages import FollowDesk, follow_pages
from portal.limits import AddressLimits
from portal.pages import TEMPLATES, Portal, portal_pages
from public_records.comments import PublicComments
from settings import Settings

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_portal(settings: Settings) -> FastAPI:
    portal = Portal(
        records=PublicComments.at(settings.database),
        store=adapters.document_store(settings),
        registry=load_registry(),
        limits=AddressLimits(per_window=settings.portal_comments_per_minute),
    )
    feedback = FeedbackDesk.of(portal, settings)
    follows = FollowDesk.of(portal, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Reads only: the portal decides nothing on a case, so its client signs nothing.
        portal.client = await connect(settings)
        # Delivers the feedback the pages commit, and tells the people following a draft of
        # its milestones, in the background (feedback_forwarder.py, follow_notifier.py).
        async with feedback.forwarding(portal.client), follows.notifying(portal.client):
            yield

    app = FastAPI(
        title="legisflow — cổng góp ý",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.portal = portal
    app.state.follows = follows
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(portal_pages(portal))
    app.include_router(feedback_pages(feedback))
    app.include_router(follow_pages(follows))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The citizen reads what happened and what to do; the trace goes to the log.
        log.exception("portal request failed: %s %s", request.method, request.url.path)
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"error": "Đã có lỗi ở máy chủ. Góp ý của bạn có thể chưa được ghi nhận: nếu bạn "
             "chưa nhận được mã theo dõi, hãy gửi lại sau ít phút."},
            status_code=500,
        )  # fmt: skip

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
