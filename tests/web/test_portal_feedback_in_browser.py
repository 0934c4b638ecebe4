"""Issue #19's proof: a citizen's feedback on a document in force is forwarded and answered,
and the tracking page shows it. In Chromium with JavaScript off on a phone-sized screen, the
citizen finds the document, sends a recommendation through the portal and gets a PA- code;
the portal's forwarder hands it to the document's monitoring; the receiving agency forwards it
to the competent one, whose official answers (through the client API, as officials do); the
tracking page shows each step, the legal time limits and the answer. Every page passes an axe
audit, and the citizen's name and contact appear on no page and in no workflow history."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import quote

from playwright.async_api import Browser, Page, ViewportSize, expect
from temporalio.client import Client

from activities.post_issuance import cached_rules
from client.after_issuance import (
    answer_feedback,
    feedback_status,
    forward_feedback,
    monitoring_id,
)
from client.portal_feedback import documents_taking_feedback, feedback_stages
from models.actors import Directory
from models.choices import Category
from models.feedback import ForwardRequest
from models.public_feedback import PortalFeedback
from models.registry import Registry
from public_records.feedback import PublicFeedback
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, portal_app, workspace_settings
from tests.workflows.after_issuance import HANDLER, OTHER_HANDLER, in_force, monitored, until

expect.set_options(timeout=60_000)
PHONE: ViewportSize = {"width": 390, "height": 844}
TITLE = "Quy định về cấp giấy phép khai thác nước ngầm"
NAME = "Hà Thị Thủy"
CONTACT = "thuy.ha@example.vn"
TEXT = "Đề nghị bổ sung thời hạn cấp phép cho hộ gia đình khai thác giếng khoan nhỏ."
ANSWER = "Sở Nông nghiệp và Môi trường tiếp thu, sẽ đề xuất bổ sung Điều 4 trong quý tới."


async def phone_page(browser: Browser, *, script: bool = False) -> Page:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=script)
    return await context.new_page()


async def no_personal_data(page: Page) -> None:
    content = await page.content()
    assert NAME not in content, page.url
    assert CONTACT not in content, page.url


async def history_leaks(client: Client, workflow_id: str, control: str) -> list[str]:
    """What of the citizen's name and contact is in ``workflow_id``'s history, every byte of
    it as the server keeps it (the pydantic converter writes payloads as UTF-8 JSON);
    ``control``, text the history does hold, proves the scan reads the payloads."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    raw = b"".join(e.SerializeToString() for e in history.events)
    assert control.encode() in raw, f"{workflow_id}: the scan did not see {control!r}"
    forms = [NAME, CONTACT, json.dumps(NAME)[1:-1]]
    return [f for f in forms if f.encode() in raw]


