"""Comments on a draft (ý kiến góp ý) and their dispositions (giải trình, tiếp thu).

A comment's text lives in the document store; the case keeps a reference. Identical texts
(a form letter sent by many) are one distinct comment with a count: counted, never lost,
and given one disposition.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.authorship import Signed
from models.choices import Disposition
from models.documents import SHA256_PATTERN, DocumentRef
from models.interests import Declaration, DeclaresInterest

#: A comment longer than this is refused (attach a document to a reply instead).
MAX_COMMENT_CHARS = 20_000


def normalize(text: str) -> str:
    """The form two comments must share to count as the same: Unicode NFC, whitespace
    folded, case kept (case can matter in a legal text)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


class CommentRequest(BaseModel):
    """One submission, sent as the ledger's ``comment`` Update."""

    model_config = ConfigDict(frozen=True)
    #: Left empty since issue #19: the author is in the stored submission (``body``) and
    #: never in the ledger's history. Older histories carry a name here.
    author: str = Field(default="", max_length=200)
    #: The body, group or agency the comment comes from ("public" for an individual).
    source: str = Field(default="public", min_length=1, max_length=200)
    text_sha256: str = Field(pattern=SHA256_PATTERN)
    chars: int = Field(ge=1, le=MAX_COMMENT_CHARS)
    #: The stored submission (author, source, text) in the document store.
    body: DocumentRef
    #: Chosen by the client once per comment and kept across its retries, so a retry after
    #: an ambiguous failure is recognised and not counted twice.
    submission_id: str = Field(default="", max_length=64)


class CommentReceipt(BaseModel):
    comment_id: str
    duplicate: bool
    count: int


class DispositionRequest(Signed, DeclaresInterest):
    """The drafting unit's answer to one distinct comment (``dispose`` Update)."""

    model_config = ConfigDict(frozen=True)
    comment_id: str = Field(min_length=1, max_length=32)
    disposition: Disposition
    actor: str = Field(min_length=1, max_length=128)
    reason: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _reason_when_not_accepted(self) -> DispositionRequest:
        reason_required(self.disposition, self.reason)
        return self


def reason_required(disposition: Disposition, reason: str | None) -> None:
    """Only a comment taken in whole (tiếp thu) goes without a reason (giải trình)."""
    if disposition is not Disposition.ACCEPTED and not (reason or "").strip():
        raise ValueError("a partly accepted or explained comment needs a reason")


class Entry(BaseModel):
    """One distinct comment in the ledger: compact, because thousands travel across
    continue-as-new."""

    id: str
    sha: str
    ref: str  # sha256 of the first submission's stored body
    count: int = 1
    sources: dict[str, int] = Field(default_factory=dict)
    disposition: Disposition | None = None
    reason: str | None = None
    by: str | None = None


#: Distinct comments per stored page of a ledger (trang sổ góp ý).
PAGE_SIZE = 1000
#: Hex characters of a comment's text hash a ledger keeps for the comments in its pages:
#: 96 bits recognise a repeated text without loading any page.
DIGEST_CHARS = 24
#: One character per paged comment in ``LedgerState.paged_status``.
STATUS_CODES: dict[Disposition | None, str] = {
    None: ".",
    Disposition.ACCEPTED: "a",
    Disposition.PARTLY: "p",
    Disposition.EXPLAINED: "e",
}
STATUS_OF_CODE = {code: disposition for disposition, code in STATUS_CODES.items()}


def comment_id(index: int) -> str:
    """The id of the distinct comment at ``index`` (0-based): C00001, C00002, …"""
    return f"C{index + 1:05d}"


def comment_index(cid: str) -> int | None:
    """The 0-based index a comment id stands for, or None if it is not one."""
    match = re.fullmatch(r"C(\d{5,})", cid)
    return int(match.group(1)) - 1 if match and int(match.group(1)) > 0 else None


class EntryChange(BaseModel):
    """What happened during one run to a comment already written to a page: repeated
    submissions and the latest disposition. Applied to the page at continue-as-new."""

    id: str
    sources: dict[str, int] = Field(default_factory=dict)
    disposition: Disposition | None = None
    reason: str | None = None
    by: str | None = None

    def apply(self, entry: Entry) -> None:
        for source, n in self.sources.items():
            entry.sources[source] = entry.sources.get(source, 0) + n
            entry.count += n
        if self.disposition is not None:
            entry.disposition, entry.reason, entry.by = self.disposition, self.reason, self.by


class LedgerPage(BaseModel):
    """Up to ``PAGE_SIZE`` consecutive distinct comments, stored as a document (JSON)."""

    ledger_id: str
    first: int
    entries: list[Entry]


