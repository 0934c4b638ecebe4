"""The drafting unit's answers to the public's comments (giải trình, tiếp thu), one per
cluster (``campaigns.py``), written by the comment ledger's activity once the ledger has
accepted the decision and checked its author; and the counts the ledger, the synthesis and
the portal show: by group and by disposition (ảnh hưởng của từng nhóm đối tượng)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.comments import PublicTally
from models.public_consultation import GroupInfluence, PublicDisposition, influence_of
from public_records.database import Cursor, Database


class UnknownCluster(LookupError):
    """No cluster of this consultation is named so."""


def dispose(db: Database, answer: PublicDisposition) -> PublicTally:
    """Record (or correct) the answer to one cluster; the tally after it."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT 1 FROM public_comment_clusters WHERE case_id = ? AND comment_id = ? AND "
            "representative = comment_id",
            (answer.case_id, answer.cluster),
        )
        if cur.fetchone() is None:
            raise UnknownCluster(
                f"không có nhóm góp ý số {answer.cluster} / no cluster {answer.cluster} in "
                f"the public comments on {answer.case_id}"
            )
        cur.execute(
            "INSERT INTO public_dispositions (case_id, representative, disposition, reason, "
            "by_person, decided_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, "
            "representative) DO UPDATE SET disposition = excluded.disposition, reason = "
            "excluded.reason, by_person = excluded.by_person, decided_at = excluded.decided_at",
            (
                answer.case_id,
                answer.cluster,
                answer.disposition.value,
                answer.reason,
                answer.by,
                datetime.now(UTC).isoformat(),
            ),
        )
        return _tally(cur, answer.case_id)


def tally(db: Database, case_id: str) -> PublicTally:
    with db.transaction() as cur:
        return _tally(cur, case_id)


def _tally(cur: Cursor, case_id: str) -> PublicTally:
    cur.execute(
        "SELECT COUNT(*), SUM(CASE WHEN d.representative IS NULL THEN 1 ELSE 0 END) FROM "
        "public_comment_clusters g LEFT JOIN public_dispositions d ON d.case_id = g.case_id "
        "AND d.representative = g.representative WHERE g.case_id = ? AND g.comment_id = "
        "g.representative",
        (case_id,),
    )
    clusters, open_clusters = cur.fetchone()
    by_group: dict[str, int] = {}
    by_disposition: dict[str, int] = {}
    for group, disposition, n in influence_rows(cur, case_id):
        by_group[group] = by_group.get(group, 0) + n
        by_disposition[disposition] = by_disposition.get(disposition, 0) + n
    return PublicTally(
        comments=sum(by_group.values()),
        clusters=int(clusters or 0),
        open_clusters=int(open_clusters or 0),
        by_group=by_group,
        by_disposition=by_disposition,
    )


def influence(db: Database, case_id: str) -> list[GroupInfluence]:
    """Each group's comments and how they were answered."""
    with db.transaction() as cur:
        return influence_of(influence_rows(cur, case_id))


def influence_rows(cur: Cursor, case_id: str) -> list[tuple[str, str, int]]:
    """(group, disposition or "open", comments) of every comment on the draft."""
    cur.execute(
        "SELECT c.speaks_for, COALESCE(d.disposition, 'open'), COUNT(*) FROM public_comments c "
        "LEFT JOIN public_comment_clusters g ON g.comment_id = c.id LEFT JOIN "
        "public_dispositions d ON d.case_id = g.case_id AND d.representative = g.representative "
        "WHERE c.case_id = ? GROUP BY c.speaks_for, d.disposition",
        (case_id,),
    )
    return [(str(g), str(d), int(n)) for g, d, n in cur.fetchall()]
