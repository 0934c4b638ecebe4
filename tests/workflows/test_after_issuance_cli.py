"""After issuance through the `legisflow` command, as a user runs it: feedback, a refusal,
an amendment proposal visible from both sides, a check, and `list --overdue` showing
overdue feedback cases and checks beside a drafting case.

A legal day lasts 50 ms here, so deadlines pass while the test watches.
"""

from __future__ import annotations

import pytest

from client.cases import start_case
from localdev.walkthrough import walk
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.after_issuance import (
    CHECKER,
    HANDLER,
    HEAD,
    OTHER_HANDLER,
    in_force,
    monitored,
    until,
)
from tests.workflows.cli_harness import as_person, legisflow

DAY = 0.05


@pytest.fixture
def cli_columns() -> int:
    """Wider than the default (``tests/workflows/conftest.py``) for the tables here."""
    return 250


async def test_feedback_check_links_and_overdue_list_from_the_command_line(
    cli_env: dict[str, str], harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    doc = await in_force(
        harness.client,
        directory,
        definition,
        harness.store,
        slug="dong-lenh",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=DAY,
    )
    await monitored(harness.client, doc)
    # A drafting case left waiting past its deadline (the signer's office must send the
    # signed text to the Công báo within 3 days).
    late = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title="Quy định chưa gửi Công báo",
            starter="nguyen.van.an",
            slug="chua-gui-cong-bao",
            legal_day_seconds=DAY,
        ),
        task_queue=harness.settings.task_queue,
    )
    await walk(
        harness.client, late.id, definition, harness.store, target="gazette_submission", timeout=180
    )

    run = await legisflow(
        cli_env, "feedback", doc, "--from", "Nguyễn Văn Dân", "--text", "Biển báo chưa rõ."
    )
    assert run.code == 0, run.stderr
    fid = run.stdout.splitlines()[0]
    assert fid == f"{doc}/monitoring/feedback/1"
    assert "Trả lời / Answer 20" in run.stdout
    # Someone outside the competent agency: refused, exit 2, the reason on stderr.
    run = await legisflow(
        as_person(cli_env, OTHER_HANDLER), "feedback", "answer", fid, "--text", "X"
    )
    assert run.code == 2
    assert "not_competent" in run.stderr
    # On a document not in force.
    run = await legisflow(cli_env, "feedback", late.id, "--from", "A", "--text", "Sớm quá")
    assert run.code == 2
    assert "not_in_force" in run.stderr

    # A well-founded recommendation: an amendment case, linked both ways.
    run = await legisflow(
        as_person(cli_env, HEAD),
        "feedback",
        "propose-amendment",
        fid,
        "--reason",
        "Cần quy định rõ vị trí biển báo",
        "--no-interest",
    )
    assert run.code == 0, run.stderr
    amendment = run.stdout.strip()
    assert amendment == "so-xd-daklak:sua-doi-pa1-dong-lenh"
    run = await legisflow(cli_env, "status", amendment)
    assert run.code == 0, run.stderr
    assert f"Amends: {doc}" in run.stdout
    monitor = await until(
        "the link in `monitor`",
        lambda: _cli_when(cli_env, ("monitor", doc), f"Amended by: {amendment}"),
    )
    assert "received 1" in monitor

    # A check whose handling nobody does in 30 legal days (1.5 s): escalated.
    run = await legisflow(as_person(cli_env, CHECKER), "check", "open", doc)
    assert run.code == 0, run.stderr
    cid = run.stdout.strip()
    run = await legisflow(
        as_person(cli_env, CHECKER),
        "check",
        "conclude",
        cid,
        "--outcome",
        "unlawful",
        "--findings",
        "Điều 2 trái thẩm quyền",
        "--basis",
        "Luật 64/2025/QH15",
        "--handling",
        "annul",
        "--no-interest",
    )
    assert run.code == 0, run.stderr
    assert "Handling required: annul" in run.stdout

    # `list --overdue`: the feedback case, the check and the drafting case, with their kind.
    listed = await until(
        "overdue list",
        lambda: _cli_when(cli_env, ("list", "--overdue", "--open"), fid, cid, late.id),
    )
    rows = {
        line.split()[1]: line for line in listed.splitlines() if "│" in line and "so-xd" in line
    }
    assert "FeedbackCase" in rows[fid]
    assert "LegalityCheck" in rows[cid]
    assert "check_escalated" in rows[cid]
    assert "LegislativeProcess" in rows[late.id]
    run = await legisflow(cli_env, "list", "--overdue", "--kind", "check")
    assert cid in run.stdout
    assert fid not in run.stdout

    run = await legisflow(
        as_person(cli_env, HANDLER), "feedback", "answer", fid, "--text", "Đã sửa.", "--no-interest"
    )
    assert run.code == 0, run.stderr
    assert "late" in run.stdout


async def _cli_when(cli_env: dict[str, str], args: tuple[str, ...], *needles: str) -> str | None:
    run = await legisflow(cli_env, *args)
    assert run.code == 0, run.stderr
    return run.stdout if all(n in run.stdout for n in needles) else None
