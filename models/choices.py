"""The closed sets of values people choose from in commands and forms: a comment's
disposition, a feedback's category, a legality check's outcome and the handling it requires,
what a monitoring officer records. Plain enums with their Vietnamese and English labels, and
nothing else, so an interface can offer them without loading the domain's models."""

from __future__ import annotations

from enum import Enum


class Disposition(str, Enum):
    """How the drafting unit handled a comment."""

    ACCEPTED = "accepted"  # tiếp thu
    PARTLY = "partly"  # tiếp thu một phần
    EXPLAINED = "explained"  # giải trình (không tiếp thu, nêu lý do)

    @property
    def label(self) -> str:
        return {
            "accepted": "Tiếp thu / Accepted",
            "partly": "Tiếp thu một phần / Partly accepted",
            "explained": "Giải trình, không tiếp thu / Not accepted, explained",
        }[self.value]


class Category(str, Enum):
    """What a citizen's feedback is (phân loại kiến nghị, phản ánh)."""

    RECOMMENDATION = "recommendation"  # kiến nghị
    REPORT = "report"  # phản ánh


class Outcome(str, Enum):
    """The conclusion of a legality check (kết luận kiểm tra)."""

    CLEAN = "clean"  # không phát hiện sai sót
    FORM_ERRORS = "form_errors"  # sai sót về thể thức, kỹ thuật trình bày
    UNLAWFUL = "unlawful"  # nội dung trái pháp luật

    @property
    def label(self) -> str:
        return {
            "clean": "Không phát hiện sai sót / No error found",
            "form_errors": "Sai sót về thể thức / Errors of form",
            "unlawful": "Nội dung trái pháp luật / Unlawful content",
        }[self.value]


class Handling(str, Enum):
    """How the issuer (or the higher authority) handles a conclusion (xử lý văn bản)."""

    CORRECT = "correct"  # đính chính, sửa sai sót thể thức
    AMEND = "amend"  # sửa đổi, bổ sung (a new drafting case)
    ANNUL = "annul"  # bãi bỏ
    SUSPEND = "suspend"  # ngưng / đình chỉ hiệu lực

    @property
    def label(self) -> str:
        return {
            "correct": "Đính chính / Correct",
            "amend": "Sửa đổi, bổ sung / Amend",
            "annul": "Bãi bỏ / Annul",
            "suspend": "Ngưng hiệu lực / Suspend",
        }[self.value]


class EventKind(str, Enum):
    """What a monitoring officer records (theo dõi thi hành pháp luật)."""

    INFORMATION = "information"  # thu thập thông tin tình hình thi hành
    INSPECTION = "inspection"  # kiểm tra tình hình thi hành
    SURVEY = "survey"  # điều tra, khảo sát
    REVIEW = "review"  # sơ kết, tổng kết
    PLAN_DONE = "plan_done"  # hoàn thành một việc của kế hoạch

    @property
    def label(self) -> str:
        return {
            "information": "Thu thập thông tin / Information gathering",
            "inspection": "Kiểm tra tình hình thi hành / Inspection",
            "survey": "Điều tra, khảo sát / Survey",
            "review": "Sơ kết, tổng kết / Review",
            "plan_done": "Hoàn thành kế hoạch / Plan item done",
        }[self.value]
