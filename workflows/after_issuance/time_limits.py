"""Time limits in the workflows after issuance: a limit's reminder and breach timers, and
waiting for the first of them or for a change (counting one: ``workflows.legal_days``).
Workflow code (deterministic)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.legal_time import StageDeadline


def deadline_timers(dl: StageDeadline, prefix: str = "") -> list[tuple[str, datetime]]:
    """The timers of a running deadline: ``<prefix>reminder`` (if it has one), then
    ``<prefix>overdue``, each with the time it fires."""
    timers = []
    if dl.remind_at is not None:
        timers.append((f"{prefix}reminder", dl.remind_at))
    timers.append((f"{prefix}overdue", dl.due))
    return timers


async def wait_for_timer(
    changed: Callable[[], bool], timers: Sequence[tuple[str, datetime]]
) -> str | None:
    """Wait until ``changed()`` holds or the earliest of ``timers`` is due (a timer whose
    summary is its name). The timer's name if it is due and nothing changed, else None."""
    if not timers:
        await workflow.wait_condition(changed)
        return None
    name, at = min(timers, key=lambda t: t[1])
    delay = at - workflow.now()
    if delay > timedelta(0):
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(changed, timeout=delay, timeout_summary=name)
        if changed():
            return None
    return name
