"""After issuance (sau ban hành): the rules and who does what, as data.

``models/post_issuance.yaml`` holds the time limits for citizens' feedback (kiến nghị, phản
ánh), for handling a legality check's conclusion (xử lý văn bản theo kết luận kiểm tra), the
implementation plan of a document in force (kế hoạch triển khai thi hành) and the yearly
report cycle, each with its legal basis and ``confirmed`` flag. Who holds each post-issuance
role is resolved here from the directory (pure functions): by the activity the monitoring
workflow calls, and by the client that opens a check.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.actors import YAML_LOADER, ActorRef, Directory
from models.authorship import TrustedKey
from models.calendar import LegalCalendar
from models.case import CalendarSettings
from models.choices import Handling, Outcome
from models.counts import Counts
from models.definition import SYSTEM_ACTOR, Deadline, DeadlineKind, Identifier, Level
from models.field_errors import field_errors
from models.legal_time import VIETNAM_TZ, LegalClock
from models.steps import StepProcedure

RULES_FILE = Path(__file__).parent / "post_issuance.yaml"
#: A deployment's own copy of the rules (read by the worker's activity and the CLI).
RULES_FILE_VARIABLE = "LEGISFLOW_POST_ISSUANCE_FILE"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Where(str, Enum):
    """Where a post-issuance role's holders are found, relative to the drafting agency."""

    DRAFTING = "drafting"
    SAME = "same"
    PROVINCE = "province"
    NATIONAL = "national"


class RoleRule(_Frozen):
    label: str
    label_en: str | None = None
    where: dict[Level, Where]


class FeedbackRules(_Frozen):
    handler_roles: tuple[str, ...] = Field(min_length=1)
    head_roles: tuple[str, ...] = Field(min_length=1)
    #: The steps of a feedback case (tiếp nhận, phân loại, chuyển, trả lời) and their time
    #: limits.
    procedure: StepProcedure


class CheckRules(_Frozen):
    handlings: dict[Outcome, tuple[Handling, ...]]
    escalated_handlings: tuple[Handling, ...] = Field(min_length=1)
    #: Handlings that change the document's status (an action of the monitoring procedure).
    status_handlings: tuple[Handling, ...] = ()
    #: The steps of a check (kết luận, xử lý, kiến nghị cấp trên) and their time limits.
    procedure: StepProcedure


class PlanItemRule(_Frozen):
    item: Identifier
    label: str
    label_en: str
    deadline: Deadline


class ReportCycle(_Frozen):
    label: str
    label_en: str
    cutoff_month: int = Field(ge=1, le=12)
    cutoff_day: int = Field(ge=1, le=28)
    basis: str = Field(min_length=3)
    confirmed: bool

    def next_cutoff(self, after: date) -> date:
        """The first cut-off date strictly after ``after``."""
        this_year = date(after.year, self.cutoff_month, self.cutoff_day)
        return this_year if this_year > after else this_year.replace(year=after.year + 1)


class MonitoringRules(_Frozen):
    plan: tuple[PlanItemRule, ...]
    report: ReportCycle
    #: The document's status while monitored (in force, suspended, annulled), and what may
    #: be done in each.
    procedure: StepProcedure


