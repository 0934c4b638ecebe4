"""The ``record_version_move`` Update of a pinned workflow with a trail (a drafting case, a
feedback case, a check): an operator's decision to move it to another build of the workers
(``models/versioning.py``), recorded in the trail before Temporal moves it (``legisflow
upgrade``; docs/deploy.md). The Update changes nothing else: it writes no command, so the
history a build recorded replays on the build the workflow moves to.

Workflow code (deterministic).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.authorship import ProofLedger
    from models.versioning import VersionMove
    from workflows.proofs import check_proof, record_proof
    from workflows.refusals import refuse

#: The Update's name (a proof names it as the action).
RECORD_VERSION_MOVE = "record_version_move"


class RecordsVersionMoves:
    """The Update; the workflow says who may decide (``_check_version_mover``) and where its
    trail is (``_version_moved``)."""

    _proofs: ProofLedger

    def _check_version_mover(self, person: str) -> None:
        """Refuse (in a validator) anyone but the workflow's operators."""
        raise NotImplementedError

    def _version_moved(self, req: VersionMove) -> None:
        """Record the decision in the trail."""
        raise NotImplementedError

    @workflow.update(name=RECORD_VERSION_MOVE)
    def record_version_move(self, req: VersionMove) -> str:
        """Record that ``req.operator`` moves this workflow to build ``req.to_build`` and why;
        returns the build. Temporal moves it once this is recorded (the client's next step)."""
        record_proof(self._proofs, req)
        self._version_moved(req)
        return req.to_build

    @record_version_move.validator
    def _validate_version_move(self, req: VersionMove) -> None:
        check_proof(self._proofs, req, RECORD_VERSION_MOVE)
        self._check_version_mover(req.operator)
        # The build that runs this task is the one the workflow is on: the record must say so.
        on = workflow.info().get_current_deployment_version()
        if on is None or not on.deployment_name:
            raise refuse(
                "not_versioned",
                "this workflow does not run on versioned workers (LEGISFLOW_BUILD_ID unset): "
                "there is no build to move it from",
            )
        if (on.deployment_name, on.build_id) != (req.deployment, req.from_build):
            raise refuse(
                "version_stale",
                f"this workflow runs on {on.deployment_name}.{on.build_id}, not "
                f"{req.deployment}.{req.from_build}: ask again",
            )
        if req.to_build == req.from_build:
            raise refuse("same_build", f"this workflow already runs on build {req.to_build}")
