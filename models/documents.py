"""Documents (văn bản) as the workflows carry them: a content-addressed reference to a file in
the document store, and a numbered version of a case's document.

Plain frozen pydantic values: they travel as Temporal payloads and are recorded in histories.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SHA256_PATTERN = r"^[0-9a-f]{64}$"
DEFAULT_MEDIA_TYPE = "application/octet-stream"
#: The largest document a case takes (a draft, a report, a signed text): 50 MiB. Larger
#: files are refused before they are read, with this limit in the message.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

# Frozen: these values are facts recorded in workflow history; nobody should mutate them.
# extra="forbid": a misspelt field should fail loudly rather than be dropped silently.
VALUE = ConfigDict(frozen=True, extra="forbid")


class DocumentRef(BaseModel):
    """A content-addressed file in the document store (kho văn bản)."""

    model_config = VALUE

    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=0)
    name: str = Field(min_length=1)  # original file name, e.g. "du-thao-1.docx"
    media_type: str = DEFAULT_MEDIA_TYPE


class DocumentVersion(BaseModel):
    """One numbered version of a case's document, e.g. a draft (dự thảo) or a report."""

    model_config = VALUE

    case_id: str = Field(min_length=1)
    version: int = Field(ge=1)  # assigned by the workflow
    document: DocumentRef
    label: str = Field(min_length=1)  # e.g. "Dự thảo / Draft"
    recorded_by: str = Field(min_length=1)  # actor id
    # Supplied by the caller (the workflow's deterministic clock), never taken from the host.
    recorded_at: AwareDatetime
