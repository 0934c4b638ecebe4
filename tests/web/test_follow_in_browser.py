"""Issue #19's proof of following a draft by e-mail, in Chromium with JavaScript off on a
phone-sized screen: a citizen follows a draft open for comment (a refusal first, in the page,
what was typed kept), confirms from the e-mail in the outbox, and is told, once each, when the
consultation closes and when the document is adopted, published in the Công báo and enters
into force, each e-mail with the drafter's summary, the draft's link and a working unsubscribe
link. A second follower unsubscribes after the first e-mail (opening the link alone changes
nothing) and is sent nothing more; a third never confirms and is sent nothing but the
confirmation. The case is driven by ``localdev.walkthrough.walk`` on a short legal day; the
portal's own background notifier sends the e-mails. No address is in any workflow history,
and none is on any page but the one confirming what its person typed. Every page passes an
axe audit."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from playwright.async_api import Page, expect
from temporalio.client import Client

from activities.outbox import OutboxNotifier
from localdev.devserver import free_port
from localdev.walkthrough import walk
from models.actors import Directory
from models.deliveries import Notification
from models.machine import shortest_path
from models.registry import Registry
from portal.app import create_portal
from portal.follow_mail import CONFIRMATION_KIND, MILESTONE_KIND
from portal.follow_pages import FollowDesk
from public_records.comments import PublicComments
from public_records.follows import Follows, FollowState
from settings import Settings
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, workspace_settings
from tests.web.test_portal_in_browser import open_for_comment, phone_page
from tests.workflows.after_issuance import until
from web.serving import serving

expect.set_options(timeout=60_000)
DAY = 0.05  # seconds per legal day: the 30-day posting and the 10 days to entry into force
TITLE = "Quy định về bến xe khách"
SUMMARY = "Quy định giờ mở cửa của bến xe khách."
CITIZEN = "hoa.le@example.vn"
LEAVER = "minh.tran@example.vn"  # unsubscribes after the first milestone
STRANGER = "ai.do@example.vn"  # never confirms
ADDRESSES = (CITIZEN, LEAVER, STRANGER)
EMAIL_FIELD = "Địa chỉ thư điện tử nhận thông báo"
FOLLOW = "Theo dõi qua thư điện tử"


def mails(outbox: OutboxNotifier, address: str, kind: str) -> list[Notification]:
    return [
        m
        for m in outbox.list_messages()
        if m.kind == kind and [r.email for r in m.recipients] == [address]
    ]


def milestones_sent(outbox: OutboxNotifier, address: str) -> list[str]:
    return [m.key.rsplit("/", 1)[1] for m in mails(outbox, address, MILESTONE_KIND)]


def link(mail: Notification, path: str) -> str:
    found = re.search(rf"http://\S+/{path}/\S+", mail.body)
    assert found, f"no /{path}/ link in {mail.body!r}"
    return found.group(0)


async def no_address(page: Page) -> None:
    content = await page.content()
    for address in ADDRESSES:
        assert address not in content, page.url


async def history_leaks(client: Client, task_queue: str, control: str) -> list[str]:
    """The addresses found in the history of any workflow of this test's task queue (the
    case, its ledger, its consultations, its monitoring), every byte as the server keeps
    it; ``control``, text the histories do hold, proves the scan reads the payloads."""
    raw = b""
    seen = 0
    async for wf in client.list_workflows(f'TaskQueue = "{task_queue}"'):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        raw += b"".join(e.SerializeToString() for e in history.events)
        seen += 1
    assert seen >= 2, "the case and its children were not listed"
    assert control.encode() in raw, f"the scan did not see {control!r}"
    return [a for a in ADDRESSES if a.encode() in raw]


async def test_a_citizen_follows_a_draft_from_its_consultation_to_its_entry_into_force(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    stages = definition.stages
    path = shortest_path(definition, definition.initial, definition.final[0])
    closing = next(t for t in path if stages[t.source].comments and not stages[t.dest].comments)
    signing = next(t for t in path if t.requires_signature)
    publishing = next(t for t in path if stages[t.dest].publish == "cong_bao")
    case_id = await open_for_comment(harness, registry, directory, "ben-xe-theo-doi", day=DAY)
    port = free_port()
    settings = workspace_settings(env, harness, portal_public_url=f"http://127.0.0.1:{port}")
    outbox = OutboxNotifier(settings.outbox_dir)
    records = PublicComments.at(settings.database)
    follows = Follows.at(settings.database)
    apps: list[FastAPI] = []

    def portal(s: Settings) -> FastAPI:
        apps.append(create_portal(s))
        return apps[-1]

    async with serving(settings, "127.0.0.1", port, portal) as url, chromium() as browser:
        desk: FollowDesk = apps[0].state.follows
        notifier = desk.notifier  # the portal's own, started by its lifespan
        assert notifier is not None
        page = await phone_page(browser)
        await page.goto(f"{url}/du-thao/{quote(case_id)}")
        form = page.locator("section[aria-labelledby=theo-doi] form")
        await form.get_by_label(EMAIL_FIELD).fill(CITIZEN)
        # Without consent to the notice on personal data: refused in the page, address kept.
        await form.get_by_role("button", name=FOLLOW).click()
        await expect(page.get_by_role("alert")).to_contain_text("Nghị định 13/2023/NĐ-CP")
        await expect(page.get_by_label(EMAIL_FIELD)).to_have_value(CITIZEN)
        assert mails(outbox, CITIZEN, CONFIRMATION_KIND) == []

        await page.get_by_label("Tôi đồng ý nhận thư thông báo").check()
        await page.get_by_role("button", name=FOLLOW).click()
        await expect(page.get_by_role("status")).to_contain_text(CITIZEN)
        await expect(page.get_by_role("status")).to_contain_text(TITLE)
        [confirmation] = mails(outbox, CITIZEN, CONFIRMATION_KIND)
        assert confirmation.subject == f"Xác nhận theo dõi dự thảo: {TITLE}"
        assert SUMMARY in confirmation.body
        confirm_link = link(confirmation, "theo-doi/xac-nhan")
        token = confirm_link.rsplit("/", 1)[1]

        # Opening the link shows a button; only pressing it confirms.
        await page.goto(confirm_link)
        await expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        pending = follows.by_token(token)
        assert pending is not None
        assert pending.state is FollowState.PENDING
        await page.get_by_role("button", name="Xác nhận theo dõi").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã xác nhận")
        await no_address(page)

        # Two more people, by the form's plain POST: one confirms, one never does.
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            for address in (LEAVER, STRANGER):
                sent = await http.post(
                    f"/du-thao/{quote(case_id)}/theo-doi",
                    data={"email": address, "consent": "yes", "website": ""},
                )
                assert sent.status_code == 200, sent.text
            # Not an address: refused, what was typed kept.
            bad = await http.post(
                f"/du-thao/{quote(case_id)}/theo-doi",
                data={"email": "minh.tran@", "consent": "yes", "website": ""},
            )
            assert bad.status_code == 422
            assert 'role="alert"' in bad.text
            assert 'value="minh.tran@"' in bad.text
            [leaver_confirmation] = mails(outbox, LEAVER, CONFIRMATION_KIND)
            confirmed = await http.post(link(leaver_confirmation, "theo-doi/xac-nhan"))
            assert confirmed.status_code == 200

        async def told(address: str, milestone: str) -> Notification | None:
            notifier.wake()
            for m in mails(outbox, address, MILESTONE_KIND):
                if m.key.endswith(f"/{milestone}"):
                    return m
            return None

        # The consultation closes: both followers are told, with the summary and the links.
        await walk(harness.client, case_id, definition, harness.store, target=closing.dest,
                   records=records)  # fmt: skip
        closed = await until("the consultation's close told", lambda: told(CITIZEN,
                             "consultation_closed"), 60)  # fmt: skip
        assert closed.subject == f"Kết thúc lấy ý kiến: {TITLE}"
        assert f"Dự thảo «{TITLE}»" in closed.body
        assert "đã kết thúc lấy ý kiến vào ngày" in closed.body
        assert SUMMARY in closed.body
        await page.goto(link(closed, "du-thao"))
        await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        await expect(page.locator(".closed")).to_be_visible()
        left = await until("the leaver told", lambda: told(LEAVER, "consultation_closed"), 60)

        # The second follower leaves: opening the link alone changes nothing.
        await page.goto(link(left, "theo-doi/huy"))
        leaver_token = link(left, "theo-doi/huy").rsplit("/", 1)[1]
        still = follows.by_token(leaver_token)
        assert still is not None
        assert still.state is FollowState.ACTIVE
        await page.get_by_role("button", name="Ngừng nhận thư").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã ngừng theo dõi")
        await no_address(page)

        # Adopted (signed), published in the Công báo, in force.
        await walk(harness.client, case_id, definition, harness.store, target=signing.dest,
                   records=records)  # fmt: skip
        adopted = await until("the adoption told", lambda: told(CITIZEN, "adopted"), 60)
        assert adopted.subject == f"Văn bản được thông qua, ký ban hành: {TITLE}"
        await walk(harness.client, case_id, definition, harness.store,
                   target=publishing.dest, records=records)  # fmt: skip
        published = await until("the publication told", lambda: told(CITIZEN, "published"), 60)
        assert "đã được đăng Công báo" in published.body
        await walk(harness.client, case_id, definition, harness.store, records=records)
        in_force = await until("the entry into force told", lambda: told(CITIZEN, "in_force"), 60)
        assert "đã có hiệu lực" in in_force.body
        for mail in (closed, adopted, published, in_force):
            assert SUMMARY in mail.body
            assert link(mail, "theo-doi/huy") == f"{url}/theo-doi/huy/{token}"

        # A whole pass after the last e-mail: whatever was due to anyone has been sent.
        before = notifier.passes

        async def passed() -> bool:
            notifier.wake()
            return notifier.passes > before

        await until("a whole pass", passed, 60)
        everything = ["consultation_closed", "adopted", "published", "in_force"]
        assert milestones_sent(outbox, CITIZEN) == everything  # the opening came before
        assert milestones_sent(outbox, LEAVER) == ["consultation_closed"]
        assert milestones_sent(outbox, STRANGER) == []
        assert len(mails(outbox, STRANGER, CONFIRMATION_KIND)) == 1
        assert follows.milestones(case_id) == ["consultation_opened", *everything]

        # The unsubscribe link of every e-mail works: the page and its button.
        await page.goto(link(in_force, "theo-doi/huy"))
        await expect(page.get_by_role("button", name="Ngừng nhận thư")).to_be_visible()
        await no_address(page)

        # Every page audited, with the script axe needs.
        audit = await phone_page(browser, script=True)
        [stranger_mail] = mails(outbox, STRANGER, CONFIRMATION_KIND)
        for target in (
            f"{url}/du-thao/{quote(case_id)}",  # the draft's page with the form
            f"{url}/du-thao/{quote(case_id)}/theo-doi",  # the form's own page
            link(stranger_mail, "theo-doi/xac-nhan"),  # to confirm
            confirm_link,  # confirmed
            link(in_force, "theo-doi/huy"),  # to unsubscribe
            link(left, "theo-doi/huy"),  # unsubscribed
            f"{url}/theo-doi/huy/khong-co",  # a link that is not one
        ):
            await audit.goto(target)
            await assert_accessible(audit)
            wide = await audit.evaluate("document.documentElement.scrollWidth > innerWidth")
            assert not wide, f"{target} scrolls sideways on a phone"
            await no_address(audit)
        await audit.goto(f"{url}/du-thao/{quote(case_id)}/theo-doi")
        await audit.get_by_label(EMAIL_FIELD).fill(CITIZEN)
        await audit.get_by_role("button", name=FOLLOW).click()
        await expect(audit.get_by_role("alert")).to_be_visible()  # the refusal
        await assert_accessible(audit)
        await audit.get_by_label("Tôi đồng ý nhận thư thông báo").check()
        await audit.get_by_role("button", name=FOLLOW).click()
        await expect(audit.get_by_role("status")).to_be_visible()  # the confirmation sent
        await assert_accessible(audit)

    assert await history_leaks(harness.client, harness.settings.task_queue, TITLE) == []
