"""The procedures after issuance as data (quy trình sau ban hành): the steps of a citizen's
feedback case, of a legality check and of a document's monitoring, declared in
``models/post_issuance.yaml`` like the drafting procedures in ``models/processes/``.

A step procedure has stages (each with its labels and the ``LegalStage`` ops filter by),
transitions (an action from some stages to one, taken by a role of the procedure or by the
workflow itself), and the time limits that run in some of its stages, each with its legal
basis; a time limit may make the workflow take an action itself when it passes (an
escalation). The workflows interpret it: no stage name of one procedure is in their code.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.definition import SYSTEM_ACTOR, Deadline, DeadlineKind, Identifier


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepStage(_Frozen):
    """A stage (bước) of a procedure after issuance."""

    label: str
    label_en: str
    #: The ``LegalStage`` search attribute while a case is here (default: the stage's name).
    search_stage: Identifier | None = None
    #: The monitoring's count that a case entering this stage adds to (a field of
    #: ``models.counts.Counts``); with ``_late`` appended when it came after its time limit.
    counts: Identifier | None = None


class StepTimeLimit(_Frozen):
    """A time limit (thời hạn) that runs while a case is in some stages: counted from the
    case's first entry into one of them, with its legal basis."""

    label: str
    label_en: str
    runs_in: tuple[Identifier, ...] = Field(min_length=1)
    limit: Deadline
    #: What the workflow does itself when the time limit passes (an action of the procedure).
    on_breach: Identifier | None = None


class StepTransition(_Frozen):
    """An action (thao tác) that moves a case from one of some stages to another."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)

    action: Identifier
    source: tuple[Identifier, ...] = Field(alias="from", min_length=1)
    #: The stage it leads to; None: the case stays in the stage it is in (an action allowed
    #: only there, such as receiving feedback while the document is in force).
    dest: Identifier | None = Field(default=None, alias="to")
    #: The role of the procedure whose holders take it, or ``system`` (the workflow itself).
    role: Identifier
    label: str
    label_en: str
    #: The time limit this action meets: taken after it passed, the case is marked late.
    meets: Identifier | None = None


class StepProcedure(_Frozen):
    """One procedure after issuance, validated like a drafting definition."""

    name: str
    name_en: str
    basis: str = Field(min_length=3)
    #: Its roles (who acts), with what they are.
    roles: dict[Identifier, str]
    initial: Identifier
    final: tuple[Identifier, ...] = Field(min_length=1)
    stages: dict[Identifier, StepStage]
    time_limits: dict[Identifier, StepTimeLimit] = Field(default_factory=dict)
    transitions: tuple[StepTransition, ...]

    @model_validator(mode="after")
    def _check(self) -> StepProcedure:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def transitions_for(self, action: str, stage: str) -> list[StepTransition]:
        """The transitions ``action`` takes from ``stage`` (one per role that may take it)."""
        return [t for t in self.transitions if t.action == action and stage in t.source]

    def after(self, t: StepTransition, stage: str) -> str:
        """The stage a case in ``stage`` is in after taking ``t``."""
        return t.dest if t.dest is not None else stage

    def is_final(self, stage: str) -> bool:
        return stage in self.final

    def label(self, stage: str) -> tuple[str, str]:
        s = self.stages[stage]
        return s.label, s.label_en

    def search_stage(self, stage: str) -> str:
        return self.stages[stage].search_stage or stage

    def running(self, stage: str) -> list[str]:
        """The time limits that run while a case is in ``stage``."""
        return [name for name, t in self.time_limits.items() if stage in t.runs_in]


class TrailStep(BaseModel):
    """One line of a case's trail after issuance: who did what, when (on the legal clock)."""

    at: datetime
    legal_date: date
    actor: str
    action: str
    note: str | None = None


def _problems(p: StepProcedure) -> list[str]:
    problems: list[str] = []
    stages = set(p.stages)
    named = [("initial", p.initial), *((f"final[{i}]", f) for i, f in enumerate(p.final))]
    for name, stage in named:
        if stage not in stages:
            problems.append(f"{name}: unknown stage {stage!r}")
    seen: set[tuple[str, str, str]] = set()
    for i, t in enumerate(p.transitions):
        where = f"transitions[{i}] ({t.action})"
        for j, source in enumerate(t.source):
            if source not in stages:
                problems.append(f"{where}.from[{j}]: unknown stage {source!r}")
            elif source in p.final:
                problems.append(f"{where}.from[{j}]: {source!r} is final and cannot be left")
            if (source, t.action, t.role) in seen:
                problems.append(f"{where}: defined twice from {source!r} for {t.role!r}")
            seen.add((source, t.action, t.role))
        if t.dest is not None and t.dest not in stages:
            problems.append(f"{where}.to: unknown stage {t.dest!r}")
        if t.role not in p.roles and t.role != SYSTEM_ACTOR:
            problems.append(f"{where}.role: unknown role {t.role!r}")
        if t.meets is not None and t.meets not in p.time_limits:
            problems.append(f"{where}.meets: unknown time limit {t.meets!r}")
    for name, limit in p.time_limits.items():
        where = f"time_limits.{name}"
        for j, stage in enumerate(limit.runs_in):
            if stage not in stages:
                problems.append(f"{where}.runs_in[{j}]: unknown stage {stage!r}")
        if limit.limit.kind is not DeadlineKind.MAXIMUM:
            problems.append(f"{where}.limit.kind: must be maximum (something must be done by then)")
        if limit.limit.remind_before_days and limit.limit.remind_before_days >= limit.limit.days:
            problems.append(f"{where}.limit.remind_before_days: not shorter than the time limit")
        runs_in = set(limit.runs_in)
        if limit.on_breach is not None and not any(
            t.action == limit.on_breach and t.role == SYSTEM_ACTOR and set(t.source) & runs_in
            for t in p.transitions
        ):
            problems.append(
                f"{where}.on_breach: no {SYSTEM_ACTOR} transition {limit.on_breach!r} from a "
                "stage it runs in"
            )
    if problems or p.initial not in stages:
        return problems
    reachable = _reachable(p)
    dead_ends = set()
    for name in p.stages:
        if name not in reachable:
            problems.append(f"stages.{name}: unreachable from {p.initial!r}")
        elif name not in p.final and not any(_leaves(t, name) for t in p.transitions):
            problems.append(f"stages.{name}: dead end that is not final")
            dead_ends.add(name)
    trapped = sorted(reachable - _leading_to_final(p) - dead_ends)
    if trapped:
        problems.append(
            f"stages {', '.join(trapped)}: no way out to a final stage ({', '.join(p.final)})"
        )
    return problems


def _leaves(t: StepTransition, stage: str) -> bool:
    return stage in t.source and t.dest is not None and t.dest != stage


def _reachable(p: StepProcedure) -> set[str]:
    seen = {p.initial}
    queue = deque([p.initial])
    while queue:
        stage = queue.popleft()
        for t in p.transitions:
            if stage in t.source and t.dest is not None and t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return seen


def _leading_to_final(p: StepProcedure) -> set[str]:
    seen = set(p.final)
    changed = True
    while changed:
        changed = False
        for t in p.transitions:
            if t.dest is not None and t.dest in seen:
                for source in t.source:
                    if source not in seen:
                        seen.add(source)
                        changed = True
    return seen
