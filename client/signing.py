"""Submitting a signed document (nộp văn bản đã ký số): the client checks the whole file
first — intact, covering the whole file, the acting person's certificate, valid, chaining to
a pinned root (``signatures/pdf.py``) — and refuses with every reason before anything is
sent; then it stores the file and sends the decision with the signature's evidence, which
the case checks again itself (``models/signature_evidence.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import act
from client.errors import CaseActionRefused
from models.case import ActionRequest, ActionResult
from models.signatures import SignatureReport
from signatures.pdf import evidence_of, verify_pdf

PDF = "application/pdf"


async def check_signed(
    pdf: bytes, roots: Sequence[x509.Certificate], person: str
) -> SignatureReport:
    """The report on ``pdf`` signed by ``person``; CaseActionRefused with its reasons if the
    signature does not hold."""
    report = await verify_pdf(pdf, roots, person=person)
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
) -> ActionResult:
    """Take ``request`` (the signing of a document) with ``pdf``, signed by its actor."""
    await check_signed(pdf, roots, request.actor)
    document = store.put_blob(pdf, name, PDF)
    signed = request.model_copy(update={"document": document, "signature": evidence_of(pdf)})
    return await act(client, case_id, signed)
