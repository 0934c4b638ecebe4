"""A person's inbox (hộp việc): what waits for them now, overdue first, then by due date —
the drafting cases in which they can act or whose request for their written opinion awaits
it, and the citizens' feedback cases they answer. The web workspace's home page.

Temporal visibility narrows the running cases of the deployment's task queue to those that
may concern the person (``AwaitingRoles``: roles at agencies, never people), and only those
are asked for their status (at most ``PARALLEL`` at a time; a workspace keeps a
``StatusCache``, so a case unchanged since it was last read costs a describe, not a query).
What each call costs the server at 10,000 open cases is in BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.after_issuance import feedback_status
from client.cases import status
from client.status_cache import StatusCache
from models.actors import Directory
from models.awaiting import role_at
from models.case import AllowedAction, CaseStatus, ConsultView
from models.contested_issues import ContestedIssue
from models.feedback import FeedbackStatus

PARALLEL = 16
#: A case's status read this recently is shown in an inbox as it is (a case page asks the
#: server whether it changed): no later than a visibility listing would be.
RECENT_SECONDS = 5.0
#: A case that does not answer its status query in this long is left out of this listing
#: (its worker is down); the page must not hang on it.
QUERY_SECONDS = 30.0
T = TypeVar("T")


class InboxItem(BaseModel):
    """One case that waits for the person: what it is, what is asked, and by when."""

    case_id: str
    #: Where the workspace shows it.
    href: str
    title: str
    doc_type: str
    stage_label: str
    stage_label_en: str = ""
    #: What is asked of the person, in words (and in English, for the workspace's switch).
    tasks: list[str]
    tasks_en: list[str] = []
    actions: list[AllowedAction] = []
    #: Requests for the person's written opinion (lấy ý kiến) still awaiting it.
    requests: list[ConsultView] = []
    #: Issues sent up for the person's direction (xin ý kiến chỉ đạo) still awaiting it.
    issues: list[ContestedIssue] = []
    due: date | None = None
    due_explanation: str = ""
    overdue: bool


def _case_item(st: CaseStatus, person: str) -> InboxItem | None:
    mine = [a for a in st.allowed if person in a.actors]
    asked = [c for c in st.consultations if person in c.holders and c.replied_by is None]
    directing = [i for i in st.issues if person in i.holders and not i.settled]
    if not mine and not asked and not directing:
        return None
    current = [d for d in st.deadlines if d.stage == st.stage]
    due, why = (current[0].due_legal_date, current[0].explanation_vi) if current else (None, "")
    if not mine and asked:
        due, why = asked[0].due_legal_date, f"Hạn trả lời ý kiến — {asked[0].basis}"
    if directing and (due is None or directing[0].due_legal_date < due):
        first = min(directing, key=lambda i: i.due)
        due, why = first.due_legal_date, f"Hạn cho ý kiến chỉ đạo ({first.due_explanation})"
    return InboxItem(
        case_id=st.id,
        href=f"/ho-so/{st.id}",
        title=st.title,
        doc_type=st.type,
        stage_label=st.stage_label,
        stage_label_en=st.stage_label_en,
        tasks=[a.label for a in mine]
        + [f"Gửi ý kiến: {c.label}" for c in asked]
        + [f"Cho ý kiến chỉ đạo: vấn đề {i.number} — {i.question}" for i in directing],
        tasks_en=[a.label_en for a in mine]
        + [f"Send the written opinion: {c.label}" for c in asked]
        + [f"Give direction: issue {i.number} — {i.question}" for i in directing],
        actions=mine,
        requests=asked,
        issues=directing,
        due=due,
        due_explanation=why,
        overdue=st.overdue or any(c.overdue for c in asked) or any(i.overdue for i in directing),
    )


def _feedback_item(st: FeedbackStatus, person: str) -> InboxItem | None:
    if st.final or person not in st.answerers:
        return None
    running = sorted(st.deadlines, key=lambda d: d.due)
    return InboxItem(
        case_id=st.id,
        href=f"/phan-anh/{st.id}",
        title=f"Phản ánh số {st.number} về: {st.document_title}",
        doc_type="Kiến nghị, phản ánh",
        stage_label=st.stage_label,
        tasks=["Xử lý, trả lời kiến nghị, phản ánh"],
        tasks_en=["Handle and answer the feedback"],
        due=running[0].due_legal_date if running else None,
        due_explanation=running[0].explanation_vi if running else "",
        overdue=st.overdue,
    )


@dataclass
class RecentLists:
    """Visibility listings kept for ``RECENT_SECONDS``: a person who comes back to their
    inbox within seconds gets the same cases listed (each still read through the status
    cache) — as late as visibility itself may be, and a listing is the costly call (a scan of
    every running case on the dev server's SQLite; BENCHMARKS.md). At most ``size`` kept."""

    size: int = 2_000
    _lists: dict[str, tuple[float, list[str]]] = field(default_factory=dict)

    async def ids(self, client: Client, query: str, limit: int) -> list[str]:
        now = time.monotonic()
        kept = self._lists.get(query)
        if kept is not None and now - kept[0] < RECENT_SECONDS:
            return kept[1]
        ids = [wf.id async for wf in client.list_workflows(query, limit=limit)]
        if len(self._lists) >= self.size:
            self._lists = {q: v for q, v in self._lists.items() if now - v[0] < RECENT_SECONDS}
        self._lists[query] = (now, ids)
        return ids


async def _gather(
    client: Client,
    query: str,
    limit: int,
    ask: Callable[[str], Awaitable[T]],
    gate: asyncio.Semaphore,
    lists: RecentLists | None = None,
) -> list[T]:
    if lists is None:
        ids = [wf.id async for wf in client.list_workflows(query, limit=limit)]
    else:
        ids = await lists.ids(client, query, limit)

    async def one(case_id: str) -> T | None:
        async with gate:
            try:
                return await asyncio.wait_for(ask(case_id), QUERY_SECONDS)
            except (RPCError, WorkflowQueryFailedError, TimeoutError):
                return None  # ended, gone or not served since it was listed

    return [s for s in await asyncio.gather(*(one(c) for c in ids)) if s is not None]


def _running_of(workflow_type: str, task_queue: str) -> str:
    return (
        f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{_quoted(task_queue)}'"
    )


def _quoted(value: str) -> str:
    if "'" in value or "\\" in value:
        raise ValueError(f"not a name a query can carry: {value!r}")
    return value


@dataclass(frozen=True)
class Seeker:
    """Whose inbox: the person, their agency and the roles they answer for there — their
    own, and those of the people whose direct superior they are (a task handed up to them)."""

    person: str
    agency: str | None
    roles: tuple[str, ...]

    @classmethod
    def of(cls, directory: Directory, person: str) -> Seeker:
        try:
            me = directory.person(person)
        except KeyError:
            return cls(person, None, ())
        roles = set(me.roles)
        roles.update(r for p in directory.people if p.superior == person for r in p.roles)
        return cls(person, me.agency, tuple(sorted(roles)))

    def awaited(self, older: bool = True) -> str | None:
        """The visibility filter for drafting cases that may await this person: those whose
        AwaitingRoles names one of their roles in their agency, and, if ``older`` cases may
        run, those started before the attribute existed (asked one by one). None: no case
        can await them."""
        if self.agency is None or not self.roles:
            return "AwaitingRoles IS NULL" if older else None
        values = ", ".join(f"'{_quoted(role_at(r, self.agency))}'" for r in self.roles)
        if not older:
            return f"AwaitingRoles IN ({values})"
        return f"(AwaitingRoles IN ({values}) OR AwaitingRoles IS NULL)"


@dataclass
class OlderCases:
    """Whether drafting cases started before ``AwaitingRoles`` existed still run on a task
    queue, asked at most every ``every`` seconds: the inbox's filter leaves out the costly
    ``IS NULL`` clause once none do (a new case always has the attribute, so their number
    only falls)."""

    every: float = 300.0
    _known: dict[str, tuple[float, bool]] = field(default_factory=dict)

    async def run(self, client: Client, task_queue: str) -> bool:
        now = time.monotonic()
        known = self._known.get(task_queue)
        if known is not None and (not known[1] or now - known[0] < self.every):
            # None ran when last asked: none can have started since.
            return known[1]
        query = f"{_running_of('LegislativeProcess', task_queue)} AND AwaitingRoles IS NULL"
        found = (await client.count_workflows(query)).count > 0
        self._known[task_queue] = (now, found)
        return found


async def running_cases(
    client: Client, task_queue: str, agency: str, limit: int = 5000
) -> list[CaseStatus]:
    """The status of every running drafting case of ``agency`` on ``task_queue``."""
    gate = asyncio.Semaphore(PARALLEL)
    query = (
        f"{_running_of('LegislativeProcess', task_queue)} AND DraftingAgency = '{_quoted(agency)}'"
    )
    return await _gather(client, query, limit, lambda c: status(client, c), gate)


def _urgent_first(items: list[InboxItem]) -> list[InboxItem]:
    return sorted(items, key=lambda i: (not i.overdue, i.due is None, i.due or date.min, i.title))


async def inbox(
    client: Client, seeker: Seeker, task_queue: str, limit: int = 500
) -> list[InboxItem]:
    """What waits for the person on ``task_queue`` (the deployment's), overdue first, then
    the nearest due date, then what has none."""
    return (await overview(client, seeker, task_queue, limit)).mine


class Overview(BaseModel):
    """The inbox's two tabs: what the person can do now, and what their agency has in
    progress that waits on someone else (with whom)."""

    mine: list[InboxItem]
    waiting: list[InboxItem]


def _waiting_item(st: CaseStatus, names: Callable[[str], str]) -> InboxItem:
    def people(ids: list[str]) -> str:
        return ", ".join(names(p) for p in ids)

    # Who the case waits on, each line in both languages.
    who = (
        [(f"{a.label}: {people(a.actors)}", f"{a.label_en}: {people(a.actors)}")
         for a in st.allowed if a.actors]
        + [(f"Ý kiến {c.label}: {people(c.holders)}", f"Opinion of {c.label}: {people(c.holders)}")
           for c in st.consultations if c.replied_by is None and not c.overdue]
        + [(f"Chỉ đạo vấn đề {i.number}: {people(i.holders)}",
            f"Direction on issue {i.number}: {people(i.holders)}")
           for i in st.issues if not i.settled]
    )  # fmt: skip
    current = [d for d in st.deadlines if d.stage == st.stage]
    return InboxItem(
        case_id=st.id,
        href=f"/ho-so/{st.id}",
        title=st.title,
        doc_type=st.type,
        stage_label=st.stage_label,
        stage_label_en=st.stage_label_en,
        tasks=[vi for vi, _ in who] or ["Chờ đến hạn hoặc hệ thống tự chuyển bước"],
        tasks_en=[en for _, en in who]
        or ["Waiting for a deadline, or for the case to move on by itself"],
        due=current[0].due_legal_date if current else None,
        due_explanation=current[0].explanation_vi if current else "",
        overdue=st.overdue,
    )


async def overview(
    client: Client,
    seeker: Seeker,
    task_queue: str,
    limit: int = 500,
    names: Callable[[str], str] = str,
    statuses: StatusCache | None = None,
    older: OlderCases | None = None,
    lists: RecentLists | None = None,
) -> Overview:
    """Both tabs. Visibility narrows the cases first — in one list, drafting cases awaiting
    the person's roles in their agency (``AwaitingRoles``) or of their agency; in another,
    the feedback cases their agency answers — and only those are asked for their status
    (through ``statuses``, a long-running caller's cache, if given; ``older`` says whether
    cases without ``AwaitingRoles`` still run, else it is assumed they may)."""
    gate = asyncio.Semaphore(PARALLEL)
    drafting = _running_of("LegislativeProcess", task_queue)
    may_be_older = True if older is None else await older.run(client, task_queue)
    ask = (
        _status(client)
        if statuses is None
        else partial(statuses.status, client, recent=RECENT_SECONDS)
    )
    agency = f"DraftingAgency = '{_quoted(seeker.agency)}'" if seeker.agency else None
    awaited = seeker.awaited(may_be_older)
    where = " OR ".join(f"({w})" for w in (awaited, agency) if w is not None)
    asks = [_gather(client, f"{drafting} AND ({where})", limit, ask, gate, lists)] if where else []
    if agency is not None:
        feedback = f"{_running_of('FeedbackCase', task_queue)} AND {agency}"
        asks.append(_gather(client, feedback, limit, _feedback(client), gate, lists))
    found = [s for group in await asyncio.gather(*asks) for s in group]
    cases = {st.id: st for st in found if isinstance(st, CaseStatus)}
    person = seeker.person
    mine = [i for st in cases.values() if (i := _case_item(st, person)) is not None]
    mine += [
        i
        for fb in found
        if isinstance(fb, FeedbackStatus) and (i := _feedback_item(fb, person)) is not None
    ]
    taken = {i.case_id for i in mine}
    waiting = [
        _waiting_item(st, names)
        for st in cases.values()
        if st.id not in taken and st.drafting_agency == seeker.agency
    ]
    return Overview(mine=_urgent_first(mine), waiting=_urgent_first(waiting))


def _status(client: Client) -> Callable[[str], Awaitable[CaseStatus | FeedbackStatus]]:
    return lambda case_id: status(client, case_id)


def _feedback(client: Client) -> Callable[[str], Awaitable[CaseStatus | FeedbackStatus]]:
    return lambda feedback_id: feedback_status(client, feedback_id)
