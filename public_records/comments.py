"""Public comments on drafts (ý kiến góp ý của người dân, tổ chức) and the consultations that
take them (lấy ý kiến rộng rãi).

A consultation's intake is opened and closed by its case (through an activity,
``activities/public_intake.py``); the portal can only add comments to an open one, checked
in the same transaction that writes the comment, so no comment slips in after the close and
the counts the case records at the close are exact. The same text from the same contact on
the same article is one comment: sending it again returns the first receipt.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

from models.choices import Disposition
from models.comments import text_hash
from models.public_consultation import (
    CommentSubmission,
    IntakeCounts,
    IntakeOpening,
    Receipt,
    SpeaksFor,
    TrackedComment,
)
from public_records.database import Cursor, Database
from public_records.dispositions import influence_rows
from public_records.schema import SCHEMA
from public_records.tracking_codes import new_code, normalized

#: A comment's answer: its cluster's disposition (``c`` is the comment, ``d`` the answer).
ANSWER_JOIN = (
    "LEFT JOIN public_comment_clusters g ON g.comment_id = c.id LEFT JOIN public_dispositions "
    "d ON d.case_id = g.case_id AND d.representative = g.representative"
)
#: Fresh codes drawn for one comment before giving up (each collides with chance < 1e-6).
CODE_DRAWS = 5
#: The tracking code of a comment starts so (góp ý).
COMMENT_PREFIX = "GY"


class IntakeClosed(Exception):
    """The draft takes no comments now; the message says so for people."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _source_key(case_id: str, contact: str) -> str:
    # Who sent it, without keeping the contact in the uniqueness key.
    return hashlib.sha256(f"{case_id}\n{contact}".encode()).hexdigest()


