"""What a case learns from its children by asking them (their own word), rather than from a
signal anyone who reaches the Temporal frontend could send (issue #17: a forged
``comments_open 0`` let a synthesis through with 289 comments unanswered)."""

from __future__ import annotations

from temporalio import activity

from models.comments import CommentSummary

#: The comment ledger's query (``workflows/drafting/comment_ledger.py``: ``summary``).
LEDGER_SUMMARY = "summary"


@activity.defn(name="count_open_comments")
async def count_open_comments(ledger_id: str) -> int:
    """How many distinct comments the case's comment ledger holds without a disposition."""
    handle = activity.client().get_workflow_handle(ledger_id)
    summary: CommentSummary = await handle.query(LEDGER_SUMMARY, result_type=CommentSummary)
    return summary.open


#: The drafting case's query (``workflows/drafting/case_views.py``: ``ledger_state``).
CASE_LEDGER_STATE = "ledger_state"


@activity.defn(name="case_ledger_state")
async def case_ledger_state(case_id: str) -> str:
    """Whether the case's comment ledger is open, closed or finished, as the case says."""
    state: str = (
        await activity.client()
        .get_workflow_handle(case_id)
        .query(CASE_LEDGER_STATE, result_type=str)
    )
    return state
