"""Fixtures of the workflow tests that run the `legisflow` command (``cli_harness``)."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, Temporal
from tests.workflows.cli_harness import cli_environment


@pytest.fixture
def cli_columns() -> int:
    """Terminal width the command sees; a test module overrides it for wider tables."""
    return 200


@pytest.fixture
def cli_env(env: Temporal, harness: Harness, cli_columns: int) -> dict[str, str]:
    return cli_environment(env, harness, cli_columns)