class PostIssuanceRules(_Frozen):
    """Everything ``models/post_issuance.yaml`` says, validated."""

    basis: str
    feedback: FeedbackRules
    check: CheckRules
    monitoring: MonitoringRules
    roles: dict[str, RoleRule]
    issuer_roles: tuple[str, ...]

    @model_validator(mode="after")
    def _check(self) -> PostIssuanceRules:
        problems = []
        for name, proc in self.procedures().items():
            for stage_name, stage in proc.stages.items():
                if stage.counts is not None and stage.counts not in Counts.model_fields:
                    problems.append(
                        f"{name}.procedure.stages.{stage_name}.counts: {stage.counts!r} is not "
                        f"a count (counts: {', '.join(Counts.model_fields)})"
                    )
        monitoring = self.monitoring.procedure
        for handling in self.check.status_handlings:
            if not any(
                t.action == handling.value and t.role == SYSTEM_ACTOR
                for t in monitoring.transitions
            ):
                problems.append(
                    f"check.status_handlings: {handling.value!r} is not a {SYSTEM_ACTOR} action "
                    "of monitoring.procedure (the document's status it changes)"
                )
        for name, dl in ((f"monitoring.plan.{p.item}", p.deadline) for p in self.monitoring.plan):
            if dl.kind is not DeadlineKind.MAXIMUM:
                problems.append(f"{name}.kind: must be maximum (something must be done by then)")
            if dl.remind_before_days and dl.remind_before_days >= dl.days:
                problems.append(f"{name}.remind_before_days: not shorter than the deadline")
        for outcome in (Outcome.FORM_ERRORS, Outcome.UNLAWFUL):
            if not self.check.handlings.get(outcome):
                problems.append(f"check.handlings.{outcome.value}: required")
        for role in ("monitoring_officer", "checker", "higher_authority"):
            rule = self.roles.get(role)
            if rule is None:
                problems.append(f"roles.{role}: required")
            elif set(rule.where) != set(Level):
                problems.append(f"roles.{role}.where: give every level ({', '.join(Level)})")
        items = [p.item for p in self.monitoring.plan]
        if len(items) != len(set(items)):
            problems.append("monitoring.plan: duplicate items")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def procedures(self) -> dict[str, StepProcedure]:
        """Every procedure after issuance, by the section of the file that declares it."""
        return {
            "feedback": self.feedback.procedure,
            "check": self.check.procedure,
            "monitoring": self.monitoring.procedure,
        }


def rules_file() -> Path:
    """The deployment's rules file (``LEGISFLOW_POST_ISSUANCE_FILE``), or the bundled one."""
    env = os.environ.get(RULES_FILE_VARIABLE)
    return Path(env) if env else RULES_FILE


