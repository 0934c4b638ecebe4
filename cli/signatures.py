"""Digital signatures (chữ ký số): ``verify`` prints what a signed PDF's signature says and
whether it holds against the roots pinned for the deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import CliError, app, run, settings
from cli.output import out


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="A signed PDF")],
    roots: Annotated[
        Path | None,
        typer.Option(
            "--roots",
            help="PEM bundle of trusted roots (default: LEGISFLOW_SIGNATURE_ROOTS_FILE, else "
            "the demo CA's root under the data dir)",
        ),
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="The person id who must have signed it")
    ] = None,
) -> None:
    """Kiểm tra chữ ký số / check the digital signature of a PDF: signer, organisation, time,
    certificate, and every reason it does not hold (exit 1 then)."""
    from signatures.pdf import verify_pdf
    from signatures.trust import NoTrustedRoots, load_roots

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(
            f"{file}: không đọc được tệp / cannot read the file: {exc.strerror}"
        ) from None
    try:
        trusted = load_roots(roots or settings().signature_roots_path)
    except NoTrustedRoots as exc:
        raise CliError(f"{exc}; give --roots or set LEGISFLOW_SIGNATURE_ROOTS_FILE") from None
    report = run(verify_pdf(data, trusted, person=person))
    for text in report.lines():
        out.print(text, markup=False, highlight=False)
    if not report.valid:
        raise typer.Exit(1)