async def test_a_citizens_feedback_is_forwarded_and_answered_and_the_tracking_page_shows_it(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    client = harness.client
    doc = await in_force(
        client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="nuoc-ngam-phan-anh",
        title=TITLE,
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400,
    )
    await monitored(client, doc)
    stages = feedback_stages(cached_rules())

    async def listed() -> bool:
        return any(d.case_id == doc for d in await documents_taking_feedback(client, stages))

    await until("the document in the portal's list (visibility)", listed)
    settings = workspace_settings(env, harness)
    records = PublicFeedback.at(settings.database)
    async with portal_app(settings) as url, chromium() as browser:
        page = await phone_page(browser)
        await page.goto(url)
        await page.get_by_role("navigation").get_by_role("link", name="Phản ánh, kiến nghị").click()
        item = page.locator(f"[data-case-id='{doc}']")
        await expect(item).to_contain_text(TITLE)
        await expect(item).to_contain_text("Sở Xây dựng tỉnh Đắk Lắk")
        await item.get_by_role("link").click()

        await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        # The time limits, as the deployment's rules state them.
        await expect(page.locator("section[aria-labelledby=gui-phan-anh]")).to_contain_text(
            "Chuyển đơn trong 2 ngày làm việc; Trả lời trong 15 ngày"
        )
        form = page.locator("form[action$='/gui']")
        await form.get_by_role("radio", name=re.compile("^Kiến nghị")).check()
        await form.get_by_label("Nội dung").fill(TEXT)
        await form.get_by_label("Họ và tên").fill(NAME)
        await form.get_by_label("Thư điện tử hoặc số điện thoại").fill(CONTACT)
        # Without consent to the notice on personal data: refused, what was written kept.
        await form.get_by_role("button", name="Gửi kiến nghị, phản ánh").click()
        await expect(page.get_by_role("alert")).to_contain_text("Nghị định 13/2023/NĐ-CP")
        await expect(page.get_by_label("Nội dung")).to_have_value(TEXT)
        await expect(page.get_by_role("radio", name=re.compile("^Kiến nghị"))).to_be_checked()
        assert await asyncio.to_thread(records.pending) == 0

        await page.get_by_label("Tôi đã đọc và đồng ý").check()
        await page.get_by_role("button", name="Gửi kiến nghị, phản ánh").click()
        code_el = page.locator("[data-tracking-code]")
        await expect(code_el).to_be_visible()
        code = await code_el.get_attribute("data-tracking-code")
        assert code is not None
        assert code.startswith("PA-")
        await expect(page.get_by_role("status")).to_contain_text(TITLE)
        await no_personal_data(page)

        # The portal's forwarder delivers it in the background; the receipt did not wait.
        async def delivered() -> str | None:
            found = await asyncio.to_thread(records.tracked, code)
            return found.feedback_id if found else None

        feedback_id = await until("the forwarder's delivery", delivered, 60)
        assert feedback_id.startswith(f"{monitoring_id(doc)}/feedback/")

        # Received by the drafting agency: its name and the legal time limits. The comment
        # page's tracking form takes a PA- code too.
        await page.goto(f"{url}/tra-cuu?ma={quote(code.lower())}")
        found = page.locator(f"section[data-tracking-code='{code}']")
        await expect(found).to_contain_text(TEXT)
        await expect(found).to_contain_text("Kiến nghị")
        await expect(found).to_contain_text("Đã tiếp nhận: Sở Xây dựng tỉnh Đắk Lắk")
        await expect(found).to_contain_text("Thời hạn theo quy định")
        await expect(found).to_contain_text("Chuyển đơn: hạn ngày")
        await expect(found).to_contain_text("Trả lời: hạn ngày")
        await no_personal_data(page)

        # The agency forwards it to the competent one, whose official answers.
        forwarded = await forward_feedback(
            client,
            feedback_id,
            ForwardRequest(
                declare_no_interest=True,
                actor=HANDLER,
                agency="so-nn-daklak",
                note="Thuộc lĩnh vực tài nguyên nước",
            ),
        )
        target = forwarded.forwarded_to
        assert target is not None
        await page.reload()
        await expect(found).to_contain_text(
            "Đã chuyển cơ quan có thẩm quyền: Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk"
        )
        # The competent agency's own 15 days, from its own receipt.
        await expect(found).to_contain_text("Trả lời: hạn ngày")

        st = await answer_feedback(
            client, harness.store, target, actor=OTHER_HANDLER, text=ANSWER,
            declare_no_interest=True,
        )  # fmt: skip
        assert st.answered_by == OTHER_HANDLER
        await page.reload()
        await expect(found).to_have_attribute("data-state", "answered")
        await expect(found).to_contain_text("Đã trả lời: Sở Nông nghiệp và Môi trường")
        await expect(page.locator("#tra-loi")).to_have_text(ANSWER)
        await expect(found).to_contain_text(
            "Đã chuyển cơ quan có thẩm quyền: Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk"
        )
        await expect(found).not_to_contain_text("Thời hạn theo quy định")
        await no_personal_data(page)

        await page.goto(f"{url}/phan-anh/tra-cuu?ma=PA-0000-0000")
        await expect(page.get_by_role("alert")).to_contain_text("Không tìm thấy")
        await page.goto(f"{url}/phan-anh/van-ban/{quote('so-xd-daklak:khong-co')}")
        await expect(page.get_by_role("alert")).to_contain_text("không nhận kiến nghị")

        # Every page audited, with the script axe needs: the list, the form (and a refusal on
        # it), the receipt (sending the same again: the first receipt), the tracking page.
        audit = await phone_page(browser, script=True)
        paths = ["/phan-anh", f"/phan-anh/van-ban/{quote(doc)}", f"/phan-anh/tra-cuu?ma={code}"]
        for path in [*paths, "/phan-anh/tra-cuu?ma=PA-0000-0000"]:
            await audit.goto(url + path)
            await assert_accessible(audit)
            wide = await audit.evaluate("document.documentElement.scrollWidth > innerWidth")
            assert not wide, f"{path} scrolls sideways on a phone"
            await no_personal_data(audit)
        await audit.goto(f"{url}/phan-anh/van-ban/{quote(doc)}")
        await audit.get_by_label("Nội dung").fill(TEXT)
        await audit.get_by_label("Họ và tên").fill(NAME)
        await audit.get_by_label("Thư điện tử hoặc số điện thoại").fill(CONTACT)
        await audit.get_by_role("button", name="Gửi kiến nghị, phản ánh").click()
        await expect(audit.get_by_role("alert")).to_be_visible()
        await assert_accessible(audit)
        await audit.get_by_label("Tôi đã đọc và đồng ý").check()
        await audit.get_by_role("button", name="Gửi kiến nghị, phản ánh").click()
        await expect(audit.locator("[data-tracking-code]")).to_have_attribute(
            "data-tracking-code", code
        )
        await expect(audit.get_by_role("status")).to_contain_text("đây là mã của lần gửi đó")
        await assert_accessible(audit)
        await no_personal_data(audit)
    assert (await feedback_status(client, feedback_id)).final

    # Temporal never saw the name or the contact: not the monitoring, not either case.
    for workflow_id, control in (
        (monitoring_id(doc), TITLE),
        (feedback_id, TITLE),
        (target, TITLE),
    ):
        assert await history_leaks(client, workflow_id, control) == [], workflow_id
    # Nor does the stored text the cases refer to carry them.
    body = st.body
    assert body is not None
    stored = await asyncio.to_thread(harness.store.get_blob, body.sha256)
    assert TEXT in stored.decode("utf-8")
    assert NAME.encode() not in stored
    assert CONTACT.encode() not in stored


async def test_feedback_on_a_document_not_in_force_is_refused_and_a_stranded_one_says_so(
    env: Temporal, harness: Harness
) -> None:
    """The form of a document that takes no feedback refuses in the page and keeps nothing; a
    feedback whose document left force before it was delivered is never delivered, and its
    tracking page says why."""
    settings = workspace_settings(env, harness)
    records = PublicFeedback.at(settings.database)
    gone = "so-xd-daklak:da-bai-bo"
    stranded = await asyncio.to_thread(
        records.submit,
        PortalFeedback(case_id=gone, kind=Category.REPORT, name=NAME, contact=CONTACT, text=TEXT),
        "Quy định đã bãi bỏ",
    )
    async with portal_app(settings) as url, chromium() as browser:
        page = await phone_page(browser)
        sent = await page.request.post(
            f"{url}/phan-anh/van-ban/{quote(gone)}/gui",
            form={"name": NAME, "contact": CONTACT, "text": "Khác", "kind": "report",
                  "consent": "yes"},
        )  # fmt: skip
        assert sent.status == 404
        assert "không nhận kiến nghị" in await sent.text()

        async def refused() -> bool:
            found = await asyncio.to_thread(records.tracked, stranded.tracking_code)
            return found is not None and found.refused is not None

        await until("the forwarder to give the row up", refused)
        assert await asyncio.to_thread(records.pending) == 0
        await page.goto(f"{url}/phan-anh/tra-cuu?ma={stranded.tracking_code}")
        found = page.locator(f"section[data-tracking-code='{stranded.tracking_code}']")
        await expect(found).to_have_attribute("data-state", "refused")
        await expect(found).to_contain_text("Không chuyển được đến cơ quan xử lý")
        await expect(found).to_contain_text("không còn nhận kiến nghị, phản ánh")
        await no_personal_data(page)
        audit = await phone_page(browser, script=True)
        await audit.goto(page.url)
        await assert_accessible(audit)
