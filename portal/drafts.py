"""What the portal shows of one draft (dự thảo lấy ý kiến): the consultation as the public's
records hold it, the versions of its text the drafting unit recorded on the case, the text
of the one shown, and how long it stays open. No person's name or contact is in it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.ports import DocumentStore
from client.documents import text_of
from client.status_cache import StatusCache
from models.case import CaseStatus
from models.definition import Body
from models.documents import DocumentVersion
from models.legal_time import VIETNAM_TZ
from models.public_consultation import IntakeOpening
from models.registry import Registry
from portal.articles import Article, Block, articles, blocks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftPage:
    opening: IntakeOpening
    open_now: bool
    #: Legal days left to comment, counting today (0: the last day has passed).
    days_left: int | None
    versions: list[DocumentVersion]
    #: The version shown (the latest unless one was asked for), its text and articles.
    shown: DocumentVersion | None
    blocks: list[Block]
    articles: list[Article]
    status: CaseStatus | None


def days_left(closes_on: date | None, today: date) -> int | None:
    """Days a citizen still has, today and the closing day included."""
    return None if closes_on is None else max(0, (closes_on - today).days + 1)


def legal_today(status: CaseStatus | None) -> date:
    """The case's legal day (a demo's days are short), else today in Vietnam."""
    return status.legal_today if status else datetime.now(VIETNAM_TZ).date()


def draft_versions(status: CaseStatus, registry: Registry) -> list[DocumentVersion]:
    """The versions the drafting unit recorded: the draft as it evolved (not a body's reply,
    an appraisal or the audit trail, which others recorded)."""
    definition = registry.get(status.type, status.regime)
    drafting = {
        person
        for role, spec in definition.roles.items()
        if spec.body is Body.DRAFTING
        for person in status.roles.get(role, [])
    }
    return [v for v in status.documents if v.recorded_by in drafting]


async def draft_page(
    opening: IntakeOpening,
    open_now: bool,
    *,
    client: Client,
    cache: StatusCache,
    store: DocumentStore,
    registry: Registry,
    version: int | None = None,
) -> DraftPage:
    status: CaseStatus | None
    try:
        status = await cache.status(client, opening.case_id, recent=30.0)
    except (RPCError, WorkflowQueryFailedError) as exc:
        # The case cannot be read (Temporal unreachable, or a closed case past its
        # namespace's retention): the page still shows what the portal's records hold.
        log.warning("the case of draft %s cannot be read: %s", opening.case_id, exc)
        status = None
    versions = draft_versions(status, registry) if status is not None else []
    shown = next((v for v in versions if v.version == version), None) if version else None
    shown = shown or (versions[-1] if versions else None)
    text = ""
    if shown is not None:
        text = text_of(shown.document.name, store.get_blob(shown.document.sha256))
    return DraftPage(
        opening=opening,
        open_now=open_now,
        days_left=days_left(opening.closes_on, legal_today(status)),
        versions=versions,
        shown=shown,
        blocks=blocks(text),
        articles=articles(text),
        status=status,
    )
