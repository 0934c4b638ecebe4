"""The tests' browser and web app: Debian's Chromium driven by Playwright (never a
downloaded browser), and the web app served by uvicorn on loopback in the test's event loop,
against the test session's Temporal server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from localdev.devserver import free_port
from portal.app import create_portal
from settings import Settings
from tests.conftest import Harness, Temporal
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
async def web_app(settings: Settings, port: int | None = None) -> AsyncIterator[str]:
    """``legisflow web`` with ``settings`` on loopback (``port``, or a free one); yields its
    address."""
    async with serving(settings, "127.0.0.1", port or free_port()) as url:
        yield url


@asynccontextmanager
async def portal_app(settings: Settings, port: int | None = None) -> AsyncIterator[str]:
    """``legisflow portal`` with ``settings`` on loopback; yields its address."""
    async with serving(settings, "127.0.0.1", port or free_port(), create_portal) as url:
        yield url


#: axe-core, installed from npm by ``make test`` (``tests/web/axe``).
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts an audit refuses: what blocks or seriously hinders a person using a screen
#: reader, the keyboard only, or poor eyesight.
REFUSED_IMPACTS = ("serious", "critical")


async def accessibility_problems(page: Page) -> list[str]:
    """The serious and critical WCAG problems axe-core finds on ``page`` as it is now."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make test` (npm ci in tests/web/axe)")
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                  nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3)}))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in violations
        if v["impact"] in REFUSED_IMPACTS
    ]


async def assert_accessible(page: Page) -> None:
    problems = await accessibility_problems(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


#: Where a failing browser test leaves a screenshot of each page it had open.
ARTIFACTS = Path(os.environ.get("LEGISFLOW_TEST_ARTIFACTS", "test-artifacts"))


async def save_screenshots(browser: Browser) -> list[Path]:
    """A full-page screenshot of every open page, named after the running test."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "test").split(" ")[0]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test)
    await asyncio.to_thread(ARTIFACTS.mkdir, parents=True, exist_ok=True)
    saved = []
    pages = [page for context in browser.contexts for page in context.pages]
    for i, page in enumerate(pages):
        path = ARTIFACTS / f"{stem}-{i}.png"
        try:
            await page.screenshot(path=str(path), full_page=True)
            saved.append(path.resolve())
        except PlaywrightError:
            continue  # a page that closed or crashed: the others still tell the story
    return saved


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium; when the block fails, screenshots of its pages are saved first."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        except BaseException:
            for path in await save_screenshots(browser):
                print(f"screenshot: {path}", file=sys.stderr)
            raise
        finally:
            await browser.close()


def workspace_settings(
    env: Temporal, harness: Harness, accounts: Path | None = None, **more: Any
) -> Settings:
    """The harness's settings for a web app on the session's server, with its sign-in key
    and, if given, the accounts file (and ``more`` settings)."""
    update: dict[str, Any] = {"temporal_address": env.address, "signing_key_file": env.key_file}
    if accounts is not None:
        update["accounts_file"] = accounts
    return harness.settings.model_copy(update={**update, **more})
