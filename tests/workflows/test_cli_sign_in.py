"""Signing in from the command line, as an official would: an account made by the
administrator, `login` with the password on standard input, then decisions taken as that
person; without a session, with a wrong password, or with the old `--as`, nothing is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from client.cases import status
from client.ops import audit_lines
from tests.conftest import Harness
from tests.workflows.cli_harness import LEGISFLOW, Run, legisflow

PASSWORD = "mat-khau-cua-an-2026"


async def with_stdin(cli_env: dict[str, str], text: str, *args: str) -> Run:
    proc = await asyncio.create_subprocess_exec(
        LEGISFLOW,
        *args,
        env=cli_env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(text.encode()), timeout=180)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def test_an_official_signs_in_and_acts_as_themself_only(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    env = {**cli_env, "LEGISFLOW_SESSION_FILE": str(tmp_path / "config" / "session.json")}
    title = ["start", "--type", "qd_ubnd_tinh", "--title", "Quy định về đăng nhập"]

    run = await legisflow(env, *title)
    assert run.code == 1
    assert "sign in first" in run.stderr
    assert "Traceback" not in run.stderr

    run = await with_stdin(env, f"{PASSWORD}\n", "users", "create", "nguyen.van.an")
    assert run.code == 0, run.stderr

    wrong = await with_stdin(env, "not-the-password\n", "login", "--user", "nguyen.van.an")
    unknown = await with_stdin(env, f"{PASSWORD}\n", "login", "--user", "khong.co.ai")
    assert wrong.code == unknown.code == 1
    assert wrong.stderr == unknown.stderr
    assert "wrong account or password" in wrong.stderr

    run = await with_stdin(env, f"{PASSWORD}\n", "login", "--user", "nguyen.van.an")
    assert run.code == 0, run.stderr
    assert "Nguyễn Văn An" in run.stdout
    run = await legisflow(env, "whoami")
    assert run.code == 0, run.stderr
    assert "nguyen.van.an" in run.stdout

    run = await legisflow(env, *title)
    assert run.code == 0, run.stderr
    case_id = run.stdout.strip()
    draft = tmp_path / "du-thao.md"
    draft.write_text("Dự thảo", encoding="utf-8")
    run = await legisflow(
        env, "act", "--no-interest", case_id, "open_consultation", "--file", str(draft)
    )
    assert run.code == 0, run.stderr
    st = await status(harness.client, case_id)
    assert st.stage == "consultation"
    assert "nguyen.van.an" in (await audit_lines(harness.client, case_id))[-1]

    run = await legisflow(
        env, "act", "--no-interest", case_id, "close_consultation", "--as", "le.thi.binh"
    )
    assert run.code == 1
    assert "--as le.thi.binh is no longer accepted" in run.stderr

    run = await legisflow(env, "logout")
    assert run.code == 0
    run = await legisflow(env, "act", "--no-interest", case_id, "close_consultation")
    assert run.code == 1
    assert "sign in first" in run.stderr
    assert (await status(harness.client, case_id)).stage == "consultation"
