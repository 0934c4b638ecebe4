"""Ký thay (KT.): the Chủ tịch names a Phó Chủ tịch to sign for them until a day; the
deputy's signature is accepted within that period, with both names in the trail, the status
and the notice to the Chủ tịch, and refused once the period is over (the server's clock is
skipped past it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from client.cases import act, delegate, start_case, status
from client.errors import CaseActionRefused
from client.ops import audit_lines
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import ActionRequest, SimplifiedDecision
from models.definition import Transition
from models.machine import shortest_path
from models.registry import Registry
from models.starting import StartRequest
from tests.workflows.after_issuance import DRAFTER, SIGNER
from tests.workflows.after_issuance_skipping import DAY, Skipping, eventually, skipping_server

DEPUTY = "phan.van.duc"


async def at_signing(h: Skipping, slug: str) -> tuple[str, Transition]:
    """A provincial decision (simplified procedure) waiting for the Chủ tịch's signature."""
    definition = h.registry.get("qd_ubnd_tinh")
    handle = await start_case(
        h.client,
        h.directory,
        StartRequest(
            definition=definition,
            title=f"Quy định ký thay ({slug})",
            starter=DRAFTER,
            slug=slug,
            legal_day_seconds=DAY,
            simplified=SimplifiedDecision(decided_by=SIGNER, reason="Sửa đổi ngay (test)"),
        ),
        task_queue=h.settings.task_queue,
    )
    path = shortest_path(definition, definition.initial, definition.final[0], True)
    sign = next(t for t in path if t.role == "signer" and not t.automatic)
    await walk(h.client, handle.id, definition, h.store, target=sign.source, timeout=120)
    return handle.id, sign


async def test_a_deputy_signs_kt_within_the_period_and_is_refused_after_it(
    tmp_path: Path, registry: Registry, directory: Directory
) -> None:
    async with skipping_server(tmp_path, registry, directory) as h:
        case_id, sign = await at_signing(h, "kt-within")
        today = (await status(h.client, case_id)).legal_today
        # Without a delegation the deputy cannot sign, even naming the Chủ tịch.
        with pytest.raises(CaseActionRefused) as refused:
            await act(
                h.client,
                case_id,
                ActionRequest(
                    declare_no_interest=True, action=sign.action, actor=DEPUTY, on_behalf_of=SIGNER
                ),
            )
        assert refused.value.code == "no_delegation"

        d = await delegate(
            h.client, directory, case_id, actor=SIGNER, role="signer", deputy=DEPUTY,
            until=today + timedelta(days=2), reason="Chủ tịch đi công tác nước ngoài",
        )  # fmt: skip
        kt = "KT. Chủ tịch Ủy ban nhân dân tỉnh: Phan Văn Đức ký thay Bùi Văn Khoa"
        assert d.signed_as() == kt
        st = await status(h.client, case_id)
        assert [x.deputy.id for x in st.delegations] == [DEPUTY]
        [allowed] = [a for a in st.allowed if a.action == sign.action]
        assert DEPUTY in allowed.actors

        signed = await act(
            h.client,
            case_id,
            ActionRequest(
                declare_no_interest=True,
                action=sign.action,
                actor=DEPUTY,
                on_behalf_of=SIGNER,
                note="Ký",
                document=h.store.put_blob("Văn bản ký".encode(), "van-ban.md", "text/markdown"),
            ),
        )
        assert signed.from_stage == sign.source
        [line] = [x for x in await audit_lines(h.client, case_id) if f'"{sign.action}"' in x]
        assert "KT. Chủ tịch Ủy ban nhân dân tỉnh: Phan Văn Đức ký thay Bùi Văn Khoa" in line
        assert f'"on_behalf_of":"{SIGNER}"' in line.replace(" ", "")

        async def told() -> list[str]:
            return [
                m.body
                for m in h.outbox.list_messages()
                if m.case_id == case_id and m.kind == "acted_for"
                and [r.actor_id for r in m.recipients] == [SIGNER]
            ]  # fmt: skip

        [body] = await eventually("the notice to the Chủ tịch", told)
        assert "Phan Văn Đức" in body
        assert "Bùi Văn Khoa" in body

        # Another case: a delegation to the end of today, then the clock passes it.
        later_id, sign = await at_signing(h, "kt-after")
        await delegate(
            h.client, directory, later_id, actor=SIGNER, role="signer", deputy=DEPUTY,
            until=(await status(h.client, later_id)).legal_today, reason="Vắng một ngày",
        )  # fmt: skip
        await h.env.sleep(timedelta(days=2))
        with pytest.raises(CaseActionRefused) as late:
            await act(
                h.client,
                later_id,
                ActionRequest(
                    declare_no_interest=True, action=sign.action, actor=DEPUTY, on_behalf_of=SIGNER
                ),
            )
        assert late.value.code == "no_delegation"
        assert (await status(h.client, later_id)).stage == sign.source
