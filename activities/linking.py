"""Starting linked workflows from workflow code (with the worker's Temporal client):

- the drafting case of an amendment (hồ sơ sửa đổi, bổ sung) proposed by a feedback case or
  required by a legality check: workflows cannot read the registry or the directory, so
  this activity resolves both;
- a feedback case (kiến nghị, phản ánh), received by a document's monitoring or forwarded by
  another feedback case. It is not a child: it outlives the monitoring's run (which
  continues as new) and the case that forwarded it, and reports by signal instead. (A child
  that completes after its parent's run closed also stops the time-skipping test server
  from skipping time.)

Idempotent: each new workflow's id derives from the request (e.g.
``so-xd-daklak:sua-doi-pa7-quy-dinh-…``, ``…/monitoring/feedback/7``), so a retry finds the
workflow it already started.
"""

from __future__ import annotations

from pathlib import Path

from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.post_issuance import cached_directory
from models.actors import Directory
from models.feedback import FeedbackInput
from models.links import CaseLink, LinkKind
from models.post_issuance import LinkedCaseRequest
from models.registry import load_registry
from models.starting import StartRefused, StartRequest, case_id_for, plan_case
from workflows import search_attributes as sa

#: The workflow types started here (by name: activities do not import workflow code).
DRAFTING_CASE = "LegislativeProcess"
FEEDBACK_CASE = "FeedbackCase"

AMENDMENT_TITLE = "Sửa đổi, bổ sung {title}"


def amendment_slug(req: LinkedCaseRequest) -> str:
    original = req.document.case_id.split(":", 1)[-1]
    return f"sua-doi-{req.tag}-{original}"[:120].rstrip("-")


class LinkingActivities:
    def __init__(self, directory_file: Path | None = None) -> None:
        self.directory_file = directory_file

    def _directory(self) -> Directory:
        return cached_directory(self.directory_file)

    @activity.defn(name="start_linked_case")
    async def start_linked_case(self, req: LinkedCaseRequest) -> CaseLink:
        """Start the amendment's drafting case (current default regime, same type and
        drafting agency); returns the link as the deciding workflow records it."""
        doc = req.document
        try:
            definition = load_registry().get(doc.doc_type)
        except KeyError as exc:
            raise _refused(str(exc.args[0])) from exc
        directory = self._directory()
        slug = amendment_slug(req)
        case_id = case_id_for(doc.drafting_agency, slug)
        title = AMENDMENT_TITLE.format(title=doc.title)[:500]
        starter = _starter(directory, definition.starter_role, doc.drafting_agency, req.proposer)
        if starter is None:
            raise _refused(
                f"nobody in {doc.drafting_agency_name} holds {definition.starter_role!r} to "
                "start the amendment; add one to the directory"
            )
        amends = CaseLink(
            kind=LinkKind.AMENDS,
            target=doc.case_id,
            title=doc.title,
            via=req.via,
            by=req.proposer,
            note=req.reason,
            at=req.at,
        )
        try:
            opening = plan_case(
                directory,
                StartRequest(
                    definition=definition,
                    title=title,
                    starter=starter,
                    slug=slug,
                    legal_day_seconds=req.legal_day_seconds,
                    links=(amends,),
                ),
            )
        except StartRefused as exc:
            raise _refused(str(exc)) from exc
        try:
            await activity.client().start_workflow(
                DRAFTING_CASE,
                opening.inp.model_copy(update={"trusted_keys": list(req.trusted_keys)}),
                task_queue=activity.info().task_queue,
                **sa.start_options(opening),
            )
        except WorkflowAlreadyStartedError:
            activity.logger.info("linked case %s already started (a retry)", case_id)
        return CaseLink(
            kind=LinkKind.AMENDED_BY,
            target=case_id,
            title=title,
            via=req.via,
            by=req.proposer,
            note=req.reason,
            at=req.at,
        )


@activity.defn(name="start_feedback_case")
async def start_feedback_case(inp: FeedbackInput) -> str:
    """Start a feedback case (once per id); returns its id. No personal data goes into its
    search attributes: the agency handling it and the document's type and regime."""
    doc = inp.document
    try:
        await activity.client().start_workflow(
            FEEDBACK_CASE,
            inp,
            id=inp.feedback_id,
            task_queue=activity.info().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=sa.typed(
                {
                    "LegalStage": inp.rules.procedure.initial,
                    "DocumentType": doc.doc_type,
                    "DraftingAgency": inp.agency.id,
                    "LegalRegime": doc.regime,
                    "Overdue": False,
                }
            ),
            memo={"document": doc.case_id, "title": doc.title, "agency": inp.agency.name},
            static_summary=f"Phản ánh số {inp.number} / Feedback {inp.number}: {doc.title}"[:400],
        )
    except WorkflowAlreadyStartedError:
        activity.logger.info("feedback case %s already started (a retry)", inp.feedback_id)
    return inp.feedback_id


def _starter(directory: Directory, role: str, agency: str, proposer: str) -> str | None:
    """The proposer if they may start a draft in the drafting agency, else its first drafter."""
    able = [p.id for p in directory.people if p.agency == agency and role in p.roles]
    if proposer in able:
        return proposer
    return able[0] if able else None


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type="LinkedCaseRefused", non_retryable=True)
