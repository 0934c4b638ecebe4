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
from pathlib import Path
from typing import Literal

import structlog
import temporalio.activity
import temporalio.workflow
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities import adapters
from activities.ledger_pages import LedgerPageActivities
from activities.linking import LinkingActivities, start_feedback_case
from activities.monitoring_report import MonitoringReportActivities
from activities.post_issuance import PostIssuanceActivities
from activities.reports import ReportActivities
from workflows.comment_ledger import CommentLedger
from workflows.consultation_request import ConsultationRequest
from workflows.feedback_case import FeedbackCase
from workflows.legality_check import LegalityCheck
from workflows.legislative_process import LegislativeProcess
from workflows.monitoring import DocumentMonitoring
from workflows.runner import CaseRunner, modules_without_bytecode
from workflows.time_guard import RetryRefusedQueries

WORKFLOWS = [
    LegislativeProcess,
    ConsultationRequest,
    CommentLedger,
    DocumentMonitoring,
    FeedbackCase,
    LegalityCheck,
]


class Settings(BaseSettings):
    """Every setting comes from a ``LEGISFLOW_*`` environment variable (see README)."""

    model_config = SettingsConfigDict(env_prefix="LEGISFLOW_", extra="ignore")

    temporal_address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "legisflow"
    #: Where the embedded defaults keep their files (dev server DB, documents, outbox).
    data_dir: Path = Path(".legisflow")
    #: Length of one legal day in seconds: 86400 in production, ~1 for a demo.
    legal_day_seconds: float = 86400.0
    ui_port: int = 8233
    directory_file: Path | None = None
    log_format: str = "auto"  # auto | json | console
    log_level: str = "INFO"
    #: Serve Prometheus metrics (the Temporal runtime's and legisflow's) on this port.
    metrics_port: int | None = None
    #: On SIGTERM, let activities in flight finish for this long before cancelling them, so
    #: a webhook or portal request is not cut mid-body (it would be retried, but the partner
    #: sees a truncated, badly signed request).
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    #: Temporal environment configuration (profiles in a TOML file, TEMPORAL_* variables):
    #: which profile to use, and which file (default: Temporal's standard location).
    temporal_profile: str | None = None
    temporal_config_file: Path | None = None

    # ---- adapters (README "Adapters"; activities/adapters.py) ----
    document_store: Literal["filesystem", "s3"] = "filesystem"
    notifier: Literal["outbox", "smtp", "webhook"] = "outbox"
    publisher: Literal["filesystem", "http"] = "filesystem"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True  # STARTTLS required (port 587); false: plain (a local relay)
    smtp_tls: bool = False  # implicit TLS (port 465) instead of STARTTLS
    smtp_validate_certs: bool = True
    smtp_from: str = "legisflow <legisflow@localhost>"
    smtp_timeout: float = 20.0
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout: float = 10.0
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # unset: AWS itself; else MinIO, Ceph RGW, …
    s3_region: str | None = None
    s3_prefix: str = ""
    s3_path_style: bool = False
    s3_conditional_writes: bool = True
    s3_storage_class: str | None = None  # e.g. STANDARD_IA; unset: the bucket's default
    s3_multipart_threshold: int = 16 * 1024 * 1024
    s3_part_size: int = 8 * 1024 * 1024
    publisher_url: str | None = None
    publisher_secret: SecretStr | None = None
    publisher_token: SecretStr | None = None
    publisher_timeout: float = 15.0

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def publications_dir(self) -> Path:
        return self.data_dir / "publications"

    @property
    def smtp_ledger_dir(self) -> Path:
        return self.data_dir / "smtp-sent"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"


def configure_logging(settings: Settings) -> None:
    """structlog once for the process; stdlib records (Temporal's workflow and activity
    loggers) go through the same renderer, JSON when not on a terminal."""
    json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # transitions logs every trigger at INFO, which a workflow repeats on every replay.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    # Workflow and activity ids travel as structured fields, not pasted into the message.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False


class ConnectError(RuntimeError):
    """Temporal could not be reached; the message is one line for people."""


def connect_config(settings: Settings) -> ClientConnectConfig:
    """Where and how to connect: Temporal's environment configuration (a profile in its TOML
    file, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* …), with an
    explicit LEGISFLOW_TEMPORAL_ADDRESS / LEGISFLOW_NAMESPACE taking precedence."""
    config = ClientConfig.load_client_connect_config(
        profile=settings.temporal_profile,
        config_file=str(settings.temporal_config_file) if settings.temporal_config_file else None,
    )
    explicit = settings.model_fields_set
    if "temporal_address" in explicit or "target_host" not in config:
        config["target_host"] = settings.temporal_address
    if "namespace" in explicit or "namespace" not in config:
        config["namespace"] = settings.namespace
    return config


_runtimes: dict[int, Runtime] = {}


def runtime_for(settings: Settings) -> Runtime | None:
    """A runtime exporting Prometheus metrics on ``metrics_port`` (one per process)."""
    port = settings.metrics_port
    if port is None:
        return None
    if port not in _runtimes:
        _runtimes[port] = Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port}"))
        )
    return _runtimes[port]


async def connect(settings: Settings) -> Client:
    config = connect_config(settings)
    try:
        return await Client.connect(
            **config,
            data_converter=pydantic_data_converter,
            runtime=runtime_for(settings),
            interceptors=[RetryRefusedQueries()],
        )
    except RuntimeError as exc:
        # The SDK's message carries a chain of causes over several lines; people need one.
        cause = " ".join(str(exc).split())
        raise ConnectError(
            f"cannot reach Temporal at {config.get('target_host')} (namespace "
            f"{config.get('namespace')}, TLS {'on' if config.get('tls') else 'off'}): {cause}"
        ) from None


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker, its activities bound to the adapters the settings choose."""
    activities = adapters.case_activities(settings)
    reports = ReportActivities(activities.store)
    after = PostIssuanceActivities(settings.directory_file)
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
            MonitoringReportActivities(activities.store).generate_monitoring_report,
        ],
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        # The sandbox, with the time guard and cheap payload contexts (workflows/runner.py).
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


async def run_worker(settings: Settings) -> None:
    log = structlog.get_logger("legisflow.worker")
    client = await connect(settings)
    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(client, settings, executor)
        log.info(
            "worker started",
            address=settings.temporal_address,
            namespace=settings.namespace,
            task_queue=settings.task_queue,
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
    settings = Settings()
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
