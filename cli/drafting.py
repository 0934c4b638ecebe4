"""Commands of drafting units and the people who decide on a draft (soạn thảo, thẩm định,
thông qua, ký): start a case, act on it, see where it is, list cases, move a case to another
regime, and read the procedures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    AsGone,
    CliError,
    NoInterest,
    app,
    connect,
    directory,
    parse_day,
    run,
    settings,
    signed_in,
    store,
)
from cli.output import out, row, safe, say, table

if TYPE_CHECKING:
    from client.listing import CaseRow
    from models.case import CaseStatus
    from models.definition import ProcessDefinition
    from models.steps import StepProcedure

RegimeOption = Annotated[
    str | None, typer.Option(help="Legal regime (default: the current one, L2025_A87)")
]


def _definition(doc_type: str, regime: str | None) -> ProcessDefinition:
    from models.registry import DEFAULT_REGIME, load_registry

    try:
        return load_registry().get(doc_type, regime or DEFAULT_REGIME)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


@app.command()
def start(
    doc_type: Annotated[str, typer.Option("--type", help="Document type, e.g. qd_ubnd_tinh")],
    title: Annotated[str, typer.Option(help="Title of the draft (trích yếu), 3-500 characters")],
    regime: RegimeOption = None,
    slug: Annotated[
        str | None, typer.Option(help="Id suffix (a-z, 0-9, -); default from the title")
    ] = None,
    simplified_by: Annotated[
        str | None,
        typer.Option(
            "--simplified-by",
            help="Use the simplified procedure (rút gọn), decided by this person (the authority "
            "the definition names)",
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the simplified procedure")] = None,
    as_given: AsGone = None,
) -> None:
    """Start a case for a draft; prints the new case id."""
    from client.cases import open_case
    from models.case import SimplifiedDecision
    from models.starting import StartRefused, StartRequest, plan_case

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    decision = None
    if simplified_by is not None:
        if not reason:
            raise CliError("--simplified-by needs --reason (the ground under Điều 50)")
        decision = SimplifiedDecision(decided_by=simplified_by, reason=reason)
    request = StartRequest(
        definition=_definition(doc_type, regime),
        title=title,
        starter=person,
        slug=slug,
        legal_day_seconds=s.legal_day_seconds,
        simplified=decision,
    )

    try:  # the rules first: a wrong title or role is said without a server
        opening = plan_case(directory(s), request)
    except StartRefused as refused:
        raise CliError(str(refused)) from None

    async def go() -> str:
        handle = await open_case(await connect(s, me), opening, task_queue=s.task_queue)
        return handle.id

    print(run(go()))


@app.command("act")
def act_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    action: Annotated[str, typer.Argument(help="Action, e.g. close_consultation")],
    note: Annotated[str | None, typer.Option(help="Note for the audit trail")] = None,
    file: Annotated[
        Path | None, typer.Option(help="Document the action carries (at most 50 MiB)")
    ] = None,
    on_behalf_of: Annotated[str | None, typer.Option(help="KT./TL./Q.: acting for whom")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Take an action on a case; exits 2 with the reason when it is refused."""
    from client.cases import act
    from client.documents import upload
    from models.case import ActionRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    # Checked before the file is uploaded: a note too long must not leave a stray upload.
    request = ActionRequest(
        action=action,
        actor=person,
        note=note,
        on_behalf_of=on_behalf_of,
        declare_no_interest=no_interest,
    )

    async def go() -> None:
        doc = upload(store(s), file) if file else None
        result = await act(await connect(s, me), case, request.model_copy(update={"document": doc}))
        version = (
            f" (document version {result.document_version})" if result.document_version else ""
        )
        say(
            f"{result.from_stage} → ",
            (result.stage, "bold"),
            f" ({result.stage_label}){version}",
        )

    run(go())


