from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest

from activities.filesystem_store import FilesystemDocumentStore, encode_path_component
from activities.ports import BlobNotFound, IntegrityError, VersionConflict
from models.documents import DocumentRef, DocumentVersion

ICT = timezone(timedelta(hours=7))
DRAFT = "Dự thảo nghị định về đất đai".encode()
REPORT = "Báo cáo thẩm định".encode()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(root: Path) -> FilesystemDocumentStore:
    return FilesystemDocumentStore(root)


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def make_version(
    ref: DocumentRef, case_id: str = "case-1", version: int = 1, label: str = "Dự thảo / Draft"
) -> DocumentVersion:
    return DocumentVersion(
        case_id=case_id,
        version=version,
        document=ref,
        label=label,
        recorded_by="chuyen-vien-01",
        recorded_at=datetime(2025, 3, 1, 9, 30, tzinfo=ICT),
    )


# --- blobs ---------------------------------------------------------------------------------


def test_put_get_round_trip(store: FilesystemDocumentStore) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx", "application/msword")

    assert ref.sha256 == hashlib.sha256(DRAFT).hexdigest()
    assert ref.size == len(DRAFT)
    assert ref.name == "du-thao-1.docx"
    assert ref.media_type == "application/msword"
    assert store.get_blob(ref.sha256) == DRAFT


def test_same_content_twice_is_one_blob(store: FilesystemDocumentStore, root: Path) -> None:
    first = store.put_blob(DRAFT, "du-thao-1.docx")
    second = store.put_blob(DRAFT, "du-thao-1.docx")

    assert first == second
    blobs = files_under(root / "blobs")
    assert blobs == [root / "blobs" / first.sha256[:2] / first.sha256]
    assert blobs[0].read_bytes() == DRAFT


def test_has_blob(store: FilesystemDocumentStore) -> None:
    missing = hashlib.sha256(REPORT).hexdigest()
    assert not store.has_blob(missing)

    ref = store.put_blob(DRAFT, "du-thao-1.docx")

    assert store.has_blob(ref.sha256)
    assert not store.has_blob(missing)


def test_get_unknown_blob_raises(store: FilesystemDocumentStore) -> None:
    store.put_blob(DRAFT, "du-thao-1.docx")
    with pytest.raises(BlobNotFound):
        store.get_blob(hashlib.sha256(REPORT).hexdigest())


def test_malformed_hash_is_rejected_not_used_as_path(store: FilesystemDocumentStore) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.get_blob("../../etc/passwd")


def test_corrupted_blob_raises_integrity_error(store: FilesystemDocumentStore, root: Path) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx")
    (root / "blobs" / ref.sha256[:2] / ref.sha256).write_bytes(DRAFT[:-1] + b"!")

    with pytest.raises(IntegrityError):
        store.get_blob(ref.sha256)


def test_oversize_blob_rejected_and_not_stored(root: Path) -> None:
    store = FilesystemDocumentStore(root, max_blob_bytes=10)

    with pytest.raises(ValueError, match="at most 10 bytes"):
        store.put_blob(b"x" * 11, "big.pdf")

    assert files_under(root) == []
    assert store.get_blob(store.put_blob(b"x" * 10, "ok.pdf").sha256) == b"x" * 10


def test_no_temp_files_left_behind(store: FilesystemDocumentStore, root: Path) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx")
    store.put_blob(DRAFT, "du-thao-1.docx")
    store.record_version(make_version(ref))
    store.record_version(make_version(ref))

    assert [p.name for p in files_under(root) if p.name.startswith(".")] == []


# --- versions ------------------------------------------------------------------------------


def test_record_version_is_idempotent(store: FilesystemDocumentStore) -> None:
    version = make_version(store.put_blob(DRAFT, "du-thao-1.docx"))

    assert store.record_version(version) is True
    assert store.record_version(version) is False
    assert store.list_versions("case-1") == [version]


def test_record_version_same_instant_other_offset_is_a_retry(
    store: FilesystemDocumentStore,
) -> None:
    version = make_version(store.put_blob(DRAFT, "du-thao-1.docx"))
    same = version.model_copy(update={"recorded_at": version.recorded_at.astimezone(UTC)})

    assert store.record_version(version) is True
    assert store.record_version(same) is False


