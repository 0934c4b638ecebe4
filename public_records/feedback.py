"""Feedback on documents in force received by the public portal (kiến nghị, phản ánh qua cổng
thông tin), and its delivery to each document's monitoring workflow.

The portal commits a feedback here and gives its tracking code (prefix ``PA``) only once the
row is committed; it never waits for Temporal. The forwarder (``portal/feedback_forwarder.py``)
then takes the rows still to deliver (``claim``), hands each to the monitoring workflow under
the row's own Update id, pinned to one run of that workflow (``pin``), and records the
feedback case it started (``delivered``). The same text from the same contact on the same
document is one feedback: sending it again returns the first receipt.

Names and contacts are in ``public_feedback`` only; the forwarder never reads them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from models.choices import Category
from models.comments import text_hash
from models.public_consultation import Receipt
from models.public_feedback import Delivery, PortalFeedback, TrackedFeedback
from public_records.database import Database
from public_records.tracking_codes import new_code, normalized

#: The tracking code of a feedback starts so (phản ánh, kiến nghị).
FEEDBACK_PREFIX = "PA"
#: How long a claimed row is the claimer's alone: longer than one delivery can take (the
#: client API retries a busy workflow for a minute), so two forwarders never send one row at
#: the same time, and a forwarder that died lets its rows go after it.
LEASE = timedelta(minutes=5)

SCHEMA = (
    # ``delivery_key`` is the Update id the row is delivered under and ``delivery_run`` the
    # monitoring run it is pinned to: together they make a repeated delivery the same one.
    """CREATE TABLE IF NOT EXISTS public_feedback (
        id {id},
        tracking_code TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL,
        monitoring_id TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        source_key TEXT NOT NULL,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        received_at TEXT NOT NULL,
        delivery_key TEXT NOT NULL,
        delivery_run TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        feedback_id TEXT,
        forwarded_at TEXT,
        refused TEXT,
        UNIQUE (case_id, source_key, text_sha256)
    )""",
    # The forwarder's queue: only the rows still to deliver are in it.
    """CREATE INDEX IF NOT EXISTS public_feedback_pending ON public_feedback (next_attempt_at, id)
        WHERE feedback_id IS NULL AND refused IS NULL""",
)


def _iso(at: datetime) -> str:
    # One fixed form (UTC, microseconds always written), so text order is time order.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(UTC)


def _source_key(case_id: str, contact: str) -> str:
    # Who sent it, without keeping the contact in the uniqueness key.
    return hashlib.sha256(f"{case_id}\n{contact}".encode()).hexdigest()


def new_key() -> str:
    """A delivery key: random, so that it says nothing about the row or the citizen."""
    return secrets.token_hex(16)


def is_feedback_code(code: str) -> bool:
    """Whether ``code``, as a person typed it, is a feedback's tracking code (not a comment's)."""
    return (normalized(code) or "").startswith(f"{FEEDBACK_PREFIX}-")


def monitoring_of(case_id: str) -> str:
    """The id of a document's monitoring workflow (``client.after_issuance.monitoring_id``)."""
    return f"{case_id}/monitoring"


_PENDING = "feedback_id IS NULL AND refused IS NULL"
_DELIVERY_COLUMNS = (
    "id, case_id, monitoring_id, kind, text, received_at, delivery_key, delivery_run, attempts"
)


