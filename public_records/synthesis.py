"""The public's part of a draft's synthesis (tổng hợp, tiếp thu, giải trình ý kiến qua
cổng): every cluster with its answer, and each group's influence. The synthesis report
(``activities/reports.py``) and the portal's page of a closed draft show the same."""

from __future__ import annotations

from models.public_consultation import ClusterView, PublicSynthesis
from public_records.campaigns import clusters_page
from public_records.database import Database
from public_records.dispositions import influence

#: Clusters read per query.
BATCH = 500


def public_synthesis(db: Database, case_id: str, limit: int | None = None) -> PublicSynthesis:
    """The synthesis of ``case_id``'s public comments (the ``limit`` largest clusters, or
    all)."""
    clusters: list[ClusterView] = []
    while limit is None or len(clusters) < limit:
        size = BATCH if limit is None else min(BATCH, limit - len(clusters))
        batch = clusters_page(db, case_id, offset=len(clusters), limit=size)
        clusters += batch
        if len(batch) < size:
            break
    return PublicSynthesis(clusters=clusters, influence=influence(db, case_id))
