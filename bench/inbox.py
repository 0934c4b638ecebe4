"""The workspace's inbox and case page under load, measured from outside (HTTP).

    .venv/bin/python -m bench.inbox --cases 10000 --users 20 --requests 400 [--json PATH]

Starts its own dev server and worker, starts ``--cases`` drafting cases (one in 500 drafted
by two departments of Đắk Lắk, the rest by a commune of the province), starts ``legisflow
web`` as a separate process against them, and has ``--users`` distinct people of the
province's agencies (none of a commune) load their inbox (the measured drafter of Sở Xây
dựng first) and a case page over HTTP. Reports p50/p95 latency, the Temporal calls per page
view (visibility lists, cases read), the CPU the dev server spent per page view, and what
each kind of call costs on its own. The baseline, measured in the same run: the first
version's inbox, which asked every running case for its status (``--baseline-requests``
page views by one user).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench import cancel_on_sigterm, report, run_benchmark
from client.cases import start_case, status
from client.inbox import Seeker, _running_of, overview
from client.proofs import AttachProofs
from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signing_key import SigningKey, load_or_create
from localdev.devserver import find_binary, free_port, tuning_flags
from localdev.stand_in import stand_in_signer
from models.actors import load_directory
from models.registry import load_registry
from models.starting import StartRequest
from settings import Settings
from web.cookies import COOKIE
from worker import build_worker
from workflows import search_attributes as sa

USER = "le.thi.binh"  # a drafter of Sở Xây dựng
MINE_EVERY = 500  # one case in this many is drafted by the measured people's departments
#: Who starts the measured people's cases (Sở Xây dựng, Sở Nông nghiệp tỉnh Đắk Lắk), and
#: the bulk of the cases: decisions of the commune of Hòa Phú, none of whose people (nor of
#: any commune) are measured.
MEASURED_STARTERS = ("nguyen.van.an", "dinh.thi.hoa")
BULK, BULK_TYPE = "quach.van.son", "qd_ubnd_xa"


def _cpu_seconds(name: str = "temporal") -> float:
    """CPU seconds (user + system) of the processes named ``name`` (the dev server)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        if comm == name:
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _cookie(key: SigningKey, person: str) -> str:
    """The workspace's session cookie for ``person``, as signing in would set it."""
    session = open_session(key, person, AccountKind.PERSON)
    return base64.urlsafe_b64encode(session.model_dump_json().encode()).decode()


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _summary(ms: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(ms), 1), "p95": round(_pct(ms, 95), 1)}


