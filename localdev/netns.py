"""Worker hosts on one machine: a Linux network namespace per host, each joined to the root
namespace by a veth pair (client side; used by the fleet proof and its benchmark).

A namespace separates the network only: the processes in it share the machine's files,
users and process ids, so a worker "host" here reads the same data directory as the others
while it reaches the Temporal server over its own virtual link, and that link can be cut.

Layout of one run with ``n`` hosts (``K`` a free third octet of 10.231.0.0/16, allocated
under a lock, so that a concurrent run never gets the same one; a lone run's hosts get
1..n)::

    root namespace                                 namespace lf-<run>-hostK
    lfKr  10.231.K.1/24  ──────── veth ────────  eth0 10.231.K.2/24, lo up

A server in the root namespace that listens on all addresses (``0.0.0.0``) is reached by
host K at 10.231.K.1, its link's own gateway; the hosts have no other route. (Not a server
on the root-side addresses alone: ``temporal server start-dev --ip ADDR`` binds its
internal matching service to ADDR too but dials it at 127.0.0.1, so with any ADDR but
loopback it cannot serve a task queue; seen with CLI 1.9.1, Server 1.32.0.)

:meth:`Network.cut` sets a host's root-side device down: the host's device loses its
carrier and drops what the host sends, the root namespace loses its route to the host, and
open connections hang as they would behind a failed switch; nothing is closed or reset.
:meth:`Network.restore` sets it up again (the kernel puts the connected route back; the
host's first packets may wait for its neighbour entry to be resolved again).

Names carry the owning process (pid and start time, from /proc), so a run can tell the
leftovers of a dead run (one SIGKILLed before its clean-up) from those of a live, concurrent
one; :class:`Network` deletes the former before it allocates. Deleting a namespace deletes
its end of each veth pair, and with it the pair. Everything here needs root (CAP_NET_ADMIN
and CAP_SYS_ADMIN) and iproute2's ``ip``.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

#: The private block the links are numbered in: 10.231.K.0/24 per link.
NET = "10.231"
#: The device inside each namespace (names need only be unique within a namespace).
HOST_DEVICE = "eth0"
#: Names of a run's namespaces: ``<prefix>-<pid>-<start ticks>-<n>-host<K>``.
_NAME = re.compile(r"^(?P<prefix>[a-z]+)-(?P<pid>\d+)-(?P<start>\d+)-(?P<n>\d+)-host\d+$")
#: Root-side devices: ``lf<K>r``; the octet is in the name so a leftover device without
#: its address still marks the octet as taken.
_DEVICE = re.compile(r"^lf(?P<octet>\d{1,3})r$")
_runs_in_this_process = itertools.count()


class NetnsError(RuntimeError):
    """Namespaces cannot be made here (not root, no iproute2, a kernel that refuses), or an
    ``ip`` command failed; the message says which and what it printed."""


#: Where iproute2 puts ``ip`` when it is not on PATH (root's PATH has sbin; others' may not).
IP_PATHS = ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip")


def ip_binary() -> str:
    """iproute2's ``ip``, after checking that this process may create namespaces."""
    found = shutil.which("ip") or next((p for p in IP_PATHS if Path(p).is_file()), None)
    if found is None:
        raise NetnsError(
            "iproute2's `ip` command is not installed: apt-get install iproute2 "
            "(network namespaces need it)"
        )
    if os.geteuid() != 0:
        raise NetnsError(
            f"network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN); this process "
            f"runs as uid {os.geteuid()}: run it as root"
        )
    return found


