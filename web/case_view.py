"""What the case page shows, computed from the case's status, its audit trail and its
procedure: labels instead of codes, and why an action nobody can take is stuck (bốn mắt,
xung đột lợi ích, no holder). Pure: no I/O, so each explanation is tested on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.case import AuditEntry, CaseStatus
from models.definition import ProcessDefinition, Transition
from models.interests import recused
from models.machine import IllegalTransition, shortest_path
from models.registry import Registry

#: What the trail records besides the procedure's actions, in words (never a code).
TRAIL_ACTIONS = {
    "start": "Khởi tạo hồ sơ",
    "simplified_procedure": "Áp dụng trình tự, thủ tục rút gọn",
    "declare_interest": "Kê khai xung đột lợi ích",
    "reassign": "Chuyển người xử lý",
    "reassigned": "Chuyển người xử lý (tự động)",
    "role_unstaffed": "Chưa có người xử lý",
    "delegate": "Giao ký thay",
    "reply": "Gửi ý kiến",
    "reply_overdue": "Quá hạn gửi ý kiến",
    "deadline_breached": "Quá hạn",
    "raise_issue": "Xin ý kiến chỉ đạo",
    "give_direction": "Cho ý kiến chỉ đạo",
    "direction_overdue": "Quá hạn cho ý kiến chỉ đạo",
    "report_generated": "Lập báo cáo",
    "signature_flagged": "Chữ ký số cần kiểm tra",
    "migrate_regime": "Chuyển chế độ pháp lý",
    "calendar_applied": "Áp dụng lịch nghỉ mới",
    "keys_rotated": "Đổi khóa đăng nhập",
    "version_moved": "Chuyển sang bản dựng mới của hệ thống",
    "effect_failed": "Lỗi xử lý tự động (đã báo vận hành)",
    "forged_signal_ignored": "Bỏ qua tín hiệu giả",
    "signal_not_confirmed": "Tín hiệu không khớp (đã đối chiếu)",
}


TRAIL_ACTIONS_EN = {
    "start": "Case started",
    "simplified_procedure": "Simplified procedure applied",
    "declare_interest": "Declaration of interest",
    "reassign": "Handed to another person",
    "reassigned": "Handed over (automatically)",
    "role_unstaffed": "Nobody holds the role",
    "delegate": "Deputy named (KT.)",
    "reply": "Written opinion sent",
    "reply_overdue": "Reply overdue",
    "deadline_breached": "Overdue",
    "raise_issue": "Sent up for direction",
    "give_direction": "Direction given",
    "direction_overdue": "Direction overdue",
    "report_generated": "Report generated",
    "signature_flagged": "Digital signature flagged",
    "migrate_regime": "Moved to another regime",
    "calendar_applied": "New official calendar applied",
    "keys_rotated": "Sign-in keys rotated",
    "version_moved": "Moved to another build of the workers",
    "effect_failed": "Automatic step failed (ops told)",
    "forged_signal_ignored": "Forged signal ignored",
    "signal_not_confirmed": "Signal not confirmed (checked)",
}


@dataclass(frozen=True)
class Labels:
    """Vietnamese labels of a procedure's stages, actions and roles; codes where unknown."""

    definition: ProcessDefinition | None
    #: The procedure's English labels (``label_en``) where it has them.
    english: bool = False

    @classmethod
    def of(cls, registry: Registry, st: CaseStatus, english: bool = False) -> Labels:
        try:
            return cls(registry.get(st.type, st.regime), english)
        except KeyError:
            return cls(None, english)

    def stage(self, name: str | None) -> str:
        if name is None or self.definition is None or name not in self.definition.stages:
            return name or ""
        stage = self.definition.stages[name]
        return stage.label_en if self.english else stage.label

    def action(self, action: str) -> str:
        if self.definition is not None:
            for t in self.definition.transitions:
                if t.action == action:
                    return t.label_en if self.english else t.label
        if self.english:
            return TRAIL_ACTIONS_EN.get(action, action.replace("_", " "))
        return TRAIL_ACTIONS.get(action, action)

    def monitored(self, stage: str) -> bool:
        """The stage starts the document's monitoring (it is in force)."""
        d = self.definition
        return d is not None and stage in d.stages and d.stages[stage].monitor

    def role(self, role: str) -> str:
        d = self.definition
        if d is not None and role in d.roles:
            r = d.roles[role]
            return (r.label_en or r.label) if self.english else r.label
        return role

    def consulted(self, role: str, label: str) -> str:
        """A consulted body's name as the request shows it (``label``), in English from the
        procedure's ``label_en`` where it has one."""
        if self.english and self.definition is not None:
            for stage in self.definition.stages.values():
                for c in stage.consults:
                    if c.role == role and c.label_en:
                        return c.label_en
        return label

    def say(self, vi: str, en: str) -> str:
        """The sentence in the page's language."""
        return en if self.english else vi


