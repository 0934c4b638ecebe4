"""``CommentLedger``: every comment on a draft and its disposition (sổ theo dõi góp ý).

The public's comments through the portal are not here: they are in the public's records (a
database, ``public_records/``). Once the comment period has closed, the ledger has them
clustered and counted, takes the drafting unit's answer to each cluster (``dispose_public``,
the proof of its author checked here) and counts the unanswered clusters among the comments
that hold the synthesis; only counts travel in its history.

A child of the case, started when a stage that collects comments is entered. Anyone may
comment while the period is open (``comment`` Update); the drafting unit gives each distinct
comment a disposition (``dispose`` Update). It tells the case whenever comments start or stop
lacking a disposition, so the case's guard can hold the dossier until all are answered.

Tens of thousands of comments fit. The ledger continues as new before its history grows
long; first it writes the comments of the ending run to pages in the document store (one
activity per page touched, content-addressed, so a retry writes nothing new) and carries on
only a compact index (``models.comments.LedgerState``). Readers get a ``view`` (page
references plus what the current run holds) and read the pages from the store.
"""

from __future__ import annotations

import asyncio
from datetime import date

from pydantic import Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.authorship import KeyRotation, KeysPinned, ProofLedger
    from models.comments import (
        DIGEST_CHARS,
        STATUS_CODES,
        STATUS_OF_CODE,
        CommentReceipt,
        CommentRequest,
        CommentSummary,
        DispositionReceipt,
        DispositionRequest,
        Entry,
        EntryChange,
        LedgerState,
        LedgerView,
        PageWrite,
        PublicTally,
        comment_id,
        comment_index,
    )
    from models.interests import DECLARE_INTEREST_PATCH
    from models.legal_time import VIETNAM_TZ
    from models.public_consultation import (
        PUBLIC_ANSWERS_PATCH,
        PublicDisposition,
        PublicDispositionRequest,
    )
    from workflows.activity_calls import (
        call_activity,
        case_ledger_state,
        dispose_public_cluster,
        tally_public_comments,
    )
    from workflows.declarations import KeepsDeclarations
    from workflows.drafting.signals import COMMENTS_OPEN_SIGNAL
    from workflows.proofs import RotatesKeys, check_proof, record_proof
    from workflows.refusals import refuse

#: Since this patch the ledger asks the case before it believes a close/reopen/finish signal.
ASK_CASE_PATCH = "ledger-asks-the-case"
#: Continue as new past this many events (Temporal warns at 10,240 and stops at 51,200).
DEFAULT_CONTINUE_AFTER_EVENTS = 4000
#: At most 1.56 MiB of carried index even if every comment was repeated (measured, README
#: "Comments"): the continue-as-new input stays under Temporal's 2 MB payload limit.
MAX_DISTINCT_COMMENTS = 40_000
#: Submission ids remembered to recognise client retries (about 50 KB of state).
RECENT_SUBMISSIONS = 1000
#: One ``write_ledger_page`` activity carries at most about this much JSON.
WRITE_BATCH_BYTES = 256 * 1024


class LedgerInput(KeysPinned):
    case_id: str
    ledger_id: str
    #: People who may give dispositions (the drafting unit).
    drafters: list[str]
    continue_after_events: int = Field(default=DEFAULT_CONTINUE_AFTER_EVENTS, ge=100)
    #: Distinct comments one ledger takes (its carried index must stay under 2 MB).
    max_distinct: int = Field(default=MAX_DISTINCT_COMMENTS, ge=1)
    state: LedgerState = Field(default_factory=LedgerState)


def _merge(into: dict[int, EntryChange], change: EntryChange, index: int) -> None:
    """Fold ``change`` into the change already pending for the same comment."""
    mine = into.setdefault(index, EntryChange(id=change.id))
    for source, n in change.sources.items():
        mine.sources[source] = mine.sources.get(source, 0) + n
    if change.disposition is not None:
        mine.disposition, mine.reason, mine.by = change.disposition, change.reason, change.by


