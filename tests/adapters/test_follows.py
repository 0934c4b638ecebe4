"""Following a draft by e-mail (issue #19): the milestones derived from real procedures (never
from a stage's name), and the follows, milestones and sends in a real database, the same
tests on SQLite (the embedded default) and on a real PostgreSQL server (``tests/postgres.py``);
the notifier sends each milestone once to each follower who confirmed before it, even with two
notifiers at once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.outbox import OutboxNotifier
from models.case import AuditEntry
from models.definition import ProcessDefinition, Transition
from models.deliveries import Notification, SendResult
from models.legal_time import VIETNAM_TZ
from models.machine import shortest_path
from models.milestones import (
    IntakeTimes,
    Milestone,
    MilestoneKind,
    parse_key,
    reached_milestones,
)
from models.public_consultation import IntakeOpening
from models.registry import Registry
from portal.follow_mail import milestone_key
from portal.follow_notifier import CaseTrail, CaseVersion, FollowNotifier
from public_records.comments import PublicComments
from public_records.follows import (
    CONFIRM_WITHIN,
    MAX_CONFIRMATION_MAILS,
    Follows,
    FollowState,
    InvalidEmail,
    intake_times,
)

K = MilestoneKind
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# ---- the milestones, derived from the procedure ---------------------------------------------


def entry(seq: int, at: datetime, action: str, source: str | None, dest: str) -> AuditEntry:
    return AuditEntry(
        seq=seq, at=at, legal_date=at.astimezone(VIETNAM_TZ).date(), actor="nguyen.van.an",
        role="drafter", action=action, from_stage=source, to_stage=dest,
    )  # fmt: skip


def trail_of(
    definition: ProcessDefinition, path: list[Transition], start: datetime = START
) -> list[AuditEntry]:
    """The audit trail of a case started at ``start`` that took ``path``, a day a step, with
    a declaration of interest (an entry that stays in its stage) after each step."""
    entries = [entry(1, start, "start", None, definition.initial)]
    for day, t in enumerate(path, start=1):
        at = start + timedelta(days=day)
        entries.append(entry(len(entries) + 1, at, t.action, t.source, t.dest))
        entries.append(entry(len(entries) + 1, at, "declare_interest", t.dest, t.dest))
    return entries


def happy_path(definition: ProcessDefinition, simplified: bool = False) -> list[Transition]:
    return shortest_path(definition, definition.initial, definition.final[0], simplified)


def kinds(reached: list[Milestone]) -> list[tuple[MilestoneKind, int]]:
    return [(m.kind, m.occurrence) for m in reached]


def day_of(path: list[Transition], flag: Callable[[Transition], bool]) -> date:
    """The legal date of the first step ``flag`` picks, as ``trail_of`` dates it."""
    step = next(n for n, t in enumerate(path, start=1) if flag(t))
    return (START + timedelta(days=step)).astimezone(VIETNAM_TZ).date()


@pytest.mark.parametrize(
    ("doc_type", "regime"),
    [("qd_ubnd_tinh", "L2025_A87"), ("nq_hdnd_tinh", "L2015"), ("nghi_dinh", "L2025")],
)
def test_a_whole_life_reaches_each_milestone_once_in_order(
    registry: Registry, doc_type: str, regime: str
) -> None:
    definition = registry.get(doc_type, regime)
    path = happy_path(definition)
    reached = reached_milestones(definition, trail_of(definition, path))
    assert kinds(reached) == [
        (K.CONSULTATION_OPENED, 1),
        (K.CONSULTATION_CLOSED, 1),
        (K.ADOPTED, 1),
        (K.PUBLISHED, 1),
        (K.IN_FORCE, 1),
    ]
    by_kind = {m.kind: m for m in reached}
    stages = definition.stages
    assert by_kind[K.ADOPTED].legal_date == day_of(path, lambda t: t.requires_signature)
    assert by_kind[K.PUBLISHED].legal_date == day_of(
        path, lambda t: stages[t.dest].publish == "cong_bao"
    )
    assert by_kind[K.IN_FORCE].legal_date == day_of(path, lambda t: stages[t.dest].monitor)
    assert [m.key for m in reached] == [k.value for k in K]


def test_a_commune_decision_posted_not_gazetted_has_no_publication(registry: Registry) -> None:
    definition = registry.get("qd_ubnd_xa", "L2025_A87")
    reached = reached_milestones(definition, trail_of(definition, happy_path(definition)))
    assert [k for k, _ in kinds(reached)] == [
        K.CONSULTATION_OPENED,
        K.CONSULTATION_CLOSED,
        K.ADOPTED,
        K.IN_FORCE,
    ]


def test_the_simplified_procedure_has_no_consultation(registry: Registry) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    trail = trail_of(definition, happy_path(definition, simplified=True))
    assert [k for k, _ in kinds(reached_milestones(definition, trail))] == [
        K.ADOPTED,
        K.PUBLISHED,
        K.IN_FORCE,
    ]


def test_a_life_half_lived_reaches_what_it_has_reached(registry: Registry) -> None:
    definition = registry.get("thong_tu", "L2025_A87")
    path = happy_path(definition)
    signing = next(n for n, t in enumerate(path) if t.requires_signature)
    reached = reached_milestones(definition, trail_of(definition, path[:signing]))
    assert [k for k, _ in kinds(reached)] == [K.CONSULTATION_OPENED, K.CONSULTATION_CLOSED]
    assert reached_milestones(definition, trail_of(definition, [])) == []


def renamed(definition: ProcessDefinition) -> ProcessDefinition:
    """The same procedure with every stage renamed (``buoc_1``, ``buoc_2``…)."""
    names = {s: f"buoc_{n}" for n, s in enumerate(definition.stages, start=1)}
    raw: dict[str, Any] = definition.model_dump(by_alias=True, mode="json")
    raw["stages"] = {names[s]: v for s, v in raw["stages"].items()}
    for stage in raw["stages"].values():
        if stage.get("deadline") and stage["deadline"].get("anchor"):
            stage["deadline"]["anchor"] = names[stage["deadline"]["anchor"]]
    raw["initial"] = names[raw["initial"]]
    raw["final"] = [names[s] for s in raw["final"]]
    for t in raw["transitions"]:
        t["from"], t["to"] = names[t["from"]], names[t["to"]]
    return ProcessDefinition.model_validate(raw)


def test_no_stage_name_is_read_only_what_the_procedure_says_of_it(registry: Registry) -> None:
    original = registry.get("qd_ubnd_tinh", "L2025_A87")
    other = renamed(original)
    assert not set(other.stages) & set(original.stages)
    expected = reached_milestones(original, trail_of(original, happy_path(original)))
    assert reached_milestones(other, trail_of(other, happy_path(other))) == expected


def test_a_consultation_reopened_is_told_again(registry: Registry) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    opening = next(t for t in definition.transitions if definition.stages[t.dest].comments)
    closing = next(t for t in definition.transitions_from(opening.dest) if not t.requires_note)
    trail = trail_of(definition, [opening, closing])
    # Back into the stage taking comments (as a return to it would), and out again.
    later = START + timedelta(days=40)
    trail.append(entry(len(trail) + 1, later, "reopen", closing.dest, opening.dest))
    trail.append(entry(len(trail) + 1, later, "close", opening.dest, closing.dest))
    reached = reached_milestones(definition, trail)
    assert [m.key for m in reached] == [
        "consultation_opened",
        "consultation_closed",
        "consultation_opened.2",
        "consultation_closed.2",
    ]
    assert parse_key("consultation_opened.2") == (K.CONSULTATION_OPENED, 2)
    assert parse_key("in_force") == (K.IN_FORCE, 1)
    for bad in ("in_force.0", "in_force.1", "in_force.01", "in_force.", "xyz"):
        with pytest.raises(ValueError, match="milestone"):
            parse_key(bad)


def test_the_intake_says_when_the_trail_shows_no_consultation(registry: Registry) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    opened, closed = START + timedelta(hours=20), START + timedelta(days=31)
    intake = IntakeTimes(opened_at=opened, closed_at=closed)
    reached = reached_milestones(definition, trail_of(definition, []), intake)
    assert [(m.kind, m.at, m.legal_date) for m in reached] == [
        (K.CONSULTATION_OPENED, opened, date(2026, 3, 3)),  # 21:00 UTC is the 3rd in Vietnam
        (K.CONSULTATION_CLOSED, closed, date(2026, 4, 2)),
    ]
    # The trail, where it shows the consultation, is what counts.
    full = reached_milestones(definition, trail_of(definition, happy_path(definition)), intake)
    assert full == reached_milestones(definition, trail_of(definition, happy_path(definition)))


# ---- the follows in a real database ----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'public.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def follows(url: str) -> Follows:
    return Follows.at(url)


def new_case() -> str:
    return f"so-xd-daklak:theo-doi-{uuid.uuid4().hex[:8]}"


def milestone(kind: MilestoneKind, at: datetime, occurrence: int = 1) -> Milestone:
    return Milestone(kind, at, at.astimezone(VIETNAM_TZ).date(), occurrence)


def email_of(follows: Follows, follow_id: int) -> str | None:
    with follows.db.transaction() as cur:
        cur.execute("SELECT email FROM follows WHERE id = ?", (follow_id,))
        got: str | None = cur.fetchone()[0]
    return got


def test_a_follow_is_active_only_once_confirmed_and_asking_again_is_the_same_row(
    follows: Follows,
) -> None:
    case_id = new_case()
    first = follows.request(case_id, " Hoa.Le@Example.VN ")
    assert (first.mail, first.already_active) == (1, False)
    found = follows.by_token(first.token)
    assert found is not None
    assert (found.case_id, found.state) == (case_id, FollowState.PENDING)
    assert case_id not in follows.followed_cases()

    again = follows.request(case_id, "hoa.le@example.vn")
    assert (again.follow_id, again.token, again.mail) == (first.follow_id, first.token, 2)
    confirmed = follows.confirm(first.token)
    assert confirmed is not None
    assert confirmed.state is FollowState.ACTIVE
    assert case_id in follows.followed_cases()
    assert follows.confirm(first.token) == confirmed  # a second confirmation changes nothing
    after = follows.request(case_id, "HOA.LE@example.vn")
    assert (after.follow_id, after.already_active) == (first.follow_id, True)

    # Confirmations to one address are bounded, whoever asks for them.
    for _ in range(MAX_CONFIRMATION_MAILS):
        last = follows.request(case_id, "hoa.le@example.vn")
    assert last.mail is None
    other = follows.request(new_case(), "hoa.le@example.vn")
    assert other.follow_id != first.follow_id
    assert other.mail == 1
    assert follows.by_token("khong-co") is None
    assert follows.confirm("khong-co") is None


@pytest.mark.parametrize("bad", ["", "hoa", "hoa@", "@example.vn", "hoa@example", "a b@c.vn",
                                 "<hoa@example.vn>", "x" * 250 + "@example.vn"])  # fmt: skip
def test_what_is_not_an_address_is_refused(follows: Follows, bad: str) -> None:
    with pytest.raises(InvalidEmail):
        follows.request(new_case(), bad)


def test_unsubscribing_is_idempotent_erases_the_address_and_a_new_follow_starts_afresh(
    follows: Follows,
) -> None:
    case_id = new_case()
    asked = follows.request(case_id, "an@example.vn")
    follows.confirm(asked.token)
    first = follows.unsubscribe(asked.token, now=START)
    assert first is not None
    assert first.state is FollowState.ENDED
    assert follows.unsubscribe(asked.token) == first
    assert email_of(follows, asked.follow_id) is None
    assert case_id not in follows.followed_cases()
    assert follows.confirm(asked.token) == first  # an ended follow is not revived
    assert follows.unsubscribe("khong-co") is None

    anew = follows.request(case_id, "an@example.vn")
    assert anew.follow_id != asked.follow_id
    assert anew.token != asked.token
    assert (anew.mail, anew.already_active) == (1, False)


def test_a_follow_not_confirmed_in_time_ends_and_forgets_its_address(follows: Follows) -> None:
    case_id = new_case()
    old = follows.request(case_id, "cu@example.vn", now=START)
    recent = follows.request(case_id, "moi@example.vn", now=START + CONFIRM_WITHIN)
    confirmed = follows.request(case_id, "da-xac-nhan@example.vn", now=START)
    follows.confirm(confirmed.token)
    follows.expire_unconfirmed(now=START + CONFIRM_WITHIN + timedelta(seconds=1))
    assert email_of(follows, old.follow_id) is None
    expired = follows.confirm(old.token)  # too late: not revived
    assert expired is not None
    assert expired.state is FollowState.ENDED
    assert email_of(follows, recent.follow_id) == "moi@example.vn"
    assert email_of(follows, confirmed.follow_id) == "da-xac-nhan@example.vn"


def test_a_follower_is_due_each_milestone_reached_after_confirming_once(follows: Follows) -> None:
    case_id = new_case()
    asked = follows.request(case_id, "an@example.vn", now=START)
    follows.confirm(asked.token, now=START + timedelta(days=1))
    before = milestone(K.CONSULTATION_OPENED, START + timedelta(hours=1))
    after = milestone(K.CONSULTATION_CLOSED, START + timedelta(days=31))
    assert follows.record_milestones(case_id, [before, after]) == 2
    assert follows.record_milestones(case_id, [before, after]) == 0
    assert follows.milestones(case_id) == ["consultation_opened", "consultation_closed"]

    now = START + timedelta(days=32)
    [due] = [d for d in follows.due(now) if d.case_id == case_id]
    assert (due.follow_id, due.milestone, due.email, due.token) == (
        asked.follow_id, "consultation_closed", "an@example.vn", asked.token,
    )  # fmt: skip
    assert due.legal_date == date(2026, 4, 2)
    assert follows.claim(due.follow_id, due.milestone, now)
    assert not follows.claim(due.follow_id, due.milestone, now)  # leased
    assert not [d for d in follows.due(now) if d.case_id == case_id]
    follows.sent(due.follow_id, due.milestone, now)
    later = now + timedelta(hours=1)
    assert not follows.claim(due.follow_id, due.milestone, later)  # sent: never again
    assert not [d for d in follows.due(later) if d.case_id == case_id]
    assert follows.sent_to(asked.follow_id) == ["consultation_closed"]

    # Unsubscribed, nothing more is due, nor claimed.
    follows.record_milestones(case_id, [milestone(K.ADOPTED, START + timedelta(days=60))])
    assert [d.milestone for d in follows.due(later) if d.case_id == case_id] == ["adopted"]
    follows.unsubscribe(asked.token)
    assert not [d for d in follows.due(later) if d.case_id == case_id]
    assert not follows.claim(asked.follow_id, "adopted", later)


def test_two_senders_claiming_at_once_one_gets_each_send(url: str) -> None:
    first, second = Follows.at(url), Follows.at(url)
    case_id = new_case()
    ids = []
    for n in range(20):
        asked = first.request(case_id, f"nguoi{n}@example.vn", now=START)
        first.confirm(asked.token, now=START)
        ids.append(asked.follow_id)
    first.record_milestones(case_id, [milestone(K.ADOPTED, START + timedelta(days=1))])
    now = START + timedelta(days=2)
    start = threading.Barrier(2)

    def claim_all(store: Follows) -> list[int]:
        start.wait()
        return [i for i in ids if store.claim(i, "adopted", now)]

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(claim_all, [first, second]))
    assert sorted(got[0] + got[1]) == sorted(ids)
    # A lease that ran out (its sender died) is claimed again.
    assert first.claim(ids[0], "adopted", now + timedelta(minutes=6))


# ---- the notifier ----------------------------------------------------------------------------


@dataclass
class StandInCases:
    """A case as the notifier reads it, its trail grown by the test (the real one reads
    Temporal: tests/web/test_follow_in_browser.py)."""

    case_id: str
    definition: ProcessDefinition
    audit: list[AuditEntry] = field(default_factory=list)
    reads: int = 0

    async def version(self, case_id: str) -> CaseVersion | None:
        # The other tests' cases (PostgreSQL's database is the session's) are not here.
        if case_id != self.case_id:
            return None
        return CaseVersion("run", len(self.audit), running=True)

    async def trail(self, case_id: str) -> CaseTrail:
        self.reads += 1
        return CaseTrail(self.definition, list(self.audit))

    def take(self, t: Transition) -> None:
        self.audit.append(entry(len(self.audit) + 1, datetime.now(UTC), t.action, t.source,
                                t.dest))  # fmt: skip


class CountingOutbox(OutboxNotifier):
    """The outbox, counting every send asked of it (a suppressed duplicate too); fails the
    sends ``failing`` says, as a relay would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.asked: Counter[str] = Counter()
        self.failing: Callable[[Notification], Exception | None] = lambda n: None
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> SendResult:
        with self._lock:
            self.asked[notification.key] += 1
        failure = self.failing(notification)
        if failure is not None:
            raise failure
        return super().send(notification)


