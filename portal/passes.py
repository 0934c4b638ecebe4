"""A background task in the portal that makes passes over the public's records (the feedback
forwarder, the follow notifier): one pass now, then one each ``period`` seconds or as soon as
something calls ``wake()``, and straight away again when a pass found a full ``batch``. A pass
that fails is logged and the next one tries again: what it did not finish is still due in
the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Self

log = logging.getLogger(__name__)


class Passes:
    #: The task's name (in logs and asyncio's task list).
    name = "passes"

    def __init__(self, *, period: float, batch: int) -> None:
        self.period = period
        self.batch = batch
        #: Passes made since it started (for ops and the tests).
        self.passes = 0
        self._wake = asyncio.Event()

    async def one_pass(self) -> int:
        """Do what is due; how many items it took (a full ``batch``: more may be due)."""
        raise NotImplementedError

    def wake(self) -> None:
        """Make a pass now rather than at the next period (call on the task's event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """Make a pass, then wait for a wake or the period, forever."""
        while True:
            # Cleared before the pass: a wake during it makes the next one.
            self._wake.clear()
            try:
                done = await self.one_pass()
            except Exception:
                # The database unreachable, say: what is due stays due; try again later.
                log.exception("%s: a pass failed", self.name)
                done = 0
            self.passes += 1
            if done >= self.batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.period)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """The task in the background while the block runs, cancelled after it (what a pass
        was doing is leased in the database and taken again once the lease ends)."""
        task = asyncio.create_task(self.run(), name=self.name)
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
