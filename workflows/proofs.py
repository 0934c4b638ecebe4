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


def check_operator(operators: list[str], person: str) -> None:
    """Refuse (in a validator) a change of keys or calendar by someone who is not one of the
    operators the workflow pinned at its start."""
    if person not in operators:
        raise refuse(
            "wrong_role",
            f"{person!r} is not an authorised operator of this workflow; operators: "
            f"{', '.join(operators) or 'none pinned (it was started before operators were)'}",
        )


class RotatesKeys:
    """The ``rotate_keys`` Update of a workflow that pins its operators in its input (a
    consultation request, the comment ledger, a feedback case, a check): from now on it
    trusts the sign-in service's new key(s). ``_keys_rotated`` records it where the workflow
    keeps its trail (and, for one that continues as new, in the input it carries)."""

    _proofs: ProofLedger
    _operators: list[str]

    def _keys_rotated(self, req: KeyRotation, before: str) -> None:
        workflow.logger.info("keys rotated by %s: %s → %s", req.operator, before, req.keys)

    @workflow.update
    def rotate_keys(self, req: KeyRotation) -> list[str]:
        """Trust ``req.keys`` from now on; returns their ids."""
        record_proof(self._proofs, req)
        before = ", ".join(self._proofs.keys)
        self._proofs = self._proofs.rotated(req.keys)
        self._keys_rotated(req, before)
        return list(self._proofs.keys)

    @rotate_keys.validator
    def _validate_rotation(self, req: KeyRotation) -> None:
        check_rotation(self._proofs, req, self._operators, "ops")
