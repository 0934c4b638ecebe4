"""Time limits in the workflows after issuance: counting one from a moment, its reminder
and breach timers, and waiting for the first of them or for a change. Workflow code
(deterministic)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import LegalCalendar
    from models.definition import Deadline
    from models.legal_time import LegalClock, StageDeadline, deadline_from


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


def legal_deadline(
    name: str, rule: Deadline, anchored_at: datetime, clock: LegalClock, calendar: LegalCalendar
) -> StageDeadline:
    """``rule`` counted from ``anchored_at``. Counting working days loads the holiday tables
    of ``holidays`` lazily (imports, gettext's locale look-ups), which the sandbox would
    refuse: the computation runs unrestricted, and is deterministic (``models.calendar``
    asks for holiday names in en_US whatever the host's locale)."""
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return deadline_from(name, rule, anchored_at, clock, calendar)
