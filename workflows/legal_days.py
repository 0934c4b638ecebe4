"""Counting a deadline in workflow code (thời hạn): ``models.legal_time.deadline_from``, run
where the sandbox lets it read the holiday tables. A year the official calendar does not
announce is projected from ``holidays``, which loads its tables lazily (imports, gettext's
catalogues, dateutil reading the clock at import), all of which the sandbox would refuse. The
computation itself is deterministic: pinned data, names asked for in a fixed language.

Workflow code (deterministic).
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import LegalCalendar
    from models.definition import Deadline, ProcessDefinition
    from models.legal_time import LegalClock, StageDeadline, compute_deadline, deadline_from


def legal_deadline(
    name: str,
    rule: Deadline,
    anchored_at: datetime,
    clock: LegalClock,
    calendar: LegalCalendar,
    simplified: bool = False,
) -> StageDeadline:
    """``rule`` counted from ``anchored_at`` (under the simplified procedure if it shortens
    it), outside the sandbox's restrictions."""
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return deadline_from(name, rule, anchored_at, clock, calendar, simplified)


def stage_deadline(
    definition: ProcessDefinition,
    stage: str,
    entered: dict[str, datetime],
    clock: LegalClock,
    calendar: LegalCalendar,
    simplified: bool = False,
) -> StageDeadline | None:
    """``models.legal_time.compute_deadline``, outside the sandbox's restrictions."""
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return compute_deadline(definition, stage, entered, clock, calendar, simplified)
