"""The `legisflow` command, run as a user runs it, against the test session's server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from client.cases import start_case, status
from localdev.processes import until
from localdev.walkthrough import wait_for_status, walk
from models.actors import load_directory
from models.calendar import DayUnit, LegalCalendar
from models.case import SimplifiedDecision
from models.official_calendar import CALENDAR_FILE, load_calendar
from models.registry import load_registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.cli_harness import as_person, legisflow
from workflows.drafting.legislative_process import LegislativeProcess

WORKING = DayUnit.WORKING


async def test_actors_json(cli_env: dict[str, str]) -> None:
    run = await legisflow(cli_env, "actors", "--json")
    assert run.code == 0, run.stderr
    people = json.loads(run.stdout)
    khoa = next(p for p in people if p["id"] == "bui.van.khoa")
    assert khoa == {
        "id": "bui.van.khoa",
        "name": "Bùi Văn Khoa",
        "agency": "ubnd-daklak",
        "roles": ["signer"],
    }


async def test_start_act_status_and_list(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    run = await legisflow(
        as_person(cli_env, "le.thi.binh"),
        "start",
        "--type",
        "qd_ubnd_tinh",
        "--title",
        "Quy định về chiếu sáng công cộng",
    )
    assert run.code == 0, run.stderr
    case_id = run.stdout.strip()
    assert case_id == "so-xd-daklak:quy-dinh-ve-chieu-sang-cong-cong"

    # Refused: exit 2, the validator's reason on stderr.
    run = await legisflow(
        as_person(cli_env, "bui.van.khoa"), "act", "--no-interest", case_id, "sign"
    )
    assert run.code == 2
    assert "illegal_action" in run.stderr
    assert "open_consultation" in run.stderr

    draft = tmp_path / "du-thao-1.md"
    draft.write_text("# Dự thảo 1\n", encoding="utf-8")
    run = await legisflow(
        as_person(cli_env, "le.thi.binh"),
        "act",
        "--no-interest",
        case_id,
        "open_consultation",
        "--file",
        str(draft),
        "--note",
        "Đăng tải trên cổng thông tin",
    )
    assert run.code == 0, run.stderr
    assert "consultation" in run.stdout

    run = await legisflow(cli_env, "status", case_id, "--json")
    assert run.code == 0, run.stderr
    st = json.loads(run.stdout)
    assert {"id", "type", "regime", "stage", "overdue", "allowed", "deadlines"} <= st.keys()
    assert (st["id"], st["type"], st["regime"], st["stage"], st["overdue"]) == (
        case_id,
        "qd_ubnd_tinh",
        "L2025_A87",
        "consultation",
        False,
    )
    assert {"action", "to", "role", "actors"} <= st["allowed"][0].keys()
    assert [a["action"] for a in st["allowed"]] == ["withdraw"]
    [deadline] = st["deadlines"]
    assert {"name", "due", "basis", "explanation"} <= deadline.keys()
    assert deadline["explanation"].startswith("30 calendar days from")
    assert deadline["confirmed"] is False
    assert [b["action"] for b in st["blocked"]] == ["close_consultation"]
    [version] = st["documents"]
    assert version["document"]["name"] == "du-thao-1.md"
    assert version["recorded_by"] == "le.thi.binh"
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)
    assert harness.store.get_blob(version["document"]["sha256"]) == draft.read_bytes()

    # Visibility is eventually consistent: wait for the list to show the case.
    for _ in range(100):
        run = await legisflow(
            cli_env, "list", "--stage", "consultation", "--agency", "so-xd-daklak"
        )
        assert run.code == 0, run.stderr
        if case_id in run.stdout:
            break
        await asyncio.sleep(0.2)
    assert case_id in run.stdout
    run = await legisflow(cli_env, "list", "--stage", "appraisal")
    assert case_id not in run.stdout


async def test_unreachable_server_is_one_clear_line(cli_env: dict[str, str]) -> None:
    run = await legisflow(
        {**cli_env, "LEGISFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1"}, "status", "any-case"
    )
    assert run.code == 1
    assert "cannot reach Temporal at 127.0.0.1:1" in run.stderr
    assert "Traceback" not in run.stderr


async def test_unknown_type_is_refused(cli_env: dict[str, str]) -> None:
    run = await legisflow(
        as_person(cli_env, "nguyen.van.an"), "start", "--type", "luat", "--title", "Luật X"
    )
    assert run.code == 1
    assert "document type 'luat' has no procedure under L2025_A87" in run.stderr


async def test_comment_dispose_and_list_comments(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    run = await legisflow(
        as_person(cli_env, "nguyen.van.an"),
        "start",
        "--type",
        "qd_ubnd_tinh",
        "--title",
        "Quy định góp ý",
    )
    assert run.code == 0, run.stderr
    case_id = run.stdout.strip()
    draft = tmp_path / "du-thao.md"
    draft.write_text("Dự thảo", encoding="utf-8")
    run = await legisflow(
        as_person(cli_env, "nguyen.van.an"),
        "act",
        "--no-interest",
        case_id,
        "open_consultation",
        "--file",
        str(draft),
    )
    assert run.code == 0, run.stderr
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)
    for author in ("Nguyễn Thị Mai", "Trần Văn Nam"):  # a form letter, sent twice
        run = await legisflow(
            cli_env, "comment", case_id, "--from", author, "--text", "Sửa Điều 3."
        )
        assert run.code == 0, run.stderr
    run = await legisflow(cli_env, "comment", case_id, "--from", "VCCI", "--text", "Bỏ Điều 9.")
    assert run.code == 0, run.stderr
    run = await legisflow(
        as_person(cli_env, "bui.van.khoa"),
        "dispose",
        case_id,
        "C00001",
        "explained",
        "--reason",
        "x",
    )
    assert run.code != 0, "someone outside the drafting unit gave a disposition"
    assert "drafting unit" in run.stderr + run.stdout
    run = await legisflow(
        as_person(cli_env, "nguyen.van.an"),
        "dispose",
        case_id,
        "C00001",
        "explained",
        "--reason",
        "Đã rõ",
        "--no-interest",
    )
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("C00001: Giải trình"), run.stdout
    run = await legisflow(cli_env, "comments", case_id, "--json")
    assert run.code == 0, run.stderr
    listed = json.loads(run.stdout)
    assert listed["summary"]["submissions"] == 3
    assert [(c["id"], c["count"], c["disposition"], c["reason"]) for c in listed["comments"]] == [
        ("C00001", 2, "explained", "Đã rõ"),
        ("C00002", 1, None, None),
    ]
    run = await legisflow(cli_env, "comments", case_id, "--open")
    assert run.code == 0, run.stderr
    assert "C00002" in run.stdout
    assert "C00001" not in run.stdout


async def test_unreachable_document_store_is_one_clear_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    draft = tmp_path / "du-thao.md"
    draft.write_text("Dự thảo", encoding="utf-8")
    env = {
        **cli_env,
        "LEGISFLOW_DOCUMENT_STORE": "s3",
        "LEGISFLOW_S3_BUCKET": "legisflow",
        "LEGISFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: nothing listens
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    run = await legisflow(
        as_person(env, "nguyen.van.an"),
        "act",
        "--no-interest",
        "no:such-case",
        "open_consultation",
        "--file",
        str(draft),
    )
    assert run.code == 1, run
    assert "Traceback" not in run.stderr, run.stderr
    assert "document store" in run.stderr, run.stderr
    assert "nothing was sent to the case" in run.stderr, run.stderr


async def _start(cli_env: dict[str, str], title: str) -> str:
    run = await legisflow(
        as_person(cli_env, "le.thi.binh"), "start", "--type", "qd_ubnd_tinh", "--title", title
    )
    assert run.code == 0, run.stderr
    return run.stdout.strip()


async def test_an_action_on_a_case_that_has_ended_is_refused_as_closed(
    cli_env: dict[str, str], harness: Harness
) -> None:
    """It used to say `no case '…'` (exit 1) although `status` showed the case."""
    case_id = await _start(cli_env, "Quy định bị rút")
    head = as_person(cli_env, "tran.van.cuong")
    run = await legisflow(head, "act", "--no-interest", case_id, "withdraw")
    assert run.code == 2  # a withdrawal must say why
    assert "needs a note saying why" in run.stderr
    run = await legisflow(
        head, "act", "--no-interest", case_id, "withdraw", "--note", "Không còn cần thiết"
    )
    assert run.code == 0, run.stderr
    handle = harness.client.get_workflow_handle(case_id)
    await until(
        "the case to complete",
        lambda: _completed(handle),
        timeout=60,
    )
    run = await legisflow(
        as_person(cli_env, "le.thi.binh"), "act", "--no-interest", case_id, "open_consultation"
    )
    assert run.code == 2, run
    assert "refused (case_closed)" in run.stderr
    assert "withdrawn" in run.stderr
    assert "nothing was changed" in run.stderr
    run = await legisflow(cli_env, "status", case_id)
    assert run.code == 0, run.stderr


async def _completed(handle: WorkflowHandle[Any, Any]) -> bool:
    return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_a_wrong_role_on_dispose_names_each_drafter_once(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    """Trần Văn Cường is drafter and head of the drafting unit: he was listed twice."""
    case_id = await _start(cli_env, "Quy định có góp ý")
    draft = tmp_path / "du-thao.md"
    draft.write_text("# Dự thảo\n", encoding="utf-8")
    run = await legisflow(
        as_person(cli_env, "le.thi.binh"),
        "act",
        "--no-interest",
        case_id,
        "open_consultation",
        "--file",
        str(draft),
    )
    assert run.code == 0, run.stderr
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)
    run = await legisflow(cli_env, "comment", case_id, "--from", "Mai", "--text", "Sửa Điều 3")
    assert run.code == 0, run.stderr
    run = await legisflow(
        as_person(cli_env, "bui.van.khoa"), "dispose", case_id, "C00001", "accepted"
    )
    assert run.code == 2, run
    assert "refused (wrong_role)" in run.stderr
    given_by = run.stderr.split("dispositions are given by:", 1)[1]
    for drafter in ("nguyen.van.an", "le.thi.binh", "tran.van.cuong"):
        assert given_by.count(drafter) == 1, run.stderr


async def test_calendar_apply_moves_a_running_cases_deadline(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    """An announcement makes the last day of a case's 10-day appraisal limit a day off:
    `calendar apply --dry-run` lists the move and changes nothing; `calendar apply` moves the
    due date to the next working day and the audit trail says why; someone who is not an
    operator of the case is refused."""
    registry, directory = load_registry(), load_directory()
    definition = registry.get("qd_ubnd_tinh")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title="Quy định khẩn cấp về phòng chống thiên tai",
            starter="le.thi.binh",
            simplified=SimplifiedDecision(
                decided_by="bui.van.khoa", reason="Khẩn cấp phòng chống thiên tai (test)"
            ),
        ),
        task_queue=harness.settings.task_queue,
    )
    st = await walk(harness.client, handle.id, definition, harness.store, target="appraisal")
    [dl] = [d for d in st.deadlines if d.stage == "appraisal"]
    old_day = dl.due_legal_date
    # The calendar file with that day off.
    calendar_file = tmp_path / "lich.yaml"
    shutil.copy(CALENDAR_FILE, calendar_file)
    env = {**cli_env, "LEGISFLOW_CALENDAR_FILE": str(calendar_file)}
    run = await legisflow(
        env, "calendar", "add", f"{old_day:%d/%m/%Y}", "holiday",
        "--name", "Nghỉ đột xuất (thử nghiệm)", "--source", "Thông báo 2/TB-TEST",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    new_day = LegalCalendar(official=load_calendar(calendar_file)).add(old_day, 1, WORKING).due
    apply = ("calendar", "apply", "--case", handle.id, "--announcement", "Thông báo 2/TB-TEST")

    run = await legisflow(as_person(env, "ops.oncall"), *apply, "--dry-run")
    assert run.code == 0, run.stderr
    assert f"{old_day:%d/%m/%Y}" in run.stdout
    assert f"{new_day:%d/%m/%Y}" in run.stdout
    assert "would move 1" in run.stdout
    st = await status(harness.client, handle.id)
    assert next(d for d in st.deadlines if d.stage == "appraisal").due_legal_date == old_day

    run = await legisflow(as_person(env, "le.thi.binh"), *apply)
    assert run.code == 2, run
    assert "wrong_role" in run.stderr

    run = await legisflow(as_person(env, "ops.oncall"), *apply, "--json")
    assert run.code == 0, run.stderr
    [applied] = json.loads(run.stdout)
    [moved] = applied["moved"]
    assert (moved["old_due"], moved["new_due"]) == (old_day.isoformat(), new_day.isoformat())
    st = await status(harness.client, handle.id)
    assert next(d for d in st.deadlines if d.stage == "appraisal").due_legal_date == new_day
    trail = await handle.query(LegislativeProcess.audit)
    entry = next(e for e in trail if e.action == "calendar_applied")
    assert entry.actor == "ops.oncall"
    assert entry.note is not None
    assert "Thông báo 2/TB-TEST" in entry.note
    assert f"{old_day:%d/%m/%Y} → {new_day:%d/%m/%Y}" in entry.note


async def test_the_first_decision_asks_for_a_declaration_of_interest(
    cli_env: dict[str, str], harness: Harness, tmp_path: Path
) -> None:
    """`act` without a declaration exits 2 saying how to declare; `declare` records it (and
    a second one is refused); the same `act` then goes through."""
    case_id = await _start(cli_env, "Quy định cần khai báo")
    draft = tmp_path / "du-thao.md"
    draft.write_text("# Dự thảo\n", encoding="utf-8")
    binh = as_person(cli_env, "le.thi.binh")
    act = ("act", case_id, "open_consultation", "--file", str(draft))
    run = await legisflow(binh, *act)
    assert run.code == 2, run
    assert "refused (interest_not_declared)" in run.stderr
    assert "legisflow declare" in run.stderr
    run = await legisflow(binh, "declare", case_id)
    assert run.code == 1, run
    assert "--no-interest" in run.stderr
    run = await legisflow(binh, "declare", case_id, "--no-interest")
    assert run.code == 0, run.stderr
    assert "không có xung đột lợi ích" in run.stdout
    run = await legisflow(binh, "declare", case_id, "--no-interest")
    assert run.code == 2, run
    assert "already_declared" in run.stderr
    run = await legisflow(binh, *act)
    assert run.code == 0, run.stderr
    assert "consultation" in run.stdout