def opened(url: str, case_id: str) -> PublicComments:
    records = PublicComments.at(url)
    records.open_intake(
        IntakeOpening(
            case_id=case_id, title="Quy định về bến xe khách", agency="Sở Xây dựng tỉnh Đắk Lắk",
            summary="Quy định giờ mở cửa của bến xe khách.", closes_on=date(2026, 4, 1),
        )
    )  # fmt: skip
    return records


async def test_two_notifiers_send_each_milestone_once_to_those_who_confirmed_before_it(
    url: str, registry: Registry, tmp_path: Path
) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    path = happy_path(definition)
    case_id = new_case()
    records = opened(url, case_id)
    follows = Follows.at(url)
    cases = StandInCases(case_id, definition)
    cases.audit.append(entry(1, datetime.now(UTC), "start", None, definition.initial))
    cases.take(path[0])  # the consultation opens before anyone follows
    early = follows.request(case_id, "som@example.vn")
    late = follows.request(case_id, "muon@example.vn")
    never = follows.request(case_id, "khong-xac-nhan@example.vn")
    follows.confirm(early.token)
    outbox = CountingOutbox(tmp_path / "outbox")
    notifiers = [
        FollowNotifier(follows, records, outbox, cases, portal_url="https://gopy.example.vn/")
        for _ in range(2)
    ]

    async def both() -> None:
        await asyncio.gather(*(n.notify() for n in notifiers))

    await both()
    assert outbox.list_messages() == []  # the opening came before the confirmation
    for t in path[1:3]:  # the consultation closes
        cases.take(t)
    await both()
    follows.confirm(late.token)
    for t in path[3:]:  # adopted, published, in force
        cases.take(t)
    await both()
    await both()  # nothing new: nothing read, nothing sent
    assert never.mail == 1

    sent = {m.key: m for m in outbox.list_messages()}
    everything = ["consultation_closed", "adopted", "published", "in_force"]
    assert sorted(sent) == sorted(
        [milestone_key(early.follow_id, m) for m in everything]
        + [milestone_key(late.follow_id, m) for m in everything[1:]]
    )
    assert set(outbox.asked.values()) == {1}, "a send was made twice"
    assert follows.sent_to(early.follow_id) == everything
    assert follows.sent_to(never.follow_id) == []
    closed = sent[milestone_key(early.follow_id, "consultation_closed")]
    assert [r.email for r in closed.recipients] == ["som@example.vn"]
    assert closed.subject == "Kết thúc lấy ý kiến: Quy định về bến xe khách"
    [closing] = [e for e in cases.audit if e.action == path[1].action]
    assert "Dự thảo «Quy định về bến xe khách» (Sở Xây dựng tỉnh Đắk Lắk) đã kết thúc lấy ý kiến" \
        f" vào ngày {closing.legal_date:%d/%m/%Y}" in closed.body  # fmt: skip
    assert "Quy định giờ mở cửa của bến xe khách." in closed.body
    assert f"https://gopy.example.vn/du-thao/{case_id.replace(':', '%3A')}" in closed.body
    assert f"https://gopy.example.vn/theo-doi/huy/{early.token}" in closed.body
    assert closed.link is None  # the workspace's link: not for the public
    # The case was read once per change, by one notifier or the other, not once per pass.
    assert cases.reads <= 2 * 3


