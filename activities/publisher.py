"""Publisher adapters: where postings for the consultation portal and the Công báo go.

- :class:`FilesystemPublisher` (default, no server): ``root/<channel>/<encoded key>.json``,
  the whole Publication as UTF-8 JSON, created at most once per key like the outbox.
- :class:`HttpPublisher`: POSTs the Publication as JSON to the e-portal's endpoint with an
  ``Idempotency-Key`` header (signed with ``X-Legisflow-Signature`` when a secret is set,
  ``Authorization: Bearer`` when a token is); 2xx is success (``Location`` or a JSON ``url``/``id``
  in the answer are kept as the posting's address and reference), 5xx/408/429 and network
  failures are retried, any other status is permanent (``PermanentDeliveryFailure``).

The posting carries the document's reference (SHA-256, name, size, media type), not its
bytes: the channel fetches the file from wherever the deployment exposes the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from activities.delivery import post_json
from activities.filesystem_store import encode_path_component, write_file_exclusive
from models.deliveries import Publication, PublishResult

DEFAULT_TIMEOUT = 15.0


class FilesystemPublisher:
    """Writes each posting into a directory; the first posting of a key is final."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, publication: Publication) -> PublishResult:
        path = self.root / publication.channel / f"{encode_path_component(publication.key)}.json"
        data = publication.model_dump_json(indent=2).encode("utf-8")
        published = write_file_exclusive(path, data)
        return PublishResult(key=publication.key, published=published, location=str(path))

    def list_postings(self, channel: str | None = None) -> list[Publication]:
        """Every posting (of one channel, or all), sorted by key."""
        pattern = f"{channel}/*.json" if channel else "*/*.json"
        if not self.root.is_dir():
            return []
        postings = [
            Publication.model_validate_json(p.read_bytes()) for p in self.root.glob(pattern)
        ]
        return sorted(postings, key=lambda p: p.key)


def publication_payload(publication: Publication) -> dict[str, Any]:
    return {"event": "publication", **publication.model_dump(mode="json")}


class HttpPublisher:
    """Posts to the e-portal / Công báo endpoint over HTTP."""

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self._secret = secret.encode("utf-8") if secret else None
        headers = {"User-Agent": "legisflow-publisher/1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), headers=headers
        )

    def publish(self, publication: Publication) -> PublishResult:
        body = json.dumps(
            publication_payload(publication), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        published, response = post_json(
            self._client,
            self.url,
            body,
            key=publication.key,
            secret=self._secret,
            what=f"{publication.channel} posting {publication.key}",
            extra_headers={"X-Legisflow-Event": f"publication.{publication.channel}"},
        )
        location, reference = self._answer(response)
        return PublishResult(
            key=publication.key, published=published, location=location, reference=reference
        )

    def _answer(self, response: httpx.Response) -> tuple[str, str | None]:
        location = response.headers.get("Location") or self.url
        reference: str | None = None
        if response.headers.get("Content-Type", "").startswith("application/json"):
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                url = answer.get("url")
                ref = answer.get("id", answer.get("reference"))
                location = str(url) if url else location
                reference = str(ref) if ref is not None else None
        return location, reference

    def close(self) -> None:
        self._client.close()


if TYPE_CHECKING:
    from activities.ports import Publisher

    _fs: Publisher = FilesystemPublisher(Path())
    _http: Publisher = HttpPublisher("http://localhost")