@app.command("delegate")
def delegate_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    role: Annotated[str, typer.Option(help="Your role to delegate, e.g. signer")],
    deputy: Annotated[str, typer.Option("--to", help="The deputy's person id (same agency)")],
    until: Annotated[
        str, typer.Option(help="Last legal day the deputy may act (DD/MM/YYYY or YYYY-MM-DD)")
    ],
    reason: Annotated[str, typer.Option(help="Why (absence, business trip…)")],
    by_order: Annotated[
        bool,
        typer.Option(
            "--by-order",
            help="Thừa lệnh (TL.): a unit head signs by your order, where the procedure "
            "allows it for this role (default: ký thay, KT.)",
        ),
    ] = False,
) -> None:
    """Name a deputy to sign for you in this case until a day (ký thay, KT.; with --by-order,
    ký thừa lệnh, TL.); they then act with `act … --on-behalf-of YOU`."""
    from client.cases import delegate
    from models.delegation import DelegationForm

    s = settings()
    me = signed_in(s)
    last = parse_day(until, "--until")

    async def go() -> str:
        d = await delegate(
            await connect(s, me),
            directory(s),
            case,
            actor=me.session.person,
            role=role,
            deputy=deputy,
            until=last,
            reason=reason,
            form=DelegationForm.TL if by_order else DelegationForm.KT,
        )
        return f"{d.signed_as()}, đến hết ngày / until {d.until:%d/%m/%Y}"

    say(run(go()))


@app.command("declare")
def declare_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    no_interest: Annotated[
        bool, typer.Option("--no-interest", help="You have no conflict of interest in it")
    ] = False,
    interest: Annotated[
        str | None,
        typer.Option(help="The interest you have in it: you then stand aside from the case"),
    ] = None,
) -> None:
    """Declare whether you have a conflict of interest in a case (kê khai xung đột lợi ích),
    before your first decision on it. Declaring one makes you stand aside: a task only you
    could do passes to your direct superior."""
    from client.cases import declare_interest

    if no_interest == (interest is not None):
        raise CliError(
            'chọn đúng một: --no-interest hoặc --interest "…" / give exactly one of '
            '--no-interest or --interest "what the interest is"'
        )
    s = settings()
    me = signed_in(s)

    async def go() -> str:
        d = await declare_interest(
            await connect(s, me), case, actor=me.session.person, interest=interest
        )
        return d.summary()

    say(run(go()))


@app.command("reassign")
def reassign_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    person: Annotated[str, typer.Option("--from", help="Whose tasks (absent or recused)")],
    to: Annotated[str, typer.Option(help="Who takes them (same agency)")],
    reason: Annotated[str, typer.Option(help="Why (absence, a declared interest…)")],
    role: Annotated[str | None, typer.Option(help="Only this role (default: all theirs)")] = None,
) -> None:
    """Give an absent or recused person's tasks in a case to someone else of their agency
    (phân công lại): their direct superior or an operator may."""
    from client.cases import reassign

    s = settings()
    me = signed_in(s)

    async def go() -> str:
        held = await reassign(
            await connect(s, me),
            directory(s),
            case,
            actor=me.session.person,
            person=person,
            to=to,
            reason=reason,
            role=role,
        )
        return "; ".join(f"{r}: {', '.join(people)}" for r, people in held.items())

    say(run(go()))


@app.command("status")
def status_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON shape (README)")] = False,
) -> None:
    """Where a case is, what can be done now and by whom, and its deadlines."""
    from client.cases import status

    s = settings()

    async def go() -> CaseStatus:
        return await status(await connect(s), case)

    st = run(go())
    if as_json:
        print(st.model_dump_json(indent=2))
        return
    print_status(st)


def print_status(st: CaseStatus) -> None:
    say((st.title, "bold"))
    say(f"{st.id} · {st.type} · {st.regime} · {st.drafting_agency}")
    say(
        "Giai đoạn / Stage: ",
        (st.stage_label, "bold"),
        f" ({st.stage})",
        (" QUÁ HẠN / OVERDUE", "bold red") if st.overdue else "",
    )
    for link in st.links:
        say(f"Liên kết / Link: {link.line()}")
    for d in st.delegations:
        say(f"Ký thay / Delegation: {d.signed_as()}, đến hết ngày / until {d.until:%d/%m/%Y}")
    if st.allowed:
        allowed = table("action", "→ stage", "role", "who", title="Có thể làm / Allowed now")
        for a in st.allowed:
            row(allowed, (a.action, a.to, a.role, ", ".join(a.actors)))
        out.print(allowed)
    for b in st.blocked:
        say(("chưa thể / not yet", "yellow"), f" {b.action}: {b.reason}")
    if st.comments_pending:
        say(
            ("có góp ý chưa giải trình / comments without a disposition", "yellow"),
            f" (legisflow comments {st.id} --open)",
        )
    for c in st.consultations:
        state: tuple[str, str] | str = (
            f"replied by {c.replied_by}"
            if c.replied_by
            else ("overdue", "red")
            if c.overdue
            else f"due {c.due_legal_date}"
        )
        must = "mandatory" if c.mandatory else "optional"
        say(f"Lấy ý kiến / consulted: {c.label} ({must}): ", state)
    for i in st.issues:
        where: tuple[str, str] | str = (
            f"chỉ đạo / directed by {i.directed_by}: {i.direction}"
            if i.settled
            else ("overdue", "red")
            if i.overdue
            else f"chờ / awaiting {', '.join(i.holders)}, due {i.due_legal_date:%d/%m/%Y}"
        )
        say(f"Vấn đề {i.number} / issue {i.number}: {i.question} — ", where)
    for dl in st.deadlines:
        say(
            f"Hạn / {dl.kind}: {dl.due_legal_date} — {dl.name}",
            "" if dl.confirmed else (" (chưa xác nhận / unconfirmed)", "yellow"),
        )
        say(f"  {dl.explanation}")
        say(f"  {dl.basis}")


