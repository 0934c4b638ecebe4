"""A validator's check of a decision's proof of authorship (``models/authorship.py``):
the case it names is this workflow, the time is the workflow's own, and a refusal is the
ordinary validator refusal (nothing written to history)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.authorship import KeyRotation, ProofLedger, ProofRefused, Signed
    from workflows.refusals import refuse


def check_proof(ledger: ProofLedger, request: Signed, update: str) -> None:
    """Refuse (in a validator) ``request`` unless it carries a valid, unused proof of its
    author for ``update`` on this workflow."""
    try:
        ledger.check(
            request, case_id=workflow.info().workflow_id, update=update, now=workflow.now()
        )
    except ProofRefused as refused:
        raise refuse(refused.code, refused.message) from None


def check_rotation(ledger: ProofLedger, req: KeyRotation, operators: list[str], role: str) -> None:
    """Refuse (in a validator) a key rotation that is not proven, not an operator's, or to
    keys that are not keys."""
    check_proof(ledger, req, "rotate_keys")
    try:
        ledger.check_rotation(req, operators, role)
    except ProofRefused as refused:
        raise refuse(refused.code, refused.message) from None


def record_proof(ledger: ProofLedger, request: Signed) -> None:
    """The handler's half: the proof is used from now on."""
    ledger.record(request, workflow.now())
