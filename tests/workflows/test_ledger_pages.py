"""The comment ledger's pages on the real server: comments, repeats and dispositions keep
arriving while the ledger writes its pages and continues as new, and nothing is lost,
counted twice or left out of the pages a reader assembles.

Small numbers stand in for large ones: pages of 7 comments and a run of 150 events, so a
few hundred submissions cross many pages and runs."""

from __future__ import annotations

import uuid

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.ledger_pages import load_page, read_entries
from client.errors import CaseActionRefused
from models.choices import Disposition
from models.comments import Entry, LedgerState, comment_id, text_hash
from tests.conftest import Harness
from tests.replay.ledger_pages import DRAFTER, all_runs, busy_ledger, start_ledger, submit
from worker import WORKFLOWS
from workflows.drafting.comment_ledger import CommentLedger, LedgerInput


async def test_pages_keep_every_comment_and_disposition_across_runs(harness: Harness) -> None:
    ledger, expected = await busy_ledger(harness.client, harness.store, harness.settings.task_queue)
    summary = await ledger.query(CommentLedger.summary)
    assert summary.runs >= 3, f"expected several runs at 150 events per run, got {summary.runs}"
    assert (summary.submissions, summary.distinct) == (400, 90)
    view = await ledger.query(CommentLedger.view)
    assert len(view.pages) >= 2, f"expected several pages, got {view.pages} ({view.paged} paged)"
    entries = read_entries(harness.store, view)
    assert [e.id for e in entries] == [comment_id(i) for i in range(90)]
    assert sum(e.count for e in entries) == 400, "a repeated submission was lost or doubled"
    assert sum(sum(e.sources.values()) for e in entries) == 400
    assert summary.by_source == {"VCCI": 134, "public": 266}
    assert sum(e.sources.get("VCCI", 0) for e in entries) == 134
    # The last disposition sent for each comment is the one recorded, paged or not.
    got = {e.id: e.disposition for e in entries if e.disposition is not None}
    assert got == expected
    assert summary.open == 90 - len(expected)
    assert await ledger.query(CommentLedger.open_ids) == [
        e.id for e in entries if e.disposition is None
    ]
    # Every stored page lines up: its own ledger, consecutive ids, at most 7 comments.
    for k, sha in enumerate(view.pages):
        page = load_page(harness.store, sha)
        assert (page.ledger_id, page.first) == (ledger.id, k * 7)
        assert [e.id for e in page.entries] == [
            comment_id(k * 7 + n) for n in range(len(page.entries))
        ]
        assert len(page.entries) <= 7
    # Every run, with its handlers racing the page writes, replays deterministically.
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    for history in await all_runs(harness.client, ledger.id):
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"run {history.run_id}: {result.replay_failure}"


async def test_a_legacy_state_without_pages_is_paged_on_the_next_run(harness: Harness) -> None:
    """A ledger that continued as new before pages existed carries every entry in its
    input; the next continue-as-new writes them to pages, counts and dispositions kept."""
    legacy = [
        Entry(
            id=comment_id(i),
            sha=text_hash(f"Góp ý {i}"),
            ref=harness.store.put_blob(f"cu {i}".encode(), "gop-y.json").sha256,
            count=2,
            sources={"public": 2},
            disposition=Disposition.ACCEPTED if i == 3 else None,
            by=DRAFTER if i == 3 else None,
        )
        for i in range(12)
    ]
    ledger = await start_ledger(
        harness.client,
        harness.settings.task_queue,
        page_size=5,
        events=100,
        state=LedgerState(entries=legacy, submissions=24),
    )
    assert (await submit(harness.store, ledger, 5)) == "C00006", "a repeat of a legacy comment"
    for i in range(200, 240):  # 40 new texts (20 … 59), enough for a continue-as-new
        await submit(harness.store, ledger, i)
    view = await ledger.query(CommentLedger.view)
    assert view.paged >= 12, f"the legacy entries were not paged: {view.paged}"
    entries = read_entries(harness.store, view)
    assert len(entries) == 12 + 40
    assert [e.count for e in entries[:12]] == [2] * 5 + [3] + [2] * 6
    assert [e.id for e in entries if e.disposition] == ["C00004"]
    summary = await ledger.query(CommentLedger.summary)
    assert (summary.submissions, summary.distinct, summary.open) == (65, 52, 51)


async def test_a_full_ledger_refuses_new_texts_and_still_counts_repeats(harness: Harness) -> None:
    ledger_id = f"ledger-{uuid.uuid4().hex[:8]}"
    ledger = await harness.client.start_workflow(
        CommentLedger.run,
        LedgerInput(
            case_id="no-such-case", ledger_id=ledger_id, drafters=[DRAFTER], max_distinct=3
        ),
        id=ledger_id,
        task_queue=harness.settings.task_queue,
    )
    for i in range(3):
        await submit(harness.store, ledger, i)
    with pytest.raises(CaseActionRefused) as full:
        await submit(harness.store, ledger, 3)
    assert full.value.code == "ledger_full"
    assert "maximum of 3 distinct comments" in str(full.value)
    assert await submit(harness.store, ledger, 90) == "C00001", "a repeat is still counted"
    summary = await ledger.query(CommentLedger.summary)
    assert (summary.submissions, summary.distinct) == (4, 3)
