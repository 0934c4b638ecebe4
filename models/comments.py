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
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from activities.ports import SHA256_PATTERN, DocumentRef

#: A comment longer than this is refused (attach a document to a reply instead).
MAX_COMMENT_CHARS = 20_000


class Disposition(str, Enum):
    """How the drafting unit handled a comment."""

    ACCEPTED = "accepted"  # tiếp thu
    PARTLY = "partly"  # tiếp thu một phần
    EXPLAINED = "explained"  # giải trình (không tiếp thu, nêu lý do)

    @property
    def label(self) -> str:
        return {
            "accepted": "Tiếp thu / Accepted",
            "partly": "Tiếp thu một phần / Partly accepted",
            "explained": "Giải trình, không tiếp thu / Not accepted, explained",
        }[self.value]


def normalize(text: str) -> str:
    """The form two comments must share to count as the same: Unicode NFC, whitespace
    folded, case kept (case can matter in a legal text)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


class CommentRequest(BaseModel):
    """One submission, sent as the ledger's ``comment`` Update."""

    model_config = ConfigDict(frozen=True)
    author: str = Field(min_length=1, max_length=200)
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


class DispositionRequest(BaseModel):
    """The drafting unit's answer to one distinct comment (``dispose`` Update)."""

    model_config = ConfigDict(frozen=True)
    comment_id: str = Field(min_length=1, max_length=32)
    disposition: Disposition
    actor: str = Field(min_length=1, max_length=128)
    reason: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _reason_when_not_accepted(self) -> DispositionRequest:
        if self.disposition is not Disposition.ACCEPTED and not (self.reason or "").strip():
            raise ValueError("a partly accepted or explained comment needs a reason")
        return self


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


class LedgerState(BaseModel):
    """What a comment ledger carries from one run to the next."""

    entries: list[Entry] = Field(default_factory=list)
    #: The latest submission ids and the comment each landed on (a bounded window: retries
    #: come within seconds, also across continue-as-new).
    recent: dict[str, str] = Field(default_factory=dict)
    submissions: int = 0
    closed: bool = False
    runs: int = 1


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
