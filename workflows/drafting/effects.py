"""What a case asks to be done outside itself (its side effects): document versions,
notifications and postings (``models/deliveries.py``), the synthesis report, the audit
export, the document's monitoring, and the operations on its children. Handlers queue them
(``CaseState._effects``); ``carrying_out.py`` carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.deliveries import Notification, Publication
    from models.documents import DocumentVersion
    from models.monitoring import MonitoringInput
    from models.signature_evidence import SignedDocumentCheck
    from models.synthesis_report import ReportRequest
    from workflows.drafting.consultations import (
        CancelRequest,
        ChildOp,
        ForwardReply,
        SignalLedger,
        StartLedger,
        StartRequest,
    )


@dataclass(frozen=True)
class StoreAudit:
    """Export the chained audit trail to the document store (when the case ends)."""


@dataclass(frozen=True)
class GenerateReport:
    request: ReportRequest
    actor: str
    label: str


@dataclass(frozen=True)
class CountComments:
    """Ask the comment ledger how many comments lack a disposition: a ``comments_open``
    signal only says to ask (anyone who reaches the frontend can send one). ``claimed`` is
    what the signal said, for the audit trail when the ledger contradicts it."""

    claimed: int


@dataclass(frozen=True)
class StartMonitoring:
    """Start the document's monitoring (theo dõi thi hành), which outlives the case."""

    inp: MonitoringInput


@dataclass(frozen=True)
class CheckSignature:
    """Check a signed document the case accepted again, whole, and its revocation."""

    check: SignedDocumentCheck


Effect = (
    DocumentVersion
    | Notification
    | Publication
    | GenerateReport
    | StoreAudit
    | ChildOp
    | CountComments
    | StartMonitoring
    | CheckSignature
)

#: Effects that start, signal or cancel child workflows: they depend on one another, so when
#: effects are carried out together these still go one after the other (in queue order).
CHILD_OPERATIONS = (
    StartRequest,
    ForwardReply,
    CancelRequest,
    StartLedger,
    SignalLedger,
    CountComments,
    StartMonitoring,
)
#: Effects one activity carries out together (``carry_out_effects``): what a stage entry asks
#: of the document store, the notifier and the publisher.
BATCHED = (DocumentVersion, Notification, Publication)
Batched = DocumentVersion | Notification | Publication
