"""The SDK versions the worker's runner and time guard were verified on.

``worker_runtime/runner.py`` implements Temporal's ``WorkflowRunner``/``WorkflowInstance``
(private-ish API: ``temporalio.workflow._Definition``, the sandbox runner's instance, the
payload-context calls) and ``worker_runtime/time_guard.py`` reads the core's activations;
both work around SDK behaviours written up in ``docs/upstream.md``. A new SDK release may
change either, so the dependency is pinned to the verified minor (pyproject.toml) and the
worker checks the installed version at start: a mismatch stops it with what to re-verify.
"""

from __future__ import annotations

import importlib.metadata

#: ``temporalio`` minor versions the workarounds were verified on (docs/upstream.md).
VERIFIED_TEMPORALIO = ("1.35",)


class UnverifiedSdk(RuntimeError):
    """The installed temporalio is not one the worker's runner was verified on."""


def check_sdk(version: str | None = None) -> str:
    """The installed temporalio version if verified; UnverifiedSdk saying what to do if not."""
    installed = version or importlib.metadata.version("temporalio")
    if not installed.startswith(tuple(f"{v}." for v in VERIFIED_TEMPORALIO)):
        raise UnverifiedSdk(
            f"temporalio {installed} is not one the worker's runner and time guard were "
            f"verified on ({', '.join(VERIFIED_TEMPORALIO)}): replay the committed histories "
            "(pytest tests/replay), check docs/upstream.md's workarounds against the new "
            "release, then add it to worker_runtime/sdk_pin.py and pyproject.toml"
        )
    return installed
