"""A production CLI holds no key: it signs in at the deployment's sign-in service (the web
app, ``legisflow web``) and asks it for the proof of each decision. Here the service runs
for real (uvicorn on loopback) with its own data dir, key and accounts; the CLI runs with
``LEGISFLOW_SIGN_IN_URL`` and a data dir of its own, and never makes or reads a key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from client.cases import status
from client.ops import audit_lines
from identity.accounts import AccountStore
from settings import Settings
from tests.conftest import Harness, Temporal
from tests.web.browser import web_app
from tests.workflows.cli_harness import legisflow
from tests.workflows.test_cli_sign_in import with_stdin

PASSWORD = "mat-khau-cua-binh-2026"


@asynccontextmanager
async def sign_in_service(data_dir: Path, identity: Path, temporal: str) -> AsyncIterator[str]:
    """The web app on a loopback port, with its key and accounts under ``identity``, the
    document store of ``data_dir`` (the one the CLI uploads to) and the Temporal server at
    ``temporal``; yields its address."""
    settings = Settings(
        temporal_address=temporal,
        data_dir=data_dir,
        signing_key_file=identity / "signing-key.pem",
        accounts_file=identity / "accounts.json",
    )
    async with web_app(settings) as url:
        yield url


async def test_the_cli_signs_in_and_proves_through_the_service_without_a_key(
    env: Temporal, cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    service = tmp_path / "service"
    accounts = AccountStore(service / "accounts.json")
    accounts.create("le.thi.binh", PASSWORD, by="test")
    mine = tmp_path / "cli"
    async with sign_in_service(harness.settings.data_dir, service, env.address) as url:
        shell = {
            **cli_env,
            "LEGISFLOW_SIGN_IN_URL": url,
            "LEGISFLOW_SIGNING_KEY_FILE": str(mine / "no-key-here.pem"),
            "LEGISFLOW_SESSION_FILE": str(mine / "config" / "session.json"),
        }
        wrong = await with_stdin(shell, "not-it\n", "login", "--user", "le.thi.binh")
        unknown = await with_stdin(shell, f"{PASSWORD}\n", "login", "--user", "khong.co.ai")
        assert wrong.code == unknown.code == 1
        assert wrong.stderr == unknown.stderr
        assert "wrong account or password" in wrong.stderr

        run = await with_stdin(shell, f"{PASSWORD}\n", "login", "--user", "le.thi.binh")
        assert run.code == 0, run.stderr
        run = await legisflow(shell, "whoami")
        assert run.code == 0, run.stderr
        assert "le.thi.binh" in run.stdout

        run = await legisflow(
            shell, "start", "--type", "qd_ubnd_tinh", "--title", "Quy định ký qua dịch vụ"
        )
        assert run.code == 0, run.stderr
        case_id = run.stdout.strip()
        draft = tmp_path / "du-thao.md"
        draft.write_text("# Dự thảo\n", encoding="utf-8")
        run = await legisflow(
            shell, "act", "--no-interest", case_id, "open_consultation", "--file", str(draft)
        )
        assert run.code == 0, run.stderr
        assert "consultation" in run.stdout

        st = await status(harness.client, case_id)
        assert st.stage == "consultation"
        [line] = [x for x in await audit_lines(harness.client, case_id) if "open_consultation" in x]
        assert "le.thi.binh" in line

        # The service refuses a proof for someone else, and a session it did not issue.
        async with httpx.AsyncClient() as http:
            session = (mine / "config" / "session.json").read_text(encoding="utf-8")
            forged = session.replace("le.thi.binh", "bui.van.khoa")
            r = await http.post(
                f"{url}/api/sign-in/whoami", content=forged,
                headers={"content-type": "application/json"},
            )  # fmt: skip
            assert r.status_code == 401
            assert "sign in first" in r.json()["detail"]

        # Disabled at the service, the session no longer gets proofs.
        accounts.set_disabled("le.thi.binh", True, by="test")
        run = await legisflow(shell, "act", case_id, "close_consultation")
        assert run.code == 1, run
        assert "disabled" in run.stderr

    # The CLI never made a key of its own; the service's is the only one.
    assert not (mine / "no-key-here.pem").exists()
    assert not (harness.settings.identity_dir / "signing-key.pem").exists()
    assert (service / "signing-key.pem").exists()
