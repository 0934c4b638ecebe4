"""Numbered notices of a workflow after issuance, and to whom: the keys that make a notice
delivered once whatever the retries, the header every notice starts with, the reminder of a
time limit. Workflow code (deterministic)."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.actors import ActorRef
    from models.deliveries import Notification, Recipient
    from models.legal_time import StageDeadline


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
