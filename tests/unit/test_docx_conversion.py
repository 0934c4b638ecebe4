"""A Word draft becomes the PDF an official signs (``signatures/conversion.py``): headless
LibreOffice from Debian keeps its text — Vietnamese included — in Liberation Serif, Times
New Roman's metric twin (fonts-liberation2); a file that is no Word document is refused
with the reason."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from docx.shared import Pt
from pypdf import PdfReader

from signatures.conversion import ConversionFailed, docx_to_pdf

ARTICLE = "Điều 1. Ban hành kèm theo Quyết định này Quy định về quản lý chợ truyền thống."


def draft() -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    doc.add_paragraph("ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK")
    doc.add_paragraph("QUYẾT ĐỊNH")
    doc.add_paragraph(ARTICLE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_a_word_draft_becomes_a_pdf_in_times_new_romans_metrics() -> None:
    pdf = docx_to_pdf(draft())
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = " ".join(page.extract_text().split())
    assert "ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK" in text
    assert "Điều 1. Ban hành kèm theo Quyết định này" in text
    fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
    names = {str(fonts[k].get_object()["/BaseFont"]).split("+")[-1] for k in fonts}
    assert names == {"LiberationSerif"}


def test_a_file_that_is_no_word_document_is_refused() -> None:
    with pytest.raises(ConversionFailed, match="không chuyển được"):
        docx_to_pdf(b"PK\x03\x04 not really a docx")
