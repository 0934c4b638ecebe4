"""How a validator refuses an Update: an ``ApplicationError`` of type ``ActionRefused`` whose
first detail is the refusal's code (``wrong_role``, ``guard_failed``, …) and whose message
the caller sees. A refusal in a validator writes nothing to history; the client API maps it
to ``CaseActionRefused`` (one mapping for every workflow)."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

#: The error type every refusal carries.
REFUSAL_TYPE = "ActionRefused"


def refuse(code: str, message: str) -> ApplicationError:
    """A validator's refusal: the caller sees ``message``; nothing is written to history."""
    return ApplicationError(message, code, type=REFUSAL_TYPE, non_retryable=True)
