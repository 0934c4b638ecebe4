"""Declarations of interest (kê khai xung đột lợi ích) and recusal: before a person's first
decision on a case they say whether they have an interest in it; one who declares an interest
takes no further decision on that case, and what only they could do passes to their direct
superior (thủ trưởng trực tiếp) as the directory names them.

An absent person's tasks are reassigned by that superior (or an operator) with a
``ReassignRequest`` (phân công lại), recorded in the trail like every decision.

Pure: the case keeps the declarations and the rules (``models/rules.py``) consult them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.actors import ActorRef
from models.authorship import Signed

#: The duty to report a conflict of interest and stand aside from the task.
BASIS = "Luật Phòng, chống tham nhũng 2018 Điều 23 (kiểm soát xung đột lợi ích)"
#: The ``workflow.patched`` id under which a workflow asks for declarations: one started
#: before it never asked, and replays as it ran.
DECLARE_INTEREST_PATCH = "declare-interest-before-deciding"


class DeclaresInterest(BaseModel):
    """A decision that may carry its author's declaration (their first on the case)."""

    #: With this decision, the author declares they have no conflict of interest in the case.
    declare_no_interest: bool = False


class InterestDeclaration(Signed):
    """``actor`` declares whether they have an interest in this case (the Update
    ``declare_interest``); ``detail`` says what the interest is when they have one."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    has_interest: bool
    detail: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _detail_when_interested(self) -> InterestDeclaration:
        if self.has_interest and (self.detail is None or len(self.detail.strip()) < 5):
            raise ValueError(
                "nêu rõ lợi ích liên quan (ít nhất 5 ký tự) / say what the interest is "
                "(at least 5 characters)"
            )
        return self


class Declaration(BaseModel):
    """A declaration the case accepted."""

    model_config = ConfigDict(frozen=True)
    person: str
    has_interest: bool
    detail: str | None = None
    at: datetime
    legal_date: date

    def summary(self) -> str:
        if not self.has_interest:
            return "cam kết không có xung đột lợi ích / declares no conflict of interest"
        return (
            f"có xung đột lợi ích, không tham gia quyết định hồ sơ này / declares a conflict "
            f"of interest and stands aside: {self.detail} ({BASIS})"
        )


class ReassignRequest(Signed):
    """``actor`` (the absent or recused person's superior, or an operator) gives ``person``'s
    roles in this case (only ``role`` when given) to ``to``, of the same agency."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    person: str = Field(min_length=1, max_length=128)
    to: ActorRef
    role: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=5, max_length=1000)


class InterestRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def declaration_of(declarations: Sequence[Declaration], person: str) -> Declaration | None:
    """The person's standing declaration: an interest, once declared, stands."""
    mine = [d for d in declarations if d.person == person]
    recusal = next((d for d in mine if d.has_interest), None)
    return recusal or (mine[-1] if mine else None)


def recused(declarations: Sequence[Declaration], person: str) -> bool:
    d = declaration_of(declarations, person)
    return d is not None and d.has_interest


def involved(assignments: Mapping[str, Sequence[ActorRef]], person: str) -> list[str]:
    """The roles ``person`` holds in the case."""
    return [role for role, people in assignments.items() if any(a.id == person for a in people)]


def check_declaration(
    declarations: Sequence[Declaration], deciders: Collection[str], req: InterestDeclaration
) -> None:
    """InterestRefused unless ``req`` is one the case should record (``deciders``: who may
    take a decision on the case: role holders and their deputies)."""
    if req.actor not in deciders:
        raise InterestRefused(
            "not_involved",
            f"'{req.actor}' không giữ vai trò nào trong hồ sơ này / {req.actor!r} holds no "
            "role in this case and is no one's deputy in it: there is nothing to declare",
        )
    standing = declaration_of(declarations, req.actor)
    if standing is not None and standing.has_interest:
        raise InterestRefused(
            "already_recused",
            f"'{req.actor}' đã khai báo có xung đột lợi ích ngày {standing.legal_date:%d/%m/%Y} "
            f"/ {req.actor!r} already declared a conflict of interest in this case; the "
            "recusal stands",
        )
    if standing is not None and not req.has_interest:
        raise InterestRefused(
            "already_declared",
            f"'{req.actor}' đã cam kết không có xung đột lợi ích ngày "
            f"{standing.legal_date:%d/%m/%Y} / {req.actor!r} already declared no conflict of "
            "interest in this case",
        )


