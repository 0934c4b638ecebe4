"""An issue sent up for direction in the workspace, in real Chromium: the drafter raises it
from the case page (a form without two options is refused in place), the Chủ tịch finds it in
the inbox and gives the direction, and the drafter reads it on the case page and in the trail.
The same through the JSON API for an agency's own system. Real legal days: the 7 working days
for the direction never pass during the test."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from playwright.async_api import expect

from client.cases import start_case
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_case_life import person
from tests.web.test_workspace import OUTSIDER, PASSWORD

expect.set_options(timeout=60_000)
DRAFTER = "nguyen.van.an"
CHAIR = "bui.van.khoa"
QUESTION = "Có thu phí sử dụng vỉa hè đối với hộ kinh doanh không?"


async def _token(http: httpx.AsyncClient, who: str) -> dict[str, str]:
    signed = await http.post("/api/sign-in/sessions", json={"person": who, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {base64.urlsafe_b64encode(signed.content).decode()}"}


async def test_an_issue_goes_up_and_comes_back_in_the_workspace(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định quản lý vỉa hè (xin ý kiến chỉ đạo)",
            starter=DRAFTER,
            slug="issue-web",
        ),
        task_queue=harness.settings.task_queue,
    )
    case_id = handle.id
    accounts = tmp_path / "accounts.json"
    for who in (DRAFTER, CHAIR, OUTSIDER):
        AccountStore(accounts).create(who, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        drafter = await person(browser, url, DRAFTER)
        await drafter.goto(f"{url}/ho-so/{case_id}")
        form = drafter.locator("form", has=drafter.locator("button[data-action=raise_issue]"))
        await drafter.get_by_text("Xin ý kiến chỉ đạo về vấn đề còn ý kiến khác nhau").click()
        await form.get_by_label("Vấn đề (bắt buộc)").fill(QUESTION)
        await form.get_by_label("Các phương án").fill("Thu phí")  # one option only
        await form.locator("button[data-action=raise_issue]").click()
        await expect(drafter.get_by_role("alert")).to_contain_text("Cần ít nhất 2 phương án")
        # Nothing typed is lost: the form is open again with the question in it.
        await expect(form.get_by_label("Vấn đề (bắt buộc)")).to_have_value(QUESTION)
        await form.get_by_label("Các phương án").fill("Thu phí theo m²\nKhông thu phí\n")
        await form.get_by_label("Đề xuất").fill("Thu phí theo m² từ năm 2027")
        await form.locator("button[data-action=raise_issue]").click()
        await expect(drafter.get_by_role("status")).to_contain_text("vấn đề 1")
        issue = drafter.locator("li[data-issue='1']")
        await expect(issue).to_contain_text(QUESTION)
        await expect(issue).to_contain_text("Đang chờ ý kiến chỉ đạo của Chủ tịch Ủy ban")
        await assert_accessible(drafter)

        chair = await person(browser, url, CHAIR)
        row = chair.locator(f"[data-case-id='{case_id}']")
        await expect(row).to_contain_text(f"Cho ý kiến chỉ đạo: vấn đề 1 — {QUESTION}")
        await row.get_by_role("link").click()
        direct = chair.locator("form[data-issue='1']")
        await direct.get_by_label("Không thu phí").check()
        await direct.get_by_label("Ý kiến chỉ đạo (bắt buộc)").fill(
            "Không thu phí trong năm đầu; đánh giá lại sau một năm"
        )
        await direct.get_by_label("không có xung đột lợi ích").check()
        await assert_accessible(chair)
        await direct.locator("button[data-action=give_direction]").click()
        await expect(chair.get_by_role("status")).to_contain_text("vấn đề 1")

        await drafter.goto(f"{url}/ho-so/{case_id}")
        settled = drafter.locator("li[data-issue='1']")
        await expect(settled).to_contain_text("Không thu phí trong năm đầu")
        await expect(settled).to_contain_text("Bùi Văn Khoa")
        await expect(settled.locator("li", has_text="Không thu phí")).to_contain_text("(được chọn)")
        trail = drafter.locator("section[aria-labelledby=trail-h]")
        await expect(trail).to_contain_text("Cho ý kiến chỉ đạo")
        await expect(trail).to_contain_text("Xin ý kiến chỉ đạo")

        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            mine = await _token(http, DRAFTER)
            order = {"question": "Phạm vi áp dụng", "options": ["Toàn tỉnh", "Đô thị loại I"]}
            raised = await http.post(f"/api/v1/issues/{case_id}", json=order, headers=mine)
            assert raised.status_code == 200, raised.text
            assert raised.json()["number"] == 2
            outsider = await _token(http, OUTSIDER)
            hidden = await http.post(f"/api/v1/issues/{case_id}", json=order, headers=outsider)
            assert hidden.status_code == 404
            wrong = await http.post(
                f"/api/v1/directions/2/{case_id}", json={"direction": "Toàn tỉnh"}, headers=mine
            )
            assert wrong.status_code == 409
            assert wrong.json()["code"] == "wrong_role"
            spec = (await http.get("/api/openapi.json")).json()
            assert {"/api/v1/issues/{case_id}", "/api/v1/directions/{number}/{case_id}"} <= set(
                spec["paths"]
            )
