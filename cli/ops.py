"""Commands of ops and administrators: the directory, running a worker, registering the
search attributes, moving a pinned case to another build of the workers, exporting and
verifying an audit trail, KPI reports."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import CliError, app, connect, directory, run, settings, signed_in
from cli.output import err, out, print_json, row, say, table

if TYPE_CHECKING:
    from models.kpi import KpiRow


@app.command()
def actors(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list")] = False,
) -> None:
    """The directory: people, their agency and roles (danh bạ)."""
    d = directory(settings())
    if as_json:
        print_json(
            [
                {"id": p.id, "name": p.name, "agency": p.agency, "roles": list(p.roles)}
                for p in d.people
            ]
        )
        return
    listed = table("id", "name", "agency", "roles", title="Danh bạ / Directory")
    for p in d.people:
        row(listed, (p.id, p.name, d.agency(p.agency).name, ", ".join(p.roles)))
    out.print(listed)


@app.command("worker")
def worker_cmd() -> None:
    """Run a worker against the configured Temporal address."""
    from logging_config import configure_logging
    from worker import run_worker

    s = settings()
    configure_logging(s)
    run(run_worker(s))


@app.command()
def setup() -> None:
    """Prepare the configured namespace (LEGISFLOW_NAMESPACE: one per deployment unit, a
    province or a ministry): register it if Temporal does not know it, then legisflow's
    search attributes on it (idempotent)."""
    from client.ops import ensure_namespace, register_search_attributes

    s = settings()

    async def go() -> tuple[bool, list[str]]:
        client = await connect(s)
        created = await ensure_namespace(client, s.namespace)
        return created, await register_search_attributes(client, s.namespace)

    created, added = run(go())
    if created:
        say(f"namespace {s.namespace} registered")
    say(
        f"added: {', '.join(added)}"
        if added
        else "nothing to do: all search attributes are registered"
    )


@app.command()
def upgrade(
    case: Annotated[str, typer.Argument(help="A drafting case, a feedback case or a check")],
    to: Annotated[str, typer.Option("--to", help="The build id to move it to")],
    reason: Annotated[str, typer.Option(help="Why, for the case's trail")],
) -> None:
    """Move a running case from the build of the workers it is pinned to onto another
    (an operator's decision, recorded in the case's trail first; a drafting case's
    consultation requests and comment ledger move with it). Its next task runs on the new
    build, which must replay its history (docs/deploy.md, "Releasing new code"). A
    document's monitoring is not moved so: it moves to the current build by itself at its
    next continue-as-new."""
    from client.ops import upgrade as move

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}", to):
        raise CliError(f"--to {to!r} is not a build id (letters, digits, . _ + -)")
    if len(reason.strip()) < 5:
        raise CliError("--reason must say why, in at least 5 characters")
    s = settings()
    me = signed_in(s)

    async def go() -> None:
        client = await connect(s, me)
        done = await move(
            client, case, build_id=to, operator=me.session.person, reason=reason.strip()
        )
        say(
            ("moved", "bold green"),
            f" {done.case_id}: {done.deployment} {done.from_build} → {done.to_build}",
        )
        for child in done.children:
            say(f"  {child}: {done.from_build} → {done.to_build}")

    run(go())


@app.command()
def audit(
    target: Annotated[str, typer.Argument(help="A case id, or `verify`")],
    file: Annotated[Path | None, typer.Argument(help="With `verify`: the exported file")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Write the export here")] = None,
) -> None:
    """Export a case's decision trail, or verify an export.

    `audit CASE` exports the trail as hash-chained JSON lines; `audit verify FILE` checks an
    export and names the first altered entry (exit status 3)."""
    from models.audit import verify_lines

    if target == "verify":
        if file is None:
            raise CliError("usage: legisflow audit verify FILE")
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{file}: cannot read: {exc}") from None
        verdict = verify_lines(lines)
        (out if verdict.ok else err).print(verdict.describe())
        if not verdict.ok:
            raise typer.Exit(3)
        return
    from client.ops import audit_lines

    s = settings()

    async def go() -> list[str]:
        return await audit_lines(await connect(s), target)

    text = "\n".join(run(go())) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"{text.count(chr(10))} entries written to {output}")


report_app = typer.Typer(help="Reports over many cases.")
app.add_typer(report_app, name="report")


@report_app.command("kpi")
def report_kpi(
    start: Annotated[datetime, typer.Option("--from", help="Start (YYYY-MM-DD)")],
    end: Annotated[datetime, typer.Option("--to", help="End, exclusive (YYYY-MM-DD)")],
    agency: Annotated[str | None, typer.Option(help="One drafting agency")] = None,
) -> None:
    """Per agency and stage: stages completed, on-time rate, median legal days."""
    from client.ops import case_trails
    from models.kpi import kpis

    s = settings()
    since, until = (d if d.tzinfo else d.replace(tzinfo=UTC) for d in (start, end))

    async def go() -> list[KpiRow]:
        trails = await case_trails(await connect(s), agency=agency, until=until)
        return kpis(trails, since, until)

    listed = table(
        "agency", "stage", "handled", "on time", "median legal days",
        title=f"KPI {since:%Y-%m-%d} → {until:%Y-%m-%d}",
    )  # fmt: skip
    for r in run(go()):
        cells = (r.agency, r.stage, r.handled)
        row(listed, (*cells, f"{r.on_time_rate:.0%}", f"{r.median_legal_days:.1f}"))
    out.print(listed)


@report_app.command("yearly")
def report_yearly(
    year: Annotated[int, typer.Option(help="The year (its period ends on the 14/12 cut-off)")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the Word file")],
    agency: Annotated[str | None, typer.Option(help="One drafting agency's documents")] = None,
) -> None:
    """The yearly report on law enforcement (báo cáo tình hình thi hành pháp luật hằng năm),
    from every monitored document of the deployment (or of one agency): Word, with charts."""
    from client.yearly_report import gather_yearly_report, render_docx
    from models.legal_time import VIETNAM_TZ

    today = datetime.now(VIETNAM_TZ).date()
    if not 2016 <= year <= today.year:
        raise CliError(f"--year must be between 2016 and {today.year}")
    s = settings()
    scope = "toàn hệ thống"
    if agency is not None:
        try:
            scope = directory(s).agency(agency).name
        except KeyError:
            raise CliError(f"no agency {agency!r}; see `legisflow actors`") from None

    async def go() -> bytes:
        report = await gather_yearly_report(
            await connect(s), s.task_queue, year, scope=scope, made_on=today, agency=agency
        )
        say(f"{len(report.documents)} văn bản được theo dõi / monitored documents")
        return render_docx(report)

    out_file.write_bytes(run(go()))
    say(f"Đã ghi / written: {out_file}")
