"""Refuse workflow activations that would run on a stale clock (worker side, not workflow code).

The hazard, seen in the crash proof at 200 cases (bench/README.md, P7): a worker that does not
have a case in its cache gets a *query* for it. It fetches the history to rebuild the case, and
that history may end with events no workflow task has handled yet, for instance an activity
that completed while the next workflow task still waited for a dead worker. The SDK core runs
the workflow code over those trailing events at once, with ``workflow.now()`` still at the last
completed task's start. It keeps the commands that code produced, and sends them with the next
real workflow task. A replay later runs the same events with that task's own, later time. If a
deadline fell in between, the replay takes the other branch (an overdue notice instead of a
reminder timer) and the case stops on a nondeterminism error.

Every workflow here decides something from ``workflow.now()`` (deadlines, reminders,
escalations), so the guard sits below all of them. It refuses such an activation. That
activation is the only one that is not replaying, brings history the worker has not seen
before, and still carries the clock of the activation before it; a new workflow task always
comes with its own later start time. Refusing fails the query, which the caller may retry,
and makes the core drop the case from its cache. The next workflow task then rebuilds the case
from scratch, on the task's own time. Histories and commands are unchanged, so no
``workflow.patched`` is needed.
"""

from __future__ import annotations

import structlog
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.workflow import Info

from client.connection import STALE_CLOCK_REFUSAL as REFUSED

log = structlog.get_logger("legisflow.time_guard")


#: What the guard remembers of an activation: its history length and its time (ns).
Seen = tuple[int, int]


def seen(act: WorkflowActivation) -> Seen:
    return (act.history_length, act.timestamp.ToNanoseconds())


def is_stale(previous: Seen | None, act: WorkflowActivation) -> bool:
    """New history (not a replay) that arrives without a new workflow task time."""
    if previous is None or act.is_replaying:
        return False
    length, time = seen(act)
    return length > previous[0] and time == previous[1]


class TimeGuard:
    """One case's guard: remembers the last activation's clock and refuses a stale one.
    ``worker_runtime/runner.py`` puts one in front of every workflow instance."""

    def __init__(self) -> None:
        self._previous: Seen | None = None

    def refusal(self, act: WorkflowActivation, info: Info) -> WorkflowActivationCompletion | None:
        """The failed completion to answer ``act`` with, or None to let it run."""
        if is_stale(self._previous, act):
            log.warning(
                "refused a stale activation",
                workflow_id=info.workflow_id,
                run_id=act.run_id,
                history_length=act.history_length,
                seen_history_length=self._previous[0] if self._previous else 0,
            )
            completion = WorkflowActivationCompletion(run_id=act.run_id)
            completion.failed.failure.message = REFUSED
            return completion
        if act.timestamp.ToNanoseconds():  # not the clockless eviction activation
            self._previous = seen(act)
        return None
