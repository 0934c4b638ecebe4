"""Behind the agency's reverse proxy, the portal's per-address limit counts each citizen's own
address (``X-Forwarded-For``), and only from a proxy the settings trust
(``LEGISFLOW_PORTAL_TRUSTED_PROXIES``): from anyone else the header is ignored, so nobody
chooses the address they are counted as. A real ``legisflow portal`` process, one comment a
minute per address; the three comments of each run are sent back to back, far inside the
minute."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from localdev.portal_process import PortalProcess, portal_env
from models.public_consultation import IntakeOpening
from public_records.comments import PublicComments
from settings import Settings
from tests.adapters.servers import free_port
from tests.conftest import Temporal

TITLE = "Quy định về bến xe khách"
#: Two citizens' addresses, as the proxy forwards them (TEST-NET-3, RFC 5737).
AN, BINH = "203.0.113.5", "203.0.113.6"


async def send(http: httpx.AsyncClient, path: str, n: int, forwarded_for: str) -> int:
    form = {
        "name": f"Người góp ý {n}", "contact": f"09130000{n:02d}", "consent": "yes",
        "text": f"Góp ý số {n}: đề nghị ghi rõ thời hạn trả lời hồ sơ tại Điều 2.",
        "article": "2", "speaks_for": "citizen", "website": "",
    }  # fmt: skip
    r = await http.post(path, data=form, headers={"X-Forwarded-For": forwarded_for})
    if r.status_code == 429:
        assert 'role="alert"' in r.text, r.text[:500]
    return r.status_code


@asynccontextmanager
async def portal_for_a_draft(
    env: Temporal, tmp_path: Path, **settings: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A portal process taking comments on a draft whose case is not in Temporal (as after
    its namespace's retention): a client to it and the draft's path."""
    database_url = f"sqlite:///{tmp_path / 'public.sqlite3'}"
    case_id = f"so-xd-daklak:proxy-{uuid.uuid4().hex[:8]}"
    PublicComments.at(database_url).open_intake(
        IntakeOpening(case_id=case_id, title=TITLE, agency="so-xd-daklak")
    )
    port = free_port()
    portal = PortalProcess(
        env=portal_env(env.address, tmp_path, database_url, port, **settings),
        log=tmp_path / "portal.log",
    )
    url = f"http://127.0.0.1:{port}"
    portal.start()
    try:
        await portal.serving(url)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield http, f"/du-thao/{case_id}"
    finally:
        portal.stop()


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        # The test's own connection (127.0.0.1) is the proxy: Bình is not An.
        ("127.0.0.1", [200, 200, 429]),
        # Another proxy is trusted, not this peer: all three are counted as 127.0.0.1.
        ("10.20.0.0/16", [200, 429, 429]),
    ],
)
async def test_the_limit_counts_a_forwarded_address_only_from_a_trusted_proxy(
    env: Temporal, tmp_path: Path, trusted: str, expected: list[int]
) -> None:
    async with portal_for_a_draft(
        env, tmp_path,
        LEGISFLOW_PORTAL_COMMENTS_PER_MINUTE="1", LEGISFLOW_PORTAL_TRUSTED_PROXIES=trusted,
    ) as (http, draft):  # fmt: skip
        path = f"{draft}/gop-y"
        got = [
            await send(http, path, 1, AN),
            await send(http, path, 2, BINH),
            await send(http, path, 3, AN),
        ]
    assert got == expected


async def test_a_draft_whose_case_cannot_be_read_still_shows_its_page(
    env: Temporal, tmp_path: Path
) -> None:
    async with portal_for_a_draft(env, tmp_path) as (http, draft):
        r = await http.get(draft)
    assert r.status_code == 200, r.text[:500]
    assert TITLE in r.text


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not an address or network"):
        Settings(portal_trusted_proxies="127.0.0.1, proxy.example.vn")
    with pytest.raises(ValueError, match="not an address or network"):
        Settings(portal_trusted_proxies="10.1.2.3/16")  # host bits set: uvicorn would ignore it
    assert Settings(portal_trusted_proxies="10.0.0.5, 10.1.0.0/16").portal_trusted_proxies
