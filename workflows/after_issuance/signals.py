"""Signals between the workflows after issuance: what a feedback case or a check tells the
document's monitoring. Workflow code (deterministic)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

#: Signals of the monitoring workflow, sent by its feedback cases and the document's checks.
FEEDBACK_CHANGED_SIGNAL = "feedback_changed"
CHECK_CHANGED_SIGNAL = "check_changed"
LINK_ADDED_SIGNAL = "link_added"
DOCUMENT_STATUS_SIGNAL = "document_status"


async def tell(workflow_id: str, signal: str, payload: BaseModel) -> bool:
    """Signal another workflow of the document; False if it has ended (nobody to tell)."""
    try:
        await workflow.get_external_workflow_handle(workflow_id).signal(signal, payload)
    except ApplicationError as err:
        workflow.logger.warning("could not signal %s (%s): %s", workflow_id, signal, err)
        return False
    return True
