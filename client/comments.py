"""Comments on a draft (góp ý dự thảo) through the client API: submitting one, giving it a
disposition (giải trình, tiếp thu), and reading the case's comment ledger (``…/comments``).
A comment's text goes to the document store; the ledger keeps a reference and counts."""

from __future__ import annotations

import json
import uuid

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.ledger_pages import read_entries
from activities.ports import DocumentStore
from client.documents import checked_text
from client.errors import CaseError
from client.updates import send_update
from models.comments import (
    MAX_COMMENT_CHARS,
    CommentReceipt,
    CommentRequest,
    CommentSummary,
    DispositionReceipt,
    DispositionRequest,
    Entry,
    PublicTally,
    text_hash,
)
from models.public_consultation import PublicDispositionRequest
from workflows.drafting.comment_ledger import CommentLedger


def ledger_id(case_id: str) -> str:
    return f"{case_id}/comments"


async def _ledger_closed() -> str:
    return (
        "đã hết thời gian lấy ý kiến / the consultation has closed and its comments are "
        "final; nothing was changed"
    )


async def comment(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    author: str,
    text: str,
    source: str = "public",
) -> CommentReceipt:
    """Submit a comment: the text goes to the document store, the ledger keeps a reference."""
    chars = checked_text(text, "comment", MAX_COMMENT_CHARS)
    body = json.dumps({"author": author, "source": source, "text": text}, ensure_ascii=False)
    ref = store.put_blob(body.encode("utf-8"), "gop-y.json", "application/json")
    req = CommentRequest(
        submission_id=uuid.uuid4().hex,
        source=source,
        text_sha256=text_hash(text),
        chars=chars,
        body=ref,
    )
    receipt: CommentReceipt = await send_update(
        client.get_workflow_handle(ledger_id(case_id)),
        CommentLedger.comment,
        req,
        update_id=req.submission_id,  # the ledger remembers it: a retry is recognised
        idempotent=True,
        closed=_ledger_closed,
        missing=f"{case_id!r} has no open consultation to comment on",
    )
    return receipt


async def dispose(client: Client, case_id: str, request: DispositionRequest) -> DispositionReceipt:
    receipt: DispositionReceipt = await send_update(
        client.get_workflow_handle(ledger_id(case_id)),
        CommentLedger.dispose,
        request,
        idempotent=True,  # the same disposition twice is the same disposition
        closed=_ledger_closed,
        missing=f"{case_id!r} has no comments to dispose of",
    )
    return receipt


async def dispose_public(
    client: Client, case_id: str, request: PublicDispositionRequest
) -> PublicTally:
    """Answer one cluster of the public's comments (every comment of it); the tally after."""
    tally: PublicTally = await send_update(
        client.get_workflow_handle(ledger_id(case_id)),
        CommentLedger.dispose_public,
        request,
        idempotent=True,  # the same answer twice is the same answer
        closed=_ledger_closed,
        missing=f"{case_id!r} has no comments to dispose of",
    )
    return tally


async def comments_summary(client: Client, case_id: str) -> CommentSummary:
    try:
        return await client.get_workflow_handle(ledger_id(case_id)).query(CommentLedger.summary)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"{case_id!r} has not collected comments yet") from None
        raise


async def comment_entries(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    open_only: bool = False,
    limit: int | None = 200,
) -> list[Entry]:
    """Distinct comments in order: the ledger's pages from the store plus its current run."""
    handle = client.get_workflow_handle(ledger_id(case_id))
    try:
        view = await handle.query(CommentLedger.view)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"{case_id!r} has not collected comments yet") from None
        raise
    entries = read_entries(store, view)
    if open_only:
        entries = [e for e in entries if e.disposition is None]
    return entries if limit is None else entries[:limit]


async def open_comment_ids(client: Client, case_id: str, *, limit: int = 10_000) -> list[str]:
    """Ids of the comments still lacking a disposition (no document store needed)."""
    handle = client.get_workflow_handle(ledger_id(case_id))
    ids: list[str] = []
    while len(ids) < limit:
        want = min(2000, limit - len(ids))
        page: list[str] = await handle.query(CommentLedger.open_ids, args=[len(ids), want])
        ids += page
        if len(page) < want:
            break
    return ids
