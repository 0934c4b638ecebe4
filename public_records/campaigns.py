"""Campaigns in a consultation's public comments (nhóm ý kiến trùng lặp, chiến dịch vận
động): near-identical comments are put in one cluster, named by its earliest comment, so the
drafting unit reads and answers a form letter once however many sent it. Assigned when the
intake closes (``assign_clusters``); a comment already in a cluster keeps it, so a reopened
consultation's new comments form clusters of their own and no answer moves."""

from __future__ import annotations

from collections.abc import Callable

from models.choices import Disposition
from models.public_consultation import ClusterView, SpeaksFor
from public_records.database import Database

#: Comments read per query while gathering a consultation's texts.
READ_BATCH = 10_000


def assign_clusters(
    db: Database, case_id: str, progress: Callable[[int], None] = lambda n: None
) -> int:
    """Cluster the comments of ``case_id`` not yet in a cluster; how many were assigned.
    ``progress`` hears how many texts were read so far (an activity heartbeats on it)."""
    texts: dict[int, list[tuple[int, str]]] = {}  # by article
    read = 0
    last = 0
    while True:
        with db.transaction() as cur:
            cur.execute(
                "SELECT c.id, c.article, c.text FROM public_comments c LEFT JOIN "
                "public_comment_clusters g ON g.comment_id = c.id WHERE c.case_id = ? AND "
                "c.id > ? AND g.comment_id IS NULL ORDER BY c.id LIMIT ?",
                (case_id, last, READ_BATCH),
            )
            rows = cur.fetchall()
        if not rows:
            break
        for i, article, text in rows:
            texts.setdefault(int(article), []).append((int(i), str(text)))
        read += len(rows)
        last = int(rows[-1][0])
        progress(read)
    # Each article on its own: the same words about two articles are two comments, and a
    # short form ("sửa khoản 2 Điều 5") is not joined to its twin about another article.
    # Imported here: clustering brings numpy, datasketch and scipy (about 90 MB of a worker's
    # memory, docs/capacity.md), needed only once a consultation closes.
    from public_records.clusters import cluster_comments

    clusters = [c for on_article in texts.values() for c in cluster_comments(on_article)]
    with db.transaction() as cur:
        for cluster in clusters:
            for member in cluster.members:
                cur.execute(
                    "INSERT INTO public_comment_clusters (comment_id, case_id, representative) "
                    "VALUES (?, ?, ?) ON CONFLICT (comment_id) DO NOTHING",
                    (member, case_id, cluster.representative),
                )
    return read


def clusters_page(
    db: Database, case_id: str, *, offset: int = 0, limit: int = 50, only_open: bool = False
) -> list[ClusterView]:
    """Clusters of ``case_id``, the largest first (then the earliest)."""
    open_only = "AND d.representative IS NULL" if only_open else ""
    with db.transaction() as cur:
        cur.execute(
            "SELECT g.representative, COUNT(*), d.disposition, d.reason FROM "
            "public_comment_clusters g LEFT JOIN public_dispositions d ON d.case_id = "
            f"g.case_id AND d.representative = g.representative WHERE g.case_id = ? {open_only} "
            "GROUP BY g.representative, d.disposition, d.reason ORDER BY COUNT(*) DESC, "
            "g.representative LIMIT ? OFFSET ?",
            (case_id, limit, offset),
        )
        heads = cur.fetchall()
        views = []
        for representative, count, disposition, reason in heads:
            cur.execute("SELECT article, text FROM public_comments WHERE id = ?", (representative,))
            article, text = cur.fetchone()
            cur.execute(
                "SELECT c.speaks_for, COUNT(*) FROM public_comment_clusters g JOIN "
                "public_comments c ON c.id = g.comment_id WHERE g.case_id = ? AND "
                "g.representative = ? GROUP BY c.speaks_for",
                (case_id, representative),
            )
            views.append(
                ClusterView(
                    representative=int(representative),
                    article=int(article),
                    text=str(text),
                    count=int(count),
                    by_group={SpeaksFor(g): int(n) for g, n in cur.fetchall()},
                    disposition=Disposition(disposition) if disposition else None,
                    reason=reason,
                )
            )
    return views
