"""``FeedbackCase``: one citizen's feedback on a document in force (kiến nghị, phản ánh).

Started by the document's ``DocumentMonitoring`` (or by another feedback case forwarding to
the competent agency), it lives until answered or forwarded: the agency's handlers classify
it, forward it within 2 working days if it is not theirs (the competent agency's own case
starts, linked both ways), or answer it within 15 days; a reminder precedes each deadline,
and on breach the case is flagged ``Overdue`` and the agency's heads are told. A well-founded
recommendation may propose an amendment: a new drafting case of the same type, linked.
Every change is reported to the monitoring workflow (a signal), which keeps the counts.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications, post_issuance_notices
    from models.case import deadline_view
    from models.choices import Category
    from models.definition import SYSTEM_ACTOR
    from models.deliveries import Notification
    from models.documents import DocumentRef
    from models.feedback import (
        ANSWERED,
        FINAL,
        FORWARDED,
        IN_HANDLING,
        RECEIVED,
        STAGE_LABELS,
        AmendmentProposal,
        AnswerRequest,
        ClassifyRequest,
        FeedbackInput,
        FeedbackNotice,
        FeedbackStatus,
        FeedbackStep,
        ForwardRequest,
    )
    from models.links import CaseLink, LinkKind, memo_links
    from models.post_issuance import AgencyRequest, LinkedCaseRequest
    from workflows import search_attributes as sa
    from workflows.activity_calls import (
        feedback_agency,
        send_notification,
        start_feedback,
        start_linked_case,
    )
    from workflows.after_issuance.support import (
        FEEDBACK_CHANGED_SIGNAL,
        LINK_ADDED_SIGNAL,
        Notices,
        deadline_timers,
        due_soon,
        legal_deadline,
        recipients,
        refuse,
        show,
        tell,
        wait_for_timer,
    )


Effect = Notification | FeedbackNotice


@workflow.defn
class FeedbackCase:
    """Tiếp nhận, xử lý một kiến nghị, phản ánh."""

    @workflow.init
    def __init__(self, inp: FeedbackInput) -> None:
        self._inp = inp
        clock, calendar = inp.time.clock(), inp.time.legal_calendar()
        self._forward_dl = legal_deadline(
            "feedback_forward", inp.rules.forward, inp.received_at, clock, calendar
        )
        self._answer_dl = legal_deadline(
            "feedback_answer", inp.rules.answer, inp.received_at, clock, calendar
        )
        self._clock = clock
        self._stage = RECEIVED
        self._category: Category | None = None
        self._overdue = False
        self._late = False
        self._done: set[str] = set()
        self._seq = 0
        self._trail: list[FeedbackStep] = []
        self._effects: list[Effect] = []
        self._links = list(inp.links)
        self._answered_by: str | None = None
        self._answer: DocumentRef | None = None
        self._forwarded_to: str | None = None
        self._amendment: CaseLink | None = None
        self._proposing = False
        #: What an Update in flight is doing (forwarding): other decisions wait for it.
        self._busy: str | None = None
        self._notices = Notices(
            inp.feedback_id, f"{inp.document.title} — phản ánh / feedback số {inp.number}"
        )
        origin = next((link for link in inp.links if link.kind is LinkKind.FORWARDED_FROM), None)
        self._step(
            SYSTEM_ACTOR,
            "received",
            f"{inp.agency.name}"
            + (f" (chuyển từ / forwarded from {origin.target})" if origin else ""),
        )
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set(inp.document.doc_type),
                sa.DRAFTING_AGENCY.value_set(inp.agency.id),
                sa.LEGAL_REGIME.value_set(inp.document.regime),
            ]
        )
        self._show()
        to = recipients(inp.agency.handlers or inp.agency.heads)
        if to:
            self._effects.append(
                post_issuance_notices.feedback_received(
                    self._header(),
                    key=self._notices.key("feedback_received"),
                    to=to,
                    forward=self._forward_dl,
                    answer=self._answer_dl,
                    forwarded_from=origin.target if origin else None,
                )
            )

    # ---- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: FeedbackInput) -> FeedbackStatus:
        while True:
            await self._drain()
            if self._stage in FINAL:
                break
            await self._wait()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()
        return self.status()

    async def _wait(self) -> None:
        seq = self._seq

        def changed() -> bool:
            return self._seq != seq or bool(self._effects)

        name = await wait_for_timer(changed, self._timers())
        if name is not None:
            self._on_timer(name)

    def _timers(self) -> list[tuple[str, datetime]]:
        out: list[tuple[str, datetime]] = []
        active = []
        if self._stage == RECEIVED:
            active.append(("forward", self._forward_dl))
        if self._stage in (RECEIVED, IN_HANDLING):
            active.append(("answer", self._answer_dl))
        for name, dl in active:
            out.extend(deadline_timers(dl, prefix=f"{name}_"))
        return [t for t in out if t[0] not in self._done]

    def _on_timer(self, name: str) -> None:
        self._done.add(name)
        self._seq += 1
        dl = self._forward_dl if name.startswith("forward") else self._answer_dl
        handlers = self._inp.agency.handlers or self._inp.agency.heads
        if name.endswith("reminder"):
            notice = due_soon(self._notices, self._header(), handlers, dl)
            if notice is not None:
                self._effects.append(notice)
            return
        self._overdue = True
        self._step(SYSTEM_ACTOR, "deadline_breached", f"{dl.explanation()} — {dl.rule.basis}")
        workflow.metric_meter().create_counter(
            "legisflow_overdue_feedback", "Feedback cases past a deadline"
        ).add(1, {"deadline": name})
        self._show()
        to = recipients(self._inp.agency.heads, handlers)
        if to:
            self._effects.append(
                notifications.overdue(
                    self._header(), key=self._notices.key("overdue"), to=to, deadline=dl
                )
            )
        self._effects.append(self._notice())

    async def _drain(self) -> None:
        while self._effects:
            effect = self._effects[0]
            try:
                await self._perform(effect)
            except ActivityError as err:
                workflow.logger.error("feedback side effect failed: %s", err.cause or err)
                self._step(SYSTEM_ACTOR, "effect_failed", f"{type(effect).__name__}: {err.cause}")
            self._effects.pop(0)

    async def _perform(self, effect: Effect) -> None:
        if isinstance(effect, Notification):
            await send_notification(effect)
        elif isinstance(effect, FeedbackNotice):
            await tell(self._inp.monitoring_id, FEEDBACK_CHANGED_SIGNAL, effect)

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

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update
    def classify(self, req: ClassifyRequest) -> FeedbackStatus:
        """Phân loại: within the agency's competence, of this kind."""
        self._check_classify(req)
        self._category = req.category
        self._step(req.actor, "classify", f"{req.category.value}" + _tail(req.note))
        if self._stage == RECEIVED:
            self._stage = IN_HANDLING
            self._overdue = "answer_overdue" in self._done
            self._show()
            self._effects.append(self._notice())
        self._seq += 1
        return self.status()

    @classify.validator
    def _check_classify(self, req: ClassifyRequest) -> None:
        self._check_answerer(req.actor)

    @workflow.update
    async def forward(self, req: ForwardRequest) -> FeedbackStatus:
        """Chuyển đơn: not ours. The competent agency's own case starts first; only then is
        this one closed as forwarded (if it cannot start, nothing changes and the caller is
        told why)."""
        self._check_forward(req)
        decided = workflow.now()
        target = f"{self._inp.feedback_id}/{req.agency}"
        name = self._inp.agencies[req.agency]
        self._busy = f"being forwarded to {name}"
        try:
            await self._start_forwarded(req, target, decided)
        except ActivityError as err:
            self._step(SYSTEM_ACTOR, "forward_failed", f"{req.agency}: {err.cause or err}")
            raise ApplicationError(
                f"không chuyển được / could not start {name}'s case: {err.cause or err}; "
                "the feedback stays here",
                "forward_failed",
                type="ActionRefused",
                non_retryable=True,
            ) from None
        finally:
            self._busy = None
        self._late = decided > self._forward_dl.due
        self._stage, self._overdue, self._forwarded_to = FORWARDED, False, target
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
        late = " — QUÁ HẠN / after the deadline" if self._late else ""
        self._step(req.actor, "forward", f"→ {name} ({req.agency}){late}" + _tail(req.note))
        workflow.upsert_memo({"links": memo_links(self._links)})
        self._effects.append(self._notice())
        self._show()
        self._seq += 1
        return self.status()

    @forward.validator
    def _check_forward(self, req: ForwardRequest) -> None:
        self._check_answerer(req.actor)
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

    @workflow.update
    def answer(self, req: AnswerRequest) -> FeedbackStatus:
        """Trả lời: the answer (its text in the document store) closes the case."""
        self._check_answer(req)
        self._late = workflow.now() > self._answer_dl.due
        self._stage, self._overdue = ANSWERED, False
        self._answered_by, self._answer = req.actor, req.answer
        late = " — QUÁ HẠN / after the deadline" if self._late else ""
        self._step(req.actor, "answer", f"{req.answer.name}{late}" + _tail(req.summary))
        self._show()
        self._effects.append(self._notice())
        self._seq += 1
        return self.status()

    @answer.validator
    def _check_answer(self, req: AnswerRequest) -> None:
        self._check_answerer(req.actor)

    @workflow.update
    async def propose_amendment(self, req: AmendmentProposal) -> CaseLink:
        """Đề xuất sửa đổi: start the amendment's drafting case, linked both ways."""
        self._check_proposal(req)
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
                )
            )
        except ActivityError as err:
            self._proposing = False
            self._step(SYSTEM_ACTOR, "amendment_failed", str(err.cause or err))
            raise ApplicationError(
                f"không khởi tạo được hồ sơ sửa đổi / the amendment case could not be started: "
                f"{err.cause or err}",
                "amendment_failed",
                type="ActionRefused",
                non_retryable=True,
            ) from None
        self._amendment = link
        self._links.append(link)
        workflow.upsert_memo({"links": memo_links(self._links)})
        await tell(inp.monitoring_id, LINK_ADDED_SIGNAL, link)
        self._seq += 1
        return link

    @propose_amendment.validator
    def _check_proposal(self, req: AmendmentProposal) -> None:
        self._check_answerer(req.actor)
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

    def _check_answerer(self, actor: str) -> None:
        if self._busy is not None:
            raise refuse(
                "busy",
                f"phản ánh đang được chuyển / this case is {self._busy}; try again in a moment",
            )
        if self._stage in FINAL:
            label = STAGE_LABELS[self._stage][0]
            detail = (
                f"answered by {self._answered_by}"
                if self._stage == ANSWERED
                else f"forwarded to {self._forwarded_to}"
            )
            raise refuse(
                "case_closed",
                f"phản ánh đã được xử lý ({label}) / this feedback case is closed: {detail}; "
                "nothing was changed",
            )
        if actor not in self._inp.agency.answerers:
            raise refuse(
                "not_competent",
                f"'{actor}' không thuộc cơ quan có thẩm quyền / {actor!r} does not answer "
                f"feedback for {self._inp.agency.name}, the agency competent for this case; "
                f"who may: {', '.join(self._inp.agency.answerers) or 'nobody'}",
            )

    # ---- queries ---------------------------------------------------------------------------

    @workflow.query
    def status(self) -> FeedbackStatus:
        inp = self._inp
        label, label_en = STAGE_LABELS[self._stage]
        return FeedbackStatus(
            id=inp.feedback_id,
            number=inp.number,
            monitoring_id=inp.monitoring_id,
            document_id=inp.document.case_id,
            document_title=inp.document.title,
            agency=inp.agency.id,
            agency_name=inp.agency.name,
            stage=self._stage,
            stage_label=f"{label} / {label_en}",
            final=self._stage in FINAL,
            category=self._category,
            overdue=self._overdue,
            late=self._late,
            received_at=inp.received_at,
            received_legal_date=self._clock.legal_date(inp.received_at),
            deadlines=[
                deadline_view(
                    "Chuyển đơn / Forward", self._forward_dl, "forward_overdue" in self._done
                ),
                deadline_view("Trả lời / Answer", self._answer_dl, "answer_overdue" in self._done),
            ],
            answerers=inp.agency.answerers,
            answered_by=self._answered_by,
            answer=self._answer,
            forwarded_to=self._forwarded_to,
            amendment=self._amendment,
            links=list(self._links),
            trail=list(self._trail),
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

    def _show(self) -> None:
        due = None
        if self._stage == RECEIVED and "forward_overdue" not in self._done:
            due = self._forward_dl.due
        elif self._stage in (RECEIVED, IN_HANDLING):
            due = self._answer_dl.due
        show(self._stage, overdue=self._overdue, due=due)
        label, label_en = STAGE_LABELS[self._stage]
        lines = [f"**{self._notices.title}**", f"Bước / Stage: **{label}** ({label_en})"]
        lines.append(f"Cơ quan / Agency: {self._inp.agency.name}")
        if due is not None:
            lines.append(f"Hạn / Due: {self._clock.legal_date(due):%d/%m/%Y}")
        if self._overdue:
            lines.append("**QUÁ HẠN / OVERDUE**")
        workflow.set_current_details("\n".join(lines))

    def _step(self, actor: str, action: str, note: str | None) -> None:
        now = workflow.now()
        self._trail.append(
            FeedbackStep(
                at=now,
                legal_date=self._clock.legal_date(now),
                actor=actor,
                action=action,
                note=note,
            )
        )

    def _header(self) -> notifications.CaseHeader:
        label, label_en = STAGE_LABELS[self._stage]
        return self._notices.header(label, label_en)


def _tail(note: str | None) -> str:
    return f": {note}" if note else ""
