"""The check of a signed document after a case accepted it (kiểm tra lại văn bản đã ký):
the case checked the signature's evidence itself before accepting; here the worker reads
the stored file whole — is it the file whose digest the case accepted, intact, covering the
whole file, the person's, chaining to the case's roots — and whether the certificate has
been revoked since (the CRLs in ``LEGISFLOW_SIGNATURE_CRLS_DIR``). What it finds flags the
case for ops; it never undoes the decision."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio import activity

from activities.ports import DocumentStore
from models.signature_evidence import (
    SignatureCheck,
    SignatureRefused,
    SignedDocumentCheck,
    roots_of,
    signer_of,
)
from signatures.pdf import NotSigned, evidence_of, signer_chain, verify_pdf
from signatures.revocation import revocation_lists, revoked

MISMATCH = (
    "tệp lưu trữ không phải tệp có chữ ký đã được chấp nhận / the stored file is not the one "
    "whose signature the case accepted"
)


class SignatureCheckActivities:
    def __init__(self, store: DocumentStore, crls: Path | None) -> None:
        self.store = store
        self.crls = crls

    @activity.defn(name="check_signed_document")
    async def check_signed_document(self, req: SignedDocumentCheck) -> SignatureCheck:
        lists = await asyncio.to_thread(revocation_lists, self.crls)
        if req.approval_cms is not None or req.document_sha256 is None:
            # A signed approval: the case checked it whole; what may have changed since is
            # its certificate's revocation.
            try:
                leaf, issuers = signer_of(req.approval_cms or "")
            except SignatureRefused as exc:
                return SignatureCheck(problems=[exc.message])
            why = revoked(leaf, issuers, lists)
            return SignatureCheck(problems=[why] if why else [])
        pdf = await asyncio.to_thread(self.store.get_blob, req.document_sha256)
        roots = roots_of(req.roots)
        report = await verify_pdf(
            pdf, roots, person=req.person, at=req.accepted_at, known=req.known
        )
        problems = list(report.problems)
        try:
            if evidence_of(pdf).signed_digest != req.signed_digest:
                problems.append(MISMATCH)
            leaf, issuers = signer_chain(pdf)
        except NotSigned as exc:
            return SignatureCheck(problems=[*problems, str(exc)])
        why = revoked(leaf, issuers, lists)
        if why is not None:
            problems.append(why)
        return SignatureCheck(problems=problems)
