"""Signals between the workflows after issuance: what a feedback case or a check tells the
document's monitoring. Workflow code (deterministic)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

#: Signals of the monitoring workflow, sent by its feedback cases and the document's checks.
FEEDBACK_CHANGED_SIGNAL = "feedback_changed"
CHECK_CHANGED_SIGNAL = "check_changed"
LINK_ADDED_SIGNAL = "link_added"
DOCUMENT_STATUS_SIGNAL = "document_status"


#: ``workflow.patched`` id: a signal refused as "not found" is tried again a few times.
RETRY_SIGNAL_PATCH = "retry-a-signal-not-found"
#: How many times a refused signal is sent in all, and the first wait between two tries
#: (doubled after each: 1, 2, 4 s). The time-skipping test server answers "not found" to a
#: signal sent while its target continues as new (sdk-java#1538, docs/upstream.md §3), and
#: a lost ``feedback_changed`` is a case the monitoring never counts; a workflow that has
#: really ended is given up on after 7 s.
SIGNAL_ATTEMPTS = 4
SIGNAL_RETRY_DELAY = timedelta(seconds=1)


async def tell(workflow_id: str, signal: str, payload: BaseModel) -> bool:
    """Signal another workflow of the document; False if it has ended (nobody to tell)."""
    attempt = 1
    while True:
        try:
            await workflow.get_external_workflow_handle(workflow_id).signal(signal, payload)
        except ApplicationError as err:
            # Histories from before the retry replay as they ran: no marker, no timer.
            if attempt >= SIGNAL_ATTEMPTS or not workflow.patched(RETRY_SIGNAL_PATCH):
                workflow.logger.warning("could not signal %s (%s): %s", workflow_id, signal, err)
                return False
            await workflow.sleep(SIGNAL_RETRY_DELAY * 2 ** (attempt - 1))
            attempt += 1
        else:
            return True
