"""A web app served inside a process that does other work (``legisflow dev``, ``legisflow
demo``, the tests): uvicorn as an asyncio task next to the worker, stopped by its owner. The
workspace by default; the public portal (``portal.app.create_portal``) the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from starlette.types import ASGIApp

from settings import Settings
from web.app import create_app


class WebDidNotStart(RuntimeError):
    """The web app could not start (its port taken, its configuration broken)."""


class _Embedded(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The embedding process owns SIGINT/SIGTERM (the worker shuts down gracefully on
        # them); uvicorn's own handlers would replace its and re-raise the signal afterwards.
        yield


async def _serve(server: uvicorn.Server) -> None:
    # uvicorn exits the process (SystemExit) when the app cannot start; here that would stop
    # the worker beside it, so it becomes this task's error instead.
    try:
        await server.serve()
    except SystemExit as exc:
        raise WebDidNotStart(f"the web app did not start (uvicorn exit {exc.code})") from None


@asynccontextmanager
async def serving(
    settings: Settings,
    host: str,
    port: int,
    app: Callable[[Settings], ASGIApp] = create_app,
    trusted_proxies: str = "127.0.0.1",
) -> AsyncIterator[str]:
    """Serve ``app`` (the workspace unless another is given) for ``settings`` on
    ``host:port`` while the block runs; yields its address once it accepts connections. A
    request from ``trusted_proxies`` is taken to come from its ``X-Forwarded-For``."""
    config = uvicorn.Config(
        app(settings), host=host, port=port, log_level="warning",
        proxy_headers=True, forwarded_allow_ips=trusted_proxies,
    )  # fmt: skip
    server = _Embedded(config)
    task = asyncio.create_task(_serve(server))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise WebDidNotStart("the web app stopped while starting")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
