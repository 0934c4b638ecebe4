"""A consultation open to the public (lấy ý kiến rộng rãi qua cổng thông tin) as the case,
the portal and the public's records share it: what the portal shows of it, the comments the
public sends and the counts the case records. The texts, names and contacts stay in the
public's records (``public_records/``); a workflow only ever holds ``IntakeOpening`` and
``IntakeCounts``, which carry none."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.authorship import Signed
from models.choices import Disposition
from models.comments import normalize, reason_required
from models.interests import DeclaresInterest

#: Since this patch a case opens and closes the portal's intake with its comment ledger
#: (``workflows/drafting/carrying_out.py``).
PUBLIC_INTAKE_PATCH = "public-intake-with-the-ledger"
#: Since this patch the comment ledger, once the intake is closed, has the public's comments
#: clustered and counted, takes the drafting unit's answers to clusters (``dispose_public``)
#: and counts unanswered clusters among the comments that hold the synthesis.
PUBLIC_ANSWERS_PATCH = "public-comments-answered-in-the-ledger"


def email_or_phone(value: str) -> str:
    """An e-mail address (lower-cased) or a phone number (digits only), as the portal's forms
    take a contact; ValueError otherwise."""
    if "@" in value:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("give an e-mail address or a phone number")
        return value.lower()
    digits = value.replace(" ", "").replace(".", "").replace("-", "")
    if not (digits.lstrip("+").isdigit() and 8 <= len(digits.lstrip("+")) <= 15):
        raise ValueError("give an e-mail address or a phone number")
    return digits


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

    @property
    def label_en(self) -> str:
        return {
            "citizen": "Individuals",
            "business": "Businesses",
            "association": "Associations and organisations",
            "state_body": "State bodies",
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


class FromThePublic(BaseModel):
    """What every form of the portal takes from a person: the case it is about, a name, an
    e-mail address or phone number, and a text that is not blank."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)
    case_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=2, max_length=200)
    #: An e-mail address or a phone number.
    contact: str = Field(min_length=5, max_length=200)
    text: str = Field(min_length=1)

    @field_validator("contact")
    @classmethod
    def _email_or_phone(cls, value: str) -> str:
        return email_or_phone(value)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not normalize(value):
            raise ValueError("the text is empty")
        return value


class CommentSubmission(FromThePublic):
    """One comment from the portal's form."""

    #: The article (Điều) commented on; 0: the draft as a whole.
    article: int = Field(default=0, ge=0, le=10_000)
    speaks_for: SpeaksFor = SpeaksFor.CITIZEN
    text: str = Field(min_length=1, max_length=MAX_PUBLIC_COMMENT_CHARS)


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


class PublicDispositionRequest(Signed, DeclaresInterest):
    """The drafting unit's answer to one cluster of public comments (giải trình, tiếp thu ý
    kiến góp ý qua cổng), sent as the comment ledger's ``dispose_public`` Update; it applies
    to every comment of the cluster."""

    model_config = ConfigDict(frozen=True)
    #: The cluster's representative comment (its number in the public's records).
    cluster: int = Field(ge=1)
    disposition: Disposition
    actor: str = Field(min_length=1, max_length=128)
    reason: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _reason_when_not_accepted(self) -> PublicDispositionRequest:
        reason_required(self.disposition, self.reason)
        return self


class PublicDisposition(BaseModel):
    """Input of the ``dispose_public_cluster`` activity: the answer the ledger accepted."""

    case_id: str
    cluster: int
    disposition: Disposition
    reason: str | None = None
    by: str


class ClusterView(BaseModel):
    """One cluster of public comments as the drafting unit, the synthesis and the portal show
    it: its representative text, how many sent it and for which groups, and its answer (no
    name, no contact)."""

    representative: int
    article: int
    text: str
    count: int
    by_group: dict[SpeaksFor, int]
    disposition: Disposition | None = None
    reason: str | None = None


class GroupInfluence(BaseModel):
    """For one group: comments received and how their clusters were answered (ảnh hưởng
    của nhóm đối tượng), so a draft that took one interest's comments wholesale shows it."""

    group: SpeaksFor
    received: int = 0
    accepted: int = 0
    partly: int = 0
    explained: int = 0
    open: int = 0


class PublicSynthesis(BaseModel):
    """The public's part of the synthesis report (báo cáo tổng hợp, tiếp thu, giải trình):
    every cluster with its answer, and the influence of each group."""

    clusters: list[ClusterView]
    influence: list[GroupInfluence]

    @property
    def received(self) -> int:
        return sum(g.received for g in self.influence)


def influence_of(rows: list[tuple[str, str, int]]) -> list[GroupInfluence]:
    """(group, disposition or "open", comments) rows as one line per group, in a fixed order."""
    by_group = {g: GroupInfluence(group=g) for g in SpeaksFor}
    for group, disposition, n in rows:
        line = by_group[SpeaksFor(group)]
        line.received += n
        setattr(line, disposition, getattr(line, disposition) + n)
    return list(by_group.values())
