"""``legisflow dev`` as a new user runs it: it starts the Temporal dev server, a worker and the
workspace, prints the workspace's address and whom to sign in as, and the printed account
signs in there in a real browser; SIGTERM stops it all cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from playwright.async_api import expect

from localdev.devserver import free_port
from tests.web.browser import chromium

expect.set_options(timeout=60_000)
#: Bounds on a slow machine, never a verdict on its speed.
START_SECONDS = 180.0
PASSWORD = "mat-khau-demo-2026"


async def _line_matching(out: asyncio.StreamReader, pattern: str, seen: list[str]) -> str:
    while True:
        raw = await out.readline()
        if not raw:
            raise AssertionError("legisflow dev stopped; it printed:\n" + "".join(seen))
        line = raw.decode()
        seen.append(line)
        if re.search(pattern, line):
            return line


async def test_dev_serves_the_workspace_and_says_whom_to_sign_in_as(tmp_path: Path) -> None:
    web_port = free_port()
    env = os.environ | {
        "LEGISFLOW_DATA_DIR": str(tmp_path / "data"),
        "LEGISFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "LEGISFLOW_UI_PORT": str(free_port()),
        "LEGISFLOW_WEB_PORT": str(web_port),
        "LEGISFLOW_DEMO_PASSWORD": PASSWORD,
        "LEGISFLOW_LOG_FORMAT": "console",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    cli = Path(sys.executable).parent / "legisflow"
    proc = await asyncio.create_subprocess_exec(
        str(cli), "dev", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        line = await asyncio.wait_for(
            _line_matching(proc.stdout, r"workspace: http://", seen), START_SECONDS
        )
        url = line.split("workspace: ", 1)[1].strip()
        assert url == f"http://127.0.0.1:{web_port}"
        accounts = await asyncio.wait_for(
            _line_matching(proc.stdout, r"Worker running", seen), START_SECONDS
        )
        assert accounts
        printed = "".join(seen)
        assert PASSWORD in printed
        assert "tran.van.cuong" in printed  # the drafting head, by the role's label
        assert "Lãnh đạo cơ quan chủ trì soạn thảo" in printed

        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(url)
            await page.get_by_label("Tài khoản").fill("tran.van.cuong")
            await page.get_by_label("Mật khẩu").fill(PASSWORD)
            await page.get_by_role("button", name="Đăng nhập").click()
            await expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
            await expect(page.get_by_text("Trần Văn Cường")).to_be_visible()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stdout.read(), START_SECONDS)
        seen.append(rest.decode())
        code = await asyncio.wait_for(proc.wait(), START_SECONDS)
    assert code == 0, "".join(seen)
    assert "Stopped the worker, the workspace and the dev server." in "".join(seen)
