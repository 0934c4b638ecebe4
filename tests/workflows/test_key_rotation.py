"""Rotating the sign-in service's key on workflows already running: the comment ledger a
case started (found through visibility as the case's running child) and a citizen's
feedback case each move to the new key by an operator's proven decision; a non-operator's
rotation and one proven with a key the workflow no longer trusts are refused, and nothing is
written."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from client.after_issuance import feedback_status, submit_feedback
from client.cases import act, rotate_keys, running_children
from client.errors import CaseActionRefused
from identity.signing_key import SigningKey
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.workflows.after_issuance import in_force
from tests.workflows.test_authorship import settled, signed_client
from tests.workflows.test_refusals import draft, history_length, start

OPERATOR = "ops.oncall"
DRAFTER = "nguyen.van.an"


async def test_a_running_ledger_and_a_feedback_case_follow_the_new_key(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "children-keys")
    await act(
        harness.client,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor=DRAFTER,
            document=draft(harness),
        ),
    )
    await settled(harness, case_id)
    [ledger] = [c for c in await running_children(harness.client, case_id) if "comments" in c]

    new = SigningKey(Ed25519PrivateKey.generate())
    before = await history_length(harness.client, ledger)
    with pytest.raises(CaseActionRefused) as not_operator:
        await rotate_keys(
            harness.client, ledger, [new.trusted()], operator=DRAFTER, reason="Khóa mới"
        )
    assert not_operator.value.code == "wrong_role"
    assert await history_length(harness.client, ledger) == before

    ids = await rotate_keys(
        harness.client, ledger, [new.trusted()], operator=OPERATOR, reason="Khóa mới 2027"
    )
    assert ids == [new.key_id]
    # The old key no longer speaks for the ledger; the new one does.
    newer = SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(CaseActionRefused) as old:
        await rotate_keys(
            harness.client, ledger, [newer.trusted()], operator=OPERATOR, reason="Lại khóa mới"
        )
    assert old.value.code == "unknown_key"
    with_new = await signed_client(env, harness, new)
    assert await rotate_keys(
        with_new, ledger, [new.trusted(), newer.trusted()], operator=OPERATOR,
        reason="Thêm khóa dự phòng",
    ) == [new.key_id, newer.key_id]  # fmt: skip


async def test_a_feedback_case_follows_the_new_key_and_its_trail_says_so(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="feedback-keys",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400.0,
    )
    receipt = await submit_feedback(
        harness.client, harness.store, case_id, author="Người dân", text="Chưa rõ Điều 2."
    )
    new = SigningKey(Ed25519PrivateKey.generate())
    ids = await rotate_keys(
        harness.client, receipt.feedback_id, [new.trusted()], operator=OPERATOR,
        reason="Khóa mới 2027",
    )  # fmt: skip
    assert ids == [new.key_id]
    fb = await feedback_status(harness.client, receipt.feedback_id)
    assert [s.action for s in fb.trail if s.action == "keys_rotated"] == ["keys_rotated"]
