"""Feedback on a document in force sent through the public portal (kiến nghị, phản ánh về văn
bản qua cổng thông tin), as the portal, the public's records and the forwarder share it.

The citizen's name and contact stay in the public's records (``public_records/feedback.py``);
the forwarder hands the monitoring workflow only what ``client.after_issuance.submit_feedback``
hands it (a reference to the stored text), and what anyone holding the tracking code sees
(``TrackedFeedback``) carries neither.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.choices import Category
from models.feedback import MAX_FEEDBACK_CHARS
from models.public_consultation import FromThePublic

#: What each kind is called on the portal (the citizen chooses; the agency classifies).
KIND_LABELS = {Category.RECOMMENDATION: "Kiến nghị", Category.REPORT: "Phản ánh"}


class PortalFeedback(FromThePublic):
    """One feedback from the portal's form (kiến nghị hoặc phản ánh về một văn bản); its
    ``case_id`` is the document's case (its monitoring is ``<case_id>/monitoring``)."""

    kind: Category
    text: str = Field(min_length=1, max_length=MAX_FEEDBACK_CHARS)


class TrackedFeedback(BaseModel):
    """What anyone holding the tracking code sees of the record: never the name or contact."""

    tracking_code: str
    case_id: str
    #: The document's title as the portal showed it when the feedback was sent.
    title: str
    kind: Category
    text: str
    received_at: datetime
    #: The feedback case the forwarder started (None: not delivered yet).
    feedback_id: str | None = None
    forwarded_at: datetime | None = None
    #: Why it can never be delivered (the document no longer takes feedback).
    refused: str | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


class Delivery(BaseModel):
    """A feedback the forwarder is to hand to the document's monitoring (no name, no
    contact: the forwarder never needs them)."""

    row: int
    case_id: str
    monitoring_id: str
    kind: Category
    text: str
    received_at: datetime
    #: The Update id the delivery is sent under: the same key to the same run is received
    #: once (Temporal remembers a run's Update ids).
    key: str
    #: The monitoring run the delivery is pinned to, once chosen.
    run_id: str | None = None
    #: Attempts so far, this one included.
    attempts: int = 1