def _ip(*args: str) -> str:
    proc = subprocess.run(
        [ip_binary(), *args], capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        raise NetnsError(f"ip {' '.join(args)}: {message}")
    return proc.stdout


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (/proc/<pid>/stat field 22);
    None if there is no such process. With the pid it names one process for good: a pid
    reused by a later process has another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def namespaces() -> list[str]:
    """Every named network namespace (``ip netns list`` prints ``name (id: N)``)."""
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def stale_namespaces(prefix: str) -> list[str]:
    """Namespaces named by a run of ``prefix`` whose owning process is gone."""
    stale = []
    for name in namespaces():
        m = _NAME.match(name)
        if m is None or m["prefix"] != prefix:
            continue
        if start_ticks(int(m["pid"])) != int(m["start"]):
            stale.append(name)
    return stale


def remove_stale(prefix: str) -> list[str]:
    """Delete the namespaces (and with them their veth pairs) of dead runs of ``prefix``;
    those of live runs, this one's or another process's, are left alone."""
    removed = []
    for name in stale_namespaces(prefix):
        with contextlib.suppress(NetnsError):  # a concurrent cleaner got there first
            _ip("netns", "delete", name)
            removed.append(name)
    return removed


def _used_octets() -> set[int]:
    """Third octets of 10.231.X.* that an address or a root-side device already holds."""
    used: set[int] = set()
    for line in _ip("-o", "-4", "addr", "show").splitlines():
        used.update(int(o) for o in re.findall(rf"inet {re.escape(NET)}\.(\d+)\.\d+/", line))
    for line in _ip("-o", "link", "show").splitlines():
        fields = line.split(":")
        if len(fields) > 1:
            device = _DEVICE.match(fields[1].strip().split("@")[0])
            if device is not None:
                used.add(int(device["octet"]))
    return used


def _device_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


@contextlib.contextmanager
def _allocation_lock() -> Iterator[None]:
    """One run at a time allocates octets and creates its links (runs of other processes
    included): two runs reading the addresses in use at once would pick the same ones."""
    folder = Path("/run/lock") if Path("/run/lock").is_dir() else Path(tempfile.gettempdir())
    with (folder / "legisflow-netns.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Link:
    """One namespace and its veth pair."""

    index: int  # host 1, 2, …
    namespace: str
    octet: int

    @property
    def root_device(self) -> str:
        return f"lf{self.octet}r"

    @property
    def root_ip(self) -> str:
        """The root namespace's address on this link: where the host reaches a server."""
        return f"{NET}.{self.octet}.1"

    @property
    def host_ip(self) -> str:
        return f"{NET}.{self.octet}.2"


class Network:
    """``hosts`` worker hosts, each in its own namespace with its link to the root
    namespace; a context manager that tears everything down on the way out, after a
    failure too.

    ``with Network(3) as net:`` then ``net.host(1).root_ip`` (where host 1 reaches a server
    of the root namespace), ``net.command(1, argv)`` (argv run inside host 1),
    ``net.cut(1)``, ``net.restore(1)``.
    """

    def __init__(self, hosts: int, *, prefix: str = "lf") -> None:
        if not 1 <= hosts <= 200:
            raise ValueError(f"hosts must be between 1 and 200, got {hosts}")
        if not re.fullmatch(r"[a-z]+", prefix):
            raise ValueError(f"prefix must be lowercase letters, got {prefix!r}")
        self.prefix = prefix
        self.count = hosts
        pid = os.getpid()
        self.run = f"{prefix}-{pid}-{start_ticks(pid)}-{next(_runs_in_this_process)}"
        self.links: list[Link] = []
        self.cut_hosts: set[int] = set()
        #: Namespaces of dead runs this one deleted before it began.
        self.removed_stale: list[str] = []

    # ---- lifecycle ------------------------------------------------------------------------

    def create(self) -> None:
        ip_binary()  # the clear errors first, before anything is made
        try:
            with _allocation_lock():
                self.removed_stale = remove_stale(self.prefix)
                free = sorted(set(range(1, 255)) - _used_octets())
                if len(free) < self.count:
                    raise NetnsError(f"{len(free)} free links in {NET}.0.0/16, {self.count} needed")
                for index, octet in enumerate(free[: self.count], start=1):
                    self._add(Link(index, f"{self.run}-host{index}", octet))
        except BaseException:
            self.teardown()
            raise

    def _add(self, link: Link) -> None:
        ns = link.namespace
        _ip("netns", "add", ns)
        self.links.append(link)  # from here teardown deletes it
        _ip("link", "add", link.root_device, "type", "veth", "peer", "name", HOST_DEVICE,
            "netns", ns)  # fmt: skip
        _ip("addr", "add", f"{link.root_ip}/24", "dev", link.root_device)
        _ip("link", "set", link.root_device, "up")
        _ip("-n", ns, "addr", "add", f"{link.host_ip}/24", "dev", HOST_DEVICE)
        _ip("-n", ns, "link", "set", HOST_DEVICE, "up")
        _ip("-n", ns, "link", "set", "lo", "up")

    def teardown(self) -> None:
        """Delete every veth pair and namespace of the run; what could not be deleted is
        named in the error, after every deletion has been tried.

        The root-side device is deleted first, and with it the pair, at once: a deleted
        namespace's devices go only when the kernel gets round to destroying it, so a
        device could outlive ``ip netns delete`` (and a process still inside keeps it)."""
        failed = []
        for link in reversed(self.links):
            try:
                if _device_exists(link.root_device):
                    _ip("link", "delete", link.root_device)
                if link.namespace in namespaces():
                    _ip("netns", "delete", link.namespace)
            except NetnsError as err:
                failed.append(str(err))
        self.links = []
        self.cut_hosts.clear()
        if failed:
            raise NetnsError("teardown left namespaces behind: " + "; ".join(failed))

    def __enter__(self) -> Network:
        self.create()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.teardown()
        except NetnsError:
            if exc is None:
                raise
            # The run's own failure says more; its leftovers are stale for the next run.

    # ---- use ------------------------------------------------------------------------------

    @property
    def hosts(self) -> list[Link]:
        return list(self.links)

    def host(self, index: int) -> Link:
        for link in self.links:
            if link.index == index:
                return link
        raise KeyError(f"no host {index} (hosts 1..{self.count})")

    def command(self, index: int, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside host ``index``. ``ip netns exec`` execs it in place, so the
        process id is the command's own (a worker's identity ``<pid>@<host>`` names it)."""
        return [ip_binary(), "netns", "exec", self.host(index).namespace, *argv]

    def cut(self, index: int) -> None:
        """Host ``index`` drops off the network: no packet in or out, nothing closed."""
        _ip("link", "set", self.host(index).root_device, "down")
        self.cut_hosts.add(index)

    def restore(self, index: int) -> None:
        _ip("link", "set", self.host(index).root_device, "up")
        self.cut_hosts.discard(index)

    def is_up(self, index: int) -> bool:
        """Whether the kernel reports host ``index``'s root-side device administratively up."""
        out = _ip("-o", "link", "show", "dev", self.host(index).root_device)
        flags = out.split("<", 1)[1].split(">", 1)[0].split(",") if "<" in out else []
        return "UP" in flags
