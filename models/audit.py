"""A tamper-evident export of a case's decision trail (nhật ký xử lý hồ sơ).

JSON lines, one entry per line; each entry carries the hash of the previous line and its
own hash over its content and that link, so editing, removing or reordering any entry is
detected, and the first broken entry is named.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from models.case import AuditEntry

GENESIS = "0" * 64
FIELDS = (
    "case_id",
    "seq",
    "at",
    "legal_date",
    "actor",
    "role",
    "action",
    "from_stage",
    "to_stage",
    "note",
    "document_sha256",
    "on_behalf_of",
)


def _canonical(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(body: dict[str, Any], prev: str) -> str:
    return hashlib.sha256(f"{prev}\n{_canonical(body)}".encode()).hexdigest()


def export_lines(case_id: str, entries: Iterable[AuditEntry]) -> list[str]:
    """The trail as chained JSON lines (no trailing newlines)."""
    lines = []
    prev = GENESIS
    for e in entries:
        body = {"case_id": case_id, **e.model_dump(mode="json")}
        body = {k: body.get(k) for k in FIELDS}
        digest = _digest(body, prev)
        lines.append(_canonical({**body, "prev": prev, "hash": digest}))
        prev = digest
    return lines


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    #: 1-based line of the first entry that fails, and why.
    line: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"OK: {self.entries} entries, chain intact"
        return f"TAMPERED at line {self.line}: {self.reason}"


def verify_lines(lines: Sequence[str]) -> Verdict:
    """Check the chain; the first broken line is reported (edited, removed or reordered)."""
    prev = GENESIS
    expected_seq: int | None = None
    rows = [line for line in lines if line.strip()]
    for n, line in enumerate(rows, start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            return Verdict(False, len(rows), n, f"not valid JSON ({exc.msg})")
        if not isinstance(row, dict) or "hash" not in row or "prev" not in row:
            return Verdict(False, len(rows), n, "not an audit entry (no hash/prev)")
        body = {k: row.get(k) for k in FIELDS}
        if row["prev"] != prev:
            return Verdict(
                False,
                len(rows),
                n,
                "link to the previous entry is broken "
                "(an entry before it was removed, inserted or reordered)",
            )
        if _digest(body, prev) != row["hash"]:
            return Verdict(False, len(rows), n, "content does not match its hash (edited)")
        seq = body.get("seq")
        if expected_seq is not None and seq != expected_seq:
            return Verdict(False, len(rows), n, f"sequence {seq} where {expected_seq} was due")
        expected_seq = (seq + 1) if isinstance(seq, int) else None
        prev = row["hash"]
    return Verdict(True, len(rows))


class AuditExport(BaseModel):
    """The chained trail, as stored in the document store when a case ends."""

    case_id: str
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
