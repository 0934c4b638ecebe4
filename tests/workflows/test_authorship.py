"""Nobody acts as someone else: on a real server, a decision sent straight to Temporal (as
`temporal workflow update execute` sends it) is refused unless it carries a valid proof of its
author for this case and this action, and each refusal leaves the history as it was. The same
decision through the client API, signed in as its author, is accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WorkflowUpdateFailedError

from client.after_issuance import (
    classify_feedback,
    feedback_status,
    monitoring_status,
    record_event,
    rotate_monitoring_keys,
    submit_feedback,
)
from client.cases import act, migrate, rotate_keys, start_case, status
from client.connection import connect
from client.errors import CaseActionRefused, CaseError
from client.ops import audit_lines
from client.updates import refusal_of
from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signers import issue
from identity.signing_key import SigningKey, load
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import wait_for_status
from models.actors import Directory
from models.authorship import KeyRotation
from models.case import ActionRequest, MigrationRequest
from models.choices import Category, EventKind
from models.documents import DocumentRef
from models.feedback import ClassifyRequest
from models.monitoring import EventRequest
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness, Temporal
from tests.sign_in import raw_client
from tests.workflows.after_issuance import in_force, monitored
from tests.workflows.test_refusals import draft, history_length, start
from workflows.drafting.legislative_process import LegislativeProcess

DRAFTER = "nguyen.van.an"


def prove(
    key: SigningKey, request: ActionRequest, case_id: str, *, person: str | None = None,
    update: str = "act", at: datetime | None = None,
) -> ActionRequest:  # fmt: skip
    session = open_session(key, person or request.actor, AccountKind.PERSON, now=at)
    return request.model_copy(
        update={"proof": issue(key, session, case_id, update, request, now=at)}
    )


async def signed_client(
    env: Temporal, harness: Harness, key: SigningKey, holds: Callable[[str], bool] | None = None
) -> Client:
    """A client of the session's server whose proofs are signed with ``key``."""
    settings = harness.settings.model_copy(update={"temporal_address": env.address})
    return await connect(settings, stand_in_signer(key), holds)


async def settled(harness: Harness, case_id: str) -> None:
    """Until the case has carried out what its stage asked (its history then stays still)."""
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)


async def refused_raw(raw: Client, harness: Harness, case_id: str, request: ActionRequest) -> str:
    """Send ``request`` as a raw ``act`` Update: the refusal's code, with the history the
    same length as before."""
    await settled(harness, case_id)
    before = await history_length(harness.client, case_id)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await raw.get_workflow_handle(case_id).execute_update(LegislativeProcess.act, request)
    refused = refusal_of(failed.value)
    assert refused is not None, failed.value
    assert await history_length(harness.client, case_id) == before
    return refused.code


async def test_forged_decisions_are_refused_and_the_signed_one_accepted(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "forgery")
    other_id = await start(harness, registry, directory, "forgery-other")
    key = load(env.key_file)
    raw = await raw_client(env.address)
    opening = ActionRequest(
        declare_no_interest=True, action="open_consultation", actor=DRAFTER, document=draft(harness)
    )

    assert await refused_raw(raw, harness, case_id, opening) == "unsigned"
    # A proof for the other case, for another action, by another person, from a key the
    # case does not trust, and one that has expired.
    assert await refused_raw(raw, harness, case_id, prove(key, opening, other_id)) == (
        "proof_mismatch"
    )
    submit = opening.model_copy(update={"action": "submit_appraisal"})
    forged_action = opening.model_copy(update={"proof": prove(key, submit, case_id).proof})
    assert await refused_raw(raw, harness, case_id, forged_action) == "proof_mismatch"
    assert await refused_raw(
        raw, harness, case_id, prove(key, opening, case_id, person="le.thi.binh")
    ) == "proof_mismatch"  # fmt: skip
    stranger = SigningKey(Ed25519PrivateKey.generate())
    assert await refused_raw(raw, harness, case_id, prove(stranger, opening, case_id)) == (
        "unknown_key"
    )
    long_ago = datetime.now(UTC) - timedelta(minutes=11)
    assert await refused_raw(raw, harness, case_id, prove(key, opening, case_id, at=long_ago)) == (
        "proof_expired"
    )
    assert (await status(harness.client, case_id)).stage == "drafting"

    # The signed decision, sent raw, is accepted once; sent again it is a replay.
    signed = prove(key, opening, case_id)
    result = await raw.get_workflow_handle(case_id).execute_update(LegislativeProcess.act, signed)
    assert result.from_stage == "drafting"
    assert await refused_raw(raw, harness, case_id, signed) == "proof_replayed"

    # Through the client API, signed in as the drafter, the same kind of decision works.
    done = await act(
        harness.client,
        other_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor=DRAFTER,
            document=draft(harness),
        ),
    )
    assert done.stage == result.stage


