"""The Chairman signs a decision in the workspace, in real Chromium (issue #20): on the case
page he downloads the text to sign, signs it with his own tool (here the demo CA's key, as a
token would), checks the signature before submitting — a file changed after signing is
refused with the reason, his own is valid — then submits it; the case shows whose
certificate signed, and the stored version is the signed file."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path

from playwright.async_api import expect

from client.cases import status
from identity.accounts import AccountStore
from models.actors import Directory
from models.registry import Registry
from signatures.demo_signers import DemoSigners
from tests.conftest import Harness, Temporal
from tests.signing import pinning_case
from tests.web.browser import assert_accessible, chromium, web_app, workspace_settings
from tests.web.test_workspace import PASSWORD, sign_in
from tests.workflows.after_issuance import DRAFTER, SIGNER

expect.set_options(timeout=60_000)


async def test_the_chairman_signs_the_decision_in_the_workspace(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "ky-so-web",
        target="signing",
        title="Quy định về quản lý chợ truyền thống (ký số)",
    )
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(SIGNER, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        page = await (await browser.new_context(accept_downloads=True)).new_page()
        await sign_in(page, url, SIGNER)
        await page.goto(f"{url}/ho-so/{case_id}")
        form = page.locator("form:has(button[data-action=sign])")
        # No demo keys outside a demo data dir: the official's own tool signs.
        await expect(form.locator("button[data-action=demo-sign-sign]")).to_have_count(0)
        async with page.expect_download() as downloading:
            await form.get_by_role("link", name="Tải về bản để ký (PDF)").click()
        downloaded = await (await downloading.value).path()
        to_sign = await asyncio.to_thread(downloaded.read_bytes)
        assert to_sign.startswith(b"%PDF-")
        signed = await signers.sign(SIGNER, to_sign, "Ký ban hành")
        forged = signed.replace(b"(legisflow)", b"(legisfloX)", 1)
        assert forged != signed
        (tmp_path / "sua.pdf").write_bytes(forged)
        (tmp_path / "da-ky.pdf").write_bytes(signed)

        # A file changed after signing: the check says why; nothing is sent.
        await form.get_by_label("Tệp PDF đã ký số của anh/chị").set_input_files(
            tmp_path / "sua.pdf"
        )
        await form.locator("button[data-action=check-signature]").click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("KHÔNG hợp lệ")
        await expect(alert).to_contain_text("nội dung đã bị sửa sau khi ký")
        await assert_accessible(page)

        # His own signed file: valid, with his certificate.
        form = page.locator("form:has(button[data-action=sign])")
        await form.get_by_label("Tệp PDF đã ký số của anh/chị").set_input_files(
            tmp_path / "da-ky.pdf"
        )
        await form.locator("button[data-action=check-signature]").click()
        report = page.locator(".signature-report")
        await expect(report).to_have_attribute("role", "status")
        await expect(report).to_contain_text("Hợp lệ / valid")
        await expect(report).to_contain_text("Người ký / signer: Bùi Văn Khoa (bui.van.khoa)")
        assert (await status(harness.client, case_id)).stage == "signing"

        # Submitted as checked, without uploading it again: the case moves on and shows
        # whose certificate signed.
        form = page.locator("form:has(button[data-action=sign])")
        await expect(form).to_contain_text("Tệp đã kiểm tra, sẽ được nộp: da-ky.pdf")
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[data-action=sign]").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã chuyển sang bước")
        await expect(page.locator("[data-signed=sign]")).to_contain_text("Bùi Văn Khoa")
        await assert_accessible(page)
    st = await status(harness.client, case_id)
    [accepted] = [s for s in st.signatures if not s.approval]
    assert accepted.document_sha256 == hashlib.sha256(signed).hexdigest()


async def test_the_director_of_justice_approves_with_his_signature_in_the_workspace(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """ "Ký, gửi báo cáo thẩm định" asks a signed approval: the Director downloads the
    decision's statement, signs it with his tool (a detached signature), uploads it and
    issues the report; someone else's signature is refused in place."""
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "phe-duyet-web",
        target="appraisal_signoff",
        title="Quy định về chợ (phê duyệt ký số)",
    )
    st = await status(harness.client, case_id)
    head = next(a for a in st.allowed if a.action == "issue_appraisal_report").actors[0]
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(head, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        page = await (await browser.new_context(accept_downloads=True)).new_page()
        await sign_in(page, url, head)
        await page.goto(f"{url}/ho-so/{case_id}")
        form = page.locator("form:has(button[data-action=issue_appraisal_report])")
        async with page.expect_download() as downloading:
            await form.get_by_role("link", name="Tải về nội dung phê duyệt").click()
        statement = await asyncio.to_thread((await (await downloading.value).path()).read_bytes)
        for who, name in ((DRAFTER, "someone-else.p7s"), (head, "phe-duyet.p7s")):
            signature = base64.b64decode(await signers.approve(who, statement))
            await asyncio.to_thread((tmp_path / name).write_bytes, signature)
        label = "Chữ ký phê duyệt (.p7s, bắt buộc)"

        await form.get_by_label(label).set_input_files(tmp_path / "someone-else.p7s")
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[data-action=issue_appraisal_report]").click()
        await expect(page.get_by_role("alert")).to_contain_text(f"chữ ký của {DRAFTER}")
        assert (await status(harness.client, case_id)).stage == "appraisal_signoff"

        form = page.locator("form:has(button[data-action=issue_appraisal_report])")
        await form.get_by_label(label).set_input_files(tmp_path / "phe-duyet.p7s")
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[data-action=issue_appraisal_report]").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã chuyển sang bước")
        await expect(page.locator("[data-signed=issue_appraisal_report]")).to_contain_text(
            directory.person(head).name
        )
        await assert_accessible(page)
    [approved] = (await status(harness.client, case_id)).signatures
    assert (approved.approval, approved.signer.person) == (True, head)


async def test_in_a_demo_data_dir_the_demo_key_signs_from_the_page(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """`legisflow dev`'s workspace has no signing tool: in a data dir with the demo's CA
    (and no deployment roots) the signing form offers "Ký bằng khóa thử nghiệm", which signs
    the text with the signed-in person's demo key and submits it. Elsewhere it is absent."""
    signers = DemoSigners.under(harness.settings.demo_ca_dir, directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "khoa-thu",
        target="signing",
        title="Quy định về chợ (khóa thử nghiệm)",
    )
    accounts = tmp_path / "accounts.json"
    AccountStore(accounts).create(SIGNER, PASSWORD, by="test")
    settings = workspace_settings(env, harness, accounts)
    async with web_app(settings) as url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await sign_in(page, url, SIGNER)
        await page.goto(f"{url}/ho-so/{case_id}")
        form = page.locator("form:has(button[data-action=sign])")
        await form.get_by_label("không có xung đột lợi ích").check()
        await form.locator("button[data-action=demo-sign-sign]").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã ký số bằng khóa thử nghiệm")
        await expect(page.locator("[data-signed=sign]")).to_contain_text("Bùi Văn Khoa")
    signed = [s for s in (await status(harness.client, case_id)).signatures if not s.approval]
    assert [s.signer.person for s in signed] == [SIGNER]
