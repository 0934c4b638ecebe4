"""Links between cases (liên kết hồ sơ): an amendment drafted because of a feedback case or a
legality check, a feedback case forwarded to another agency. Each link is recorded on both
sides, so either one leads to the other."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class LinkKind(str, Enum):
    #: This drafting case amends that document (dự thảo sửa đổi, bổ sung).
    AMENDS = "amends"
    #: This document is being amended by that drafting case.
    AMENDED_BY = "amended_by"
    #: This feedback case was forwarded to that agency's own case (chuyển đơn).
    FORWARDED_TO = "forwarded_to"
    #: This feedback case was opened when that case forwarded it here.
    FORWARDED_FROM = "forwarded_from"

    @property
    def label(self) -> str:
        return {
            "amends": "Sửa đổi, bổ sung văn bản / Amends",
            "amended_by": "Được sửa đổi bởi hồ sơ / Amended by",
            "forwarded_to": "Đã chuyển đến / Forwarded to",
            "forwarded_from": "Chuyển từ / Forwarded from",
        }[self.value]


class CaseLink(BaseModel):
    """One side of a link: what kind, to which workflow, why and by whom."""

    model_config = ConfigDict(frozen=True)

    kind: LinkKind
    #: The workflow id on the other side (a drafting case, a feedback case).
    target: str = Field(min_length=1, max_length=300)
    title: str | None = Field(default=None, max_length=600)
    #: The workflow whose decision made the link (a feedback case, a check).
    via: str | None = Field(default=None, max_length=300)
    by: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=2000)
    at: datetime | None = None

    def line(self) -> str:
        who = f" — {self.by}" if self.by else ""
        via = f" (qua / via {self.via})" if self.via else ""
        return f"{self.kind.label}: {self.target}{via}{who}"


def memo_links(links: list[CaseLink]) -> list[dict[str, str]]:
    """The links as a memo value (what ops see in the UI next to the title)."""
    return [
        {"kind": link.kind.value, "target": link.target, **({"via": link.via} if link.via else {})}
        for link in links
    ]
