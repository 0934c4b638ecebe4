"""Notification texts (thông báo): what the recipient must do and by when, in Vietnamese
with English. Pure: the workflow builds them, the Notifier port delivers them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from models.actors import ActorRef
from models.case import AllowedAction
from models.delegation import Delegation
from models.deliveries import Notification, Recipient
from models.legal_time import StageDeadline


def recipients(actors: Iterable[ActorRef]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for a in actors:
        seen.setdefault(a.id, Recipient(actor_id=a.id, name=a.name, email=a.email))
    return list(seen.values())


def due_text(dl: StageDeadline) -> str:
    """A deadline for people: its legal date, how it was counted, its basis."""
    d = dl.counted.due
    unconfirmed = "" if dl.rule.confirmed else " [chưa xác nhận / unconfirmed]"
    return f"{d:%d/%m/%Y} ({dl.explanation_vi()})\nCăn cứ / Basis: {dl.rule.basis}{unconfirmed}"


def _due(dl: StageDeadline | None) -> str:
    return "" if dl is None else f"\nHạn / Due: {due_text(dl)}"


@dataclass(frozen=True)
class CaseHeader:
    """What every notification about a case starts with."""

    case_id: str
    title: str
    stage_label: str
    stage_en: str
    at: datetime

    def text(self) -> str:
        return (
            f"Hồ sơ / Case: {self.title}\nMã / Id: {self.case_id}\n"
            f"Bước hiện tại / Current stage: {self.stage_label} ({self.stage_en})"
        )

    def notice(
        self, *, kind: str, key: str, to: Sequence[Recipient], subject: str, body: str
    ) -> Notification:
        """A notification about this case: ``subject`` then the title; this header, then
        ``body``."""
        return Notification(
            key=key,
            case_id=self.case_id,
            kind=kind,
            recipients=list(to),
            created_at=self.at,
            subject=f"[legisflow] {subject} — {self.title}",
            body=f"{self.text()}\n{body}" if body else self.text(),
            link=f"/ho-so/{self.case_id}",
        )


def assignment(
    h: CaseHeader,
    *,
    key: str,
    actions: list[AllowedAction],
    to: list[Recipient],
    deadline: StageDeadline | None,
    came_back: str | None = None,
) -> Notification:
    """``came_back``: the return or rejection that sent the case here, with its note."""
    todo = "\n".join(f"- {a.label} / {a.label_en}" for a in actions)
    why = f"Hồ sơ được trả lại / The case came back: {came_back}\n" if came_back else ""
    return h.notice(
        kind="assignment",
        key=key,
        to=to,
        subject=f"Việc cần xử lý / Action needed: {h.stage_label}",
        body=f"{why}Việc cần làm / What to do:\n{todo}{_due(deadline)}",
    )


def reminder(
    h: CaseHeader, *, key: str, to: list[Recipient], deadline: StageDeadline
) -> Notification:
    return h.notice(
        kind="reminder",
        key=key,
        to=to,
        subject=f"Sắp đến hạn / Deadline approaching: {h.stage_label}",
        body=f"Bước này sắp hết hạn / This stage is due soon.{_due(deadline)}",
    )


def overdue(
    h: CaseHeader, *, key: str, to: list[Recipient], deadline: StageDeadline
) -> Notification:
    return h.notice(
        kind="overdue",
        key=key,
        to=to,
        subject=f"QUÁ HẠN / OVERDUE: {h.stage_label}",
        body="Bước này đã quá hạn; đề nghị lãnh đạo chỉ đạo xử lý. Hồ sơ vẫn tiếp tục. / "
        "This stage is overdue; the head of the responsible body is asked to act. "
        f"The case stays open.{_due(deadline)}",
    )


def period_elapsed(
    h: CaseHeader, *, key: str, to: list[Recipient], deadline: StageDeadline
) -> Notification:
    return h.notice(
        kind="period_elapsed",
        key=key,
        to=to,
        subject=f"Đã hết thời hạn tối thiểu / Minimum period elapsed: {h.stage_label}",
        body=f""
        "Thời hạn tối thiểu đã hết; có thể chuyển bước tiếp theo. / The minimum period "
        f"has elapsed; the case may now move on.{_due(deadline)}",
    )


def delegated(
    h: CaseHeader, *, key: str, to: list[Recipient], delegation: Delegation
) -> Notification:
    """To the holder and the deputy: who signs for whom, and until when."""
    d = delegation
    return h.notice(
        kind="delegated",
        key=key,
        to=to,
        subject=f"Ký thay / Signing for: {d.role_label}",
        body=(
            f"{d.signed_as()}, đến hết ngày {d.until:%d/%m/%Y}.\n"
            f"{d.deputy.name} signs for {d.holder.name} ({d.role_label}) until the end of "
            f"{d.until:%Y-%m-%d}. Lý do / Reason: {d.reason}"
        ),
    )


def acted_for(
    h: CaseHeader, *, key: str, to: list[Recipient], delegation: Delegation, action: str
) -> Notification:
    """To the holder: what their deputy decided in their name."""
    d = delegation
    return h.notice(
        kind="acted_for",
        key=key,
        to=to,
        subject=f"Đã ký thay / Signed for you: {action}",
        body=f"{d.signed_as()}: {action}.\n{d.deputy.name} took this decision for {d.holder.name}.",
    )


def reassigned(
    h: CaseHeader, *, key: str, to: list[Recipient], role_label: str, person: str, why: str
) -> Notification:
    """To the person who takes a role in this case from someone who stands aside or is
    absent, and to that someone: the task is theirs now, and why."""
    return h.notice(
        kind="reassigned",
        key=key,
        to=to,
        subject=f"Phân công lại / Reassigned: {role_label}",
        body=(
            f"{person} nhận nhiệm vụ '{role_label}' trong hồ sơ này. Lý do: {why}\n"
            f"{person} now holds '{role_label}' in this case. Reason: {why}"
        ),
    )


def closed(h: CaseHeader, *, key: str, to: list[Recipient]) -> Notification:
    return h.notice(
        kind="closed",
        key=key,
        to=to,
        subject=f"Hồ sơ kết thúc / Case closed: {h.stage_label}",
        body="Hồ sơ đã kết thúc. / The case has reached its final stage.",
    )


def effect_failed(h: CaseHeader, *, key: str, to: list[Recipient], what: str) -> Notification:
    """To ops: a document could not be stored or a message not delivered; the case goes on."""
    return h.notice(
        kind="effect_failed",
        key=key,
        to=to,
        subject="Lỗi xử lý / Side effect failed",
        body=f"Không thực hiện được / Could not be done: {what}\n"
        "Hồ sơ vẫn tiếp tục; đề nghị kiểm tra và xử lý. / The case continues; please "
        f"investigate (`temporal workflow show --workflow-id '{h.case_id}'`).",
    )


def signature_flagged(h: CaseHeader, *, key: str, to: list[Recipient], what: str) -> Notification:
    """To ops: a signed document the case accepted does not hold up when checked again."""
    return h.notice(
        kind="signature_flagged",
        key=key,
        to=to,
        subject="Chữ ký số cần kiểm tra / A digital signature needs attention",
        body=f"Kiểm tra lại văn bản đã ký số / checking the signed document again: {what}\n"
        "Quyết định đã được ghi nhận; đề nghị xác minh với người ký và cơ quan chứng thực. / The "
        "decision stands as recorded; please verify with the signer and the certification "
        "authority.",
    )


_CONSULT_SUBJECTS = {
    "consultation_request": "Đề nghị góp ý / Request for a written opinion",
    "reminder": "Sắp đến hạn góp ý / Reply due soon",
    "overdue": "QUÁ HẠN góp ý / Reply OVERDUE",
}


def consultation(
    h: CaseHeader,
    *,
    kind: str,
    key: str,
    to: list[Recipient],
    body_label: str,
    due_text: str,
    basis: str,
    mandatory: bool,
) -> Notification:
    """A consulted body's request, reminder or overdue notice (lấy ý kiến bằng văn bản)."""
    must = (
        "Bắt buộc có ý kiến / A reply is mandatory"
        if mandatory
        else "Đề nghị có ý kiến / A reply is requested"
    )
    return h.notice(
        kind=f"consultation_{kind}" if kind != "consultation_request" else kind,
        key=key,
        to=to,
        subject=f"{_CONSULT_SUBJECTS.get(kind, kind)}: {body_label}",
        body=f"Cơ quan được lấy ý kiến / Consulted body: {body_label}\n{must}.\n"
        f"Trả lời / Reply with: `legisflow reply {h.case_id} --as <id> --note …`\n"
        f"Hạn / Due: {due_text}\nCăn cứ / Basis: {basis}",
    )


