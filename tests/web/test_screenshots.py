"""A failing browser test leaves a screenshot of each page it had open (``chromium()``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import browser as browser_module
from tests.web.browser import chromium


async def _fail_with_two_pages_open() -> None:
    async with chromium() as browser:
        for text in ("Hộp việc", "Hồ sơ"):
            page = await (await browser.new_context()).new_page()
            await page.set_content(f"<h1>{text}</h1>")
        raise AssertionError("the page did not say it")


def _pngs(where: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(where.glob("*test_a_failure_in_the_browser*.png"))]


async def test_a_failure_in_the_browser_block_saves_each_open_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_module, "ARTIFACTS", tmp_path)
    with pytest.raises(AssertionError, match="the page did not say it"):
        await _fail_with_two_pages_open()
    shots = _pngs(tmp_path)
    assert len(shots) == 2
    assert all(s.startswith(b"\x89PNG") for s in shots)
