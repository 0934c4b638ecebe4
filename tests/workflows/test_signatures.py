"""The signing stage takes only the signer's valid digital signature (issue #20), on the real
dev server with real PAdES signatures and a CA shaped like the government's, pinned in the
case at its start. Refused with the reason, and nothing written to the case's history: an
unsigned document, a file changed after signing (the client finds it before sending), and —
sent straight to the case by a client that skips its own checks — another person's
signature, one from a CA that is not pinned, one whose certificate had expired. The
signer's own is accepted; the case shows whose certificate signed, in its status and its
trail; the signed file is the version the case keeps and the one the Công báo publishes.

A legal day lasts a minute: no deadline passes while the test runs.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from client.cases import act, delegate, status
from client.errors import CaseActionRefused
from client.signing import act_with_signed
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.case import ActionRequest
from models.deliveries import Notification
from models.registry import Registry
from models.signature_evidence import approval_statement, fingerprint
from signatures.demo_signers import DemoSigners
from signatures.documents import text_pdf
from signatures.pdf import evidence_of, sign_pdf
from tests.conftest import Harness
from tests.signing import TITLE, pinning_case
from tests.unit.test_pdf_signatures import with_revision_appended
from tests.workflows.after_issuance import (
    DRAFTER,
    SIGNER,
    messages,
    postings,
    quiet_length,
    until,
)
from workflows.drafting.legislative_process import LegislativeProcess

DEPUTY = "phan.van.duc"  # a vice-chairman of the provincial committee
TEXT = "Điều 1. Ban hành kèm theo Quyết định này Quy định về quản lý chợ truyền thống.\n"


async def test_the_signing_stage_takes_only_the_signers_valid_signature(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    client, store = harness.client, harness.store
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    definition = registry.get("qd_ubnd_tinh")
    case_id = await pinning_case(
        harness, registry, directory, signers, "ky-so", target="signing", title=TITLE
    )
    assert (await status(client, case_id)).checks_signatures
    before = await quiet_length(client, case_id)
    document = text_pdf(TITLE, TEXT)
    signed = await signers.sign(SIGNER, document, "Ký ban hành")
    sign = ActionRequest(declare_no_interest=True, action="sign", actor=SIGNER)

    async def refused(request: ActionRequest) -> CaseActionRefused:
        with pytest.raises(CaseActionRefused) as caught:
            await act(client, case_id, request)
        return caught.value

    def carrying(pdf: bytes) -> ActionRequest:
        """The decision as a client that skips its own checks would send it."""
        ref = store.put_blob(pdf, "ky.pdf", "application/pdf")
        return sign.model_copy(update={"document": ref, "signature": evidence_of(pdf)})

    # An unsigned document.
    unsigned = await refused(
        sign.model_copy(update={"document": store.put_blob(document, "chua-ky.pdf")})
    )
    assert unsigned.code == "signature_required"
    assert "cần văn bản PDF có chữ ký số" in str(unsigned)

    # Changed after signing: the client refuses before anything is sent.
    forged = signed.replace(b"(legisflow)", b"(legisfloX)", 1)
    assert forged != signed
    with pytest.raises(CaseActionRefused) as caught:
        await act_with_signed(client, store, case_id, sign, forged, "ky.pdf", signers.roots)
    assert "nội dung đã bị sửa sau khi ký" in str(caught.value)

    # Straight to the case: another person's signature…
    other = await refused(carrying(await signers.sign(DRAFTER, document)))
    assert other.code == "signature_invalid"
    assert f"chữ ký của {DRAFTER}, không phải của người giữ vai trò ký ({SIGNER})" in str(other)
    # … one from a CA that is not pinned …
    stranger = DemoSigners.under(tmp_path / "other-ca", directory)
    unpinned = await refused(carrying(await stranger.sign(SIGNER, document)))
    assert "không thuộc chuỗi tin cậy" in str(unpinned)
    # … and one whose certificate had expired before it was submitted.
    ended = datetime.now(UTC) - timedelta(days=30)
    old = signers.ca.issue(SIGNER, "Bùi Văn Khoa", "UBND tỉnh Đắk Lắk", valid_to=ended,
                           valid_from=ended - timedelta(days=365))  # fmt: skip
    stale = await refused(carrying(await sign_pdf(document, old.key, old.certificate, old.chain)))
    assert "chứng thư hết hạn ngày" in str(stale)
    assert await quiet_length(client, case_id) == before  # nothing written

    # The signer's own signature.
    await act_with_signed(client, store, case_id, sign, signed, "quyet-dinh.pdf", signers.roots)
    st = await status(client, case_id)
    # The appraisal report was issued with the Director of Justice's signed approval.
    [approved, accepted] = st.signatures
    assert (approved.action, approved.approval) == ("issue_appraisal_report", True)
    assert approved.signer.person in st.roles["appraisal_head"]
    digest = hashlib.sha256(signed).hexdigest()
    assert (accepted.signer.person, accepted.document_sha256) == (SIGNER, digest)
    assert accepted.signer.issuer.startswith("CA phục vụ cơ quan Đảng")
    assert st.documents[-1].document.sha256 == digest
    trail = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    [entry] = [e for e in trail if e.action == "sign"]
    assert "Chữ ký số / digital signature: Bùi Văn Khoa" in (entry.note or "")

    # The signed file is what the Công báo publishes.
    await walk(client, case_id, definition, store, signing=signers)
    [posting] = [p for p in postings(harness.settings.data_dir, "cong_bao") if p.case_id == case_id]
    assert posting.document.sha256 == digest
    # Checked again after acceptance (before the case ended): nothing to flag.
    await client.get_workflow_handle(case_id).result()
    history = await client.get_workflow_handle(case_id).fetch_history()
    checks = [
        e.event_id
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == "check_signed_document"
    ]
    completed = {
        e.activity_task_completed_event_attributes.scheduled_event_id for e in history.events
    }
    assert len(checks) == 2  # the approval of the appraisal report, and the signed decision
    assert set(checks) <= completed
    assert (await status(client, case_id)).signature_problems == []


async def test_a_revoked_certificate_or_a_swapped_file_flags_the_case_after_acceptance(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """The case accepts what its validator can check; the worker then reads the stored file
    whole and the CA's revocation list, and what it finds flags the case for ops: the trail,
    the status, a notice to the operators. The decision stands."""
    client, store = harness.client, harness.store
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    sign = ActionRequest(declare_no_interest=True, action="sign", actor=SIGNER)

    # Revoked after it was issued: the CA's list (in the CRL folder) says so.
    revoked_case = await pinning_case(harness, registry, directory, signers, "thu-hoi")
    signed = await signers.sign(SIGNER, text_pdf(TITLE, TEXT))
    crls = harness.settings.signature_crls_path
    crls.mkdir(parents=True)
    crl = signers.ca.revocation_list([signers.issued(SIGNER).certificate])
    (crls / "ca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    await act_with_signed(client, store, revoked_case, sign, signed, "ky.pdf", signers.roots)

    # A client that sends one file with another file's signature.
    swapped_case = await pinning_case(harness, registry, directory, signers, "trao-tep")
    other = await signers.sign(SIGNER, text_pdf(TITLE, TEXT + "Điều 2. (bản khác)\n"))
    ref = store.put_blob(other, "ban-khac.pdf", "application/pdf")
    await act(
        client,
        swapped_case,
        sign.model_copy(update={"document": ref, "signature": evidence_of(signed)}),
    )

    for case_id, reason in (
        (revoked_case, "đã bị thu hồi từ"),
        (swapped_case, "tệp lưu trữ không phải tệp có chữ ký đã được chấp nhận"),
    ):
        flagged = await wait_for_status(
            client, case_id, lambda st: bool(st.signature_problems), timeout=60
        )
        assert reason in flagged.signature_problems[0]
        assert flagged.stage != "signing"  # the decision stands
        trail = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
        assert [e for e in trail if e.action == "signature_flagged"]

        async def told(case: str = case_id) -> list[Notification]:
            return messages(harness.outbox, case, "signature_flagged")

        await until("the operators' notice", told)


async def test_a_signed_approval_must_be_the_deciders_signature_of_this_decision(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """ "Ký, gửi báo cáo thẩm định" asks the Director of Justice to sign the decision's
    statement (this case, this action, this person). Refused with nothing written: no
    signed approval, another person's, and the Director's own signature of another case's
    statement (a copy); accepted: his signature of this one."""
    client = harness.client
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "phe-duyet",
        target="appraisal_signoff",
        title=f"{TITLE} (phê duyệt)",
    )
    st = await status(client, case_id)
    [may] = [a for a in st.allowed if a.action == "issue_appraisal_report"]
    assert may.requires_approval
    head = may.actors[0]
    issue = ActionRequest(declare_no_interest=True, action="issue_appraisal_report", actor=head)
    statement = approval_statement(case_id, issue.action, head, None)
    before = await quiet_length(client, case_id)

    async def refused(approval: str | None) -> CaseActionRefused:
        with pytest.raises(CaseActionRefused) as caught:
            await act(client, case_id, issue.model_copy(update={"approval": approval}))
        return caught.value

    assert (await refused(None)).code == "approval_required"
    other = await refused(await signers.approve(DRAFTER, statement))
    assert f"chữ ký của {DRAFTER}, không phải" in str(other)
    elsewhere = approval_statement("so-xd-daklak:khac", issue.action, head, None)
    copied = await refused(await signers.approve(head, elsewhere))
    assert "không ký đúng nội dung được nộp" in str(copied)
    assert await quiet_length(client, case_id) == before

    own = await signers.approve(head, statement)
    result = await act(client, case_id, issue.model_copy(update={"approval": own}))
    assert result.stage == "response"
    [approved] = (await status(client, case_id)).signatures
    assert (approved.approval, approved.signer.person) == (True, head)
    trail = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    [entry] = [e for e in trail if e.action == "issue_appraisal_report"]
    assert "Phê duyệt ký số / signed approval" in (entry.note or "")


async def test_a_deputy_signs_kt_with_his_own_certificate(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """Ký thay (KT.): the Chairman names a deputy; the deputy signs with his own certificate
    and the trail shows KT. and whose certificate signed. The deputy cannot submit the
    Chairman's signature as his act, nor a file with a revision added after signing."""
    client, store = harness.client, harness.store
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(harness, registry, directory, signers, "ky-thay")
    today = (await status(client, case_id)).legal_today
    await delegate(
        client, directory, case_id, actor=SIGNER, role="signer", deputy=DEPUTY,
        until=today + timedelta(days=2), reason="Chủ tịch đi công tác",
    )  # fmt: skip
    kt = ActionRequest(declare_no_interest=True, action="sign", actor=DEPUTY, on_behalf_of=SIGNER)
    document = text_pdf(TITLE, TEXT)
    chairs = await signers.sign(SIGNER, document)
    with pytest.raises(CaseActionRefused) as caught:
        await act_with_signed(client, store, case_id, kt, chairs, "ky.pdf", signers.roots)
    assert f"chữ ký của {SIGNER}, không phải của người giữ vai trò ký ({DEPUTY})" in str(
        caught.value
    )
    own = await signers.sign(DEPUTY, document)
    with pytest.raises(CaseActionRefused) as caught:
        await act_with_signed(
            client, store, case_id, kt, with_revision_appended(own), "ky.pdf", signers.roots
        )
    assert "không phủ toàn bộ tài liệu" in str(caught.value)

    await act_with_signed(client, store, case_id, kt, own, "ky-thay.pdf", signers.roots)
    signed = (await status(client, case_id)).signatures[-1]
    assert (signed.action, signed.signer.person) == ("sign", DEPUTY)
    trail = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    [entry] = [e for e in trail if e.action == "sign"]
    assert entry.on_behalf_of == SIGNER
    assert (entry.note or "").startswith("KT. Chủ tịch Ủy ban nhân dân tỉnh: Phan Văn Đức")
    assert "Chữ ký số / digital signature: Phan Văn Đức" in (entry.note or "")


