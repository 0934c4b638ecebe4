"""``DocumentMonitoring``: a document in force, for as long as it is (theo dõi thi hành).

Started by ``LegislativeProcess`` when the document enters a stage marked ``monitor`` (its
entry into force), as a child the case abandons when it completes. It owns:

- the implementation plan (kế hoạch triển khai) and its deadlines, counted from the entry
  into force: a reminder before each, an ``Overdue`` flag and a notice on breach;
- events the monitoring officers record (``record_event`` Update): information gathering,
  inspections, surveys, reviews, plan items done;
- the citizens' feedback cases (``submit_feedback`` Update starts a ``FeedbackCase``, id
  ``<monitoring id>/feedback/<n>``, through an activity: a case outlives the run that
  received it), which report back by signal;
- what the document's legality checks and amendments report (signals), and the links;
- a yearly report (Word and Markdown, in the document store) on the legal cycle of
  ``post_issuance.yaml``, on a durable timer of the case's legal clock.

It runs for years: past a few thousand events it continues as new, carrying its compact
state (counts, open feedback ids, links, report references), after every handler finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications, post_issuance_notices
    from models.authorship import KeyRotation, ProofLedger
    from models.calendar import LegalCalendar
    from models.calendar_change import (
        CalendarApplied,
        CalendarChange,
        MovedDeadline,
        audit_note,
        reproject,
    )
    from models.choices import EventKind, Outcome
    from models.counts import Counts
    from models.definition import SYSTEM_ACTOR, Deadline
    from models.deliveries import Notification
    from models.documents import DocumentRef
    from models.feedback import (
        DueDate,
        FeedbackInput,
        FeedbackNotice,
        FeedbackReceipt,
        FeedbackSubmission,
    )
    from models.legal_time import StageDeadline
    from models.legality_check import CheckNotice
    from models.links import CaseLink, LinkKind, memo_links
    from models.monitoring import (
        CheckRecord,
        EventRequest,
        MonitoringEvent,
        MonitoringInput,
        MonitoringReport,
        MonitoringState,
        MonitoringStatus,
        OpenFeedback,
        Period,
        PlanItem,
        ReportNow,
        ReportRecord,
        StatusNotice,
    )
    from models.post_issuance import CaseTime, PeopleRequest, PostIssuancePeople, PostIssuanceRules
    from models.steps import TrailStep
    from workflows.activity_calls import generate_report as render_report
    from workflows.activity_calls import (
        load_rules,
        resolve_people,
        send_notification,
        start_feedback,
    )
    from workflows.after_issuance.notices import Notices, recipients
    from workflows.after_issuance.signals import (
        CHECK_CHANGED_SIGNAL,
        DOCUMENT_STATUS_SIGNAL,
        FEEDBACK_CHANGED_SIGNAL,
        LINK_ADDED_SIGNAL,
    )
    from workflows.legal_days import legal_deadline
    from workflows.proofs import check_operator, check_proof, check_rotation, record_proof
    from workflows.refusals import refuse
    from workflows.search_attributes import upsert_stage


#: Each run is pinned to its build; the next starts on the deployment's current one.
UPGRADE_ON_CONTINUE = workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE


@dataclass(frozen=True)
class MakeReport:
    report: MonitoringReport


@dataclass(frozen=True)
class RefreshPeople:
    """Read the directory again (people change over years)."""


Effect = Notification | MakeReport | RefreshPeople


@workflow.defn
class DocumentMonitoring:
    """Theo dõi tình hình thi hành một văn bản đang có hiệu lực."""

    @workflow.init
    def __init__(self, inp: MonitoringInput) -> None:
        self._inp = inp
        self._clock = inp.time.clock()
        self._calendar = inp.time.legal_calendar()
        self._state: MonitoringState | None = inp.state
        self._proofs = ProofLedger(
            inp.trusted_keys, used=inp.state.used_proofs if inp.state else None
        )
        self._effects: list[Effect] = []
        self._seq = 0
        #: The pending deadline timer: which, when, and its task.
        self._timer: tuple[str, datetime, asyncio.Task[None]] | None = None
        #: Signals that arrived before the first run had read its rules and people.
        self._early: list[Callable[[], None]] = []
        #: Whether another current build may make this run continue as new: only once the
        #: run has waited for something (``_should_continue``).
        self._upgrade_armed = False
        self._notices = Notices(
            inp.monitoring_id,
            f"{inp.document.title} — theo dõi thi hành / monitoring",
            start=inp.state.notice_seq if inp.state else 0,
        )

    # ---- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: MonitoringInput) -> MonitoringStatus:
        if self._state is None:
            await self._start()
        else:
            self._show()  # a new run (continue-as-new): its details for the UI
        while True:
            await self._drain()
            st = self._ready()
            if st.rules.monitoring.procedure.is_final(st.status):
                break
            if self._should_continue():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._effects:
                    continue
                st.run_events.append(workflow.info().get_current_history_length())
                st.runs += 1
                st.notice_seq = self._notices.seq
                st.used_proofs = self._proofs.used
                # Its plan counts from the entry into force: the days before it are not needed.
                # (self._inp: its calendar may have been changed by apply_calendar.)
                time = self._inp.time.since(self._clock.legal_date(inp.in_force_at))
                # (and its trusted keys: rotate_keys may have changed them.)
                keys = self._inp.trusted_keys
                workflow.continue_as_new(
                    inp.model_copy(update={"state": st, "time": time, "trusted_keys": keys}),
                    # Versioned workers: the next run starts on the deployment's current build
                    # (then pinned to it), not on this run's; unversioned ones ignore it.
                    initial_versioning_behavior=UPGRADE_ON_CONTINUE,
                )
            await self._wait()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()
        return self.status()

    async def _start(self) -> None:
        inp = self._inp
        rules = await load_rules()
        people = await self._people(rules)
        in_force = self._clock.legal_date(inp.in_force_at)
        plan = []
        for p in rules.monitoring.plan:
            dl = self._plan_deadline(p.item, p.deadline)
            plan.append(
                PlanItem(
                    item=p.item,
                    label=p.label,
                    label_en=p.label_en,
                    rule=p.deadline,
                    due=dl.due,
                    due_legal_date=dl.counted.due,
                    remind_at=dl.remind_at,
                    explanation=dl.explanation(),
                )
            )
        self._state = MonitoringState(
            rules=rules,
            people=people,
            status=rules.monitoring.procedure.initial,
            plan=plan,
            period=Period(
                index=1, start=in_force, cutoff=rules.monitoring.report.next_cutoff(in_force)
            ),
        )
        for apply in self._early:
            apply()
        self._early.clear()
        self._show()
        to = recipients(people.monitoring_officers)
        if to:
            self._effects.append(
                post_issuance_notices.monitoring_started(
                    self._header(),
                    key=self._notices.key("monitoring_started"),
                    to=to,
                    plan=[f"{p.label} — {p.due_legal_date:%d/%m/%Y}" for p in plan],
                )
            )
        self._seq += 1

    async def _people(self, rules: PostIssuanceRules) -> PostIssuancePeople:
        inp = self._inp
        return await resolve_people(
            PeopleRequest(
                rules=rules,
                level=inp.document.level,
                drafting_agency=inp.document.drafting_agency,
                case_assignments=inp.case_assignments,
            )
        )

    def _should_continue(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > self._inp.continue_after_events
            or info.is_continue_as_new_suggested()
            # Versioned workers: another build has become current (docs/deploy.md). The run
            # stays pinned to its build; the next one starts on the new build, which never
            # replays this run. The flag is in the history (false on unversioned workers).
            # Not before the run has waited once: a run that cannot move (a pinned override,
            # which continue-as-new carries) must not continue as new at once, again and again.
            or (self._upgrade_armed and info.is_target_worker_deployment_version_changed())
        )

    async def _wait(self) -> None:
        """Until something changes or the next deadline comes. The timer outlives the waits
        while the next deadline stays the same, so thousands of feedback cases do not each
        cancel and restart it (two events apiece)."""
        name, at = self._next_timer()
        if self._timer is None or self._timer[:2] != (name, at):
            if self._timer is not None:
                self._timer[2].cancel()
            delay = max(at - workflow.now(), timedelta(0))
            self._timer = (name, at, asyncio.create_task(workflow.sleep(delay, summary=name)))
        timer = self._timer[2]
        seq = self._seq
        await workflow.wait_condition(
            lambda: (
                self._seq != seq or bool(self._effects) or self._should_continue() or timer.done()
            )
        )
        self._upgrade_armed = True
        if timer.done() and not timer.cancelled():
            self._timer = None
            self._on_timer(name)

    def _next_timer(self) -> tuple[str, datetime]:
        st = self._ready()
        cutoff = st.period.cutoff + timedelta(days=1)
        timers = [("report", self._inp.time.real_start_of(cutoff))]
        for p in st.plan:
            if p.done_at is not None:
                continue
            if p.remind_at is not None and not p.reminded:
                timers.append((f"reminder:{p.item}", p.remind_at))
            if not p.overdue:
                timers.append((f"overdue:{p.item}", p.due))
        return min(timers, key=lambda t: t[1])

    def _on_timer(self, name: str) -> None:
        st = self._ready()
        self._seq += 1
        if name == "report":
            self._effects.append(MakeReport(self._report("yearly")))
            self._effects.append(RefreshPeople())
            cutoff = st.period.cutoff
            st.period = Period(
                index=st.period.index + 1,
                start=cutoff + timedelta(days=1),
                cutoff=st.rules.monitoring.report.next_cutoff(cutoff),
            )
            self._show()
            return
        kind, item = name.split(":", 1)
        plan = next(p for p in st.plan if p.item == item)
        dl = self._plan_deadline(plan.item, plan.rule)
        officers = st.people.monitoring_officers
        h = self._header()
        if kind == "reminder":
            plan.reminded = True
            if plan.due > workflow.now() and officers:
                self._effects.append(
                    notifications.reminder(
                        h, key=self._notices.key("reminder"), to=recipients(officers), deadline=dl
                    )
                )
            return
        plan.overdue = True
        self._show()
        to = recipients(officers, st.people.feedback.heads)
        if to:
            self._effects.append(
                notifications.overdue(h, key=self._notices.key("overdue"), to=to, deadline=dl)
            )

    async def _drain(self) -> None:
        while self._effects:
            effect = self._effects[0]
            try:
                await self._perform(effect)
            except ActivityError as err:
                # Monitoring must go on: a report or a notice that cannot be made is logged.
                workflow.logger.error("monitoring side effect failed: %s", err.cause or err)
            self._effects.pop(0)

    async def _perform(self, effect: Effect) -> None:
        st = self._ready()
        if isinstance(effect, Notification):
            await send_notification(effect)
        elif isinstance(effect, RefreshPeople):
            st.people = await self._people(st.rules)
        elif isinstance(effect, MakeReport):
            refs = await render_report(effect.report)
            self._record_report(effect.report, refs)
            to = recipients(st.people.monitoring_officers)
            if to:
                self._effects.append(
                    post_issuance_notices.report_ready(
                        self._header(),
                        key=self._notices.key("report"),
                        to=to,
                        label=f"{st.rules.monitoring.report.label} — kỳ / period "
                        f"{effect.report.period.index} ({effect.report.kind})",
                        refs=refs,
                    )
                )

    # ---- feedback ---------------------------------------------------------------------------

    @workflow.update
    async def submit_feedback(self, sub: FeedbackSubmission) -> FeedbackReceipt:
        """Receive a citizen's feedback: its own case starts (tiếp nhận kiến nghị, phản ánh)."""
        self._check_submit(sub)
        st = self._ready()
        number = st.next_feedback
        st.next_feedback += 1
        fid = f"{self._inp.monitoring_id}/feedback/{number}"
        now = workflow.now()
        inp = FeedbackInput(
            feedback_id=fid,
            number=number,
            monitoring_id=self._inp.monitoring_id,
            document=self._inp.document,
            agency=st.people.feedback,
            agencies=st.people.agencies,
            staffed=list(st.people.staffed),
            body=sub.body,
            received_at=now,
            rules=st.rules.feedback,
            time=self._inp.time.since(self._clock.legal_date(now)),
            # Decisions on the feedback case are proven to the keys this monitoring trusts
            # (the worker's own client signs nothing and pins nothing).
            trusted_keys=list(self._proofs.keys.values()),
            operators=[a.id for a in self._inp.case_assignments.get(self._inp.operator_role, [])],
        )
        try:
            await start_feedback(inp)
        except ActivityError as err:
            # Nothing was received: the caller hears why, the counts are untouched.
            raise refuse(
                "not_received",
                f"không tiếp nhận được / the feedback case could not be started: "
                f"{err.cause or err}",
            ) from None
        procedure = inp.rules.procedure
        st.open_feedback[fid] = OpenFeedback(
            id=fid,
            agency=inp.agency.id,
            stage=procedure.initial,
            received=self._clock.legal_date(now),
        )
        self._count("feedback_received")
        self._seq += 1
        due = []
        for name in procedure.running(procedure.initial):
            limit = procedure.time_limits[name]
            dl = legal_deadline(name, limit.limit, now, self._clock, self._calendar)
            due.append(DueDate(label=f"{limit.label} / {limit.label_en}", due=dl.counted.due))
        return FeedbackReceipt(feedback_id=fid, number=number, agency=inp.agency.name, due=due)

    @submit_feedback.validator
    def _check_submit(self, sub: FeedbackSubmission) -> None:
        st = self._starting_refusal()
        if not st.rules.monitoring.procedure.transitions_for("submit_feedback", st.status):
            raise refuse(
                "not_in_force",
                f"văn bản không còn hiệu lực / {self._inp.document.case_id} is not in force "
                f"({st.status}: {st.status_note or ''}); feedback on it is not received",
            )

    @workflow.signal(name=FEEDBACK_CHANGED_SIGNAL)
    def feedback_changed(self, n: FeedbackNotice) -> None:
        """From a feedback case: its stage, its overdue flag, where it was forwarded."""
        self._when_ready(lambda: self._apply_feedback(n))

    def _apply_feedback(self, n: FeedbackNotice) -> None:
        st = self._ready()
        if n.feedback_id in st.closed_early:
            return
        rec = st.open_feedback.get(n.feedback_id)
        unheard = rec is None
        if rec is None:
            # A forwarded case that reports before its forward was reported: it counts here.
            self._count("feedback_forwarded_in")
            rec = OpenFeedback(
                id=n.feedback_id,
                agency=n.agency,
                stage=n.stage,
                received=self._clock.legal_date(n.at),
            )
            st.open_feedback[n.feedback_id] = rec
        if n.overdue and not rec.overdue:
            self._count("feedback_breaches")
        entered = rec.stage != n.stage or unheard
        rec.overdue, rec.stage = n.overdue or rec.overdue, n.stage
        procedure = st.rules.feedback.procedure
        if procedure.is_final(n.stage):
            del st.open_feedback[n.feedback_id]
            if unheard:  # so that the forward, reported later, does not reopen it
                st.closed_early.append(n.feedback_id)
        if entered:
            self._count_stage(procedure.stages[n.stage].counts, late=n.late)
        target = n.forwarded_to
        if target and target not in st.open_feedback and target not in st.closed_early:
            self._count("feedback_forwarded_in")
            st.open_feedback[target] = OpenFeedback(
                id=target,
                agency=target.rsplit("/", 1)[-1],
                stage=procedure.initial,
                received=self._clock.legal_date(n.at),
            )
        self._show()
        self._seq += 1

    # ---- checks, links, the document's status ------------------------------------------------

    @workflow.signal(name=CHECK_CHANGED_SIGNAL)
    def check_changed(self, n: CheckNotice) -> None:
        self._when_ready(lambda: self._apply_check(n))

    def _apply_check(self, n: CheckNotice) -> None:
        st = self._ready()
        rec = st.checks.get(n.check_id)
        if rec is None:
            rec = CheckRecord(id=n.check_id, stage=n.stage)
            st.checks[n.check_id] = rec
            self._count("checks_opened")
        if n.outcome is not None and rec.outcome is None:
            self._count(
                {
                    Outcome.CLEAN: "checks_clean",
                    Outcome.FORM_ERRORS: "checks_form_errors",
                    Outcome.UNLAWFUL: "checks_unlawful",
                }[n.outcome]
            )
        if n.stage != rec.stage:
            self._count_stage(st.rules.check.procedure.stages[n.stage].counts)
        rec.stage, rec.outcome, rec.handling = n.stage, n.outcome, n.handling
        rec.overdue = rec.overdue or n.overdue
        rec.findings = n.findings
        st.period.checks[n.check_id] = rec.model_copy()
        self._seq += 1

    @workflow.signal(name=LINK_ADDED_SIGNAL)
    def link_added(self, link: CaseLink) -> None:
        self._when_ready(lambda: self._apply_link(link))

    def _apply_link(self, link: CaseLink) -> None:
        st = self._ready()
        if any(x.target == link.target and x.kind is link.kind for x in st.links):
            return
        st.links.append(link)
        st.period.links.append(link)
        if link.kind is LinkKind.AMENDED_BY:
            self._count("amendments_proposed")
        workflow.upsert_memo({"links": memo_links(st.links)})
        self._seq += 1

    @workflow.signal(name=DOCUMENT_STATUS_SIGNAL)
    def document_status(self, n: StatusNotice) -> None:
        """From a check: the document was suspended or annulled (ngưng hiệu lực, bãi bỏ)."""
        self._when_ready(lambda: self._apply_status(n))

    def _apply_status(self, n: StatusNotice) -> None:
        st = self._ready()
        procedure = st.rules.monitoring.procedure
        taken = [
            t for t in procedure.transitions_for(n.action, st.status) if t.role == SYSTEM_ACTOR
        ]
        if not taken:  # e.g. suspending a document already suspended: nothing changes
            return
        st.status = procedure.after(taken[0], st.status)
        st.status_note = f"{n.check_id} — {n.actor}" + (f": {n.note}" if n.note else "")
        if procedure.is_final(st.status):
            self._effects.append(MakeReport(self._report("final")))
        self._show()
        self._seq += 1

    # ---- events and reports -------------------------------------------------------------------

    @workflow.update
    def record_event(self, req: EventRequest) -> MonitoringEvent:
        """Record information gathered, an inspection, a survey, a review, a plan item done."""
        self._check_event(req)
        record_proof(self._proofs, req)
        st = self._ready()
        st.event_seq += 1
        now = workflow.now()
        event = MonitoringEvent(
            seq=st.event_seq,
            kind=req.kind,
            at=now,
            legal_date=self._clock.legal_date(now),
            actor=req.actor,
            note=req.note,
            item=req.item,
            document_sha256=req.document.sha256 if req.document else None,
        )
        st.period.events.append(event)
        for counts in (st.period.counts, st.totals):
            counts.events[req.kind.value] = counts.events.get(req.kind.value, 0) + 1
        if req.kind is EventKind.PLAN_DONE:
            plan = next(p for p in st.plan if p.item == req.item)
            plan.done_at, plan.done_by = now, req.actor
        self._show()
        self._seq += 1
        return event

    @record_event.validator
    def _validate_record_event(self, req: EventRequest) -> None:
        check_proof(self._proofs, req, "record_event")
        self._check_event(req)

    def _check_event(self, req: EventRequest) -> None:
        """Also the handler's first step (a proof is checked by the validator only: it is
        not re-checked on replay)."""
        st = self._starting_refusal()
        officers = [a.id for a in st.people.monitoring_officers]
        if req.actor not in officers:
            raise refuse(
                "wrong_role",
                f"'{req.actor}' không phải cán bộ theo dõi thi hành / {req.actor!r} is not a "
                f"monitoring officer of this document; officers: {', '.join(officers) or 'none'}",
            )
        if not st.rules.monitoring.procedure.transitions_for("record_event", st.status):
            label = st.rules.monitoring.procedure.label(st.status)[1]
            raise refuse("monitoring_ended", f"the document is {label}; monitoring has ended")
        if req.kind is EventKind.PLAN_DONE:
            items = {p.item: p for p in st.plan}
            if req.item not in items:
                raise refuse(
                    "unknown_item",
                    f"no plan item {req.item!r}; the plan has: {', '.join(items) or 'none'}",
                )
            done = items[req.item]
            if done.done_at is not None:
                raise refuse(
                    "already_done",
                    f"{done.label} was recorded done on "
                    f"{self._clock.legal_date(done.done_at):%d/%m/%Y} by {done.done_by}",
                )

    @workflow.update
    async def generate_report(self, req: ReportNow) -> list[DocumentRef]:
        """An interim report now (the yearly one comes by itself at the cut-off)."""
        self._check_report(req)
        record_proof(self._proofs, req)
        report = self._report("interim")
        refs = await render_report(report)
        self._record_report(report, refs)
        return refs

    @generate_report.validator
    def _validate_generate_report(self, req: ReportNow) -> None:
        check_proof(self._proofs, req, "generate_report")
        self._check_report(req)

    def _check_report(self, req: ReportNow) -> None:
        """Also the handler's first step (a proof is checked by the validator only: it is
        not re-checked on replay)."""
        st = self._starting_refusal()
        officers = [a.id for a in st.people.monitoring_officers]
        if req.actor not in officers:
            raise refuse(
                "wrong_role",
                f"{req.actor!r} is not a monitoring officer of this document; officers: "
                f"{', '.join(officers) or 'none'}",
            )

    def _report(self, kind: str) -> MonitoringReport:
        st = self._ready()
        return MonitoringReport(
            monitoring_id=self._inp.monitoring_id,
            document=self._inp.document,
            kind=kind,
            period=st.period.model_copy(deep=True),
            totals=st.totals.model_copy(deep=True),
            open_feedback=list(st.open_feedback.values())[:500],
            plan=list(st.plan),
            checks=list(st.checks.values()),
            links=list(st.links),
            status=st.status,
            made_on=self._clock.legal_date(workflow.now()),
        )

    def _record_report(self, report: MonitoringReport, refs: list[DocumentRef]) -> None:
        self._ready().reports.append(
            ReportRecord(
                period=report.period.index,
                start=report.period.start,
                cutoff=report.period.cutoff,
                kind=report.kind,
                at=workflow.now(),
                documents=refs,
            )
        )
        self._seq += 1

    # ---- queries -----------------------------------------------------------------------------

    @workflow.query
    def status(self) -> MonitoringStatus:
        st = self._state
        if st is None:
            raise ApplicationError("monitoring is starting", type="Starting")
        open_fb = list(st.open_feedback.values())
        procedure = st.rules.monitoring.procedure
        return MonitoringStatus(
            id=self._inp.monitoring_id,
            document=self._inp.document,
            status=st.status,
            status_label=" / ".join(procedure.label(st.status)),
            final=procedure.is_final(st.status),
            status_note=st.status_note,
            in_force_at=self._inp.in_force_at,
            legal_day_seconds=self._inp.time.legal_day_seconds,
            time=self._inp.time,
            plan=list(st.plan),
            period=st.period,
            totals=st.totals,
            open_feedback=open_fb[:200],
            open_feedback_count=len(open_fb),
            checks=list(st.checks.values()),
            links=list(st.links),
            reports=list(st.reports),
            next_report=st.period.cutoff,
            monitoring_officers=[a.id for a in st.people.monitoring_officers],
            feedback_answerers=st.people.feedback.answerers,
            runs=st.runs,
            run_events=list(st.run_events),
            history_length=workflow.info().get_current_history_length(),
            calendar_changes=list(st.calendar_changes),
            key_rotations=list(st.key_rotations),
        )

    # ---- the sign-in service's keys (khóa đăng nhập) ---------------------------------------

    @workflow.update
    def rotate_keys(self, req: KeyRotation) -> list[str]:
        """Trust the sign-in service's new key(s) from now on, in this run and the next ones;
        feedback cases started from now on get them too. Returns their ids."""
        record_proof(self._proofs, req)
        before = ", ".join(self._proofs.keys)
        self._proofs = self._proofs.rotated(req.keys)
        self._inp = self._inp.model_copy(update={"trusted_keys": list(req.keys)})
        now = workflow.now()
        self._ready().key_rotations.append(
            TrailStep(
                at=now,
                legal_date=self._clock.legal_date(now),
                actor=req.operator,
                action="keys_rotated",
                note=f"{before} → {', '.join(self._proofs.keys)}: {req.reason}",
            )
        )
        return list(self._proofs.keys)

    @rotate_keys.validator
    def _validate_rotation(self, req: KeyRotation) -> None:
        self._starting_refusal()
        role = self._inp.operator_role
        operators = [a.id for a in self._inp.case_assignments.get(role, [])]
        check_rotation(self._proofs, req, operators, role)

    # ---- a new official calendar (áp dụng lịch nghỉ mới) ---------------------------------------

    @workflow.query
    def calendar_preview(self, change: CalendarChange) -> CalendarApplied:
        """What ``change`` would move in the plan, without moving it."""
        moved = self._recount(change)[3] if self._state is not None else []
        return CalendarApplied(case_id=self._inp.monitoring_id, moved=moved)

    @workflow.update
    def apply_calendar(self, change: CalendarChange) -> CalendarApplied:
        """Count the plan's open deadlines again on the new calendar: the reminder and
        overdue timers follow the new dates, and ``calendar_changes`` says what moved and
        why. A plan item already overdue stays overdue."""
        record_proof(self._proofs, change)
        time, calendar, updated, moved = self._recount(change)
        self._inp = self._inp.model_copy(update={"time": time})
        self._calendar = calendar
        st = self._ready()
        for p in st.plan:
            dl = updated.get(p.item)
            if dl is not None:
                p.due, p.due_legal_date, p.remind_at = dl.due, dl.counted.due, dl.remind_at
                p.explanation = dl.explanation()
        now = workflow.now()
        st.calendar_changes.append(
            TrailStep(
                at=now,
                legal_date=self._clock.legal_date(now),
                actor=change.operator,
                action="calendar_applied",
                note=audit_note(change, moved),
            )
        )
        self._seq += 1  # the main loop waits again, on the new timers
        self._show()
        return CalendarApplied(case_id=self._inp.monitoring_id, moved=moved)

    @apply_calendar.validator
    def _calendar_applies(self, change: CalendarChange) -> None:
        check_proof(self._proofs, change, "apply_calendar")
        role = self._inp.operator_role
        check_operator([a.id for a in self._inp.case_assignments.get(role, [])], change.operator)
        st = self._starting_refusal()
        if st.rules.monitoring.procedure.is_final(st.status):
            raise refuse("monitoring_ended", "monitoring has ended: no deadline is left to move")

    def _recount(
        self, change: CalendarChange
    ) -> tuple[CaseTime, LegalCalendar, dict[str, StageDeadline], list[MovedDeadline]]:
        settings = self._inp.time.calendar.model_copy(update={"official": change.official})
        time = self._inp.time.model_copy(update={"calendar": settings})
        calendar = time.legal_calendar()
        pending = {
            p.item: self._plan_deadline(p.item, p.rule)
            for p in self._ready().plan
            if p.done_at is None
        }
        updated, moved = reproject(
            pending,
            lambda dl: legal_deadline(dl.stage, dl.rule, dl.anchored_at, self._clock, calendar),
            workflow.now(),
        )
        return time, calendar, updated, moved

    # ---- helpers -----------------------------------------------------------------------------

    def _ready(self) -> MonitoringState:
        assert self._state is not None, "monitoring state read before it was loaded"
        return self._state

    def _starting_refusal(self) -> MonitoringState:
        if self._state is None:
            raise refuse(
                "starting",
                "theo dõi thi hành đang khởi tạo / monitoring is starting; try again in a moment",
            )
        return self._state

    def _when_ready(self, apply: Callable[[], None]) -> None:
        if self._state is None:
            self._early.append(apply)
        else:
            apply()

    def _count(self, field: str) -> None:
        st = self._ready()
        st.period.counts.add(field)
        st.totals.add(field)

    def _count_stage(self, field: str | None, *, late: bool = False) -> None:
        """What a case entering a stage adds to (the procedure's ``counts``), and its late
        count when it came after its time limit."""
        if field is None:
            return
        self._count(field)
        if late and f"{field}_late" in Counts.model_fields:
            self._count(f"{field}_late")

    def _plan_deadline(self, item: str, rule: Deadline) -> StageDeadline:
        return legal_deadline(
            f"plan:{item}", rule, self._inp.in_force_at, self._clock, self._calendar
        )

    def _show(self) -> None:
        st = self._ready()
        pending = [p for p in st.plan if p.done_at is None]
        overdue = any(p.overdue for p in pending)
        dues = [p.due for p in pending]
        due = (
            min(dues)
            if dues
            else self._inp.time.real_start_of(st.period.cutoff + timedelta(days=1))
        )
        procedure = st.rules.monitoring.procedure
        upsert_stage(
            procedure.search_stage(st.status),
            overdue=overdue,
            due=None if procedure.is_final(st.status) else due,
        )
        doc = self._inp.document
        lines = [
            f"**{doc.title}**",
            f"Theo dõi thi hành / Monitoring: **{st.status}**",
            f"Phản ánh đang xử lý / Open feedback: {len(st.open_feedback)}; "
            f"đã nhận / received: {st.totals.feedback_received}",
            f"Báo cáo kỳ tới / Next report: {st.period.cutoff:%d/%m/%Y}",
        ]
        lines += [f"- QUÁ HẠN / OVERDUE: {p.label}" for p in pending if p.overdue]
        workflow.set_current_details("\n".join(lines))

    def _header(self) -> notifications.CaseHeader:
        st = self._ready()
        label, label_en = st.rules.monitoring.procedure.label(st.status)
        return self._notices.header(label, f"Monitoring: {label_en}")
