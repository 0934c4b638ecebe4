"""What the client API raises: a request that cannot be carried out, a case that exists
already, and an action the workflow's validator refused (with its code)."""

from __future__ import annotations


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message says why."""


class CaseExists(CaseError):
    """A case with this id already exists (starting twice is refused, not duplicated)."""


class CaseActionRefused(CaseError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code
