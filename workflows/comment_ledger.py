"""``CommentLedger``: every comment on a draft and its disposition (sổ theo dõi góp ý).

A child of the case, started when a stage that collects comments is entered. Anyone may
comment while the period is open (``comment`` Update); the drafting unit gives each distinct
comment a disposition (``dispose`` Update). Thousands of comments fit: the ledger continues
as new before its history grows long, carrying its compact state, so none is lost across
the boundary. It tells the case whenever comments start or stop lacking a disposition, so
the case's guard can hold the dossier until all are answered.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.comments import (
        CommentReceipt,
        CommentRequest,
        CommentSummary,
        DispositionRequest,
        Entry,
        LedgerState,
    )
    from workflows.side_effects import COMMENTS_OPEN_SIGNAL

#: Continue as new past this many events (Temporal warns at 10,240 and stops at 51,200).
DEFAULT_CONTINUE_AFTER_EVENTS = 4000
#: Submission ids remembered to recognise client retries (about 50 KB of state).
RECENT_SUBMISSIONS = 1000


class LedgerInput(BaseModel):
    case_id: str
    ledger_id: str
    #: People who may give dispositions (the drafting unit).
    drafters: list[str]
    continue_after_events: int = Field(default=DEFAULT_CONTINUE_AFTER_EVENTS, ge=100)
    state: LedgerState = Field(default_factory=LedgerState)


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, code, type="ActionRefused", non_retryable=True)


@workflow.defn
class CommentLedger:
    """Tiếp nhận, tổng hợp ý kiến góp ý."""

    @workflow.init
    def __init__(self, inp: LedgerInput) -> None:
        self._inp = inp
        self._state = inp.state
        self._by_sha = {e.sha: e for e in self._state.entries}
        self._by_id = {e.id: e for e in self._state.entries}
        self._finished = False
        self._told_open: int | None = None

    @workflow.run
    async def run(self, inp: LedgerInput) -> CommentSummary:
        while True:
            await workflow.wait_condition(
                lambda: self._finished or self._should_continue() or self._tell_needed()
            )
            if self._tell_needed():
                await self._tell_case()
                continue
            if self._finished:
                break
            # All handlers done first, so no accepted comment is cut off mid-way.
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(
                inp.model_copy(
                    update={
                        "state": self._state.model_copy(update={"runs": self._state.runs + 1}),
                    }
                )
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.summary()

    def _should_continue(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > self._inp.continue_after_events
            or info.is_continue_as_new_suggested()
        )

    def _open(self) -> int:
        return sum(1 for e in self._state.entries if e.disposition is None)

    def _tell_needed(self) -> bool:
        # Only a change between "all answered" and "some open" matters to the case.
        now_open = self._open()
        return self._told_open is None or (self._told_open == 0) != (now_open == 0)

    async def _tell_case(self) -> None:
        self._told_open = self._open()
        parent = workflow.get_external_workflow_handle(self._inp.case_id)
        try:
            await parent.signal(COMMENTS_OPEN_SIGNAL, self._told_open)
        except ApplicationError as err:  # the case has closed meanwhile: nobody to tell
            workflow.logger.warning("could not tell the case: %s", err)

    # ---- comments ------------------------------------------------------------------------

    @workflow.update
    def comment(self, req: CommentRequest) -> CommentReceipt:
        """Receive a comment; an identical text is counted on the comment it repeats."""
        self._check_comment(req)
        seen = self._state.recent.get(req.submission_id) if req.submission_id else None
        if seen is not None:  # a client retry of a submission already counted
            earlier = self._by_id[seen]
            return CommentReceipt(comment_id=earlier.id, duplicate=True, count=earlier.count)
        self._state.submissions += 1
        entry = self._by_sha.get(req.text_sha256)
        if entry is not None:
            self._remember(req.submission_id, entry.id)
            entry.count += 1
            entry.sources[req.source] = entry.sources.get(req.source, 0) + 1
            return CommentReceipt(comment_id=entry.id, duplicate=True, count=entry.count)
        entry = Entry(
            id=f"C{len(self._state.entries) + 1:05d}",
            sha=req.text_sha256,
            ref=req.body.sha256,
            sources={req.source: 1},
        )
        self._state.entries.append(entry)
        self._by_sha[entry.sha] = entry
        self._by_id[entry.id] = entry
        self._remember(req.submission_id, entry.id)
        return CommentReceipt(comment_id=entry.id, duplicate=False, count=1)

    def _remember(self, submission_id: str, comment_id: str) -> None:
        if not submission_id:
            return
        recent = self._state.recent
        recent[submission_id] = comment_id
        while len(recent) > RECENT_SUBMISSIONS:
            del recent[next(iter(recent))]

    @comment.validator
    def _check_comment(self, req: CommentRequest) -> None:
        if self._state.closed:
            raise _refuse(
                "period_closed",
                "thời gian lấy ý kiến đã kết thúc / the comment "
                "period is closed; no comment can be received",
            )

    @workflow.update
    def dispose(self, req: DispositionRequest) -> Entry:
        """Record (or correct) the disposition of one distinct comment."""
        entry = self._check_dispose(req)
        entry.disposition = req.disposition
        entry.reason = req.reason
        entry.by = req.actor
        return entry

    @dispose.validator
    def _validate_dispose(self, req: DispositionRequest) -> None:
        self._check_dispose(req)

    def _check_dispose(self, req: DispositionRequest) -> Entry:
        if self._finished:
            raise _refuse(
                "consultation_closed",
                "hồ sơ đã qua bước tổng hợp / the synthesis "
                "is done; dispositions can no longer change",
            )
        if req.actor not in self._inp.drafters:
            raise _refuse(
                "wrong_role",
                f"{req.actor!r} is not in the drafting unit of this "
                f"case; dispositions are given by: {', '.join(self._inp.drafters)}",
            )
        entry = self._by_id.get(req.comment_id)
        if entry is None:
            raise _refuse(
                "unknown_comment",
                f"no comment {req.comment_id!r} in this "
                f"consultation (C00001 … C{len(self._state.entries):05d})",
            )
        return entry

    # ---- the case's signals --------------------------------------------------------------

    @workflow.signal
    def close(self) -> None:
        """The comment period ended: no new comments; dispositions go on."""
        self._state.closed = True

    @workflow.signal
    def reopen(self) -> None:
        """The case came back to a stage that collects comments."""
        self._state.closed = False

    @workflow.signal
    def finish(self) -> None:
        """The synthesis is done: the ledger is final."""
        self._state.closed = True
        self._finished = True

    # ---- queries -------------------------------------------------------------------------

    @workflow.query
    def summary(self) -> CommentSummary:
        by_source: dict[str, int] = {}
        by_disposition: dict[str, int] = {}
        for e in self._state.entries:
            for source, n in e.sources.items():
                by_source[source] = by_source.get(source, 0) + n
            key = e.disposition.value if e.disposition else "open"
            by_disposition[key] = by_disposition.get(key, 0) + 1
        open_ids = [e.id for e in self._state.entries if e.disposition is None]
        distinct = len(self._state.entries)
        return CommentSummary(
            submissions=self._state.submissions,
            distinct=distinct,
            duplicates=self._state.submissions - distinct,
            open=len(open_ids),
            closed=self._state.closed,
            by_source=by_source,
            by_disposition=by_disposition,
            open_ids=open_ids[:50],
            runs=self._state.runs,
        )

    @workflow.query
    def entries(self, offset: int = 0, limit: int = 500, open_only: bool = False) -> list[Entry]:
        chosen = [e for e in self._state.entries if not open_only or e.disposition is None]
        return chosen[offset : offset + min(limit, 2000)]