async def test_a_failed_send_is_tried_again_later_and_a_refused_one_never(
    url: str, registry: Registry, tmp_path: Path
) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    path = happy_path(definition)
    case_id = new_case()
    records = opened(url, case_id)
    follows = Follows.at(url)
    flaky = follows.request(case_id, "tam-thoi@example.vn")
    refused = follows.request(case_id, "bi-tu-choi@example.vn")
    for asked in (flaky, refused):
        follows.confirm(asked.token)
    cases = StandInCases(case_id, definition)
    cases.audit.append(entry(1, datetime.now(UTC), "start", None, definition.initial))
    for t in path[:2]:
        cases.take(t)
    outbox = CountingOutbox(tmp_path / "outbox")
    down = [True]

    def failing(n: Notification) -> Exception | None:
        if n.recipients[0].email == "bi-tu-choi@example.vn":
            return ApplicationError("550 no such user", non_retryable=True)
        return RuntimeError("relay unreachable") if down[0] else None

    outbox.failing = failing
    now = [datetime.now(UTC)]
    notifier = FollowNotifier(
        follows, records, outbox, cases, portal_url="http://x", clock=lambda: now[0]
    )
    await notifier.notify()
    await notifier.notify()  # too soon: waits its backoff
    both = ["consultation_opened", "consultation_closed"]
    assert outbox.asked == Counter(
        {milestone_key(asked.follow_id, m): 1 for asked in (flaky, refused) for m in both}
    )
    down[0] = False
    now[0] += timedelta(seconds=10)
    await notifier.notify()
    assert follows.sent_to(flaky.follow_id) == both
    assert follows.sent_to(refused.follow_id) == []
    for m in both:
        assert outbox.asked[milestone_key(refused.follow_id, m)] == 1
        assert outbox.asked[milestone_key(flaky.follow_id, m)] == 2
    assert {m.recipients[0].email for m in outbox.list_messages()} == {"tam-thoi@example.vn"}


def test_the_intake_times_come_from_the_public_records(url: str) -> None:
    case_id = new_case()
    records = opened(url, case_id)
    times = intake_times(records.db, case_id)
    assert times is not None
    assert times.closed_at is None
    records.close_intake(case_id)
    closed = intake_times(records.db, case_id)
    assert closed is not None
    assert closed.closed_at is not None
    assert closed.closed_at >= closed.opened_at
    assert intake_times(records.db, new_case()) is None
