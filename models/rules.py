"""Whether a person may take an action now (kiểm tra điều kiện thực hiện thao tác).

Pure functions shared by the workflow's Update validator, the status query and the property
tests. Every refusal carries a code and a message in Vietnamese and English that tells the
caller exactly what is wrong and, where it can, what would be allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from models.actors import ActorRef
from models.case import ActionRequest, AllowedAction, BlockedAction, ConsultView
from models.contested_issues import ContestedIssue
from models.definition import (
    SYSTEM_ACTOR,
    DeadlineKind,
    GuardName,
    ProcessDefinition,
    Transition,
)
from models.delegation import Delegation, acting_for
from models.interests import Declaration, InterestRefused, check_decider, recused
from models.legal_time import StageDeadline
from models.machine import IllegalTransition, ProcessMachine
from models.signature_evidence import (
    SignatureRefused,
    approval_statement,
    check_approval,
    check_evidence,
)


class ActionRefused(Exception):
    """An action the rules do not allow; ``code`` is stable for scripts."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


#: Cases started since returns and rejections must say why record this marker; the rule
#: applies to them only (a case started before never asked for the note).
NOTE_REQUIRED_PATCH = "note-required-on-return"


@dataclass(frozen=True)
class RuleContext:
    """What the rules need to know of a case at one instant."""

    machine: ProcessMachine
    stage: str
    #: Who took the action that entered the current stage (for four eyes).
    entered_by: str | None
    assignments: Mapping[str, list[ActorRef]]
    deadline: StageDeadline | None
    now: datetime
    #: The case runs under the simplified procedure (rút gọn).
    simplified: bool = False
    #: Written consultations open in the current stage.
    consultations: Sequence[ConsultView] = ()
    #: Distinct public comments still lacking a disposition.
    comments_pending: bool = False
    #: Deputies named to act for a role's holder (ký thay, ``models/delegation.py``).
    delegations: Sequence[Delegation] = ()
    #: Declarations of interest made in the case (``models/interests.py``).
    declarations: Sequence[Declaration] = ()
    #: A person must declare before their first decision (cases started since the
    #: declarations came; older cases never asked).
    declaration_required: bool = False
    #: A return or a rejection must say why (``Transition.requires_note``; cases started
    #: since the rule came, ``NOTE_REQUIRED_PATCH``; older cases never asked).
    notes_required: bool = False
    #: Issues sent up for direction that have none yet (``models/contested_issues.py``).
    open_issues: Sequence[ContestedIssue] = ()
    #: The roots a signed document must chain to (empty: signatures are not checked).
    signature_roots: Sequence[x509.Certificate] = ()
    #: The case's id (what a signed approval names).
    case_id: str = ""

    @property
    def definition(self) -> ProcessDefinition:
        return self.machine.definition


Guard = Callable[[RuleContext], str | None]
"""A guard returns None when it holds, else the reason it does not."""


def _minimum_period_elapsed(ctx: RuleContext) -> str | None:
    dl = ctx.deadline
    if dl is None or dl.kind is not DeadlineKind.MINIMUM or ctx.now >= dl.due:
        return None
    due = dl.counted.due
    return (
        f"chưa hết thời hạn tối thiểu {dl.counted.days} ngày, sớm nhất {due:%d/%m/%Y} "
        f"/ the minimum period of {dl.counted.days} {dl.rule.unit.value} days has not elapsed; "
        f"earliest {due:%Y-%m-%d} ({dl.explanation()}; basis: {dl.rule.basis})"
    )


def _consultation_replies_complete(ctx: RuleContext) -> str | None:
    waiting = [c for c in ctx.consultations if c.mandatory and not c.settled]
    if not waiting:
        return None
    names = ", ".join(f"{c.label} (hạn / due {c.due_legal_date:%Y-%m-%d})" for c in waiting)
    return (
        f"còn chờ ý kiến bắt buộc / still waiting for mandatory replies: {names}; a body "
        "that has neither replied nor passed its reply deadline holds the stage"
    )


def _comments_disposed(ctx: RuleContext) -> str | None:
    if not ctx.comments_pending:
        return None
    return (
        "còn ý kiến góp ý chưa được giải trình, tiếp thu / some comments still lack a "
        "disposition; see `legisflow comments CASE --open`"
    )


def _contested_issues_settled(ctx: RuleContext) -> str | None:
    if not ctx.open_issues:
        return None
    names = "; ".join(
        f"vấn đề {i.number} «{i.question}» (hạn / due {i.due_legal_date:%d/%m/%Y})"
        for i in ctx.open_issues
    )
    return (
        f"còn vấn đề chờ ý kiến chỉ đạo của {ctx.open_issues[0].authority_label} / still "
        f"waiting for the competent authority's direction on: {names}"
    )


#: What each guard of the vocabulary checks. New guards are added here and in ``GuardName``,
#: never in workflow code.
GUARDS: dict[GuardName, Guard] = {
    GuardName.MINIMUM_PERIOD_ELAPSED: _minimum_period_elapsed,
    GuardName.CONSULTATION_REPLIES_COMPLETE: _consultation_replies_complete,
    GuardName.COMMENTS_DISPOSED: _comments_disposed,
    GuardName.CONTESTED_ISSUES_SETTLED: _contested_issues_settled,
}


