"""``FeedbackCase``: one citizen's feedback on a document in force (kiến nghị, phản ánh).

Started by the document's ``DocumentMonitoring`` (or by another feedback case forwarding to
the competent agency), it follows the feedback procedure of ``models/post_issuance.yaml``
until it ends: the agency's handlers classify it, forward it if it is not theirs (the
competent agency's own case starts, linked both ways), or answer it, each within its time
limit; a reminder precedes each, and on a breach the case is flagged ``Overdue`` and the
agency's heads are told. A well-founded recommendation may propose an amendment: a new
drafting case of the same type, linked. Every change is reported to the monitoring workflow
(a signal), which keeps the counts.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models import notifications, post_issuance_notices
    from models.authorship import ProofLedger
    from models.choices import Category
    from models.definition import SYSTEM_ACTOR
    from models.documents import DocumentRef
    from models.feedback import (
        AmendmentProposal,
        AnswerRequest,
        ClassifyRequest,
        FeedbackInput,
        FeedbackNotice,
        FeedbackStatus,
        ForwardRequest,
    )
    from models.legal_time import StageDeadline
    from models.links import CaseLink, LinkKind, memo_links
    from models.post_issuance import AgencyRequest, LinkedCaseRequest
    from models.steps import StepTransition
    from workflows.activity_calls import feedback_agency, start_feedback, start_linked_case
    from workflows.after_issuance.notices import Notices, due_soon, recipients
    from workflows.after_issuance.signals import FEEDBACK_CHANGED_SIGNAL, LINK_ADDED_SIGNAL, tell
    from workflows.after_issuance.step_case import StepCase
    from workflows.proofs import check_proof, record_proof
    from workflows.refusals import refuse

#: The role of the feedback procedure whose holders act: the competent agency's answerers.
ANSWERER = "answerer"


@workflow.defn
class FeedbackCase(StepCase):
    """Tiếp nhận, xử lý một kiến nghị, phản ánh."""

    @workflow.init
    def __init__(self, inp: FeedbackInput) -> None:
        self._inp = inp
        self._proofs = ProofLedger(inp.trusted_keys)
        self._operators = list(inp.operators)
        self._open(
            inp.rules.procedure,
            inp.time,
            inp.received_at,
            Notices(inp.feedback_id, f"{inp.document.title} — phản ánh / feedback số {inp.number}"),
            inp.document,
            inp.agency.id,
        )
        self._category: Category | None = None
        self._links = list(inp.links)
        self._answered_by: str | None = None
        self._answer: DocumentRef | None = None
        self._forwarded_to: str | None = None
        self._amendment: CaseLink | None = None
        self._proposing = False
        #: What an Update in flight is doing (forwarding): other decisions wait for it.
        self._busy: str | None = None
        origin = next((link for link in inp.links if link.kind is LinkKind.FORWARDED_FROM), None)
        self._step(
            SYSTEM_ACTOR,
            "received",
            f"{inp.agency.name}"
            + (f" (chuyển từ / forwarded from {origin.target})" if origin else ""),
        )
        self._show()
        to = recipients(inp.agency.handlers or inp.agency.heads)
        if to:
            self._effects.append(
                post_issuance_notices.feedback_received(
                    self._header(),
                    key=self._notices.key("feedback_received"),
                    to=to,
                    deadlines=self._labelled_limits(),
                    forwarded_from=origin.target if origin else None,
                )
            )

    # ---- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: FeedbackInput) -> FeedbackStatus:
        await self._run_to_the_end()
        return self.status()

    def _remind(self, limit: str, dl: StageDeadline) -> None:
        handlers = self._inp.agency.handlers or self._inp.agency.heads
        notice = due_soon(self._notices, self._header(), handlers, dl)
        if notice is not None:
            self._effects.append(notice)

    def _breached(self, limit: str, dl: StageDeadline) -> None:
        workflow.metric_meter().create_counter(
            "legisflow_overdue_feedback", "Feedback cases past a deadline"
        ).add(1, {"deadline": limit})
        handlers = self._inp.agency.handlers or self._inp.agency.heads
        to = recipients(self._inp.agency.heads, handlers)
        if to:
            self._effects.append(
                notifications.overdue(
                    self._header(), key=self._notices.key("overdue"), to=to, deadline=dl
                )
            )
        self._effects.append(self._notice())

    async def _perform(self, effect: object) -> None:
        if isinstance(effect, FeedbackNotice):
            await tell(self._inp.monitoring_id, FEEDBACK_CHANGED_SIGNAL, effect)

    def _show(self, *details: str) -> None:
        super()._show(f"Cơ quan / Agency: {self._inp.agency.name}", *details)

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update
    def classify(self, req: ClassifyRequest) -> FeedbackStatus:
        """Phân loại: within the agency's competence, of this kind."""
        record_proof(self._proofs, req)
        t = self._check_classify(req)
        self._declared_with(req.actor, req)
        self._category = req.category
        self._step(req.actor, t.action, f"{req.category.value}" + _tail(req.note))
        before = self._stage
        self._take(t, workflow.now())
        if self._stage != before:
            self._show()
            self._effects.append(self._notice())
        return self.status()

    @classify.validator
    def _validate_classify(self, req: ClassifyRequest) -> None:
        check_proof(self._proofs, req, "classify")
        self._check_classify(req)

    def _check_classify(self, req: ClassifyRequest) -> StepTransition:
        t = self._check_answerer("classify", req.actor)
        self._check_decider(req.actor, req)
        return t

    @workflow.update
    async def forward(self, req: ForwardRequest) -> FeedbackStatus:
        """Chuyển đơn: not ours. The competent agency's own case starts first; only then is
        this one closed as forwarded (if it cannot start, nothing changes and the caller is
        told why)."""
        record_proof(self._proofs, req)
        t = self._check_forward(req)
        self._declared_with(req.actor, req)
        decided = workflow.now()
        target = f"{self._inp.feedback_id}/{req.agency}"
        name = self._inp.agencies[req.agency]
        self._busy = f"being forwarded to {name}"
        try:
            await self._start_forwarded(req, target, decided)
        except ActivityError as err:
            self._step(SYSTEM_ACTOR, "forward_failed", f"{req.agency}: {err.cause or err}")
            raise refuse(
                "forward_failed",
                f"không chuyển được / could not start {name}'s case: {err.cause or err}; "
                "the feedback stays here",
            ) from None
        finally:
            self._busy = None
        late = self._take(t, decided)
        self._forwarded_to = target
        self._links.append(
            CaseLink(
                kind=LinkKind.FORWARDED_TO,
                target=target,
                title=name,
                via=self._inp.feedback_id,
                by=req.actor,
                note=req.note,
                at=decided,
            )
        )
        mark = " — QUÁ HẠN / after the deadline" if late else ""
        self._step(req.actor, t.action, f"→ {name} ({req.agency}){mark}" + _tail(req.note))
        workflow.upsert_memo({"links": memo_links(self._links)})
        self._effects.append(self._notice())
        self._show()
        return self.status()

    @forward.validator
    def _validate_forward(self, req: ForwardRequest) -> None:
        check_proof(self._proofs, req, "forward")
        self._check_forward(req)

    def _check_forward(self, req: ForwardRequest) -> StepTransition:
        t = self._check_answerer("forward", req.actor)
        agencies = self._inp.agencies
        if req.agency not in agencies:
            raise refuse(
                "unknown_agency",
                f"không có cơ quan '{req.agency}' trong danh bạ / no agency {req.agency!r} in "
                "the directory (`legisflow actors`); the feedback was not forwarded",
            )
        if req.agency == self._inp.agency.id:
            raise refuse(
                "same_agency",
                f"{self._inp.agency.name} đang xử lý / {req.agency!r} already handles this "
                "case: answer it instead of forwarding it",
            )
        if req.agency not in self._inp.staffed:
            raise refuse(
                "no_handler",
                f"{agencies[req.agency]} chưa có người tiếp nhận / nobody in {req.agency!r} "
                f"answers feedback (directory roles {', '.join(self._inp.rules.handler_roles)} or "
                f"{', '.join(self._inp.rules.head_roles)}); the feedback was not forwarded",
            )
        self._check_decider(req.actor, req)
        return t

    async def _start_forwarded(self, req: ForwardRequest, target: str, at: datetime) -> None:
        inp = self._inp
        people = await feedback_agency(
            AgencyRequest(
                agency=req.agency,
                handler_roles=inp.rules.handler_roles,
                head_roles=inp.rules.head_roles,
            )
        )
        child = inp.model_copy(
            update={
                "feedback_id": target,
                "agency": people,
                "received_at": at,
                "hops": inp.hops + 1,
                "links": [
                    CaseLink(
                        kind=LinkKind.FORWARDED_FROM,
                        target=inp.feedback_id,
                        title=inp.agency.name,
                        via=inp.feedback_id,
                        by=req.actor,
                        note=req.note,
                        at=at,
                    )
                ],
            }
        )
        await start_feedback(child)

    @workflow.update
    def answer(self, req: AnswerRequest) -> FeedbackStatus:
        """Trả lời: the answer (its text in the document store) closes the case."""
        record_proof(self._proofs, req)
        t = self._check_answer(req)
        self._declared_with(req.actor, req)
        late = self._take(t, workflow.now())
        self._answered_by, self._answer = req.actor, req.answer
        mark = " — QUÁ HẠN / after the deadline" if late else ""
        self._step(req.actor, t.action, f"{req.answer.name}{mark}" + _tail(req.summary))
        self._show()
        self._effects.append(self._notice())
        return self.status()

    @answer.validator
    def _validate_answer(self, req: AnswerRequest) -> None:
        check_proof(self._proofs, req, "answer")
        self._check_answer(req)

    def _check_answer(self, req: AnswerRequest) -> StepTransition:
        t = self._check_answerer("answer", req.actor)
        self._check_decider(req.actor, req)
        return t

    @workflow.update
    async def propose_amendment(self, req: AmendmentProposal) -> CaseLink:
        """Đề xuất sửa đổi: start the amendment's drafting case, linked both ways."""
        self._check_proposal(req)
        record_proof(self._proofs, req)
        self._declared_with(req.actor, req)
        self._proposing = True
        self._category = Category.RECOMMENDATION
        self._step(req.actor, "propose_amendment", req.reason)
        inp = self._inp
        tag = f"pa{inp.number}" + (f"-{inp.hops}" if inp.hops else "")
        try:
            link = await start_linked_case(
                LinkedCaseRequest(
                    document=inp.document,
                    via=inp.feedback_id,
                    tag=tag,
                    proposer=req.actor,
                    reason=req.reason,
                    legal_day_seconds=inp.time.legal_day_seconds,
                    at=workflow.now(),
                    trusted_keys=tuple(inp.trusted_keys),
                )
            )
        except ActivityError as err:
            self._proposing = False
            self._step(SYSTEM_ACTOR, "amendment_failed", str(err.cause or err))
            raise refuse(
                "amendment_failed",
                f"không khởi tạo được hồ sơ sửa đổi / the amendment case could not be started: "
                f"{err.cause or err}",
            ) from None
        self._amendment = link
        self._links.append(link)
        workflow.upsert_memo({"links": memo_links(self._links)})
        await tell(inp.monitoring_id, LINK_ADDED_SIGNAL, link)
        self._seq += 1
        return link

    @propose_amendment.validator
    def _validate_propose_amendment(self, req: AmendmentProposal) -> None:
        check_proof(self._proofs, req, "propose_amendment")
        self._check_proposal(req)

    def _check_proposal(self, req: AmendmentProposal) -> None:
        """Also the handler's first step (a proof is checked by the validator only: it is
        not re-checked on replay)."""
        self._check_open(req.actor)
        if not self._inp.may_propose_amendment:
            raise refuse(
                "not_drafting_agency",
                f"chỉ cơ quan soạn thảo văn bản đề xuất sửa đổi / only "
                f"{self._inp.document.drafting_agency_name} proposes amending this document; "
                f"this case is handled by {self._inp.agency.name}",
            )
        if self._amendment is not None or self._proposing:
            target = self._amendment.target if self._amendment else "(being started)"
            raise refuse(
                "already_proposed",
                f"đã đề xuất sửa đổi / an amendment was already proposed: {target}",
            )
        self._check_decider(req.actor, req)

    def _check_answerer(self, action: str, actor: str) -> StepTransition:
        """The transition ``actor`` takes with ``action``, or a refusal saying why not."""
        self._check_open(actor)
        t = self._taking(action, {ANSWERER: self._inp.agency.answerers}, actor)
        if t is None:
            raise refuse(
                "illegal_action",
                f"{action!r} is not possible in stage {self._stage_label()}",
            )
        return t

    def _check_open(self, actor: str) -> None:
        if self._busy is not None:
            raise refuse(
                "busy",
                f"phản ánh đang được chuyển / this case is {self._busy}; try again in a moment",
            )
        if self._final():
            detail = (
                f"answered by {self._answered_by}"
                if self._answered_by
                else f"forwarded to {self._forwarded_to}"
            )
            raise refuse(
                "case_closed",
                f"phản ánh đã được xử lý ({self._proc.label(self._stage)[0]}) / this feedback "
                f"case is closed: {detail}; nothing was changed",
            )
        if actor not in self._inp.agency.answerers:
            raise refuse(
                "not_competent",
                f"'{actor}' không thuộc cơ quan có thẩm quyền / {actor!r} does not answer "
                f"feedback for {self._inp.agency.name}, the agency competent for this case; "
                f"who may: {', '.join(self._inp.agency.answerers) or 'nobody'}",
            )

    def _deciders(self) -> list[str]:
        return list(self._inp.agency.answerers)

    # ---- queries ---------------------------------------------------------------------------

    @workflow.query
    def status(self) -> FeedbackStatus:
        inp = self._inp
        return FeedbackStatus(
            id=inp.feedback_id,
            number=inp.number,
            monitoring_id=inp.monitoring_id,
            document_id=inp.document.case_id,
            document_title=inp.document.title,
            agency=inp.agency.id,
            agency_name=inp.agency.name,
            stage=self._stage,
            stage_label=self._stage_label(),
            final=self._final(),
            category=self._category,
            overdue=self._overdue,
            late=self._late,
            received_at=inp.received_at,
            received_legal_date=self._clock.legal_date(inp.received_at),
            deadlines=self._deadline_views(),
            answerers=inp.agency.answerers,
            body=inp.body,
            answered_by=self._answered_by,
            answer=self._answer,
            forwarded_to=self._forwarded_to,
            amendment=self._amendment,
            links=list(self._links),
            trail=list(self._trail),
            declarations=list(self._declarations),
        )

    # ---- helpers ---------------------------------------------------------------------------

    def _notice(self) -> FeedbackNotice:
        return FeedbackNotice(
            feedback_id=self._inp.feedback_id,
            agency=self._inp.agency.id,
            stage=self._stage,
            overdue=self._overdue,
            late=self._late,
            forwarded_to=self._forwarded_to,
            at=workflow.now(),
        )


def _tail(note: str | None) -> str:
    return f": {note}" if note else ""