class PublicFeedback:
    """The portal's feedback on documents in force, and its delivery queue, in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def at(cls, url: str) -> PublicFeedback:
        return cls(Database(url, SCHEMA))

    # ---- the public's side (the portal) ---------------------------------------------------

    def submit(self, sub: PortalFeedback, title: str, now: datetime | None = None) -> Receipt:
        """Keep the feedback on the document ``title`` durably, queued for delivery, and
        return its receipt (the first one if the same contact sent the same text on the same
        document before)."""
        sha = text_hash(sub.text)
        source = _source_key(sub.case_id, sub.contact)
        at = _iso(now or _now())
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO public_feedback (tracking_code, case_id, monitoring_id, title, kind, "
                "text, text_sha256, source_key, name, contact, received_at, delivery_key, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                "(case_id, source_key, text_sha256) DO NOTHING RETURNING tracking_code",
                (
                    new_code(FEEDBACK_PREFIX),
                    sub.case_id,
                    monitoring_of(sub.case_id),
                    title,
                    sub.kind.value,
                    sub.text,
                    sha,
                    source,
                    sub.name,
                    sub.contact,
                    at,
                    new_key(),
                    at,
                ),
            )
            row = cur.fetchone()
            if row is not None:
                return Receipt(tracking_code=row[0], duplicate=False)
            cur.execute(
                "SELECT tracking_code FROM public_feedback WHERE case_id = ? AND source_key = ? "
                "AND text_sha256 = ?",
                (sub.case_id, source, sha),
            )
            return Receipt(tracking_code=cur.fetchone()[0], duplicate=True)

    def tracked(self, code: str) -> TrackedFeedback | None:
        """The feedback under a tracking code as typed, or None (a comment's code included:
        those are ``PublicComments``')."""
        stored = normalized(code)
        if stored is None or not is_feedback_code(stored):
            return None
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT tracking_code, case_id, title, kind, text, received_at, feedback_id, "
                "forwarded_at, refused FROM public_feedback WHERE tracking_code = ?",
                (stored,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return TrackedFeedback(
            tracking_code=row[0],
            case_id=row[1],
            title=row[2],
            kind=Category(row[3]),
            text=row[4],
            received_at=datetime.fromisoformat(row[5]),
            feedback_id=row[6],
            forwarded_at=datetime.fromisoformat(row[7]) if row[7] else None,
            refused=row[8],
        )

    # ---- the forwarder's side -------------------------------------------------------------

    def claim(self, now: datetime | None = None, limit: int = 50) -> list[Delivery]:
        """The rows due for delivery, oldest first, each leased to the caller for ``LEASE``
        (another forwarder skips them meanwhile) and its attempt counted."""
        at = now or _now()
        due, until = _iso(at), _iso(at + LEASE)
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT id FROM public_feedback WHERE {_PENDING} AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (due, limit),
            )
            ids = [r[0] for r in cur.fetchall()]
            claimed = []
            for row_id in ids:
                # Still due when updated: a concurrent claimer that got there first has moved
                # next_attempt_at past ``due`` (PostgreSQL re-checks the condition after the
                # other's commit), and the row is skipped.
                cur.execute(
                    "UPDATE public_feedback SET next_attempt_at = ?, attempts = attempts + 1 "
                    f"WHERE id = ? AND {_PENDING} AND next_attempt_at <= ? "
                    f"RETURNING {_DELIVERY_COLUMNS}",
                    (until, row_id, due),
                )
                got = cur.fetchone()
                if got is not None:
                    claimed.append(_delivery(got))
        return claimed

    def pin(self, row: int, run_id: str, *, replacing: str | None = None) -> str:
        """Pin the row's delivery to the monitoring run ``run_id`` (if it is still pinned to
        ``replacing``, None: to none) and return the run it is pinned to now: the caller sends
        to that run only, so a lost result is asked again of the run that may have it."""
        with self.db.transaction() as cur:
            if replacing is None:
                cur.execute(
                    "UPDATE public_feedback SET delivery_run = ? WHERE id = ? AND "
                    "delivery_run IS NULL",
                    (run_id, row),
                )
            else:
                cur.execute(
                    "UPDATE public_feedback SET delivery_run = ? WHERE id = ? AND delivery_run = ?",
                    (run_id, row, replacing),
                )
            cur.execute("SELECT delivery_run FROM public_feedback WHERE id = ?", (row,))
            pinned: str = cur.fetchone()[0]
        return pinned

    def delivered(self, row: int, feedback_id: str, now: datetime | None = None) -> str:
        """Record the feedback case the delivery started; the one recorded (the first)."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE public_feedback SET feedback_id = ?, forwarded_at = ?, last_error = NULL "
                "WHERE id = ? AND feedback_id IS NULL",
                (feedback_id, _iso(now or _now()), row),
            )
            cur.execute("SELECT feedback_id FROM public_feedback WHERE id = ?", (row,))
            recorded: str = cur.fetchone()[0]
        return recorded

    def refuse(self, row: int, reason: str) -> None:
        """The row can never be delivered (the document no longer takes feedback): it leaves
        the queue, and its tracking page says why."""
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE public_feedback SET refused = ? WHERE id = ? AND {_PENDING}",
                (reason[:1000], row),
            )

    def retry(self, row: int, error: str, at: datetime, *, replace_key: str | None = None) -> None:
        """Deliver the row again at ``at``; ``error`` is kept for ops. With ``replace_key``
        (the key a run failed the delivery under) the row gets a new key: a run keeps the
        outcome of each Update id, a failure too, and would answer the old key with it."""
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE public_feedback SET next_attempt_at = ?, last_error = ? WHERE id = ? "
                f"AND {_PENDING}",
                (_iso(at), error[:1000], row),
            )
            if replace_key is not None:
                cur.execute(
                    "UPDATE public_feedback SET delivery_key = ? WHERE id = ? AND delivery_key = ?",
                    (new_key(), row, replace_key),
                )

    def pending(self) -> int:
        """How many rows are still to deliver (for ops and the tests)."""
        with self.db.transaction() as cur:
            cur.execute(f"SELECT COUNT(*) FROM public_feedback WHERE {_PENDING}")
            count: int = cur.fetchone()[0]
        return count

    def last_error(self, row: int) -> str | None:
        with self.db.transaction() as cur:
            cur.execute("SELECT last_error FROM public_feedback WHERE id = ?", (row,))
            got = cur.fetchone()
        return None if got is None else got[0]


def _delivery(row: tuple[object, ...]) -> Delivery:
    row_id, case_id, monitoring_id, kind, text, received_at, key, run, attempts = row
    return Delivery(
        row=int(str(row_id)),
        case_id=str(case_id),
        monitoring_id=str(monitoring_id),
        kind=Category(str(kind)),
        text=str(text),
        received_at=datetime.fromisoformat(str(received_at)),
        key=str(key),
        run_id=str(run) if run is not None else None,
        attempts=int(str(attempts)),
    )