async def _start_cases(client: Client, n: int, task_queue: str, day: float) -> list[str]:
    directory, registry = load_directory(), load_registry()
    provincial, communal = registry.get("qd_ubnd_tinh"), registry.get(BULK_TYPE)
    ids: list[str] = []
    gate = asyncio.Semaphore(32)
    tag = uuid.uuid4().hex[:6]

    async def one(i: int) -> None:
        # The bulk at a commune; one in MINE_EVERY drafted by the province's departments,
        # whose people are the measured users.
        mine = i % MINE_EVERY == 0
        starter = MEASURED_STARTERS[(i // MINE_EVERY) % 2] if mine else BULK
        async with gate:
            handle = await start_case(
                client,
                directory,
                StartRequest(
                    definition=provincial if mine else communal,
                    title=f"Quy định thử tải hộp việc số {i}",
                    starter=starter,
                    slug=f"hop-viec-{tag}-{i}",
                    legal_day_seconds=day,
                ),
                task_queue=task_queue,
            )
        ids.append(handle.id)
        if len(ids) % 1000 == 0:
            print(f"  {len(ids)} cases started", flush=True)

    await asyncio.gather(*(one(i) for i in range(n)))
    return ids


async def _settled(client: Client, ids: list[str], sample: int = 200) -> None:
    """Until the worker has run every case's first steps (their notifications sent): a
    spread sample of cases answers with nothing pending. Measuring before would measure the
    start-up backlog, not the inbox."""
    step = max(1, len(ids) // sample)
    for case_id in ids[::step]:
        while True:
            try:
                if (await status(client, case_id)).pending_effects == 0:
                    break
            except (RPCError, WorkflowQueryFailedError):
                pass  # not served yet: the worker is still working through the starts
            await asyncio.sleep(1)


async def _load(
    url: str,
    cookies: list[str],
    paths: list[str],
    users: int,
    requests: int,
    think: float = 0.0,
) -> tuple[list[float], int]:
    """``requests`` GETs spread over ``users`` concurrent clients (user i signed in with
    ``cookies[i]``), each waiting ``think`` seconds after each answer, their first requests
    spread over one such pause (0: a closed loop, as fast as the server answers); latencies
    in ms."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(paths[i % len(paths)])
    latencies: list[float] = []
    failures = 0

    async def user(i: int) -> None:
        nonlocal failures
        cookie = cookies[i % len(cookies)]
        await asyncio.sleep(think * i / users)
        async with httpx.AsyncClient(base_url=url, cookies={COOKIE: cookie}, timeout=120) as http:
            while not queue.empty():
                path = queue.get_nowait()
                t = time.perf_counter()
                r = await http.get(path)
                latencies.append((time.perf_counter() - t) * 1000)
                failures += r.status_code != 200
                if think:
                    await asyncio.sleep(think)

    await asyncio.gather(*(user(i) for i in range(users)))
    return latencies, failures


async def run(args: argparse.Namespace) -> dict[str, object]:
    cancel_on_sigterm()
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "signing-key.pem"
        key = load_or_create(key_file)
        server = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(find_binary("temporal")),
            search_attributes=sa.ALL,
            dev_server_extra_args=tuning_flags(persisted=False),
            data_converter=pydantic_data_converter,
            interceptors=[AttachProofs(stand_in_signer(key))],
            dev_server_log_level="error",
        )
        with ThreadPoolExecutor(16) as ex:
            async with server as env:
                client = env.client
                settings = Settings(
                    task_queue=f"bench-{uuid.uuid4().hex[:6]}",
                    data_dir=Path(tmp),
                    signing_key_file=key_file,
                )
                async with build_worker(client, settings, ex):
                    t = time.perf_counter()
                    ids = await _start_cases(client, args.cases, settings.task_queue, args.day)
                    print(
                        f"{len(ids)} cases started in {time.perf_counter() - t:.0f} s", flush=True
                    )
                    await _settled(client, ids)
                    print(f"and settled after {time.perf_counter() - t:.0f} s", flush=True)
                    mine = [c for c in ids if c.startswith("so-xd-daklak:")]
                    provincial = sum(
                        c.split(":")[0] in ("so-xd-daklak", "so-nn-daklak") for c in ids
                    )
                    address = env.client.service_client.config.target_host
                    port = free_port()
                    # What the web process says (its errors, were it to die) is kept.
                    web_log = args.web_log.open("ab")
                    web = await asyncio.create_subprocess_exec(
                        str(Path(sys.executable).parent / "legisflow"),
                        "web",
                        env=os.environ
                        | {
                            "LEGISFLOW_TEMPORAL_ADDRESS": address,
                            "LEGISFLOW_TASK_QUEUE": settings.task_queue,
                            "LEGISFLOW_DATA_DIR": tmp,
                            "LEGISFLOW_SIGNING_KEY_FILE": str(key_file),
                            "LEGISFLOW_WEB_PORT": str(port),
                            "LEGISFLOW_LOG_LEVEL": "WARNING",
                        },
                        stdout=web_log,
                        stderr=web_log,
                    )
                    url = f"http://127.0.0.1:{port}"
                    try:
                        async with httpx.AsyncClient(base_url=url) as http:
                            for _ in range(600):
                                try:
                                    if (await http.get("/healthz")).status_code == 200:
                                        break
                                except httpx.TransportError:
                                    pass
                                await asyncio.sleep(0.1)
                        # Distinct people, as in an agency: the measured drafter first,
                        # then everyone else in the directory with a role.
                        communes = {
                            a.id for a in load_directory().agencies if "/" in (a.jurisdiction or "")
                        }
                        people = [USER] + [
                            p.id
                            for p in load_directory().people
                            if p.roles and p.id != USER and p.agency not in communes
                        ]
                        cookies = [_cookie(key, p) for p in people[: args.users]]
                        cookie = cookies[0]
                        seeker = Seeker.of(load_directory(), USER)
                        listed = await overview(client, seeker, settings.task_queue)
                        queries = len({i.case_id for i in listed.mine + listed.waiting})
                        print(f"inbox: {len(listed.mine)} items; {queries} cases read per view")
                        costs = await _call_costs(client, seeker, settings.task_queue, mine[0])
                        await _load(url, cookies, ["/"], len(cookies), len(cookies))  # warm up

                        cpu = _cpu_seconds()
                        t = time.perf_counter()
                        inbox_ms, inbox_failed = await _load(
                            url, cookies, ["/"], args.users, args.requests
                        )
                        inbox_wall = time.perf_counter() - t
                        print(f"closed loop: {len(inbox_ms)} inbox views", flush=True)
                        inbox_cpu = (_cpu_seconds() - cpu) / args.requests
                        # People read what they open: each user pauses ``--think`` seconds.
                        thinking_ms, _ = await _load(
                            url, cookies, ["/"], args.users, args.requests, args.think
                        )
                        print(f"pausing users: {len(thinking_ms)} inbox views", flush=True)
                        case_paths = [f"/ho-so/{c}" for c in mine]
                        case_ms, case_failed = await _load(
                            url, [cookie], case_paths, args.users, args.requests
                        )

                        print(f"case pages: {len(case_ms)} views", flush=True)
                        result: dict[str, object] = {
                            "command": " ".join(["python -m bench.inbox", *sys.argv[1:]]),
                            "cases": args.cases,
                            "users": args.users,
                            "distinct_people": len(cookies),
                            "cases_of_the_measured_peoples_departments": provincial,
                            "inbox_items": len(listed.mine),
                            # Each read case costs a describe, and a query only if it changed
                            # since the workspace read it (``client/status_cache.py``); one
                            # list for the drafting cases, one for the feedback cases.
                            "cases_read_per_inbox_view": queries,
                            "visibility_lists_per_inbox_view": 2,
                            "inbox_ms": {
                                "p50": round(statistics.median(inbox_ms), 1),
                                "p95": round(_pct(inbox_ms, 95), 1),
                            },
                            "inbox_views_per_s": round(args.requests / inbox_wall, 1),
                            f"inbox_ms_users_pausing_{args.think:g}s": _summary(thinking_ms),
                            "inbox_failed": inbox_failed,
                            "server_cpu_ms_per_inbox_view": round(inbox_cpu * 1000, 2),
                            "case_page_ms": {
                                "p50": round(statistics.median(case_ms), 1),
                                "p95": round(_pct(case_ms, 95), 1),
                            },
                            "case_failed": case_failed,
                            "temporal_call_costs": costs,
                        }
                        # Kept before the baseline, which takes minutes.
                        report(result, args.json)
                        # The baseline: the first version's inbox asked every running case.
                        base_ms: list[float] = []
                        answered = 0
                        for _ in range(args.baseline_requests):
                            t = time.perf_counter()
                            answered = await _all_statuses(client, settings.task_queue)
                            base_ms.append((time.perf_counter() - t) * 1000)
                        result["baseline_every_case_queried_ms_p50"] = round(
                            statistics.median(base_ms), 1
                        )
                        result["baseline_cases_answered"] = answered
                        result["ratio_baseline_over_inbox_p50"] = round(
                            statistics.median(base_ms) / statistics.median(inbox_ms), 1
                        )
                    finally:
                        web.terminate()
                        await web.wait()
    return result


async def _call_costs(
    client: Client, seeker: Seeker, task_queue: str, case_id: str, reps: int = 20
) -> dict[str, dict[str, float]]:
    """What each Temporal call an inbox view makes costs, one at a time: wall ms and the dev
    server's CPU ms per call (the worker's share of a query shows in the wall time)."""
    drafting = _running_of("LegislativeProcess", task_queue)
    agency = f"DraftingAgency = '{seeker.agency}'"
    lists = {
        "list: drafting cases awaiting the person or of their agency": (
            f"{drafting} AND (({seeker.awaited(False)}) OR ({agency}))"
        ),
        "the same, were cases without AwaitingRoles still running": (
            f"{drafting} AND (({seeker.awaited(True)}) OR ({agency}))"
        ),
        "list: the agency's feedback": f"{_running_of('FeedbackCase', task_queue)} AND {agency}",
    }

    async def listing(query: str) -> None:
        [wf.id async for wf in client.list_workflows(query)]

    async def query_status() -> None:
        await status(client, case_id)

    async def describe() -> None:
        await client.get_workflow_handle(case_id).describe()

    calls: dict[str, Callable[[], Awaitable[None]]] = {
        name: partial(listing, q) for name, q in lists.items()
    }
    calls["query: status"] = query_status
    calls["describe"] = describe
    costs = {}
    for name, call in calls.items():
        await call()
        cpu, t = _cpu_seconds(), time.perf_counter()
        for _ in range(reps):
            await call()
        costs[name] = {
            "wall_ms": round((time.perf_counter() - t) * 1000 / reps, 2),
            "server_cpu_ms": round((_cpu_seconds() - cpu) * 1000 / reps, 2),
        }
        print(f"  {name}: {costs[name]}", flush=True)
    return costs


async def _all_statuses(client: Client, task_queue: str) -> int:
    """Every running case's status, as the first inbox asked them; how many answered (a
    query not answered in 30 s is given up, as the inbox does)."""
    query = (
        "WorkflowType = 'LegislativeProcess' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{task_queue}'"
    )
    ids = [wf.id async for wf in client.list_workflows(query)]
    gate = asyncio.Semaphore(16)

    async def one(case_id: str) -> bool:
        async with gate:
            try:
                await asyncio.wait_for(status(client, case_id), 30)
                return True
            except (RPCError, WorkflowQueryFailedError, TimeoutError):
                return False

    return sum(await asyncio.gather(*(one(c) for c in ids)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--baseline-requests", type=int, default=1)
    parser.add_argument("--day", type=float, default=86400.0)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--web-log", type=Path, default=Path("bench-inbox-web.log"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report(run_benchmark(run(args)), args.json)
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