async def test_a_forged_migration_is_refused(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The probe's critical attack: a raw ``migrate`` naming an operator, carrying its own
    definition and giving every role to one drafter."""
    case_id = await start(harness, registry, directory, "forged-migration")
    definition = registry.get("qd_ubnd_tinh")
    st = await status(harness.client, case_id)
    everyone = {role: [a for a in directory.assign_roles(definition, "so-xd-daklak")[
        definition.starter_role]] for role in definition.roles}  # fmt: skip
    forged = MigrationRequest(
        definition=definition,
        assignments=everyone,
        operator=st.roles[definition.operator_role][0],
        reason="routine maintenance",
    )
    raw = await raw_client(env.address)
    await settled(harness, case_id)
    before = await history_length(harness.client, case_id)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await raw.get_workflow_handle(case_id).execute_update(LegislativeProcess.migrate, forged)
    refused = refusal_of(failed.value)
    assert refused is not None
    assert refused.code == "unsigned"
    assert await history_length(harness.client, case_id) == before


async def test_a_migration_names_a_shipped_definition_and_the_regime_it_was_planned_from(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """Signed by a real operator, and still refused: a definition of its own (a transition
    from drafting straight to entry into force), and a move planned from a regime the case
    has since left; of two moves planned at once from the same regime, one wins."""
    old = registry.get("qd_ubnd_tinh", "L2025")
    new = registry.get("qd_ubnd_tinh", "L2025_A87")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(definition=old, title="Quy định chuyển chế độ", starter=DRAFTER),
        task_queue=harness.settings.task_queue,
    )
    await settled(harness, handle.id)
    h = harness.client
    shortcut = new.model_copy(
        update={
            "transitions": (
                *new.transitions,
                new.transitions[0].model_copy(update={"action": "shortcut", "dest": new.final[0]}),
            )
        }
    )
    before = await history_length(h, handle.id)
    with pytest.raises(CaseActionRefused) as forged:
        await migrate(h, directory, handle.id, shortcut, operator="ops.oncall", reason="bảo trì")
    assert forged.value.code == "definition_not_shipped"
    assert await history_length(h, handle.id) == before

    planned_from = old.key
    assert await migrate(
        h, directory, handle.id, new, operator="ops.oncall", reason="Luật 87/2025",
        source_key=planned_from,
    ) == new.key  # fmt: skip
    with pytest.raises(CaseActionRefused) as stale:
        await migrate(
            h, directory, handle.id, old, operator="ops.oncall", reason="kế hoạch cũ",
            source_key=planned_from,
        )  # fmt: skip
    assert stale.value.code == "migration_stale"
    assert f"under {new.key} now" in str(stale.value)
    assert (await status(h, handle.id)).regime == "L2025_A87"


async def test_a_decision_citing_a_document_the_store_does_not_hold_is_not_sent(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The client API vouches only for uploads that arrived (the CLI connects so)."""
    case_id = await start(harness, registry, directory, "missing-document")
    client = await signed_client(env, harness, load(env.key_file), harness.store.has_blob)
    await settled(harness, case_id)
    before = await history_length(harness.client, case_id)
    ghost = DocumentRef(sha256="ab" * 32, size=10, name="du-thao-khong-co.docx")
    with pytest.raises(CaseError, match=r"does not hold 'du-thao-khong-co\.docx'"):
        await act(
            client,
            case_id,
            ActionRequest(
                declare_no_interest=True, action="open_consultation", actor=DRAFTER, document=ghost
            ),
        )
    assert await history_length(harness.client, case_id) == before
    done = await act(
        client,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor=DRAFTER,
            document=draft(harness),
        ),
    )
    assert done.stage == "consultation"


