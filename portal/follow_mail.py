"""The e-mails sent to people following a draft (thư thông báo cho người theo dõi dự thảo): the
confirmation of a follow, and one per milestone, in Vietnamese. Each names the draft, says
what happened and on which legal date, quotes the drafter's plain-language summary where the
case has one, and links the draft's page and the unsubscribe page on the portal's public
address. Links are written out in the text: the notifier's own ``link`` points to the
officials' workspace, which a citizen cannot open.

The recipient is named by the follow's number only: the address is the one personal datum
in the message, and it goes to the notifier, never to a workflow.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from models.deliveries import Notification, Recipient
from models.milestones import MilestoneKind, parse_key
from models.public_consultation import IntakeOpening

#: How a follower is greeted (``Kính gửi …``): they gave no name, and none is asked.
FOLLOWER = "Quý vị theo dõi dự thảo"
CONFIRMATION_KIND = "follow_confirmation"
MILESTONE_KIND = "follow_milestone"

#: What each milestone says happened (the sentence after the draft's title).
HAPPENED = {
    MilestoneKind.CONSULTATION_OPENED: "đã được đăng tải để lấy ý kiến rộng rãi",
    MilestoneKind.CONSULTATION_CLOSED: "đã kết thúc lấy ý kiến",
    MilestoneKind.ADOPTED: "đã được thông qua và ký ban hành",
    MilestoneKind.PUBLISHED: "đã được đăng Công báo",
    MilestoneKind.IN_FORCE: "đã có hiệu lực",
}
#: The subject line's words for each milestone.
SUBJECT = {
    MilestoneKind.CONSULTATION_OPENED: "Bắt đầu lấy ý kiến",
    MilestoneKind.CONSULTATION_CLOSED: "Kết thúc lấy ý kiến",
    MilestoneKind.ADOPTED: "Văn bản được thông qua, ký ban hành",
    MilestoneKind.PUBLISHED: "Văn bản được đăng Công báo",
    MilestoneKind.IN_FORCE: "Văn bản có hiệu lực",
}
#: What comes next, for the follower.
NEXT = {
    MilestoneKind.CONSULTATION_OPENED: (
        "Bạn có thể đọc toàn văn dự thảo và gửi góp ý trên trang của dự thảo."
    ),
    MilestoneKind.CONSULTATION_CLOSED: (
        "Cơ quan chủ trì soạn thảo tổng hợp, tiếp thu, giải trình các ý kiến; kết quả được "
        "công khai trên trang của dự thảo."
    ),
    MilestoneKind.ADOPTED: "Văn bản sẽ được đăng Công báo và có hiệu lực theo quy định.",
    MilestoneKind.PUBLISHED: "Văn bản sẽ có hiệu lực từ ngày được quy định trong văn bản.",
    MilestoneKind.IN_FORCE: (
        "Bạn có thể gửi kiến nghị, phản ánh về việc thực hiện văn bản qua cổng, mục «Phản "
        "ánh, kiến nghị»."
    ),
}


_CONSULTATION = (MilestoneKind.CONSULTATION_OPENED, MilestoneKind.CONSULTATION_CLOSED)


def vn_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def draft_url(portal_url: str, case_id: str) -> str:
    return f"{portal_url.rstrip('/')}/du-thao/{quote(case_id, safe='')}"


def confirm_url(portal_url: str, token: str) -> str:
    return f"{portal_url.rstrip('/')}/theo-doi/xac-nhan/{token}"


def unsubscribe_url(portal_url: str, token: str) -> str:
    return f"{portal_url.rstrip('/')}/theo-doi/huy/{token}"


def _recipient(follow_id: int, email: str) -> list[Recipient]:
    return [Recipient(actor_id=f"theo-doi-{follow_id}", name=FOLLOWER, email=email)]


def _summary(opening: IntakeOpening) -> list[str]:
    if not opening.summary.strip():
        return []
    return ["", "Tóm tắt của cơ quan soạn thảo:", opening.summary.strip()]


def confirmation_mail(
    *,
    follow_id: int,
    email: str,
    token: str,
    mail: int,
    opening: IntakeOpening,
    open_now: bool,
    portal_url: str,
    now: datetime,
) -> Notification:
    """The ``mail``-th confirmation of a follow (each has its own key: asking again sends
    it again), with where the draft stands now."""
    if open_now and opening.closes_on:
        now_line = f"Hiện nay dự thảo đang lấy ý kiến đến hết ngày {vn_date(opening.closes_on)}."
    elif open_now:
        now_line = "Hiện nay dự thảo đang lấy ý kiến."
    else:
        now_line = "Hiện nay đã hết thời gian lấy ý kiến về dự thảo này."
    body = [
        f"Địa chỉ thư điện tử này vừa được đăng ký để nhận thông báo về dự thảo «{opening.title}» "
        f"({opening.agency}) trên cổng góp ý dự thảo văn bản.",
        "",
        "Để bắt đầu nhận thông báo, hãy mở liên kết sau và bấm «Xác nhận theo dõi»:",
        confirm_url(portal_url, token),
        "",
        "Bạn sẽ được báo khi dự thảo kết thúc lấy ý kiến, khi văn bản được thông qua, đăng Công "
        "báo và có hiệu lực.",
        "Nếu không phải bạn đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm thư nào.",
        "",
        now_line,
        *_summary(opening),
        "",
        f"Trang của dự thảo: {draft_url(portal_url, opening.case_id)}",
    ]
    return Notification(
        key=f"theo-doi/{follow_id}/xac-nhan/{mail}",
        case_id=opening.case_id,
        kind=CONFIRMATION_KIND,
        recipients=_recipient(follow_id, email),
        subject=f"Xác nhận theo dõi dự thảo: {opening.title}",
        body="\n".join(body),
        created_at=now,
    )


def milestone_key(follow_id: int, milestone: str) -> str:
    """The notification key of one milestone sent to one follow: the same on every attempt
    and in every portal process, so the notifier delivers it once."""
    return f"theo-doi/{follow_id}/{milestone}"


def milestone_mail(
    *,
    follow_id: int,
    email: str,
    token: str,
    milestone: str,
    legal_date: date,
    opening: IntakeOpening,
    portal_url: str,
    now: datetime,
) -> Notification:
    """The e-mail telling a follower the draft reached ``milestone`` on ``legal_date``."""
    kind, occurrence = parse_key(milestone)
    again = f" (lần {occurrence})" if occurrence > 1 else ""
    # Adopted, it is a document (văn bản) no longer a draft (dự thảo).
    noun = "Dự thảo" if kind in _CONSULTATION else "Văn bản"
    body = [
        f"{noun} «{opening.title}» ({opening.agency}) {HAPPENED[kind]}{again} "
        f"vào ngày {vn_date(legal_date)}.",
        NEXT[kind],
        *_summary(opening),
        "",
        f"Trang của dự thảo: {draft_url(portal_url, opening.case_id)}",
        "",
        "Bạn nhận thư này vì đã đăng ký theo dõi dự thảo. Để ngừng nhận thư về dự thảo này:",
        unsubscribe_url(portal_url, token),
    ]
    return Notification(
        key=milestone_key(follow_id, milestone),
        case_id=opening.case_id,
        kind=MILESTONE_KIND,
        recipients=_recipient(follow_id, email),
        subject=f"{SUBJECT[kind]}: {opening.title}",
        body="\n".join(body),
        created_at=now,
    )
