"""An operator's decision to move a running workflow to another build of the workers
(Temporal's Worker Deployment Versioning; docs/deploy.md, "Releasing new code").

A drafting case, a feedback case and a check are pinned: each runs to its end on the build it
started on. Moving one sooner is a decision like moving it to another regime: who, why, from
which build to which, and which of the case's own children move with it. The case records it
in its trail (the ``record_version_move`` Update, ``workflows/version_moves.py``) before
Temporal is told to move it (``client/ops.py``, ``upgrade``).

Pure: no I/O, no Temporal.
"""

from __future__ import annotations

from pydantic import Field

from models.authorship import Signed

#: A build id or a deployment name as the settings allow them (``settings.py``).
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"


class VersionMove(Signed):
    """``operator`` moves the workflow (and ``children``) from build ``from_build`` of the
    worker deployment ``deployment`` to build ``to_build``, for ``reason``."""

    operator: str = Field(min_length=1, max_length=128)
    deployment: str = Field(min_length=1, max_length=200, pattern=_NAME)
    from_build: str = Field(min_length=1, max_length=200, pattern=_NAME)
    to_build: str = Field(min_length=1, max_length=200, pattern=_NAME)
    reason: str = Field(min_length=5, max_length=1000)
    #: The workflows of the case that move with it (its consultation requests, its ledger).
    children: list[str] = Field(default_factory=list, max_length=200)

    def note(self) -> str:
        """The trail's note: what moved, where, and why."""
        moved = f"; cùng / with {', '.join(self.children)}" if self.children else ""
        return (
            f"chuyển bản dựng / moved between builds of {self.deployment}: "
            f"{self.from_build} → {self.to_build}{moved} — {self.reason}"
        )
