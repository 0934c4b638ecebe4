"""The yearly report on law enforcement (báo cáo tình hình thi hành pháp luật hằng năm),
gathered from the monitoring of every document in force on the real server: the figures of
each document's period for the year, summed by agency, in a Word file with its tables and
charts; downloaded from the heads' dashboard and written by `legisflow report yearly`."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import httpx
from docx import Document

from client.after_issuance import record_event, submit_feedback
from client.yearly_report import gather_yearly_report, render_docx, unit_of
from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signing_key import load_or_create
from models.actors import Directory
from models.choices import EventKind
from models.monitoring import EventRequest
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.web.browser import web_app
from tests.workflows.after_issuance import OFFICER, in_force, monitored
from tests.workflows.cli_harness import legisflow
from web.cookies import COOKIE


async def test_the_yearly_report_sums_every_monitored_document(
    env: Temporal,
    harness: Harness,
    registry: Registry,
    directory: Directory,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    h, tq = harness.client, harness.settings.task_queue
    docs = [
        await in_force(
            h, directory, registry.get("qd_ubnd_tinh"), harness.store,
            slug=f"bao-cao-nam-{n}", task_queue=tq, legal_day_seconds=86400,
        )
        for n in (1, 2)
    ]  # fmt: skip
    for doc, kinds in zip(
        docs, ([EventKind.INSPECTION, EventKind.SURVEY], [EventKind.SURVEY]), strict=True
    ):
        await monitored(h, doc)
        for kind in kinds:
            await record_event(
                h, doc, EventRequest(actor=OFFICER, kind=kind, note=f"{kind.value} tại 3 huyện")
            )
    await submit_feedback(
        h, harness.store, docs[0], author="Nguyễn Thị Dân", text="Quy định khó áp dụng ở xã"
    )
    year = (await monitored(h, docs[0])).period.cutoff.year
    scope, agencies = unit_of(directory, "so-xd-daklak")
    assert scope == "Ủy ban nhân dân tỉnh Đắk Lắk"
    report = await gather_yearly_report(
        h, tq, year, scope=scope, made_on=date(year, 12, 1), agencies=agencies
    )
    mine = {d.case_id: d for d in report.documents if d.case_id in docs}
    assert set(mine) == set(docs)
    first, second = (mine[d].counts for d in docs)
    assert first is not None
    assert second is not None
    assert (first.events, second.events) == ({"inspection": 1, "survey": 1}, {"survey": 1})
    assert first.feedback_received == 1
    total = report.total()
    assert total.events["survey"] >= 2
    assert total.feedback_received >= 1
    # Another province's documents, or another year, are not this report's.
    assert (
        await gather_yearly_report(
            h, tq, year - 1, scope=scope, made_on=date(year, 12, 1), agencies=agencies
        )
    ).documents == []

    word = Document(io.BytesIO(render_docx(report)))
    text = "\n".join(p.text for p in word.paragraphs)
    assert f"BÁO CÁO TÌNH HÌNH THI HÀNH PHÁP LUẬT NĂM {year} — Ủy ban nhân dân tỉnh Đắk Lắk" in text
    assert "Nghị định 80/2025/NĐ-CP" in text
    assert len(word.inline_shapes) == 2  # the two charts
    listed = [row.cells[0].text for row in word.tables[2].rows]
    assert any("bao-cao-nam-1" in d or "(bao-cao-nam-1)" in d for d in listed)

    # The heads' dashboard offers it as a Word download; a bad year is said in the page.
    key = load_or_create(env.key_file)
    session = open_session(key, "tran.van.cuong", AccountKind.PERSON)
    cookie = base64.urlsafe_b64encode(session.model_dump_json().encode()).decode()
    settings = harness.settings.model_copy(
        update={"temporal_address": env.address, "signing_key_file": env.key_file}
    )
    async with (
        web_app(settings) as url,
        httpx.AsyncClient(base_url=url, cookies={COOKIE: cookie}, timeout=120) as http,
    ):
        page = await http.get("/bang-dieu-khien")
        assert 'data-action="yearly_report"' in page.text
        got = await http.get(f"/bao-cao-nam?nam={year}")
        assert got.status_code == 200, got.text
        assert f"nam-{year}.docx" in got.headers["content-disposition"]
        downloaded = Document(io.BytesIO(got.content))
        assert len(downloaded.inline_shapes) == 2
        bad = await http.get("/bao-cao-nam?nam=1999")
        assert bad.status_code == 422
        assert 'role="alert"' in bad.text
        assert "Năm báo cáo phải từ" in bad.text

    out = tmp_path / "bao-cao.docx"
    run = await legisflow(
        cli_env, "report", "yearly", "--year", str(year), "--agency", "so-xd-daklak", "--out",
        str(out),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert len(Document(str(out)).inline_shapes) == 2
    wrong = await legisflow(cli_env, "report", "yearly", "--year", "1999", "--out", str(out))
    assert wrong.code == 1
    assert "--year must be between" in wrong.stderr
