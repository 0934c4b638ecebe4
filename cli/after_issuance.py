"""Commands after issuance (sau ban hành): citizens' feedback on a document in force (kiến
nghị, phản ánh), the legality check of a document (kiểm tra văn bản), and its monitoring
(theo dõi thi hành)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cli.common import (
    AsGone,
    CliError,
    NoInterest,
    app,
    connect,
    directory,
    run,
    settings,
    signed_in,
    store,
)
from cli.consultation import given_text
from cli.output import out, row, say, table
from models.choices import Category, EventKind, Handling, Outcome

if TYPE_CHECKING:
    from models.feedback import FeedbackStatus
    from models.legality_check import CheckStatus
    from models.monitoring import MonitoringStatus


class _DefaultGroup(TyperGroup):
    """A command group whose first argument, when it names none of its commands, goes to
    ``default``: ``legisflow feedback DOC …`` is ``legisflow feedback submit DOC …``."""

    default = ""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = [self.default, *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


class _FeedbackGroup(_DefaultGroup):
    default = "submit"


class _MonitorGroup(_DefaultGroup):
    default = "show"


feedback_app = typer.Typer(
    cls=_FeedbackGroup,
    help="Kiến nghị, phản ánh / citizens' feedback on a document in force: "
    "`feedback DOC --from NAME --text …`, then classify, forward, answer, propose-amendment.",
    no_args_is_help=True,
)
check_app = typer.Typer(
    help="Kiểm tra văn bản / the legality check of an issued document.", no_args_is_help=True
)
monitor_app = typer.Typer(
    cls=_MonitorGroup,
    help="Theo dõi thi hành / a document in force: `monitor DOC` shows its plan, events, "
    "feedback, checks, links and reports.",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")
app.add_typer(check_app, name="check")
app.add_typer(monitor_app, name="monitor")

LATE = ("QUÁ HẠN / late", "bold red")
OVERDUE = (" QUÁ HẠN / OVERDUE", "bold red")


# ---- feedback ----------------------------------------------------------------------------------


@feedback_app.command("submit")
def feedback_submit(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    author: Annotated[str, typer.Option("--from", help="Who sends it (kept out of Temporal)")],
    text: Annotated[str | None, typer.Option(help="The feedback")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The feedback as a text, Word (.docx) or PDF file")
    ] = None,
    channel: Annotated[str, typer.Option(help="Where it came in")] = "portal",
) -> None:
    """Receive a citizen's feedback on a document in force; prints the feedback case id."""
    from client.after_issuance import submit_feedback

    s = settings()
    body = given_text(text, file, "feedback")

    async def go() -> None:
        r = await submit_feedback(
            await connect(s), store(s), doc, author=author, text=body, channel=channel
        )
        print(r.feedback_id)
        dues = "; ".join(f"{d.label} {d.due:%Y-%m-%d}" for d in r.due)
        say(f"Tiếp nhận / received by {r.agency}; hạn / due: {dues}")

    run(go())