def test_record_version_conflict(store: FilesystemDocumentStore) -> None:
    draft = store.put_blob(DRAFT, "du-thao-1.docx")
    report = store.put_blob(REPORT, "bao-cao.pdf")
    store.record_version(make_version(draft))

    with pytest.raises(VersionConflict):
        store.record_version(make_version(report))
    with pytest.raises(VersionConflict):
        store.record_version(make_version(draft, label="Other label"))

    assert [v.document for v in store.list_versions("case-1")] == [draft]


def test_record_version_with_missing_blob(store: FilesystemDocumentStore) -> None:
    ghost = DocumentRef(sha256=hashlib.sha256(REPORT).hexdigest(), size=1, name="x.pdf")

    with pytest.raises(BlobNotFound):
        store.record_version(make_version(ghost))

    assert store.list_versions("case-1") == []


def test_list_versions_sorted_by_version(store: FilesystemDocumentStore) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx")
    # 1000000 has seven digits: ordering must be numeric, not by file name.
    for n in (3, 1000000, 1, 12, 2):
        store.record_version(make_version(ref, version=n))
    store.record_version(make_version(ref, case_id="case-2", version=5))

    assert [v.version for v in store.list_versions("case-1")] == [1, 2, 3, 12, 1000000]
    assert [v.version for v in store.list_versions("case-2")] == [5]
    assert store.list_versions("case-unknown") == []


@pytest.mark.parametrize(
    "case_id",
    ["org:bo-tu-phap/2025/nd-01", "../../outside", "..", "/abs/path", "hồ sơ:số 1"],
)
def test_unusual_case_ids_stay_under_root(
    store: FilesystemDocumentStore, tmp_path: Path, root: Path, case_id: str
) -> None:
    version = make_version(store.put_blob(DRAFT, "du-thao-1.docx"), case_id=case_id)

    assert store.record_version(version) is True
    assert store.list_versions(case_id) == [version]
    assert all(p.is_relative_to(root) for p in files_under(tmp_path))
    case_dirs = list((root / "cases").iterdir())
    assert len(case_dirs) == 1
    assert unquote(case_dirs[0].name) == case_id


def test_similar_case_ids_do_not_share_a_directory(store: FilesystemDocumentStore) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx")
    ids = ["a/b", "a:b", "a%2Fb", "a_b", "a-b", "a.b"]
    # Same version number everywhere: a shared directory would surface as a VersionConflict.
    for case_id in ids:
        assert store.record_version(make_version(ref, case_id=case_id)) is True

    assert [[v.case_id for v in store.list_versions(c)] for c in ids] == [[c] for c in ids]


def test_long_case_ids_get_distinct_bounded_names(store: FilesystemDocumentStore) -> None:
    ref = store.put_blob(DRAFT, "du-thao-1.docx")
    long_a = "hồ-sơ/" * 60 + "a"
    long_b = "hồ-sơ/" * 60 + "b"

    assert encode_path_component(long_a) != encode_path_component(long_b)
    assert len(encode_path_component(long_a).encode()) < 255
    store.record_version(make_version(ref, case_id=long_a, version=1))
    store.record_version(make_version(ref, case_id=long_b, version=2))
    assert [v.version for v in store.list_versions(long_a)] == [1]
    assert [v.version for v in store.list_versions(long_b)] == [2]


def test_concurrent_retries_exactly_one_wins(store: FilesystemDocumentStore) -> None:
    version = make_version(store.put_blob(DRAFT, "du-thao-1.docx"))
    barrier = threading.Barrier(8)

    def record() -> bool:
        barrier.wait()
        return store.record_version(version)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: record(), range(8)))

    assert sorted(results) == [False] * 7 + [True]
    assert store.list_versions("case-1") == [version]


def test_concurrent_different_documents_exactly_one_wins(
    store: FilesystemDocumentStore,
) -> None:
    refs = [store.put_blob(f"bản {i}".encode(), f"v{i}.docx") for i in range(8)]
    barrier = threading.Barrier(8)

    def record(ref: DocumentRef) -> str:
        barrier.wait()
        try:
            return "won" if store.record_version(make_version(ref)) else "retry"
        except VersionConflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(record, refs))

    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    winner = refs[outcomes.index("won")]
    assert [v.document for v in store.list_versions("case-1")] == [winner]
