"""Submitting a signed document (nộp văn bản đã ký số): the client checks the whole file
first — intact, covering the whole file, the acting person's certificate, valid, chaining to
a pinned root (``signatures/pdf.py``) — and refuses with every reason before anything is
sent; then it stores the file and sends the decision with the signature's evidence, which
the case checks again itself (``models/signature_evidence.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from cryptography import x509
from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import act
from client.documents import text_of
from client.errors import CaseActionRefused, CaseError
from models.case import ActionRequest, ActionResult, CaseStatus
from models.signature_evidence import roots_of
from models.signatures import SignatureReport
from signatures.conversion import ConversionFailed, docx_to_pdf
from signatures.documents import text_pdf
from signatures.pdf import evidence_of, verify_pdf
from workflows.drafting.legislative_process import LegislativeProcess

PDF = "application/pdf"


async def text_to_sign(store: DocumentStore, st: CaseStatus) -> bytes:
    """What the signer signs: the case's latest document as a PDF — a PDF version as it
    is, a Word version converted by LibreOffice (its layout kept), a text version drawn as
    one; the title alone if there is none yet. CaseError if a Word draft cannot be
    converted."""
    texts = [v for v in st.documents if not v.document.name.startswith("nhat-ky")]
    if not texts:
        return text_pdf(st.title, "")
    latest = texts[-1].document
    content = store.get_blob(latest.sha256)
    if latest.media_type == PDF:
        return content
    if latest.name.lower().endswith(".docx"):
        try:
            return await asyncio.to_thread(docx_to_pdf, content)
        except ConversionFailed as exc:
            raise CaseError(str(exc)) from None
    return text_pdf(st.title, text_of(latest.name, content))


async def case_roots(client: Client, case_id: str) -> list[x509.Certificate]:
    """The roots the case pinned at its start (what its signatures must chain to)."""
    pems = await client.get_workflow_handle(case_id).query(LegislativeProcess.signature_roots)
    return roots_of(pems)


async def check_signed(
    pdf: bytes, roots: Sequence[x509.Certificate], person: str, known: Collection[str] = ()
) -> SignatureReport:
    """The report on ``pdf`` signed by ``person`` (``known``: their certificates'
    fingerprints in the directory); CaseActionRefused with its reasons if the signature does
    not hold."""
    report = await verify_pdf(pdf, roots, person=person, known=known)
    if not report.valid:
        raise CaseActionRefused(
            "; ".join(report.problems) or "chữ ký không hợp lệ / the signature is not valid",
            "signature_invalid" if report.signed else "signature_required",
        )
    return report


async def act_with_signed(
    client: Client,
    store: DocumentStore,
    case_id: str,
    request: ActionRequest,
    pdf: bytes,
    name: str,
    roots: Sequence[x509.Certificate],
    known: Collection[str] = (),
) -> ActionResult:
    """Take ``request`` (the signing of a document) with ``pdf``, signed by its actor
    (``known``: their certificates' fingerprints in the directory)."""
    await check_signed(pdf, roots, request.actor, known)
    document = store.put_blob(pdf, name, PDF)
    signed = request.model_copy(update={"document": document, "signature": evidence_of(pdf)})
    return await act(client, case_id, signed)
