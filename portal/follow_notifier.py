"""The follow notifier (thông báo cho người theo dõi dự thảo): tells each person following a
draft by e-mail when it reaches a milestone (``models/milestones.py``).

It runs as an asyncio task in the portal's lifespan (``running()``), wakes every ``period``
seconds (and at ``wake()``), and makes a pass:

1. for each case with an active follower, asks the Temporal server whether the case changed
   since this process last read it (a describe: its run and history length, answered by the
   server without the case's worker); only a case that changed is read (its procedure and
   audit trail, two queries), its milestones derived and recorded;
2. sends what is due (``Follows.due``: each milestone reached after the follower confirmed,
   not sent yet), each claimed first (a lease: another portal process skips it), under a key
   derived from (follow, milestone), and recorded as sent after the send.

Several portal processes may run it at once: a send is leased to one of them, and a send made
twice (a process that died after sending, before recording) carries the same key, which the
notifier delivers once. Nothing here writes to a workflow; the portal's client only reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.ports import Notifier
from models.case import AuditEntry
from models.definition import ProcessDefinition
from models.milestones import reached_milestones
from models.public_consultation import IntakeOpening
from portal.feedback_forwarder import backoff
from portal.follow_mail import milestone_mail
from portal.passes import Passes
from public_records.comments import PublicComments
from public_records.follows import DueSend, Follows, intake_times
from workflows.drafting.legislative_process import LegislativeProcess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseVersion:
    """Which state of a case was read: its run and history length (a case whose history
    has not grown is in the same state), and whether it still runs."""

    run_id: str
    history_length: int
    running: bool


@dataclass(frozen=True)
class CaseTrail:
    """What the milestones are derived from: the procedure the case runs under and its
    audit trail."""

    definition: ProcessDefinition
    audit: list[AuditEntry]


class Cases(Protocol):
    """How the notifier reads cases (``TemporalCases``; a stand-in in a test)."""

    async def version(self, case_id: str) -> CaseVersion | None:
        """The case's current version; None if there is no such case."""
        ...

    async def trail(self, case_id: str) -> CaseTrail: ...


class TemporalCases:
    """Cases as the Temporal server and the cases' workers answer."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def version(self, case_id: str) -> CaseVersion | None:
        try:
            desc = await self.client.get_workflow_handle(case_id).describe()
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return None
            raise
        return CaseVersion(
            run_id=desc.run_id or "",
            history_length=desc.history_length,
            running=desc.status is WorkflowExecutionStatus.RUNNING,
        )

    async def trail(self, case_id: str) -> CaseTrail:
        handle = self.client.get_workflow_handle(case_id)
        definition = await handle.query(LegislativeProcess.definition)
        audit = await handle.query(LegislativeProcess.audit)
        return CaseTrail(definition, audit)


class FollowNotifier(Passes):
    name = "follow-notifier"

    def __init__(
        self,
        follows: Follows,
        consultations: PublicComments,
        notifier: Notifier,
        cases: Cases,
        *,
        portal_url: str,
        period: float = 30.0,
        batch: int = 200,
        readers: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(period=period, batch=batch)
        self.follows = follows
        self.consultations = consultations
        self.notifier = notifier
        self.cases = cases
        self.portal_url = portal_url
        self.readers = readers
        self.clock = clock
        #: The version of each case whose milestones are recorded as of it.
        self._read: dict[str, CaseVersion] = {}

    async def one_pass(self) -> int:
        return await self.notify()

    async def notify(self) -> int:
        """One pass: end the follows never confirmed, record the milestones of the followed
        cases that changed, then send what is due; how many sends were due."""
        # A few cases at a time: each read waits on the server (and, if changed, a worker).
        turns = asyncio.Semaphore(self.readers)

        async def read(case_id: str) -> None:
            async with turns:
                try:
                    await self.record(case_id)
                except Exception as exc:  # Temporal or a worker unavailable: next pass
                    log.warning("follow notifier: %s not read: %s: %s", case_id,
                                type(exc).__name__, exc)  # fmt: skip

        await asyncio.to_thread(self.follows.expire_unconfirmed, self.clock())
        cases = await asyncio.to_thread(self.follows.followed_cases)
        await asyncio.gather(*(read(case_id) for case_id in cases))
        return await self.send_due()

    async def record(self, case_id: str) -> int:
        """Record the case's milestones if it changed since it was last read; how many were
        new."""
        known = self._read.get(case_id)
        if known is not None and not known.running:
            return 0  # a closed case changes no more
        version = await self.cases.version(case_id)
        if version is None:
            log.warning("follow notifier: %s is followed but no such case runs", case_id)
            return 0
        if version == known:
            return 0
        trail = await self.cases.trail(case_id)
        intake = await asyncio.to_thread(intake_times, self.consultations.db, case_id)
        reached = reached_milestones(trail.definition, trail.audit, intake)
        new = await asyncio.to_thread(self.follows.record_milestones, case_id, reached)
        # Read at ``version`` or later: a later change shows as another version next time.
        self._read[case_id] = version
        return new

    async def send_due(self) -> int:
        """Send each milestone due to each follower, once."""
        due = await asyncio.to_thread(self.follows.due, self.clock(), self.batch)
        openings: dict[str, IntakeOpening | None] = {}
        for d in due:
            if d.case_id not in openings:
                found = await asyncio.to_thread(self.consultations.consultation, d.case_id)
                openings[d.case_id] = found[0] if found else None
            await self.send(d, openings[d.case_id])
        return len(due)

    async def send(self, d: DueSend, opening: IntakeOpening | None) -> None:
        now = self.clock()
        if not await asyncio.to_thread(self.follows.claim, d.follow_id, d.milestone, now):
            return  # another process sends it, or sent it already
        if opening is None:
            # Followed from its draft's page, so it has a consultation; without one there is
            # no title to name it by: said to ops, and set aside (it would be due forever).
            log.warning("follow notifier: %s has no consultation to name it", d.case_id)
            await asyncio.to_thread(
                self.follows.give_up, d.follow_id, d.milestone, "no consultation to name it"
            )
            return
        mail = milestone_mail(
            follow_id=d.follow_id, email=d.email, token=d.token, milestone=d.milestone,
            legal_date=d.legal_date, opening=opening, portal_url=self.portal_url, now=now,
        )  # fmt: skip
        try:
            await asyncio.to_thread(self.notifier.send, mail)
        except ApplicationError as exc:
            if not exc.non_retryable:
                await self._later(d, exc)
                return
            # Refused for good (the relay refused the address): sending again cannot help.
            log.warning("follow %s: %s refused: %s", d.follow_id, d.milestone, exc)
            await asyncio.to_thread(self.follows.give_up, d.follow_id, d.milestone, str(exc))
            return
        except Exception as exc:
            await self._later(d, exc)
            return
        await asyncio.to_thread(self.follows.sent, d.follow_id, d.milestone, self.clock())

    async def _later(self, d: DueSend, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("follow %s: %s not sent (attempt %s): %s", d.follow_id, d.milestone,
                    d.attempts + 1, error)  # fmt: skip
        at = self.clock() + backoff(d.attempts + 1)
        await asyncio.to_thread(self.follows.retry, d.follow_id, d.milestone, at, error)
