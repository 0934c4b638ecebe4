"""Contested issues sent up for direction (vấn đề xin ý kiến chỉ đạo): the drafting unit puts
an issue on which bodies still disagree, with its options, to the competent authority; the
authority's direction is recorded on the case. Pure: the requests, the issue as the case
keeps it, and the checks the workflow's Update validators and the pages share.

The procedure says who may raise, who directs and by when (``DirectionRule``); a transition
naming the ``contested_issues_settled`` guard waits for every direction (``models.rules``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field

from models.actors import ActorRef
from models.authorship import Signed
from models.definition import DirectionRule, ProcessDefinition
from models.interests import DeclaresInterest

#: Cases started since issues can be sent up record this marker; older cases refuse to
#: raise one (their history never had the Updates).
DIRECTIONS_PATCH = "contested-issues-for-direction"
#: How an issue's reply deadline names itself to the case (the child request's role).
ISSUE_PREFIX = "issue:"

Text = Field(min_length=3, max_length=2000)


class RaiseIssueRequest(Signed):
    """The drafting unit asks the competent authority for direction on one issue (xin ý kiến
    chỉ đạo), giving the options on the table and, if it has one, its own proposal."""

    actor: str = Field(min_length=1, max_length=128)
    question: str = Text
    options: list[str] = Field(min_length=2, max_length=6)
    proposal: str | None = Field(default=None, max_length=2000)


class DirectionRequest(Signed, DeclaresInterest):
    """The competent authority's direction (ý kiến chỉ đạo) on issue ``issue``: one of its
    options (numbered from 1), or none, and the direction in words."""

    actor: str = Field(min_length=1, max_length=128)
    issue: int = Field(ge=1)
    option: int | None = Field(default=None, ge=1)
    direction: str = Text


class ContestedIssue(BaseModel):
    """One issue sent up, and where it stands."""

    number: int
    question: str
    options: list[str]
    proposal: str | None = None
    raised_by: str
    raised_at: datetime
    #: The legal day it was raised on (Vietnam's; the case's legal clock).
    raised_on: date
    #: The stage the case was in when it was raised.
    stage: str
    #: The competent authority's role, its label and who holds it in this case.
    authority_role: str
    authority_label: str
    holders: list[str]
    due: datetime
    due_legal_date: date
    due_explanation: str
    basis: str
    overdue: bool = False
    directed_by: str | None = None
    directed_at: datetime | None = None
    directed_on: date | None = None
    #: The option chosen (from 1), if the direction chose one.
    chosen: int | None = None
    direction: str | None = None

    @property
    def settled(self) -> bool:
        return self.direction is not None

    @property
    def request_role(self) -> str:
        return f"{ISSUE_PREFIX}{self.number}"

    def summary(self) -> str:
        options = "; ".join(f"{i}) {o}" for i, o in enumerate(self.options, 1))
        proposal = f" — đề xuất / proposed: {self.proposal}" if self.proposal else ""
        return f"Vấn đề {self.number}: {self.question} — phương án / options: {options}{proposal}"

    def direction_note(self) -> str:
        chosen = f" — chọn phương án / option {self.chosen}" if self.chosen else ""
        return f"Vấn đề {self.number}: {self.direction}{chosen}"


class IssueRefused(Exception):
    """An issue that cannot be raised or directed now; ``code`` is stable for scripts."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _holders(assignments: Mapping[str, Sequence[ActorRef]], role: str) -> list[str]:
    return [a.id for a in assignments.get(role, [])]


def raisers(
    definition: ProcessDefinition,
    assignments: Mapping[str, Sequence[ActorRef]],
    *,
    enabled: bool,
    final: bool,
) -> list[str]:
    """Who may send an issue up now: the holders of the procedure's raising roles, while the
    case runs (and only in cases started since issues could be raised)."""
    rule = definition.direction
    if rule is None or not enabled or final:
        return []
    people = [p for role in rule.raised_by for p in _holders(assignments, role)]
    return list(dict.fromkeys(people))


def check_raise(
    definition: ProcessDefinition,
    assignments: Mapping[str, Sequence[ActorRef]],
    req: RaiseIssueRequest,
    *,
    enabled: bool,
    final: bool,
) -> DirectionRule:
    """The rule the issue goes up under, or IssueRefused saying why it cannot."""
    rule = definition.direction
    if rule is None:
        raise IssueRefused(
            "no_direction",
            f"thủ tục {definition.name} không có bước xin ý kiến chỉ đạo / this procedure does "
            "not send issues up for direction",
        )
    if not enabled:
        raise IssueRefused(
            "no_direction",
            "hồ sơ này được lập trước khi có chức năng xin ý kiến chỉ đạo / this case was "
            "started before issues could be sent up for direction",
        )
    if final:
        raise IssueRefused("case_closed", "hồ sơ đã kết thúc / the case is closed")
    if req.actor not in raisers(definition, assignments, enabled=enabled, final=final):
        labels = ", ".join(definition.roles[r].label for r in rule.raised_by)
        raise IssueRefused(
            "wrong_role",
            f"chỉ {labels} được xin ý kiến chỉ đạo / only the drafting unit ({labels}) may send "
            f"an issue up; {req.actor!r} holds no such role in this case",
        )
    if not _holders(assignments, rule.decided_by):
        raise IssueRefused(
            "no_authority",
            f"chưa có người giữ vai trò {definition.roles[rule.decided_by].label} trong hồ sơ "
            "/ nobody holds the competent authority's role in this case: an operator must "
            "assign it",
        )
    if any(not o.strip() for o in req.options) or len({o.strip() for o in req.options}) < 2:
        raise IssueRefused(
            "bad_options",
            "cần ít nhất hai phương án khác nhau / give at least two different options",
        )
    return rule


def current(
    issues: Sequence[ContestedIssue], assignments: Mapping[str, Sequence[ActorRef]]
) -> list[ContestedIssue]:
    """The issues with the authority's holders as the case assigns them now (a reassignment
    or a recusal hands an open issue over with the role)."""
    now = []
    for i in issues:
        holders = i.holders if i.settled else _holders(assignments, i.authority_role)
        now.append(i.model_copy(update={"holders": holders}))
    return now


def check_direction(
    issues: Sequence[ContestedIssue],
    assignments: Mapping[str, Sequence[ActorRef]],
    req: DirectionRequest,
) -> ContestedIssue:
    """The open issue ``req`` directs (its holders as now assigned), or IssueRefused saying
    why none."""
    issues = current(issues, assignments)
    found = [i for i in issues if i.number == req.issue]
    if not found:
        raise IssueRefused(
            "no_such_issue",
            f"không có vấn đề số {req.issue} / no issue number {req.issue} in this case",
        )
    issue = found[0]
    if issue.settled:
        raise IssueRefused(
            "already_directed",
            f"vấn đề {issue.number} đã có ý kiến chỉ đạo / issue {issue.number} was already "
            f"directed by {issue.directed_by}",
        )
    if req.actor not in issue.holders:
        raise IssueRefused(
            "wrong_role",
            f"chỉ {issue.authority_label} cho ý kiến chỉ đạo / only the competent authority "
            f"({issue.authority_label}: {', '.join(issue.holders)}) may direct issue "
            f"{issue.number}",
        )
    if req.option is not None and req.option > len(issue.options):
        raise IssueRefused(
            "bad_option",
            f"vấn đề {issue.number} có {len(issue.options)} phương án / issue {issue.number} has "
            f"{len(issue.options)} options; option {req.option} does not exist",
        )
    return issue


def open_issues(issues: Sequence[ContestedIssue]) -> list[ContestedIssue]:
    return [i for i in issues if not i.settled]
