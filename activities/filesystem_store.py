"""Embedded default document store (kho văn bản) on the local filesystem.

Layout under ``root``::

    blobs/<sha[:2]>/<sha>                                  content, named by its SHA-256
    cases/<encoded case id>/versions/<version:06d>.json    one DocumentVersion per file

Every file is published with :func:`write_file_exclusive` (temp file, fsync, hard link), so a
crash never leaves a partial file visible and concurrent writers of one name cannot both win.
Requires a POSIX filesystem with hard links; it is meant for a single host.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from activities.ports import (
    BlobNotFound,
    IntegrityError,
    StoreError,
    missing_blob,
    settle_existing,
)
from models.documents import (
    DEFAULT_MEDIA_TYPE,
    MAX_DOCUMENT_BYTES,
    SHA256_PATTERN,
    DocumentRef,
    DocumentVersion,
)

_SHA256 = re.compile(SHA256_PATTERN)
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
# Keep names well below the usual 255-byte limit, leaving room for ".json".
_MAX_COMPONENT = 200
_HASHED_PREFIX = 160


def encode_path_component(value: str) -> str:
    """Map any non-empty string to one safe file or directory name.

    Characters outside ``[A-Za-z0-9_-]`` become ``%XX`` escapes of their UTF-8 bytes, so the
    result can never be ``.``, ``..`` or contain a separator, and ``urllib.parse.unquote``
    reverses it. Results longer than 200 characters are cut to 160 and given a ``~`` plus a
    128-bit hash suffix of the original: no longer reversible, but unique, and ``~`` never
    appears in a plain encoding, so the two forms cannot collide. Assumes a case-sensitive
    filesystem (IDs differing only in letter case map to names differing only in case).
    """
    if not value:
        raise ValueError("cannot encode an empty string as a path component")
    encoded = "".join(
        ch if ch in _PLAIN else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in value
    )
    if len(encoded) <= _MAX_COMPONENT:
        return encoded
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    return f"{encoded[:_HASHED_PREFIX]}~{digest}"


def write_file_exclusive(path: Path, data: bytes) -> bool:
    """Atomically create ``path`` with ``data``; return False if it already exists.

    The data is written and fsynced to a temp file in the same directory, then hard-linked
    into place. link(2) refuses an existing name, so among concurrent writers exactly one
    returns True, and readers only ever see complete files. Leftover temp files (after a
    crash) are hidden ``.*.tmp`` names that readers ignore. Files are created mode 0600:
    the documents are not meant for other local users.
    """
    _ensure_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)  # make the new name itself survive a crash
        return True
    finally:
        os.unlink(tmp_name)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(directory: Path) -> None:
    """mkdir -p, fsyncing each parent that gains an entry so new paths are durable."""
    if directory.is_dir():
        return
    _ensure_dir(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        return  # a concurrent writer created it
    _fsync_dir(directory.parent)


class FilesystemDocumentStore:
    """DocumentStore on a local directory; directories are created on first write."""

    def __init__(self, root: Path, max_blob_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        if max_blob_bytes <= 0:
            raise ValueError(f"max_blob_bytes must be positive, got {max_blob_bytes}")
        self.root = root
        self.max_blob_bytes = max_blob_bytes

    def put_blob(
        self, content: bytes, name: str, media_type: str = DEFAULT_MEDIA_TYPE
    ) -> DocumentRef:
        if len(content) > self.max_blob_bytes:
            raise ValueError(
                f"document {name!r} is {len(content)} bytes; "
                f"this store accepts at most {self.max_blob_bytes} bytes per blob"
            )
        sha256 = hashlib.sha256(content).hexdigest()
        path = self._blob_path(sha256)
        if not path.is_file():
            # Losing the race to a concurrent writer is fine: the content is identical.
            write_file_exclusive(path, content)
        return DocumentRef(sha256=sha256, size=len(content), name=name, media_type=media_type)

    def get_blob(self, sha256: str) -> bytes:
        try:
            content = self._blob_path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            raise IntegrityError(f"blob {sha256} is corrupted: its content hashes to {actual}")
        return content

    def has_blob(self, sha256: str) -> bool:
        return self._blob_path(sha256).is_file()

    def record_version(self, version: DocumentVersion) -> bool:
        if not self.has_blob(version.document.sha256):
            raise missing_blob(version)
        path = self._versions_dir(version.case_id) / f"{version.version:06d}.json"
        if write_file_exclusive(path, version.model_dump_json(indent=2).encode("utf-8")):
            return True
        return settle_existing(self._read_version(path), version)

    def list_versions(self, case_id: str) -> list[DocumentVersion]:
        directory = self._versions_dir(case_id)
        if not directory.is_dir():
            return []
        versions = [self._read_version(p) for p in directory.glob("*.json")]
        # The filter only matters if two long IDs ever shared a hashed directory name.
        return sorted((v for v in versions if v.case_id == case_id), key=lambda v: v.version)

    def _blob_path(self, sha256: str) -> Path:
        # Validating here also keeps a malformed "hash" from being used as a path.
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
        return self.root / "blobs" / sha256[:2] / sha256

    def _versions_dir(self, case_id: str) -> Path:
        return self.root / "cases" / encode_path_component(case_id) / "versions"

    @staticmethod
    def _read_version(path: Path) -> DocumentVersion:
        try:
            return DocumentVersion.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise StoreError(f"unreadable version record {path}: {exc}") from exc


if TYPE_CHECKING:
    from activities.ports import DocumentStore

    _conforms: DocumentStore = FilesystemDocumentStore(Path())
