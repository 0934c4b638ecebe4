"""Signing for the head of an agency (ký thay, KT.; ký thừa lệnh, TL.): the holder of a role
the procedure marks ``delegable`` names a deputy of their own agency to act for them until the
end of a legal day (KT.), or, where the procedure marks the role ``by_order``, the head of a
unit of their agency to sign by their order (TL.). A decision taken under either records both
people, and the trail says "KT. <role>" or "TL. <role>".

Pure: the case keeps its delegations and the rules (``models/rules.py``) consult them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from models.actors import ActorRef
from models.authorship import Signed
from models.definition import DeadlineKind, ProcessDefinition
from models.legal_time import LegalClock, legal_instant

#: Nghị định 30/2020/NĐ-CP về công tác văn thư, Điều 13: the deputy signs "KT." for the head;
#: the head of a unit signs "TL." by the head's order.
BASIS = "Nghị định 30/2020/NĐ-CP Điều 13 (ký thay: KT.; ký thừa lệnh: TL.)"
#: The longest period one delegation may cover; a longer absence is a new decision.
LONGEST = timedelta(days=366)


class DelegationForm(str, Enum):
    """How the one who acts signs: for the head (KT.), or by the head's order (TL.)."""

    KT = "KT"
    TL = "TL"


#: How each form reads in a signature line.
FORM_WORDS = {DelegationForm.KT: "ký thay", DelegationForm.TL: "ký thừa lệnh"}


class DelegationRequest(Signed):
    """The holder of ``role`` names ``deputy`` to act for them until the end of ``until``."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    role: str = Field(min_length=1, max_length=64)
    deputy: ActorRef
    form: DelegationForm = DelegationForm.KT
    #: The last legal day (Vietnam's time zone) the deputy may act.
    until: date
    reason: str = Field(min_length=5, max_length=1000)


class Delegation(BaseModel):
    """A delegation a case accepted: who, for which role, from when to when, and why."""

    model_config = ConfigDict(frozen=True)
    role: str
    role_label: str
    holder: ActorRef
    deputy: ActorRef
    starts: datetime
    #: The end of ``until``'s legal day, on the case's clock.
    ends: datetime
    until: date
    reason: str
    form: DelegationForm = DelegationForm.KT

    def active(self, now: datetime) -> bool:
        return self.starts <= now <= self.ends

    def signed_as(self) -> str:
        """How a decision under it is signed: "KT. Chủ tịch …: <deputy> ký thay <holder>"
        or "TL. …: <unit head> ký thừa lệnh <holder>"."""
        words = FORM_WORDS[self.form]
        return (
            f"{self.form.value}. {self.role_label}: {self.deputy.name} {words} {self.holder.name}"
        )


class DelegationRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def plan_delegation(
    definition: ProcessDefinition,
    assignments: Mapping[str, Sequence[ActorRef]],
    req: DelegationRequest,
    clock: LegalClock,
    now: datetime,
) -> Delegation:
    """The delegation ``req`` asks for, or DelegationRefused saying why not."""
    role = definition.roles.get(req.role)
    if role is None:
        raise DelegationRefused("unknown_role", f"no role {req.role!r} in {definition.key}")
    if req.form is DelegationForm.KT and not role.delegable:
        raise DelegationRefused(
            "not_delegable",
            f"vai trò '{role.label}' không được ký thay / {req.role!r} cannot be delegated "
            f"under {definition.key} (the procedure marks which roles may be; {BASIS})",
        )
    if req.form is DelegationForm.TL and not role.by_order:
        raise DelegationRefused(
            "not_by_order",
            f"vai trò '{role.label}' không được ký thừa lệnh / {req.role!r} cannot be signed "
            f"by order (TL.) under {definition.key}: a legal normative document is signed by "
            f"the head, or KT. by a deputy; the procedure marks the roles that may ({BASIS})",
        )
    holder = next((a for a in assignments.get(req.role, []) if a.id == req.actor), None)
    if holder is None:
        raise DelegationRefused(
            "wrong_role",
            f"{req.actor!r} does not hold {req.role!r} in this case and cannot delegate it",
        )
    if req.deputy.id == holder.id:
        raise DelegationRefused("same_person", "a holder cannot delegate to themself")
    if req.deputy.agency != holder.agency:
        raise DelegationRefused(
            "other_agency",
            f"người ký phải cùng cơ quan / the deputy must belong to {holder.agency} "
            f"(not {req.deputy.agency}): only someone of the same agency signs "
            f"{req.form.value}.",
        )
    today = clock.legal_date(now)
    if req.until < today or req.until > today + LONGEST:
        raise DelegationRefused(
            "bad_period",
            f"until {req.until:%d/%m/%Y}: give a legal day from today ({today:%d/%m/%Y}) "
            f"to {today + LONGEST:%d/%m/%Y}",
        )
    ends = clock.to_real(legal_instant(req.until, DeadlineKind.MAXIMUM))
    return Delegation(
        role=req.role,
        role_label=role.label,
        holder=holder,
        deputy=req.deputy,
        starts=now,
        ends=ends,
        until=req.until,
        reason=req.reason,
        form=req.form,
    )


def acting_for(
    delegations: Sequence[Delegation], role: str, deputy: str, holder: str, now: datetime
) -> Delegation | None:
    """The delegation under which ``deputy`` acts for ``holder`` in ``role`` now, if any."""
    for d in reversed(delegations):
        if (d.role, d.deputy.id, d.holder.id) == (role, deputy, holder) and d.active(now):
            return d
    return None
