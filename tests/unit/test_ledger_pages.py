"""Writing and reading a comment ledger's pages (no server): a retried write stores the
same page, and a page that does not line up is refused rather than silently merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.filesystem_store import FilesystemDocumentStore
from activities.ledger_pages import LedgerPageActivities, read_entries
from models.choices import Disposition
from models.comments import (
    DIGEST_CHARS,
    PAGE_SIZE,
    Entry,
    EntryChange,
    LedgerState,
    LedgerView,
    PageWrite,
    comment_id,
    comment_index,
)
from workflows.drafting.comment_ledger import MAX_DISTINCT_COMMENTS, RECENT_SUBMISSIONS


def entry(i: int) -> Entry:
    return Entry(id=comment_id(i), sha=f"{i:064x}", ref=f"{i:064x}", sources={"public": 1})


def test_ids_and_indexes() -> None:
    assert (comment_id(0), comment_id(99_999), comment_id(100_000)) == (
        "C00001",
        "C100000",
        "C100001",
    )
    assert [comment_index(c) for c in ("C00001", "C100001", "C0", "C00000", "X1", "C1")] == [
        0,
        100_000,
        None,
        None,
        None,
        None,
    ]


def test_write_apply_and_read_back(tmp_path: Path) -> None:
    store = FilesystemDocumentStore(tmp_path)
    pages = LedgerPageActivities(store)
    first = PageWrite(ledger_id="L", page=1, page_size=3, new=[entry(3), entry(4)])
    sha = pages.write_ledger_page(first)
    assert pages.write_ledger_page(first) == sha, "a retried write must store the same page"
    change = EntryChange(
        id="C00004",
        sources={"VCCI": 2},
        disposition=Disposition.PARTLY,
        reason="một phần",
        by="an",
    )
    sha2 = pages.write_ledger_page(
        PageWrite(ledger_id="L", page=1, page_size=3, base=sha, changes=[change], new=[entry(5)])
    )
    page0 = pages.write_ledger_page(
        PageWrite(ledger_id="L", page=0, page_size=3, new=[entry(0), entry(1), entry(2)])
    )
    view = LedgerView(
        pages=[page0, sha2],
        paged=6,
        entries=[entry(6)],
        changes=[EntryChange(id="C00001", disposition=Disposition.ACCEPTED, by="an")],
    )
    got = read_entries(store, view)
    assert [e.id for e in got] == [comment_id(i) for i in range(7)]
    assert (got[3].count, got[3].sources, got[3].disposition, got[3].reason) == (
        3,
        {"public": 1, "VCCI": 2},
        Disposition.PARTLY,
        "một phần",
    )
    assert got[0].disposition is Disposition.ACCEPTED
    with pytest.raises(ValueError, match="expected 7"):
        read_entries(store, view.model_copy(update={"paged": 7}))


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (PageWrite(ledger_id="L", page=0, page_size=3, new=[entry(1)]), "cannot follow"),
        (PageWrite(ledger_id="L", page=0, page_size=1, new=[entry(0), entry(1)]), "cannot follow"),
        (
            PageWrite(ledger_id="L", page=0, page_size=3, changes=[EntryChange(id="C00002")]),
            "not on page 0",
        ),
    ],
)
def test_a_page_that_does_not_line_up_is_refused(
    tmp_path: Path, write: PageWrite, message: str
) -> None:
    with pytest.raises(ApplicationError, match=message) as err:
        LedgerPageActivities(FilesystemDocumentStore(tmp_path)).write_ledger_page(write)
    assert err.value.non_retryable


def test_a_page_of_another_ledger_is_refused(tmp_path: Path) -> None:
    pages = LedgerPageActivities(FilesystemDocumentStore(tmp_path))
    sha = pages.write_ledger_page(PageWrite(ledger_id="L", page=0, page_size=3, new=[entry(0)]))
    with pytest.raises(ApplicationError, match="is not page 0 of M"):
        pages.write_ledger_page(PageWrite(ledger_id="M", page=0, page_size=3, base=sha))


def test_a_full_ledger_still_fits_in_one_continue_as_new_input() -> None:
    """The worst case at the limit: every distinct comment repeated (a count each), the
    whole window of recent submission ids, many sources. Temporal refuses inputs over 2 MB
    (TMPRL1103); the ledger refuses new texts before its index could get there."""
    n = MAX_DISTINCT_COMMENTS
    state = LedgerState(
        paged=n,
        paged_digests="a" * DIGEST_CHARS * n,
        paged_status="." * n,
        paged_counts={i: 123_456 for i in range(n)},
        paged_sources={f"Hiệp hội {k}": 123_456 for k in range(200)},
        pages=["f" * 64] * (n // PAGE_SIZE + 1),
        recent={f"{i:032x}": comment_id(n - i) for i in range(RECENT_SUBMISSIONS)},
    )
    size = len(state.model_dump_json().encode("utf-8"))
    assert size < 1.8 * 1024 * 1024, f"{n} comments carry {size / 1024 / 1024:.2f} MiB"
