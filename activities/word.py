"""Reports as Word documents (python-docx): a heading, paragraphs and tables of
``models.monitoring_report.Table``, the way a province's reports are read and filed. Used by
the monitoring's report activity and by the yearly enforcement report the client builds."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from models.monitoring_report import Table

if TYPE_CHECKING:
    from docx.document import Document as WordDocument


def word_report(
    heading: str, paragraphs: Iterable[str], tables: Iterable[Table], *, empty: str | None
) -> WordDocument:
    """A document with ``heading``, ``paragraphs``, then each table under its title (none
    when the title is empty) as a grid; ``empty`` in place of a table without rows (None:
    its header row alone)."""
    # Imported here: python-docx is slow to import and most commands never write a report.
    from docx import Document

    doc = Document()
    doc.add_heading(heading, level=1)
    for line in paragraphs:
        doc.add_paragraph(line)
    for t in tables:
        if t.title:
            doc.add_heading(t.title, level=2)
        if not t.rows and empty is not None:
            doc.add_paragraph(empty)
            continue
        grid = doc.add_table(rows=1, cols=len(t.headers))
        grid.style = "Table Grid"
        for cell, title in zip(grid.rows[0].cells, t.headers, strict=True):
            cell.text = title
        for row in t.rows:
            for cell, text in zip(grid.add_row().cells, row, strict=True):
                cell.text = text
    return doc


def docx_bytes(doc: WordDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
