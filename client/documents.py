"""Files people hand to a case (tải lên văn bản): checked before anything is read or sent, put
in the document store (the workflow then carries only the reference), and, for a comment or
a feedback given as a file, its text read from plain text, Word (.docx) or PDF."""

from __future__ import annotations

import io
from pathlib import Path

from activities.ports import DocumentStore
from client.errors import CaseError
from models.comments import normalize
from models.documents import MAX_DOCUMENT_BYTES, DocumentRef

MEDIA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".md": "text/markdown",
    ".txt": "text/plain",
}


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def checked(path: Path) -> Path:
    """``path`` if it is a readable file within the size limit; CaseError saying what is
    wrong otherwise (the file is not read)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CaseError(f"{path}: no such file") from None
    except OSError as exc:
        raise CaseError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if not path.is_file():
        raise CaseError(f"{path}: not a file")
    if size > MAX_DOCUMENT_BYTES:
        raise CaseError(
            f"{path.name} có {_mib(size)}, vượt giới hạn {_mib(MAX_DOCUMENT_BYTES)} / "
            f"{path.name} is {_mib(size)}; a document may be at most "
            f"{_mib(MAX_DOCUMENT_BYTES)}"
        )
    return path


def upload(store: DocumentStore, path: Path) -> DocumentRef:
    """Put a file in the document store; the workflow then carries only its reference."""
    content = checked(path).read_bytes()
    media = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return store.put_blob(content, path.name, media)


def checked_text(text: str, what: str, limit: int) -> int:
    """The length of a comment's or a feedback's text as it is counted (``normalize``), or
    CaseError if it is empty or longer than ``limit``."""
    if not text.strip():
        raise CaseError(f"the {what} is empty")
    chars = len(normalize(text))
    if chars > limit:
        raise CaseError(f"the {what} has {chars} characters; at most {limit} are accepted")
    return chars


def read_text(path: Path) -> str:
    """The text of a plain-text, Word (.docx) or PDF file, for a comment or a feedback."""
    return text_of(path.name, checked(path).read_bytes(), str(path))


def text_of(name: str, content: bytes, where: str | None = None) -> str:
    """The text of a file's ``content`` by its ``name``'s suffix (.docx, .pdf, else UTF-8)."""
    where = where or name
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".docx":
            return _docx_text(content)
        if suffix == ".pdf":
            return _pdf_text(content)
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError(
            f"{where}: not UTF-8 text; give a .txt/.md in UTF-8, a .docx or a .pdf"
        ) from None
    except Exception as exc:  # a damaged .docx or .pdf: the library's own error types vary
        raise CaseError(f"{where}: cannot read its text: {exc}") from None


#: What an uploaded file of each kind starts with: a Word file is a ZIP archive.
_MAGIC = {".docx": b"PK\x03\x04", ".pdf": b"%PDF-"}


def upload_bytes(store: DocumentStore, name: str, content: bytes) -> DocumentRef:
    """Put a file received over the web in the document store, if it is within the size
    limit and is what its name says (.docx, .pdf, .md or .txt); CaseError saying what is
    wrong otherwise (nothing is stored)."""
    suffix = Path(name).suffix.lower()
    if suffix not in MEDIA_TYPES:
        raise CaseError(
            f"{name}: chỉ nhận tệp .docx, .pdf, .md, .txt / only .docx, .pdf, .md and .txt "
            "files are accepted"
        )
    if len(content) > MAX_DOCUMENT_BYTES:
        raise CaseError(
            f"{name} vượt giới hạn {_mib(MAX_DOCUMENT_BYTES)} / {name} is larger than "
            f"{_mib(MAX_DOCUMENT_BYTES)}"
        )
    magic = _MAGIC.get(suffix)
    if magic is not None and not content.startswith(magic):
        raise CaseError(f"{name}: nội dung không phải tệp {suffix} / the file is not a {suffix}")
    if magic is None:
        text_of(name, content)  # a .md or .txt must be UTF-8 text
    return store.put_blob(content, name, MEDIA_TYPES[suffix])


def _docx_text(content: bytes) -> str:
    # Imported here: python-docx is slow to import and most commands never read a .docx.
    from docx import Document

    doc = Document(io.BytesIO(content))
    return "\n".join(p.text for p in doc.paragraphs)


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
