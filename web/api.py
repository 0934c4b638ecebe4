"""The workspace's JSON API (``/api/v1``), for an agency's document-management or reporting
system: the same operations as the pages, the same sign-in and the same checks. Described by
the OpenAPI document the framework generates (``/api/openapi.json``).

A caller signs in at ``POST /api/sign-in/sessions`` and sends the session it gets back as
``Authorization: Bearer <base64url of the session's JSON>`` (the workspace cookie's value).
The API takes no cookie, so no other site's page can call it with a browser's session.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, ValidationError

from client.cases import act, give_direction, raise_issue
from client.comments import comment_entries
from client.documents import upload_bytes
from client.errors import CaseActionRefused, CaseError
from client.inbox import Overview, Seeker
from identity.sessions import NotSignedIn, Session, check_session
from identity.signers import acting_as
from models.case import ActionRequest, ActionResult, CaseStatus
from models.comments import Entry
from models.contested_issues import ContestedIssue, DirectionRequest, RaiseIssueRequest
from models.documents import MAX_DOCUMENT_BYTES, DocumentRef
from web.workspace import NoSuchCase, Workspace


class ActionOrder(BaseModel):
    """An action on a case, taken by the signed-in person."""

    action: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=4000)
    #: A document uploaded first (``POST /api/v1/documents``).
    document: DocumentRef | None = None
    declare_no_interest: bool = False


class IssueOrder(BaseModel):
    """An issue the caller's drafting unit sends up for direction (xin ý kiến chỉ đạo)."""

    question: str = Field(min_length=3, max_length=2000)
    options: list[str] = Field(min_length=2, max_length=6)
    proposal: str | None = Field(default=None, max_length=2000)


class DirectionOrder(BaseModel):
    """The caller's direction on an issue (ý kiến chỉ đạo): an option (from 1) or none."""

    direction: str = Field(min_length=3, max_length=2000)
    option: int | None = Field(default=None, ge=1)
    declare_no_interest: bool = False


T = TypeVar("T")


class Refusal(BaseModel):
    detail: str
    code: str | None = None


class ApiRefused(Exception):
    """A refusal the API answers as ``Refusal`` JSON with its HTTP status."""

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.refusal = Refusal(detail=detail, code=code)


def _refused(status: int, detail: str, code: str | None = None) -> ApiRefused:
    return ApiRefused(status, detail, code)


def _caller(request: Request) -> Session:
    """The session of the request's bearer token, checked like a workspace cookie."""
    ws: Workspace = request.app.state.workspace
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _refused(401, "đăng nhập trước / sign in first: Authorization: Bearer …")
    try:
        raw = base64.urlsafe_b64decode(token.strip().encode())
        return check_session(ws.local.key, Session.model_validate_json(raw))
    except NotSignedIn as exc:
        raise _refused(401, str(exc)) from None
    except (binascii.Error, ValueError, ValidationError):
        raise _refused(401, "the bearer token is not a session") from None


Caller = Annotated[Session, Depends(_caller)]


def api_router(ws: Workspace) -> APIRouter:
    api = APIRouter(
        prefix="/api/v1",
        tags=["legisflow"],
        responses={401: {"model": Refusal}, 404: {"model": Refusal}, 409: {"model": Refusal}},
    )

    async def visible(session: Session, case_id: str) -> CaseStatus:
        try:
            return await ws.case(session, case_id)
        except NoSuchCase:
            raise _refused(404, f"no case {case_id!r}") from None

    @api.get("/inbox")
    async def get_inbox(session: Caller) -> Overview:
        """What waits for the caller, and what their agency waits on others for."""
        seeker = Seeker.of(ws.directory, session.person)
        return await ws.overview(seeker)

    @api.get("/cases/{case_id:path}")
    async def get_case(case_id: str, session: Caller) -> CaseStatus:
        """A case's status (as ``legisflow status --json``)."""
        return await visible(session, case_id)

    @api.post("/documents")
    async def post_document(session: Caller, file: Annotated[UploadFile, File()]) -> DocumentRef:
        """Store a file (.docx, .pdf, .md, .txt; at most 50 MiB) for an action to carry."""
        try:
            data = await file.read(MAX_DOCUMENT_BYTES + 1)
            return upload_bytes(ws.store, file.filename or "tai-lieu", data)
        except CaseError as exc:
            raise _refused(422, str(exc)) from None

    async def decided(session: Session, case_id: str, send: Callable[[], Awaitable[T]]) -> T:
        """One decision sent for the caller: refused with the rules' reason (409) and nothing
        changed when it is not allowed."""
        await visible(session, case_id)
        with acting_as(session):
            ws.statuses.forget(case_id)
            try:
                return await send()
            except CaseActionRefused as exc:
                raise _refused(409, str(exc), exc.code) from None
            except (CaseError, NotSignedIn) as exc:
                raise _refused(409, str(exc)) from None

    @api.post("/actions/{case_id:path}")
    async def post_action(case_id: str, order: ActionOrder, session: Caller) -> ActionResult:
        """Take an action on a case."""
        req = ActionRequest(actor=session.person, **order.model_dump())
        return await decided(session, case_id, lambda: act(ws.temporal(), case_id, req))

    @api.post("/issues/{case_id:path}")
    async def post_issue(case_id: str, order: IssueOrder, session: Caller) -> ContestedIssue:
        """Send an issue up for direction; it is numbered, with the authority's deadline."""
        req = RaiseIssueRequest(actor=session.person, **order.model_dump())
        return await decided(session, case_id, lambda: raise_issue(ws.temporal(), case_id, req))

    @api.post("/directions/{number}/{case_id:path}")
    async def post_direction(
        number: Annotated[int, PathParam(ge=1)],
        case_id: str,
        order: DirectionOrder,
        session: Caller,
    ) -> ContestedIssue:
        """The caller's direction on issue ``number`` of a case."""
        req = DirectionRequest(actor=session.person, issue=number, **order.model_dump())
        return await decided(session, case_id, lambda: give_direction(ws.temporal(), case_id, req))

    @api.get("/comments/{case_id:path}")
    async def get_comments(case_id: str, session: Caller) -> list[Entry]:
        """The distinct comments on a case's draft, with their dispositions."""
        await visible(session, case_id)
        try:
            return await comment_entries(ws.temporal(), ws.store, case_id, limit=None)
        except CaseError as exc:
            raise _refused(404, str(exc)) from None

    return api
