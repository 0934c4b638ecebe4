"""Pages of a comment ledger in the document store (trang sổ theo dõi góp ý).

A ledger that continues as new writes its comments here (``write_ledger_page``) and carries
only their references; readers (the synthesis report, ``legisflow comments``) take the
ledger's ``view`` and load the pages with ``read_entries``. Pages are content-addressed
JSON, so a retried write stores nothing new and a view always names a consistent set.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import DocumentStore
from models.comments import Entry, LedgerPage, LedgerView, PageWrite, comment_index


def _broken(message: str) -> ApplicationError:
    # A page that does not line up is a bug, not an outage: retrying cannot mend it.
    return ApplicationError(message, type="LedgerPageMismatch", non_retryable=True)


def load_page(store: DocumentStore, sha256: str) -> LedgerPage:
    return LedgerPage.model_validate_json(store.get_blob(sha256))


def read_entries(store: DocumentStore, view: LedgerView) -> list[Entry]:
    """Every distinct comment of a ledger, in order, as of ``view``."""
    return view.assemble([load_page(store, sha) for sha in view.pages])


class LedgerPageActivities:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    @activity.defn(name="write_ledger_page")
    def write_ledger_page(self, req: PageWrite) -> str:
        """Apply changes to a stored page, append new comments, store the result; returns
        its sha256."""
        if req.base is not None:
            page = load_page(self.store, req.base)
        else:
            page = LedgerPage(ledger_id=req.ledger_id, first=req.page * req.page_size, entries=[])
        if page.ledger_id != req.ledger_id or page.first != req.page * req.page_size:
            raise _broken(f"page {req.base} is not page {req.page} of {req.ledger_id}")
        for change in req.changes:
            index = comment_index(change.id)
            if index is None or not 0 <= index - page.first < len(page.entries):
                raise _broken(f"{change.id} is not on page {req.page} of {req.ledger_id}")
            change.apply(page.entries[index - page.first])
        for entry in req.new:
            expected = page.first + len(page.entries)
            if comment_index(entry.id) != expected or len(page.entries) >= req.page_size:
                raise _broken(f"{entry.id} cannot follow comment #{expected} on page {req.page}")
            page.entries.append(entry)
        name = f"so-gop-y-trang-{req.page + 1:04d}.json"
        ref = self.store.put_blob(page.model_dump_json().encode("utf-8"), name, "application/json")
        return ref.sha256
