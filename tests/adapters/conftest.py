"""Fixtures for the adapter tests: real SMTP, HTTP and S3 servers on loopback, started by
the tests; helpers to watch a workflow's activity retries and list what it meant to send."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from activities.s3_store import make_client
from models.deliveries import Notification, Recipient
from tests.adapters.servers import HttpReceiver, S3Server, SmtpServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from temporalio.client import WorkflowHandle

SECRET = "khoa-bi-mat-dung-chung"  # the webhook's shared secret in these tests


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver(secret=SECRET.encode())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One moto S3 server for the session; the standard AWS variables point boto3 at
    throwaway credentials (moto accepts any), as a deployment's would at real ones."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        server = S3Server()
        server.start()
        yield server
        server.stop()


@pytest.fixture
def s3_client(s3_server: S3Server) -> S3Client:
    return make_client(endpoint_url=s3_server.endpoint_url, region="us-east-1")


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    """A fresh bucket with versioning on, so every PUT that reached S3 leaves a version."""
    name = f"legisflow-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    s3_client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def object_versions(client: S3Client, bucket: str, prefix: str = "") -> dict[str, int]:
    """How many versions (successful PUTs) each key has."""
    counts: dict[str, int] = {}
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


def make_notification(
    key: str = "so-xd-daklak:quy-dinh/assignment/1",
    recipients: list[Recipient] | None = None,
    kind: str = "assignment",
) -> Notification:
    return Notification(
        key=key,
        case_id="so-xd-daklak:quy-dinh",
        kind=kind,
        recipients=recipients
        or [Recipient(actor_id="nguyen.van.an", name="Nguyễn Văn An", email="an@so.example")],
        subject="[legisflow] Việc cần xử lý / Action needed: Soạn thảo — Quy định",
        body="Hồ sơ / Case: Quy định\nViệc cần làm / What to do:\n"
        "- Đăng tải dự thảo / Post the draft (`legisflow act X open_consultation`)\n"
        "Hạn / Due: 22/12/2026",
        created_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    )


async def wait_for_retry(
    handle: WorkflowHandle[Any, Any],
    activity_type: str,
    *,
    min_attempt: int,
    timeout: float = 20.0,
) -> tuple[int, str]:
    """Wait until the workflow's pending ``activity_type`` is at attempt ``min_attempt`` or
    later (i.e. it failed ``min_attempt - 1`` times); return the attempt and last failure."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        desc = await handle.describe()
        for pa in desc.raw_description.pending_activities:
            if pa.activity_type.name == activity_type and pa.attempt >= min_attempt:
                return pa.attempt, pa.last_failure.message
        if loop.time() > deadline:
            raise TimeoutError(f"{activity_type} did not reach attempt {min_attempt}")
        await asyncio.sleep(0.05)
