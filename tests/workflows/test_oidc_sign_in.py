"""Signing in with a real OpenID Connect provider (npm's oidc-provider, OpenID-certified,
started here on loopback): `legisflow login --oidc` prints the provider's address, a browser
signs in there (login, then consent), the provider sends it back to the command's loopback
address, and the command keeps a session for the directory person the provider named. A
subject the provider knows but the directory does not is refused, in the browser and in the
command, with the reason."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, Idp, identity_provider
from tests.workflows.cli_harness import LEGISFLOW, legisflow


async def browser_signs_in(url: str, login: str) -> httpx.Response:
    """What a person does in the browser: the provider's login page, then its consent page;
    the last redirect lands on the command's loopback address."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as browser:
        page = await browser.get(url)
        for fields in ({"prompt": "login", "login": login, "password": "x"}, {"prompt": "consent"}):
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
            assert action is not None, page.text[:500]
            page = await browser.post(httpx.URL(str(page.url)).join(action.group(1)), data=fields)
        return page


async def login_with(cli_env: dict[str, str], idp: Idp, login: str) -> tuple[int, str, str]:
    env = {
        **cli_env,
        "LEGISFLOW_OIDC_ISSUER": idp.issuer,
        "LEGISFLOW_OIDC_CLIENT_ID": CLIENT_ID,
        "LEGISFLOW_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "LEGISFLOW_OIDC_REDIRECT_URI": idp.redirect_uri,
    }
    proc = await asyncio.create_subprocess_exec(
        LEGISFLOW,
        "login",
        "--oidc",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    url = ""
    while not url.startswith("http"):
        url = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        assert url or proc.returncode is None, "the command ended before printing the address"
    page = await browser_signs_in(url, login)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + page.text, err.decode()


async def test_a_directory_person_signs_in_with_the_identity_provider(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    cli_env = {**cli_env, "LEGISFLOW_SESSION_FILE": str(tmp_path / "session.json")}
    async with identity_provider() as idp:
        code, said, err = await login_with(cli_env, idp, "le.thi.binh")
        assert code == 0, err
        assert "signed in as Lê Thị Bình (le.thi.binh)" in said
        who = await legisflow(cli_env, "whoami")
        assert who.code == 0, who.stderr
        assert who.stdout.startswith("Lê Thị Bình (le.thi.binh)")

        code, said, err = await login_with(cli_env, idp, "khong.co.trong.danh.ba")
        assert code == 1
        assert "is not a person of legisflow's directory" in err
        assert 'role="alert"' in said
        assert "not a person of legisflow" in said
