"""A document in force in the workspace: the monitoring officer records what was done and
makes the report, which downloads as a Word file; a checker opens a legality check and
concludes it; the issuer handles the conclusion; each step is refused in place when it
lacks what the law asks (a declaration of interest) and changes nothing then."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from client.after_issuance import check_status, monitoring_status
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_workspace import PASSWORD, sign_in
from tests.workflows.after_issuance import CHECKER, ISSUER, OFFICER, in_force, monitored

expect.set_options(timeout=60_000)


async def test_monitoring_and_a_legality_check_in_the_browser(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    doc = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="theo-doi-web",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400,
    )
    await monitored(harness.client, doc)
    accounts = tmp_path / "accounts.json"
    for who in (OFFICER, CHECKER, ISSUER):
        AccountStore(accounts).create(who, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        officer = await (await browser.new_context()).new_page()
        await sign_in(officer, url, OFFICER)
        await officer.goto(f"{url}/theo-doi/{doc}")
        await officer.get_by_label("Loại việc").select_option("inspection")
        await officer.get_by_label("Nội dung").fill("Kiểm tra tại 3 huyện, chưa thấy vướng mắc.")
        await officer.locator("button[data-action=record_event]").click()
        await expect(officer.get_by_role("status")).to_contain_text("Đã ghi nhận")
        totals = (await monitoring_status(harness.client, doc)).totals
        assert totals.events.get("inspection") == 1
        await officer.locator("button[data-action=generate_report]").click()
        await expect(officer.get_by_role("status")).to_contain_text("Đã lập báo cáo")
        await assert_accessible(officer)
        async with officer.expect_download() as downloading:
            await officer.locator("a[download][href*='/bao-cao/']").filter(has_text=".docx").click()
        saved = tmp_path / "bao-cao.docx"
        await (await downloading.value).save_as(saved)
        assert saved.read_bytes().startswith(b"PK")

        checker = await (await browser.new_context()).new_page()
        await sign_in(checker, url, CHECKER)
        await checker.goto(f"{url}/theo-doi/{doc}")
        await checker.get_by_label("Lý do kiểm tra").fill("Kiểm tra theo kế hoạch năm")
        await checker.locator("button[data-action=open_check]").click()
        await expect(checker.get_by_role("heading", name="Kết luận kiểm tra")).to_be_visible()
        cid = checker.url.split("/kiem-tra/", 1)[1]
        for basis, refusal in (("", "legal basis"), ("Nghị định 30/2020", "xung đột lợi ích")):
            await checker.get_by_label("Kết luận", exact=True).select_option("form_errors")
            await checker.get_by_label("Nội dung sai sót").fill("Sai số hiệu văn bản tại Điều 3.")
            await checker.get_by_label("Căn cứ pháp lý").fill(basis)
            await checker.get_by_label("Đính chính").check()
            await checker.locator("button[data-action=conclude]").click()
            await expect(checker.get_by_role("alert")).to_contain_text(refusal)
            assert (await check_status(harness.client, cid)).conclusion is None
        await checker.get_by_label("Kết luận", exact=True).select_option("form_errors")
        await checker.get_by_label("Nội dung sai sót").fill("Sai số hiệu văn bản tại Điều 3.")
        await checker.get_by_label("Căn cứ pháp lý").fill("Nghị định 30/2020/NĐ-CP")
        await checker.get_by_label("Đính chính").check()
        await checker.get_by_label("không có xung đột lợi ích").check()
        await checker.locator("button[data-action=conclude]").click()
        await expect(checker.locator("#conclusion")).to_contain_text("Sai số hiệu văn bản")
        await assert_accessible(checker)

        issuer = await (await browser.new_context()).new_page()
        await sign_in(issuer, url, ISSUER)
        await issuer.goto(f"{url}/kiem-tra/{cid}")
        await issuer.get_by_label("không có xung đột lợi ích").check()
        await issuer.locator("button[data-action=handle]").click()
        await expect(issuer.get_by_role("status")).to_contain_text("Đã xử lý")
        st = await check_status(harness.client, cid)
        assert st.handling is not None
        assert st.handling.actor == ISSUER
