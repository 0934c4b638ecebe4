"""The client API attaches proofs (chứng thực) to what it sends, on every connection it makes:

- each decision (an Update whose request is ``models.authorship.Signed``) gets a proof of
  its author from the connection's :class:`identity.signers.Signer`, for this case and this
  action; without a signer, or for a person the signer may not speak for, nothing is sent
  and ``NotSignedIn`` says to sign in;
- each case started (an input that pins keys) pins the signer's public keys, so the case
  verifies later proofs against them;
- a request larger than :data:`MAX_REQUEST_BYTES` is refused before it reaches Temporal;
- with a document store, a decision that carries a document reference the store does not
  hold is refused before it is proven (a proof vouches only for an upload that arrived).

An interceptor, so that every path of the client API (act, reply, dispose, feedback and
check steps, monitoring records, calendar changes, migrations) is covered by one piece of
code rather than by each caller remembering.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from temporalio import client

from client.errors import CaseError
from identity.sessions import SIGN_IN_FIRST, NotSignedIn
from identity.signers import Signer
from models.authorship import KeysPinned, Signed
from models.case import CaseInput
from models.documents import DocumentRef

#: The largest decision or case start sent (Temporal refuses payloads over 2 MB, and a
#: large one holds up every other Update of the case while the server refuses it).
MAX_REQUEST_BYTES = 512 * 1024


class AttachProofs(client.Interceptor):
    def __init__(
        self,
        signer: Signer | None,
        clock: Callable[[], Awaitable[datetime]] | None = None,
        holds: Callable[[str], bool] | None = None,
        roots: Sequence[str] = (),
    ) -> None:
        self.signer = signer
        #: The roots pinned for the deployment (PEM): a case started here checks signed
        #: documents against them (``CaseInput.signature_roots``).
        self.roots = list(roots)
        #: Whether the document store holds a blob (by SHA-256): ``DocumentStore.has_blob``.
        self.holds = holds
        #: When proofs are issued: now, or the server's clock where time is skipped (a test
        #: server ten years ahead of the wall clock would find every proof expired).
        self.clock = clock

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _Proving(next, self)


class _Proving(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, owner: AttachProofs) -> None:
        super().__init__(next)
        self.owner = owner

    @property
    def signer(self) -> Signer | None:
        return self.owner.signer

    async def start_workflow(
        self, input: client.StartWorkflowInput
    ) -> client.WorkflowHandle[Any, Any]:
        args = list(input.args)
        if len(args) == 1 and isinstance(args[0], KeysPinned):
            _not_too_large(args[0], "case")
            if not args[0].trusted_keys and self.signer is not None:
                args[0] = args[0].model_copy(update={"trusted_keys": self.signer.trusted_keys()})
            if isinstance(args[0], CaseInput) and not args[0].signature_roots and self.owner.roots:
                args[0] = args[0].model_copy(update={"signature_roots": self.owner.roots})
        input.args = args
        return await super().start_workflow(input)

    async def start_workflow_update(
        self, input: client.StartWorkflowUpdateInput
    ) -> client.WorkflowUpdateHandle[Any]:
        args = list(input.args)
        if len(args) == 1 and isinstance(args[0], Signed) and args[0].proof is None:
            request = args[0]
            _not_too_large(request, "decision")
            self._documents_held(request)
            if self.signer is None:
                raise NotSignedIn(SIGN_IN_FIRST)
            now = await self.owner.clock() if self.owner.clock is not None else None
            proof = self.signer.prove(input.id, input.update, request, now=now)
            if inspect.isawaitable(proof):  # a remote sign-in service (identity/remote.py)
                proof = await proof
            args[0] = request.model_copy(update={"proof": proof})
        input.args = args
        return await super().start_workflow_update(input)

    def _documents_held(self, request: BaseModel) -> None:
        holds = self.owner.holds
        if holds is None:
            return
        for value in request.__dict__.values():
            if isinstance(value, DocumentRef) and not holds(value.sha256):
                raise CaseError(
                    f"tài liệu {value.name!r} không có trong kho / the document store does not "
                    f"hold {value.name!r} ({value.sha256[:12]}…): upload it first; nothing was sent"
                )


def _not_too_large(request: BaseModel, what: str) -> None:
    size = len(request.model_dump_json().encode())
    if size > MAX_REQUEST_BYTES:
        raise CaseError(
            f"yêu cầu quá lớn / the {what} is {size // 1024} KiB, more than the "
            f"{MAX_REQUEST_BYTES // 1024} KiB legisflow sends: put long texts in a document "
            "(--file) and send its reference"
        )