def holders(ctx: RuleContext, role: str) -> list[str]:
    return [a.id for a in ctx.assignments.get(role, [])]


def eligible_actors(ctx: RuleContext, t: Transition) -> list[str]:
    """Role holders who may take ``t`` now, and deputies acting for one of them (KT.): four
    eyes removes the one who submitted, and the deputy of the one who submitted; a person who
    declared a conflict of interest stands aside, and so does their deputy."""
    people = [p for p in holders(ctx, t.role) if not recused(ctx.declarations, p)]
    deputies = [
        d.deputy.id
        for d in ctx.delegations
        if d.role == t.role and d.active(ctx.now) and d.holder.id in people
        and not (t.four_eyes and d.holder.id == ctx.entered_by)
        and not recused(ctx.declarations, d.deputy.id)
    ]  # fmt: skip
    if t.four_eyes and ctx.entered_by is not None:
        people = [p for p in people if p != ctx.entered_by]
    return list(dict.fromkeys([*people, *deputies]))


def failed_guards(ctx: RuleContext, t: Transition) -> list[str]:
    reasons = []
    for name in t.guards:
        reason = GUARDS[name](ctx)
        if reason is not None:
            reasons.append(reason)
    return reasons


def check_action(ctx: RuleContext, req: ActionRequest, *, system: bool = False) -> Transition:
    """The transition ``req`` takes, or ActionRefused saying why not.

    ``system`` is True only for the workflow's own timer-driven transitions.
    """
    d = ctx.definition
    if ctx.machine.is_final(ctx.stage):
        raise ActionRefused(
            "case_closed",
            f"hồ sơ đã kết thúc ở bước '{d.stages[ctx.stage].label}' / the case is closed "
            f"({ctx.stage}); {req.action!r} and every other action are no longer possible",
        )
    try:
        ctx.machine.next_stage(ctx.stage, req.action, ctx.simplified)
    except IllegalTransition:
        other = d.transition(ctx.stage, req.action, not ctx.simplified)
        if other is not None and not ctx.simplified:
            raise ActionRefused(
                "simplified_only",
                f"thao tác '{other.label}' chỉ áp dụng theo trình tự, thủ tục rút gọn / "
                f"{req.action!r} is a shortcut of the simplified procedure; this case follows "
                "the normal procedure",
            ) from None
        allowed = ", ".join(
            t.action for t in d.transitions_from(ctx.stage, ctx.simplified) if not t.automatic
        )
        raise ActionRefused(
            "illegal_action",
            f"thao tác '{req.action}' không được phép ở bước '{d.stages[ctx.stage].label}' / "
            f"action {req.action!r} is not allowed in stage {ctx.stage!r}; "
            f"allowed here: {allowed or 'none (the case advances by itself)'}",
        ) from None
    t = d.transition(ctx.stage, req.action, ctx.simplified)
    assert t is not None  # the machine and the definition agree by construction
    if t.automatic and not system:
        raise ActionRefused(
            "automatic_only",
            f"thao tác '{t.label}' do hệ thống tự thực hiện / {req.action!r} happens "
            "automatically when its time comes; nobody can take it by hand",
        )
    if not system:
        _check_actor(ctx, t, req)
        if t.requires_document and req.document is None:
            raise ActionRefused(
                "document_required",
                f"thao tác '{t.label}' cần kèm văn bản / {req.action!r} requires a document "
                "(use --file)",
            )
        if t.requires_signature and ctx.signature_roots:
            _check_signature(ctx, t, req)
        if t.signed_approval and ctx.signature_roots:
            _check_approval(ctx, t, req)
        if t.requires_note and ctx.notes_required and not (req.note or "").strip():
            raise ActionRefused(
                "note_required",
                f"thao tác '{t.label}' cần ghi rõ lý do; những người liên quan sẽ đọc lý do này "
                f"/ {req.action!r} needs a note saying why (use --note): the people it affects "
                "read it on the case page and in their notification",
            )
    reasons = failed_guards(ctx, t)
    if reasons:
        raise ActionRefused(
            "guard_failed",
            f"chưa thể '{t.label}' / {req.action!r} is not possible yet: " + "; ".join(reasons),
        )
    if not system:
        _check_decider(ctx, req.actor, declares_now=req.declare_no_interest)
    return t


def certificates_of(ctx: RuleContext, person: str) -> set[str]:
    """The fingerprints of ``person``'s signing certificates the case knows: from their
    assignments and the delegations naming them (the directory at the case's start)."""
    refs = [a for holders in ctx.assignments.values() for a in holders]
    refs += [d.deputy for d in ctx.delegations] + [d.holder for d in ctx.delegations]
    return {c for ref in refs if ref.id == person for c in ref.certificates}