async def test_a_case_follows_the_sign_in_services_new_key(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """An operator's rotation, proven with today's key: from then on proofs from the new key
    are accepted and the old key's refused; a raw rotation is refused."""
    case_id = await start(harness, registry, directory, "key-rotation")
    new = SigningKey(Ed25519PrivateKey.generate())
    st = await status(harness.client, case_id)
    operator = st.roles[registry.get("qd_ubnd_tinh").operator_role][0]
    rotation = KeyRotation(operator=operator, keys=[new.trusted()], reason="Khóa mới năm 2027")
    raw = await raw_client(env.address)
    with pytest.raises(WorkflowUpdateFailedError):
        await raw.get_workflow_handle(case_id).execute_update(
            LegislativeProcess.rotate_keys, rotation
        )
    ids = await rotate_keys(
        harness.client, case_id, [new.trusted()], operator=operator, reason=rotation.reason
    )
    assert ids == [new.key_id]
    assert any("keys_rotated" in line for line in await audit_lines(harness.client, case_id))

    opening = ActionRequest(
        declare_no_interest=True, action="open_consultation", actor=DRAFTER, document=draft(harness)
    )
    with pytest.raises(CaseActionRefused) as old:
        await act(harness.client, case_id, opening)
    assert old.value.code == "unknown_key"
    done = await act(await signed_client(env, harness, new), case_id, opening)
    assert done.stage == "consultation"


async def test_a_documents_monitoring_follows_the_new_key_across_its_runs(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """Monitoring lasts years: an operator moves it to the new key; a monitoring officer's
    record is then accepted with the new key only, and a citizen's feedback case started
    afterwards trusts the new key too (the worker pins nothing of its own)."""
    case_id = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="monitoring-keys",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400.0,
    )
    st = await monitored(harness.client, case_id)
    new = SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(CaseActionRefused) as not_operator:
        await rotate_monitoring_keys(
            harness.client, case_id, [new.trusted()], operator=DRAFTER, reason="Khóa mới"
        )
    assert not_operator.value.code == "wrong_role"
    ids = await rotate_monitoring_keys(
        harness.client, case_id, [new.trusted()], operator="ops.oncall", reason="Khóa mới"
    )
    assert ids == [new.key_id]
    officer = st.monitoring_officers[0]
    event = EventRequest(actor=officer, kind=EventKind.INSPECTION, note="Kiểm tra thực tế")
    with pytest.raises(CaseActionRefused) as old:
        await record_event(harness.client, case_id, event)
    assert old.value.code == "unknown_key"
    signed_new = await signed_client(env, harness, new)
    recorded = await record_event(signed_new, case_id, event)
    assert recorded.actor == officer
    after = await monitoring_status(harness.client, case_id)
    assert [r.action for r in after.key_rotations] == ["keys_rotated"]

    receipt = await submit_feedback(
        harness.client, harness.store, case_id, author="Người dân", text="Chưa rõ Điều 2."
    )
    fb = await feedback_status(harness.client, receipt.feedback_id)
    classify = ClassifyRequest(
        declare_no_interest=True, actor=fb.answerers[0], category=Category.REPORT
    )
    with pytest.raises(CaseActionRefused) as old_key:
        await classify_feedback(harness.client, receipt.feedback_id, classify)
    assert old_key.value.code == "unknown_key"
    done = await classify_feedback(signed_new, receipt.feedback_id, classify)
    assert done.stage != fb.stage
