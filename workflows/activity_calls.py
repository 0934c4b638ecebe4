"""How workflows call their activities: one place for timeouts, retries and summaries.

Called from workflow code only (deterministic): these helpers just schedule activities.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.audit import AuditExport
    from models.comments import PublicTally
    from models.deliveries import (
        EffectBatch,
        EffectOutcome,
        Notification,
        SendResult,
    )
    from models.documents import DocumentRef, DocumentVersion
    from models.feedback import FeedbackInput
    from models.links import CaseLink
    from models.monitoring import MonitoringReport
    from models.post_issuance import (
        AgencyPeople,
        AgencyRequest,
        LinkedCaseRequest,
        PeopleRequest,
        PostIssuancePeople,
        PostIssuanceRules,
    )
    from models.public_consultation import (
        IntakeCounts,
        IntakeOpening,
        PublicDisposition,
    )
    from models.signature_evidence import SignatureCheck, SignedDocumentCheck
    from models.synthesis_report import ReportRequest

#: Bound on one attempt of a short activity that is alive but slow (a request to a relay, a
#: portal or an object store that neither answers nor fails).
START_TO_CLOSE = timedelta(seconds=30)
#: A short activity whose worker died is retried elsewhere after this long without a
#: heartbeat, not after the whole START_TO_CLOSE (issue #8, P5). The filesystem adapters
#: finish in milliseconds; the network adapters heartbeat every 2 s while a request is in
#: flight (activities/delivery.py ``heartbeating``), so a slow live request is not cut.
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
#: The synthesis report heartbeats per page of comments read and per document stored.
REPORT_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
#: A failed side effect is retried for up to a day before it is reported, not the case failed.
SCHEDULE_TO_CLOSE = timedelta(days=1)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=[
        "BlobNotFound",
        "VersionConflict",
        "InvalidNotification",
        "PermanentDeliveryFailure",
        "PermanentStoreFailure",
        "PublisherNotConfigured",
    ],
)

T = TypeVar("T")


async def call_activity(
    name: str,
    *args: Any,
    result_type: type[T],
    summary: str,
    start_to_close: timedelta = START_TO_CLOSE,
    heartbeat: timedelta | None = None,
) -> T:
    """Schedule activity ``name`` the way every workflow here does: ``start_to_close`` per
    attempt (``heartbeat`` if it heartbeats), retried under ``RETRY`` for up to
    ``SCHEDULE_TO_CLOSE``, with ``summary`` shown in the UI."""
    result: T = await workflow.execute_activity(
        name,
        args=args,
        result_type=result_type,
        start_to_close_timeout=start_to_close,
        heartbeat_timeout=heartbeat,
        schedule_to_close_timeout=SCHEDULE_TO_CLOSE,
        retry_policy=RETRY,
        summary=summary,
    )
    return result


async def send_notification(notice: Notification) -> SendResult:
    """Deliver once per ``notice.key`` (the notifier deduplicates retries)."""
    return await call_activity(
        "send_notification",
        notice,
        result_type=SendResult,
        heartbeat=HEARTBEAT_TIMEOUT,
        summary=f"Thông báo {notice.kind}: " + ", ".join(r.actor_id for r in notice.recipients),
    )


async def carry_out_effects(batch: EffectBatch) -> list[EffectOutcome]:
    """Record, notify and post one stage entry's effects in one activity, once per key each;
    one outcome per item, in order."""
    return await call_activity(
        "carry_out_effects",
        batch,
        result_type=list[EffectOutcome],
        heartbeat=HEARTBEAT_TIMEOUT,
        summary=_summary(batch)[:400],
    )


def _summary(batch: EffectBatch) -> str:
    parts = []
    for item in batch.items:
        effect = item.effect
        if isinstance(effect, DocumentVersion):
            parts.append(f"Lưu phiên bản {effect.version}: {effect.label}")
        elif isinstance(effect, Notification):
            to = ", ".join(r.actor_id for r in effect.recipients)
            parts.append(f"Thông báo {effect.kind}: {to}")
        else:
            parts.append(f"Đăng / Publish on {effect.channel}: {effect.document.name}")
    return "; ".join(parts)


async def generate_synthesis_report(request: ReportRequest) -> list[DocumentRef]:
    """Render the synthesis report from the comment ledger (Word + Markdown)."""
    return await call_activity(
        "generate_synthesis_report",
        request,
        result_type=list[DocumentRef],
        start_to_close=timedelta(minutes=10),
        heartbeat=REPORT_HEARTBEAT_TIMEOUT,
        summary="Lập bản tổng hợp, giải trình, tiếp thu ý kiến / Synthesis report",
    )


async def check_signed_document(check: SignedDocumentCheck) -> SignatureCheck:
    """Check the stored signed file whole, and its certificate's revocation."""
    return await call_activity(
        "check_signed_document",
        check,
        result_type=SignatureCheck,
        summary="Kiểm tra lại văn bản đã ký số / Check the signed document",
    )


