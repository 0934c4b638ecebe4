"""A text as a one-page PDF to sign (the demo's and the walkthrough's documents), drawn with
matplotlib's PDF backend and its DejaVu Sans, which covers Vietnamese. A drafting unit's
own Word drafts are converted another way (not built yet)."""

from __future__ import annotations

import io
import textwrap

#: A4 in inches.
A4 = (8.27, 11.69)


def text_pdf(title: str, body: str) -> bytes:
    """``title`` and ``body`` on an A4 page, as PDF bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig = plt.figure(figsize=A4)
    try:
        fig.text(0.5, 0.93, title, ha="center", va="top", fontsize=13, weight="bold", wrap=True)
        lines = [w for paragraph in body.splitlines() for w in textwrap.wrap(paragraph, 85) or [""]]
        fig.text(0.08, 0.86, "\n".join(lines[:60]), ha="left", va="top", fontsize=10)
        out = io.BytesIO()
        fig.savefig(out, format="pdf", metadata={"Title": title, "Creator": "legisflow"})
    finally:
        plt.close(fig)
    return out.getvalue()
