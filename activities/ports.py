"""Ports used by activities, and the values that cross them.

The workflows never touch storage or mail directly: activities call these protocols, and the
worker wires in an implementation (the embedded filesystem defaults, or real services).
Everything here is a plain pydantic model so it can travel as a Temporal payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SHA256_PATTERN = r"^[0-9a-f]{64}$"
NOTIFICATION_KEY_PATTERN = r"^[A-Za-z0-9._:/@-]+$"
DEFAULT_MEDIA_TYPE = "application/octet-stream"

# Frozen: these values are facts recorded in workflow history; nobody should mutate them.
# extra="forbid": a misspelt field should fail loudly rather than be dropped silently.
_VALUE = ConfigDict(frozen=True, extra="forbid")


class DocumentRef(BaseModel):
    """A content-addressed file in the document store (kho văn bản)."""

    model_config = _VALUE

    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=0)
    name: str = Field(min_length=1)  # original file name, e.g. "du-thao-1.docx"
    media_type: str = DEFAULT_MEDIA_TYPE


class DocumentVersion(BaseModel):
    """One numbered version of a case's document, e.g. a draft (dự thảo) or a report."""

    model_config = _VALUE

    case_id: str = Field(min_length=1)
    version: int = Field(ge=1)  # assigned by the workflow
    document: DocumentRef
    label: str = Field(min_length=1)  # e.g. "Dự thảo / Draft"
    recorded_by: str = Field(min_length=1)  # actor id
    # Supplied by the caller (the workflow's deterministic clock), never taken from the host.
    recorded_at: AwareDatetime


class Recipient(BaseModel):
    model_config = _VALUE

    actor_id: str = Field(min_length=1)
    name: str
    email: str | None = None


class Notification(BaseModel):
    """A message to people involved in a case (thông báo)."""

    model_config = _VALUE

    # Idempotency key, e.g. "<workflow id>/<event>/<n>": activity retries reuse it, so a
    # message is delivered at most once however often the activity runs.
    key: str = Field(pattern=NOTIFICATION_KEY_PATTERN, max_length=300)
    case_id: str = Field(min_length=1)
    kind: str = Field(min_length=1)  # "assignment", "reminder", "overdue", "decision", ...
    recipients: list[Recipient] = Field(min_length=1)
    subject: str
    body: str
    # Aware so that messages from different sources sort without naive/aware TypeErrors.
    created_at: AwareDatetime


class SendResult(BaseModel):
    model_config = _VALUE

    key: str
    delivered: bool  # False: this key had already been delivered, the duplicate was suppressed
    location: str  # where it went (a file path for the outbox)


PublicationChannel = Literal["consultation_portal", "cong_bao"]


class Publication(BaseModel):
    """A posting on a public channel: the draft on the consultation portal (Cổng thông tin
    điện tử, for comments) or the adopted text in the Công báo (official gazette)."""

    model_config = _VALUE

    # Idempotency key, e.g. "<workflow id>/publish/<channel>/<n>": retries reuse it, so a
    # document is posted at most once per intent however often the activity runs.
    key: str = Field(pattern=NOTIFICATION_KEY_PATTERN, max_length=300)
    case_id: str = Field(min_length=1)
    channel: PublicationChannel
    title: str = Field(min_length=1)
    document: DocumentRef  # the file posted, in the document store
    text: str  # what the posting says (trích yếu, instructions for comments, …)
    # The workflow's deterministic clock; optional so callers may leave it to the channel.
    requested_at: AwareDatetime | None = None


class PublishResult(BaseModel):
    model_config = _VALUE

    key: str
    published: bool  # False: this key had already been posted, the duplicate was suppressed
    location: str  # where it went (a file path, or the portal's URL for the posting)
    reference: str | None = None  # the channel's own id for the posting, if it returns one


class EffectItem(BaseModel):
    """One effect of a batch: exactly one of a document version, a notice or a posting."""

    model_config = _VALUE

    version: DocumentVersion | None = None
    notification: Notification | None = None
    publication: Publication | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EffectItem:
        if sum(x is not None for x in (self.version, self.notification, self.publication)) != 1:
            raise ValueError("an effect item holds one version, notification or publication")
        return self

    @property
    def effect(self) -> DocumentVersion | Notification | Publication:
        for value in (self.version, self.notification, self.publication):
            if value is not None:
                return value
        raise AssertionError("unreachable: the validator requires one")

    @property
    def key(self) -> str:
        """The effect's idempotency key (a version's is case id + number)."""
        effect = self.effect
        if isinstance(effect, DocumentVersion):
            return f"{effect.case_id}/version/{effect.version}"
        return effect.key


class EffectBatch(BaseModel):
    """What one stage entry asks of the store, the notifier and the publisher, carried out by
    one activity (issue #8: one activity and one workflow task per stage entry, not one per
    effect). Items are done in order; each keeps its own idempotency key."""

    model_config = _VALUE

    items: list[EffectItem] = Field(min_length=1)

    @staticmethod
    def progress(done: Mapping[int, EffectOutcome]) -> dict[str, object]:
        """The heartbeat detail that records ``done`` (item index → outcome)."""
        return {"done": [{"index": i, **o.model_dump()} for i, o in sorted(done.items())]}

    def done_in(self, details: Sequence[object]) -> dict[int, EffectOutcome]:
        """What an earlier attempt recorded as done (its last heartbeat's first detail), by
        item index; entries that do not match this batch's items are ignored."""
        first = details[0] if details else None
        entries = first.get("done") if isinstance(first, dict) else None
        done: dict[int, EffectOutcome] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            i, key, error = entry.get("index"), entry.get("key"), entry.get("error")
            if (
                isinstance(i, int)
                and 0 <= i < len(self.items)
                and key == self.items[i].key
                and (error is None or isinstance(error, str))
            ):
                done[i] = EffectOutcome(key=key, error=error)
        return done


class EffectOutcome(BaseModel):
    """How one item of an ``EffectBatch`` ended: ``error`` is None when it was done."""

    model_config = _VALUE

    key: str
    #: Why it could not be done ("<type>: <message>"), as the audit trail records it.
    error: str | None = None


class StoreError(Exception):
    """Base class for document store failures."""


class BlobNotFound(StoreError):
    """No blob with this hash is stored."""


class IntegrityError(StoreError):
    """Stored content does not match its hash."""


class VersionConflict(StoreError):
    """This case and version number are already recorded with a different document."""


class DocumentStore(Protocol):
    """Document store (kho văn bản): immutable blobs plus a per-case version log."""

    def put_blob(
        self, content: bytes, name: str, media_type: str = DEFAULT_MEDIA_TYPE
    ) -> DocumentRef:
        """Store content under its SHA-256; storing the same content again is a no-op."""
        ...

    def get_blob(self, sha256: str) -> bytes:
        """Return verified content; raise BlobNotFound or IntegrityError."""
        ...

    def has_blob(self, sha256: str) -> bool: ...

    def record_version(self, version: DocumentVersion) -> bool:
        """Record a version once.

        Return True if newly recorded, False if the identical record already existed (a
        retry). Raise VersionConflict if a different record exists for that number, and
        BlobNotFound if the referenced blob is not stored.
        """
        ...

    def list_versions(self, case_id: str) -> list[DocumentVersion]:
        """All recorded versions of a case, sorted by version number."""
        ...


class Notifier(Protocol):
    """Sends notifications; delivery is idempotent per Notification.key."""

    def send(self, notification: Notification) -> SendResult: ...


class Publisher(Protocol):
    """Posts documents on the consultation portal or the Công báo; idempotent per key."""

    def publish(self, publication: Publication) -> PublishResult: ...
