"""The public portal SIGKILLed in the middle of a burst of comments loses none and counts none
twice: a real ``legisflow portal`` process on SQLite (one process, and two) and on a real
PostgreSQL; citizens who send again until they get a receipt (as the error page asks); the
portal killed once enough receipts are out and started again on the same port. Every
receipt's code then finds its comment, each submission is in the database exactly once, and
sending a comment again gives the code of its first receipt. Nothing here depends on how
fast the machine is: the kill waits for a count of receipts, every wait is on a condition."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from localdev.portal_process import PortalProcess, portal_env
from models.public_consultation import IntakeOpening, SpeaksFor
from public_records.comments import PublicComments
from tests.adapters.servers import free_port
from tests.conftest import Temporal

SUBMISSIONS = 300
CLIENTS = 20
#: The portal is killed once this many receipts have reached their citizens.
KILL_AFTER = 50
#: How long one submission may go without a receipt before the test gives up on it.
GIVE_UP_SECONDS = 120.0
CODE = re.compile(r'data-tracking-code="([A-Z0-9-]+)"')
#: What the receipt says when the comment had been received before (receipt.html).
SENT_BEFORE = "Bạn đã gửi đúng góp ý này trước đây"
GROUPS = list(SpeaksFor)


@pytest.fixture(params=["sqlite", "postgresql", "sqlite-2-workers"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, int]:
    """The database's URL, and how many processes serve the portal: with two, the one
    killed may hold SQLite's turn to write (``public_records/database.py``)."""
    if request.param.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'public.sqlite3'}", 2 if "2" in request.param else 1
    url: str = request.getfixturevalue("postgres_url")
    return url, 1


@dataclass
class Citizen:
    """One submission and what became of it."""

    form: dict[str, str]
    codes: list[str] = field(default_factory=list)
    #: Attempts that got no receipt (connection cut, refused, server error).
    failed: int = 0
    #: The receipt said the comment had been received before: an attempt whose receipt
    #: never arrived (the portal killed after its commit) had kept it.
    sent_before: bool = False


def citizen(run: str, i: int) -> Citizen:
    return Citizen(
        form={
            "name": f"Người góp ý {i}",
            "contact": f"0912{i:06d}",
            "text": f"Góp ý số {i} ({run}): đề nghị ghi rõ thời hạn trả lời tại Điều {i % 9 + 1}.",
            "article": str(i % 9 + 1),
            "speaks_for": GROUPS[i % len(GROUPS)].value,
            "consent": "yes",
            "website": "",
        }
    )


async def send_until_received(http: httpx.AsyncClient, path: str, who: Citizen) -> str:
    """Send the same comment until a receipt comes back, as the error page asks; its code."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GIVE_UP_SECONDS
    while True:
        try:
            r = await http.post(path, data=who.form)
        except httpx.TransportError:
            r = None
        found = CODE.search(r.text) if r is not None and r.status_code == 200 else None
        if found is not None:
            assert r is not None
            who.sent_before = SENT_BEFORE in r.text
            return found.group(1)
        if r is not None and r.status_code < 500:
            raise AssertionError(f"refused ({r.status_code}): {r.text[:500]}")
        who.failed += 1
        assert loop.time() < deadline, f"no receipt within {GIVE_UP_SECONDS:.0f}s: {who.form}"
        await asyncio.sleep(0.05)  # back off a little; the portal is being restarted


async def test_a_portal_killed_mid_burst_loses_no_comment_and_counts_none_twice(
    env: Temporal, database: tuple[str, int], tmp_path: Path
) -> None:
    database_url, workers = database
    records = PublicComments.at(database_url)
    run = uuid.uuid4().hex[:8]
    case_id = f"so-xd-daklak:kill-{run}"
    records.open_intake(
        IntakeOpening(case_id=case_id, title="Quy định về bến xe khách", agency="so-xd-daklak")
    )
    port = free_port()
    url, path = f"http://127.0.0.1:{port}", f"/du-thao/{case_id}/gop-y"
    portal = PortalProcess(
        env=portal_env(
            env.address,
            tmp_path,
            database_url,
            port,
            LEGISFLOW_PORTAL_WORKERS=str(workers),
            LEGISFLOW_PORTAL_COMMENTS_PER_MINUTE="1000000",
        ),
        log=tmp_path / "portal.log",
    )
    citizens = [citizen(run, i) for i in range(SUBMISSIONS)]
    waiting = list(reversed(citizens))
    received = 0
    enough = asyncio.Event()

    async def client() -> None:
        nonlocal received
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
            while waiting:
                who = waiting.pop()
                who.codes.append(await send_until_received(http, path, who))
                received += 1
                if received >= KILL_AFTER:
                    enough.set()

    portal.start()
    try:
        await portal.serving(url)
        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await asyncio.wait_for(enough.wait(), timeout=120)
        portal.kill()
        received_at_kill = received
        portal.start()  # the same port: the citizens' next attempts reach it once it listens
        await portal.serving(url)
        await asyncio.gather(*clients)

        # Every citizen sends the same comment once more: the code of the first receipt.
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for who in citizens:
                r = await http.post(path, data=who.form)
                found = CODE.search(r.text)
                assert r.status_code == 200, r.text[:500]
                assert found is not None, r.text[:500]
                assert SENT_BEFORE in r.text
                who.codes.append(found.group(1))
    finally:
        portal.stop()

    assert received_at_kill < SUBMISSIONS, "the kill came after the burst"
    interrupted = [w for w in citizens if w.failed]
    assert interrupted, "no submission was cut by the kill"
    for who in citizens:
        assert who.codes[0] == who.codes[1], f"a new code when sent again: {who.form}"
    codes = [who.codes[0] for who in citizens]
    assert len(set(codes)) == SUBMISSIONS
    for who, code in zip(citizens, codes, strict=True):
        tracked = records.tracked(code)
        assert tracked is not None, f"a receipt's code finds nothing: {code}"
        assert (tracked.case_id, tracked.text) == (case_id, who.form["text"])
    counts = records.counts(case_id)
    assert counts.received == SUBMISSIONS
    assert counts.by_group == {g.value: SUBMISSIONS // len(GROUPS) for g in GROUPS}
    with records.db.transaction() as cur:
        cur.execute(
            "SELECT contact, COUNT(*) FROM public_comments WHERE case_id = ? GROUP BY contact",
            (case_id,),
        )
        per_contact = dict(cur.fetchall())
    assert per_contact == {who.form["contact"]: 1 for who in citizens}
    kept_unanswered = sum(w.sent_before for w in citizens)
    print(
        f"\nkilled after {received_at_kill} receipts; {len(interrupted)} submissions cut and "
        f"sent again ({sum(w.failed for w in citizens)} attempts without a receipt), "
        f"{kept_unanswered} of them kept by the attempt whose receipt was lost"
    )
