"""The worker refuses an SDK its runner and time guard were not verified on (their
workarounds lean on SDK internals: docs/upstream.md)."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from worker_runtime.sdk_pin import VERIFIED_TEMPORALIO, UnverifiedSdk, check_sdk

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_sdk_is_a_verified_one() -> None:
    assert check_sdk() == importlib.metadata.version("temporalio")


@pytest.mark.parametrize("version", ["1.36.0", "2.0.0", "1.3.5", "1.350.1"])
def test_another_sdk_stops_the_worker_saying_what_to_verify(version: str) -> None:
    with pytest.raises(UnverifiedSdk, match=r"replay the committed histories"):
        check_sdk(version)


def test_the_dependency_is_pinned_to_the_verified_minor() -> None:
    """pyproject.toml and the pin say the same: installing a later minor needs both changed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [spec] = [d for d in project["project"]["dependencies"] if d.startswith("temporalio")]
    [verified] = VERIFIED_TEMPORALIO
    major, minor = verified.split(".")
    assert spec == f"temporalio>={verified},<{major}.{int(minor) + 1}"
