"""The forwarder (chuyển phản ánh từ cổng đến cơ quan): delivers the feedback the portal has
committed to each document's monitoring workflow, records the feedback case each started,
and tries again later what could not be delivered.

The portal never waits for it: a citizen's receipt is the committed row. It runs as an asyncio
task (``running()``: the portal's lifespan starts it; any other process with a Temporal client
can too), wakes at each new submission (``wake()``) and every ``period`` seconds for the
retries. Several forwarders may run at once (portal replicas): a row is leased to one at a
time, and even a row sent twice is received once (``client/portal_feedback.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from temporalio.client import Client

from activities.ports import DocumentStore
from client.errors import CaseActionRefused
from client.portal_feedback import RunClosed, deliver_feedback, monitoring_run
from models.choices import Category
from models.feedback import FeedbackReceipt
from models.public_feedback import Delivery
from portal.passes import Passes
from public_records.feedback import PublicFeedback
from settings import Settings

log = logging.getLogger(__name__)

#: The refusal code of a monitoring that takes no feedback (its document suspended, annulled).
NOT_IN_FORCE = "not_in_force"
#: Why a row is never delivered, as its tracking page says it.
NO_LONGER_IN_FORCE = (
    "Văn bản này không còn nhận kiến nghị, phản ánh (đã ngưng hiệu lực hoặc bị bãi bỏ), nên "
    "phản ánh của bạn không được chuyển đến cơ quan xử lý."
)
#: A delivery moves to the monitoring's next run at most this often in one attempt (each
#: move needs the run it leaves to have closed: two in a row is already unusual).
MAX_RUN_MOVES = 3


class Send(Protocol):
    """``client.portal_feedback.deliver_feedback``, or a stand-in in a test."""

    def __call__(
        self,
        client: Client,
        store: DocumentStore,
        case_id: str,
        *,
        run_id: str,
        key: str,
        kind: Category,
        text: str,
        received_at: datetime,
    ) -> Awaitable[FeedbackReceipt]: ...


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 5 s doubling, at most 15
    minutes (Temporal or a worker down for a while is not hammered)."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), 900))


class FeedbackForwarder(Passes):
    name = "feedback-forwarder"

    def __init__(
        self,
        records: PublicFeedback,
        store: DocumentStore,
        client: Client,
        *,
        period: float = 15.0,
        batch: int = 50,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        send: Send = deliver_feedback,
    ) -> None:
        super().__init__(period=period, batch=batch)
        self.records = records
        self.store = store
        self.client = client
        self.clock = clock
        self.send = send

    async def one_pass(self) -> int:
        return await self.deliver_due()

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass: claim the rows due at ``now`` and deliver each; how many were claimed."""
        claimed = await asyncio.to_thread(self.records.claim, now or self.clock(), self.batch)
        for delivery in claimed:
            await self.deliver(delivery)
        return len(claimed)

    async def deliver(self, d: Delivery) -> None:
        """Deliver one claimed row and record what came of it."""
        run = d.run_id
        if run is None:
            current = await self._current_run(d)
            if current is None:
                return
            # Committed before the first send: whatever happens to its result, a later
            # attempt asks this same run, which remembers the Update id.
            run = await asyncio.to_thread(self.records.pin, d.row, current)
        for _ in range(MAX_RUN_MOVES):
            try:
                receipt = await self.send(
                    self.client, self.store, d.case_id, run_id=run, key=d.key, kind=d.kind,
                    text=d.text, received_at=d.received_at,
                )  # fmt: skip
            except RunClosed:
                # The run closed without taking it (it continued as new, or the monitoring
                # ended): only now may the delivery go to another run.
                current = await self._current_run(d)
                if current is None:
                    return
                if current == run:
                    await self._later(d, f"run {run} said closed but is running")
                    return
                run = await asyncio.to_thread(self.records.pin, d.row, current, replacing=run)
                continue
            except CaseActionRefused as refused:
                if refused.code == NOT_IN_FORCE:
                    await asyncio.to_thread(self.records.refuse, d.row, NO_LONGER_IN_FORCE)
                    log.info("feedback row %s refused by %s: %s", d.row, d.case_id, refused.code)
                    return
                # Failed under this key (the feedback case could not start, say): the run
                # keeps that outcome for the key, so the next attempt needs a new one.
                await self._later(d, f"{refused.code}: {refused}", replace_key=True)
                return
            except Exception as exc:  # every other failure is retried later
                # The result is unknown (Temporal unreachable, a timeout): same key, same run.
                await self._later(d, f"{type(exc).__name__}: {exc}")
                return
            await asyncio.to_thread(self.records.delivered, d.row, receipt.feedback_id)
            log.info("feedback row %s delivered: %s", d.row, receipt.feedback_id)
            return
        await self._later(d, "the monitoring changed runs too often during one attempt")

    async def _current_run(self, d: Delivery) -> str | None:
        """The monitoring's running run; None (and the row refused) if it has none."""
        try:
            current = await monitoring_run(self.client, d.case_id)
        except Exception as exc:  # Temporal unreachable: try again later
            await self._later(d, f"{type(exc).__name__}: {exc}")
            return None
        if current is None:
            await asyncio.to_thread(self.records.refuse, d.row, NO_LONGER_IN_FORCE)
            log.info("feedback row %s: %s has no running monitoring", d.row, d.case_id)
        return current

    async def _later(self, d: Delivery, error: str, *, replace_key: bool = False) -> None:
        at = self.clock() + backoff(d.attempts)
        log.warning("feedback row %s not delivered (attempt %s): %s", d.row, d.attempts, error)
        await asyncio.to_thread(
            self.records.retry, d.row, error, at, replace_key=d.key if replace_key else None
        )


async def forward_feedback(
    settings: Settings, client: Client, store: DocumentStore, **options: Any
) -> None:
    """Run a forwarder for ``settings``' public records until cancelled (a process other than
    the portal may run it; several may run at once)."""
    records = PublicFeedback.at(settings.database)
    await FeedbackForwarder(records, store, client, **options).run()