_DIRECTION_SUBJECTS = {
    "consultation_request": "Xin ý kiến chỉ đạo / Direction requested",
    "reminder": "Sắp đến hạn cho ý kiến chỉ đạo / Direction due soon",
    "overdue": "QUÁ HẠN cho ý kiến chỉ đạo / Direction OVERDUE",
}


def direction_request(
    h: CaseHeader,
    *,
    kind: str,
    key: str,
    to: list[Recipient],
    question: str,
    authority_label: str,
    due_text: str,
    basis: str,
) -> Notification:
    """An issue sent up for direction (xin ý kiến chỉ đạo): the request, its reminder and its
    overdue notice to the competent authority (and, overdue, to whom it escalates).
    ``kind`` is the reply-deadline request's kind (as for a consultation)."""
    return h.notice(
        kind=f"direction_{kind}".replace("direction_consultation_request", "direction_request"),
        key=key,
        to=to,
        subject=f"{_DIRECTION_SUBJECTS.get(kind, kind)}: {question}"[:300],
        body=f"Vấn đề xin ý kiến chỉ đạo / Issue sent up for direction: {question}\n"
        f"Người cho ý kiến chỉ đạo / To be directed by: {authority_label}\n"
        f"Hạn / Due: {due_text}\nCăn cứ / Basis: {basis}",
    )


def directed(
    h: CaseHeader, *, key: str, to: list[Recipient], question: str, direction: str, by: str
) -> Notification:
    """The authority's direction, to the drafting unit that asked for it."""
    return h.notice(
        kind="direction_given",
        key=key,
        to=to,
        subject=f"Đã có ý kiến chỉ đạo / Direction given: {question}"[:300],
        body=f"Vấn đề / Issue: {question}\nÝ kiến chỉ đạo / Direction ({by}): {direction}",
    )
