"""A provincial decision's whole drafting life in the browser, each step taken by the person
whose job it is, signed in as themselves: the drafter starts the case (a mistake in the form
is said next to its field), uploads the draft and opens consultation; the drafting head, the
appraisers, the People's Committee's office, its chair who signs, and the Công báo each find
the case and act; the case reaches "in force" on its own once its minimum period has passed.

Legal days are short here (``DAY``) so that the minimum periods pass; the refused early close
is shown with a full-length legal day in ``test_workspace.py``. On the way the drafting head
returns the dossier with a reason, which the drafter reads on the case page."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from client.cases import status
from identity.accounts import AccountStore
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_workspace import PASSWORD, sign_in

expect.set_options(timeout=60_000)
#: Seconds per legal day: the consultation's 30-day minimum passes in a few seconds.
DAY = 0.2
#: How long a step may take to be offered (a minimum period running): a bound, not a verdict.
OFFERED_WITHIN = 120.0

# Sở Nông nghiệp và Môi trường: few other tests draft there, so its dashboard stays small.
DRAFTER = "dinh.thi.hoa"
HEAD = "pham.van.hung"
APPRAISER = "pham.thi.dung"
APPRAISAL_HEAD = "hoang.van.em"
OFFICE = "vu.thi.giang"
SIGNER = "bui.van.khoa"
GAZETTE = "ngo.thi.lan"
WHY = "Bổ sung đánh giá tác động đối với tiểu thương"


async def take(
    page: Page,
    url: str,
    case_id: str,
    action: str,
    document: Path | None = None,
    *,
    from_inbox: bool = False,
    note: str | None = None,
) -> None:
    """Open the case (from the inbox, or by its address), wait until ``action`` is offered,
    and take it (declaring no conflict of interest where the form asks)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + OFFERED_WITHIN
    button = page.locator(f"button[data-action={action}]")
    while True:
        if from_inbox:
            await page.goto(url)
            row = page.locator(f"[data-case-id='{case_id}']")
            if await row.count():
                await row.get_by_role("link").click()
                await expect(page.locator("#stage")).to_be_visible()
        else:
            await page.goto(f"{url}/ho-so/{case_id}")
        if await button.count():
            break
        assert loop.time() < until, f"{action} not offered within {OFFERED_WITHIN}s"
        await asyncio.sleep(0.5)
    form = page.locator("form", has=button)
    if note is not None:
        await form.locator("textarea[name=note]").fill(note)
    if document is not None:
        await form.locator("input[type=file]").set_input_files(str(document))
    declare = form.get_by_label("không có xung đột lợi ích")
    if await declare.count():
        await declare.check()
    await button.click()
    await expect(page.get_by_role("status")).to_contain_text("Đã chuyển sang bước")


