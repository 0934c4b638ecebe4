"""What the sandbox no longer checks on ``workflows/`` once it is passed through
(``worker_runtime/runner.PASSED_THROUGH``), checked on the code: a workflow module imports no
clock, randomness, network, disk or process; calls no ``datetime.now`` and its kin (only
``workflow.now``) and no ``open``/``print``/``input``; declares no ``global``; and holds no
mutable value at module or class level, so no state passes from one case to another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker_runtime.runner import PASSED_THROUGH

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
#: Modules whose use in workflow code would make a replay differ or touch the world.
FORBIDDEN_IMPORTS = {
    "random", "secrets", "time", "uuid", "os", "sys", "threading", "multiprocessing",
    "subprocess", "socket", "ssl", "select", "shutil", "tempfile", "pathlib", "io", "glob",
    "urllib", "http", "httpx", "requests", "aiohttp", "boto3", "botocore", "psycopg",
    "sqlite3", "smtplib", "aiosmtplib", "logging", "signal", "concurrent",
    "activities", "client", "cli", "web", "portal", "public_records", "identity",
    "signatures", "localdev", "worker", "worker_runtime", "settings",
}  # fmt: skip
#: ``<name>.<attribute>(…)`` calls that read the host's clock.
CLOCK_CALLS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("datetime", "fromtimestamp"), ("date", "fromtimestamp"),
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "breakpoint"}
#: A value built by one of these is mutable: shared at module or class level, one case could
#: leave something in it for the next.
MUTABLE_NODES = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
MUTABLE_CALLS = {"list", "dict", "set", "bytearray", "defaultdict", "deque", "OrderedDict",
                 "Counter"}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(WORKFLOWS.rglob("*.py"))


def _mutable(value: ast.expr | None) -> bool:
    if value is None:
        return False
    if isinstance(value, MUTABLE_NODES):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in MUTABLE_CALLS
    return False


def _shared_assignments(body: list[ast.stmt]) -> Iterator[ast.Assign | ast.AnnAssign]:
    """Assignments made once for all cases: at module level, in a class body, and inside the
    ``with``/``if`` blocks found there."""
    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            yield node
        elif isinstance(node, (ast.With, ast.If, ast.Try, ast.ClassDef)):
            yield from _shared_assignments(node.body)


def problems(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names
                      if a.name.split(".")[0] in FORBIDDEN_IMPORTS]  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_IMPORTS:
                found.append(f"{where} imports {node.module}")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.append(f"{where} declares {' '.join(node.names)} global")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where} calls {func.id}()")
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (func.value.id, func.attr) in CLOCK_CALLS
            ):
                found.append(f"{where} reads the host's clock: {ast.unparse(func)}()")
    for node in _shared_assignments(tree.body):
        if _mutable(node.value):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            found.append(f"{name}:{node.lineno} shares a mutable value: {ast.unparse(target)}")
    return found


def test_the_workflows_package_is_what_is_passed_through() -> None:
    assert "workflows" in PASSED_THROUGH
    assert len(_modules()) > 20


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(WORKFLOWS)))
def test_a_workflow_module_keeps_what_the_sandbox_checked(path: Path) -> None:
    assert problems(path.read_text("utf-8"), path.name) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import random\n", "imports random"),
        ("from time import monotonic\n", "imports time"),
        ("from datetime import datetime\ndef f():\n    return datetime.now()\n", "clock"),
        ("from datetime import date\nx = date.today()\n", "clock"),
        ("def f():\n    open('x')\n", "calls open()"),
        ("n = 0\ndef f():\n    global n\n    n += 1\n", "global"),
        ("SEEN = []\n", "mutable value: SEEN"),
        ("SEEN: dict[str, int] = {}\n", "mutable value: SEEN"),
        ("class C:\n    cache = {}\n", "mutable value: cache"),
        ("from collections import defaultdict\nX = defaultdict(int)\n", "mutable value: X"),
        ("from client import cases\n", "imports client"),
    ],
)
def test_the_check_finds_what_it_forbids(source: str, expected: str) -> None:
    found = problems(source, "m.py")
    assert found
    assert expected in found[0]


def test_the_check_lets_constants_and_workflow_time_through() -> None:
    source = (
        "from datetime import timedelta\nfrom temporalio import workflow\n"
        "TIMEOUT = timedelta(seconds=3)\nNAMES = ('a', 'b')\n"
        "def f():\n    return workflow.now()\n"
        "class C:\n    limit: int = 3\n    def g(self):\n        self.items = []\n"
    )
    assert problems(source, "m.py") == []
