"""Ports used by activities: the protocols of the document store, the notifier and the
publisher, and the store's errors.

The workflows never touch storage or mail directly: activities call these protocols, and the
worker wires in an implementation (the embedded filesystem defaults, or real services). The
values that cross them are in ``models/documents.py`` and ``models/deliveries.py``.
"""

from __future__ import annotations

from typing import Protocol

from models.deliveries import Notification, Publication, PublishResult, SendResult
from models.documents import DEFAULT_MEDIA_TYPE, DocumentRef, DocumentVersion


class StoreError(Exception):
    """Base class for document store failures."""


class BlobNotFound(StoreError):
    """No blob with this hash is stored."""


class IntegrityError(StoreError):
    """Stored content does not match its hash."""


class VersionConflict(StoreError):
    """This case and version number are already recorded with a different document."""


def missing_blob(version: DocumentVersion) -> BlobNotFound:
    """The error of recording ``version`` when its document is not stored."""
    return BlobNotFound(
        f"case {version.case_id!r} version {version.version} refers to missing blob "
        f"{version.document.sha256}"
    )


def settle_existing(existing: DocumentVersion, version: DocumentVersion) -> bool:
    """``version`` found already recorded as ``existing``: False for a retry of the same record
    (nothing new), VersionConflict for a different document under that number."""
    if existing == version:
        return False
    raise VersionConflict(
        f"case {version.case_id!r} version {version.version} is already recorded with "
        f"document {existing.document.sha256} ({existing.document.name!r}), "
        f"not {version.document.sha256} ({version.document.name!r})"
    )


class DocumentStore(Protocol):
    """Document store (kho văn bản): immutable blobs plus a per-case version log."""

    def put_blob(
        self, content: bytes, name: str, media_type: str = DEFAULT_MEDIA_TYPE
    ) -> DocumentRef:
        """Store content under its SHA-256; storing the same content again is a no-op."""
        ...

    def get_blob(self, sha256: str) -> bytes:
        """Return verified content; raise BlobNotFound or IntegrityError."""
        ...

    def has_blob(self, sha256: str) -> bool: ...

    def record_version(self, version: DocumentVersion) -> bool:
        """Record a version once.

        Return True if newly recorded, False if the identical record already existed (a
        retry). Raise VersionConflict if a different record exists for that number, and
        BlobNotFound if the referenced blob is not stored.
        """
        ...

    def list_versions(self, case_id: str) -> list[DocumentVersion]:
        """All recorded versions of a case, sorted by version number."""
        ...


class Notifier(Protocol):
    """Sends notifications; delivery is idempotent per Notification.key."""

    def send(self, notification: Notification) -> SendResult: ...


class Publisher(Protocol):
    """Posts documents on the consultation portal or the Công báo; idempotent per key."""

    def publish(self, publication: Publication) -> PublishResult: ...