@app.command("list")
def list_cmd(
    stage: Annotated[str | None, typer.Option(help="LegalStage")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="DocumentType")] = None,
    agency: Annotated[str | None, typer.Option(help="DraftingAgency")] = None,
    regime: Annotated[str | None, typer.Option(help="LegalRegime")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Running cases only")] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="drafting | monitoring | feedback | check (repeatable; default all)"),
    ] = None,
) -> None:
    """List cases: drafting cases and, after issuance, monitoring, feedback and checks.

    Read from Temporal visibility (eventually consistent); due dates are days in Vietnam's
    time zone."""
    from client.listing import list_cases, list_query

    s = settings()
    query = list_query(
        stage=stage,
        doc_type=doc_type,
        agency=agency,
        regime=regime,
        overdue=overdue,
        open_only=open_only,
        kinds=kind,
    )

    async def go() -> list[CaseRow]:
        return list(await list_cases(await connect(s), query))

    rows = run(go())
    listed = table(
        "id", "workflow", "type", "agency", "stage", "due", "overdue", "status",
        caption=f"query: {query}",
    )  # fmt: skip
    for r in rows:
        due = f"{r.due_date:%Y-%m-%d}" if r.due_date else ""
        cells = (r.id, r.workflow_type, r.type, r.agency, r.stage, due)
        row(listed, (*cells, "yes" if r.overdue else "", r.status))
    out.print(listed)


@app.command()
def migrate(
    case: Annotated[str, typer.Argument(help="Case id")],
    to: Annotated[str, typer.Option("--to", help="Target regime, e.g. L2025_A87")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; change nothing")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail")] = None,
    as_given: AsGone = None,
) -> None:
    """Move a case to another legal regime (audited), or show what that would change."""
    from client import cases

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person

    async def go() -> None:
        client = await connect(s, me)
        source = await cases.current_definition(client, case)
        target = _definition(source.doc_type, to)
        plan = await cases.plan_case_migration(client, case, target)
        out.print(safe(plan.render()))
        if dry_run:
            if not plan.possible:
                raise CliError(f"migration to {to} would be refused: {plan.refusal}")
            return
        if not person or not reason:
            raise CliError("a migration needs --as OPERATOR and --reason (or use --dry-run)")
        key = await cases.migrate(
            client, directory(s), case, target, operator=person, reason=reason
        )
        say(("migrated", "bold green"), f" {case} → {key}")

    run(go())


procedures_app = typer.Typer(
    help="The procedures legisflow knows (type × regime).", invoke_without_command=True
)
app.add_typer(procedures_app, name="procedures")


@procedures_app.callback()
def procedures_list(ctx: typer.Context) -> None:
    """List every definition with its stages and deadlines."""
    from models.machine import shortest_path
    from models.registry import load_registry

    if ctx.invoked_subcommand is not None:
        return
    listed = table(
        "type", "regime", "name", "stages", "deadlines", "simplified",
        title="Quy trình / Procedures",
    )  # fmt: skip
    for d in load_registry():
        deadlines = [
            f"{n}: {st.deadline.kind.value} {st.deadline.days} {st.deadline.unit.value}"
            + ("" if st.deadline.confirmed else " (unconfirmed)")
            for n, st in d.stages.items()
            if st.deadline
        ]
        path = [d.initial, *(t.dest for t in shortest_path(d, d.initial, d.final[0]))]
        cells = (d.doc_type, d.regime, d.name, " → ".join(path), "\n".join(deadlines))
        row(listed, (*cells, "yes" if d.simplified else ""))
    out.print(listed)
    after = table(
        "procedure", "name", "stages", "time limits", title="Sau ban hành / After issuance"
    )
    for key, proc in _after_issuance().items():
        limits = [
            f"{n}: {t.limit.days} {t.limit.unit.value} in {', '.join(t.runs_in)}"
            + ("" if t.limit.confirmed else " (unconfirmed)")
            for n, t in proc.time_limits.items()
        ]
        stages = " · ".join(f"{s}{' (final)' if proc.is_final(s) else ''}" for s in proc.stages)
        row(after, (key, f"{proc.name}\n{proc.name_en}", stages, "\n".join(limits)))
    out.print(after)


