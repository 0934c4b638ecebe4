"""Logging for a legisflow process (worker, CLI): structlog once, with Temporal's workflow and
activity loggers going through the same chain."""

from __future__ import annotations

import logging
import sys

import structlog
import temporalio.activity
import temporalio.workflow

from settings import Settings


def configure_logging(settings: Settings) -> None:
    """structlog once for the process; stdlib records (Temporal's workflow and activity
    loggers) go through the same renderer, JSON when not on a terminal."""
    json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    # Exceptions as plain text tracebacks: a failed workflow task is logged from inside the
    # workflow sandbox, where Rich's pretty tracebacks import modules the sandbox refuses,
    # and the record was then lost as "--- Logging error ---".
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    exceptions: list[structlog.types.Processor] = (
        [structlog.processors.format_exc_info] if json else []
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
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *exceptions,
                renderer,
            ],
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
