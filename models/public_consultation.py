"""A consultation open to the public (lấy ý kiến rộng rãi qua cổng thông tin) as the case,
the portal and the public's records share it: what the portal shows of it, the comments the
public sends and the counts the case records. The texts, names and contacts stay in the
public's records (``public_records/``); a workflow only ever holds ``IntakeOpening`` and
``IntakeCounts``, which carry none."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.choices import Disposition
from models.comments import normalize

#: Since this patch a case opens and closes the portal's intake with its comment ledger
#: (``workflows/drafting/carrying_out.py``).
PUBLIC_INTAKE_PATCH = "public-intake-with-the-ledger"
#: A public comment longer than this is refused with a clear message.
MAX_PUBLIC_COMMENT_CHARS = 10_000


class SpeaksFor(str, Enum):
    """Whom a commenter speaks for: the groups whose influence on a draft is shown."""

    CITIZEN = "citizen"  # cá nhân, người dân
    BUSINESS = "business"  # doanh nghiệp
    ASSOCIATION = "association"  # hiệp hội, tổ chức xã hội
    STATE_BODY = "state_body"  # cơ quan nhà nước

    @property
    def label(self) -> str:
        return {
            "citizen": "Cá nhân, người dân",
            "business": "Doanh nghiệp",
            "association": "Hiệp hội, tổ chức",
            "state_body": "Cơ quan nhà nước",
        }[self.value]


class IntakeOpening(BaseModel):
    """What the portal shows of a consultation the case opens (no personal data)."""

    case_id: str = Field(min_length=1, max_length=200)
    title: str
    agency: str
    affected_groups: list[str] = Field(default_factory=list)
    summary: str = ""
    closes_on: date | None = None


class IntakeCounts(BaseModel):
    """Exact counts of a consultation's public comments, by group and disposition."""

    case_id: str
    received: int
    by_group: dict[str, int]
    by_disposition: dict[str, int]


class CommentSubmission(BaseModel):
    """One comment from the portal's form."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)
    case_id: str = Field(min_length=1, max_length=200)
    #: The article (Điều) commented on; 0: the draft as a whole.
    article: int = Field(default=0, ge=0, le=10_000)
    speaks_for: SpeaksFor = SpeaksFor.CITIZEN
    name: str = Field(min_length=2, max_length=200)
    #: An e-mail address or a phone number.
    contact: str = Field(min_length=5, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_PUBLIC_COMMENT_CHARS)

    @field_validator("contact")
    @classmethod
    def _email_or_phone(cls, value: str) -> str:
        if "@" in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
                raise ValueError("give an e-mail address or a phone number")
            return value.lower()
        digits = value.replace(" ", "").replace(".", "").replace("-", "")
        if not (digits.lstrip("+").isdigit() and 8 <= len(digits.lstrip("+")) <= 15):
            raise ValueError("give an e-mail address or a phone number")
        return digits

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not normalize(value):
            raise ValueError("the comment is empty")
        return value


class Receipt(BaseModel):
    tracking_code: str
    #: The same comment had been received before (this is its first receipt).
    duplicate: bool


class TrackedComment(BaseModel):
    """What anyone holding the tracking code sees: never the name or contact."""

    tracking_code: str
    case_id: str
    title: str
    article: int
    speaks_for: SpeaksFor
    text: str
    received_at: datetime
    disposition: Disposition | None
    reason: str | None
