"""A worker starts without the libraries only some of its activities need (docs/capacity.md:
a worker's fixed memory is the first cost of one namespace per deployment unit). Each is
imported where it is first used; importing one at a module's top again would add its
megabytes to every worker of every namespace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Library → what needs it, and about what it costs a process (RSS).
LOADED_ON_FIRST_USE = {
    "datasketch": "clustering a closed consultation's comments (with scipy, numpy: ~90 MB)",
    "scipy": "the same",
    "psycopg": "a PostgreSQL database (~22 MB)",
    "pyhanko.sign": "checking a signed PDF (with aiohttp: ~65 MB)",
}
CHECKOUT = Path(__file__).resolve().parents[2]


def test_a_worker_starts_without_the_libraries_only_some_activities_need() -> None:
    probe = (
        "import sys, worker\n"
        f"print(' '.join(m for m in {sorted(LOADED_ON_FIRST_USE)!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=CHECKOUT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [], {m: LOADED_ON_FIRST_USE[m] for m in out}
