"""Several worker hosts (issue #21): ``legisflow worker`` processes, each in its own network
namespace, reaching one dev server over virtual links (``localdev/netns.py``), share the
cases; one host's link is cut mid-run and later restored, another host is SIGKILLed. Every
case must end as an uninterrupted run of its variant did: no case lost, no notification or
stored version duplicated, no workflow task failed on nondeterminism
(``tests/workflows/fleet.py``).

Needs root and iproute2 (``ip netns``, veth): without them the tests fail, they do not skip.
The proof at scale is the fleet test with more hosts and cases: ``python -m bench.fleet``
sets the ``LEGISFLOW_FLEET_*`` variables below (BENCHMARKS.md, "Worker fleet across network
namespaces").
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import temporalio

import localdev.netns as netns
from localdev.netns import NetnsError, Network, namespaces, remove_stale
from models.actors import Directory
from models.registry import Registry
from tests.workflows.durability import (
    Plan,
    Reference,
    run_references,
    spread,
    staffed_variants,
)
from tests.workflows.fleet import PHASES, fleet, fleet_run, reference_cluster

log = logging.getLogger("legisflow.fleet")

HOSTS = int(os.environ.get("LEGISFLOW_FLEET_HOSTS", "3"))
CASES = int(os.environ.get("LEGISFLOW_FLEET_CASES", "30"))
#: Seconds per legal day (a 30-day consultation lasts 1.5 s at the default).
DAY = float(os.environ.get("LEGISFLOW_FLEET_DAY", "0.05"))
#: How long host 1's link stays cut at least: past the workflow task timeout (10 s), so tasks
#: the server handed it time out and go to the others; the benchmark's 60 s also outlasts
#: the SDK's keep-alive (30 s + 15 s), so the worker's connections are declared dead and
#: made again.
CUT_SECONDS = float(os.environ.get("LEGISFLOW_FLEET_CUT_SECONDS", "20"))
SEED = int(os.environ.get("LEGISFLOW_FLEET_SEED", "1"))
#: Variants of the default regime the cases cycle through; 0: every staffed one.
VARIANTS = int(os.environ.get("LEGISFLOW_FLEET_VARIANTS", "4"))
#: Cases driven at once (0: all of a wave).
CONCURRENCY = int(os.environ.get("LEGISFLOW_FLEET_CONCURRENCY", "0")) or None
#: Start host 2 again after its SIGKILL.
RESTART = os.environ.get("LEGISFLOW_FLEET_RESTART", "0") == "1"
#: Where to write the report as JSON (the benchmark's ``--json``).
REPORT = os.environ.get("LEGISFLOW_FLEET_JSON")


def network(hosts: int, prefix: str = "lf") -> Network:
    """A network of ``hosts``, or the test fails saying why namespaces cannot be made."""
    try:
        return Network(hosts, prefix=prefix).__enter__()
    except NetnsError as err:
        pytest.fail(f"network namespaces are needed for the fleet proof: {err}")


@pytest.fixture
def net() -> Iterator[Network]:
    made = network(2, prefix="lft")
    try:
        yield made
    finally:
        made.__exit__(None, None, None)


# ---- the network itself -------------------------------------------------------------------------

_CLIENT = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=120)
print("connected", flush=True)
data = s.recv(16)
print(f"{time.time()} {data.decode()}", flush=True)
"""

_CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as err:
    print(f"unreachable {type(err).__name__}")
