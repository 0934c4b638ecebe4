"""The tests' browser and web app: Debian's Chromium driven by Playwright (never a
downloaded browser), and the web app served by uvicorn on loopback in the test's event loop,
against the test session's Temporal server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, async_playwright

from localdev.devserver import free_port
from settings import Settings
from web.serving import serving

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


@asynccontextmanager
async def web_app(settings: Settings) -> AsyncIterator[str]:
    """``legisflow web`` with ``settings`` on a free loopback port; yields its address."""
    async with serving(settings, "127.0.0.1", free_port()) as url:
        yield url


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
