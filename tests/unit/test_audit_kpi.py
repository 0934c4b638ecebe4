"""The tamper-evident audit export, and KPIs computed from audit trails."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from models.audit import GENESIS, export_lines, verify_lines
from models.case import AuditEntry
from models.kpi import CaseTrail, kpis, visits

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def entry(seq: int, action: str, src: str | None, dst: str, hours: float, **kw: str) -> AuditEntry:
    at = T0 + timedelta(hours=hours)
    return AuditEntry(
        seq=seq,
        at=at,
        legal_date=date(2026, 11, 20),
        actor=kw.get("actor", "a"),
        role=kw.get("role", "drafter"),
        action=action,
        from_stage=src,
        to_stage=dst,
        note=kw.get("note"),
    )


TRAIL = [
    entry(1, "start", None, "drafting", 0),
    entry(2, "open_consultation", "drafting", "consultation", 24),
    entry(3, "reply", "consultation", "consultation", 30, actor="mttq"),
    entry(4, "close_consultation", "consultation", "synthesis", 24 * 31),
    entry(5, "deadline_breached", "synthesis", "synthesis", 24 * 45, actor="system"),
    entry(6, "submit_synthesis", "synthesis", "dossier_review", 24 * 50),
]


def test_export_verifies_and_chains() -> None:
    lines = export_lines("so-xd:qd-1", TRAIL)
    assert len(lines) == len(TRAIL)
    rows = [json.loads(line) for line in lines]
    assert rows[0]["prev"] == GENESIS
    assert all(rows[i]["prev"] == rows[i - 1]["hash"] for i in range(1, len(rows)))
    assert rows[2]["actor"] == "mttq"
    assert verify_lines(lines).ok


def test_one_changed_byte_is_found_at_its_entry() -> None:
    lines = export_lines("c", TRAIL)
    lines[3] = lines[3].replace('"actor":"a"', '"actor":"b"')
    verdict = verify_lines(lines)
    assert not verdict.ok
    assert verdict.line == 4
    assert "edited" in (verdict.reason or "")


@pytest.mark.parametrize("mutation", ["remove", "reorder", "insert"])
def test_removed_reordered_or_inserted_entries_are_found(mutation: str) -> None:
    lines = export_lines("c", TRAIL)
    if mutation == "remove":
        del lines[2]
    elif mutation == "reorder":
        lines[2], lines[3] = lines[3], lines[2]
    else:
        lines.insert(2, lines[1])
    verdict = verify_lines(lines)
    assert not verdict.ok
    assert verdict.line == 3
    assert "broken" in (verdict.reason or "")


def test_last_entry_removed_is_not_detectable_without_the_count() -> None:
    """A truncated tail leaves a valid shorter chain: the count tells (documented)."""
    lines = export_lines("c", TRAIL)
    verdict = verify_lines(lines[:-1])
    assert verdict.ok
    assert verdict.entries == len(TRAIL) - 1


def test_kpis_per_stage() -> None:
    trail = CaseTrail("c", "so-xd-daklak", 86400.0, TRAIL)
    stays = visits(trail)
    assert [(v.stage, round(v.legal_days)) for v in stays] == [
        ("drafting", 1),
        ("consultation", 30),
        ("synthesis", 19),
    ]
    assert [v.breached for v in stays] == [False, False, True]
    rows = kpis(
        [trail, CaseTrail("d", "so-xd-daklak", 86400.0, TRAIL[:4])], T0, T0 + timedelta(days=60)
    )
    by_stage = {r.stage: r for r in rows}
    assert by_stage["consultation"].handled == 2
    assert by_stage["consultation"].on_time_rate == 1.0
    assert by_stage["synthesis"].handled == 1
    assert by_stage["synthesis"].on_time_rate == 0.0
    assert by_stage["consultation"].median_legal_days == pytest.approx(30.0)
    assert kpis([trail], T0 + timedelta(days=100), T0 + timedelta(days=200)) == []
