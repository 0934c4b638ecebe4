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
        problems: list[str] = []
        cms = req.approval_cms
        # Imported here: pyHanko (and the aiohttp it brings) is about 65 MB of a worker's
        # memory (docs/capacity.md), needed only by cases that check signed documents.
        from signatures.pdf import NotSigned, evidence_of, verify_pdf

        if cms is None and req.document_sha256 is not None:
            # A signed document: the stored file, whole (a signed approval the case checked
            # whole already; what may have changed since is its certificate's revocation).
            pdf = await asyncio.to_thread(self.store.get_blob, req.document_sha256)
            report = await verify_pdf(
                pdf, roots_of(req.roots), person=req.person, at=req.accepted_at, known=req.known
            )
            problems += report.problems
            try:
                evidence = evidence_of(pdf)
            except NotSigned as exc:
                return SignatureCheck(problems=[*problems, str(exc)])
            if evidence.signed_digest != req.signed_digest:
                problems.append(MISMATCH)
            cms = evidence.cms
        try:
            leaf, issuers = signer_of(cms or "")
        except SignatureRefused as exc:
            return SignatureCheck(problems=[*problems, exc.message])
        why = revoked(leaf, issuers, await asyncio.to_thread(revocation_lists, self.crls))
        return SignatureCheck(problems=[*problems, *([why] if why else [])])
