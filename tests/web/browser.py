"""The tests' browser and web app: Debian's Chromium driven by Playwright (never a
downloaded browser), and the web app served by uvicorn on loopback in the test's event loop,
against the test session's Temporal server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from playwright.async_api import Browser, async_playwright

from localdev.devserver import free_port
from settings import Settings
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
#: What this machine's closed network needs of Chromium (no background calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def serve_or_say_why(server: uvicorn.Server) -> None:
    """``server.serve()``; uvicorn exits the process (SystemExit) when the app cannot start,
    which would stop the tests' event loop: it becomes an error of this task instead."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise RuntimeError(f"the web app did not start (uvicorn exit {exc.code})") from None


@asynccontextmanager
async def web_app(settings: Settings) -> AsyncIterator[str]:
    """``legisflow web`` with ``settings`` on a free loopback port; yields its address."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(serve_or_say_why(server))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
