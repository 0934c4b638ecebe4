"""Case statuses already read, kept by a long-running client (the workspace) so that a page
asks a case's worker again only when the case has changed.

A query reaches the case's worker (and replays the case if the worker has let it out of its
cache); a describe is answered by the Temporal server alone. A case whose history has not
grown since its status was read is in the same state, so a describe stands in for the query.
Time alone changes a status in one way without an event — a deputy's delegation ending at
its legal day — so an entry is also asked again once it is ``max_age`` seconds old. A listing
may accept a status read within the last few seconds without even a describe (``recent``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowExecutionStatus

from client.cases import as_of, status
from models.case import CaseStatus


@dataclass
class StatusCache:
    """At most ``size`` statuses, the least recently used dropped first."""

    size: int = 20_000
    max_age: float = 60.0
    _entries: OrderedDict[str, tuple[int, float, CaseStatus]] = field(default_factory=OrderedDict)
    #: Statuses answered from the cache, and by a query (for the benchmark and ops).
    hits: int = 0
    queries: int = 0

    async def status(self, client: Client, case_id: str, recent: float = 0.0) -> CaseStatus:
        """The case's status. ``recent``: a status read less than this many seconds ago is
        good enough without asking the server even whether the case changed (the inbox, a
        listing that visibility already makes a moment late; a case page asks)."""
        now = time.monotonic()
        entry = self._entries.get(case_id)
        if entry is not None and now - entry[1] < recent:
            self.hits += 1
            return as_of(entry[2])
        desc = await client.get_workflow_handle(case_id).describe()
        length = desc.history_length
        running = desc.status is WorkflowExecutionStatus.RUNNING
        if entry is not None and running and entry[0] == length and now - entry[1] < self.max_age:
            self.hits += 1
            self._entries.move_to_end(case_id)
            return as_of(entry[2])
        self.queries += 1
        st = await status(client, case_id)
        # Read at ``length`` or later: a later change shows as a longer history next time.
        self._entries[case_id] = (length, now, st)
        self._entries.move_to_end(case_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return st

    def forget(self, case_id: str) -> None:
        """Read the case afresh next time (the caller has just sent it a decision)."""
        self._entries.pop(case_id, None)
