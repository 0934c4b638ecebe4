"""Composition root: settings, logging, the Temporal client and the worker.

Run with ``legisflow worker`` (or ``python worker.py``). The same worker connects to the
local dev server or a production cluster: only settings change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities import adapters
from activities.children import case_ledger_state, count_open_comments
from activities.ledger_pages import LedgerPageActivities
from activities.linking import LinkingActivities, start_feedback_case
from activities.monitoring_report import MonitoringReportActivities
from activities.post_issuance import PostIssuanceActivities, cached_directory, cached_rules
from activities.public_intake import PublicIntakeActivities
from activities.reports import ReportActivities
from activities.signature_checks import SignatureCheckActivities
from client.connection import connect
from logging_config import configure_logging
from models.migration import shipped_digests
from models.registry import load_registry
from settings import Settings, SettingsError, load_settings
from worker_runtime.runner import CaseRunner, modules_without_bytecode
from worker_runtime.sdk_pin import check_sdk
from workflows.after_issuance.feedback_case import FeedbackCase
from workflows.after_issuance.legality_check import LegalityCheck
from workflows.after_issuance.monitoring import DocumentMonitoring
from workflows.drafting.comment_ledger import CommentLedger
from workflows.drafting.consultation_request import ConsultationRequest
from workflows.drafting.legislative_process import LegislativeProcess

WORKFLOWS = [
    LegislativeProcess,
    ConsultationRequest,
    CommentLedger,
    DocumentMonitoring,
    FeedbackCase,
    LegalityCheck,
]

#: How a workflow moves between builds when the workers are versioned (docs/deploy.md,
#: "Releasing new code"). Every type is pinned: a run finishes on the build it started on.
#: - ``LegislativeProcess`` and its children ``ConsultationRequest`` and ``CommentLedger``
#:   (which start on their case's build and, for the ledger, continue as new on it): a
#:   drafting case runs for months and is moved only by an operator's audited decision
#:   (``legisflow upgrade``).
#: - ``FeedbackCase`` and ``LegalityCheck``: bounded by their legal time limits (days to a
#:   month), like a drafting case; moved the same way if one lingers.
#: - ``DocumentMonitoring`` runs for a decade: each run is pinned, and it continues as new
#:   onto the deployment's current build once another build has become current
#:   (``initial_versioning_behavior=AUTO_UPGRADE``; workflows/after_issuance/monitoring.py),
#:   so a new build never replays the history an old build's code wrote for a monitoring.
#: One behaviour for all, given as the worker's default: declared on ``@workflow.defn`` it
#: would not be inert, since the server refuses a task that names a behaviour from an
#: unversioned worker ("versioning behavior cannot be specified without deployment options").
VERSIONING_BEHAVIOR = VersioningBehavior.PINNED


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """The worker's Worker Deployment Version, when the settings name one."""
    if settings.deployment_name is None or settings.build_id is None:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.deployment_name, settings.build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VERSIONING_BEHAVIOR,
    )


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker, its activities bound to the adapters the settings choose."""
    activities = adapters.case_activities(settings)
    reports = ReportActivities(activities.store, settings.database)
    after = PostIssuanceActivities(settings.directory_file)
    # Read the shipped definitions now, not in the first migration's validator.
    shipped_digests()
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            *activities.all,
            reports.generate_synthesis_report,
            reports.store_audit_export,
            LedgerPageActivities(activities.store).write_ledger_page,
            *after.all,
            LinkingActivities(settings.directory_file).start_linked_case,
            start_feedback_case,
            count_open_comments,
            case_ledger_state,
            *PublicIntakeActivities(settings.database).all,
            MonitoringReportActivities(activities.store).generate_monitoring_report,
            SignatureCheckActivities(
                activities.store, settings.signature_crls_path
            ).check_signed_document,
        ],
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        deployment_config=deployment_config(settings),
        # The sandbox, with the time guard and cheap payload contexts (worker_runtime/runner.py).
        workflow_runner=CaseRunner(client.data_converter),
    )


async def serve_until_signalled(worker: Worker) -> None:
    """Run ``worker`` until SIGINT or SIGTERM, then shut it down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        await stop.wait()


def check_configuration(settings: Settings) -> None:
    """Read what the worker's activities will need (the procedures, the rules after issuance,
    the directory), and check the SDK is one the runner was verified on, so a broken or
    missing file or an unverified SDK stops the worker at start with what is wrong, instead
    of failing the first case that needs it."""
    check_sdk()
    load_registry()
    cached_rules()
    cached_directory(settings.directory_file)


async def run_worker(settings: Settings) -> None:
    log = structlog.get_logger("legisflow.worker")
    check_configuration(settings)
    client = await connect(settings)
    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(client, settings, executor)
        log.info(
            "worker started",
            address=settings.temporal_address,
            namespace=settings.namespace,
            task_queue=settings.task_queue,
            deployment=settings.deployment_name,
            build_id=settings.build_id,
            document_store=settings.document_store,
            notifier=settings.notifier,
            publisher=settings.publisher,
        )
        if uncompiled := modules_without_bytecode():
            log.warning(
                "workflow modules have no up-to-date bytecode: the sandbox compiles them for "
                "every case it starts or rebuilds (about 10 ms each)",
                modules=len(uncompiled),
                fix="python -m compileall workflows (make bytecode)",
            )
        await serve_until_signalled(worker)
        log.info("worker stopped")


def main() -> None:
    # Documents, outbox and ledgers the worker writes: readable by their owner only.
    os.umask(0o077)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        os._exit(1)
    configure_logging(settings)
    code = 0
    try:
        asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # one clear line, not a stack trace, for a wrong address etc.
        structlog.get_logger("legisflow.worker").error("worker stopped", error=str(exc))
        code = 1
    # sdk-python#300: the SDK may abort at interpreter exit; leave cleanly and explicitly.
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