async def person(browser: Browser, url: str, who: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await sign_in(page, url, who)
    return page


async def test_a_decision_from_first_draft_to_in_force_in_the_browser(
    env: Temporal, harness: Harness, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.json"
    people = [DRAFTER, HEAD, APPRAISER, APPRAISAL_HEAD, OFFICE, SIGNER, GAZETTE]
    for who in people:
        AccountStore(accounts).create(who, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts, legal_day_seconds=DAY)
    texts = {}
    for name in ("du-thao.md", "bao-cao-tham-dinh.md", "to-trinh.md", "quyet-dinh-da-ky.md"):
        texts[name] = tmp_path / name
        texts[name].write_text(f"# {name}\n\nĐiều 1. Phạm vi điều chỉnh\n", encoding="utf-8")
    title = "Quy định quản lý chợ nông sản (trọn đời trong trình duyệt)"

    async with web_app(settings) as url, chromium() as browser:
        drafter = await person(browser, url, DRAFTER)
        await drafter.get_by_role("link", name="Khởi tạo hồ sơ").click()
        await drafter.get_by_label("Loại văn bản").select_option(
            label="Quyết định của Ủy ban nhân dân cấp tỉnh"
        )
        await drafter.get_by_role("button", name="Khởi tạo").click()  # no title given
        await expect(drafter.locator("#err-title")).to_contain_text("Trích yếu cần từ 3")
        await expect(drafter.get_by_label("Trích yếu")).to_have_attribute("aria-invalid", "true")
        await assert_accessible(drafter)
        await drafter.get_by_label("Trích yếu").fill(title)
        await drafter.get_by_role("button", name="Khởi tạo").click()
        await expect(drafter.get_by_role("heading", name=title)).to_be_visible()
        case_id = drafter.url.split("/ho-so/", 1)[1]

        await take(drafter, url, case_id, "open_consultation", texts["du-thao.md"])
        await take(drafter, url, case_id, "close_consultation")
        await take(drafter, url, case_id, "submit_synthesis")
        head = await person(browser, url, HEAD)
        # The head sends it back with the reason; the drafter reads it on the case page.
        await take(head, url, case_id, "return_for_revision", from_inbox=True, note=WHY)
        await drafter.goto(f"{url}/ho-so/{case_id}")
        await expect(drafter.locator("#returned")).to_contain_text(WHY)
        await expect(drafter.locator("#returned")).to_contain_text("Phạm Văn Hùng")
        await take(drafter, url, case_id, "submit_synthesis")
        await take(head, url, case_id, "request_appraisal", from_inbox=True)
        appraiser = await person(browser, url, APPRAISER)
        await take(appraiser, url, case_id, "accept_dossier", from_inbox=True)
        await take(
            appraiser, url, case_id, "submit_appraisal_report", texts["bao-cao-tham-dinh.md"]
        )
        appraisal_head = await person(browser, url, APPRAISAL_HEAD)
        await take(appraisal_head, url, case_id, "issue_appraisal_report", from_inbox=True)
        await take(drafter, url, case_id, "submit_response", texts["to-trinh.md"])
        await take(head, url, case_id, "submit_for_adoption", from_inbox=True)
        office = await person(browser, url, OFFICE)
        await take(office, url, case_id, "record_adoption", from_inbox=True)
        signer = await person(browser, url, SIGNER)
        await take(signer, url, case_id, "sign", texts["quyet-dinh-da-ky.md"], from_inbox=True)
        await take(office, url, case_id, "send_to_gazette")
        gazette = await person(browser, url, GAZETTE)
        await take(gazette, url, case_id, "record_publication", from_inbox=True)

        st = await status(harness.client, case_id)
        loop = asyncio.get_running_loop()
        until = loop.time() + OFFERED_WITHIN
        while not st.final:  # in force once the minimum period after publication passes
            assert loop.time() < until, f"still {st.stage} after {OFFERED_WITHIN}s"
            await asyncio.sleep(0.5)
            st = await status(harness.client, case_id)
        await drafter.goto(f"{url}/ho-so/{case_id}")
        await expect(drafter.locator("#stage")).to_have_text(st.stage_label)
        trail = drafter.locator("section[aria-labelledby=trail-h]")
        for label in ("Ký ban hành", "Ghi nhận đã đăng Công báo", "Văn bản có hiệu lực"):
            await expect(trail).to_contain_text(label)
        await expect(trail).to_contain_text("Bùi Văn Khoa")
        await expect(drafter.get_by_role("link", name="quyet-dinh-da-ky.md")).to_be_visible()
        path = drafter.locator("section[aria-labelledby=path-h]")
        await expect(path.locator("[aria-current=step]")).to_have_count(0)  # final: all passed
        await expect(path).to_contain_text("Phạm Văn Hùng")

        # The head's dashboard: the stages the department completed, with on-time rates.
        await head.get_by_role("link", name="Bảng điều khiển").click()
        kpi = head.locator("#kpi")
        await expect(kpi).to_contain_text("Lấy ý kiến, đăng tải dự thảo")
        await expect(head.locator("figure svg[role=img]")).to_be_visible()
        await expect(head.locator("#open-counts")).to_be_visible()
        await assert_accessible(head)
        await drafter.set_viewport_size({"width": 390, "height": 844})  # a phone
        await drafter.goto(f"{url}/ho-so/{case_id}")
        await assert_accessible(drafter)
        await drafter.screenshot(path=str(tmp_path / "case-on-a-phone.png"), full_page=True)
