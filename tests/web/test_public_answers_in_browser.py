"""The issue's proofs across the portal and the workspace, in Chromium: a citizen comments on
an article; a burst of near-identical comments (a campaign) reaches the officials'
workspace as one cluster with its count once the period closes; the drafter answers the
citizen's cluster there; the citizen sees the answer under the tracking code; and the
closed draft's page shows the synthesis with each group's influence."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.async_api import expect

from client.comments import comments_summary
from identity.accounts import AccountStore
from localdev.walkthrough import walk
from models.actors import Directory
from models.comments import CommentSummary
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.web.browser import (
    assert_accessible,
    chromium,
    portal_app,
    web_app,
    workspace_settings,
)
from tests.web.test_portal_in_browser import COMMENT, open_for_comment, phone_page
from tests.web.test_workspace import PASSWORD, sign_in
from tests.workflows.after_issuance import until

expect.set_options(timeout=60_000)
DAY = 0.05  # seconds per legal day: the 30-day posting is awaited (1.5 s)
DRAFTER = "nguyen.van.an"
CAMPAIGN = (
    "Chúng tôi, các hộ kinh doanh quanh bến xe, đề nghị giữ nguyên giờ đóng cửa 22 giờ vì "
    "nhiều hành khách về muộn bằng các chuyến xe cuối ngày. Người ký: {n}."
)


async def test_a_campaign_is_one_cluster_and_the_citizen_sees_the_answer(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    case_id = await open_for_comment(harness, registry, directory, "ben-xe-chien-dich", day=DAY)
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(DRAFTER, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts, portal_comments_per_minute=1000)
    async with (
        portal_app(settings) as portal,
        web_app(settings) as workspace,
        chromium() as browser,
    ):
        citizen = await phone_page(browser)
        await citizen.goto(f"{portal}/du-thao/{quote(case_id)}")
        await citizen.get_by_label("Góp ý về").select_option("2")
        await citizen.get_by_label("Nội dung góp ý").fill(COMMENT)
        await citizen.get_by_label("Họ và tên").fill("Lê Thị Hoa")
        await citizen.get_by_label("Thư điện tử hoặc số điện thoại").fill("hoa@example.vn")
        await citizen.get_by_label("Tôi đã đọc và đồng ý").check()
        await citizen.get_by_role("button", name="Gửi góp ý").click()
        code = await citizen.locator("[data-tracking-code]").get_attribute("data-tracking-code")
        assert code is not None

        # The campaign: 40 people post the same letter, each signing with their own name.
        async with httpx.AsyncClient(base_url=portal, timeout=60) as http:
            for n in range(40):
                form = {"name": f"Hộ kinh doanh {n}", "contact": f"ho{n}@example.vn",
                        "text": CAMPAIGN.format(n=n), "article": "0",
                        "speaks_for": "business", "consent": "yes", "website": ""}  # fmt: skip
                answer = await http.post(f"/du-thao/{quote(case_id)}/gop-y", data=form)
                assert answer.status_code == 200
                assert "data-tracking-code" in answer.text

        # The period ends; the case moves to the synthesis, and the ledger counts.
        synthesis = next(t for t in definition.transitions if "comments_disposed" in t.guards)
        await walk(harness.client, case_id, definition, harness.store, target=synthesis.source)

        async def counted() -> CommentSummary | None:
            s = await comments_summary(harness.client, case_id)
            return s if s.public is not None else None

        await until("the public's comments counted", counted, 60)

        official = await browser.new_page()
        await sign_in(official, workspace, DRAFTER)
        await official.goto(f"{workspace}/gop-y-cong/{case_id}")
        await expect(official.locator("#public-counts")).to_contain_text("41 lượt góp ý qua cổng")
        await expect(official.locator("#public-counts")).to_contain_text("2 nhóm nội dung")
        campaign = official.locator(".cluster").first
        await expect(campaign).to_have_attribute("data-count", "40")
        await expect(campaign).to_contain_text("Doanh nghiệp: 40")
        assert "Lê Thị Hoa" not in await official.content()
        await assert_accessible(official)

        mine = official.locator(".cluster", has_text=COMMENT)
        await expect(mine).to_contain_text("Điều 2")
        await mine.get_by_label("Kết quả").select_option("partly")
        await mine.get_by_label("Lý do, giải trình").fill("Bến xe mở cửa từ 4 giờ 30.")
        await mine.get_by_label("không có xung đột lợi ích").check()
        await mine.get_by_role("button", name="Ghi nhận cho cả nhóm").click()
        await expect(official.get_by_role("status")).to_contain_text("còn 1 nhóm chưa giải trình")
        # What the appraiser reads too: each group's comments and how they were answered.
        citizens = official.locator("#influence tr", has_text="Cá nhân, người dân")
        await expect(citizens.locator("td")).to_have_text(["1", "0", "1", "0", "0"])
        business = official.locator("#influence tr", has_text="Doanh nghiệp")
        await expect(business.locator("td")).to_have_text(["40", "0", "0", "0", "40"])

        await citizen.goto(f"{portal}/tra-cuu?ma={code}")
        outcome = citizen.locator(f"section[data-tracking-code='{code}'] .outcome")
        await expect(outcome).to_contain_text("Tiếp thu một phần")
        await expect(citizen.locator(f"section[data-tracking-code='{code}']")).to_contain_text(
            "Bến xe mở cửa từ 4 giờ 30."
        )

        await citizen.goto(f"{portal}/du-thao/{quote(case_id)}")
        await expect(citizen.locator(".closed")).to_be_visible()
        table = citizen.locator(".synthesis table")
        await expect(table.locator("tr", has_text="Doanh nghiệp")).to_contain_text("40")
        answered = citizen.locator(".synthesis li", has_text=COMMENT)
        await expect(answered).to_contain_text("Tiếp thu một phần: Bến xe mở cửa từ 4 giờ 30.")
        page_text = await citizen.content()
        assert "Lê Thị Hoa" not in page_text
        assert "ho7@example.vn" not in page_text
        audit = await phone_page(browser, script=True)
        await audit.goto(f"{portal}/du-thao/{quote(case_id)}")
        await assert_accessible(audit)
