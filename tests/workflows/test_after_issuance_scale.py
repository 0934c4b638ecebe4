"""Ten simulated years of a document in force with 2,000 citizens' feedback cases, on the
time-skipping test server (its own: the server caps any execution at 10 years, so this
clock must start with this document). Every case is counted once however many runs the
monitoring takes (continue-as-new with concurrent Updates and signals), and no run's
history comes near Temporal's limits (10,240 events warns, 51,200 fails). The events per
run are printed (``-s``) and recorded in BENCHMARKS.md.

``LEGISFLOW_SCALE_FEEDBACK`` sets the number of feedback cases (default 2,000).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from client.after_issuance import (
    answer_feedback,
    forward_feedback,
    monitoring_id,
    monitoring_status,
    submit_feedback,
)
from models.actors import Directory
from models.feedback import ForwardRequest
from models.monitoring import MonitoringStatus
from models.registry import Registry
from tests.workflows.after_issuance import HANDLER, OTHER_HANDLER
from tests.workflows.after_issuance_skipping import (
    Skipping,
    document,
    eventually,
    feedback_exists,
    skip_to,
    skipping_server,
    when_monitoring,
)

#: The test server ends any execution 10 years after it starts: stop one day short.
TEN_YEARS = timedelta(days=3649)


@pytest.fixture(scope="module")
async def ts(
    tmp_path_factory: pytest.TempPathFactory, registry: Registry, directory: Directory
) -> AsyncIterator[Skipping]:
    async with skipping_server(tmp_path_factory.mktemp("scale"), registry, directory) as server:
        yield server


SCALE_FEEDBACK = int(os.environ.get("LEGISFLOW_SCALE_FEEDBACK", "2000"))
SCALE_YEARS = 10


async def test_ten_years_and_2000_feedback_cases_across_continue_as_new(
    ts: Skipping, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every feedback case is counted once however many runs the monitoring takes, and no
    run's history comes near Temporal's limits (10,240 events warns, 51,200 fails)."""
    started = time.monotonic()
    mon = await document(ts, "muoi-nam")
    case_id = mon.document.case_id
    h, store = ts.client, ts.store
    per_year = SCALE_FEEDBACK // SCALE_YEARS
    forwarded_total = left_open = reported = 0
    for year in range(1, SCALE_YEARS + 1):
        receipts = []
        for batch in range(0, per_year, 25):
            receipts += await asyncio.gather(
                *(
                    submit_feedback(h, store, case_id, author="Công dân", text=f"{year}-{i}")
                    for i in range(batch, min(batch + 25, per_year))
                )
            )
        forward = receipts[: per_year // 20]
        keep_open = receipts[per_year // 20 : per_year // 10]
        answer = receipts[per_year // 10 :]
        await _gather(
            answer_feedback(
                h, store, r.feedback_id, actor=HANDLER, text="Đã trả lời.", declare_no_interest=True
            )
            for r in answer
        )
        await _gather(
            forward_feedback(
                h,
                r.feedback_id,
                ForwardRequest(declare_no_interest=True, actor=HANDLER, agency="so-nn-daklak"),
            )
            for r in forward
        )
        await _gather(_answer_when_started(ts, f"{r.feedback_id}/so-nn-daklak") for r in forward)
        forwarded_total += len(forward)
        left_open += len(keep_open)
        mon = await monitoring_status(h, case_id)
        cutoff = mon.time.real_start_of(mon.period.cutoff + timedelta(days=1))
        if cutoff > mon.in_force_at + TEN_YEARS:
            break  # in force on 15-17 December: the tenth cut-off lies past the server's cap
        await skip_to(ts, cutoff)
        await when_monitoring(ts, case_id, f"report {year}", reports_at_least(year))
        reported = year
    # Ten years after the entry into force (less the day the test server would end it).
    await skip_to(ts, mon.in_force_at + TEN_YEARS)
    mon = await when_monitoring(
        ts,
        case_id,
        "every case counted",
        lambda m: (
            m.totals.feedback_answered == SCALE_FEEDBACK - left_open
            and m.totals.feedback_breaches == left_open
        ),
    )
    t = mon.totals
    assert t.feedback_received == SCALE_FEEDBACK
    assert (t.feedback_forwarded, t.feedback_forwarded_in) == (forwarded_total, forwarded_total)
    assert mon.open_feedback_count == left_open
    assert len([r for r in mon.reports if r.kind == "yearly"]) == reported >= SCALE_YEARS - 1
    runs = await run_lengths(ts, monitoring_id(case_id))
    assert len(runs) == mon.runs > 1
    # Each run decided to continue as new past the threshold, then let its handlers finish.
    assert all(4000 < seen <= length for seen, length in zip(mon.run_events, runs, strict=False)), (
        mon.run_events,
        runs,
    )
    assert max(runs) < 10_240, runs
    with capsys.disabled():
        print(
            f"\n[scale] {SCALE_FEEDBACK} feedback over {SCALE_YEARS} years: {len(runs)} runs, "
            f"events per run {runs}, {time.monotonic() - started:.0f}s wall"
        )


def reports_at_least(n: int) -> Callable[[MonitoringStatus], bool]:
    return lambda m: len(m.reports) >= n


async def run_lengths(h: Skipping, workflow_id: str) -> list[int]:
    """Events in each run of a workflow, following continue-as-new from the first run."""
    handle = h.client.get_workflow_handle(workflow_id)
    first = (await handle.fetch_history()).events[0]
    run_id = first.workflow_execution_started_event_attributes.first_execution_run_id
    lengths = []
    while run_id:
        events = (
            await h.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        ).events
        lengths.append(len(events))
        last = events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else ""
        )
    return lengths


async def _answer_when_started(h: Skipping, feedback_id: str) -> None:
    await eventually(feedback_id, lambda: feedback_exists(h, feedback_id))
    await answer_feedback(
        h.client,
        h.store,
        feedback_id,
        actor=OTHER_HANDLER,
        text="Trả lời.",
        declare_no_interest=True,
    )


async def _gather(aws: Any, size: int = 25) -> None:
    pending = list(aws)
    for i in range(0, len(pending), size):
        await asyncio.gather(*pending[i : i + size])
