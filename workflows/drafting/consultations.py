"""The case's side of a consultation (lấy ý kiến), workflow-side.

Two channels: written requests to named bodies, and public comments.
- On entering a stage that ``consults`` bodies, the case opens one ``ConsultationRequest``
  child per body; replies come to the case (``reply`` Update) and are forwarded to the
  child; a child reports its body overdue by signal.
- On entering a stage that collects ``comments``, the case starts (or reopens) its
  ``CommentLedger`` child; leaving such a stage closes the comment period.
Both end when a transition ``closes_consultation`` (or the case ends): unanswered requests
are withdrawn and the ledger becomes final. This class keeps that bookkeeping deterministic
and out of the main workflow's way: it only queues operations for the case's main loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.actors import ActorRef
    from models.case import ConsultView, ReplyRequest
    from models.definition import ProcessDefinition
    from models.legal_time import StageDeadline
    from models.post_issuance import CaseTime
    from workflows.drafting.comment_ledger import LedgerInput
    from workflows.drafting.consultation_request import ConsultInput, ReplyCounting


@dataclass(frozen=True)
class StartRequest:
    inp: ConsultInput


@dataclass(frozen=True)
class ForwardReply:
    request_id: str


@dataclass(frozen=True)
class CancelRequest:
    request_id: str


@dataclass(frozen=True)
class StartLedger:
    inp: LedgerInput


@dataclass(frozen=True)
class SignalLedger:
    ledger_id: str
    signal: str  # "close" | "reopen" | "finish"


ChildOp = StartRequest | ForwardReply | CancelRequest | StartLedger | SignalLedger


class ReplyRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Consultations:
    """Open requests of the current stage, by consulted role."""

    def __init__(self) -> None:
        self.views: dict[str, ConsultView] = {}
        self.request_ids: dict[str, str] = {}
        self.ledger_id: str | None = None
        self.ledger_state = "none"  # none | open | closed | finished
        #: Some distinct comment lacks a disposition (the ledger tells the case when this
        #: changes; the ledger itself has the list).
        self.comments_pending = False

    def comments(
        self, *, collects: bool, case_id: str, drafters: list[str], continue_after: int
    ) -> list[ChildOp]:
        """Start, reopen or close the comment period as the case enters a stage."""
        if self.ledger_state == "finished":
            return []
        if collects:
            if self.ledger_id is None:
                self.ledger_id, self.ledger_state = f"{case_id}/comments", "open"
                inp = LedgerInput(
                    case_id=case_id,
                    ledger_id=self.ledger_id,
                    drafters=drafters,
                    continue_after_events=continue_after,
                )
                return [StartLedger(inp)]
            if self.ledger_state == "closed":
                self.ledger_state = "open"
                return [SignalLedger(self.ledger_id, "reopen")]
        elif self.ledger_id is not None and self.ledger_state == "open":
            self.ledger_state = "closed"
            return [SignalLedger(self.ledger_id, "close")]
        return []

    def finish(self) -> list[ChildOp]:
        """The consultation is over: withdraw unanswered requests, finalise the ledger."""
        ops = self.close_all()
        if self.ledger_id is not None and self.ledger_state != "finished":
            self.ledger_state = "finished"
            ops.append(SignalLedger(self.ledger_id, "finish"))
        return ops

    @property
    def has_open_requests(self) -> bool:
        return any(v.replied_by is None for v in self.views.values())

    def open(
        self,
        *,
        definition: ProcessDefinition,
        stage: str,
        stage_seq: int,
        case_id: str,
        title: str,
        assignments: dict[str, list[ActorRef]],
        deadline_of: dict[str, StageDeadline],
        time: CaseTime,
        simplified: bool,
    ) -> list[ChildOp]:
        """Requests for every body ``stage`` consults (``deadline_of``: each body's reply
        deadline, counted by the case on ``time``'s clock and calendar); closes those of the
        previous stage."""
        ops = self.close_all()
        st = definition.stages[stage]
        for body in st.consults:
            dl = deadline_of[body.role]
            holders = assignments.get(body.role, [])
            request_id = f"{case_id}/consult/{stage_seq}/{body.role}"
            self.request_ids[body.role] = request_id
            self.views[body.role] = ConsultView(
                role=body.role,
                label=body.label,
                mandatory=body.mandatory,
                due=dl.due,
                due_legal_date=dl.counted.due,
                basis=body.reply.basis,
                holders=[a.id for a in holders],
                sent_at=dl.anchored_at,
            )
            escalate = assignments.get(body.reply.escalate_to or "", [])
            ops.append(
                StartRequest(
                    ConsultInput(
                        case_id=case_id,
                        request_id=request_id,
                        title=title,
                        role=body.role,
                        body_label=body.label,
                        stage_label=st.label,
                        stage_en=st.label_en,
                        mandatory=body.mandatory,
                        holders=notifications.recipients(holders),
                        escalate_to=notifications.recipients(escalate),
                        due=dl.due,
                        remind_at=dl.remind_at,
                        basis=body.reply.basis,
                        due_text=f"{dl.counted.due:%d/%m/%Y} ({dl.explanation_vi()})",
                        counting=ReplyCounting(
                            rule=dl.rule, sent_at=dl.anchored_at, time=time, simplified=simplified
                        ),
                    )
                )
            )
        return ops

    def close_all(self) -> list[ChildOp]:
        """Cancel the requests nobody answered (answered ones have finished by themselves)."""
        ops: list[ChildOp] = [
            CancelRequest(rid)
            for role, rid in self.request_ids.items()
            if self.views[role].replied_by is None
        ]
        self.views, self.request_ids = {}, {}
        return ops

    def check_reply(self, req: ReplyRequest) -> ConsultView:
        """The open request ``req`` answers, or ReplyRefused saying why none."""
        mine = [v for v in self.views.values() if req.actor in v.holders]
        if req.role is not None:
            mine = [v for v in mine if v.role == req.role]
        if not self.views:
            raise ReplyRefused(
                "no_consultation",
                "không có yêu cầu góp ý nào đang mở / no "
                "written consultation is open in this stage",
            )
        if not mine:
            open_roles = ", ".join(
                f"{v.role} ({', '.join(v.holders) or 'nobody'})" for v in self.views.values()
            )
            raise ReplyRefused(
                "wrong_role",
                f"'{req.actor}' không thuộc cơ quan được lấy ý kiến "
                f"/ {req.actor!r} holds none of the consulted roles: {open_roles}",
            )
        pending = [v for v in mine if v.replied_by is None]
        if not pending:
            raise ReplyRefused(
                "already_replied",
                f"{mine[0].label} đã trả lời / already replied by {mine[0].replied_by}",
            )
        return pending[0]

    def record_reply(self, view: ConsultView, actor: str, at: datetime) -> ForwardReply:
        self.views[view.role] = view.model_copy(update={"replied_by": actor, "replied_at": at})
        return ForwardReply(self.request_ids[view.role])

    def mark_overdue(self, role: str) -> bool:
        view = self.views.get(role)
        if view is None or view.replied_by is not None or view.overdue:
            return False
        self.views[role] = view.model_copy(update={"overdue": True})
        return True
