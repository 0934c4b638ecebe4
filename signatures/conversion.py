"""A Word draft as a PDF to sign (chuyển .docx sang PDF): headless LibreOffice from Debian
(``libreoffice-writer-nogui``), which keeps the draft's own layout — the form of Nghị định
30/2020/NĐ-CP a drafting unit set in Word — with Times New Roman's metrics from Liberation
Serif (``fonts-liberation2``, which covers Vietnamese). Each conversion gets a profile of
its own, so conversions can run side by side."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

#: A conversion that takes longer is stuck (a draft converts in about a second).
TIMEOUT_SECONDS = 120


class ConversionFailed(RuntimeError):
    """The draft could not be converted (the message says why and what to install)."""


def docx_to_pdf(content: bytes) -> bytes:
    """The PDF LibreOffice makes of a .docx."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConversionFailed(
            "cần LibreOffice để chuyển .docx sang PDF / converting .docx to PDF needs "
            "LibreOffice (Debian: apt-get install libreoffice-writer-nogui fonts-liberation2)"
        )
    with tempfile.TemporaryDirectory(prefix="legisflow-docx-") as tmp:
        folder = Path(tmp)
        source = folder / "du-thao.docx"
        source.write_bytes(content)
        try:
            subprocess.run(
                [
                    soffice, "--headless", "--norestore", "--nologo",
                    f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source),
                ],
                capture_output=True, timeout=TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ConversionFailed(
                f"LibreOffice không chuyển xong sau {TIMEOUT_SECONDS} giây / did not finish"
            ) from None
        made = folder / "du-thao.pdf"
        if not made.exists():
            raise ConversionFailed(
                "LibreOffice không chuyển được tệp .docx này / could not convert this .docx"
            )
        return made.read_bytes()