@feedback_app.command("status")
def feedback_show(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A feedback case: stage, deadlines, who answers, links, its trail."""
    from client.after_issuance import feedback_status

    s = settings()

    async def go() -> FeedbackStatus:
        return await feedback_status(await connect(s), feedback_id)

    st = run(go())
    if as_json:
        print(st.model_dump_json(indent=2))
        return
    say((st.document_title, "bold"), f" — phản ánh / feedback {st.number}")
    say(st.id)
    say(f"Cơ quan / Agency: {st.agency_name} ({st.agency})")
    say(
        "Bước / Stage: ",
        (st.stage_label, "bold"),
        OVERDUE if st.overdue else "",
        (" (late)", "red") if st.late else "",
    )
    for dl in st.deadlines:
        say(
            f"Hạn / {dl.name}: {dl.due_legal_date}",
            (" overdue", "red") if dl.overdue else "",
            f" — {dl.explanation}",
        )
        say(f"  {dl.basis}")
    if not st.final:
        say(f"Người trả lời / Who answers: {', '.join(st.answerers)}")
    for link in st.links:
        say(f"Liên kết / Link: {link.line()}")
    for step in st.trail:
        say(f"  {step.legal_date} {step.actor}: {step.action} {step.note or ''}")


@feedback_app.command("classify")
def feedback_classify(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    category: Annotated[Category, typer.Option(help="recommendation (kiến nghị) | report")],
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Phân loại: the case is within the agency's competence."""
    from client.after_issuance import classify_feedback
    from models.feedback import ClassifyRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = ClassifyRequest(
        actor=person, category=category, note=note, declare_no_interest=no_interest
    )

    async def go() -> FeedbackStatus:
        return await classify_feedback(await connect(s, me), feedback_id, req)

    say(f"{feedback_id}: {run(go()).stage_label}")


@feedback_app.command("forward")
def feedback_forward(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    agency: Annotated[str, typer.Option("--to", help="The competent agency (directory id)")],
    note: Annotated[str | None, typer.Option(help="Why it belongs there")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Chuyển đơn: forward to the competent agency, whose own case starts."""
    from client.after_issuance import forward_feedback
    from models.feedback import ForwardRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = ForwardRequest(actor=person, agency=agency, note=note, declare_no_interest=no_interest)

    async def go() -> FeedbackStatus:
        return await forward_feedback(await connect(s, me), feedback_id, req)

    st = run(go())
    say(f"{feedback_id}: {st.stage_label} → {st.forwarded_to}")


@feedback_app.command("answer")
def feedback_answer(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    text: Annotated[str | None, typer.Option(help="The answer")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The answer as a document (at most 50 MiB)")
    ] = None,
    summary: Annotated[str | None, typer.Option(help="One line for the trail")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Trả lời: answer the feedback (closes the case); exits 2 when refused."""
    from client.after_issuance import answer_feedback
    from client.documents import upload

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    if (text is None) == (file is None):
        raise CliError("give the answer with exactly one of --text or --file")

    async def go() -> FeedbackStatus:
        doc = upload(store(s), file) if file else None
        return await answer_feedback(
            await connect(s, me),
            store(s),
            feedback_id,
            actor=person,
            text=text,
            document=doc,
            summary=summary,
            declare_no_interest=no_interest,
        )

    st = run(go())
    say(f"{feedback_id}: {st.stage_label}", " — " if st.late else "", LATE if st.late else "")


@feedback_app.command("propose-amendment")
def feedback_propose_amendment(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    reason: Annotated[str, typer.Option(help="Why the recommendation is well founded")],
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Đề xuất sửa đổi: start a drafting case amending the document; prints its id."""
    from client.after_issuance import propose_amendment
    from models.feedback import AmendmentProposal

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = AmendmentProposal(actor=person, reason=reason, declare_no_interest=no_interest)

    async def go() -> str:
        return (await propose_amendment(await connect(s, me), feedback_id, req)).target

    print(run(go()))


# ---- legality checks ---------------------------------------------------------------------------


@check_app.command("open")
def check_open(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    note: Annotated[str | None, typer.Option(help="Why (tự kiểm tra, theo phản ánh, …)")] = None,
    as_given: AsGone = None,
) -> None:
    """Open a legality check of a document in force; prints the check id."""
    from client.after_issuance import open_check

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person

    async def go() -> str:
        return await open_check(
            await connect(s, me),
            directory(s),
            doc,
            checker=person,
            task_queue=s.task_queue,
            note=note,
        )

    print(run(go()))


@check_app.command("conclude")
def check_conclude(
    check: Annotated[str, typer.Argument(help="Check id")],
    outcome: Annotated[Outcome, typer.Option(help="clean | form_errors | unlawful")],
    findings: Annotated[str | None, typer.Option(help="What is wrong")] = None,
    basis: Annotated[str | None, typer.Option(help="The legal basis it contravenes")] = None,
    handling: Annotated[
        list[Handling] | None, typer.Option(help="Handling required (repeatable)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
    file: Annotated[Path | None, typer.Option(help="The conclusion as a document")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Kết luận kiểm tra: clean, errors of form, or unlawful content."""
    from client.after_issuance import conclude_check
    from client.documents import upload
    from models.legality_check import Conclusion

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    fields = {"actor": person, "outcome": outcome, "findings": findings, "basis": basis}
    conclusion = Conclusion(
        **fields,
        handling=tuple(handling or ()),
        note=note,
        declare_no_interest=no_interest,
    )

    async def go() -> CheckStatus:
        doc = upload(store(s), file) if file else None
        concluded = conclusion.model_copy(update={"document": doc})
        return await conclude_check(await connect(s, me), check, concluded)

    print_check(run(go()))


@check_app.command("handle")
def check_handle(
    check: Annotated[str, typer.Argument(help="Check id")],
    action: Annotated[Handling, typer.Option(help="correct | amend | annul | suspend")],
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
    file: Annotated[Path | None, typer.Option(help="The handling decision as a document")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Xử lý văn bản theo kết luận kiểm tra (amend starts a linked drafting case)."""
    from client.after_issuance import handle_check
    from client.documents import upload
    from models.legality_check import HandlingRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = HandlingRequest(actor=person, action=action, note=note, declare_no_interest=no_interest)

    async def go() -> CheckStatus:
        doc = upload(store(s), file) if file else None
        return await handle_check(
            await connect(s, me), check, req.model_copy(update={"document": doc})
        )

    print_check(run(go()))


@check_app.command("status")
def check_show(
    check: Annotated[str, typer.Argument(help="Check id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A check: its conclusion, the handling required and by when, links."""
    from client.after_issuance import check_status

    s = settings()

    async def go() -> CheckStatus:
        return await check_status(await connect(s), check)

    st = run(go())
    if as_json:
        print(st.model_dump_json(indent=2))
    else:
        print_check(st)


def print_check(st: CheckStatus) -> None:
    say((st.document_title, "bold"), f" — {st.id}")
    say("Bước / Stage: ", (st.stage_label, "bold"), OVERDUE if st.overdue else "")
    c = st.conclusion
    if c is not None:
        say(f"Kết luận / Conclusion: {c.outcome.label}")
        if c.findings:
            say(f"  {c.findings} — {c.basis}")
    if st.allowed_handlings and not st.final:
        say("Phải xử lý / Handling required: " + ", ".join(h.value for h in st.allowed_handlings))
    for dl in st.deadlines:
        mark = "" if dl.confirmed else " (chưa xác nhận / unconfirmed)"
        say(f"Hạn / due: {dl.due_legal_date}{mark} — {dl.explanation}")
    h = st.handling
    if h is not None:
        who = " (cấp trên / higher authority)" if h.by_higher_authority else ""
        say(
            f"Đã xử lý / Handled: {h.action.label} by {h.actor}{who} on {h.legal_date}",
            " — " if h.late else "",
            LATE if h.late else "",
        )
    for link in st.links:
        say(f"Liên kết / Link: {link.line()}")


# ---- monitoring --------------------------------------------------------------------------------


@monitor_app.command("show")
def monitor_show(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A document in force: plan deadlines, events, feedback counts, checks, links, reports.
    Every date is a legal date on the document's clock."""
    from client.after_issuance import legal_today, monitoring_status

    s = settings()

    async def go() -> MonitoringStatus:
        return await monitoring_status(await connect(s), doc)

    st = run(go())
    if as_json:
        print(st.model_dump_json(indent=2))
        return
    print_monitoring(st, legal_today(st))


def print_monitoring(st: MonitoringStatus, today: date) -> None:
    d = st.document
    clock = st.time.clock()
    say((d.title, "bold"))
    say(f"{d.case_id} · {d.doc_type} · {d.regime} · {d.drafting_agency}")
    say(
        "Tình trạng / Status: ",
        (st.status, "bold"),
        f" {st.status_note or ''} — có hiệu lực từ / in force since "
        f"{clock.legal_date(st.in_force_at)}; hôm nay / legal today {today}",
    )
    plan = table("item", "due", "done", "basis", title="Kế hoạch / Plan")
    for p in st.plan:
        # Done on the document's legal clock, like the due date beside it (a demo's compressed
        # days would otherwise show a wall-clock date years before the legal one).
        done = f"{clock.legal_date(p.done_at):%Y-%m-%d} {p.done_by}" if p.done_at else ""
        due = f"{p.due_legal_date}" + (" overdue" if p.overdue else "")
        basis = p.rule.basis + ("" if p.rule.confirmed else " (unconfirmed)")
        row(plan, (f"{p.item}: {p.label}", due, done, basis))
    out.print(plan)
    t, c = st.totals, st.period.counts
    say(
        f"Kỳ báo cáo / Period {st.period.index}: {st.period.start} – {st.period.cutoff} "
        f"(báo cáo tiếp / next report {st.next_report})"
    )
    say(
        f"Phản ánh / Feedback: received {t.feedback_received} (this period "
        f"{c.feedback_received}), answered {t.feedback_answered} (late "
        f"{t.feedback_answered_late}), forwarded {t.feedback_forwarded}, opened by forwarding "
        f"{t.feedback_forwarded_in}, breaches {t.feedback_breaches}, open {st.open_feedback_count}"
    )
    for f in st.open_feedback[:20]:
        say(f"  {f.id} ({f.agency}, {f.received})", (" overdue", "red") if f.overdue else "")
    events = ", ".join(f"{k}: {n}" for k, n in sorted(t.events.items())) or "none"
    say(f"Sự kiện / Events: {events}")
    for e in st.period.events[-10:]:
        say(f"  {e.legal_date} {e.kind.value} {e.actor}: {e.note}")
    for ch in st.checks:
        label = ch.outcome.value if ch.outcome else ch.stage
        handled = f", {ch.handling.value}" if ch.handling else ""
        say(f"Kiểm tra / Check {ch.id}: {label}{handled}{' overdue' if ch.overdue else ''}")
    for link in st.links:
        say(f"Liên kết / Link: {link.line()}")
    for r in st.reports:
        names = ", ".join(x.name for x in r.documents)
        say(f"Báo cáo / Report {r.kind} (period {r.period}, to {r.cutoff}): {names}")
    say((f"runs {st.runs}, events {[*st.run_events, st.history_length]}", "dim"))


@monitor_app.command("record")
def monitor_record(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    kind: Annotated[EventKind, typer.Option(help="information | inspection | survey | …")],
    note: Annotated[str, typer.Option(help="What was done or found")],
    item: Annotated[str | None, typer.Option(help="Plan item, for plan_done")] = None,
    file: Annotated[Path | None, typer.Option(help="A document (minutes, findings)")] = None,
    as_given: AsGone = None,
) -> None:
    """Record information gathered, an inspection, a survey, a review or a plan item done."""
    from client.after_issuance import record_event
    from client.documents import upload
    from models.monitoring import EventRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = EventRequest(actor=person, kind=kind, item=item, note=note)

    async def go() -> None:
        doc_ref = upload(store(s), file) if file else None
        event = await record_event(
            await connect(s, me), doc, req.model_copy(update={"document": doc_ref})
        )
        say(f"#{event.seq} {event.kind.label} — {event.legal_date}")

    run(go())


@monitor_app.command("report")
def monitor_report(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    as_given: AsGone = None,
) -> None:
    """An interim report now (Word and Markdown, in the document store)."""
    from client.after_issuance import generate_report

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person

    async def go() -> None:
        for ref in await generate_report(await connect(s, me), doc, person):
            say(f"{ref.name}  sha256 {ref.sha256}")

    run(go())
