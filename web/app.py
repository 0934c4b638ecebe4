"""The web application: one FastAPI app served by uvicorn (``legisflow web``)."""

from __future__ import annotations

from fastapi import FastAPI

from activities import adapters
from identity.local import LocalSignIn
from settings import Settings
from web.sign_in_api import sign_in_api


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="legisflow", docs_url=None, redoc_url=None, openapi_url=None)
    store = adapters.document_store(settings)
    app.include_router(sign_in_api(LocalSignIn(settings), store.has_blob))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