def _check_signature(ctx: RuleContext, t: Transition, req: ActionRequest) -> None:
    """The document is signed by the person acting (the holder, or their deputy for KT.),
    with a certificate valid now that chains to a pinned root."""
    if req.signature is None:
        raise ActionRefused(
            "signature_required",
            f"thao tác '{t.label}' cần văn bản PDF có chữ ký số của người ký / {req.action!r} "
            "requires the PDF signed with the signer's digital signature",
        )
    try:
        check_evidence(
            req.signature, ctx.signature_roots, req.actor, ctx.now, certificates_of(ctx, req.actor)
        )
    except SignatureRefused as refused:
        raise ActionRefused("signature_invalid", refused.message) from None


def _check_approval(ctx: RuleContext, t: Transition, req: ActionRequest) -> None:
    """The person signed this decision's statement with their certificate."""
    if req.approval is None:
        raise ActionRefused(
            "approval_required",
            f"thao tác '{t.label}' cần phê duyệt có ký số / {req.action!r} requires your "
            "digital signature of the decision (legisflow sign, or the case page)",
        )
    statement = approval_statement(
        ctx.case_id, req.action, req.actor, req.document.sha256 if req.document else None
    )
    try:
        check_approval(
            req.approval, statement, ctx.signature_roots, req.actor, ctx.now,
            certificates_of(ctx, req.actor),
        )  # fmt: skip
    except SignatureRefused as refused:
        raise ActionRefused("signature_invalid", refused.message) from None


def _check_actor(ctx: RuleContext, t: Transition, req: ActionRequest) -> None:
    role_label = ctx.definition.roles[t.role].label if t.role in ctx.definition.roles else t.role
    people = holders(ctx, t.role)
    if req.on_behalf_of is not None:
        _check_deputy(ctx, t, req, people, role_label)
        return
    if req.actor == SYSTEM_ACTOR or req.actor not in people:
        raise ActionRefused(
            "wrong_role",
            f"'{req.actor}' không giữ vai trò '{role_label}' trong hồ sơ này / {req.actor!r} "
            f"does not hold role {t.role!r} in this case; holders: {', '.join(people) or 'none'}",
        )
    _check_not_recused(ctx, req.actor)
    if t.four_eyes and req.actor == ctx.entered_by:
        raise ActionRefused(
            "four_eyes",
            f"người trình không được tự phê duyệt / {req.actor!r} submitted this step and "
            f"cannot also approve it ({t.action!r}); another {t.role!r} must act",
        )


def _check_deputy(
    ctx: RuleContext, t: Transition, req: ActionRequest, people: list[str], role_label: str
) -> None:
    """``req.actor`` acts for ``req.on_behalf_of`` (KT.): only under a delegation of the
    holder's, for this role, in force now."""
    holder = req.on_behalf_of
    if holder not in people or acting_for(
        ctx.delegations, t.role, req.actor, holder, ctx.now
    ) is None:  # fmt: skip
        raise ActionRefused(
            "no_delegation",
            f"'{req.actor}' không được ký thay '{holder}' cho vai trò '{role_label}' vào lúc "
            f"này / {req.actor!r} holds no delegation from {holder!r} for {t.role!r} in force "
            "now (see the case's delegations in its status)",
        )
    _check_not_recused(ctx, req.actor)
    _check_not_recused(ctx, holder)
    if t.four_eyes and ctx.entered_by in (req.actor, holder):
        raise ActionRefused(
            "four_eyes",
            f"người trình không được tự phê duyệt / {ctx.entered_by!r} submitted this step; "
            f"neither they nor their deputy may approve it ({t.action!r})",
        )


def _check_not_recused(ctx: RuleContext, person: str) -> None:
    _check_decider(ctx, person, declares_now=True)


def _check_decider(ctx: RuleContext, person: str, *, declares_now: bool) -> None:
    """``person`` has not stood aside, and has declared (or declares now) where the case
    asks for declarations (``models/interests.py``)."""
    try:
        check_decider(ctx.declarations, person, ctx.declaration_required, declares_now)
    except InterestRefused as refusal:
        raise ActionRefused(refusal.code, refusal.message) from None


def allowed_actions(ctx: RuleContext, actor: str | None = None) -> list[AllowedAction]:
    """What can be done now and by whom; with ``actor``, only what that person can do."""
    out = []
    for t in ctx.definition.transitions_from(ctx.stage, ctx.simplified):
        if t.automatic or failed_guards(ctx, t):
            continue
        people = eligible_actors(ctx, t)
        if actor is not None:
            people = [p for p in people if p == actor]
        if people:
            out.append(
                AllowedAction(
                    action=t.action,
                    label=t.label,
                    label_en=t.label_en,
                    to=t.dest,
                    role=t.role,
                    actors=people,
                    requires_document=t.requires_document,
                    requires_note=t.requires_note and ctx.notes_required,
                    requires_signature=t.requires_signature and bool(ctx.signature_roots),
                    requires_approval=t.signed_approval and bool(ctx.signature_roots),
                )
            )
    return out


def blocked_actions(ctx: RuleContext) -> list[BlockedAction]:
    """Actions defined here whose guards do not hold yet, with the reason."""
    return [
        BlockedAction(action=t.action, to=t.dest, reason="; ".join(reasons))
        for t in ctx.definition.transitions_from(ctx.stage, ctx.simplified)
        if (reasons := failed_guards(ctx, t))
    ]
