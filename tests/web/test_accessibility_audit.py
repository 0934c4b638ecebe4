"""The accessibility audit the browser tests run on the workspace's pages finds what it
should: a page with an unlabelled field, an image without text and a button without a name
fails it; the same page made right passes."""

from __future__ import annotations

from tests.web.browser import accessibility_problems, chromium

BAD = """<!doctype html><html><head><title>x</title></head><body><main>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input name="title"><button></button></main></body></html>"""
GOOD = """<!doctype html><html lang="vi"><head><title>Hồ sơ</title></head><body><main>
<h1>Hồ sơ</h1><img alt="Sơ đồ quy trình" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<label for="t">Trích yếu</label><input id="t" name="title"><button>Lưu</button>
</main></body></html>"""


async def test_the_audit_fails_a_page_that_shuts_people_out_and_passes_a_fixed_one() -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        await page.set_content(BAD)
        found = " ".join(await accessibility_problems(page))
        for rule in ("image-alt", "label", "button-name"):
            assert rule in found
        await page.set_content(GOOD)
        assert await accessibility_problems(page) == []