@dataclass(frozen=True)
class Stuck:
    """An action of this stage that nobody may take now, why, and what would unblock it."""

    label: str
    reason: str
    remedy: str


def came_back(st: CaseStatus, trail: list[AuditEntry], labels: Labels) -> AuditEntry | None:
    """The return or rejection that brought the case to its current stage, with its note
    (trả lại hồ sơ): what the drafter must read first."""
    d = labels.definition
    last = trail[-1] if trail else None
    if d is None or last is None or last.to_stage != st.stage or last.from_stage is None:
        return None
    t = d.transition(last.from_stage, last.action, st.simplified)
    return last if t is not None and t.requires_note else None


def entered_by(st: CaseStatus, trail: list[AuditEntry]) -> str | None:
    """Who took the action that entered the current stage (the four-eyes rule's subject)."""
    for e in reversed(trail):
        if e.to_stage == st.stage and e.from_stage != st.stage:
            return e.actor
    return None


def stuck_actions(
    st: CaseStatus, trail: list[AuditEntry], labels: Labels, names: dict[str, str]
) -> list[Stuck]:
    d = labels.definition
    if d is None or st.final:
        return []
    taken = {a.action for a in st.allowed} | {b.action for b in st.blocked}
    out = []
    for t in d.transitions_from(st.stage, st.simplified):
        if t.automatic or t.action in taken:
            continue
        out.append(_explain(st, t, entered_by(st, trail), labels, names))
    return out


def _explain(
    st: CaseStatus, t: Transition, submitter: str | None, labels: Labels, names: dict[str, str]
) -> Stuck:
    role = labels.role(t.role)
    holders = st.roles.get(t.role, [])
    who = ", ".join(names.get(p, p) for p in holders)
    say, label = labels.say, (t.label_en if labels.english else t.label)
    if not holders:
        return Stuck(
            label,
            say(f"Chưa ai giữ vai trò {role} trong hồ sơ này.",
                f"Nobody holds the role {role} in this case."),
            say("Bổ sung người giữ vai trò này trong danh bạ của cơ quan.",
                "Add a holder of this role to the agency's directory."),
        )  # fmt: skip
    if t.four_eyes and submitter is not None and set(holders) <= {submitter}:
        return Stuck(
            label,
            say(f"Chỉ {who} giữ vai trò {role} và chính người này đã trình bước hiện tại; "
                "nguyên tắc bốn mắt không cho một người vừa trình vừa duyệt.",
                f"Only {who} holds the role {role} and submitted the current step; the "
                "four-eyes rule does not let one person both submit and approve."),
            say("Để gỡ: giao cho cấp phó ký thay (KT.) — lệnh `legisflow delegate` — hoặc "
                "chuyển việc cho cấp trên (`legisflow reassign`), hoặc bổ sung người giữ vai "
                "trò này.",
                "To unblock: have a deputy sign for them (KT., `legisflow delegate`), hand "
                "the case to a superior (`legisflow reassign`), or add a holder of this role."),
        )  # fmt: skip
    if all(recused(st.declarations, p) for p in holders):
        return Stuck(
            label,
            say(f"{who} đã kê khai xung đột lợi ích và đứng ngoài việc quyết định.",
                f"{who} declared a conflict of interest and stands aside from the decision."),
            say("Để gỡ: chuyển việc cho cấp trên (`legisflow reassign`).",
                "To unblock: hand the case to a superior (`legisflow reassign`)."),
        )  # fmt: skip
    return Stuck(label, say(f"Đang chờ {who} ({role}).", f"Waiting for {who} ({role})."), "")


@dataclass(frozen=True)
class Step:
    """One stage on the case's way: passed (with when and by whom it was entered), the
    current one, or still ahead on the procedure's usual path."""

    label: str
    state: str  # "done", "current" or "ahead"
    entered: date | None = None
    by: str | None = None


def stage_path(st: CaseStatus, trail: list[AuditEntry], labels: Labels) -> list[Step]:
    """The stages the case went through (returns included), then the usual path ahead to
    its first final stage: the procedure's diagram as a reader follows it, no JavaScript."""
    d = labels.definition
    steps = [Step(labels.stage(d.initial if d else st.stage), "done", None, None)]
    if trail:
        steps[0] = Step(steps[0].label, "done", trail[0].legal_date, trail[0].actor)
    for e in trail:
        if e.from_stage is not None and e.to_stage != e.from_stage:
            steps.append(Step(labels.stage(e.to_stage), "done", e.legal_date, e.actor))
    last = steps[-1]
    steps[-1] = Step(last.label, "done" if st.final else "current", last.entered, last.by)
    if d is None or st.final:
        return steps
    try:
        ahead = shortest_path(d, st.stage, d.final[0], st.simplified)
    except IllegalTransition:
        return steps
    return steps + [Step(labels.stage(t.dest), "ahead") for t in ahead]
