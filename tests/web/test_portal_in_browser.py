"""A citizen on the public portal, in Chromium with JavaScript off (the pages must work
without it) on a phone-sized screen: finds the draft open for comment, reads its articles,
comments on one, gets a tracking code and finds the comment under it; a refusal keeps what
was written and says why; a closed draft takes nothing. Every page passes an axe audit."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from playwright.async_api import Browser, Page, ViewportSize, expect

from client.cases import act, start_case
from localdev.walkthrough import wait_for_status
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from models.starting import StartRequest
from public_records.comments import PublicComments
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, portal_app, workspace_settings

expect.set_options(timeout=60_000)
PHONE: ViewportSize = {"width": 390, "height": 844}
DRAFT = """QUYẾT ĐỊNH
Quy định về bến xe khách trên địa bàn tỉnh

Điều 1. Phạm vi điều chỉnh
Quyết định này quy định giờ mở cửa bến xe khách.

Điều 2. Giờ mở cửa
Bến xe mở cửa từ 5 giờ đến 22 giờ hằng ngày.
"""
COMMENT = "Đề nghị bến xe mở cửa từ 4 giờ 30 để phục vụ chuyến sớm."


async def open_for_comment(
    harness: Harness, registry: Registry, directory: Directory, slug: str, day: float = 86400
) -> str:
    """A provincial decision whose draft is posted for comment (its intake open)."""
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về bến xe khách",
            starter="nguyen.van.an",
            slug=slug,
            # By default the 30-day posting never ends within the test.
            legal_day_seconds=day,
            affected_groups=("Doanh nghiệp vận tải", "Hành khách"),
            plain_summary="Quy định giờ mở cửa của bến xe khách.",
        ),
        task_queue=harness.settings.task_queue,
    )
    draft = harness.store.put_blob(DRAFT.encode(), "du-thao.md", "text/markdown")
    await act(
        harness.client,
        handle.id,
        ActionRequest(
            declare_no_interest=True, action="open_consultation", actor="nguyen.van.an",
            document=draft,
        ),
    )  # fmt: skip
    await wait_for_status(harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=60)
    return handle.id


async def phone_page(browser: Browser, *, script: bool = False) -> Page:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=script)
    return await context.new_page()


async def test_a_citizen_comments_on_an_article_and_finds_it_by_its_code(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await open_for_comment(harness, registry, directory, "ben-xe-gop-y")
    settings = workspace_settings(env, harness)
    async with portal_app(settings) as url, chromium() as browser:
        page = await phone_page(browser)
        await page.goto(url)
        listed = page.locator(f"[data-case-id='{case_id}']")
        await expect(listed).to_contain_text("Quy định về bến xe khách")
        await expect(listed).to_contain_text("còn")
        await listed.get_by_role("link").click()

        await expect(page.get_by_role("heading", level=1)).to_have_text("Quy định về bến xe khách")
        await expect(page.locator("#dieu-2")).to_have_text("Điều 2. Giờ mở cửa")
        await expect(page.get_by_text("Hành khách")).to_be_visible()
        form = page.locator("form[action$='/gop-y']")
        await form.get_by_label("Góp ý về").select_option("2")
        await form.get_by_label("Nội dung góp ý").fill(COMMENT)
        await form.get_by_label("Họ và tên").fill("Lê Thị Hoa")
        await form.get_by_label("Thư điện tử hoặc số điện thoại").fill("hoa@example.vn")
        await form.get_by_label("Bạn góp ý với tư cách").select_option("business")
        # Without consent to the notice on personal data: refused, what was written kept.
        await form.get_by_role("button", name="Gửi góp ý").click()
        await expect(page.get_by_role("alert")).to_contain_text("Nghị định 13/2023/NĐ-CP")
        await expect(page.get_by_label("Nội dung góp ý")).to_have_value(COMMENT)
        await expect(page.get_by_label("Góp ý về")).to_have_value("2")
        records = PublicComments.at(settings.database)
        assert records.counts(case_id).received == 0

        await page.get_by_label("Tôi đã đọc và đồng ý").check()
        await page.get_by_role("button", name="Gửi góp ý").click()
        code_el = page.locator("[data-tracking-code]")
        await expect(code_el).to_be_visible()
        code = await code_el.get_attribute("data-tracking-code")
        assert code is not None
        assert code.startswith("GY-")
        assert records.counts(case_id).by_group == {"business": 1}

        await page.goto(f"{url}/tra-cuu?ma={quote(code.lower())}")
        found = page.locator(f"section[data-tracking-code='{code}']")
        await expect(found).to_contain_text("Điều 2")
        await expect(found).to_contain_text(COMMENT)
        await expect(found).to_contain_text("đang chờ cơ quan soạn thảo xem xét")
        assert "Lê Thị Hoa" not in await page.content()
        assert "hoa@example.vn" not in await page.content()

        await page.goto(f"{url}/tra-cuu?ma=GY-0000-0000")
        await expect(page.get_by_role("alert")).to_contain_text("Không tìm thấy")

        # The same pages audited, with the script axe needs.
        audit = await phone_page(browser, script=True)
        for path in ("/", f"/du-thao/{quote(case_id)}", f"/tra-cuu?ma={code}"):
            await audit.goto(url + path)
            await assert_accessible(audit)
            wide = await audit.evaluate("document.documentElement.scrollWidth > innerWidth")
            assert not wide, f"{path} scrolls sideways on a phone"


async def test_bad_input_and_a_closed_draft_are_refused_in_the_page(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await open_for_comment(harness, registry, directory, "ben-xe-tu-choi")
    settings = workspace_settings(env, harness)
    records = PublicComments.at(settings.database)
    async with portal_app(settings) as url, chromium() as browser:
        page = await phone_page(browser)
        await page.goto(f"{url}/du-thao/{quote(case_id)}")
        await page.get_by_label("Nội dung góp ý").fill("Ý kiến")
        await page.get_by_label("Họ và tên").fill("Hoa")
        await page.get_by_label("Thư điện tử hoặc số điện thoại").fill("không có")
        await page.get_by_label("Tôi đã đọc và đồng ý").check()
        await page.get_by_role("button", name="Gửi góp ý").click()
        await expect(page.get_by_role("alert")).to_contain_text("thư điện tử hoặc một số điện")
        assert records.counts(case_id).received == 0

        # A robot fills the field people never see: nothing is kept.
        await page.locator("#website").fill("http://spam.example")
        await page.get_by_label("Thư điện tử hoặc số điện thoại").fill("hoa@example.vn")
        await page.get_by_role("button", name="Gửi góp ý").click()
        await expect(page.get_by_role("alert")).to_contain_text("Không nhận được")
        assert records.counts(case_id).received == 0

        await asyncio.to_thread(records.close_intake, case_id)
        await page.goto(f"{url}/du-thao/{quote(case_id)}")
        await expect(page.locator(".closed")).to_contain_text("Đã hết thời gian lấy ý kiến")
        await expect(page.locator("form[action$='/gop-y']")).to_have_count(0)
        await page.goto(url)
        await expect(page.locator(f"[data-case-id='{case_id}']")).to_have_count(0)

        await page.goto(f"{url}/du-thao/khong-co")
        await expect(page.get_by_role("alert")).to_contain_text("Không có dự thảo nào")
