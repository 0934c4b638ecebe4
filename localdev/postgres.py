"""A throwaway PostgreSQL server for the tests and the benchmarks: Debian's ``postgresql``
(which ``.ci/run`` installs), a fresh cluster in a temporary folder listening on loopback
only, synced at every commit as a deployment would be (``fsync=on``), stopped at the end.
When run as root (CI's containers), the server runs as Debian's ``postgres`` user:
PostgreSQL refuses to run as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from localdev.devserver import free_port

#: Where Debian puts each major version's server programs.
DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")


class PostgresError(RuntimeError):
    """The server cannot be set up (not installed, a program failed); one line for people."""


def server_bin() -> Path:
    """The newest installed major version's ``bin`` folder."""
    versions = sorted(
        (p for p in DEBIAN_POSTGRESQL.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresError("Debian's postgresql is not installed (`.ci/run` installs it)")
    return versions[-1]


@contextmanager
def running_postgres(port: int | None = None, settings: Sequence[str] = ()) -> Iterator[str]:
    """A PostgreSQL server with its cluster in a new temporary folder, on ``port`` (a free
    loopback port when None) with ``settings`` (``name=value``) added to its command line;
    yields its URL (``postgresql://…@127.0.0.1:PORT/legisflow``) while the block runs."""
    bin_dir = server_bin()
    # Not under pytest's temporary folder: as root, that is closed to the postgres user.
    with (
        tempfile.TemporaryDirectory(prefix="legisflow-postgres-") as name,
        _cluster(bin_dir, Path(name), port or free_port(), settings) as url,
    ):
        yield url


@contextmanager
def _cluster(bin_dir: Path, folder: Path, port: int, settings: Sequence[str]) -> Iterator[str]:
    data, sockets = folder / "data", folder / "sockets"
    data.mkdir(parents=True)
    sockets.mkdir()
    as_user: list[str] = []
    user = "legisflow"
    if os.geteuid() == 0:
        as_user = [shutil.which("runuser") or "/sbin/runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
        for path in (data, sockets):
            shutil.chown(path, "postgres")

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            said = done.stderr.strip() or done.stdout
            raise PostgresError(f"{Path(args[0]).name} failed: {said}")

    # Trust on loopback: a throwaway cluster no one else can reach.
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8",
        "--locale=C.UTF-8", "--no-sync")  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=on"
    options += "".join(f" -c {setting}" for setting in settings)
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
        "-w", "-t", "60", "start")  # fmt: skip
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user,
            "legisflow")  # fmt: skip
        yield f"postgresql://{user}@127.0.0.1:{port}/legisflow"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