async def open_public_intake(opening: IntakeOpening) -> None:
    """Let the public portal take comments on the draft."""
    await call_activity(
        "open_public_intake",
        opening,
        result_type=type(None),
        summary="Mở nhận góp ý qua cổng / Open the portal's comments",
    )


async def close_public_intake(case_id: str) -> IntakeCounts:
    """Stop the portal taking comments; the exact counts as of the close."""
    return await call_activity(
        "close_public_intake",
        case_id,
        result_type=IntakeCounts,
        summary="Đóng nhận góp ý qua cổng / Close the portal's comments",
    )


async def tally_public_comments(case_id: str) -> PublicTally:
    """Cluster and count the public's comments once the intake is closed (heartbeats)."""
    return await call_activity(
        "tally_public_comments",
        case_id,
        result_type=PublicTally,
        start_to_close=timedelta(minutes=10),
        heartbeat=REPORT_HEARTBEAT_TIMEOUT,
        summary="Nhóm, đếm góp ý qua cổng / Cluster and count the portal's comments",
    )


async def dispose_public_cluster(answer: PublicDisposition) -> PublicTally:
    """Write an accepted answer to a cluster of public comments."""
    return await call_activity(
        "dispose_public_cluster",
        answer,
        result_type=PublicTally,
        summary=f"Giải trình nhóm góp ý {answer.cluster} / Answer cluster {answer.cluster}",
    )


async def store_audit_export(export: AuditExport) -> DocumentRef:
    """Store the chained audit trail as a document of the case."""
    return await call_activity(
        "store_audit_export",
        export,
        result_type=DocumentRef,
        heartbeat=HEARTBEAT_TIMEOUT,
        summary=f"Lưu nhật ký / Store audit trail ({len(export.lines)} entries)",
    )


# ---- after issuance ---------------------------------------------------------------------


async def load_rules() -> PostIssuanceRules:
    return await call_activity(
        "load_post_issuance_rules",
        result_type=PostIssuanceRules,
        summary="Quy định sau ban hành / Post-issuance rules",
    )


async def resolve_people(req: PeopleRequest) -> PostIssuancePeople:
    return await call_activity(
        "resolve_post_issuance_people",
        req,
        result_type=PostIssuancePeople,
        summary=f"Danh bạ / Directory: people of {req.drafting_agency}",
    )


async def feedback_agency(req: AgencyRequest) -> AgencyPeople:
    return await call_activity(
        "feedback_agency_people",
        req,
        result_type=AgencyPeople,
        summary=f"Danh bạ / Directory: who answers for {req.agency}",
    )


async def start_linked_case(req: LinkedCaseRequest) -> CaseLink:
    """Start (once: the case id derives from the request) the amendment's drafting case."""
    return await call_activity(
        "start_linked_case",
        req,
        result_type=CaseLink,
        summary=f"Hồ sơ sửa đổi / Start the amendment of {req.document.case_id}",
    )


async def start_feedback(inp: FeedbackInput) -> str:
    """Start a feedback case (an independent workflow, once per id: see activities.linking)."""
    return await call_activity(
        "start_feedback_case",
        inp,
        result_type=str,
        summary=f"Phản ánh / Feedback {inp.number} → {inp.agency.id}",
    )


async def generate_report(report: MonitoringReport) -> list[DocumentRef]:
    return await call_activity(
        "generate_monitoring_report",
        report,
        result_type=list[DocumentRef],
        start_to_close=timedelta(minutes=5),
        summary=f"Báo cáo theo dõi thi hành / Monitoring report ({report.kind})",
    )


async def count_open_comments(ledger_id: str) -> int:
    """The ledger's own count of comments without a disposition (``activities/children.py``)."""
    return await call_activity(
        "count_open_comments",
        ledger_id,
        result_type=int,
        summary=f"Góp ý chưa xử lý / Comments without a disposition: {ledger_id}",
    )


async def case_ledger_state(case_id: str) -> str:
    """The case's own word on its comment ledger: open, closed or finished."""
    return await call_activity(
        "case_ledger_state",
        case_id,
        result_type=str,
        summary=f"Sổ góp ý / Comment ledger state, as {case_id} says",
    )
