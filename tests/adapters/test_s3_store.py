"""S3DocumentStore against moto's S3 served over real HTTP on loopback."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ports import BlobNotFound, IntegrityError, VersionConflict
from activities.s3_store import MIB, S3DocumentStore, StoreUnavailable, make_client
from models.documents import DocumentRef, DocumentVersion
from tests.adapters.conftest import object_versions
from tests.adapters.servers import S3Server, free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CASE = "so-xd-daklak:quy-dinh-phan-cap"


def version(ref: DocumentRef, n: int = 1, by: str = "nguyen.van.an") -> DocumentVersion:
    return DocumentVersion(
        case_id=CASE,
        version=n,
        document=ref,
        label="Dự thảo / Draft",
        recorded_by=by,
        recorded_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    )


@pytest.fixture
def store(s3_client: S3Client, bucket: str) -> S3DocumentStore:
    return S3DocumentStore(bucket, client=s3_client, prefix="legisflow")


def test_put_get_has_round_trip(store: S3DocumentStore, s3_client: S3Client, bucket: str) -> None:
    content = "Dự thảo Quy định / Draft regulation".encode()
    ref = store.put_blob(content, "du-thao-1.md", "text/markdown")
    assert ref.sha256 == hashlib.sha256(content).hexdigest()
    assert ref.size == len(content)
    assert store.has_blob(ref.sha256)
    assert store.get_blob(ref.sha256) == content
    key = f"legisflow/blobs/{ref.sha256[:2]}/{ref.sha256}"
    head = s3_client.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"]["sha256"] == ref.sha256
    assert head["ContentType"] == "text/markdown"


def test_putting_the_same_content_again_is_a_no_op(
    store: S3DocumentStore, s3_client: S3Client, bucket: str
) -> None:
    content = b"same bytes"
    first = store.put_blob(content, "a.txt")
    second = store.put_blob(content, "b.txt")  # another name, the same content
    assert first.sha256 == second.sha256
    assert second.name == "b.txt"
    # The bucket is versioned: a second PUT would have left a second version.
    assert object_versions(s3_client, bucket) == {
        f"legisflow/blobs/{first.sha256[:2]}/{first.sha256}": 1
    }


def test_missing_and_corrupted_blobs(
    store: S3DocumentStore, s3_client: S3Client, bucket: str
) -> None:
    ghost = "ab" * 32
    assert not store.has_blob(ghost)
    with pytest.raises(BlobNotFound):
        store.get_blob(ghost)
    s3_client.put_object(Bucket=bucket, Key=store.blob_key(ghost), Body=b"not what it says")
    with pytest.raises(IntegrityError):
        store.get_blob(ghost)
    with pytest.raises(ValueError, match="SHA-256"):
        store.has_blob("../../etc/passwd")


def test_record_version_once(store: S3DocumentStore, s3_client: S3Client, bucket: str) -> None:
    ref = store.put_blob(b"v1", "du-thao-1.md")
    other = store.put_blob(b"v1 bis", "du-thao-1b.md")
    assert store.record_version(version(ref)) is True
    assert store.record_version(version(ref)) is False  # an activity retry
    with pytest.raises(VersionConflict):
        store.record_version(version(other))
    assert store.record_version(version(other, 2, "le.thi.binh")) is True
    assert [v.version for v in store.list_versions(CASE)] == [1, 2]
    assert store.list_versions(CASE)[1].recorded_by == "le.thi.binh"
    assert store.list_versions("other-case") == []
    with pytest.raises(BlobNotFound):
        store.record_version(version(DocumentRef(sha256="ef" * 32, size=1, name="x"), 3))
    records = object_versions(s3_client, bucket, "legisflow/cases/")
    assert sorted(records.values()) == [1, 1]  # one PUT per version record, ever


def test_record_version_without_conditional_writes(s3_client: S3Client, bucket: str) -> None:
    store = S3DocumentStore(bucket, client=s3_client, conditional_writes=False)
    ref = store.put_blob(b"v1", "du-thao-1.md")
    assert store.record_version(version(ref)) is True
    assert store.record_version(version(ref)) is False
    assert sorted(object_versions(s3_client, bucket, "cases/").values()) == [1]


def test_large_blob_goes_multipart_with_heartbeats(s3_client: S3Client, bucket: str) -> None:
    store = S3DocumentStore(
        bucket, client=s3_client, multipart_threshold=6 * MIB, part_size=5 * MIB
    )
    content = hashlib.sha256(b"seed").digest() * (12 * MIB // 32)  # 12 MiB
    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    ref = env.run(store.put_blob, content, "ho-so-lon.pdf", "application/pdf")
    head = s3_client.head_object(Bucket=bucket, Key=store.blob_key(ref.sha256), PartNumber=1)
    assert head["PartsCount"] == 3  # 5 + 5 + 2 MiB
    assert [b["uploaded"] for b in beats] == [5 * MIB, 10 * MIB, 12 * MIB]
    assert store.get_blob(ref.sha256) == content
    # Stored once; uploading it again does nothing (and leaves no pending multipart).
    store.put_blob(content, "ho-so-lon.pdf")
    assert object_versions(s3_client, bucket) == {store.blob_key(ref.sha256): 1}
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_unreachable_store_is_retryable(bucket: str) -> None:
    client = make_client(endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1")
    store = S3DocumentStore(bucket, client=client)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.put_blob(b"x", "x.txt")
    with pytest.raises(StoreUnavailable):
        store.has_blob("ab" * 32)


def test_missing_bucket_is_retryable_and_bad_request_permanent(
    s3_client: S3Client, s3_server: S3Server
) -> None:
    # A bucket not created yet is a configuration error ops can fix: retried.
    with pytest.raises(StoreUnavailable, match="NoSuchBucket"):
        S3DocumentStore("legisflow-not-created", client=s3_client).put_blob(b"x", "x.txt")
    # A request S3 refuses as malformed (400) would be refused again: permanent.
    s3_client.create_bucket(Bucket="legisflow-not-created")
    store = S3DocumentStore("legisflow-not-created", client=s3_client, storage_class="BOGUS")
    with pytest.raises(ApplicationError) as info:
        store.put_blob(b"x", "x.txt")
    assert info.value.non_retryable
    assert info.value.type == "PermanentStoreFailure"
    assert "InvalidStorageClass" in str(info.value)
