"""Officials sign in to the workspace with their agency's identity provider, in real
Chromium against a real OpenID Connect provider (npm's oidc-provider on loopback): the
sign-in page's button leads to the provider's login and consent pages and back to the
person's inbox, signed in as the directory person the provider named. A subject the
directory does not know is refused on the sign-in page with the reason (role="alert"), and
a return address used once, or opened in another browser, signs nobody in."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect
from pydantic import SecretStr

from client.cases import start_case
from localdev.devserver import free_port
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, identity_provider
from tests.web.browser import assert_accessible, chromium, web_app
from tests.web.test_workspace import DRAFTER
from web.oidc_pages import RETURN

expect.set_options(timeout=60_000)


async def at_the_provider(page: Page, login: str) -> None:
    """What the person does on the provider's pages: log in, then consent."""
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("x")
    await page.locator("button[type=submit]").click()
    await page.locator("button[type=submit]").click()  # consent


async def test_an_official_signs_in_with_the_agencys_identity_provider(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về chợ truyền thống (OIDC)",
            starter=DRAFTER,
            slug="oidc-web",
        ),
        task_queue=harness.settings.task_queue,
    )
    port = free_port()
    async with identity_provider(f"http://127.0.0.1:{port}{RETURN}") as idp:
        settings = harness.settings.model_copy(
            update={
                "temporal_address": env.address,
                "signing_key_file": env.key_file,
                "accounts_file": tmp_path / "accounts.json",  # no legisflow accounts at all
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": SecretStr(CLIENT_SECRET),
                "oidc_web_redirect_uri": idp.redirect_uri,
            }
        )
        async with web_app(settings, port) as url, chromium() as browser:
            page = await (await browser.new_context()).new_page()
            returns: list[str] = []
            page.on("request", lambda r: returns.append(r.url) if RETURN in r.url else None)
            await page.goto(url)
            await assert_accessible(page)
            await page.get_by_role("link", name="Đăng nhập bằng tài khoản của cơ quan").click()
            await at_the_provider(page, DRAFTER)
            await expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
            assert page.url == f"{url}/"
            await expect(page.locator(".who")).to_have_text(directory.person(DRAFTER).name)
            await expect(page.locator(f"[data-case-id='{handle.id}']")).to_be_visible()
            # The session is the workspace's own: a decision on the case is the person's.
            await page.goto(f"{url}/ho-so/{handle.id}")
            await expect(page.locator("#stage")).to_have_text("Soạn thảo dự thảo")

            # The provider's answer, brought back a second time, signs nobody in.
            [answer] = returns
            again = await (await browser.new_context()).new_page()
            await again.goto(answer)
            await expect(again.get_by_role("alert")).to_contain_text("hãy đăng nhập lại")
            await again.goto(url)
            await expect(again.get_by_role("heading", name="Đăng nhập")).to_be_visible()

            # Someone the provider knows but the directory does not: refused, with why.
            stranger = await (await browser.new_context()).new_page()
            await stranger.goto(url)
            await stranger.get_by_role("link", name="Đăng nhập bằng tài khoản của cơ quan").click()
            await at_the_provider(stranger, "khong.co.trong.danh.ba")
            alert = stranger.get_by_role("alert")
            await expect(alert).to_contain_text("không có trong danh bạ")
            await expect(alert).to_contain_text("'khong.co.trong.danh.ba'")
            await assert_accessible(stranger)
            await stranger.goto(url)
            await expect(stranger.get_by_role("heading", name="Đăng nhập")).to_be_visible()