def _diff(before: Entry, after: Entry) -> EntryChange | None:
    """What changed on ``after`` since the copy ``before`` was written to a page."""
    change = EntryChange(id=after.id)
    for source, n in after.sources.items():
        if n != before.sources.get(source, 0):
            change.sources[source] = n - before.sources.get(source, 0)
    if (after.disposition, after.reason, after.by) != (
        before.disposition,
        before.reason,
        before.by,
    ):
        change.disposition, change.reason, change.by = after.disposition, after.reason, after.by
    return change if change.sources or change.disposition is not None else None


def _batches(items: list[Entry | EntryChange]) -> list[list[Entry | EntryChange]]:
    """``items`` in order, cut so that each batch carries at most ``WRITE_BATCH_BYTES`` of
    JSON (an item larger than that travels alone)."""
    batches: list[list[Entry | EntryChange]] = []
    size = WRITE_BATCH_BYTES
    for item in items:
        n = len(item.model_dump_json())
        if size + n > WRITE_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += n
    return batches


@workflow.defn
class CommentLedger(RotatesKeys, KeepsDeclarations):
    """Tiếp nhận, tổng hợp ý kiến góp ý."""

    @workflow.init
    def __init__(self, inp: LedgerInput) -> None:
        self._inp = inp
        self._state = state = inp.state
        self._proofs = ProofLedger(inp.trusted_keys, used=state.used_proofs)
        self._operators = list(inp.operators)
        self._declarations = list(state.declarations)
        self._declaration_required = workflow.patched(DECLARE_INTEREST_PATCH)
        # Text digest -> comment index, for every comment (paged or not).
        self._index: dict[str, int] = {}
        for i in range(state.paged):
            self._index[state.paged_digests[i * DIGEST_CHARS : (i + 1) * DIGEST_CHARS]] = i
        for k, e in enumerate(state.entries):
            self._index[e.sha[:DIGEST_CHARS]] = state.paged + k
        self._status = list(state.paged_status)
        # Changes to paged comments not yet written; while pages are being written, the
        # changes on their way are in ``_writing`` (readers see both).
        self._changes: dict[int, EntryChange] = {}
        for change in state.changes:
            index = comment_index(change.id)
            assert index is not None
            _merge(self._changes, change, index)
        self._writing: dict[int, EntryChange] = {}
        self._open = self._status.count(STATUS_CODES[None]) + sum(
            1 for e in state.entries if e.disposition is None
        )
        self._finished = state.finished
        self._answers_public = workflow.patched(PUBLIC_ANSWERS_PATCH)
        # One answer to the public at a time: each returns the tally after it.
        self._public_lock = asyncio.Lock()
        self._told_open: int | None = None
        #: A close / reopen / finish signal came: ask the case what is true.
        self._ask = False

    @workflow.run
    async def run(self, inp: LedgerInput) -> CommentSummary:
        while True:
            await workflow.wait_condition(
                lambda: (
                    self._finished
                    or self._should_continue()
                    or self._tell_needed()
                    or self._ask
                    or self._tally_needed()
                )
            )
            if self._ask:
                await self._ask_case()
                continue
            if self._tally_needed():
                await self._tally_public()
                continue
            if self._tell_needed():
                await self._tell_case()
                continue
            if self._finished:
                break
            # All handlers done first, so no accepted comment is cut off mid-way.
            await workflow.wait_condition(workflow.all_handlers_finished)
            # Comments go to pages first: carried in the continue-as-new input, every entry
            # passed Temporal's 2 MB limit near 9,000 comments.
            await self._write_pages()
            await workflow.wait_condition(workflow.all_handlers_finished)
            state = self._carried()
            # self._inp: its trusted keys may have been rotated in this run.
            workflow.continue_as_new(
                self._inp.model_copy(
                    update={"state": state.model_copy(update={"runs": state.runs + 1})}
                )
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.summary()

    def _keys_rotated(self, req: KeyRotation, before: str) -> None:
        """The next run trusts the new keys too."""
        super()._keys_rotated(req, before)
        self._inp = self._inp.model_copy(update={"trusted_keys": list(self._proofs.keys.values())})

    def _should_continue(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > self._inp.continue_after_events
            or info.is_continue_as_new_suggested()
        )

    def _open_total(self) -> int:
        """Comments that hold the synthesis: this ledger's without a disposition, and the
        public's unanswered clusters (1 while they are being counted)."""
        return self._open + self._public_open()

    def _public_open(self) -> int:
        st = self._state
        if not self._answers_public:
            return 0
        if st.public is not None:
            return st.public.open_clusters
        return 1 if st.closed and not self._finished else 0

    def _tally_needed(self) -> bool:
        st = self._state
        return self._answers_public and st.closed and st.public is None and not self._finished

    async def _tally_public(self) -> None:
        """The period is over: the public's comments clustered and counted."""
        self._state.public = await tally_public_comments(self._inp.case_id)
        # The case hears the count afresh, whether or not it crossed zero.
        self._told_open = None

    def _tell_needed(self) -> bool:
        # Only a change between "all answered" and "some open" matters to the case.
        open_now = self._open_total()
        return self._told_open is None or (self._told_open == 0) != (open_now == 0)

    async def _tell_case(self) -> None:
        self._told_open = self._open_total()
        parent = workflow.get_external_workflow_handle(self._inp.case_id)
        try:
            await parent.signal(COMMENTS_OPEN_SIGNAL, self._told_open)
        except ApplicationError as err:  # the case has closed meanwhile: nobody to tell
            workflow.logger.warning("could not tell the case: %s", err)

    def _carried(self) -> LedgerState:
        """The state to continue with, including whatever is not yet in a page."""
        changes = [self._changes[i] for i in sorted(self._changes)]
        return self._state.model_copy(
            update={
                "paged_status": "".join(self._status),
                "changes": changes,
                "finished": self._finished,
                "used_proofs": self._proofs.used,
                "declarations": self._declarations,
            }
        )

    # ---- pages ---------------------------------------------------------------------------

    async def _write_pages(self) -> None:
        """Write this run's comments and changes to their pages, then index them.

        Handlers keep running meanwhile: they change the live entries and a fresh set of
        changes; whatever differs from what was written is kept as a change for next time.
        """
        st = self._state
        written = [e.model_copy(deep=True) for e in st.entries]
        self._writing, self._changes = self._changes, {}
        by_page: dict[int, tuple[list[Entry], list[EntryChange]]] = {}
        for index, change in sorted(self._writing.items()):
            by_page.setdefault(index // st.page_size, ([], []))[1].append(change)
        for k, entry in enumerate(written):
            by_page.setdefault((st.paged + k) // st.page_size, ([], []))[0].append(entry)
        refs = await asyncio.gather(
            *(self._write_page(page, new, changes) for page, (new, changes) in by_page.items())
        )
        for page, ref in zip(by_page, refs, strict=True):
            if page < len(st.pages):
                st.pages[page] = ref
            else:
                st.pages.append(ref)
        # Index what was written, from the live entries (they may have changed meanwhile).
        live = st.entries[: len(written)]
        for index, (before, after) in enumerate(zip(written, live, strict=True), st.paged):
            moved = _diff(before, after)
            if moved is not None:
                _merge(self._changes, moved, index)
            st.paged_digests += after.sha[:DIGEST_CHARS]
            self._status.append(STATUS_CODES[after.disposition])
            if after.count > 1:
                st.paged_counts[index] = after.count
            for source, n in after.sources.items():
                st.paged_sources[source] = st.paged_sources.get(source, 0) + n
        st.paged += len(written)
        st.entries = st.entries[len(written) :]
        self._writing = {}

    async def _write_page(self, page: int, new: list[Entry], changes: list[EntryChange]) -> str:
        """One page: in batches of at most ``WRITE_BATCH_BYTES``, each on the last."""
        st = self._state
        base = st.pages[page] if page < len(st.pages) else None
        for batch in _batches([*changes, *new]):
            try:
                base = await call_activity(
                    "write_ledger_page",
                    PageWrite(
                        ledger_id=self._inp.ledger_id,
                        page=page,
                        page_size=st.page_size,
                        base=base,
                        new=[i for i in batch if isinstance(i, Entry)],
                        changes=[i for i in batch if isinstance(i, EntryChange)],
                    ),
                    result_type=str,
                    summary=f"Lưu trang sổ góp ý / Store comment page {page + 1}",
                )
            except ActivityError as err:
                # Only a bug (or a store down for a day) refuses a page. Failing the
                # workflow task, not the ledger, keeps every comment and lets ops repair it.
                raise RuntimeError(
                    f"page {page + 1} of {self._inp.ledger_id}: {err.cause}"
                ) from err
        assert base is not None
        return base

    # ---- one comment ---------------------------------------------------------------------

    def _distinct(self) -> int:
        return self._state.paged + len(self._state.entries)

    def _live(self, index: int) -> Entry | None:
        """The comment's entry if this run holds it (not yet in a page)."""
        return (
            self._state.entries[index - self._state.paged] if index >= self._state.paged else None
        )

    def _count(self, index: int) -> int:
        entry = self._live(index)
        return entry.count if entry else self._state.paged_counts.get(index, 1)

    def _change(self, index: int) -> EntryChange:
        return self._changes.setdefault(index, EntryChange(id=comment_id(index)))

    # ---- comments ------------------------------------------------------------------------

    @workflow.update
    def comment(self, req: CommentRequest) -> CommentReceipt:
        """Receive a comment; an identical text is counted on the comment it repeats."""
        self._check_comment(req)
        st = self._state
        seen = st.recent.get(req.submission_id) if req.submission_id else None
        if seen is not None:  # a client retry of a submission already counted
            index = comment_index(seen)
            assert index is not None
            return CommentReceipt(comment_id=seen, duplicate=True, count=self._count(index))
        st.submissions += 1
        index = self._index.get(req.text_sha256[:DIGEST_CHARS])
        if index is None:
            index = self._distinct()
            st.entries.append(
                Entry(
                    id=comment_id(index),
                    sha=req.text_sha256,
                    ref=req.body.sha256,
                    sources={req.source: 1},
                )
            )
            self._index[req.text_sha256[:DIGEST_CHARS]] = index
            self._open += 1
            self._remember(req.submission_id, comment_id(index))
            return CommentReceipt(comment_id=comment_id(index), duplicate=False, count=1)
        entry = self._live(index)
        if entry is not None:
            entry.count += 1
            entry.sources[req.source] = entry.sources.get(req.source, 0) + 1
        else:
            change = self._change(index)
            change.sources[req.source] = change.sources.get(req.source, 0) + 1
            st.paged_counts[index] = st.paged_counts.get(index, 1) + 1
            st.paged_sources[req.source] = st.paged_sources.get(req.source, 0) + 1
        self._remember(req.submission_id, comment_id(index))
        return CommentReceipt(
            comment_id=comment_id(index), duplicate=True, count=self._count(index)
        )

    def _remember(self, submission_id: str, cid: str) -> None:
        if not submission_id:
            return
        recent = self._state.recent
        recent[submission_id] = cid
        while len(recent) > RECENT_SUBMISSIONS:
            del recent[next(iter(recent))]

    @comment.validator
    def _check_comment(self, req: CommentRequest) -> None:
        if self._state.closed:
            raise refuse(
                "period_closed",
                "thời gian lấy ý kiến đã kết thúc / the comment "
                "period is closed; no comment can be received",
            )
        limit = self._inp.max_distinct
        if (
            self._distinct() >= limit
            and req.text_sha256[:DIGEST_CHARS] not in self._index
            and req.submission_id not in self._state.recent
        ):
            raise refuse(
                "ledger_full",
                f"sổ góp ý đã đủ {limit} ý kiến khác nhau / this consultation holds its "
                f"maximum of {limit} distinct comments; a comment repeating one of them is "
                "still counted, and a body can send its opinion as a document "
                "(`legisflow reply`)",
            )

    @workflow.update
    def dispose(self, req: DispositionRequest) -> DispositionReceipt:
        """Record (or correct) the disposition of one distinct comment."""
        record_proof(self._proofs, req)
        index = self._check_dispose(req)
        self._declared_with(req.actor, req)
        entry = self._live(index)
        if entry is not None:
            was_open = entry.disposition is None
            entry.disposition, entry.reason, entry.by = req.disposition, req.reason, req.actor
        else:
            was_open = self._status[index] == STATUS_CODES[None]
            self._status[index] = STATUS_CODES[req.disposition]
            change = self._change(index)
            change.disposition, change.reason, change.by = req.disposition, req.reason, req.actor
        self._open -= was_open
        return DispositionReceipt(
            comment_id=comment_id(index),
            disposition=req.disposition,
            reason=req.reason,
            by=req.actor,
        )

    @dispose.validator
    def _validate_dispose(self, req: DispositionRequest) -> None:
        check_proof(self._proofs, req, "dispose")
        self._check_dispose(req)

    def _check_dispose(self, req: DispositionRequest) -> int:
        if self._finished:
            raise refuse(
                "consultation_closed",
                "hồ sơ đã qua bước tổng hợp / the synthesis "
                "is done; dispositions can no longer change",
            )
        if req.actor not in self._inp.drafters:
            raise refuse(
                "wrong_role",
                f"{req.actor!r} is not in the drafting unit of this "
                f"case; dispositions are given by: {', '.join(dict.fromkeys(self._inp.drafters))}",
            )
        index = comment_index(req.comment_id)
        if index is None or index >= self._distinct():
            known = (
                f"C00001 … {comment_id(self._distinct() - 1)}"
                if self._distinct()
                else "no comment received yet"
            )
            raise refuse(
                "unknown_comment", f"no comment {req.comment_id!r} in this consultation ({known})"
            )
        self._check_decider(req.actor, req)
        return index

    @workflow.update
    async def dispose_public(self, req: PublicDispositionRequest) -> PublicTally:
        """Record (or correct) the answer to one cluster of the public's comments; it applies
        to each comment of the cluster, and the citizens see it under their tracking codes."""
        record_proof(self._proofs, req)
        self._check_dispose_public(req)
        self._declared_with(req.actor, req)
        async with self._public_lock:
            try:
                tally = await dispose_public_cluster(
                    PublicDisposition(
                        case_id=self._inp.case_id,
                        cluster=req.cluster,
                        disposition=req.disposition,
                        reason=req.reason,
                        by=req.actor,
                    )
                )
            except ActivityError as err:
                raise refuse("unknown_cluster", str(err.cause or err)) from None
            self._state.public = tally
        return tally

    @dispose_public.validator
    def _validate_dispose_public(self, req: PublicDispositionRequest) -> None:
        check_proof(self._proofs, req, "dispose_public")
        self._check_dispose_public(req)

    def _check_dispose_public(self, req: PublicDispositionRequest) -> None:
        if self._finished:
            raise refuse(
                "consultation_closed",
                "hồ sơ đã qua bước tổng hợp / the synthesis is done; dispositions can no "
                "longer change",
            )
        if req.actor not in self._inp.drafters:
            raise refuse(
                "wrong_role",
                f"{req.actor!r} is not in the drafting unit of this case; dispositions are "
                f"given by: {', '.join(dict.fromkeys(self._inp.drafters))}",
            )
        if not self._answers_public or self._state.public is None:
            raise refuse(
                "public_not_counted",
                "góp ý qua cổng được giải trình sau khi hết thời gian lấy ý kiến và đã được "
                "nhóm lại / the portal's comments are answered once the comment period has "
                "closed and they have been clustered",
            )
        self._check_decider(req.actor, req)

    def _deciders(self) -> list[str]:
        return list(self._inp.drafters)

    def _legal_today(self) -> date:
        # The ledger counts no legal time: the day of the declaration in Vietnam.
        return workflow.now().astimezone(VIETNAM_TZ).date()

    # ---- the case's signals --------------------------------------------------------------

    # Anyone who reaches the frontend can send these. Since the patch the ledger asks the
    # case before it believes one (``_ask_case``): closing takes effect at once (refusing a
    # comment for the moment it takes to ask is the safe side), reopening and finishing only
    # when the case confirms them; a forged one is undone, or never done.

    @workflow.signal
    def close(self) -> None:
        """The comment period ended: no new comments; dispositions go on."""
        self._state.closed = True
        if workflow.patched(ASK_CASE_PATCH):
            self._ask = True

    @workflow.signal
    def reopen(self) -> None:
        """The case came back to a stage that collects comments."""
        if workflow.patched(ASK_CASE_PATCH):
            self._ask = True
            return
        self._state.closed = False

    @workflow.signal
    def finish(self) -> None:
        """The synthesis is done: the ledger is final."""
        self._state.closed = True
        if workflow.patched(ASK_CASE_PATCH):
            self._ask = True
            return
        self._finished = True

    async def _ask_case(self) -> None:
        """Where the case says its comment ledger stands (open, closed, finished)."""
        self._ask = False
        said = await case_ledger_state(self._inp.case_id)
        self._state.closed = said != "open"
        self._finished = self._finished or said == "finished"
        if said == "open":
            self._state.public = None  # reopened: the public may comment again

    # ---- queries -------------------------------------------------------------------------

    def _dispositions(self) -> list[str]:
        """One status code per comment, in order (paged first, then this run's)."""
        return self._status + [STATUS_CODES[e.disposition] for e in self._state.entries]

    @workflow.query
    def summary(self) -> CommentSummary:
        st = self._state
        by_source = dict(st.paged_sources)
        for e in st.entries:
            for source, n in e.sources.items():
                by_source[source] = by_source.get(source, 0) + n
        by_disposition: dict[str, int] = {}
        for code in self._dispositions():
            disposition = STATUS_OF_CODE[code]
            key = disposition.value if disposition else "open"
            by_disposition[key] = by_disposition.get(key, 0) + 1
        distinct = self._distinct()
        return CommentSummary(
            submissions=st.submissions,
            distinct=distinct,
            duplicates=st.submissions - distinct,
            open=self._open_total(),
            closed=st.closed,
            by_source=by_source,
            by_disposition=by_disposition,
            open_ids=self.open_ids(0, 50),
            runs=st.runs,
            public=st.public,
        )

    @workflow.query
    def open_ids(self, offset: int = 0, limit: int = 500) -> list[str]:
        """Ids of the comments still lacking a disposition, in order."""
        none = STATUS_CODES[None]
        ids = [comment_id(i) for i, code in enumerate(self._dispositions()) if code == none]
        return ids[offset : offset + min(limit, 10_000)]

    @workflow.query
    def view(self) -> LedgerView:
        """Page references plus this run's comments and changes (see ``LedgerView``)."""
        pending: dict[int, EntryChange] = {}
        for source in (self._writing, self._changes):
            for index, change in source.items():
                _merge(pending, change, index)
        st = self._state
        return LedgerView(
            pages=list(st.pages),
            paged=st.paged,
            entries=st.entries,
            changes=[pending[i] for i in sorted(pending)],
        )
