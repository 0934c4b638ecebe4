"""People following a draft by e-mail (theo dõi dự thảo qua thư điện tử): who follows which
case, the milestones each followed case has reached (``models/milestones.py``), and what each
follower was sent.

Double opt-in: a follow is active once its confirmation link has been used (``confirm``); the
same address following the same case again is the same row, and its confirmation is sent
again. Each follow has one secret token, in its confirmation and unsubscribe links; anyone
holding it may confirm or unsubscribe, nothing else. A follow ends when its person
unsubscribes, or when it is not confirmed within ``CONFIRM_WITHIN``, and its address is then
erased (Nghị định 13/2023/NĐ-CP: kept only as long as it serves); following again afterwards
is a new follow, to be confirmed anew.

A follower is sent each milestone reached after they confirmed, once. The notifier
(``portal/follow_notifier.py``) records milestones as it finds them, then claims each send
due (a lease: another portal process skips it meanwhile), sends it under a key derived from
(follow, milestone) and writes ``sent_at`` only after the send. A crash in between sends again
under the same key, which the notifier suppresses.

E-mail addresses are in ``follows`` only and never leave this store but for the notifier;
nothing here is copied to a workflow.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from models.milestones import IntakeTimes, Milestone
from public_records.database import Database

#: How long a claimed send is the claimer's alone: longer than one send can take (an SMTP
#: session with its time-outs), so two portal processes never send it at the same time.
LEASE = timedelta(minutes=5)
#: Confirmation e-mails one address is sent about one follow: following again resends it,
#: and this bounds what a stranger typing someone's address can make them receive.
MAX_CONFIRMATION_MAILS = 5
#: A follow not confirmed within this long ends, and its address is erased.
CONFIRM_WITHIN = timedelta(days=14)
MAX_EMAIL_CHARS = 254
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\".]+(\.[^@\s<>,;\".]+)+")

SCHEMA = (
    # ``email`` is erased (NULL) when the follow ends: unsubscribed, or never confirmed in
    # time. ``confirmation_mails`` counts the confirmations sent (their keys number them).
    """CREATE TABLE IF NOT EXISTS follows (
        id {id},
        case_id TEXT NOT NULL,
        email TEXT,
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        confirmation_mails INTEGER NOT NULL DEFAULT 0,
        UNIQUE (case_id, email)
    )""",
    """CREATE INDEX IF NOT EXISTS follows_active ON follows (case_id)
        WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL""",
    # ``legal_date``: the date the follower is told (the case's legal calendar).
    """CREATE TABLE IF NOT EXISTS follow_milestones (
        case_id TEXT NOT NULL,
        milestone TEXT NOT NULL,
        reached_at TEXT NOT NULL,
        legal_date TEXT NOT NULL,
        PRIMARY KEY (case_id, milestone)
    )""",
    # A row is a send claimed (``leased_until``) and, once ``sent_at`` is set, made; a send
    # the notifier refused for good has ``failed`` instead.
    """CREATE TABLE IF NOT EXISTS follow_sends (
        follow_id BIGINT NOT NULL REFERENCES follows (id),
        milestone TEXT NOT NULL,
        leased_until TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        failed TEXT,
        last_error TEXT,
        PRIMARY KEY (follow_id, milestone)
    )""",
)


class InvalidEmail(ValueError):
    """Not an e-mail address the portal can write to."""


def normalized_email(value: str) -> str:
    """The address as kept (trimmed, lower-cased); InvalidEmail if it is not one."""
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(email):
        raise InvalidEmail(value)
    return email


def _iso(at: datetime) -> str:
    # One fixed form (UTC, microseconds always written), so text order is time order.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(UTC)


class FollowState(str, Enum):
    PENDING = "pending"  # chờ xác nhận
    ACTIVE = "active"  # đang theo dõi
    ENDED = "ended"  # đã ngừng theo dõi (hủy, hoặc không xác nhận kịp)


@dataclass(frozen=True)
class Follow:
    """A follow as its token finds it (no address: the pages never show one)."""

    id: int
    case_id: str
    state: FollowState


@dataclass(frozen=True)
class FollowRequest:
    """What following a case did: the row, its token, and the number of the confirmation
    to send now (None: the most there may be were sent already)."""

    follow_id: int
    token: str
    mail: int | None
    #: The address was already following (confirmed, not unsubscribed).
    already_active: bool


@dataclass(frozen=True)
class DueSend:
    """A milestone a follower is to be sent."""

    follow_id: int
    case_id: str
    email: str
    token: str
    milestone: str
    reached_at: datetime
    legal_date: date
    attempts: int


def _state(confirmed_at: object, unsubscribed_at: object) -> FollowState:
    if unsubscribed_at is not None:
        return FollowState.ENDED
    return FollowState.ACTIVE if confirmed_at is not None else FollowState.PENDING


_ACTIVE = "f.confirmed_at IS NOT NULL AND f.unsubscribed_at IS NULL"


class Follows:
    """The follows, the milestones of followed cases and the sends, in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def at(cls, url: str) -> Follows:
        return cls(Database(url, SCHEMA))

    # ---- the public's side (the portal's pages) -------------------------------------------

    def request(self, case_id: str, email: str, now: datetime | None = None) -> FollowRequest:
        """``email`` asks to follow ``case_id``: a new row, or the one it has, and a
        confirmation to send (None past ``MAX_CONFIRMATION_MAILS``)."""
        address = normalized_email(email)
        at = _iso(now or _now())
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO follows (case_id, email, token, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (case_id, email) DO NOTHING",
                (case_id, address, secrets.token_urlsafe(24), at),
            )
            cur.execute(
                "UPDATE follows SET confirmation_mails = confirmation_mails + 1 WHERE case_id = ? "
                "AND email = ? AND confirmation_mails < ? RETURNING confirmation_mails",
                (case_id, address, MAX_CONFIRMATION_MAILS),
            )
            counted = cur.fetchone()
            cur.execute(
                "SELECT id, token, confirmed_at FROM follows WHERE case_id = ? AND email = ?",
                (case_id, address),
            )
            row_id, token, confirmed_at = cur.fetchone()
        return FollowRequest(
            follow_id=int(row_id),
            token=str(token),
            mail=int(counted[0]) if counted is not None else None,
            already_active=confirmed_at is not None,
        )

    def by_token(self, token: str) -> Follow | None:
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT id, case_id, confirmed_at, unsubscribed_at FROM follows WHERE token = ?",
                (token,),
            )
            row = cur.fetchone()
        return None if row is None else Follow(int(row[0]), str(row[1]), _state(row[2], row[3]))

    def confirm(self, token: str, now: datetime | None = None) -> Follow | None:
        """Make the follow active (from now: milestones reached before are not sent); a
        confirmed or ended one is left as it is. None: no follow has this token."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follows SET confirmed_at = ? WHERE token = ? AND confirmed_at IS NULL "
                "AND unsubscribed_at IS NULL",
                (_iso(now or _now()), token),
            )
        return self.by_token(token)

    def unsubscribe(self, token: str, now: datetime | None = None) -> Follow | None:
        """Send nothing more to this follow and erase its address (idempotent: the first
        time is kept). None: no follow has this token."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follows SET unsubscribed_at = ?, email = NULL WHERE token = ? AND "
                "unsubscribed_at IS NULL",
                (_iso(now or _now()), token),
            )
        return self.by_token(token)

    def expire_unconfirmed(self, now: datetime | None = None) -> int:
        """End the follows not confirmed within ``CONFIRM_WITHIN`` and erase their addresses
        (consent never given: nothing kept); how many."""
        at = now or _now()
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follows SET unsubscribed_at = ?, email = NULL WHERE confirmed_at IS NULL "
                "AND unsubscribed_at IS NULL AND created_at < ? RETURNING id",
                (_iso(at), _iso(at - CONFIRM_WITHIN)),
            )
            return len(cur.fetchall())

    # ---- the notifier's side --------------------------------------------------------------

    def followed_cases(self) -> list[str]:
        """The cases with at least one active follower."""
        with self.db.transaction() as cur:
            cur.execute(f"SELECT DISTINCT f.case_id FROM follows f WHERE {_ACTIVE} ORDER BY 1")
            return [str(r[0]) for r in cur.fetchall()]

    def record_milestones(self, case_id: str, reached: Sequence[Milestone]) -> int:
        """Keep the milestones the case has reached (each once); how many were new."""
        new = 0
        with self.db.transaction() as cur:
            for m in reached:
                cur.execute(
                    "INSERT INTO follow_milestones (case_id, milestone, reached_at, legal_date) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (case_id, milestone) DO NOTHING RETURNING "
                    "milestone",
                    (case_id, m.key, _iso(m.at), m.legal_date.isoformat()),
                )
                new += cur.fetchone() is not None
        return new

    def milestones(self, case_id: str) -> list[str]:
        """The milestones recorded for the case, in the order reached."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT milestone FROM follow_milestones WHERE case_id = ? ORDER BY reached_at",
                (case_id,),
            )
            return [str(r[0]) for r in cur.fetchall()]

    def due(self, now: datetime | None = None, limit: int = 200) -> list[DueSend]:
        """The sends due: to each active follower, each milestone of their case reached after
        they confirmed, not sent yet, not given up, and not leased to another sender now."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT f.id, f.case_id, f.email, f.token, m.milestone, m.reached_at, "
                "m.legal_date, COALESCE(s.attempts, 0) FROM follows f JOIN follow_milestones "
                "m ON m.case_id = f.case_id LEFT JOIN follow_sends s ON s.follow_id = f.id AND "
                f"s.milestone = m.milestone WHERE {_ACTIVE} AND m.reached_at >= f.confirmed_at "
                "AND (s.follow_id IS NULL OR (s.sent_at IS NULL AND s.failed IS NULL AND "
                "s.leased_until <= ?)) ORDER BY m.reached_at, f.id LIMIT ?",
                (_iso(now or _now()), limit),
            )
            rows = cur.fetchall()
        return [
            DueSend(
                follow_id=int(r[0]),
                case_id=str(r[1]),
                email=str(r[2]),
                token=str(r[3]),
                milestone=str(r[4]),
                reached_at=datetime.fromisoformat(str(r[5])),
                legal_date=date.fromisoformat(str(r[6])),
                attempts=int(r[7]),
            )
            for r in rows
        ]

    def claim(self, follow_id: int, milestone: str, now: datetime | None = None) -> bool:
        """Lease the send to the caller for ``LEASE``; False if it was sent, given up, or
        leased to another sender (or the follower unsubscribed meanwhile)."""
        at = now or _now()
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT 1 FROM follows f WHERE f.id = ? AND {_ACTIVE}",
                (follow_id,),
            )
            if cur.fetchone() is None:
                return False
            # PostgreSQL re-checks the condition on a row another claimer has just committed,
            # SQLite takes one writer at a time: either way one claimer gets a row back.
            cur.execute(
                "INSERT INTO follow_sends (follow_id, milestone, leased_until, attempts) VALUES "
                "(?, ?, ?, 1) ON CONFLICT (follow_id, milestone) DO UPDATE SET leased_until = "
                "excluded.leased_until, attempts = follow_sends.attempts + 1 WHERE "
                "follow_sends.sent_at IS NULL AND follow_sends.failed IS NULL AND "
                "follow_sends.leased_until <= ? RETURNING follow_id",
                (follow_id, milestone, _iso(at + LEASE), _iso(at)),
            )
            return cur.fetchone() is not None

    def sent(self, follow_id: int, milestone: str, now: datetime | None = None) -> None:
        """The send was made (written after it: a crash before this sends it again, under
        the same key)."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follow_sends SET sent_at = ?, last_error = NULL WHERE follow_id = ? AND "
                "milestone = ? AND sent_at IS NULL",
                (_iso(now or _now()), follow_id, milestone),
            )

    def retry(self, follow_id: int, milestone: str, at: datetime, error: str) -> None:
        """The send failed for now: try again at ``at``."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follow_sends SET leased_until = ?, last_error = ? WHERE follow_id = ? "
                "AND milestone = ? AND sent_at IS NULL",
                (_iso(at), error[:1000], follow_id, milestone),
            )

    def give_up(self, follow_id: int, milestone: str, error: str) -> None:
        """The notifier refused the send for good (the address refused): never again."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE follow_sends SET failed = ? WHERE follow_id = ? AND milestone = ? AND "
                "sent_at IS NULL",
                (error[:1000], follow_id, milestone),
            )

    def sent_to(self, follow_id: int) -> list[str]:
        """The milestones this follow was sent, in the order they were reached (for ops and
        the tests; two processes may send them in another order)."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT s.milestone FROM follow_sends s JOIN follows f ON f.id = s.follow_id "
                "JOIN follow_milestones m ON m.case_id = f.case_id AND m.milestone = "
                "s.milestone WHERE s.follow_id = ? AND s.sent_at IS NOT NULL ORDER BY "
                "m.reached_at, s.milestone",
                (follow_id,),
            )
            return [str(r[0]) for r in cur.fetchall()]


def intake_times(db: Database, case_id: str) -> IntakeTimes | None:
    """When the portal's intake of the case's consultation opened and closed, from the public
    records' ``consultations`` table in ``db`` (``PublicComments.db``); None if it has none."""
    with db.transaction() as cur:
        cur.execute("SELECT opened_at, closed_at FROM consultations WHERE case_id = ?", (case_id,))
        row = cur.fetchone()
    if row is None:
        return None
    return IntakeTimes(
        opened_at=datetime.fromisoformat(str(row[0])),
        closed_at=datetime.fromisoformat(str(row[1])) if row[1] else None,
    )
