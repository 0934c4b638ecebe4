"""How the workflows after issuance call their activities, tell each other what changed,
and show themselves to ops (search attributes). Workflow code only (deterministic); activities
are called through ``workflows.activity_calls.call_activity`` (its timeouts and retries; none of
these heartbeat).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.actors import ActorRef
    from models.calendar import LegalCalendar
    from models.definition import Deadline
    from models.deliveries import Notification, Recipient
    from models.legal_time import LegalClock, StageDeadline, deadline_from
    from workflows import search_attributes as sa

#: Signals of the monitoring workflow, sent by its feedback cases and the document's checks.
FEEDBACK_CHANGED_SIGNAL = "feedback_changed"
CHECK_CHANGED_SIGNAL = "check_changed"
LINK_ADDED_SIGNAL = "link_added"
DOCUMENT_STATUS_SIGNAL = "document_status"


async def tell(workflow_id: str, signal: str, payload: BaseModel) -> bool:
    """Signal another workflow of the document; False if it has ended (nobody to tell)."""
    try:
        await workflow.get_external_workflow_handle(workflow_id).signal(signal, payload)
    except ApplicationError as err:
        workflow.logger.warning("could not signal %s (%s): %s", workflow_id, signal, err)
        return False
    return True


def refuse(code: str, message: str) -> ApplicationError:
    """A validator's refusal: the caller sees ``message``; nothing is written to history."""
    return ApplicationError(message, code, type="ActionRefused", non_retryable=True)


def show(stage: str, *, overdue: bool, due: datetime | None) -> None:
    """LegalStage, Overdue and StageDueAt of the running workflow."""
    workflow.upsert_search_attributes(
        [
            sa.LEGAL_STAGE.value_set(stage),
            sa.OVERDUE.value_set(overdue),
            sa.STAGE_DUE_AT.value_set(due) if due else sa.STAGE_DUE_AT.value_unset(),
        ]
    )


class Notices:
    """Numbered notices of one workflow: ``<workflow id>/<nnnn>-<kind>`` keys, stable across
    retries and replays; ``case_id`` is the workflow's own id."""

    def __init__(self, workflow_id: str, title: str, start: int = 0) -> None:
        self.workflow_id = workflow_id
        self.title = title
        self.seq = start

    def key(self, kind: str) -> str:
        self.seq += 1
        return f"{self.workflow_id}/{self.seq:04d}-{kind}"

    def header(self, stage_label: str, stage_en: str) -> notifications.CaseHeader:
        return notifications.CaseHeader(
            case_id=self.workflow_id,
            title=self.title,
            stage_label=stage_label,
            stage_en=stage_en,
            at=workflow.now(),
        )


def recipients(*groups: Sequence[ActorRef]) -> list[Recipient]:
    return notifications.recipients(a for g in groups for a in g)


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


def due_soon(
    notices: Notices,
    header: notifications.CaseHeader,
    people: Sequence[ActorRef],
    dl: StageDeadline,
) -> Notification | None:
    """The reminder of ``dl`` to ``people``; None once it is due or if nobody is to be told
    (no notice key is used then)."""
    if dl.due <= workflow.now() or not people:
        return None
    return notifications.reminder(
        header, key=notices.key("reminder"), to=recipients(people), deadline=dl
    )


def legal_deadline(
    name: str, rule: Deadline, anchored_at: datetime, clock: LegalClock, calendar: LegalCalendar
) -> StageDeadline:
    """``rule`` counted from ``anchored_at``. Counting working days loads the holiday tables
    of ``holidays`` lazily (imports, gettext's locale look-ups), which the sandbox would
    refuse: the computation runs unrestricted, and is deterministic (``models.calendar``
    asks for holiday names in en_US whatever the host's locale)."""
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return deadline_from(name, rule, anchored_at, clock, calendar)
