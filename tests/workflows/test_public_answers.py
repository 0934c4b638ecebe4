"""The drafting unit answers the public's comments by cluster, through the comment ledger:
once the period closes the comments are clustered (a form letter sent by many is one
cluster) and counted, the synthesis waits until every cluster is answered, an answer is
refused before the count, by someone outside the drafting unit, or without its proof, and a
citizen sees the answer under their tracking code. The report shows each group's
influence."""

from __future__ import annotations

import asyncio

import pytest

from client.cases import start_case, status
from client.comments import comments_summary, dispose_public, ledger_id
from client.errors import CaseActionRefused
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.case import CaseStatus
from models.choices import Disposition
from models.comments import CommentSummary
from models.documents import DocumentVersion
from models.public_consultation import CommentSubmission, PublicDispositionRequest, SpeaksFor
from models.registry import Registry
from models.starting import StartRequest
from public_records.campaigns import clusters_page
from public_records.comments import PublicComments
from tests.conftest import Harness
from tests.workflows.after_issuance import until

DAY = 0.05  # seconds per legal day: the walk waits out the 30-day posting (1.5 s)
FORM_LETTER = (
    "Kính gửi Ban soạn thảo. Tôi là {name}, tài xế xe khách tuyến Buôn Ma Thuột. Đề nghị giữ "
    "giờ mở cửa bến xe từ 4 giờ sáng để phục vụ các chuyến sớm, vì hành khách đi làm và đi "
    "khám bệnh cần xuất phát sớm. Xin cảm ơn."
)
NAMES = ["Nguyễn Văn A", "Trần Thị B", "Lê Văn C", "Phạm Thị D", "Hoàng Văn E", "Võ Thị G"]
OTHERS = [
    "Cần quy định rõ trách nhiệm của đơn vị quản lý bến khi xe đến muộn.",
    "Đề nghị bổ sung chỗ gửi xe máy miễn phí cho hành khách.",
]


def _letter(i: int) -> str:
    return FORM_LETTER.format(name=NAMES[i % len(NAMES)]) + (" Trân trọng." if i % 3 else "")


async def test_the_public_is_answered_by_cluster(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition, title="Quy định giờ mở cửa bến xe", starter="nguyen.van.an",
            slug="ben-xe-tra-loi", legal_day_seconds=DAY,
        ),
        task_queue=harness.settings.task_queue,
    )  # fmt: skip
    records = PublicComments.at(harness.settings.database)
    synthesis = next(t for t in definition.transitions if "comments_disposed" in t.guards)
    # To the consultation: the public comments; then to the synthesis, answering nothing.
    consultation = next(s for s, stage in definition.stages.items() if stage.comments)
    await walk(harness.client, handle.id, definition, harness.store, target=consultation)
    await until("the intake", lambda: asyncio.to_thread(records.consultation, handle.id))
    codes = []
    for i in range(24):
        sub = CommentSubmission(
            case_id=handle.id, name=NAMES[i % 6], contact=f"tai.xe{i}@example.vn",
            text=_letter(i), speaks_for=SpeaksFor.BUSINESS if i % 2 else SpeaksFor.CITIZEN,
        )  # fmt: skip
        codes.append(records.submit(sub).tracking_code)
    for i, text in enumerate(OTHERS):
        sub = CommentSubmission(
            case_id=handle.id, name="Đặng Văn H", contact=f"h{i}@example.vn", text=text,
            speaks_for=SpeaksFor.ASSOCIATION,
        )  # fmt: skip
        codes.append(records.submit(sub).tracking_code)

    drafter = (await status(harness.client, handle.id)).roles[definition.starter_role][0]
    ledger = harness.client.get_workflow_handle(ledger_id(handle.id))

    async def answer(cluster: int, actor: str = drafter, **more: object) -> None:
        await dispose_public(
            harness.client,
            handle.id,
            PublicDispositionRequest.model_validate(
                {"cluster": cluster, "disposition": Disposition.ACCEPTED, "actor": actor,
                 "declare_no_interest": True, **more}
            ),
        )  # fmt: skip

    # Before the period closes there is nothing to answer: refused, nothing written.
    before = (await ledger.describe()).history_length
    with pytest.raises(CaseActionRefused, match="hết thời gian lấy ý kiến") as refused:
        await answer(1)
    assert refused.value.code == "public_not_counted"
    assert (await ledger.describe()).history_length == before

    await walk(harness.client, handle.id, definition, harness.store, target=synthesis.source)

    async def counted() -> CommentSummary | None:
        summary = await comments_summary(harness.client, handle.id)
        return summary if summary.public is not None else None

    summary = await until("the public's comments counted", counted, 60)
    assert summary.public is not None
    assert summary.public.comments == 26
    assert summary.public.clusters == 3  # the form letter, and the two others
    assert summary.public.open_clusters == 3
    clusters = clusters_page(records.db, handle.id)
    assert [c.count for c in clusters] == [24, 1, 1]
    assert clusters[0].by_group == {SpeaksFor.CITIZEN: 12, SpeaksFor.BUSINESS: 12}
    st = await wait_for_status(harness.client, handle.id, lambda s: s.comments_pending, timeout=60)
    assert synthesis.action not in {a.action for a in st.allowed}

    # Someone outside the drafting unit, or a cluster that is not one: refused.
    before = (await ledger.describe()).history_length
    with pytest.raises(CaseActionRefused) as refused:
        await answer(clusters[0].representative, actor="bui.van.khoa")
    assert refused.value.code == "wrong_role"
    assert (await ledger.describe()).history_length == before
    with pytest.raises(CaseActionRefused, match="no cluster"):
        await answer(clusters[1].representative + 1000)

    await answer(clusters[0].representative, disposition=Disposition.PARTLY,
                 reason="Mở cửa từ 4 giờ 30.")  # fmt: skip
    tracked = records.tracked(codes[5])
    assert tracked is not None
    assert tracked.disposition is Disposition.PARTLY
    assert tracked.reason == "Mở cửa từ 4 giờ 30."
    for c in clusters[1:]:
        await answer(c.representative)
    st = await wait_for_status(
        harness.client, handle.id, lambda s: not s.comments_pending, timeout=60
    )
    assert synthesis.action in {a.action for a in st.allowed}

    await walk(
        harness.client, handle.id, definition, harness.store, target=synthesis.dest,
        records=records,
    )  # fmt: skip

    def synthesis_md(s: CaseStatus) -> DocumentVersion | None:
        return next(
            (v for v in s.documents if v.document.name.startswith("bao-cao-tong-hop")
             and v.document.name.endswith(".md")),
            None,
        )  # fmt: skip

    done = await wait_for_status(
        harness.client, handle.id, lambda s: synthesis_md(s) is not None, timeout=120
    )
    report = synthesis_md(done)
    assert report is not None
    text = harness.store.get_blob(report.document.sha256).decode()
    assert "Ảnh hưởng của từng nhóm đối tượng" in text
    assert "| Doanh nghiệp | 12 | 0 | 12 | 0 | 0 |" in text
    assert "| Hiệp hội, tổ chức | 2 | 2 | 0 | 0 | 0 |" in text
    history = (await ledger.fetch_history()).to_json()
    assert "tai.xe1@example.vn" not in history
    assert "Kính gửi Ban soạn thảo" not in history
