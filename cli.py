"""``legisflow``: the command line for drafting units, reviewers and ops.

Every command reads its settings from ``LEGISFLOW_*`` variables (see README), so the same
commands work against the local dev server and a production cluster.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities import adapters
from activities.ports import DocumentStore, StoreError
from client import cases, ops
from client.connection import ConnectError, connect
from client.errors import CaseActionRefused, CaseError
from localdev import devserver
from localdev.devserver import DevServer
from localdev.walkthrough import wait_for_status, walk
from logging_config import configure_logging
from models.actors import Directory, load_directory
from models.audit import export_lines, verify_lines
from models.case import ActionRequest, CaseStatus, ReplyRequest, SimplifiedDecision
from models.comments import CommentSummary, Disposition, DispositionRequest, Entry
from models.definition import ProcessDefinition, Transition
from models.diagram import mermaid
from models.kpi import KpiRow, kpis
from models.machine import shortest_path
from models.registry import DEFAULT_REGIME, load_registry
from models.starting import StartRequest
from settings import Settings
from worker import build_worker, run_worker, serve_until_signalled
from workflows.drafting.legislative_process import LegislativeProcess

app = typer.Typer(
    help="legisflow — vòng đời văn bản quy phạm pháp luật / the life of a legal "
    "normative document, as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
)
# Off a terminal (pipes, CI logs) tables get room instead of the 80-column default.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

EXIT_REFUSED = 2


class CliError(Exception):
    """Shown as one line on stderr; exit code 1."""


def _settings() -> Settings:
    return Settings()


def _store(settings: Settings) -> DocumentStore:
    """The configured document store: uploads go where the workers read."""
    return adapters.document_store(settings)


def _directory(settings: Settings) -> Directory:
    return load_directory(settings.directory_file) if settings.directory_file else load_directory()


def _run(coro: Awaitable[T]) -> T:
    return asyncio.run(_guard(coro))


async def _guard(coro: Awaitable[T]) -> T:
    try:
        return await coro
    except RPCError as exc:
        raise CliError(f"Temporal: {exc.message}") from None
    except ConnectError as exc:
        raise CliError(f"{exc} — is the server running? (`legisflow dev` starts one)") from None


# ---- people and cases ------------------------------------------------------------------------


@app.command()
def actors(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list")] = False,
) -> None:
    """The directory: people, their agency and roles (danh bạ)."""
    d = _directory(_settings())
    if as_json:
        print(
            json.dumps(
                [
                    {"id": p.id, "name": p.name, "agency": p.agency, "roles": list(p.roles)}
                    for p in d.people
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table("id", "name", "agency", "roles", title="Danh bạ / Directory")
    for p in d.people:
        table.add_row(p.id, p.name, d.agency(p.agency).name, ", ".join(p.roles))
    out.print(table)


@app.command()
def start(
    doc_type: Annotated[str, typer.Option("--type", help="Document type, e.g. qd_ubnd_tinh")],
    title: Annotated[str, typer.Option(help="Title of the draft (trích yếu)")],
    person: Annotated[str, typer.Option("--as", help="Drafter starting the case")],
    regime: Annotated[str, typer.Option(help="Legal regime")] = DEFAULT_REGIME,
    slug: Annotated[str | None, typer.Option(help="Id suffix; default from the title")] = None,
    simplified_by: Annotated[
        str | None,
        typer.Option(
            "--simplified-by",
            help="Use the simplified procedure (rút gọn), decided by this person (the authority "
            "the definition names)",
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the simplified procedure")] = None,
) -> None:
    """Start a case for a draft; prints the new case id."""
    s = _settings()
    decision = None
    if simplified_by is not None:
        if not reason:
            raise CliError("--simplified-by needs --reason (the ground under Điều 50)")
        decision = SimplifiedDecision(decided_by=simplified_by, reason=reason)
    try:
        definition = load_registry().get(doc_type, regime)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None

    async def go() -> str:
        client = await connect(s)
        handle = await cases.start_case(
            client,
            _directory(s),
            StartRequest(
                definition=definition,
                title=title,
                starter=person,
                slug=slug,
                legal_day_seconds=s.legal_day_seconds,
                simplified=decision,
            ),
            task_queue=s.task_queue,
        )
        return handle.id

    print(_run(go()))


@app.command("act")
def act_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    action: Annotated[str, typer.Argument(help="Action, e.g. close_consultation")],
    person: Annotated[str, typer.Option("--as", help="Who acts")],
    note: Annotated[str | None, typer.Option(help="Note for the audit trail")] = None,
    file: Annotated[Path | None, typer.Option(help="Document the action carries")] = None,
    on_behalf_of: Annotated[str | None, typer.Option(help="KT./TL./Q.: acting for whom")] = None,
) -> None:
    """Take an action on a case; exits 2 with the reason when it is refused."""
    s = _settings()

    async def go() -> None:
        doc = cases.upload(_store(s), file) if file else None
        client = await connect(s)
        result = await cases.act(
            client,
            case,
            ActionRequest(
                action=action, actor=person, note=note, document=doc, on_behalf_of=on_behalf_of
            ),
        )
        version = (
            f" (document version {result.document_version})" if result.document_version else ""
        )
        out.print(f"{result.from_stage} → [bold]{result.stage}[/] ({result.stage_label}){version}")

    _run(go())


@app.command("reply")
def reply_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    person: Annotated[str, typer.Option("--as", help="Who replies for the consulted body")],
    role: Annotated[str | None, typer.Option(help="Consulted role, if you hold several")] = None,
    note: Annotated[str | None, typer.Option(help="The opinion, or a summary of it")] = None,
    file: Annotated[Path | None, typer.Option(help="The written opinion as a document")] = None,
) -> None:
    """Reply to a written consultation (góp ý bằng văn bản); exits 2 when refused."""
    s = _settings()

    async def go() -> None:
        doc = cases.upload(_store(s), file) if file else None
        view = await cases.reply(
            await connect(s),
            case,
            ReplyRequest(actor=person, role=role, note=note, document=doc),
        )
        out.print(f"Đã ghi nhận ý kiến / reply recorded: {view.label} ({view.role})")

    _run(go())


@app.command("comment")
def comment_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    author: Annotated[str, typer.Option("--from", help="Who comments (name or organisation)")],
    text: Annotated[str | None, typer.Option(help="The comment")] = None,
    file: Annotated[Path | None, typer.Option(help="A UTF-8 text file with the comment")] = None,
    source: Annotated[str, typer.Option(help="Group it comes from")] = "public",
) -> None:
    """Comment on a draft under consultation (góp ý dự thảo)."""
    s = _settings()
    if (text is None) == (file is None):
        raise CliError("give the comment with exactly one of --text or --file")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{file}: cannot read a UTF-8 text: {exc}") from None
    assert text is not None

    async def go() -> None:
        receipt = await cases.comment(
            await connect(s), _store(s), case, author=author, text=text, source=source
        )
        dup = (
            f" — trùng ý kiến đã có / same as an earlier comment (×{receipt.count})"
            if receipt.duplicate
            else ""
        )
        out.print(f"Đã nhận góp ý / comment received: {receipt.comment_id}{dup}")

    _run(go())


@app.command("dispose")
def dispose_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    comment_id: Annotated[str, typer.Argument(help="Comment id, e.g. C00012")],
    disposition: Annotated[Disposition, typer.Argument(help="accepted | partly | explained")],
    person: Annotated[str, typer.Option("--as", help="Drafting unit member")],
    reason: Annotated[str | None, typer.Option(help="Required unless accepted")] = None,
) -> None:
    """Give a comment its disposition (giải trình, tiếp thu)."""
    s = _settings()
    try:
        req = DispositionRequest(
            comment_id=comment_id, disposition=disposition, actor=person, reason=reason
        )
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[-1].strip()) from None

    async def go() -> None:
        receipt = await cases.dispose(await connect(s), case, req)
        out.print(f"{receipt.comment_id}: {disposition.label}")

    _run(go())


@app.command("comments")
def comments_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    open_only: Annotated[
        bool, typer.Option("--open", help="Only those lacking a disposition")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Comments on a draft: counts by source and disposition, and the list."""
    s = _settings()

    async def go() -> tuple[CommentSummary, list[Entry]]:
        client = await connect(s)
        summary = await cases.comments_summary(client, case)
        entries = await cases.comment_entries(client, _store(s), case, open_only=open_only)
        return summary, entries

    summary, entries = _run(go())
    if as_json:
        print(
            json.dumps(
                {
                    "summary": summary.model_dump(mode="json"),
                    "comments": [e.model_dump(mode="json") for e in entries],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    out.print(
        f"Lượt góp ý / submissions: {summary.submissions}; khác nhau / distinct: "
        f"{summary.distinct}; trùng / duplicates: {summary.duplicates}; "
        f"chưa xử lý / open: {summary.open}"
        + ("; đã hết hạn góp ý / period closed" if summary.closed else "")
    )
    out.print(
        "Theo nguồn / by source: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_source.items()))
    )
    out.print(
        "Theo kết quả / by disposition: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_disposition.items()))
    )
    table = Table("id", "count", "from", "disposition", "by")
    for e in entries:
        table.add_row(
            e.id,
            str(e.count),
            ", ".join(sorted(e.sources)),
            e.disposition.label if e.disposition else "[yellow]open[/]",
            e.by or "",
        )
    out.print(table)


@app.command("status")
def status_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON shape (README)")] = False,
) -> None:
    """Where a case is, what can be done now and by whom, and its deadlines."""
    s = _settings()

    async def go() -> CaseStatus:
        client = await connect(s)
        try:
            return await cases.status(client, case)
        except RPCError as exc:
            raise CliError(f"case {case!r}: {exc.message}") from None
        except WorkflowQueryFailedError as exc:
            raise CliError(f"case {case!r}: {exc}") from None

    st = _run(go())
    if as_json:
        print(st.model_dump_json(indent=2))
        return
    _print_status(st)


def _print_status(st: CaseStatus) -> None:
    flag = " [bold red]QUÁ HẠN / OVERDUE[/]" if st.overdue else ""
    out.print(f"[bold]{st.title}[/]\n{st.id} · {st.type} · {st.regime} · {st.drafting_agency}")
    out.print(f"Giai đoạn / Stage: [bold]{st.stage_label}[/] ({st.stage}){flag}")
    for link in st.links:
        out.print(f"Liên kết / Link: {link.line()}", markup=False)
    if st.allowed:
        table = Table("action", "→ stage", "role", "who", title="Có thể làm / Allowed now")
        for a in st.allowed:
            table.add_row(a.action, a.to, a.role, ", ".join(a.actors))
        out.print(table)
    for b in st.blocked:
        out.print(f"[yellow]chưa thể / not yet[/] {b.action}: {b.reason}")
    if st.comments_pending:
        out.print(
            f"[yellow]có góp ý chưa giải trình / comments without a "
            f"disposition[/] (legisflow comments {st.id} --open)"
        )
    for c in st.consultations:
        state = (
            f"replied by {c.replied_by}"
            if c.replied_by
            else "[red]overdue[/]"
            if c.overdue
            else f"due {c.due_legal_date}"
        )
        must = "mandatory" if c.mandatory else "optional"
        out.print(f"Lấy ý kiến / consulted: {c.label} ({must}): {state}")
    for dl in st.deadlines:
        mark = "" if dl.confirmed else " [yellow](chưa xác nhận / unconfirmed)[/]"
        out.print(
            f"Hạn / {dl.kind}: {dl.due_legal_date} — {dl.name}{mark}\n"
            f"  {dl.explanation}\n  {dl.basis}"
        )


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
    """List cases through Temporal visibility (eventually consistent): drafting cases and,
    after issuance, monitoring, feedback cases and legality checks."""
    s = _settings()
    query = cases.list_query(
        stage=stage,
        doc_type=doc_type,
        agency=agency,
        regime=regime,
        overdue=overdue,
        open_only=open_only,
        kinds=kind,
    )

    async def go() -> list[cases.CaseRow]:
        return list(await cases.list_cases(await connect(s), query))

    rows = _run(go())
    table = Table(
        "id",
        "workflow",
        "type",
        "agency",
        "stage",
        "due",
        "overdue",
        "status",
        caption=f"query: {query}",
    )
    for r in rows:
        table.add_row(
            r.id,
            r.workflow_type,
            r.type,
            r.agency,
            r.stage,
            f"{r.due:%Y-%m-%d}" if r.due else "",
            "yes" if r.overdue else "",
            r.status,
        )
    out.print(table)


@app.command()
def migrate(
    case: Annotated[str, typer.Argument(help="Case id")],
    to: Annotated[str, typer.Option("--to", help="Target regime, e.g. L2025_A87")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; change nothing")
    ] = False,
    person: Annotated[str | None, typer.Option("--as", help="Authorised operator")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail")] = None,
) -> None:
    """Move a case to another legal regime (audited), or show what that would change."""
    s = _settings()

    async def go() -> None:
        client = await connect(s)
        source = await cases.current_definition(client, case)
        try:
            target = load_registry().get(source.doc_type, to)
        except KeyError as exc:
            raise CliError(str(exc.args[0])) from None
        plan = await cases.plan_case_migration(client, case, target)
        out.print(plan.render(), markup=False)
        if dry_run:
            if not plan.possible:
                raise CliError(f"migration to {to} would be refused: {plan.refusal}")
            return
        if not person or not reason:
            raise CliError("a migration needs --as OPERATOR and --reason (or use --dry-run)")
        key = await cases.migrate(
            client, _directory(s), case, target, operator=person, reason=reason
        )
        out.print(f"[bold green]migrated[/] {case} → {key}")

    _run(go())


procedures_app = typer.Typer(
    help="The procedures legisflow knows (type × regime).", invoke_without_command=True
)
app.add_typer(procedures_app, name="procedures")


@procedures_app.callback()
def procedures_list(ctx: typer.Context) -> None:
    """List every definition with its stages and deadlines."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table(
        "type",
        "regime",
        "name",
        "stages",
        "deadlines",
        "simplified",
        title="Quy trình / Procedures",
    )
    for d in load_registry():
        deadlines = [
            f"{n}: {st.deadline.kind.value} {st.deadline.days} {st.deadline.unit.value}"
            + ("" if st.deadline.confirmed else " (unconfirmed)")
            for n, st in d.stages.items()
            if st.deadline
        ]
        table.add_row(
            d.doc_type,
            d.regime,
            d.name,
            " → ".join(_main_path(d)),
            "\n".join(deadlines),
            "yes" if d.simplified else "",
        )
    out.print(table)


def _main_path(d: ProcessDefinition) -> list[str]:
    return [d.initial, *(t.dest for t in shortest_path(d, d.initial, d.final[0]))]


@procedures_app.command("show")
def procedures_show(
    doc_type: Annotated[str, typer.Argument(help="Document type, e.g. nq_hdnd_tinh")],
    regime: Annotated[str, typer.Option(help="Legal regime")] = DEFAULT_REGIME,
    diagram: Annotated[bool, typer.Option("--diagram", help="Print a Mermaid diagram")] = False,
) -> None:
    """One procedure: its stages, deadlines with legal basis and confirmation, roles."""
    try:
        d = load_registry().get(doc_type, regime)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None
    if diagram:
        print(mermaid(d))
        return
    out.print(f"[bold]{d.name}[/] ({d.doc_type}) — {d.regime}\n{d.regime_basis}")
    if d.simplified:
        out.print(
            f"Rút gọn / simplified: decided by {d.simplified.decided_by}; {d.simplified.basis}"
        )
    table = Table("stage", "label", "deadline", "basis", "confirmed", title="Các bước / Stages")
    for name, st in d.stages.items():
        dl = st.deadline
        spec = ""
        if dl is not None:
            spec = f"{dl.kind.value} {dl.days} {dl.unit.value}"
            if dl.simplified_days is not None:
                spec += f" (rút gọn: {dl.simplified_days})"
            if dl.anchor:
                spec += f" from {dl.anchor}"
        table.add_row(
            name,
            f"{st.label}\n{st.label_en}",
            spec,
            dl.basis if dl else "",
            ("yes" if dl.confirmed else "[yellow]NO[/]") if dl else "",
        )
        for c in st.consults:
            r = c.reply
            table.add_row(
                "",
                f"  ↳ {c.label}",
                f"reply ≤ {r.days} {r.unit.value}"
                + (f" (rút gọn: {r.simplified_days})" if r.simplified_days else ""),
                r.basis,
                "yes" if r.confirmed else "[yellow]NO[/]",
            )
    out.print(table)
    roles = Table("role", "label", "body", title="Vai trò / Roles")
    for rid, role in d.roles.items():
        roles.add_row(rid, role.label, f"{role.body.value} ({role.jurisdiction.value})")
    out.print(roles)


# ---- ops: setup, audit, KPIs -------------------------------------------------------------


@app.command()
def setup() -> None:
    """Register legisflow's search attributes on the configured namespace (idempotent)."""
    s = _settings()

    async def go() -> list[str]:
        return await ops.register_search_attributes(await connect(s), s.namespace)

    added = _run(go())
    out.print(
        f"added: {', '.join(added)}"
        if added
        else "nothing to do: all search attributes are registered"
    )


@app.command()
def audit(
    target: Annotated[str, typer.Argument(help="A case id, or `verify`")],
    file: Annotated[Path | None, typer.Argument(help="With `verify`: the exported file")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Write the export here")] = None,
) -> None:
    """`audit CASE` exports the decision trail as hash-chained JSON lines;
    `audit verify FILE` checks an export and names the first altered entry."""
    if target == "verify":
        if file is None:
            raise CliError("usage: legisflow audit verify FILE")
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{file}: cannot read: {exc}") from None
        verdict = verify_lines(lines)
        (out if verdict.ok else err).print(verdict.describe(), markup=False)
        if not verdict.ok:
            raise typer.Exit(3)
        return
    s = _settings()

    async def go() -> list[str]:
        client = await connect(s)
        entries = await client.get_workflow_handle(target).query(LegislativeProcess.audit)
        return export_lines(target, entries)

    text = "\n".join(_run(go())) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"{text.count(chr(10))} entries written to {output}")


report_app = typer.Typer(help="Reports over many cases.")
app.add_typer(report_app, name="report")


@report_app.command("kpi")
def report_kpi(
    start: Annotated[datetime, typer.Option("--from", help="Start (YYYY-MM-DD)")],
    end: Annotated[datetime, typer.Option("--to", help="End, exclusive (YYYY-MM-DD)")],
    agency: Annotated[str | None, typer.Option(help="One drafting agency")] = None,
) -> None:
    """Per agency and stage: stages completed, on-time rate, median legal days."""
    s = _settings()
    since, until = (d if d.tzinfo else d.replace(tzinfo=UTC) for d in (start, end))

    async def go() -> list[KpiRow]:
        client = await connect(s)
        trails = await ops.case_trails(client, agency=agency, until=until)
        return kpis(trails, since, until)

    rows = _run(go())
    table = Table(
        "agency",
        "stage",
        "handled",
        "on time",
        "median legal days",
        title=f"KPI {since:%Y-%m-%d} → {until:%Y-%m-%d}",
    )
    for r in rows:
        table.add_row(
            r.agency, r.stage, str(r.handled), f"{r.on_time_rate:.0%}", f"{r.median_legal_days:.1f}"
        )
    out.print(table)


# ---- after issuance: citizens' feedback, legality checks, monitoring -------------------------
# (issue #5; the client API is client/after_issuance.py)

from typer.core import TyperGroup  # noqa: E402

from client import after_issuance as after  # noqa: E402
from models.feedback import (  # noqa: E402
    AmendmentProposal,
    Category,
    ClassifyRequest,
    FeedbackStatus,
    ForwardRequest,
)
from models.legality_check import CheckStatus, Conclusion, HandlingRequest  # noqa: E402
from models.monitoring import EventKind, EventRequest, MonitoringStatus  # noqa: E402
from models.post_issuance import Handling, Outcome  # noqa: E402


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


def _text(text: str | None, file: Path | None, what: str) -> str:
    if (text is None) == (file is None):
        raise CliError(f"give the {what} with exactly one of --text or --file")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{file}: cannot read a UTF-8 text: {exc}") from None
    assert text is not None
    return text


def _print_model(model: Any) -> None:
    print(model.model_dump_json(indent=2))


@feedback_app.command("submit")
def feedback_submit(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    author: Annotated[str, typer.Option("--from", help="Who sends it (kept out of Temporal)")],
    text: Annotated[str | None, typer.Option(help="The feedback")] = None,
    file: Annotated[Path | None, typer.Option(help="A UTF-8 text file with the feedback")] = None,
    channel: Annotated[str, typer.Option(help="Where it came in")] = "portal",
) -> None:
    """Receive a citizen's feedback on a document in force; prints the feedback case id."""
    s = _settings()
    body = _text(text, file, "feedback")

    async def go() -> None:
        r = await after.submit_feedback(
            await connect(s), _store(s), doc, author=author, text=body, channel=channel
        )
        print(r.feedback_id)
        out.print(
            f"Tiếp nhận / received by {r.agency}: chuyển nếu không thuộc thẩm quyền trước / "
            f"forward by {r.forward_due:%Y-%m-%d}; trả lời trước / answer by "
            f"{r.answer_due:%Y-%m-%d}"
        )

    _run(go())


@feedback_app.command("status")
def feedback_show(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A feedback case: stage, deadlines, who answers, links, its trail."""
    s = _settings()

    async def go() -> FeedbackStatus:
        return await after.feedback_status(await connect(s), feedback_id)

    st = _run(go())
    if as_json:
        _print_model(st)
        return
    flag = " [bold red]QUÁ HẠN / OVERDUE[/]" if st.overdue else ""
    out.print(f"[bold]{st.document_title}[/] — phản ánh / feedback {st.number}")
    out.print(f"{st.id}\nCơ quan / Agency: {st.agency_name} ({st.agency})")
    out.print(f"Bước / Stage: [bold]{st.stage_label}[/]{flag}" + (" (late)" if st.late else ""))
    for dl in st.deadlines:
        mark = " [red]overdue[/]" if dl.overdue else ""
        out.print(f"Hạn / {dl.name}: {dl.due_legal_date}{mark} — {dl.explanation}\n  {dl.basis}")
    if not st.final:
        out.print(f"Người trả lời / Who answers: {', '.join(st.answerers)}")
    for link in st.links:
        out.print(f"Liên kết / Link: {link.line()}", markup=False)
    for step in st.trail:
        out.print(
            f"  {step.legal_date} {step.actor}: {step.action} {step.note or ''}", markup=False
        )


@feedback_app.command("classify")
def feedback_classify(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    person: Annotated[str, typer.Option("--as", help="A handler of the competent agency")],
    category: Annotated[Category, typer.Option(help="recommendation (kiến nghị) | report")],
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
) -> None:
    """Phân loại: the case is within the agency's competence."""
    s = _settings()

    async def go() -> FeedbackStatus:
        req = ClassifyRequest(actor=person, category=category, note=note)
        return await after.classify_feedback(await connect(s), feedback_id, req)

    out.print(f"{feedback_id}: {_run(go()).stage_label}")


@feedback_app.command("forward")
def feedback_forward(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    agency: Annotated[str, typer.Option("--to", help="The competent agency (directory id)")],
    person: Annotated[str, typer.Option("--as", help="A handler of this case's agency")],
    note: Annotated[str | None, typer.Option(help="Why it belongs there")] = None,
) -> None:
    """Chuyển đơn: forward to the competent agency, whose own case starts."""
    s = _settings()

    async def go() -> FeedbackStatus:
        req = ForwardRequest(actor=person, agency=agency, note=note)
        return await after.forward_feedback(await connect(s), feedback_id, req)

    st = _run(go())
    out.print(f"{feedback_id}: {st.stage_label} → {st.forwarded_to}")


@feedback_app.command("answer")
def feedback_answer(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    person: Annotated[str, typer.Option("--as", help="A handler of the competent agency")],
    text: Annotated[str | None, typer.Option(help="The answer")] = None,
    file: Annotated[Path | None, typer.Option(help="The answer as a document")] = None,
    summary: Annotated[str | None, typer.Option(help="One line for the trail")] = None,
) -> None:
    """Trả lời: answer the feedback (closes the case); exits 2 when refused."""
    s = _settings()
    if (text is None) == (file is None):
        raise CliError("give the answer with exactly one of --text or --file")

    async def go() -> FeedbackStatus:
        doc = cases.upload(_store(s), file) if file else None
        return await after.answer_feedback(
            await connect(s),
            _store(s),
            feedback_id,
            actor=person,
            text=text,
            document=doc,
            summary=summary,
        )

    st = _run(go())
    out.print(f"{feedback_id}: {st.stage_label}" + (" — QUÁ HẠN / late" if st.late else ""))


@feedback_app.command("propose-amendment")
def feedback_propose_amendment(
    feedback_id: Annotated[str, typer.Argument(help="Feedback case id")],
    person: Annotated[str, typer.Option("--as", help="A handler of the drafting agency")],
    reason: Annotated[str, typer.Option(help="Why the recommendation is well founded")],
) -> None:
    """Đề xuất sửa đổi: start a drafting case amending the document; prints its id."""
    s = _settings()

    async def go() -> str:
        req = AmendmentProposal(actor=person, reason=reason)
        return (await after.propose_amendment(await connect(s), feedback_id, req)).target

    print(_run(go()))


@check_app.command("open")
def check_open(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    person: Annotated[str, typer.Option("--as", help="The checker")],
    note: Annotated[str | None, typer.Option(help="Why (tự kiểm tra, theo phản ánh, …)")] = None,
) -> None:
    """Open a legality check of a document in force; prints the check id."""
    s = _settings()

    async def go() -> str:
        return await after.open_check(
            await connect(s), _directory(s), doc, checker=person, task_queue=s.task_queue, note=note
        )

    print(_run(go()))


@check_app.command("conclude")
def check_conclude(
    check: Annotated[str, typer.Argument(help="Check id")],
    person: Annotated[str, typer.Option("--as", help="A checker")],
    outcome: Annotated[Outcome, typer.Option(help="clean | form_errors | unlawful")],
    findings: Annotated[str | None, typer.Option(help="What is wrong")] = None,
    basis: Annotated[str | None, typer.Option(help="The legal basis it contravenes")] = None,
    handling: Annotated[
        list[Handling] | None, typer.Option(help="Handling required (repeatable)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
    file: Annotated[Path | None, typer.Option(help="The conclusion as a document")] = None,
) -> None:
    """Kết luận kiểm tra: clean, errors of form, or unlawful content."""
    s = _settings()
    try:
        conclusion = Conclusion(
            actor=person,
            outcome=outcome,
            findings=findings,
            basis=basis,
            handling=tuple(handling or ()),
            note=note,
            document=cases.upload(_store(s), file) if file else None,
        )
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[-1].strip()) from None

    async def go() -> CheckStatus:
        return await after.conclude_check(await connect(s), check, conclusion)

    _print_check(_run(go()))


@check_app.command("handle")
def check_handle(
    check: Annotated[str, typer.Argument(help="Check id")],
    person: Annotated[str, typer.Option("--as", help="The issuer (or, once escalated, higher)")],
    action: Annotated[Handling, typer.Option(help="correct | amend | annul | suspend")],
    note: Annotated[str | None, typer.Option(help="Note for the trail")] = None,
    file: Annotated[Path | None, typer.Option(help="The handling decision as a document")] = None,
) -> None:
    """Xử lý văn bản theo kết luận kiểm tra (amend starts a linked drafting case)."""
    s = _settings()

    async def go() -> CheckStatus:
        doc = cases.upload(_store(s), file) if file else None
        req = HandlingRequest(actor=person, action=action, note=note, document=doc)
        return await after.handle_check(await connect(s), check, req)

    _print_check(_run(go()))


@check_app.command("status")
def check_show(
    check: Annotated[str, typer.Argument(help="Check id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A check: its conclusion, the handling required and by when, links."""
    s = _settings()

    async def go() -> CheckStatus:
        return await after.check_status(await connect(s), check)

    st = _run(go())
    if as_json:
        _print_model(st)
    else:
        _print_check(st)


def _print_check(st: CheckStatus) -> None:
    flag = " [bold red]QUÁ HẠN / OVERDUE[/]" if st.overdue else ""
    out.print(f"[bold]{st.document_title}[/] — {st.id}")
    out.print(f"Bước / Stage: [bold]{st.stage_label}[/]{flag}")
    c = st.conclusion
    if c is not None:
        out.print(f"Kết luận / Conclusion: {c.outcome.label}", markup=False)
        if c.findings:
            out.print(f"  {c.findings} — {c.basis}", markup=False)
    if st.allowed_handlings and not st.final:
        out.print(
            "Phải xử lý / Handling required: " + ", ".join(h.value for h in st.allowed_handlings)
        )
    for dl in st.deadlines:
        mark = "" if dl.confirmed else " (chưa xác nhận / unconfirmed)"
        out.print(f"Hạn / due: {dl.due_legal_date}{mark} — {dl.explanation}", markup=False)
    if st.handling is not None:
        who = " (cấp trên / higher authority)" if st.handling.by_higher_authority else ""
        out.print(f"Đã xử lý / Handled: {st.handling.action.label} by {st.handling.actor}{who}")
    for link in st.links:
        out.print(f"Liên kết / Link: {link.line()}", markup=False)


@monitor_app.command("show")
def monitor_show(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A document in force: plan deadlines, events, feedback counts, checks, links, reports."""
    s = _settings()

    async def go() -> MonitoringStatus:
        return await after.monitoring_status(await connect(s), doc)

    st = _run(go())
    if as_json:
        _print_model(st)
        return
    d = st.document
    out.print(f"[bold]{d.title}[/]\n{d.case_id} · {d.doc_type} · {d.regime} · {d.drafting_agency}")
    in_force = st.time.clock().legal_date(st.in_force_at)
    out.print(
        f"Tình trạng / Status: [bold]{st.status}[/] {st.status_note or ''} — có hiệu lực từ / "
        f"in force since {in_force}; hôm nay / legal today {after.legal_today(st)}"
    )
    plan = Table("item", "due", "done", "basis", title="Kế hoạch / Plan")
    for p in st.plan:
        done = f"{p.done_at:%Y-%m-%d} {p.done_by}" if p.done_at else ""
        due = f"{p.due_legal_date}" + (" [red]overdue[/]" if p.overdue else "")
        mark = "" if p.rule.confirmed else " [yellow](unconfirmed)[/]"
        plan.add_row(f"{p.item}: {p.label}", due, done, p.rule.basis + mark)
    out.print(plan)
    t, c = st.totals, st.period.counts
    out.print(
        f"Kỳ báo cáo / Period {st.period.index}: {st.period.start} – {st.period.cutoff} "
        f"(báo cáo tiếp / next report {st.next_report})"
    )
    out.print(
        f"Phản ánh / Feedback: received {t.feedback_received} (this period "
        f"{c.feedback_received}), answered {t.feedback_answered} (late "
        f"{t.feedback_answered_late}), forwarded {t.feedback_forwarded}, opened by forwarding "
        f"{t.feedback_forwarded_in}, breaches {t.feedback_breaches}, open {st.open_feedback_count}"
    )
    for f in st.open_feedback[:20]:
        out.print(f"  {f.id} ({f.agency}, {f.received}){' [red]overdue[/]' if f.overdue else ''}")
    events = ", ".join(f"{k}: {n}" for k, n in sorted(t.events.items())) or "none"
    out.print(f"Sự kiện / Events: {events}")
    for e in st.period.events[-10:]:
        out.print(f"  {e.legal_date} {e.kind.value} {e.actor}: {e.note}", markup=False)
    for ch in st.checks:
        label = ch.outcome.value if ch.outcome else ch.stage
        handled = f", {ch.handling.value}" if ch.handling else ""
        out.print(f"Kiểm tra / Check {ch.id}: {label}{handled}{' overdue' if ch.overdue else ''}")
    for link in st.links:
        out.print(f"Liên kết / Link: {link.line()}", markup=False)
    for r in st.reports:
        names = ", ".join(x.name for x in r.documents)
        out.print(f"Báo cáo / Report {r.kind} (period {r.period}, to {r.cutoff}): {names}")
    out.print(f"[dim]runs {st.runs}, events {[*st.run_events, st.history_length]}[/]")


@monitor_app.command("record")
def monitor_record(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    kind: Annotated[EventKind, typer.Option(help="information | inspection | survey | …")],
    person: Annotated[str, typer.Option("--as", help="A monitoring officer")],
    note: Annotated[str, typer.Option(help="What was done or found")],
    item: Annotated[str | None, typer.Option(help="Plan item, for plan_done")] = None,
    file: Annotated[Path | None, typer.Option(help="A document (minutes, findings)")] = None,
) -> None:
    """Record information gathered, an inspection, a survey, a review or a plan item done."""
    s = _settings()

    async def go() -> None:
        doc_ref = cases.upload(_store(s), file) if file else None
        req = EventRequest(actor=person, kind=kind, item=item, note=note, document=doc_ref)
        event = await after.record_event(await connect(s), doc, req)
        out.print(f"#{event.seq} {event.kind.label} — {event.legal_date}")

    _run(go())


@monitor_app.command("report")
def monitor_report(
    doc: Annotated[str, typer.Argument(help="The document (its case id)")],
    person: Annotated[str, typer.Option("--as", help="A monitoring officer")],
) -> None:
    """An interim report now (Word and Markdown, in the document store)."""
    s = _settings()

    async def go() -> None:
        for ref in await after.generate_report(await connect(s), doc, person):
            out.print(f"{ref.name}  sha256 {ref.sha256}")

    _run(go())


# ---- running it ------------------------------------------------------------------------------


@app.command("worker")
def worker_cmd() -> None:
    """Run a worker against the configured Temporal address."""
    s = _settings()
    configure_logging(s)

    _run(run_worker(s))


@app.command()
def dev() -> None:
    """Start the local Temporal server (SQLite under the data dir, UI) and a worker.

    Runs in the foreground; Ctrl-C stops both.
    """
    s = _settings()
    configure_logging(s)
    if devserver.port_open(s.temporal_address):
        raise CliError(
            f"something already listens on {s.temporal_address}; run "
            "`legisflow worker` to serve it, or stop it first"
        )
    server = DevServer(s.data_dir, address=s.temporal_address, ui_port=s.ui_port)
    server.start()
    out.print(
        f"Temporal dev server: {s.temporal_address}  UI: {s.ui_url}  "
        f"data: {s.data_dir / 'temporal.sqlite'}"
    )

    async def go() -> None:
        client = await _connect_when_ready(s, server)
        with ThreadPoolExecutor(max_workers=16) as ex:
            out.print("Worker running. Ctrl-C to stop.")
            await serve_until_signalled(build_worker(client, s, ex))

    try:
        _run(go())
    finally:
        server.stop()
        out.print("Stopped the worker and the dev server.")


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (also when started in the background)."""
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    signal.sigwait(signals)


async def _connect_when_ready(
    s: Settings, server: DevServer | None, timeout: float = 60.0
) -> Client:
    """Connect with the settings (TLS, namespace, metrics) once ``server``, if this process
    started one, serves."""
    if server is not None:
        await server.wait_until_serving(timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await connect(s)
        except RuntimeError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


@app.command()
def demo(
    day: Annotated[float, typer.Option(help="Seconds per legal day for the demo")] = 1.0,
    keep: Annotated[
        bool | None,
        typer.Option(
            "--keep/--no-keep", help="Keep the server running afterwards (default: on a terminal)"
        ),
    ] = None,
) -> None:
    """Run one Quyết định of a provincial People's Committee from draft to entry into force."""
    s = _settings()
    s = s.model_copy(update={"legal_day_seconds": day})
    logging.basicConfig(level=logging.WARNING)
    server = None
    if not devserver.port_open(s.temporal_address):
        out.print(
            f"Starting the Temporal dev server on {s.temporal_address} "
            f"(UI {s.ui_url}, data {s.data_dir})…"
        )
        server = DevServer(s.data_dir, address=s.temporal_address, ui_port=s.ui_port)
        server.start()
    else:
        out.print(f"Using the Temporal server already at {s.temporal_address}.")
    try:
        case_id, run_id = _run(_demo(s, server))
        out.print(f"\n[bold green]Done.[/] Workflow id: [bold]{case_id}[/]")
        out.print(
            f"Temporal UI: {s.ui_url}/namespaces/{s.namespace}/workflows/"
            f"{case_id.replace(':', '%3A')}/{run_id}/history"
        )
        out.print(f"Outbox: {s.outbox_dir}   Documents: {s.documents_dir}")
        if server is not None and (keep if keep is not None else sys.stdin.isatty()):
            out.print(
                "The server keeps running so you can look around; Ctrl-C to stop. "
                "(`legisflow dev` reopens the same data later.)"
            )
            _wait_for_signal()
        elif server is not None:
            out.print("Server stopped; `legisflow dev` reopens the same data with the UI.")
    finally:
        if server is not None:
            server.stop()


DEMO_COMMENTS = [
    (
        "Nguyễn Thị Mai",
        "public",
        "Đề nghị quy định rõ trách nhiệm bảo trì đường giao thông nông thôn.",
    ),
    (
        "Trần Văn Nam",
        "Hiệp hội Vận tải",
        "Đề nghị quy định rõ trách nhiệm bảo trì đường giao thông nông thôn.",
    ),
    ("Lê Văn Tú", "public", "Cần bổ sung thời hạn phối hợp giữa Sở Xây dựng và UBND xã."),
]


async def _demo_comments(client: Client, store: DocumentStore, case_id: str) -> None:
    """A few citizens comment while the draft is posted (two send the same text)."""
    # The comment ledger starts right after the decision that opens the consultation.
    await wait_for_status(client, case_id, lambda st: st.pending_effects == 0, timeout=30)
    for author, source, text in DEMO_COMMENTS:
        await cases.comment(client, store, case_id, author=author, text=text, source=source)
    summary = await cases.comments_summary(client, case_id)
    out.print(
        f"  [dim]góp ý / comments: {summary.submissions} received, {summary.distinct} "
        f"distinct ({summary.duplicates} duplicate); the drafter will answer each[/]"
    )


async def _demo(s: Settings, server: DevServer | None) -> tuple[str, str]:
    definition = load_registry().get("qd_ubnd_tinh", DEFAULT_REGIME)
    client = await _connect_when_ready(s, server)
    store = _store(s)
    with ThreadPoolExecutor(max_workers=16) as ex:
        async with build_worker(client, s, ex):
            handle = await cases.start_case(
                client,
                _directory(s),
                StartRequest(
                    definition=definition,
                    title="Quy định phân cấp quản lý đường bộ trên địa bàn tỉnh Đắk Lắk",
                    starter="nguyen.van.an",
                    slug=f"demo-{int(time.time())}",
                    legal_day_seconds=s.legal_day_seconds,
                ),
                task_queue=s.task_queue,
            )
            out.print(
                f"Started case [bold]{handle.id}[/] ({definition.name}, "
                f"{definition.regime}); one legal day = {s.legal_day_seconds:g}s"
            )
            out.print(f"  [dim]{definition.stages[definition.initial].label}[/]")

            async def step(t: Transition, st: CaseStatus) -> None:
                who = "tự động / automatic" if t.automatic else t.role
                out.print(
                    f"  {t.action:<26} → [bold]{st.stage_label}[/] "
                    f"({st.stage_label_en}) [dim]by {who}, legal date "
                    f"{st.legal_today}[/]"
                )
                for dl in st.deadlines[:1]:
                    if not st.final:
                        out.print(f"  [dim]{dl.kind}: {dl.due_legal_date} — {dl.explanation}[/]")
                if definition.stages[t.dest].comments:
                    await _demo_comments(client, store, handle.id)
                for c in st.consultations if definition.stages[t.dest].consults else []:
                    out.print(
                        f"  [dim]lấy ý kiến / consulted: {c.label}, due {c.due_legal_date}[/]"
                    )

            await walk(
                client,
                handle.id,
                definition,
                store,
                on_step=step,
                timeout=max(120.0, 60 * s.legal_day_seconds),
            )
            result = await handle.result()
            out.print("\nPhiên bản văn bản / document versions:")
            for v in result.documents:
                out.print(f"  {v.version:>2}. {v.document.name:<44} {v.label}")
            return handle.id, handle.result_run_id or ""


def main() -> None:
    """Console entry point: one clear line per error, and a clean exit (sdk-python#300)."""
    code: int = 0
    try:
        app()
    except SystemExit as exc:  # typer's own exit: usage errors, --help, normal end
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CaseActionRefused as exc:
        err.print(f"[red]refused[/] ({exc.code}): {exc}")
        code = EXIT_REFUSED
    except (CliError, CaseError, devserver.DevServerError) as exc:
        err.print(f"[red]error:[/] {exc}")
        code = 1
    except (StoreError, adapters.AdapterConfigError) as exc:
        # e.g. `act --file` while S3 is unreachable: nothing was sent to the case.
        err.print(f"[red]error:[/] document store: {exc}; nothing was sent to the case")
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
