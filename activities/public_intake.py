"""Activities on a consultation's public comments in the public's records
(``public_records/``): the case opens and closes the portal's intake as it enters and leaves
a stage that takes comments; the comment ledger, once the intake is closed, has the comments
clustered and counted, and writes the drafting unit's answers to clusters. Each is
idempotent (opening an open intake changes nothing a citizen sees, closing a closed one keeps
its first close, a cluster keeps its members, an answer written twice is the same answer),
so a retry is harmless."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.comments import PublicTally
from models.public_consultation import (
    IntakeCounts,
    IntakeOpening,
    PublicDisposition,
)
from public_records import campaigns, dispositions
from public_records.comments import PublicComments


class PublicIntakeActivities:
    """Bound by the worker to the database the settings name."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url

    @cached_property
    def _records(self) -> PublicComments:
        # Opened on first use: a worker whose cases never take public comments never
        # connects (and one started while the database is down still serves its other work).
        return PublicComments.at(self._url)

    @activity.defn(name="open_public_intake")
    def open_public_intake(self, opening: IntakeOpening) -> None:
        """Mở nhận góp ý qua cổng thông tin: the portal takes comments on the draft."""
        self._records.open_intake(opening)

    @property
    def all(self) -> list[Callable[..., Any]]:
        """Both activities, for ``Worker(activities=...)``."""
        return [
            self.open_public_intake,
            self.close_public_intake,
            self.tally_public_comments,
            self.dispose_public_cluster,
        ]

    @activity.defn(name="close_public_intake")
    def close_public_intake(self, case_id: str) -> IntakeCounts:
        """Đóng nhận góp ý: no comment lands after this; the exact counts as of the close."""
        return self._records.close_intake(case_id)

    @activity.defn(name="tally_public_comments")
    def tally_public_comments(self, case_id: str) -> PublicTally:
        """Tổng hợp góp ý qua cổng: close the intake (if the case has not yet), put
        near-identical comments in clusters, and count what the drafting unit must answer."""
        records = self._records
        records.close_intake(case_id)
        campaigns.assign_clusters(records.db, case_id, progress=activity.heartbeat)
        return dispositions.tally(records.db, case_id)

    @activity.defn(name="dispose_public_cluster")
    def dispose_public_cluster(self, answer: PublicDisposition) -> PublicTally:
        """Giải trình, tiếp thu: the answer the ledger accepted, for each comment of the
        cluster; the tally after it."""
        try:
            return dispositions.dispose(self._records.db, answer)
        except dispositions.UnknownCluster as exc:
            raise ApplicationError(str(exc), type="UnknownCluster", non_retryable=True) from None