"""


def _connect(net: Network, host: int, port: int, timeout: float) -> str:
    gateway = net.host(host).root_ip
    argv = [sys.executable, "-c", _CONNECT, gateway, str(port), str(timeout)]
    out = subprocess.run(net.command(host, argv), capture_output=True, text=True, check=True)
    return out.stdout.strip()


async def test_a_cut_link_drops_packets_and_a_restored_one_carries_them(net: Network) -> None:
    """A host reaches a server of the root namespace over its link; cut, it reaches nothing
    and nobody is told (no refusal, no reset: a connection open across the cut is not
    closed), while another host still gets through; restored, the data sent during the cut
    arrives."""
    one, two = net.host(1), net.host(2)
    listeners = [socket.create_server((one.root_ip, 0))]
    port = listeners[0].getsockname()[1]
    listeners.append(socket.create_server((two.root_ip, port)))
    for listener in listeners:
        listener.setblocking(False)
    loop = asyncio.get_running_loop()
    client = await asyncio.create_subprocess_exec(
        *net.command(1, [sys.executable, "-c", _CLIENT, one.root_ip, str(port)]),
        stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdout is not None
    try:
        line = await asyncio.wait_for(client.stdout.readline(), timeout=60)
        assert line.strip() == b"connected", line
        conn, _ = await asyncio.wait_for(loop.sock_accept(listeners[0]), timeout=60)
        with conn:
            net.cut(1)
            assert not net.is_up(1)
            await loop.sock_sendall(conn, b"during the cut")
            # A connection attempt while cut can never succeed, and is never refused.
            outcome = await asyncio.to_thread(_connect, net, 1, port, 2.0)
            assert outcome.startswith("unreachable"), outcome
            other = await asyncio.to_thread(_connect, net, 2, port, 30.0)
            assert other == "connected", f"host 2 while host 1 was cut: {other}"
            restored_at = time.time()
            net.restore(1)
            assert net.is_up(1)
            # TCP retransmits what the cut held back (a bounded wait on the data arriving).
            line = await asyncio.wait_for(client.stdout.readline(), timeout=120)
            received_at, _, data = line.decode().strip().partition(" ")
            assert data == "during the cut", line
            assert float(received_at) >= restored_at, "delivered while the link was down"
    finally:
        if client.returncode is None:
            client.kill()
        await client.wait()
        for listener in listeners:
            listener.close()


def test_teardown_leaves_nothing_and_stale_runs_are_removed() -> None:
    """A run's namespaces and devices are gone after it, even when it failed; a namespace
    left by a dead run (its owner's pid and start time name no live process) is deleted by
    the next run, one of a live run is not."""
    # A dead owner: a process that has exited (its pid, and a start time no process has).
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = f"lft-{gone.pid}-1-0-host1"
    try:
        subprocess.run([netns.ip_binary(), "netns", "add", stale], check=True)
    except (subprocess.CalledProcessError, NetnsError) as err:
        pytest.fail(f"network namespaces are needed for the fleet proof: {err}")
    live = network(1, prefix="lft")
    try:
        assert stale in live.removed_stale, f"{stale} not removed: {live.removed_stale}"
        assert stale not in namespaces()
        assert remove_stale("lft") == [], "a live run's namespaces were taken for stale"
        assert {link.namespace for link in live.links} <= set(namespaces())
    finally:
        live.teardown()
    names: list[str] = []
    devices: list[str] = []

    def fail_mid_run() -> None:
        with Network(1, prefix="lft") as failing:
            names.extend(link.namespace for link in failing.links)
            devices.extend(link.root_device for link in failing.links)
            assert set(names) <= set(namespaces())
            raise RuntimeError("mid-run")

    with pytest.raises(RuntimeError, match="mid-run"):
        fail_mid_run()
    assert names, "the failing run made no namespace"
    assert not set(names) & set(namespaces()), "namespaces left after a failed run"
    links = subprocess.run(
        [netns.ip_binary(), "-o", "link", "show"], capture_output=True, text=True, check=True
    ).stdout
    assert not [d for d in devices if f" {d}@" in links or f" {d}:" in links], links


def test_without_root_or_iproute2_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(NetnsError, match="need root"):
        Network(3).create()
    monkeypatch.setattr(shutil, "which", lambda _: None)
    monkeypatch.setattr(netns, "IP_PATHS", ())
    with pytest.raises(NetnsError, match="apt-get install iproute2"):
        Network(3).create()


# ---- the fleet ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variants(registry: Registry, directory: Directory) -> list[Plan]:
    chosen = spread(staffed_variants(registry, directory), VARIANTS or None)
    assert chosen, "no definition can be staffed from the directory"
    return chosen


@pytest.fixture(scope="module")
async def reference(
    tmp_path_factory: pytest.TempPathFactory, directory: Directory, variants: list[Plan]
) -> Reference:
    """One uninterrupted run per variant, one worker on loopback (stopped afterwards)."""
    root = tmp_path_factory.mktemp("reference")
    async with reference_cluster(root, directory, day=DAY, log=log.info) as c:
        return await run_references(c, variants)


async def test_a_fleet_across_namespaces_loses_and_duplicates_nothing(
    tmp_path: Path, directory: Directory, variants: list[Plan], reference: Reference
) -> None:
    """Every case ends as its uninterrupted run did, with host 1 cut off and back and host
    2 SIGKILLed along the way; the other hosts carried the cases while host 1 was away."""
    assert HOSTS >= 3, "host 1 is cut, host 2 killed, and at least one more carries on"
    log.info("seed %s, %s hosts, %s cases, legal day %ss", SEED, HOSTS, CASES, DAY)
    t0 = time.monotonic()
    try:
        running = fleet(tmp_path, directory, hosts=HOSTS, day=DAY, log=log.info)
        async with running as f:
            report = await fleet_run(
                f,
                reference,
                variants,
                cases=CASES,
                seed=SEED,
                cut_seconds=CUT_SECONDS,
                restart_killed=RESTART,
                concurrency=CONCURRENCY,
                total_timeout=max(900.0, 3.0 * CASES),
            )
    except NetnsError as err:
        pytest.fail(f"network namespaces are needed for the fleet proof: {err}")
    whole = time.monotonic() - t0
    for name, did in report.per_host.items():
        log.info("%s: %s", name, did)
    if REPORT:
        _write(Path(REPORT), report.as_json(), whole, reference, variants)
    assert not report.problems, "\n".join(report.problems)
    happened = [t["what"].split(" (")[0] for t in report.timeline]
    assert any(w.startswith("host 1's link cut") for w in happened), happened
    assert any(w.startswith("host 1 polling again") for w in happened), happened
    assert any(w.startswith("host 2 SIGKILLed") for w in happened), happened
    # The steps taken while host 1 was away (the condition the cut was held for) were the
    # other hosts' work: nothing reaches host 1 while its link is down.
    during = sum(
        report.per_host[f"host {k}"]["workflow_tasks"][PHASES[1]] for k in range(2, HOSTS + 1)
    )
    assert during > 0, f"no other host worked while host 1 was cut: {report.per_host}"


def _write(
    where: Path, report: dict[str, Any], whole: float, ref: Reference, variants: list[Plan]
) -> None:
    report = {
        "command": os.environ.get("LEGISFLOW_FLEET_COMMAND", ""),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "temporalio": temporalio.__version__,
        },
        "parameters": {
            "hosts": HOSTS,
            "cases": CASES,
            "legal_day_seconds": DAY,
            "cut_seconds": CUT_SECONDS,
            "seed": SEED,
            "concurrency": CONCURRENCY,
            "restart_killed": RESTART,
            "variants": [v.variant for v in variants],
        },
        "reference_seconds": round(ref.seconds, 1),
        "test_seconds": round(whole, 1),
        **report,
    }
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
