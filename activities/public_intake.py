"""Activities that open and close a consultation's intake of public comments in the public's
records (``public_records/``): the case runs them as it enters and leaves a stage that
takes comments. Both are idempotent (opening an open intake changes nothing a citizen sees;
closing a closed one keeps its first close), so a retry is harmless."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from temporalio import activity

from models.public_consultation import IntakeCounts, IntakeOpening
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
        return [self.open_public_intake, self.close_public_intake]

    @activity.defn(name="close_public_intake")
    def close_public_intake(self, case_id: str) -> IntakeCounts:
        """Đóng nhận góp ý: no comment lands after this; the exact counts as of the close."""
        return self._records.close_intake(case_id)
