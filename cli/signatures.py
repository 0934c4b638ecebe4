"""Digital signatures (chữ ký số): ``verify`` prints what a signed PDF's signature says and
whether it holds against the roots pinned for the deployment; ``sign`` signs a case's text
(with a PKCS#11 token, or a demo key) and submits it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    CliError,
    NoInterest,
    app,
    connect,
    directory,
    run,
    settings,
    signed_in,
    store,
)
from cli.output import out, say

if TYPE_CHECKING:
    from settings import Settings
    from signatures.demo_signers import DemoSigners


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
    known: tuple[str, ...] = ()
    if person is not None:
        try:
            known = directory(settings()).person(person).certificates
        except KeyError:
            raise CliError(
                f"--person {person}: không có trong danh bạ / not in the directory"
            ) from None
    report = run(verify_pdf(data, trusted, person=person, known=known))
    for text in report.lines():
        out.print(text, markup=False, highlight=False)
    if not report.valid:
        raise typer.Exit(1)


@app.command()
def sign(
    case: Annotated[str, typer.Argument(help="Case id")],
    file: Annotated[
        Path | None,
        typer.Option(help="The PDF to sign (default: the case's latest text, as a PDF)"),
    ] = None,
    pkcs11_lib: Annotated[
        Path | None, typer.Option("--pkcs11-lib", help="The token's PKCS#11 module")
    ] = None,
    token_label: Annotated[
        str | None, typer.Option("--token-label", help="The token's label")
    ] = None,
    key_label: Annotated[
        str | None, typer.Option("--key-label", help="The key's label (default: its only key)")
    ] = None,
    action: Annotated[str, typer.Option(help="The signing action")] = "sign",
    note: Annotated[str | None, typer.Option(help="Note for the audit trail")] = None,
    on_behalf_of: Annotated[str | None, typer.Option(help="KT.: signing for whom")] = None,
    no_interest: NoInterest = False,
) -> None:
    """Ký số / sign with your key and submit: the case's text for a signing step, or the
    decision itself where the step asks a signed approval (--action). With a token
    (--pkcs11-lib, --token-label; the PIN from LEGISFLOW_TOKEN_PIN or asked), or, in a dev
    or demo data dir without pinned roots, with your demo key."""
    import os

    from client.cases import act, status
    from client.signing import act_with_signed, case_roots, text_to_sign
    from models.case import ActionRequest
    from models.signature_evidence import approval_statement
    from signatures.demo_signers import demo_signing

    s = settings()
    me = signed_in(s)
    person = me.session.person
    request = ActionRequest(
        action=action, actor=person, note=note, on_behalf_of=on_behalf_of,
        declare_no_interest=no_interest,
    )  # fmt: skip
    if (pkcs11_lib is None) != (token_label is None):
        raise CliError("--pkcs11-lib and --token-label go together")
    if pkcs11_lib is None and not demo_signing(s):
        raise CliError(
            "ký bằng token của anh/chị / sign with your token: --pkcs11-lib PATH --token-label "
            "LABEL (demo keys are for dev and demo data dirs only)"
        )
    pin = None
    if pkcs11_lib is not None:
        pin = os.environ.get("LEGISFLOW_TOKEN_PIN") or typer.prompt("PIN", hide_input=True)

    async def go() -> None:
        documents = store(s)
        client = await connect(s, me)
        st = await status(client, case)
        may = next((a for a in st.allowed if a.action == action and person in a.actors), None)
        if may is not None and may.requires_approval and not may.requires_document:
            # A decision without a document: the person signs its statement.
            statement = approval_statement(case, action, person, None)
            if pkcs11_lib is not None:
                from signatures.token import TokenError, TokenKey, approve_with_token

                key = TokenKey(pkcs11_lib, token_label or "", pin or "", key_label)
                try:
                    approval = await approve_with_token(statement, key)
                except TokenError as exc:
                    raise CliError(str(exc)) from None
            else:
                approval = await _demo_signers(s).approve(person, statement)
            result = await act(client, case, request.model_copy(update={"approval": approval}))
            say(f"Đã phê duyệt có ký số / approved with your signature; {result.from_stage} → ",
                (result.stage, "bold"), f" ({result.stage_label})")  # fmt: skip
            return
        if file is not None:
            try:
                pdf = file.read_bytes()
            except OSError as exc:
                raise CliError(f"{file}: cannot read: {exc.strerror}") from None
        else:
            pdf = await text_to_sign(documents, st)
        if pkcs11_lib is not None:
            from signatures.token import TokenError, TokenKey, sign_with_token

            key = TokenKey(pkcs11_lib, token_label or "", pin or "", key_label)
            try:
                signed = await sign_with_token(pdf, key, reason=note)
            except TokenError as exc:
                raise CliError(str(exc)) from None
        else:
            signed = await _demo_signers(s).sign(person, pdf, reason=note)
        name = f"{case.split(':')[-1]}-{action}.pdf"
        roots = await case_roots(client, case)
        known = directory(s).person(person).certificates
        result = await act_with_signed(client, documents, case, request, signed, name, roots, known)
        say(f"Đã ký số / signed; {result.from_stage} → ", (result.stage, "bold"),
            f" ({result.stage_label})")  # fmt: skip

    run(go())


def _demo_signers(s: Settings) -> DemoSigners:
    from signatures.demo_signers import DemoSigners

    return DemoSigners.under(s.demo_ca_dir, directory(s))
