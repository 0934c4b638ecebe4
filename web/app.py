"""The web application: one FastAPI app served by uvicorn (``legisflow web``): the officials'
workspace (``web/workspace.py``) and the sign-in service's API (``web/sign_in_api.py``).
It is the one process that holds the sign-in key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from activities import adapters
from activities.post_issuance import cached_directory
from client.connection import connect
from identity.local import LocalSignIn
from identity.signers import RequestSigner
from models.registry import load_registry
from public_records.comments import PublicComments
from settings import Settings
from signatures.demo_signers import DemoSigners, demo_signing
from web.after_issuance_pages import after_issuance_pages
from web.api import ApiRefused, api_router
from web.case_pages import case_pages
from web.comment_pages import comment_pages
from web.dashboard_pages import dashboard_pages
from web.feedback_pages import feedback_pages
from web.oidc_pages import oidc_client, oidc_pages
from web.public_comment_pages import public_comment_pages
from web.sign_in_api import sign_in_api
from web.start_pages import start_pages
from web.workspace import SIGN_IN, TEMPLATES, SignInFirst, Workspace, workspace_pages

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    local = LocalSignIn(settings)
    store = adapters.document_store(settings)
    ws = Workspace(
        local=local,
        store=store,
        directory=cached_directory(settings.directory_file),
        registry=load_registry(),
        task_queue=settings.task_queue,
        secure_cookie=settings.web_secure_cookie,
        legal_day_seconds=settings.legal_day_seconds,
    )
    ws.records = PublicComments.at(settings.database)
    oidc = oidc_client(settings)
    ws.oidc_sign_in = oidc is not None
    if demo_signing(settings):
        ws.demo_signers = DemoSigners.under(settings.demo_ca_dir, ws.directory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One client for the process: each decision is proven for the request's person.
        ws.client = await connect(settings, RequestSigner(local.key), store.has_blob)
        yield

    # The OpenAPI document describes the JSON API (web/api.py) and the sign-in service; no
    # interactive docs page, which would load its scripts from a CDN.
    app = FastAPI(
        title="legisflow",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.workspace = ws  # the JSON API's dependencies find it here
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(sign_in_api(local, store.has_blob, ws.limits))
    app.include_router(workspace_pages(ws))
    if oidc is not None:
        app.include_router(oidc_pages(ws, oidc))
    app.include_router(case_pages(ws))
    app.include_router(start_pages(ws))
    app.include_router(comment_pages(ws))
    app.include_router(public_comment_pages(ws))
    app.include_router(feedback_pages(ws))
    app.include_router(dashboard_pages(ws))
    app.include_router(after_issuance_pages(ws))
    app.include_router(api_router(ws))

    @app.exception_handler(ApiRefused)
    async def api_refused(request: Request, exc: ApiRefused) -> JSONResponse:
        return JSONResponse(exc.refusal.model_dump(), status_code=exc.status)

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, exc: SignInFirst) -> RedirectResponse:
        return RedirectResponse(SIGN_IN, status_code=303)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A person sees what happened and what to do; the trace goes to the log, not the page.
        log.exception("web request failed: %s %s", request.method, request.url.path)
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": "server error; the operation may not have been carried out"},
                status_code=500,
            )
        return TEMPLATES.TemplateResponse(
            request,
            "missing.html",
            {
                "error": "Đã có lỗi ở máy chủ; thao tác có thể chưa được thực hiện. Hãy tải lại "
                "trang để xem trạng thái hồ sơ. / Something went wrong on the server; reload "
                "the page to see where the case is.",
                "name": None,
            },
            status_code=500,
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
