"""Settings → adapters: which DocumentStore, Notifier and Publisher a process uses.

``LEGISFLOW_DOCUMENT_STORE`` = filesystem (default) | s3, ``LEGISFLOW_NOTIFIER`` = outbox
(default) | smtp | webhook, ``LEGISFLOW_PUBLISHER`` = filesystem (default) | http; the
other settings each adapter needs are in README "Adapters". A missing setting is reported
here, when the worker (or CLI) starts, not at the first delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from activities.case_activities import CaseActivities
from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from activities.ports import DocumentStore, Notifier, Publisher
from activities.publisher import FilesystemPublisher, HttpPublisher

if TYPE_CHECKING:
    from settings import Settings


class AdapterConfigError(ValueError):
    """The settings name an adapter but not everything it needs."""


def _require(value: str | None, variable: str, adapter: str) -> str:
    if not value:
        raise AdapterConfigError(f"{adapter} needs {variable}")
    return value


def document_store(settings: Settings) -> DocumentStore:
    if settings.document_store == "filesystem":
        return FilesystemDocumentStore(settings.documents_dir)
    # Imported here: boto3 is slow to import and the default needs none of it.
    from activities.s3_store import S3DocumentStore, make_client

    bucket = _require(settings.s3_bucket, "LEGISFLOW_S3_BUCKET", "LEGISFLOW_DOCUMENT_STORE=s3")
    return S3DocumentStore(
        bucket,
        client=make_client(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            path_style=settings.s3_path_style,
        ),
        prefix=settings.s3_prefix,
        multipart_threshold=settings.s3_multipart_threshold,
        part_size=settings.s3_part_size,
        conditional_writes=settings.s3_conditional_writes,
        storage_class=settings.s3_storage_class,
    )


def notifier(settings: Settings) -> Notifier:
    if settings.notifier == "outbox":
        return OutboxNotifier(settings.outbox_dir)
    if settings.notifier == "smtp":
        from activities.smtp_notifier import SmtpNotifier

        return SmtpNotifier(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            ledger_dir=settings.smtp_ledger_dir,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
            validate_certs=settings.smtp_validate_certs,
            timeout=settings.smtp_timeout,
            workspace_url=settings.workspace_url,
        )
    from activities.webhook_notifier import WebhookNotifier

    adapter = "LEGISFLOW_NOTIFIER=webhook"
    url = _require(settings.webhook_url, "LEGISFLOW_WEBHOOK_URL", adapter)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    # Unsigned notifications could be forged by anyone who can reach the receiver.
    return WebhookNotifier(
        url,
        _require(secret, "LEGISFLOW_WEBHOOK_SECRET", adapter),
        timeout=settings.webhook_timeout,
    )


def publisher(settings: Settings) -> Publisher:
    if settings.publisher == "filesystem":
        return FilesystemPublisher(settings.publications_dir)
    url = _require(settings.publisher_url, "LEGISFLOW_PUBLISHER_URL", "LEGISFLOW_PUBLISHER=http")
    secret = settings.publisher_secret.get_secret_value() if settings.publisher_secret else None
    token = settings.publisher_token.get_secret_value() if settings.publisher_token else None
    return HttpPublisher(url, secret, token=token, timeout=settings.publisher_timeout)


def case_activities(settings: Settings) -> CaseActivities:
    """The worker's activities, bound to the configured adapters."""
    return CaseActivities(
        store=document_store(settings),
        notifier=notifier(settings),
        publisher=publisher(settings),
    )
