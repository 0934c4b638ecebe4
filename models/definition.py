"""Process definitions (quy trình ban hành văn bản) as validated data.

A definition is one document type under one legal regime: its roles, stages, deadlines and
transitions. Definitions are read from ``models/processes/<regime>.yaml``; this module is
the schema and the checks that make a malformed file fail loudly on load.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models.calendar import DayUnit
from models.deliveries import PublicationChannel

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RegimeKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9_]*$", max_length=32)]

#: The actor id used for transitions the workflow fires by itself (timers).
SYSTEM_ACTOR = "system"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeadlineKind(str, Enum):
    """``minimum``: the stage may not end before it (thời hạn tối thiểu);
    ``maximum``: the stage must end by it (thời hạn tối đa), else the case is overdue."""

    MINIMUM = "minimum"
    MAXIMUM = "maximum"


class Body(str, Enum):
    """Which body a role belongs to, resolved per case from the drafting agency."""

    DRAFTING = "drafting"  # cơ quan chủ trì soạn thảo
    JUSTICE = "justice"  # cơ quan thẩm định (Sở Tư pháp, Bộ Tư pháp, pháp chế)
    ISSUING = "issuing"  # cơ quan ban hành (UBND, HĐND, Chính phủ, Bộ)
    COUNCIL = "council"  # Hội đồng nhân dân and its committees
    GAZETTE = "gazette"  # Công báo
    CONSULTED = "consulted"  # cơ quan được lấy ý kiến
    FRONT = "front"  # Mặt trận Tổ quốc
    OPERATIONS = "operations"  # vận hành hệ thống


class Level(str, Enum):
    """Which tier issues the document (cấp ban hành)."""

    CENTRAL = "central"  # trung ương: Chính phủ, Bộ
    LOCAL = "local"  # cấp tỉnh
    COMMUNE = "commune"  # cấp xã


class Procedure(str, Enum):
    """Which procedure a transition belongs to: the normal one, the simplified one
    (trình tự, thủ tục rút gọn, Luật 64/2025 Điều 50), or both."""

    ANY = "any"
    NORMAL = "normal"
    SIMPLIFIED = "simplified"

    def applies(self, simplified: bool) -> bool:
        return self is Procedure.ANY or (self is Procedure.SIMPLIFIED) == simplified


class Jurisdiction(str, Enum):
    """Where a role's holders are found, relative to the drafting agency."""

    SAME = "same"  # the drafting agency's province, commune or ministry
    NATIONAL = "national"  # a central body (Bộ Tư pháp, Chính phủ, Công báo)


class Role(_Frozen):
    """A role (vai trò) a person holds in a case."""

    label: str
    #: Its English name, for the workspace's English pages (the label where it is missing).
    label_en: str | None = None
    body: Body
    jurisdiction: Jurisdiction = Jurisdiction.SAME
    #: Its holder may name a deputy to sign for them for a period (ký thay, KT.:
    #: ``models/delegation.py``).
    delegable: bool = False
    #: Its holder may have the head of a unit of their agency sign by their order (ký thừa
    #: lệnh, TL.). No shipped procedure marks a role so: a legal normative document is signed
    #: by the head or KT. by a deputy; which other acts of a procedure may be signed TL. is
    #: for the legal department to say, in the data.
    by_order: bool = False


class Deadline(_Frozen):
    """A time limit (thời hạn) with its legal basis (căn cứ pháp lý)."""

    days: int = Field(ge=0, le=3650)
    #: The length under the simplified procedure, where the law shortens it.
    simplified_days: int | None = Field(default=None, ge=0, le=3650)
    unit: DayUnit
    kind: DeadlineKind
    basis: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
    confirmed: bool
    #: Stage whose latest entry starts the count; default: entry into this stage.
    anchor: Identifier | None = None
    remind_before_days: int = Field(default=0, ge=0)
    #: A calendar-day limit whose last day is a day off runs on to the next working day
    #: (Bộ luật Dân sự 2015 Điều 148 khoản 5). Unset: as the official calendar's rules say
    #: for this kind (maximum: yes; minimum: no).
    rolls_over: bool | None = None
    #: Role that must act before a maximum deadline (notified by the reminder).
    responsible: Identifier | None = None
    #: Role notified when a maximum deadline is breached (the head of the responsible body).
    escalate_to: Identifier | None = None
    note: str | None = None


