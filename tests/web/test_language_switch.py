"""Vietnamese by default, English by a switch, in real Chromium: the switch in the header
(no JavaScript needed) turns the inbox and a case page to English — the procedure's own
English stage and action labels included — keeps the page the person was on, and turns back;
the sign-in page has it too."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from client.cases import start_case
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_workspace import DRAFTER, PASSWORD, sign_in

expect.set_options(timeout=60_000)


async def test_the_workspace_turns_to_english_and_back(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về biển quảng cáo (English)",
            starter=DRAFTER,
            slug="english-switch",
        ),
        task_queue=harness.settings.task_queue,
    )
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(DRAFTER, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await page.goto(url)
        await expect(page.locator("html")).to_have_attribute("lang", "vi")
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await page.get_by_role("link", name="Tiếng Việt").click()
        await sign_in(page, url, DRAFTER)

        # From the page that answered a refused action (its address takes a POST only), the
        # switch comes back to the case page.
        await page.goto(f"{url}/ho-so/{handle.id}")
        await page.locator("button[data-action=open_consultation]").click()  # no draft
        await expect(page.get_by_role("alert")).to_contain_text("cần kèm văn bản")
        await page.get_by_role("link", name="English").click()
        # Back on the same case page, in English, with the procedure's English labels.
        await expect(page).to_have_url(f"{url}/ho-so/{handle.id}")
        await expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
        await expect(page.locator("#stage")).to_have_text("Drafting")
        action = page.locator("button[data-action=open_consultation]")
        await expect(action).to_have_text("Post the draft for consultation")
        await assert_accessible(page)
        await page.get_by_role("link", name="Inbox").first.click()
        await expect(page.get_by_role("heading", name="What needs doing")).to_be_visible()
        row = page.locator(f"[data-case-id='{handle.id}']")
        await expect(row).to_contain_text("Drafting")
        await expect(row).to_contain_text("Post the draft for consultation")
        await page.get_by_role("link", name="Tiếng Việt").click()
        await expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
        await expect(page.locator(f"[data-case-id='{handle.id}']")).to_contain_text(
            "Soạn thảo dự thảo"
        )
