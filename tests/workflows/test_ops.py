"""What ops see and use: search attributes and current details after every stage change,
list filters, the audit export and its verification, metrics, setup, and envconfig."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata

from client import ops
from client.cases import start_case
from client.connection import connect, connect_config
from client.listing import list_cases, list_query
from identity.signing_key import load
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.audit import verify_lines
from models.case import CaseResult
from models.definition import Transition
from models.registry import Registry
from models.starting import StartRequest
from settings import Settings
from tests.conftest import Harness, Temporal
from tests.workflows.cli_harness import legisflow
from worker import build_worker
from workflows import search_attributes as sa

FAST_DAY = 0.05


async def start(
    harness: Harness,
    registry: Registry,
    directory: Directory,
    doc_type: str,
    starter: str,
    slug: str,
) -> str:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get(doc_type),
            title=f"Ops {slug}",
            starter=starter,
            slug=slug,
            legal_day_seconds=FAST_DAY,
        ),
        task_queue=harness.settings.task_queue,
    )
    return handle.id


async def test_search_attributes_and_details_follow_every_stage(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    case_id = await start(
        harness, registry, directory, "qd_ubnd_tinh", "nguyen.van.an", "ops-visibility"
    )
    handle = harness.client.get_workflow_handle(case_id)
    checked: list[str] = []

    async def check(t: Transition, _: object) -> None:
        st = await wait_for_status(
            harness.client, case_id, lambda s: s.stage == t.dest, timeout=120
        )
        desc = await handle.describe()
        attrs = desc.typed_search_attributes
        assert attrs.get(sa.LEGAL_STAGE) == st.stage
        assert attrs.get(sa.DOCUMENT_TYPE) == "qd_ubnd_tinh"
        assert attrs.get(sa.DRAFTING_AGENCY) == "so-xd-daklak"
        assert attrs.get(sa.LEGAL_REGIME) == "L2025_A87"
        maximum = [d for d in st.deadlines if d.stage == st.stage and d.kind == "maximum"]
        assert (attrs.get(sa.STAGE_DUE_AT) is not None) == bool(maximum)
        meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert f"({st.stage_label_en})" in meta.current_details
        assert await desc.static_summary() == f"{definition.name}: Ops ops-visibility"
        memo = await desc.memo()
        assert memo["title"] == "Ops ops-visibility"
        checked.append(st.stage)

    await walk(harness.client, case_id, definition, harness.store, on_step=check, timeout=180)
    assert checked[-1] == "in_force"
    assert len(checked) == 14


async def test_list_filters(harness: Harness, registry: Registry, directory: Directory) -> None:
    tag = uuid.uuid4().hex[:6]
    a = await start(harness, registry, directory, "qd_ubnd_tinh", "nguyen.van.an", f"a-{tag}")
    b = await start(harness, registry, directory, "qd_ubnd_tinh", "dinh.thi.hoa", f"b-{tag}")
    c = await start(harness, registry, directory, "nq_hdnd_tinh", "nguyen.van.an", f"c-{tag}")
    client = harness.client

    async def ids(**filters: object) -> set[str]:
        rows = await list_cases(client, list_query(**filters))  # type: ignore[arg-type]
        return {r.id for r in rows} & {a, b, c}

    # Visibility is eventually consistent: wait for all three first.
    for _ in range(200):
        if await ids() == {a, b, c}:
            break
        await asyncio.sleep(0.05)
    assert await ids(agency="so-xd-daklak") == {a, c}
    assert await ids(doc_type="nq_hdnd_tinh") == {c}
    assert await ids(stage="drafting", agency="so-nn-daklak") == {b}
    assert await ids(overdue=True) == set()
    assert await ids(regime="L2015") == set()


async def test_audit_export_verify_and_tamper(
    harness: Harness,
    registry: Registry,
    directory: Directory,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    case_id = await start(
        harness, registry, directory, "qd_ubnd_tinh", "nguyen.van.an", "ops-audit"
    )
    await walk(harness.client, case_id, definition, harness.store, timeout=180)
    handle = harness.client.get_workflow_handle(case_id, result_type=CaseResult)
    result = await handle.result()
    export = tmp_path / "audit.jsonl"

    done = await legisflow(cli_env, "audit", case_id, "--out", str(export))
    assert done.code == 0, done.stderr
    lines = export.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    # The drafter declares no conflict of interest with their first decision (Luật PCTN Điều 23).
    assert [r["action"] for r in rows][:3] == ["start", "declare_interest", "open_consultation"]
    assert {
        "actor",
        "role",
        "action",
        "from_stage",
        "to_stage",
        "at",
        "note",
        "document_sha256",
        "prev",
        "hash",
    } <= rows[1].keys()
    done = await legisflow(cli_env, "audit", "verify", str(export))
    assert done.code == 0
    assert f"OK: {len(lines)} entries" in done.stdout
    # One byte changed in the middle: found, at that entry.
    tampered = tmp_path / "tampered.jsonl"
    changed = lines[5].replace('"actor":"', '"actor":"X', 1)
    tampered.write_text("\n".join([*lines[:5], changed, *lines[6:]]) + "\n", encoding="utf-8")
    done = await legisflow(cli_env, "audit", "verify", str(tampered))
    assert done.code == 3
    assert "TAMPERED at line 6" in done.stderr
    # The case's own export was stored in the document store when it ended.
    [stored] = [v for v in result.documents if v.document.name.startswith("nhat-ky-")]
    stored_lines = harness.store.get_blob(stored.document.sha256).decode().splitlines()
    assert verify_lines(stored_lines).ok
    assert [json.loads(x)["hash"] for x in stored_lines] == [
        r["hash"] for r in rows[: len(stored_lines)]
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def metrics_worker(env: Temporal, tmp_path: Path) -> AsyncIterator[tuple[Harness, int]]:
    port = _free_port()
    settings = Settings(
        task_queue=f"metrics-{uuid.uuid4().hex[:6]}",
        data_dir=tmp_path,
        metrics_port=port,
        temporal_address=env.address,
    )
    # A client on a runtime that exports Prometheus, signing as the session's client does.
    client = await connect(settings, stand_in_signer(load(env.key_file)))
    with ThreadPoolExecutor(4) as ex:
        async with build_worker(client, settings, ex):
            from activities.filesystem_store import FilesystemDocumentStore
            from activities.outbox import OutboxNotifier

            yield (
                Harness(
                    client,
                    settings,
                    FilesystemDocumentStore(settings.documents_dir),
                    OutboxNotifier(settings.outbox_dir),
                ),
                port,
            )


async def test_metrics_endpoint_serves_legisflow_counters(
    metrics_worker: tuple[Harness, int], registry: Registry, directory: Directory
) -> None:
    harness, port = metrics_worker
    definition = registry.get("qd_ubnd_tinh")
    case_id = await start(
        harness, registry, directory, "qd_ubnd_tinh", "nguyen.van.an", "ops-metrics"
    )
    from client.cases import act
    from client.errors import CaseActionRefused
    from models.case import ActionRequest

    with pytest.raises(CaseActionRefused):
        await act(
            harness.client,
            case_id,
            ActionRequest(declare_no_interest=True, action="sign", actor="bui.van.khoa"),
        )
    await walk(harness.client, case_id, definition, harness.store, timeout=180)

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body: bytes = r.read()
            return body.decode()

    text = ""
    for _ in range(100):  # metrics are exported periodically
        text = await asyncio.to_thread(scrape)
        if "legisflow_stage_transitions" in text and "legisflow_refused_actions" in text:
            break
        await asyncio.sleep(0.1)
    transitions = [
        line
        for line in text.splitlines()
        if line.startswith("legisflow_stage_transitions") and "in_force" in line
    ]
    assert transitions, text[:2000]
    assert any(
        'code="illegal_action"' in line
        for line in text.splitlines()
        if line.startswith("legisflow_refused_actions")
    )
    assert "temporal_workflow_completed" in text  # the runtime's own metrics too


async def test_setup_is_idempotent(env: Temporal) -> None:
    # The session server already has them: nothing to add, twice.
    assert await ops.register_search_attributes(env.client, "default") == []
    assert await ops.register_search_attributes(env.client, "default") == []


async def test_settings_from_an_envconfig_profile(
    env: Temporal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = env.address
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.tinh]\naddress = "{target}"\nnamespace = "default"\n'
        '[profile.cloud]\naddress = "example.tmprl.cloud:7233"\nnamespace = "legis.abc12"\n'
        'api_key = "secret"\n',
        encoding="utf-8",
    )
    for var in ("LEGISFLOW_TEMPORAL_ADDRESS", "LEGISFLOW_NAMESPACE", "TEMPORAL_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEGISFLOW_TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("LEGISFLOW_TEMPORAL_PROFILE", "cloud")
    cloud = connect_config(Settings())
    assert (cloud["target_host"], cloud["namespace"], cloud["api_key"]) == (
        "example.tmprl.cloud:7233",
        "legis.abc12",
        "secret",
    )
    assert cloud.get("tls")  # an API key turns TLS on
    monkeypatch.setenv("LEGISFLOW_TEMPORAL_PROFILE", "tinh")
    client = await connect(Settings())
    assert client.service_client.config.target_host == target
    # An explicit LEGISFLOW_TEMPORAL_ADDRESS wins over the profile.
    monkeypatch.setenv("LEGISFLOW_TEMPORAL_ADDRESS", "127.0.0.1:1")
    assert connect_config(Settings())["target_host"] == "127.0.0.1:1"
