"""Commands of consultation (lấy ý kiến): a consulted body replies, anyone comments on a
draft, the drafting unit reads the comments and gives each its disposition (giải trình,
tiếp thu)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import AsGone, CliError, NoInterest, app, connect, run, settings, signed_in, store
from cli.output import out, print_json, row, say, table
from models.choices import Disposition

if TYPE_CHECKING:
    from models.comments import CommentSummary, Entry


@app.command("reply")
def reply_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    role: Annotated[str | None, typer.Option(help="Consulted role, if you hold several")] = None,
    note: Annotated[str | None, typer.Option(help="The opinion, or a summary of it")] = None,
    no_interest: NoInterest = False,
    file: Annotated[
        Path | None, typer.Option(help="The written opinion as a document (at most 50 MiB)")
    ] = None,
    as_given: AsGone = None,
) -> None:
    """Reply to a written consultation (góp ý bằng văn bản); exits 2 when refused."""
    from client.cases import reply
    from client.documents import upload
    from models.case import ReplyRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    request = ReplyRequest(  # checked before any upload
        actor=person, role=role, note=note, declare_no_interest=no_interest
    )

    async def go() -> None:
        doc = upload(store(s), file) if file else None
        view = await reply(await connect(s, me), case, request.model_copy(update={"document": doc}))
        say(f"Đã ghi nhận ý kiến / reply recorded: {view.label} ({view.role})")

    run(go())


@app.command("issue")
def issue_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    question: Annotated[str, typer.Option(help="The issue on which bodies still disagree")],
    option: Annotated[
        list[str], typer.Option(help="An option on the table (give two to six, one each)")
    ],
    proposal: Annotated[str | None, typer.Option(help="The drafting unit's proposal")] = None,
    as_given: AsGone = None,
) -> None:
    """Send an issue up for direction (xin ý kiến chỉ đạo) to the competent authority; it
    lands in their inbox with its deadline. Exits 2 when refused."""
    from client.cases import raise_issue
    from models.contested_issues import RaiseIssueRequest

    s = settings()
    me = signed_in(s, as_given)
    request = RaiseIssueRequest(
        actor=me.session.person, question=question, options=option, proposal=proposal
    )

    async def go() -> None:
        issue = await raise_issue(await connect(s, me), case, request)
        say(
            f"Đã xin ý kiến chỉ đạo / sent up: vấn đề {issue.number} → {issue.authority_label}, "
            f"hạn / due {issue.due_legal_date:%d/%m/%Y} ({issue.due_explanation})"
        )

    run(go())


@app.command("direct")
def direct_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    issue: Annotated[int, typer.Argument(help="The issue's number (legisflow status)")],
    direction: Annotated[str, typer.Option(help="The direction, in words")],
    option: Annotated[int | None, typer.Option(help="The option chosen, from 1")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Give the competent authority's direction on an issue (ý kiến chỉ đạo); recorded on the
    case and in its trail. Exits 2 when refused."""
    from client.cases import give_direction
    from models.contested_issues import DirectionRequest

    s = settings()
    me = signed_in(s, as_given)
    request = DirectionRequest(
        actor=me.session.person, issue=issue, option=option, direction=direction,
        declare_no_interest=no_interest,
    )  # fmt: skip

    async def go() -> None:
        done = await give_direction(await connect(s, me), case, request)
        say(f"Đã cho ý kiến chỉ đạo / direction recorded: vấn đề {done.number}")

    run(go())


def given_text(text: str | None, file: Path | None, what: str) -> str:
    """A text given with exactly one of ``--text`` or ``--file`` (plain text, .docx, .pdf)."""
    from client.documents import read_text

    if (text is None) == (file is None):
        raise CliError(f"give the {what} with exactly one of --text or --file")
    return read_text(file) if file is not None else str(text)


@app.command("comment")
def comment_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    author: Annotated[str, typer.Option("--from", help="Who comments (name or organisation)")],
    text: Annotated[str | None, typer.Option(help="The comment")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The comment as a text, Word (.docx) or PDF file")
    ] = None,
    source: Annotated[str, typer.Option(help="Group it comes from")] = "public",
) -> None:
    """Comment on a draft under consultation (góp ý dự thảo)."""
    from client.comments import comment

    s = settings()
    body = given_text(text, file, "comment")

    async def go() -> None:
        receipt = await comment(
            await connect(s), store(s), case, author=author, text=body, source=source
        )
        dup = (
            f" — trùng ý kiến đã có / same as an earlier comment (×{receipt.count})"
            if receipt.duplicate
            else ""
        )
        say(f"Đã nhận góp ý / comment received: {receipt.comment_id}{dup}")

    run(go())


@app.command("dispose")
def dispose_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    comment_id: Annotated[str, typer.Argument(help="Comment id, e.g. C00012")],
    disposition: Annotated[Disposition, typer.Argument(help="accepted | partly | explained")],
    reason: Annotated[str | None, typer.Option(help="Required unless accepted")] = None,
    no_interest: NoInterest = False,
    as_given: AsGone = None,
) -> None:
    """Give a comment its disposition (giải trình, tiếp thu)."""
    from client.comments import dispose
    from models.comments import DispositionRequest

    s = settings()
    me = signed_in(s, as_given)
    person = me.session.person
    req = DispositionRequest(
        comment_id=comment_id,
        disposition=disposition,
        actor=person,
        reason=reason,
        declare_no_interest=no_interest,
    )

    async def go() -> None:
        receipt = await dispose(await connect(s, me), case, req)
        say(f"{receipt.comment_id}: {disposition.label}")

    run(go())


@app.command("comments")
def comments_cmd(
    case: Annotated[str, typer.Argument(help="Case id")],
    open_only: Annotated[
        bool, typer.Option("--open", help="Only those lacking a disposition")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Comments on a draft: counts by source and disposition, and the list."""
    from client.comments import comment_entries, comments_summary

    s = settings()

    async def go() -> tuple[CommentSummary, list[Entry]]:
        client = await connect(s)
        summary = await comments_summary(client, case)
        entries = await comment_entries(client, store(s), case, open_only=open_only)
        return summary, entries

    summary, entries = run(go())
    if as_json:
        print_json(
            {
                "summary": summary.model_dump(mode="json"),
                "comments": [e.model_dump(mode="json") for e in entries],
            }
        )
        return
    say(
        f"Lượt góp ý / submissions: {summary.submissions}; khác nhau / distinct: "
        f"{summary.distinct}; trùng / duplicates: {summary.duplicates}; "
        f"chưa xử lý / open: {summary.open}"
        + ("; đã hết hạn góp ý / period closed" if summary.closed else "")
    )
    say(
        "Theo nguồn / by source: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_source.items()))
    )
    say(
        "Theo kết quả / by disposition: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_disposition.items()))
    )
    listed = table("id", "count", "from", "disposition", "by")
    for e in entries:
        label = e.disposition.label if e.disposition else "open"
        row(listed, (e.id, e.count, ", ".join(sorted(e.sources)), label, e.by or ""))
    out.print(listed)