class PageWrite(BaseModel):
    """Input of the ``write_ledger_page`` activity: the page as it was (``base``, a stored
    page's sha256, or None for a new page), plus new comments and changes to apply."""

    ledger_id: str
    page: int
    page_size: int = Field(default=PAGE_SIZE, ge=1)
    base: str | None = None
    new: list[Entry] = Field(default_factory=list)
    changes: list[EntryChange] = Field(default_factory=list)


class PublicTally(BaseModel):
    """Where the public's comments on a draft stand, as the comment ledger holds them: counts
    only (the texts and who sent them stay in the public's records)."""

    comments: int = 0
    clusters: int = 0
    #: Clusters without a disposition: the drafting unit answers each once.
    open_clusters: int = 0
    by_group: dict[str, int] = Field(default_factory=dict)
    #: Comments by their cluster's disposition ("open" for those without).
    by_disposition: dict[str, int] = Field(default_factory=dict)


class LedgerState(BaseModel):
    """What a comment ledger carries from one run to the next.

    Comments received in the current run are ``entries``; at continue-as-new they are
    written to pages in the document store and only a compact index travels on: the page
    references, a text digest and a one-character status per comment, the counts of
    repeated comments and totals by source (25 bytes per distinct comment, up to 16 more if
    it was repeated: 40,000 carry at most 1.56 MiB, under Temporal's 2 MB payload limit;
    the ledger takes no more distinct texts than that). A ledger from before pages existed
    carries every entry in ``entries`` and no page.
    """

    #: Comments not yet written to a page, in order, starting at index ``paged``.
    entries: list[Entry] = Field(default_factory=list)
    #: The latest submission ids and the comment each landed on (a bounded window: retries
    #: come within seconds, also across continue-as-new).
    recent: dict[str, str] = Field(default_factory=dict)
    submissions: int = 0
    closed: bool = False
    runs: int = 1
    #: sha256 of each stored page; page k holds comments k*page_size … (k+1)*page_size-1.
    pages: list[str] = Field(default_factory=list)
    page_size: int = Field(default=PAGE_SIZE, ge=1)
    #: How many comments (the first ones) are in pages.
    paged: int = 0
    #: ``DIGEST_CHARS`` of text hash per paged comment, in order.
    paged_digests: str = ""
    #: One ``STATUS_CODES`` character per paged comment.
    paged_status: str = ""
    #: Submission count of each paged comment submitted more than once, by index.
    paged_counts: dict[int, int] = Field(default_factory=dict)
    #: Submissions per source over the paged comments.
    paged_sources: dict[str, int] = Field(default_factory=dict)
    #: Changes to paged comments made while their pages were being written: applied to the
    #: pages at the next continue-as-new.
    changes: list[EntryChange] = Field(default_factory=list)
    #: The synthesis was done as the run continued: the next run ends at once.
    finished: bool = False
    #: Proofs of authorship accepted and not yet expired (each is usable once).
    used_proofs: dict[str, datetime] = Field(default_factory=dict)
    #: The drafters' declarations of interest (kê khai xung đột lợi ích).
    declarations: list[Declaration] = Field(default_factory=list)
    #: The public's comments through the portal, counted since the intake last closed
    #: (None while it is open, and until the count is in).
    public: PublicTally | None = None


class LedgerView(BaseModel):
    """A consistent snapshot of a ledger for readers outside the workflow (the report,
    ``legisflow comments``): stored pages plus what the current run holds in memory."""

    pages: list[str]
    paged: int
    entries: list[Entry]
    changes: list[EntryChange]

    def assemble(self, pages: list[LedgerPage]) -> list[Entry]:
        """Every distinct comment in order, from the loaded ``pages`` (same order as
        ``self.pages``) with this run's changes applied."""
        entries = [e for page in pages for e in page.entries]
        if len(entries) != self.paged:
            raise ValueError(f"the pages hold {len(entries)} comments; expected {self.paged}")
        for change in self.changes:
            index = comment_index(change.id)
            if index is None or index >= self.paged:
                raise ValueError(f"a change to {change.id!r}, which is not in a page")
            change.apply(entries[index])
        return entries + self.entries


class DispositionReceipt(BaseModel):
    """What the ``dispose`` Update returns."""

    comment_id: str
    disposition: Disposition
    reason: str | None = None
    by: str


class CommentSummary(BaseModel):
    """Counts for ``legisflow comments``: by source and disposition, and what is open."""

    submissions: int
    distinct: int
    duplicates: int
    open: int
    closed: bool
    by_source: dict[str, int]
    by_disposition: dict[str, int]
    open_ids: list[str]
    runs: int
    as_of: datetime | None = None
    #: The public's comments through the portal, once clustered and counted (``open``
    #: includes their unanswered clusters, and 1 while the count is awaited).
    public: PublicTally | None = None