class Stage(_Frozen):
    """A stage (bước) of the procedure."""

    label: str  # Vietnamese
    label_en: str
    deadline: Deadline | None = None
    #: Bodies asked for a written opinion while the case is in this stage.
    consults: tuple[ConsultedBody, ...] = ()
    #: Anyone may comment while the case is in this stage (lấy ý kiến rộng rãi).
    comments: bool = False
    #: On entry, the latest document version is posted on this channel.
    publish: PublicationChannel | None = None
    #: A final stage where the document is in force: entering it starts the document's
    #: monitoring (theo dõi thi hành), which outlives the case.
    monitor: bool = False


class GuardName(str, Enum):
    """The closed vocabulary of guards (điều kiện) a transition may name: a misspelt guard
    fails loading with its file and field, instead of refusing every action at run time.
    ``models.rules.GUARDS`` says what each one checks; a new guard is added in both."""

    MINIMUM_PERIOD_ELAPSED = "minimum_period_elapsed"
    CONSULTATION_REPLIES_COMPLETE = "consultation_replies_complete"
    COMMENTS_DISPOSED = "comments_disposed"
    CONTESTED_ISSUES_SETTLED = "contested_issues_settled"


class GeneratedDocument(str, Enum):
    """Documents legisflow writes itself."""

    SYNTHESIS_REPORT = "synthesis_report"  # bản tổng hợp, giải trình, tiếp thu ý kiến


class Transition(_Frozen):
    """An action (thao tác) that moves a case from one stage to another."""

    # Files say ``from``/``to``; code and serialised workflow inputs may use the field names.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)

    action: Identifier
    source: Identifier = Field(alias="from")
    dest: Identifier = Field(alias="to")
    role: Identifier
    label: str
    label_en: str
    #: Fired by the workflow itself once the stage's minimum deadline is reached.
    automatic: bool = False
    #: The actor may not be the person whose action entered the current stage (bốn mắt).
    four_eyes: bool = False
    #: The action must carry a document (a new version: draft, report, signed text).
    requires_document: bool = False
    #: The document must be a PDF signed by the person taking the action (chữ ký số; the
    #: signature is checked against the roots pinned in the case, ``models/signature_evidence``;
    #: a case started without pinned roots does not check it).
    requires_signature: bool = False
    #: The person signs a short statement of the decision (the case, the action, the
    #: document's digest) with their certificate (phê duyệt có ký số): the decision is
    #: provably theirs. Checked like a signed document, where the case pins roots.
    signed_approval: bool = False
    #: The action must carry a note saying why (a return, a rejection, a withdrawal): the
    #: people the case goes back to read it on the case page and in their notification.
    requires_note: bool = False
    #: Guards that must hold (``GuardName``; ``models.rules.GUARDS`` checks each).
    guards: tuple[GuardName, ...] = ()
    #: Normal procedure only, simplified only, or both.
    procedure: Procedure = Procedure.ANY
    #: Taking it ends the consultation: open requests are withdrawn, the comment ledger
    #: becomes final.
    closes_consultation: bool = False
    #: A document the case generates when this action is taken (a new version).
    generates: GeneratedDocument | None = None


class ConsultedBody(_Frozen):
    """A body whose written opinion is requested in a stage (cơ quan được lấy ý kiến)."""

    role: Identifier
    label: str
    #: Its English name, for the workspace's English pages (the label where it is missing).
    label_en: str | None = None
    #: The stage cannot be left until it replied or its reply deadline passed.
    mandatory: bool = False
    reply: Deadline


