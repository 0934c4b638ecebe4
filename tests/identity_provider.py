"""A real OpenID Connect provider for the tests: npm's oidc-provider (OpenID-certified,
installed by ``make test`` in ``tests/oidc``) started on loopback with one client and its
development login and consent pages (any login name signs in as that subject)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localdev.devserver import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "legisflow-cli", "test-secret-not-for-production"


@dataclass
class Idp:
    issuer: str
    redirect_uri: str


@contextlib.asynccontextmanager
async def identity_provider(redirect: str | None = None) -> AsyncIterator[Idp]:
    """The provider, its one client sent back to ``redirect`` (default: a free loopback
    port's ``/callback``, where ``legisflow login --oidc`` listens)."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test identity provider needs Node.js and `npm ci` in tests/oidc")
    redirect = redirect or f"http://127.0.0.1:{free_port()}/callback"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(PROVIDER_DIR / "provider.mjs"),
        str(free_port()),
        CLIENT_ID,
        CLIENT_SECRET,
        redirect,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert line.startswith("ready "), line
        yield Idp(line.split()[1], redirect)
    finally:
        proc.terminate()
        await proc.wait()
