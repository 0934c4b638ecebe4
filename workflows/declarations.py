"""Declarations of interest kept by a workflow (kê khai xung đột lợi ích,
``models/interests.py``): the ``declare_interest`` Update, the check every decision makes of
its author (stood aside? declared, or declaring now?), and the record of a declaration a
decision carries. Shared by the drafting case, the comment ledger and the cases after
issuance; each says who may decide on it, today's legal date, and where it writes a
declaration down.

Workflow code (deterministic): imported by the sandbox.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.authorship import ProofLedger
    from models.interests import (
        Declaration,
        DeclaresInterest,
        InterestDeclaration,
        InterestRefused,
        check_decider,
        check_declaration,
        declaration_of,
    )
    from workflows.proofs import check_proof, record_proof
    from workflows.refusals import refuse


class KeepsDeclarations:
    """Set ``_declarations`` and ``_declaration_required`` (``workflow.patched(
    DECLARE_INTEREST_PATCH)``) at the start of a run."""

    _proofs: ProofLedger
    _declarations: list[Declaration]
    _declaration_required: bool

    def _deciders(self) -> Collection[str]:
        """Who may take a decision on this workflow (and so declares an interest in it)."""
        raise NotImplementedError

    def _legal_today(self) -> date:
        raise NotImplementedError

    def _declaration_recorded(self, d: Declaration) -> None:
        """Write ``d`` down where the workflow keeps its trail (and act on a recusal)."""

    @workflow.update
    def declare_interest(self, req: InterestDeclaration) -> Declaration:
        """A person says whether they have an interest in the case; one who has takes no
        decision on it."""
        record_proof(self._proofs, req)
        self._check_declaration(req)
        return self._declare(req.actor, req.has_interest, req.detail)

    @declare_interest.validator
    def _validate_declaration(self, req: InterestDeclaration) -> None:
        check_proof(self._proofs, req, "declare_interest")
        self._check_declaration(req)

    def _check_declaration(self, req: InterestDeclaration) -> None:
        try:
            check_declaration(self._declarations, self._deciders(), req)
        except InterestRefused as refusal:
            raise refuse(refusal.code, refusal.message) from None

    def _check_decider(self, actor: str, req: DeclaresInterest) -> None:
        """Refuse a decision by someone who stood aside, or who has not declared (and does
        not declare with it) where the workflow asks for declarations."""
        try:
            check_decider(
                self._declarations, actor, self._declaration_required, req.declare_no_interest
            )
        except InterestRefused as refusal:
            raise refuse(refusal.code, refusal.message) from None

    def _declared_with(self, actor: str, req: DeclaresInterest) -> None:
        """A handler's record of the declaration its decision carries, if new."""
        if req.declare_no_interest and declaration_of(self._declarations, actor) is None:
            self._declare(actor, False, None)

    def _declare(self, actor: str, has_interest: bool, detail: str | None) -> Declaration:
        d = Declaration(
            person=actor,
            has_interest=has_interest,
            detail=detail,
            at=workflow.now(),
            legal_date=self._legal_today(),
        )
        self._declarations.append(d)
        self._declaration_recorded(d)
        return d
