"""An official uses the workspace in a real browser: signs in (a wrong password is refused
in place), finds the case waiting for them in their inbox, opens it, and takes the next
action with its document; without a declaration of interest the action is refused in place
and nothing changes; with it the case moves on and the page says so at once."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from activities import adapters
from client.cases import start_case, status
from client.comments import comment, open_comment_ids
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings

PASSWORD = "mat-khau-cua-binh-2026"
# Waits on what the page shows, bounded far above any machine's speed (not Playwright's 5 s).
expect.set_options(timeout=60_000)
DRAFTER = "le.thi.binh"
COMMENTS = [
    ("Nguyễn Thị Mai", "public", "Đề nghị quy định rõ việc chặt hạ cây xanh nguy hiểm."),
    (
        "Trần Văn Nam",
        "Hiệp hội Doanh nghiệp",
        "Đề nghị quy định rõ việc chặt hạ cây xanh nguy hiểm.",
    ),
    ("Lê Văn Tú", "public", "Cần bổ sung danh mục cây cấm trồng trên vỉa hè."),
]
#: The provincial Fatherland Front committee, asked for its opinion during consultation.
FRONT = "y.bham.nie"
#: A drafter of another department (Sở Nông nghiệp), named nowhere in the case.
OUTSIDER = "dinh.thi.hoa"


async def test_an_official_signs_in_finds_the_case_and_acts(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    title = "Quy định về quản lý cây xanh (không gian làm việc)"
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title=title,
            starter="nguyen.van.an",
            slug="workspace",
        ),
        task_queue=harness.settings.task_queue,
    )
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(DRAFTER, PASSWORD, by="test")
    AccountStore(accounts).create(OUTSIDER, PASSWORD, by="test")
    AccountStore(accounts).create(FRONT, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    draft = tmp_path / "du-thao-1.md"
    draft.write_text("# Dự thảo 1\n\nĐiều 1. Phạm vi điều chỉnh\n", encoding="utf-8")

    async with web_app(settings) as url, chromium() as browser:
        page = await browser.new_page()
        await page.goto(url)
        await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
        await page.get_by_label("Tài khoản").fill(DRAFTER)
        await page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("alert")).to_contain_text("wrong account or password")
        await assert_accessible(page)

        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
        await expect(page.get_by_text("Lê Thị Bình")).to_be_visible()
        await assert_accessible(page)
        await page.get_by_role("link", name=title).click()

        await expect(page.get_by_role("heading", name=title)).to_be_visible()
        stage_before = await page.locator("#stage").inner_text()
        form = page.locator("form", has=page.locator("input[name=action][value=open_consultation]"))
        await form.locator("input[type=file]").set_input_files(str(draft))
        await form.locator("button[type=submit]").click()
        await expect(page.get_by_role("alert")).to_contain_text("xung đột lợi ích")
        await expect(page.locator("#stage")).to_have_text(stage_before)
        assert (await status(harness.client, handle.id)).stage == "drafting"

        form = page.locator("form", has=page.locator("input[name=action][value=open_consultation]"))
        await form.locator("input[type=file]").set_input_files(str(draft))
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[type=submit]").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã chuyển sang bước")
        st = await status(harness.client, handle.id)
        assert st.stage == "consultation"
        await expect(page.locator("#stage")).to_have_text(st.stage_label)
        await expect(page.get_by_text("du-thao-1.md")).to_be_visible()
        await assert_accessible(page)
        await page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

        # Comments arrive (two people send the same text); the drafter reads each text with
        # its sources, answers two at once, and a refusal (no reason given) changes nothing.
        store = adapters.document_store(settings)
        for author, source, text in COMMENTS:
            await comment(harness.client, store, handle.id, author=author, text=text, source=source)
        await page.get_by_role("link", name="Góp ý của cơ quan").click()
        await expect(page.locator("#comment-counts")).to_contain_text("3 lượt góp ý, 2 nội dung")
        await expect(page.get_by_text(COMMENTS[0][2])).to_be_visible()
        await assert_accessible(page)
        await page.get_by_label("Nguồn").select_option("Hiệp hội Doanh nghiệp")
        await page.get_by_role("button", name="Lọc").click()
        await expect(page.locator("tr[data-comment-id]")).to_have_count(1)
        await page.goto(f"{url}/gop-y/{handle.id}")
        for box in await page.locator("input[name=comment_ids]").all():
            await box.check()
        await page.get_by_label("Kết quả", exact=True).select_option("explained")
        await page.locator("button[data-action=dispose]").click()
        await expect(page.get_by_role("alert")).to_contain_text("needs a reason")
        assert len(await open_comment_ids(harness.client, handle.id)) == 2
        for box in await page.locator("input[name=comment_ids]").all():
            await box.check()
        await page.get_by_label("Kết quả", exact=True).select_option("explained")
        await page.get_by_label("Lý do").fill("Đã có quy định tại Luật Quy hoạch đô thị.")
        await page.get_by_label("không có xung đột lợi ích khi xử lý góp ý").check()
        await page.locator("button[data-action=dispose]").click()
        await expect(page.get_by_role("status")).to_contain_text("cho 2 góp ý")
        assert await open_comment_ids(harness.client, handle.id) == []
        await expect(page.get_by_text("Đã có quy định tại Luật Quy hoạch đô thị.")).to_have_count(2)
        await page.goto(f"{url}/ho-so/{handle.id}")

        # Closing early is not offered; the page says why (the legal minimum period).
        await expect(page.locator("[data-blocked=close_consultation]")).to_contain_text(
            "Kết thúc lấy ý kiến"
        )
        await expect(page.locator("button[data-action=close_consultation]")).to_have_count(0)

        # The draft as uploaded, downloaded from the case page.
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="du-thao-1.md").click()
        saved = tmp_path / "downloaded.md"
        await (await downloading.value).save_as(saved)
        assert saved.read_bytes() == draft.read_bytes()

        # A form posted from elsewhere (no CSRF token) is refused and changes nothing.
        forged = await page.request.post(
            f"{url}/thao-tac/{handle.id}",
            multipart={"action": "withdraw", "no_interest": "true"},
        )
        assert forged.status == 403
        assert "Biểu mẫu đã hết hiệu lực" in await forged.text()
        assert (await status(harness.client, handle.id)).stage == "consultation"

        # A case that does not exist: said in place, no trace of the server's insides.
        await page.goto(f"{url}/ho-so/so-xd-daklak:khong-co")
        await expect(page.get_by_role("alert")).to_contain_text("Không tìm thấy hồ sơ")
        assert "Traceback" not in await page.content()

        # The Fatherland Front finds the request for its opinion in its inbox and answers it.
        front = await (await browser.new_context()).new_page()
        await sign_in(front, url, FRONT)
        row = front.locator(f"[data-case-id='{handle.id}']")
        await expect(row).to_contain_text("Gửi ý kiến")
        await row.get_by_role("link").click()
        await front.get_by_role("textbox", name="Ý kiến").fill(
            "Đề nghị bổ sung quy định về cây xanh đô thị."
        )
        await front.get_by_label("không có xung đột lợi ích").check()
        await front.locator("button[data-action=reply]").click()
        await expect(front.get_by_role("status")).to_contain_text("Đã gửi ý kiến")
        replied = (await status(harness.client, handle.id)).consultations
        assert [c.replied_by for c in replied if c.role == "front_committee"] == [FRONT]
        await front.goto(url)
        await expect(front.locator(f"[data-case-id='{handle.id}']")).to_have_count(0)

        # The drafter cannot act during consultation: the case is on her second tab, with
        # whom it waits for.
        await page.goto(url)
        await expect(page.locator(f"[data-case-id='{handle.id}']")).to_have_count(0)
        await page.get_by_role("link", name="Đang chờ người khác").click()
        waiting = page.locator(f"[data-case-id='{handle.id}']")
        await expect(waiting).to_contain_text("Cao Văn Tiến")  # the affected group asked
        await assert_accessible(page)
        # In English, the same tab says the same (the switch keeps the tab).
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("link", name="Waiting on others")).to_have_attribute(
            "aria-current", "page"
        )
        await expect(waiting).to_contain_text("Opinion of")
        await expect(waiting).to_contain_text("Cao Văn Tiến")
        await page.get_by_role("link", name="Tiếng Việt").click()
        await expect(waiting).to_contain_text("Ý kiến")

        # Someone of another department is told the case does not exist, as for a missing one.
        other = await (await browser.new_context()).new_page()
        await sign_in(other, url, OUTSIDER)
        await expect(other.locator(f"[data-case-id='{handle.id}']")).to_have_count(0)
        shown = await other.goto(f"{url}/ho-so/{handle.id}")
        assert shown is not None
        assert shown.status == 404
        await expect(other.get_by_role("alert")).to_contain_text("Không tìm thấy hồ sơ")
        await expect(other.get_by_text(title)).to_have_count(0)


async def sign_in(page: Page, url: str, person: str, password: str = PASSWORD) -> None:
    await page.goto(url)
    await page.get_by_label("Tài khoản").fill(person)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
