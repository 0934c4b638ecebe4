"""The milestones of a draft's life that the public may follow by e-mail (các mốc của dự thảo:
bắt đầu và kết thúc lấy ý kiến, thông qua, đăng Công báo, có hiệu lực), derived from the case's
audit trail and its procedure, never from the name of a stage.

- consultation opened / closed (bắt đầu / kết thúc lấy ý kiến): an audit entry entering /
  leaving a stage that takes comments (``Stage.comments``); a case whose trail shows none
  falls back on its intake in the public's records (``IntakeTimes``);
- adopted (thông qua, ký ban hành): an audit entry of a transition that ``requires_signature``
  (the signing is the adoption);
- published (đăng Công báo): entering a stage whose ``publish`` is the gazette channel;
- in force (có hiệu lực): entering a stage with ``monitor``.

A milestone reached again (a consultation reopened after a return) is a new one: its key
carries the count (``consultation_opened.2``), so a follower is told each time, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from models.case import AuditEntry
from models.definition import ProcessDefinition, Stage
from models.deliveries import PublicationChannel
from models.legal_time import VIETNAM_TZ

#: The official gazette (Công báo) among the publication channels.
GAZETTE: PublicationChannel = "cong_bao"


class MilestoneKind(str, Enum):
    """What happened to the draft (mốc)."""

    CONSULTATION_OPENED = "consultation_opened"  # bắt đầu lấy ý kiến
    CONSULTATION_CLOSED = "consultation_closed"  # kết thúc lấy ý kiến
    ADOPTED = "adopted"  # thông qua, ký ban hành
    PUBLISHED = "published"  # đăng Công báo
    IN_FORCE = "in_force"  # có hiệu lực


@dataclass(frozen=True)
class Milestone:
    """One milestone reached (mốc đã đạt): when, on the wall clock and on the case's legal
    calendar (the date a person is told, in Vietnam's time zone)."""

    kind: MilestoneKind
    at: datetime
    legal_date: date
    #: 1 the first time the case reaches this kind of milestone, 2 the second…
    occurrence: int = 1

    @property
    def key(self) -> str:
        """Its name among the case's milestones (what a follower is sent once)."""
        return self.kind.value if self.occurrence == 1 else f"{self.kind.value}.{self.occurrence}"


def parse_key(key: str) -> tuple[MilestoneKind, int]:
    """The kind and occurrence a milestone's key names; ValueError for anything else."""
    kind, dot, n = key.partition(".")
    known = {k.value for k in MilestoneKind}
    # The first occurrence has no count; a count is written as the key's property writes it.
    canonical = not dot or (n.isascii() and n.isdigit() and str(int(n)) == n and int(n) >= 2)
    if kind not in known or not canonical:
        raise ValueError(f"not a milestone key: {key!r}")
    return MilestoneKind(kind), int(n) if n else 1


@dataclass(frozen=True)
class IntakeTimes:
    """When the portal's intake of the consultation opened and closed (the public's
    records' ``consultations`` row)."""

    opened_at: datetime
    closed_at: datetime | None = None


def _events(
    definition: ProcessDefinition, entry: AuditEntry
) -> Iterable[tuple[MilestoneKind, bool]]:
    """The milestones one audit entry marks, each with whether it is a consultation's."""
    stages = definition.stages
    source: Stage | None = stages.get(entry.from_stage) if entry.from_stage else None
    dest = stages.get(entry.to_stage)
    if dest is None:
        return  # a stage of another procedure (before a migration): nothing to say
    was_open = source is not None and source.comments
    if dest.comments and not was_open:
        yield MilestoneKind.CONSULTATION_OPENED, True
    if was_open and not dest.comments:
        yield MilestoneKind.CONSULTATION_CLOSED, True
    if any(
        t.requires_signature
        and t.action == entry.action
        and t.source == entry.from_stage
        and t.dest == entry.to_stage
        for t in definition.transitions
    ):
        yield MilestoneKind.ADOPTED, False
    if dest.publish == GAZETTE and (source is None or source.publish != GAZETTE):
        yield MilestoneKind.PUBLISHED, False
    if dest.monitor and (source is None or not source.monitor):
        yield MilestoneKind.IN_FORCE, False


def reached_milestones(
    definition: ProcessDefinition,
    audit: Sequence[AuditEntry],
    intake: IntakeTimes | None = None,
) -> list[Milestone]:
    """Every milestone the case has reached, in the order reached. ``intake`` is used for
    the consultation's only when the trail shows no stage taking comments entered."""
    found: list[tuple[MilestoneKind, datetime, date, bool]] = []
    for entry in sorted(audit, key=lambda e: e.seq):
        for kind, consultation in _events(definition, entry):
            found.append((kind, entry.at, entry.legal_date, consultation))
    if intake is not None and not any(consultation for *_, consultation in found):
        found.append(
            (
                MilestoneKind.CONSULTATION_OPENED,
                intake.opened_at,
                intake.opened_at.astimezone(VIETNAM_TZ).date(),
                True,
            )
        )
        if intake.closed_at is not None:
            found.append(
                (
                    MilestoneKind.CONSULTATION_CLOSED,
                    intake.closed_at,
                    intake.closed_at.astimezone(VIETNAM_TZ).date(),
                    True,
                )
            )
        found.sort(key=lambda f: f[1])
    counts: dict[MilestoneKind, int] = {}
    reached = []
    for kind, at, legal_date, _ in found:
        counts[kind] = counts.get(kind, 0) + 1
        reached.append(Milestone(kind, at, legal_date, counts[kind]))
    return reached
