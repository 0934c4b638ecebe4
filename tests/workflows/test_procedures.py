"""Every shipped procedure on the real server: a whole life each, the simplified procedure,
and moving a case between regimes."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus

from client.cases import act, migrate, plan_case_migration, start_case, status
from client.errors import CaseActionRefused, CaseError
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory, first_staffed_drafter
from models.case import ActionRequest, SimplifiedDecision
from models.definition import ProcessDefinition
from models.machine import shortest_path
from models.registry import Registry, load_registry
from models.starting import StartRequest
from tests.conftest import Harness
from workflows import search_attributes as sa

# 20 ms legal days: a 60-day posting lasts 1.2 s, a central +45 days 0.9 s.
FAST_DAY = 0.02
REAL_DAY = 86400.0


def starter_for(definition: ProcessDefinition, directory: Directory) -> str:
    """A drafter whose agency can staff every role of ``definition``."""
    starter = first_staffed_drafter(directory, definition)
    assert starter, f"no drafting agency in the directory can run {definition.key}"
    return starter


@pytest.mark.parametrize("definition", list(load_registry()), ids=lambda d: d.key)
async def test_whole_life_of_every_procedure(
    harness: Harness, directory: Directory, definition: ProcessDefinition
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title=f"Vòng đời {definition.key}",
            starter=starter_for(definition, directory),
            legal_day_seconds=FAST_DAY,
        ),
        task_queue=harness.settings.task_queue,
    )
    expected = [
        definition.initial,
        *(t.dest for t in shortest_path(definition, definition.initial, definition.final[0])),
    ]
    final = await walk(harness.client, handle.id, definition, harness.store, timeout=180)
    result = await handle.result()
    assert final.stage == definition.final[0]
    # Stage changes only (replies, breaches and generated reports stay in their stage).
    stages = [e.to_stage for e in result.audit if e.from_stage != e.to_stage]
    assert stages == expected
    # Every mandatory written consultation was answered or ran out before the stage closed.
    for name, stage in definition.stages.items():
        for body in stage.consults:
            answered = [
                e
                for e in result.audit
                if e.action in ("reply", "reply_overdue")
                and (e.role == body.role or e.note == body.label)
            ]
            if body.mandatory and name in stages:
                assert answered, f"{body.role} neither replied nor went overdue"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


def _simplified_types(registry: Registry) -> list[ProcessDefinition]:
    return [d for d in registry if d.simplified is not None]


async def test_simplified_procedure_takes_its_shorter_path(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    assert definition.simplified is not None
    normal = shortest_path(definition, definition.initial, definition.final[0])
    short = shortest_path(definition, definition.initial, definition.final[0], simplified=True)
    assert len(short) < len(normal)
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title="Bãi bỏ quy định phí trông giữ xe do thiên tai",
            starter="nguyen.van.an",
            # Real legal days: the simplified path waits out no minimum period, and an entry
            # into force "on signing" is then the same legal day whatever the box's speed.
            legal_day_seconds=REAL_DAY,
            simplified=SimplifiedDecision(
                decided_by="bui.van.khoa", reason="Khắc phục hậu quả bão số 13 (Điều 50)"
            ),
        ),
        task_queue=harness.settings.task_queue,
    )
    st = await status(harness.client, handle.id)
    assert st.simplified
    assert "submit_simplified_dossier" in [a.action for a in st.allowed]
    await walk(harness.client, handle.id, definition, harness.store, timeout=180)
    result = await handle.result()
    audit = result.audit
    decided = next(e for e in audit if e.action == "simplified_procedure")
    assert decided.actor == "bui.van.khoa"
    assert "bão số 13" in (decided.note or "")
    assert "consultation" not in [e.to_stage for e in audit]
    # In force on signing: the entry-into-force minimum is zero days under this procedure.
    in_force = next(e for e in audit if e.action == "enter_into_force")
    published = next(e for e in audit if e.action == "record_publication").at
    assert in_force.at >= published
    assert in_force.legal_date == next(e for e in audit if e.action == "sign").legal_date


async def test_normal_case_cannot_take_the_shortcut(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(definition=definition, title="Quy định thông thường", starter="nguyen.van.an"),
        task_queue=harness.settings.task_queue,
    )
    draft = harness.store.put_blob(b"du thao", "du-thao.md")
    with pytest.raises(CaseActionRefused) as refused:
        await act(
            harness.client,
            handle.id,
            ActionRequest(
                declare_no_interest=True,
                action="submit_simplified_dossier",
                actor="nguyen.van.an",
                document=draft,
            ),
        )
    assert refused.value.code == "simplified_only"
    assert "normal procedure" in str(refused.value)
    assert (await status(harness.client, handle.id)).stage == "drafting"


async def test_simplified_procedure_only_by_the_competent_authority(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    with pytest.raises(CaseError, match="may not decide the simplified procedure"):
        await start_case(
            harness.client,
            directory,
            StartRequest(
                definition=registry.get("qd_ubnd_tinh", "L2025_A87"),
                title="Tự quyết rút gọn",
                starter="nguyen.van.an",
                simplified=SimplifiedDecision(
                    decided_by="tran.van.cuong", reason="Giám đốc Sở tự quyết định"
                ),
            ),
            task_queue=harness.settings.task_queue,
        )


async def test_migration_dry_run_then_real_then_refused(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    old = registry.get("qd_ubnd_tinh", "L2025")
    new = registry.get("qd_ubnd_tinh", "L2025_A87")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(definition=old, title="Quy định chuyển tiếp", starter="nguyen.van.an"),
        task_queue=harness.settings.task_queue,
    )
    h = harness.client
    # Dry run: a plan, and nothing written.
    await wait_for_status(h, handle.id, lambda s: s.pending_effects == 0, timeout=120)
    before = len((await handle.fetch_history()).events)
    plan = await plan_case_migration(h, handle.id, new)
    assert plan.possible, plan.refusal
    assert plan.stage == "drafting"
    assert len((await handle.fetch_history()).events) == before
    assert (await status(h, handle.id)).regime == "L2025"

    # Only an authorised operator may move it.
    with pytest.raises(CaseActionRefused) as refused:
        await migrate(
            h,
            directory,
            handle.id,
            new,
            operator="nguyen.van.an",
            reason="Luật 87/2025 có hiệu lực",
        )
    assert refused.value.code == "wrong_role"

    key = await migrate(
        h,
        directory,
        handle.id,
        new,
        operator="ops.oncall",
        reason="Luật 87/2025/QH15 có hiệu lực từ 1/7/2025",
    )
    assert key == new.key
    st = await status(h, handle.id)
    assert (st.regime, st.stage) == ("L2025_A87", "drafting")
    audit = await handle.query("audit")
    moved = [e for e in audit if e["action"] == "migrate_regime"]
    assert len(moved) == 1
    assert moved[0]["actor"] == "ops.oncall"
    assert "L2025 → " in moved[0]["note"]
    # The case now follows the new definition: its simplified shortcut exists (refused here
    # only because this case is a normal one), and visibility knows the new regime.
    draft = harness.store.put_blob(b"du thao", "du-thao.md")
    with pytest.raises(CaseActionRefused, match="simplified"):
        await act(
            h,
            handle.id,
            ActionRequest(
                declare_no_interest=True,
                action="submit_simplified_dossier",
                actor="nguyen.van.an",
                document=draft,
            ),
        )
    await wait_for_status(h, handle.id, lambda s: s.pending_effects == 0, timeout=120)
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.LEGAL_REGIME) == "L2025_A87"

    # Moving it again to where it already is: refused with the reason.
    with pytest.raises(CaseActionRefused) as again:
        await migrate(h, directory, handle.id, new, operator="ops.oncall", reason="lần nữa")
    assert again.value.code == "migration_refused"
    assert "already runs under L2025_A87" in str(again.value)


async def test_migration_refused_when_the_stage_has_no_counterpart(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """A decree under L2015 starts with a policy proposal, a stage the 2025 law dropped."""
    old = registry.get("nghi_dinh", "L2015")
    new = registry.get("nghi_dinh", "L2025_A87")
    assert old.initial not in new.stages
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=old, title="Nghị định chuyển tiếp", starter=starter_for(old, directory)
        ),
        task_queue=harness.settings.task_queue,
    )
    plan = await plan_case_migration(harness.client, handle.id, new)
    assert not plan.possible
    assert "no counterpart" in (plan.refusal or "")
    with pytest.raises(CaseActionRefused) as refused:
        await migrate(
            harness.client, directory, handle.id, new, operator="ops.oncall", reason="chuyển chế độ"
        )
    assert refused.value.code == "migration_refused"
    assert (await status(harness.client, handle.id)).regime == "L2015"