class PublicComments:
    """The consultations and their public comments in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def at(cls, url: str) -> PublicComments:
        return cls(Database(url, SCHEMA))

    # ---- the case's side (activities) -----------------------------------------------------

    def open_intake(self, opening: IntakeOpening) -> None:
        """Open (or reopen) the consultation for comments."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO consultations (case_id, title, agency, affected_groups, summary, "
                "closes_on, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO "
                "UPDATE SET title = excluded.title, agency = excluded.agency, affected_groups "
                "= excluded.affected_groups, summary = excluded.summary, closes_on = "
                "excluded.closes_on, closed_at = NULL",
                (
                    opening.case_id,
                    opening.title,
                    opening.agency,
                    json.dumps(opening.affected_groups, ensure_ascii=False),
                    opening.summary,
                    opening.closes_on.isoformat() if opening.closes_on else None,
                    _now(),
                ),
            )

    def close_intake(self, case_id: str) -> IntakeCounts:
        """Take no more comments; the counts as of the close (exact: no comment can land after
        it commits). Closing a closed one keeps its first close."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE consultations SET closed_at = ? WHERE case_id = ? AND closed_at IS NULL",
                (_now(), case_id),
            )
            return self._counts(cur, case_id)

    def counts(self, case_id: str) -> IntakeCounts:
        with self.db.transaction(write=False) as cur:
            return self._counts(cur, case_id)

    def _counts(self, cur: Cursor, case_id: str) -> IntakeCounts:
        by_group: dict[str, int] = {}
        by_disposition: dict[str, int] = {}
        for group, disposition, n in influence_rows(cur, case_id):
            by_group[group] = by_group.get(group, 0) + n
            by_disposition[disposition] = by_disposition.get(disposition, 0) + n
        return IntakeCounts(
            case_id=case_id,
            received=sum(by_group.values()),
            by_group=by_group,
            by_disposition=by_disposition,
        )

    # ---- the public's side (the portal) ---------------------------------------------------

    def open_consultations(self, limit: int = 200) -> list[IntakeOpening]:
        """Consultations taking comments now, those closing soonest first."""
        with self.db.transaction(write=False) as cur:
            cur.execute(
                "SELECT case_id, title, agency, affected_groups, summary, closes_on FROM "
                "consultations WHERE closed_at IS NULL ORDER BY closes_on, case_id LIMIT ?",
                (limit,),
            )
            return [_opening(row) for row in cur.fetchall()]

    def consultation(self, case_id: str) -> tuple[IntakeOpening, bool] | None:
        """The consultation and whether it takes comments now, or None if there is none."""
        with self.db.transaction(write=False) as cur:
            cur.execute(
                "SELECT case_id, title, agency, affected_groups, summary, closes_on, closed_at "
                "FROM consultations WHERE case_id = ?",
                (case_id,),
            )
            row = cur.fetchone()
        return None if row is None else (_opening(row[:6]), row[6] is None)

    def submit(self, sub: CommentSubmission) -> Receipt:
        """Keep the comment durably and return its receipt; IntakeClosed if the draft takes
        no comments now."""
        return self.submit_titled(sub)[0]

    def submit_titled(self, sub: CommentSubmission) -> tuple[Receipt, str]:
        """``submit``, with the draft's title read in the same transaction (the receipt page
        names the draft: one transaction per comment, not two)."""
        sha = text_hash(sub.text)
        source = _source_key(sub.case_id, sub.contact)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT closed_at, title FROM consultations WHERE case_id = ?", (sub.case_id,)
            )
            row = cur.fetchone()
            if row is None:
                raise IntakeClosed(
                    "Dự thảo này không lấy ý kiến qua cổng. / This draft is not open for comments."
                )
            if row[0] is not None:
                raise IntakeClosed(
                    "Đã hết thời gian lấy ý kiến về dự thảo này. / The comment period for this "
                    "draft has closed."
                )
            title = str(row[1])
            # A code is 40 random bits: among a million comments two may draw the same one
            # (about one chance in three). Any conflict writes nothing; if the comment is not
            # already there, it was the code's, and a new code is drawn.
            for _ in range(CODE_DRAWS):
                cur.execute(
                    "INSERT INTO public_comments (tracking_code, case_id, article, speaks_for, "
                    "text, text_sha256, source_key, name, contact, received_at) VALUES (?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING tracking_code",
                    (
                        new_code(COMMENT_PREFIX),
                        sub.case_id,
                        sub.article,
                        sub.speaks_for.value,
                        sub.text,
                        sha,
                        source,
                        sub.name,
                        sub.contact,
                        _now(),
                    ),
                )
                row = cur.fetchone()
                if row is not None:
                    return Receipt(tracking_code=row[0], duplicate=False), title
                cur.execute(
                    "SELECT tracking_code FROM public_comments WHERE case_id = ? AND "
                    "source_key = ? AND article = ? AND text_sha256 = ?",
                    (sub.case_id, source, sub.article, sha),
                )
                row = cur.fetchone()
                if row is not None:
                    return Receipt(tracking_code=row[0], duplicate=True), title
            raise RuntimeError(f"no free tracking code in {CODE_DRAWS} draws")

    def tracked(self, code: str) -> TrackedComment | None:
        """The comment under a tracking code as typed, or None."""
        stored = normalized(code)
        if stored is None:
            return None
        with self.db.transaction(write=False) as cur:
            cur.execute(
                "SELECT c.tracking_code, c.case_id, k.title, c.article, c.speaks_for, c.text, "
                "c.received_at, d.disposition, d.reason FROM public_comments c JOIN "
                f"consultations k ON k.case_id = c.case_id {ANSWER_JOIN} WHERE "
                "c.tracking_code = ?",
                (stored,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return TrackedComment(
            tracking_code=row[0],
            case_id=row[1],
            title=row[2],
            article=row[3],
            speaks_for=SpeaksFor(row[4]),
            text=row[5],
            received_at=datetime.fromisoformat(row[6]),
            disposition=Disposition(row[7]) if row[7] else None,
            reason=row[8],
        )


def _opening(row: tuple[object, ...]) -> IntakeOpening:
    case_id, title, agency, groups, summary, closes_on = row
    return IntakeOpening(
        case_id=str(case_id),
        title=str(title),
        agency=str(agency),
        affected_groups=json.loads(str(groups)),
        summary=str(summary),
        closes_on=date.fromisoformat(str(closes_on)) if closes_on else None,
    )
