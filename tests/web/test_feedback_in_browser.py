"""A feedback handler answers a citizen's feedback in the workspace: it is in their inbox
with its legal time limit, the page shows the citizen's text (never their name), the answer
without a declaration of interest is refused in place and changes nothing, and with it the
feedback is answered, its answer downloadable and its trail labelled."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from client.after_issuance import feedback_status, submit_feedback
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_workspace import PASSWORD, sign_in
from tests.workflows.after_issuance import HANDLER, in_force, monitored, until

expect.set_options(timeout=60_000)
TEXT = "Quy định về giấy phép xây dựng nhà ở nông thôn chưa rõ hồ sơ cần nộp."
AUTHOR = "Phạm Văn Dân"


async def test_a_handler_answers_feedback_in_the_browser(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    doc = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="phan-anh-web",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400,
    )
    await monitored(harness.client, doc)
    receipt = await submit_feedback(harness.client, harness.store, doc, author=AUTHOR, text=TEXT)
    feedback_id = receipt.feedback_id

    async def started() -> bool:
        try:
            return bool(await feedback_status(harness.client, feedback_id))
        except Exception:
            return False

    await until("the feedback case", started, 60)
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(HANDLER, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, url, HANDLER)
        row = page.locator(f"[data-case-id='{feedback_id}']")
        await expect(row).to_contain_text("Xử lý, trả lời kiến nghị, phản ánh")
        await row.get_by_role("link").click()
        await expect(page.locator("#feedback-text")).to_have_text(TEXT)
        assert AUTHOR not in await page.content()
        await assert_accessible(page)

        form = page.locator("form", has=page.locator("button[data-action=answer]"))
        await form.get_by_label("Nội dung trả lời").fill("Hồ sơ gồm đơn và bản vẽ (Điều 5).")
        await form.locator("button[data-action=answer]").click()
        await expect(page.get_by_role("alert")).to_contain_text("xung đột lợi ích")
        assert not (await feedback_status(harness.client, feedback_id)).final

        form = page.locator("form", has=page.locator("button[data-action=answer]"))
        await form.get_by_label("Nội dung trả lời").fill("Hồ sơ gồm đơn và bản vẽ (Điều 5).")
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[data-action=answer]").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã trả lời")
        st = await feedback_status(harness.client, feedback_id)
        assert st.answered_by == HANDLER
        await expect(page.locator("#stage")).to_have_text(st.stage_label)
        await expect(page.locator("section[aria-labelledby=trail-h]")).to_contain_text("Trả lời")

        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="tra-loi.md").click()
        saved = tmp_path / "answer.md"
        await (await downloading.value).save_as(saved)
        assert saved.read_text(encoding="utf-8") == "Hồ sơ gồm đơn và bản vẽ (Điều 5)."

        await page.goto(url)
        await expect(page.locator(f"[data-case-id='{feedback_id}']")).to_have_count(0)