def check_decider(
    declarations: Sequence[Declaration], person: str, required: bool, declares_now: bool
) -> None:
    """InterestRefused when ``person`` stood aside from the case, or (where the case asks
    for declarations) has not declared and does not declare with this decision."""
    if recused(declarations, person):
        raise InterestRefused(
            "recused",
            f"'{person}' đã khai báo có xung đột lợi ích nên không tham gia quyết định hồ sơ này "
            f"/ {person!r} declared a conflict of interest in this case and takes no decision "
            f"on it, in person or through a deputy ({BASIS}); the case's status shows who "
            "holds the task now",
        )
    if required and not declares_now and declaration_of(declarations, person) is None:
        raise InterestRefused(
            "interest_not_declared",
            f"trước quyết định đầu tiên trong hồ sơ, '{person}' cần khai báo xung đột lợi ích / "
            f"{person!r} must declare whether they have a conflict of interest in this case "
            "before their first decision on it: `legisflow declare CASE --no-interest` (or "
            f'--interest "…"), or add --no-interest to this command ({BASIS})',
        )


def successors(
    assignments: Mapping[str, Sequence[ActorRef]],
    declarations: Sequence[Declaration],
    superiors: Mapping[str, ActorRef],
    person: str,
) -> dict[str, ActorRef | None]:
    """For each role ``person`` holds that nobody else can take once they stand aside: who
    takes it (their superior, or None when the directory names none)."""
    out: dict[str, ActorRef | None] = {}
    for role in involved(assignments, person):
        others = [
            a for a in assignments[role]
            if a.id != person and not recused(declarations, a.id)
        ]  # fmt: skip
        if not others:
            out[role] = superiors.get(person)
    return out


def check_reassignment(
    assignments: Mapping[str, Sequence[ActorRef]],
    superiors: Mapping[str, ActorRef],
    operators: Sequence[str],
    req: ReassignRequest,
) -> list[str]:
    """The roles ``req`` moves, or InterestRefused saying why not."""
    superior = superiors.get(req.person)
    if req.actor not in operators and (superior is None or superior.id != req.actor):
        raise InterestRefused(
            "not_superior",
            f"chỉ thủ trưởng trực tiếp của '{req.person}' "
            f"({superior.name if superior else 'không có trong danh bạ'}) hoặc người vận hành "
            f"được phân công lại / only {req.person!r}'s direct superior or an operator may "
            "reassign their tasks",
        )
    roles = involved(assignments, req.person)
    if req.role is not None:
        roles = [r for r in roles if r == req.role]
    if not roles:
        raise InterestRefused(
            "nothing_to_reassign",
            f"'{req.person}' không giữ vai trò "
            f"{repr(req.role) if req.role else 'nào'} trong hồ sơ này / {req.person!r} holds "
            f"{'role ' + repr(req.role) if req.role else 'no role'} in this case",
        )
    if req.to.id == req.person:
        raise InterestRefused("same_person", "a person's tasks cannot be given to themself")
    home = next(a.agency for r in roles for a in assignments[r] if a.id == req.person)
    if req.to.agency != home:
        raise InterestRefused(
            "other_agency",
            f"người nhận phải cùng cơ quan / {req.to.id!r} must belong to {home} "
            f"(not {req.to.agency}) to take {req.person!r}'s tasks",
        )
    return roles


def handed_over(
    assignments: Mapping[str, Sequence[ActorRef]],
    roles: Sequence[str],
    to: ActorRef,
    *,
    replacing: str | None = None,
) -> dict[str, list[ActorRef]]:
    """``assignments`` with ``to`` holding ``roles`` (in place of ``replacing``, if given; a
    recused holder stays listed, the rules keep them from acting)."""
    out = {role: list(people) for role, people in assignments.items()}
    for role in roles:
        kept = [a for a in out.get(role, []) if a.id != replacing]
        out[role] = kept if any(a.id == to.id for a in kept) else [*kept, to]
    return out
