"""Notification texts after issuance (thông báo): feedback received, a check's conclusion
and escalation, monitoring started, a report ready. Vietnamese with English, like
``models.notifications`` (whose reminder and overdue notices the workflows reuse)."""

from __future__ import annotations

from collections.abc import Sequence

from models.deliveries import Notification, Recipient
from models.documents import DocumentRef
from models.legal_time import StageDeadline
from models.notifications import CaseHeader, due_text


def feedback_received(
    h: CaseHeader,
    *,
    key: str,
    to: Sequence[Recipient],
    deadlines: Sequence[tuple[str, StageDeadline]],
    forwarded_from: str | None,
) -> Notification:
    """To the agency's handlers: a new feedback case, and each time limit it must meet
    (label and deadline)."""
    origin = [f"Chuyển từ / Forwarded from: {forwarded_from}"] if forwarded_from is not None else []
    return h.notice(
        kind="feedback_received",
        key=key,
        to=to,
        subject="Kiến nghị, phản ánh mới / New citizen feedback",
        body="\n".join(
            [
                *origin,
                "Phân loại; nếu không thuộc thẩm quyền, chuyển cơ quan có thẩm quyền; nếu thuộc "
                "thẩm quyền, trả lời / Classify it; forward it if it is outside your "
                f"competence, else answer it: `legisflow feedback status {h.case_id}`",
                *(f"  {label} — hạn / due {due_text(dl)}" for label, dl in deadlines),
            ]
        ),
    )


def check_opened(h: CaseHeader, *, key: str, to: Sequence[Recipient], by: str) -> Notification:
    return h.notice(
        kind="check_opened",
        key=key,
        to=to,
        subject="Kiểm tra văn bản / A legality check was opened",
        body=f"Người kiểm tra / Checker: {by}",
    )


def check_concluded(
    h: CaseHeader,
    *,
    key: str,
    to: Sequence[Recipient],
    outcome: str,
    findings: str | None,
    basis: str | None,
    handlings: Sequence[str],
    deadline: StageDeadline | None,
) -> Notification:
    lines = [f"Kết luận / Conclusion: {outcome}"]
    if findings:
        lines.append(f"Nội dung / Findings: {findings}")
    if basis:
        lines.append(f"Căn cứ pháp lý / Legal basis: {basis}")
    if handlings:
        lines.append(
            "Cơ quan ban hành phải xử lý / The issuer must handle it: " + ", ".join(handlings)
        )
        lines.append(f"  `legisflow check handle {h.case_id} --as <id> --action …`")
    if deadline is not None:
        lines.append(f"Hạn / Due: {due_text(deadline)}")
    return h.notice(
        kind="check_concluded",
        key=key,
        to=to,
        subject="Kết luận kiểm tra văn bản / Legality check concluded",
        body="\n".join(lines),
    )


def check_escalated(
    h: CaseHeader, *, key: str, to: Sequence[Recipient], deadline: StageDeadline
) -> Notification:
    return h.notice(
        kind="check_escalated",
        key=key,
        to=to,
        subject="QUÁ HẠN xử lý văn bản, kiến nghị cấp trên / Handling OVERDUE: escalated",
        body="\n".join(
            [
                "Cơ quan ban hành chưa xử lý văn bản theo kết luận kiểm tra trong thời hạn; "
                "đề nghị cơ quan cấp trên xem xét đình chỉ, bãi bỏ. / The issuer did not "
                "handle the conclusion in time; the higher authority is asked to suspend or "
                "annul it:",
                f"  `legisflow check handle {h.case_id} --as <id> --action suspend|annul`",
                f"Hạn đã qua / Deadline passed: {due_text(deadline)}",
            ]
        ),
    )


def monitoring_started(
    h: CaseHeader, *, key: str, to: Sequence[Recipient], plan: Sequence[str]
) -> Notification:
    return h.notice(
        kind="monitoring_started",
        key=key,
        to=to,
        subject="Văn bản có hiệu lực: theo dõi thi hành / In force: monitoring starts",
        body="\n".join(
            [
                "Kế hoạch / Plan:",
                *(f"- {p}" for p in plan),
                f"Ghi nhận / Record: `legisflow monitor record {h.case_id} --kind … --as <id>`",
            ]
        ),
    )


def report_ready(
    h: CaseHeader, *, key: str, to: Sequence[Recipient], label: str, refs: Sequence[DocumentRef]
) -> Notification:
    return h.notice(
        kind="monitoring_report",
        key=key,
        to=to,
        subject=f"Báo cáo / Report: {label}",
        body="\n".join([f"- {r.name} (sha256 {r.sha256})" for r in refs]),
    )
