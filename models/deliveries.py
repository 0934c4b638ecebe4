"""What workflows ask to be delivered outside them: notifications (thông báo) to people,
postings (on the consultation portal, in the Công báo), and the batch of one stage entry's
versions, notices and postings that one activity carries out (``EffectBatch``).

Plain frozen pydantic values, carried as Temporal payloads; ``activities/ports.py`` declares
the ports that deliver them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from models.documents import VALUE, DocumentRef, DocumentVersion

NOTIFICATION_KEY_PATTERN = r"^[A-Za-z0-9._:/@-]+$"


class Recipient(BaseModel):
    model_config = VALUE

    actor_id: str = Field(min_length=1)
    name: str
    email: str | None = None


class Notification(BaseModel):
    """A message to people involved in a case (thông báo)."""

    model_config = VALUE

    # Idempotency key, e.g. "<workflow id>/<event>/<n>": activity retries reuse it, so a
    # message is delivered at most once however often the activity runs.
    key: str = Field(pattern=NOTIFICATION_KEY_PATTERN, max_length=300)
    case_id: str = Field(min_length=1)
    kind: str = Field(min_length=1)  # "assignment", "reminder", "overdue", "decision", ...
    recipients: list[Recipient] = Field(min_length=1)
    subject: str
    body: str
    #: Where the workspace shows what the message is about (``/ho-so/<case id>``): the
    #: e-mail links it under the deployment's workspace address.
    link: str | None = None
    # Aware so that messages from different sources sort without naive/aware TypeErrors.
    created_at: AwareDatetime


class SendResult(BaseModel):
    model_config = VALUE

    key: str
    delivered: bool  # False: this key had already been delivered, the duplicate was suppressed
    location: str  # where it went (a file path for the outbox)


PublicationChannel = Literal["consultation_portal", "cong_bao"]


class Publication(BaseModel):
    """A posting on a public channel: the draft on the consultation portal (Cổng thông tin
    điện tử, for comments) or the adopted text in the Công báo (official gazette)."""

    model_config = VALUE

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
    model_config = VALUE

    key: str
    published: bool  # False: this key had already been posted, the duplicate was suppressed
    location: str  # where it went (a file path, or the portal's URL for the posting)
    reference: str | None = None  # the channel's own id for the posting, if it returns one


class EffectItem(BaseModel):
    """One effect of a batch: exactly one of a document version, a notice or a posting."""

    model_config = VALUE

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

    model_config = VALUE

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

    model_config = VALUE

    key: str
    #: Why it could not be done ("<type>: <message>"), as the audit trail records it.
    error: str | None = None