class DirectionRule(_Frozen):
    """Contested issues sent up for direction (vấn đề lớn, phức tạp, còn ý kiến khác nhau —
    xin ý kiến chỉ đạo của cấp có thẩm quyền): who may raise one, who gives the direction, and
    by when (``reply``: its basis, reminder and escalation, as for a consulted body). A
    transition that names the ``contested_issues_settled`` guard waits until every issue
    raised in the case has its direction."""

    #: Roles that may raise an issue (the drafting unit).
    raised_by: tuple[Identifier, ...] = Field(min_length=1)
    #: The competent authority's role (the one whose inbox the issue lands in).
    decided_by: Identifier
    reply: Deadline
    basis: str = Field(min_length=3)
    confirmed: bool


class SimplifiedRule(_Frozen):
    """Who may decide to use the simplified procedure for this type, on which basis."""

    decided_by: Identifier
    basis: str = Field(min_length=3)
    confirmed: bool
    note: str | None = None


class ProcessDefinition(_Frozen):
    """One document type under one legal regime, resolved and self-contained.

    The workflow receives the whole of it in its input so its history records the rules
    the case runs under.
    """

    regime: RegimeKey
    regime_basis: str
    doc_type: Identifier
    name: str
    level: Level
    roles: dict[Identifier, Role]
    #: The role whose holder may start a case (the drafting unit).
    starter_role: Identifier
    initial: Identifier
    final: tuple[Identifier, ...]
    stages: dict[Identifier, Stage]
    transitions: tuple[Transition, ...]
    #: None: this type has no simplified procedure.
    simplified: SimplifiedRule | None = None
    #: None: issues cannot be sent up for direction in this type.
    direction: DirectionRule | None = None
    #: The role allowed to repair and migrate cases (an authorised operator).
    operator_role: Identifier = "ops"

    @model_validator(mode="after")
    def _check_graph(self) -> ProcessDefinition:
        problems = list(_graph_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Lookups used by the machine, the rules and the CLI.
    def transition(self, source: str, action: str, simplified: bool = False) -> Transition | None:
        for t in self.transitions_from(source, simplified):
            if t.action == action:
                return t
        return None

    def transitions_from(self, source: str, simplified: bool | None = None) -> list[Transition]:
        """Transitions leaving ``source``; for one procedure, or for both when None."""
        return [
            t
            for t in self.transitions
            if t.source == source and (simplified is None or t.procedure.applies(simplified))
        ]

    @property
    def actions(self) -> list[str]:
        return sorted({t.action for t in self.transitions})

    @property
    def key(self) -> str:
        return f"{self.doc_type}@{self.regime}"


# Names the state machine defines on its model (``state``, ``trigger``, ``is_<stage>``…).
_RESERVED_ACTIONS = frozenset({"state", "trigger"})
_RESERVED_PREFIXES = ("is_", "may_", "to_", "when_")


def _graph_problems(d: ProcessDefinition) -> list[str]:
    problems: list[str] = []
    if d.starter_role not in d.roles:
        problems.append(f"starter_role: unknown role {d.starter_role!r}")
    if d.initial not in d.stages:
        problems.append(f"initial: unknown stage {d.initial!r}")
    for f in d.final:
        if f not in d.stages:
            problems.append(f"final: unknown stage {f!r}")
    seen: set[tuple[str, str, bool]] = set()
    for i, t in enumerate(d.transitions):
        where = f"transitions[{i}] ({t.action})"
        for end, name in (("from", t.source), ("to", t.dest)):
            if name not in d.stages:
                problems.append(f"{where}.{end}: unknown stage {name!r}")
        if t.role not in d.roles and t.role != SYSTEM_ACTOR:
            problems.append(f"{where}.role: unknown role {t.role!r}")
        if t.source in d.final:
            problems.append(f"{where}.from: {t.source!r} is final and cannot be left")
        for simplified in (False, True):
            if not t.procedure.applies(simplified):
                continue
            if (t.source, t.action, simplified) in seen:
                problems.append(f"{where}: action {t.action!r} defined twice from {t.source!r}")
                break
            seen.add((t.source, t.action, simplified))
        if t.procedure is Procedure.SIMPLIFIED and d.simplified is None:
            problems.append(f"{where}.procedure: the type declares no simplified procedure")
        stage = d.stages.get(t.source)
        if t.automatic and (
            stage is None or stage.deadline is None or stage.deadline.kind != DeadlineKind.MINIMUM
        ):
            problems.append(f"{where}.automatic: stage {t.source!r} has no minimum deadline")
        if t.automatic and t.role != SYSTEM_ACTOR:
            problems.append(f"{where}.role: automatic transitions belong to {SYSTEM_ACTOR!r}")
        if t.role == SYSTEM_ACTOR and not t.automatic:
            problems.append(f"{where}.automatic: role {SYSTEM_ACTOR!r} needs automatic: true")
        if t.action in _RESERVED_ACTIONS or t.action.startswith(_RESERVED_PREFIXES):
            problems.append(f"{where}.action: {t.action!r} is reserved by the state machine")
    if d.direction is not None:
        for named in (*d.direction.raised_by, d.direction.decided_by):
            if named not in d.roles:
                problems.append(f"direction: unknown role {named!r}")
        esc = d.direction.reply.escalate_to
        if esc is not None and esc not in d.roles:
            problems.append(f"direction.reply.escalate_to: unknown role {esc!r}")
    for name, stage in d.stages.items():
        if stage.monitor and name not in d.final:
            problems.append(f"stages.{name}.monitor: only a final stage can start monitoring")
        dl = stage.deadline
        if dl is None:
            continue
        for field, role in (("responsible", dl.responsible), ("escalate_to", dl.escalate_to)):
            if role is not None and role not in d.roles:
                problems.append(f"stages.{name}.deadline.{field}: unknown role {role!r}")
        if dl.anchor is not None and dl.anchor not in d.stages:
            problems.append(f"stages.{name}.deadline.anchor: unknown stage {dl.anchor!r}")
        if dl.remind_before_days > dl.days:
            problems.append(f"stages.{name}.deadline.remind_before_days: longer than the deadline")
        for j, c in enumerate(stage.consults):
            if c.role not in d.roles:
                problems.append(f"stages.{name}.consults[{j}].role: unknown role {c.role!r}")
    if d.simplified is not None and d.simplified.decided_by not in d.roles:
        problems.append(f"simplified.decided_by: unknown role {d.simplified.decided_by!r}")
    if d.operator_role not in d.roles:
        problems.append(f"operator_role: unknown role {d.operator_role!r}")
    if problems or d.initial not in d.stages:
        return problems
    reachable = _reachable(d)
    dead_ends = []
    for name in d.stages:
        if name not in reachable:
            problems.append(f"stages.{name}: unreachable from {d.initial!r}")
        elif name not in d.final and not d.transitions_from(name):
            problems.append(f"stages.{name}: dead end that is not final")
            dead_ends.append(name)
    for simplified in (False, True) if d.simplified is not None else (False,):
        trapped = sorted(_reachable(d, simplified) - _leading_to_final(d, simplified))
        trapped = [s for s in trapped if s not in dead_ends]
        if trapped:
            procedure = "simplified" if simplified else "normal"
            problems.append(
                f"stages {', '.join(trapped)}: no way out to a final stage "
                f"({', '.join(d.final)}) under the {procedure} procedure; a case entering "
                "them would be trapped"
            )
    return problems


def _reachable(d: ProcessDefinition, simplified: bool | None = None) -> set[str]:
    """Stages a case can reach from the initial one (under one procedure, or either)."""
    seen = {d.initial}
    queue = deque([d.initial])
    while queue:
        for t in d.transitions_from(queue.popleft(), simplified):
            if t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return seen


def _leading_to_final(d: ProcessDefinition, simplified: bool) -> set[str]:
    """Stages from which some path under the procedure reaches a final stage."""
    seen = set(d.final)
    changed = True
    while changed:
        changed = False
        for t in d.transitions:
            if t.procedure.applies(simplified) and t.dest in seen and t.source not in seen:
                seen.add(t.source)
                changed = True
    return seen