async def test_a_signed_approval_by_a_revoked_certificate_is_flagged_after_acceptance(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    client = harness.client
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "phe-duyet-thu-hoi",
        target="appraisal_signoff",
        title=f"{TITLE} (thu hồi)",
    )
    st = await status(client, case_id)
    head = next(a for a in st.allowed if a.action == "issue_appraisal_report").actors[0]
    crls = harness.settings.signature_crls_path
    crls.mkdir(parents=True)
    crl = signers.ca.revocation_list([signers.issued(head).certificate])
    (crls / "ca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    statement = approval_statement(case_id, "issue_appraisal_report", head, None)
    issue = ActionRequest(
        declare_no_interest=True, action="issue_appraisal_report", actor=head,
        approval=await signers.approve(head, statement),
    )  # fmt: skip
    await act(client, case_id, issue)
    flagged = await wait_for_status(
        client, case_id, lambda s: bool(s.signature_problems), timeout=60
    )
    assert "đã bị thu hồi từ" in flagged.signature_problems[0]
    assert flagged.stage == "response"  # the decision stands


async def test_a_government_certificate_listed_in_the_directory_signs(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """A real certificate names the Chairman by his citizen id; the directory lists its
    fingerprint for him, the case takes it from the directory at its start, and accepts his
    signature. Unlisted, the same certificate is refused."""
    client, store = harness.client, harness.store
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    issued = signers.ca.issue("CCCD:066080001234", "Bùi Văn Khoa", "UBND tỉnh Đắk Lắk")
    listed = fingerprint(issued.certificate)
    chairman = directory.person(SIGNER).model_copy(update={"certificates": (listed,)})
    people = tuple(chairman if p.id == SIGNER else p for p in directory.people)
    with_certificate = directory.model_copy(update={"people": people})
    signed = await sign_pdf(text_pdf(TITLE, TEXT), issued.key, issued.certificate, issued.chain)
    sign = ActionRequest(declare_no_interest=True, action="sign", actor=SIGNER)

    unlisted = await pinning_case(harness, registry, directory, signers, "cccd-chua-co")
    with pytest.raises(CaseActionRefused) as caught:
        await act(client, unlisted, sign.model_copy(update={
            "document": store.put_blob(signed, "ky.pdf", "application/pdf"),
            "signature": evidence_of(signed),
        }))  # fmt: skip
    assert "không phải của người giữ vai trò ký" in str(caught.value)

    definition = registry.get("qd_ubnd_tinh")
    case_id = await pinning_case(
        harness,
        registry,
        with_certificate,
        signers,
        "cccd",
        target="signing",
        title=f"{TITLE} (CCCD)",
    )
    await act_with_signed(
        client, store, case_id, sign, signed, "ky.pdf", signers.roots, known=(listed,)
    )
    accepted = (await status(client, case_id)).signatures[-1]
    assert (accepted.signer.person, accepted.signer.fingerprint) == ("CCCD:066080001234", listed)
    # The check after acceptance follows the same rule: the case ends with nothing flagged.
    await walk(client, case_id, definition, store, signing=signers)
    await client.get_workflow_handle(case_id).result()
    history = await client.get_workflow_handle(case_id).fetch_history()
    checks = [
        e.event_id
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == "check_signed_document"
    ]
    completed = {
        e.activity_task_completed_event_attributes.scheduled_event_id for e in history.events
    }
    assert checks
    assert set(checks) <= completed
    assert (await status(client, case_id)).signature_problems == []