def _after_issuance() -> dict[str, StepProcedure]:
    from activities.post_issuance import cached_rules

    return cached_rules().procedures()


@procedures_app.command("show")
def procedures_show(
    doc_type: Annotated[str, typer.Argument(help="Document type, e.g. nq_hdnd_tinh")],
    regime: RegimeOption = None,
    diagram: Annotated[bool, typer.Option("--diagram", help="Print a Mermaid diagram")] = False,
) -> None:
    """One procedure: its stages, deadlines with legal basis and confirmation, roles.

    DOC_TYPE is a document type, or a procedure after issuance: feedback, check, monitoring.
    """
    from models.diagram import mermaid

    after = _after_issuance()
    if doc_type in after:
        _show_steps(doc_type, after[doc_type])
        return
    d = _definition(doc_type, regime)
    if diagram:
        print(mermaid(d))
        return
    say((d.name, "bold"), f" ({d.doc_type}) — {d.regime}")
    say(d.regime_basis)
    if d.simplified:
        say(f"Rút gọn / simplified: decided by {d.simplified.decided_by}; {d.simplified.basis}")
    stages = table("stage", "label", "deadline", "basis", "confirmed", title="Các bước / Stages")
    for name, st in d.stages.items():
        dl = st.deadline
        spec = ""
        if dl is not None:
            spec = f"{dl.kind.value} {dl.days} {dl.unit.value}"
            if dl.simplified_days is not None:
                spec += f" (rút gọn: {dl.simplified_days})"
            if dl.anchor:
                spec += f" from {dl.anchor}"
        confirmed = ("yes" if dl.confirmed else "NO") if dl else ""
        row(stages, (name, f"{st.label}\n{st.label_en}", spec, dl.basis if dl else "", confirmed))
        for c in st.consults:
            r = c.reply
            reply = f"reply ≤ {r.days} {r.unit.value}" + (
                f" (rút gọn: {r.simplified_days})" if r.simplified_days else ""
            )
            row(stages, ("", f"  ↳ {c.label}", reply, r.basis, "yes" if r.confirmed else "NO"))
    out.print(stages)
    roles = table("role", "label", "body", title="Vai trò / Roles")
    for rid, role in d.roles.items():
        row(roles, (rid, role.label, f"{role.body.value} ({role.jurisdiction.value})"))
    out.print(roles)


def _show_steps(key: str, proc: StepProcedure) -> None:
    """A procedure after issuance: stages, actions and who takes them, time limits."""
    say((proc.name, "bold"), f" ({key}) — {proc.name_en}")
    say(proc.basis)
    stages = table("stage", "label", "LegalStage", "final", title="Các bước / Stages")
    for name, st in proc.stages.items():
        final = "yes" if proc.is_final(name) else ""
        row(stages, (name, f"{st.label}\n{st.label_en}", proc.search_stage(name), final))
    out.print(stages)
    actions = table("action", "from", "to", "who", title="Thao tác / Actions")
    for t in proc.transitions:
        who = proc.roles.get(t.role, "tự động / automatic")
        row(actions, (t.action, ", ".join(t.source), t.dest or "(stays)", f"{t.role}: {who}"))
    out.print(actions)
    limits = table(
        "time limit", "runs in", "limit", "basis", "confirmed", title="Thời hạn / Time limits"
    )
    for name, limit in proc.time_limits.items():
        spec = f"{limit.limit.days} {limit.limit.unit.value}" + (
            f"; then {limit.on_breach}" if limit.on_breach else ""
        )
        confirmed = "yes" if limit.limit.confirmed else "NO"
        row(
            limits,
            (
                f"{name}: {limit.label}",
                ", ".join(limit.runs_in),
                spec,
                limit.limit.basis,
                confirmed,
            ),
        )
    out.print(limits)