def load_rules(path: Path | None = None) -> PostIssuanceRules:
    """The rules from ``path``, the deployment's file, or the bundled one."""
    chosen = path or rules_file()
    try:
        raw = yaml.load(chosen.read_text("utf-8"), Loader=YAML_LOADER)
        return PostIssuanceRules.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(
            f"{chosen.name}: invalid post-issuance rules: {field_errors(exc)}"
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{chosen.name}: invalid post-issuance rules: {exc}") from None


# ---- the document and its legal time ---------------------------------------------------------


class DocumentInfo(_Frozen):
    """What every post-issuance workflow knows of the document it is about."""

    case_id: str
    title: str
    doc_type: str
    doc_name: str
    regime: str
    level: Level
    drafting_agency: str
    drafting_agency_name: str


class CaseTime(_Frozen):
    """The document case's legal clock and calendar, so deadlines after issuance count on
    the same legal days as the case (compressed in demos and tests)."""

    origin: datetime
    legal_day_seconds: float = Field(default=86400.0, gt=0)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    def clock(self) -> LegalClock:
        return LegalClock(origin=self.origin, legal_day_seconds=self.legal_day_seconds)

    def legal_calendar(self) -> LegalCalendar:
        return self.calendar.legal_calendar()

    def since(self, day: date) -> CaseTime:
        """This time without the calendar's days before ``day``, for a case started then
        (each child carries its own copy: the days it can reach, not the whole file)."""
        trimmed = self.calendar.since(day)
        return self if trimmed is self.calendar else self.model_copy(update={"calendar": trimmed})

    def real_start_of(self, day: date) -> datetime:
        """The wall-clock instant at which the legal date ``day`` begins (00:00 in Vietnam)."""
        legal = datetime.combine(day, time(0), tzinfo=VIETNAM_TZ)
        return self.clock().to_real(legal)

    def legal_years(self, years: float) -> timedelta:
        return self.clock().legal_days(365 * years)


# ---- who does what ---------------------------------------------------------------------------


class AgencyPeople(_Frozen):
    """An agency that can handle feedback: who answers (tiếp nhận, trả lời) and its heads."""

    id: str
    name: str
    handlers: tuple[ActorRef, ...]
    heads: tuple[ActorRef, ...]

    @property
    def answerers(self) -> list[str]:
        return list(dict.fromkeys(a.id for a in (*self.handlers, *self.heads)))


class PostIssuancePeople(_Frozen):
    """The people of one document's life after issuance, resolved from the directory."""

    monitoring_officers: tuple[ActorRef, ...]
    checkers: tuple[ActorRef, ...]
    higher_authority: tuple[ActorRef, ...]
    issuers: tuple[ActorRef, ...]
    #: The drafting agency, which answers feedback on its document.
    feedback: AgencyPeople
    #: Every agency of the directory (id → name), to which feedback may be forwarded.
    agencies: dict[str, str]
    #: Agencies with someone to answer feedback.
    staffed: tuple[str, ...]


def _refs(directory: Directory, agencies: set[str], roles: tuple[str, ...]) -> tuple[ActorRef, ...]:
    return tuple(
        p.ref()
        for p in directory.people
        if p.agency in agencies and any(r in p.roles for r in roles)
    )


def _agencies_where(directory: Directory, home_id: str, where: Where) -> set[str]:
    home = directory.agency(home_id)
    if where is Where.DRAFTING:
        return {home.id}
    if where is Where.NATIONAL:
        place: str | None = "national"
    elif where is Where.PROVINCE:
        place = home.jurisdiction.split("/")[0] if home.jurisdiction else None
    else:
        place = home.jurisdiction
    return {a.id for a in directory.agencies if a.jurisdiction == place}


def agency_people(
    directory: Directory,
    agency_id: str,
    handler_roles: tuple[str, ...],
    head_roles: tuple[str, ...],
) -> AgencyPeople:
    """Who answers feedback for ``agency_id``, and its heads (KeyError if unknown)."""
    agency = directory.agency(agency_id)
    return AgencyPeople(
        id=agency.id,
        name=agency.name,
        handlers=_refs(directory, {agency.id}, handler_roles),
        heads=_refs(directory, {agency.id}, head_roles),
    )


def resolve_people(
    directory: Directory,
    rules: PostIssuanceRules,
    *,
    level: Level,
    drafting_agency: str,
    case_assignments: dict[str, list[ActorRef]],
) -> PostIssuancePeople:
    """Everyone a document's monitoring, feedback and checks need, from the directory and
    the role holders its case recorded (the issuer's signer or chair)."""

    def holders(role: str) -> tuple[ActorRef, ...]:
        where = rules.roles[role].where[level]
        return _refs(directory, _agencies_where(directory, drafting_agency, where), (role,))

    fb = rules.feedback
    issuers = {a.id: a for r in rules.issuer_roles for a in case_assignments.get(r, [])}
    staffed = tuple(
        a.id
        for a in directory.agencies
        if agency_people(directory, a.id, fb.handler_roles, fb.head_roles).answerers
    )
    return PostIssuancePeople(
        monitoring_officers=holders("monitoring_officer"),
        checkers=holders("checker"),
        higher_authority=holders("higher_authority"),
        issuers=tuple(issuers.values()),
        feedback=agency_people(directory, drafting_agency, fb.handler_roles, fb.head_roles),
        agencies={a.id: a.name for a in directory.agencies},
        staffed=staffed,
    )


# ---- what the post-issuance activities are asked ---------------------------------------------


class PeopleRequest(_Frozen):
    """Resolve a document's post-issuance people (the monitoring workflow asks yearly)."""

    rules: PostIssuanceRules
    level: Level
    drafting_agency: str
    case_assignments: dict[str, list[ActorRef]]


class AgencyRequest(_Frozen):
    """Who answers feedback for one agency (when a case is forwarded there)."""

    agency: str
    handler_roles: tuple[str, ...]
    head_roles: tuple[str, ...]


class LinkedCaseRequest(_Frozen):
    """Start the drafting case of an amendment (sửa đổi, bổ sung) of ``document``."""

    document: DocumentInfo
    #: The workflow whose decision asks for it (a feedback case, a check).
    via: str
    #: Makes the new case's id unique per decision, e.g. ``pa7`` (feedback 7), ``kt1``.
    tag: str = Field(pattern=r"^[a-z0-9-]{1,24}$")
    proposer: str
    reason: str
    legal_day_seconds: float = Field(gt=0)
    at: datetime
    #: The sign-in keys the deciding workflow trusts: the new case trusts the same.
    trusted_keys: tuple[TrustedKey, ...] = ()
