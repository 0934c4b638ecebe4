"""DocumentStore on S3 or any S3-compatible object store (MinIO, Ceph RGW, …), via boto3.

Layout in the bucket (under an optional prefix)::

    blobs/<sha[:2]>/<sha>                                  content, named by its SHA-256
    cases/<encoded case id>/versions/<version:06d>.json    one DocumentVersion per object

Once per intent:

- A blob's key is its content hash: ``put_blob`` first asks ``head_object`` and uploads
  only when the key is absent, with ``If-None-Match: *`` so that of two concurrent uploads
  one wins and the other is a no-op.
- A version record is created with ``If-None-Match: *`` (S3 conditional writes): the first
  record of a case+version wins; a retry finds the identical record (returns False) and a
  different one is a VersionConflict, as in the filesystem store. For a server without
  conditional writes set ``conditional_writes=False`` (``LEGISFLOW_S3_CONDITIONAL_WRITES``):
  the store then reads before it writes, which leaves a race between two workers recording
  the *same* case+version at the same instant (the workflow never does that: one case
  records its versions one at a time, so only a duplicate activity attempt could).
- Documents from ``multipart_threshold`` bytes on are uploaded in parts of ``part_size``
  bytes (S3's minimum is 5 MiB), with an activity heartbeat after each part when running
  inside an activity; a failed upload is aborted so no parts linger.

Reads verify the content against its hash (IntegrityError). Errors: "not found" becomes
BlobNotFound/False; unreachable endpoints, time-outs, 5xx, throttling, and access or bucket
misconfiguration (fixable by ops, so worth retrying) raise :class:`StoreUnavailable`, which
activities retry; other 4xx answers raise a non-retryable ``PermanentStoreFailure``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions
from pydantic import ValidationError

from activities.delivery import PERMANENT_STORE_FAILURE, heartbeat, heartbeating, permanent
from activities.filesystem_store import encode_path_component
from activities.ports import (
    BlobNotFound,
    IntegrityError,
    StoreError,
    missing_blob,
    settle_existing,
)
from models.documents import DEFAULT_MEDIA_TYPE, SHA256_PATTERN, DocumentRef, DocumentVersion

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 16 * MIB
DEFAULT_PART_SIZE = 8 * MIB
MIN_PART_SIZE = 5 * MIB

_SHA256 = re.compile(SHA256_PATTERN)
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_ALREADY_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
# Answers that say "not now" or "not configured yet": retrying (while ops fix the bucket,
# the credentials or the load) can succeed.
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "Throttling",
        "ThrottlingException",
        "AccessDenied",
        "NoSuchBucket",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)


class StoreUnavailable(StoreError):
    """The object store cannot do this now (unreachable, overloaded, misconfigured)."""


def make_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    path_style: bool = False,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
) -> S3Client:
    """An S3 client; credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID, …).

    botocore retries once itself (small blips); durable retrying is Temporal's job.
    """
    config = botocore.config.Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path" if path_style else "auto"},
    )
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _code(exc: botocore.exceptions.ClientError) -> tuple[str, int]:
    error: Any = exc.response.get("Error", {})
    meta: Any = exc.response.get("ResponseMetadata", {})
    return str(error.get("Code", "")), int(meta.get("HTTPStatusCode", 0))


class S3DocumentStore:
    """DocumentStore in one bucket; the client is shared by the worker's activity threads."""

    def __init__(
        self,
        bucket: str,
        *,
        client: S3Client | None = None,
        prefix: str = "",
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int = DEFAULT_PART_SIZE,
        conditional_writes: bool = True,
        storage_class: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        if multipart_threshold < part_size:
            raise ValueError("multipart_threshold must be at least part_size")
        self.bucket = bucket
        self.client: S3Client = client or make_client()
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.conditional_writes = conditional_writes
        self.storage_class = storage_class

    # ---- keys ------------------------------------------------------------------------------

    def blob_key(self, sha256: str) -> str:
        if not _is_sha256(sha256):
            raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256}"

    def versions_prefix(self, case_id: str) -> str:
        return f"{self.prefix}cases/{encode_path_component(case_id)}/versions/"

    def version_key(self, case_id: str, version: int) -> str:
        return f"{self.versions_prefix(case_id)}{version:06d}.json"

    # ---- DocumentStore ---------------------------------------------------------------------

    def put_blob(
        self, content: bytes, name: str, media_type: str = DEFAULT_MEDIA_TYPE
    ) -> DocumentRef:
        digest = hashlib.sha256(content)
        sha256 = digest.hexdigest()
        key = self.blob_key(sha256)
        ref = DocumentRef(sha256=sha256, size=len(content), name=name, media_type=media_type)
        with self._errors(f"store blob {sha256} ({name})"):
            if self._exists(key):
                return ref  # content-addressed: already stored is stored
            if len(content) >= self.multipart_threshold:
                self._put_multipart(key, content, sha256, media_type)
            else:
                self._put_if_absent(
                    key,
                    content,
                    media_type,
                    metadata={"sha256": sha256},
                    checksum=base64.b64encode(digest.digest()).decode("ascii"),
                )
        return ref

    def get_blob(self, sha256: str) -> bytes:
        key = self.blob_key(sha256)
        with self._errors(f"read blob {sha256}"):
            try:
                content = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except botocore.exceptions.ClientError as exc:
                if _code(exc)[0] in _NOT_FOUND:
                    raise BlobNotFound(f"no blob {sha256}") from None
                raise
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            raise IntegrityError(f"blob {sha256} is corrupted: its content hashes to {actual}")
        return content

    def has_blob(self, sha256: str) -> bool:
        key = self.blob_key(sha256)
        with self._errors(f"look up blob {sha256}"):
            return self._exists(key)

    def record_version(self, version: DocumentVersion) -> bool:
        if not self.has_blob(version.document.sha256):
            raise missing_blob(version)
        key = self.version_key(version.case_id, version.version)
        data = version.model_dump_json(indent=2).encode("utf-8")
        with self._errors(f"record version {version.version} of {version.case_id}"):
            if self._put_if_absent(key, data, "application/json"):
                return True
            existing = self._read_version(key)
        return settle_existing(existing, version)

    def list_versions(self, case_id: str) -> list[DocumentVersion]:
        versions: list[DocumentVersion] = []
        with self._errors(f"list versions of {case_id}"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(
                Bucket=self.bucket, Prefix=self.versions_prefix(case_id)
            ):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith(".json"):
                        versions.append(self._read_version(obj["Key"]))
        # The filter only matters if two long IDs ever shared a hashed prefix.
        return sorted((v for v in versions if v.case_id == case_id), key=lambda v: v.version)

    # ---- internals -------------------------------------------------------------------------

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if _code(exc)[0] in _NOT_FOUND:
                return False
            raise
        return True

    def _put_if_absent(
        self,
        key: str,
        data: bytes,
        media_type: str,
        *,
        metadata: dict[str, str] | None = None,
        checksum: str | None = None,
    ) -> bool:
        """Create ``key``; False if it already exists (nothing is overwritten)."""
        if not self.conditional_writes and self._exists(key):
            return False
        extra: dict[str, Any] = self._class()
        if self.conditional_writes:
            extra["IfNoneMatch"] = "*"
        if checksum is not None:
            extra["ChecksumSHA256"] = checksum  # the server verifies what it received
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=media_type,
                Metadata=metadata or {},
                **extra,
            )
        except botocore.exceptions.ClientError as exc:
            if _code(exc)[0] in _ALREADY_EXISTS:
                return False
            raise
        return True

    def _put_multipart(self, key: str, content: bytes, sha256: str, media_type: str) -> None:
        upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=media_type,
            Metadata={"sha256": sha256},
            **self._class(),
        )["UploadId"]
        parts: list[dict[str, Any]] = []
        try:
            view = memoryview(content)
            for number, offset in enumerate(range(0, len(content), self.part_size), start=1):
                chunk = view[offset : offset + self.part_size]
                answer = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk.tobytes(),
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                heartbeat({"key": key, "uploaded": offset + len(chunk), "size": len(content)})
            extra: dict[str, Any] = {"IfNoneMatch": "*"} if self.conditional_writes else {}
            try:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
                    **extra,
                )
            except botocore.exceptions.ClientError as exc:
                if _code(exc)[0] not in _ALREADY_EXISTS:
                    raise
                self._abort(key, upload_id)  # a concurrent upload of the same content won
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _class(self) -> dict[str, Any]:
        return {"StorageClass": self.storage_class} if self.storage_class else {}

    def _abort(self, key: str, upload_id: str) -> None:
        # Best effort; a bucket lifecycle rule cleans up whatever remains.
        with suppress(botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def _read_version(self, key: str) -> DocumentVersion:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        try:
            return DocumentVersion.model_validate_json(body)
        except ValidationError as exc:
            raise StoreError(f"unreadable version record s3://{self.bucket}/{key}: {exc}") from exc

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Translate boto errors into retryable StoreUnavailable or a permanent failure."""
        where = f"s3://{self.bucket}"
        try:
            with heartbeating():
                yield
        except botocore.exceptions.ClientError as exc:
            code, status = _code(exc)
            detail = f"{what}: {where} answered {status} {code}: {exc}"
            if status >= 500 or status in (403, 408, 429) or code in _TRANSIENT_CODES:
                raise StoreUnavailable(detail) from None
            raise permanent(detail, PERMANENT_STORE_FAILURE) from exc
        except botocore.exceptions.ParamValidationError as exc:  # refused before sending
            raise permanent(f"{what}: invalid request: {exc}", PERMANENT_STORE_FAILURE) from exc
        except botocore.exceptions.BotoCoreError as exc:  # connection, time-out, credentials
            raise StoreUnavailable(f"{what}: {where} unreachable ({exc})") from None


def _is_sha256(value: str) -> bool:
    return _SHA256.fullmatch(value) is not None


if TYPE_CHECKING:
    from activities.ports import DocumentStore

    _conforms: DocumentStore = S3DocumentStore("bucket")
