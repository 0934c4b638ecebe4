"""`legisflow demo` as a new user runs it signs for real: the demo's own CA, the officials'
keys on a SoftHSM2 token under the data dir (never a key file), the Director of Justice's
signed approval and the Chairman's PAdES signature, and it prints the signed file, which
`legisflow verify` finds valid. Needs Debian's softhsm2 (`.ci/run` installs it)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from localdev.devserver import free_port
from signatures.demo_token import softhsm_available
from tests.workflows.cli_harness import LEGISFLOW

#: A bound for a loaded machine, never a verdict on its speed.
DEMO_SECONDS = 600


async def test_the_demo_signs_with_keys_on_a_softhsm_token(tmp_path: Path) -> None:
    if not softhsm_available():
        pytest.fail("the demo's token needs Debian's softhsm2 (`.ci/run` installs it)")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LEGISFLOW_", "SOFTHSM"))},
        "LEGISFLOW_DATA_DIR": str(tmp_path),
        "LEGISFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "LEGISFLOW_UI_PORT": str(free_port()),
        "LEGISFLOW_DEMO_PASSWORD": "mat-khau-demo-ky-so",
    }
    demo = await asyncio.create_subprocess_exec(
        LEGISFLOW, "demo", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(demo.communicate(), DEMO_SECONDS)
    said = out.decode()
    assert demo.returncode == 0, err.decode()[-2000:]
    assert "Phê duyệt ký số / signed approval: issue_appraisal_report" in said
    assert "Ký số / signed by Bùi Văn Khoa" in said
    found = re.search(r"legisflow verify (\S+\.pdf)", said)
    assert found is not None, said
    ca = tmp_path / "signatures" / "demo-ca"
    assert any((ca / "softhsm" / "tokens").iterdir())  # the token holds the keys …
    assert not list(ca.glob("people/*.key"))  # … and no key is a file

    verify = await asyncio.create_subprocess_exec(
        LEGISFLOW, "verify", found.group(1), "--person", "bui.van.khoa", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    report, problems = await asyncio.wait_for(verify.communicate(), 120)
    assert verify.returncode == 0, problems.decode()
    assert report.decode().splitlines()[:2] == [
        "Hợp lệ / valid",
        "Người ký / signer: Bùi Văn Khoa (bui.van.khoa)",
    ]
