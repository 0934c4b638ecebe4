"""`legisflow sign` with a key held on a real PKCS#11 token (SoftHSM2): the signer's key
never leaves the token; the command signs the case's text and submits it, and the case
accepts the signature as the signer's. A wrong PIN is a clear error and nothing is sent.
Also `legisflow sign` with the demo key in a dev data dir."""

from __future__ import annotations

from pathlib import Path

from client.cases import status
from models.actors import Directory
from models.registry import Registry
from signatures.demo_signers import DemoSigners
from tests.conftest import Harness
from tests.signing import pinning_case
from tests.softhsm import softhsm_token
from tests.workflows.after_issuance import SIGNER, quiet_length
from tests.workflows.cli_harness import as_person, legisflow


async def test_a_key_on_a_token_signs_through_the_cli(
    cli_env: dict[str, str],
    harness: Harness,
    registry: Registry,
    directory: Directory,
    tmp_path: Path,
) -> None:
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case = await pinning_case(harness, registry, directory, signers, "ky-token")
    issued = signers.ca.issue(SIGNER, "Bùi Văn Khoa", "Ủy ban nhân dân tỉnh Đắk Lắk")
    token = softhsm_token(tmp_path / "hsm", "legisflow-test", issued, SIGNER)
    env = {**as_person(cli_env, SIGNER), **token.env}
    args = ("sign", case, "--pkcs11-lib", str(token.lib), "--token-label", token.label)

    before = await quiet_length(harness.client, case)
    wrong = await legisflow({**env, "LEGISFLOW_TOKEN_PIN": "000000"}, *args, "--no-interest")
    assert wrong.code == 1
    assert "không mở được token 'legisflow-test'" in wrong.stderr
    assert await quiet_length(harness.client, case) == before

    signed = await legisflow({**env, "LEGISFLOW_TOKEN_PIN": token.pin}, *args, "--no-interest")
    assert signed.code == 0, signed.stderr
    assert "Đã ký số / signed; signing → gazette_submission" in signed.stdout
    [accepted] = [s for s in (await status(harness.client, case)).signatures if not s.approval]
    assert accepted.signer.person == SIGNER
    assert accepted.signer.serial == f"{issued.certificate.serial_number:X}"


async def test_the_demo_key_signs_in_a_dev_data_dir_only(
    cli_env: dict[str, str],
    harness: Harness,
    registry: Registry,
    directory: Directory,
) -> None:
    # The data dir's own demo CA, as `legisflow demo` makes it.
    signers = DemoSigners.under(harness.settings.demo_ca_dir, directory)
    case = await pinning_case(harness, registry, directory, signers, "ky-demo")
    env = as_person(cli_env, SIGNER)
    pinned = await legisflow(
        {**env, "LEGISFLOW_SIGNATURE_ROOTS_FILE": str(harness.settings.demo_ca_dir / "root.pem")},
        "sign", case, "--no-interest",
    )  # fmt: skip
    assert pinned.code == 1
    assert "--pkcs11-lib PATH --token-label LABEL" in pinned.stderr
    signed = await legisflow(env, "sign", case, "--no-interest")
    assert signed.code == 0, signed.stderr
    [accepted] = [s for s in (await status(harness.client, case)).signatures if not s.approval]
    assert accepted.signer.issuer.startswith("CA phục vụ cơ quan Đảng")


async def test_a_signed_approval_from_a_token_through_the_cli(
    cli_env: dict[str, str],
    harness: Harness,
    registry: Registry,
    directory: Directory,
    tmp_path: Path,
) -> None:
    """The Director of Justice issues the appraisal report with his signed approval, his
    key on his token: `legisflow sign CASE --action issue_appraisal_report`."""
    signers = DemoSigners.under(tmp_path / "demo-ca", directory)
    case_id = await pinning_case(
        harness,
        registry,
        directory,
        signers,
        "phe-duyet-token",
        target="appraisal_signoff",
        title="Quy định thử phê duyệt ký số",
    )
    st = await status(harness.client, case_id)
    head = next(a for a in st.allowed if a.action == "issue_appraisal_report").actors[0]
    person = directory.person(head)
    issued = signers.ca.issue(head, person.name, directory.agency(person.agency).name)
    token = softhsm_token(tmp_path / "hsm", "giam-doc-stp", issued, head)
    env = {**as_person(cli_env, head), **token.env, "LEGISFLOW_TOKEN_PIN": token.pin}
    run = await legisflow(
        env, "sign", case_id, "--action", "issue_appraisal_report",
        "--pkcs11-lib", str(token.lib), "--token-label", token.label, "--no-interest",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert "Đã phê duyệt có ký số / approved with your signature" in run.stdout
    [approved] = (await status(harness.client, case_id)).signatures
    assert (approved.approval, approved.signer.person) == (True, head)
