"""The worker's check that the sandbox will not compile workflow code for every new case
(worker_runtime/runner.py: ``has_fresh_bytecode``, ``modules_without_bytecode``)."""

from __future__ import annotations

import compileall
import importlib
import importlib.util
import py_compile
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker_runtime.runner import has_fresh_bytecode, modules_without_bytecode


def _cache(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def test_fresh_only_when_the_cached_file_matches_the_source(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("X = 1\n", encoding="utf-8")
    assert not has_fresh_bytecode(source)  # never compiled

    py_compile.compile(str(source), cfile=str(_cache(source)), doraise=True)
    assert has_fresh_bytecode(source)

    source.write_text("X = 22\n", encoding="utf-8")  # edited since: size differs
    assert not has_fresh_bytecode(source)

    _cache(source).write_bytes(b"\x00" * 16)  # not this Python's bytecode
    assert not has_fresh_bytecode(source)

    py_compile.compile(
        str(source),
        cfile=str(_cache(source)),
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    assert has_fresh_bytecode(source)  # the loader checks the hash itself


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``wfpkg`` with two modules, imported without writing bytecode."""
    root = tmp_path / "wfpkg"
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "flow.py").write_text("STEP = 'a'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    importlib.import_module("wfpkg.flow")
    yield root
    for name in ("wfpkg.flow", "wfpkg"):
        sys.modules.pop(name, None)


def test_the_worker_names_the_modules_it_would_compile_per_case(package: Path) -> None:
    assert modules_without_bytecode("wfpkg") == ["wfpkg", "wfpkg.flow"]
    assert compileall.compile_dir(str(package), quiet=1)
    assert modules_without_bytecode("wfpkg") == []
