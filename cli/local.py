"""Commands for a machine of one's own: ``dev`` (the local Temporal server with its UI, and a
worker) and ``demo`` (one provincial decision's whole life on it, printed as it happens)."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import CliError, app, directory, run, settings, store
from cli.output import say

if TYPE_CHECKING:
    from temporalio.client import Client

    from activities.ports import DocumentStore
    from identity.signers import Signer
    from localdev.devserver import DevServer
    from models.case import CaseStatus
    from models.definition import Transition
    from settings import Settings


#: The drafting department whose people the demo plays (Sở Xây dựng tỉnh Đắk Lắk).
DEMO_AGENCY = "so-xd-daklak"


@app.command()
def dev() -> None:
    """Start the local Temporal server (SQLite under the data dir, UI), a worker, the
    officials' workspace (LEGISFLOW_WEB_PORT, 8080) and the public portal
    (LEGISFLOW_PORTAL_PORT, 8090), and print the demo accounts.

    Runs in the foreground; Ctrl-C stops them all.
    """
    from localdev.devserver import DevServer, port_open
    from logging_config import configure_logging
    from worker import check_configuration

    s = settings()
    configure_logging(s)
    check_configuration(s)
    _check_web_port(s)
    if port_open(s.temporal_address):
        raise CliError(
            f"something already listens on {s.temporal_address}; run "
            "`legisflow worker` to serve it, or stop it first"
        )
    server = DevServer(s.data_dir, address=s.temporal_address, ui_port=s.ui_port)
    server.start()
    say(
        f"Temporal dev server: {s.temporal_address}  UI: {s.ui_url}  "
        f"data: {s.data_dir / 'temporal.sqlite'}"
    )
    password = _demo_accounts(s)
    # The demo's CA (made once, kept under the data dir): its root is pinned in the cases
    # started here, and the demo keys sign (the workspace's "Ký bằng khóa thử nghiệm",
    # `legisflow sign`).
    from signatures.demo_signers import DemoSigners

    signers = DemoSigners.under(s.demo_ca_dir, directory(s), make_token=True)
    keys = "token SoftHSM2" if signers.token else "key files"
    say(f"Ký số thử nghiệm / demo signing: CA root {s.demo_ca_dir / 'root.pem'}, keys on {keys}")

    try:
        run(_serve(s, server, password))
    finally:
        server.stop()
        say("Stopped the worker, the workspace and the dev server.")


def _check_web_port(s: Settings) -> None:
    from localdev.devserver import port_open

    for host, port, what, variable in (
        (s.web_host, s.web_port, "the workspace's port", "LEGISFLOW_WEB_PORT"),
        (s.portal_host, s.portal_port, "the public portal's port", "LEGISFLOW_PORTAL_PORT"),
    ):
        if port_open(f"{host}:{port}"):
            raise CliError(
                f"something already listens on {host}:{port} ({what}); stop it or set {variable}"
            )


async def _serve(s: Settings, server: DevServer, password: str) -> None:
    """A worker, the officials' workspace and the public portal on the dev server, until
    SIGINT or SIGTERM."""
    from portal.app import create_portal
    from web.serving import serving
    from worker import build_worker, serve_until_signalled

    client = await _connect_when_ready(s, server)
    with ThreadPoolExecutor(max_workers=16) as ex:
        async with (
            serving(s, s.web_host, s.web_port) as url,
            serving(
                s, s.portal_host, s.portal_port, create_portal, s.portal_trusted_proxies
            ) as portal_url,
        ):
            say(("Không gian làm việc / workspace: ", "bold"), (url, "bold"))
            say(("Cổng góp ý công khai / public portal: ", "bold"), (portal_url, "bold"))
            for line in _who_to_sign_in_as(s, password):
                say(line)
            say("Worker running. Ctrl-C to stop.")
            await serve_until_signalled(build_worker(client, s, ex))


def _who_to_sign_in_as(s: Settings, password: str) -> list[str]:
    """The demo's people by the part they play in a provincial decision, to sign in as."""
    from models.registry import DEFAULT_REGIME, load_registry

    definition = load_registry().get("qd_ubnd_tinh", DEFAULT_REGIME)
    holders = directory(s).assign_roles(definition, DEMO_AGENCY)
    lines = [f"  Đăng nhập / sign in (mật khẩu / password: {password}) as:"]
    for role_id, people in holders.items():
        if people and role_id != definition.operator_role:
            lines.append(f"    {people[0].id:<18} {definition.roles[role_id].label}")
    return lines


def _demo_accounts(s: Settings) -> str:
    """The directory's demo accounts (made once), and how to sign in; the demo password."""
    from identity.local import LocalSignIn

    local = LocalSignIn(s)
    password, made_here = local.demo_password()
    made = local.ensure_demo_accounts(directory(s), password)
    where = (
        f"password {password}"
        if made_here
        else "password from LEGISFLOW_DEMO_PASSWORD"
        if s.demo_password is not None
        else f"password in {s.identity_dir / 'demo-password'}"
    )
    say(
        f"Tài khoản demo / demo accounts: every person of the directory ({len(made)} new), "
        f"{where}; sign in with `legisflow login --user nguyen.van.an`"
    )
    return password


async def _connect_when_ready(
    s: Settings, server: DevServer | None, timeout: float = 60.0, signer: Signer | None = None
) -> Client:
    """Connect with the settings (TLS, namespace, metrics) once ``server``, if this process
    started one, serves."""
    import asyncio

    from client.connection import connect

    if server is not None:
        await server.wait_until_serving(timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await connect(s, signer)
        except RuntimeError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


@app.command()
def demo(
    day: Annotated[float, typer.Option(help="Seconds per legal day for the demo")] = 1.0,
    keep: Annotated[
        bool | None,
        typer.Option(
            "--keep/--no-keep", help="Keep the server running afterwards (default: on a terminal)"
        ),
    ] = None,
) -> None:
    """Run one Quyết định of a provincial People's Committee from draft to entry into force."""
    import logging

    from localdev.devserver import DevServer, port_open
    from settings import MIN_LEGAL_DAY_SECONDS

    if not MIN_LEGAL_DAY_SECONDS <= day <= 86400:
        raise CliError(f"--day: give {MIN_LEGAL_DAY_SECONDS} to 86400 seconds per legal day")
    s = settings().model_copy(update={"legal_day_seconds": day})
    logging.basicConfig(level=logging.WARNING)
    keep = keep if keep is not None else sys.stdin.isatty()
    if keep:
        _check_web_port(s)
    server = None
    if not port_open(s.temporal_address):
        say(
            f"Starting the Temporal dev server on {s.temporal_address} "
            f"(UI {s.ui_url}, data {s.data_dir})…"
        )
        server = DevServer(s.data_dir, address=s.temporal_address, ui_port=s.ui_port)
        server.start()
    else:
        say(f"Using the Temporal server already at {s.temporal_address}.")
    try:
        case_id, run_id = run(_demo(s, server))
        say("\n", ("Done.", "bold green"), " Workflow id: ", (case_id, "bold"))
        say(
            f"Temporal UI: {s.ui_url}/namespaces/{s.namespace}/workflows/"
            f"{case_id.replace(':', '%3A')}/{run_id}/history"
        )
        say(f"Outbox: {s.outbox_dir}   Documents: {s.documents_dir}")
        say(
            f"Cổng góp ý / public portal: {s.portal_url} (with the workspace {s.workspace_url}; "
            f"served by `legisflow dev`, or here until Ctrl-C on a terminal)"
        )
        if server is not None and keep:
            say(
                "The server keeps running, with a worker and the workspace, so you can look "
                "around; Ctrl-C to stop. (`legisflow dev` reopens the same data later.)"
            )
            run(_serve(s, server, _demo_accounts(s)))
        elif server is not None:
            say("Server stopped; `legisflow dev` reopens the same data with the UI.")
    finally:
        if server is not None:
            server.stop()


DEMO_COMMENTS = [
    (
        "Nguyễn Thị Mai",
        "public",
        "Đề nghị quy định rõ trách nhiệm bảo trì đường giao thông nông thôn.",
    ),
    (
        "Trần Văn Nam",
        "Hiệp hội Vận tải",
        "Đề nghị quy định rõ trách nhiệm bảo trì đường giao thông nông thôn.",
    ),
    ("Lê Văn Tú", "public", "Cần bổ sung thời hạn phối hợp giữa Sở Xây dựng và UBND xã."),
]


async def _demo_comments(
    client: Client, documents: DocumentStore, case_id: str, s: Settings
) -> None:
    """A few citizens comment while the draft is posted (two send the same text), one of
    them through the public portal."""
    import asyncio

    from client.comments import comment, comments_summary
    from localdev.walkthrough import wait_for_status
    from models.public_consultation import CommentSubmission, SpeaksFor
    from public_records.comments import PublicComments

    # The comment ledger starts right after the decision that opens the consultation.
    await wait_for_status(client, case_id, lambda st: st.pending_effects == 0, timeout=30)
    for author, source, text in DEMO_COMMENTS:
        await comment(client, documents, case_id, author=author, text=text, source=source)
    summary = await comments_summary(client, case_id)
    say(
        (
            f"  góp ý / comments: {summary.submissions} received, {summary.distinct} "
            f"distinct ({summary.duplicates} duplicate); the drafter will answer each",
            "dim",
        )
    )
    # Open: the case opened the portal's intake with the ledger (no effect is pending).
    records = PublicComments.at(s.database)
    receipt = await asyncio.to_thread(
        records.submit,
        CommentSubmission(
            case_id=case_id, article=2, speaks_for=SpeaksFor.BUSINESS, name="Phạm Văn Hùng",
            contact="hung@example.vn", text="Đề nghị Điều 2 nêu rõ thời hạn bàn giao đường.",
        ),
    )  # fmt: skip
    say(
        (
            f"  góp ý qua cổng / via the public portal: {receipt.tracking_code} — "
            f"{s.portal_url}/tra-cuu?ma={receipt.tracking_code}",
            "dim",
        )
    )


async def _show_signature(
    client: Client, documents: DocumentStore, case_id: str, s: Settings
) -> None:
    """Where the signed decision is, and how to check its signature."""
    from client.cases import status

    for signed in (await status(client, case_id)).signatures:
        if signed.approval or signed.document_sha256 is None:
            say(f"Phê duyệt ký số / signed approval: {signed.action} by {signed.signer.name}")
            continue
        path = s.data_dir / "signatures" / f"{case_id.replace(':', '-')}-{signed.action}.pdf"
        path.write_bytes(documents.get_blob(signed.document_sha256))
        say(f"Ký số / signed by {signed.signer.name}, certificate {signed.signer.serial}")
        say(("  legisflow verify " + str(path), "dim"))


async def _demo(s: Settings, server: DevServer | None) -> tuple[str, str]:
    from client.cases import start_case
    from identity.local import LocalSignIn
    from localdev.walkthrough import walk
    from models.registry import DEFAULT_REGIME, load_registry
    from models.starting import StartRequest
    from public_records.comments import PublicComments
    from signatures.certificates import pem
    from signatures.demo_signers import DemoSigners
    from worker import build_worker

    definition = load_registry().get("qd_ubnd_tinh", DEFAULT_REGIME)
    # Each person the demo plays signs in, with the demo password, when they first act.
    desk = LocalSignIn(s).demo_desk(_demo_accounts(s))
    # The signer signs for real, with a key and certificate from the demo's own CA, whose
    # root the case pins; the keys are on a SoftHSM2 token when Debian's softhsm2 is here.
    signers = DemoSigners.under(s.demo_ca_dir, directory(s), make_token=True)
    client = await _connect_when_ready(s, server, signer=desk)
    documents = store(s)
    with ThreadPoolExecutor(max_workers=16) as ex:
        async with build_worker(client, s, ex):
            handle = await start_case(
                client,
                directory(s),
                StartRequest(
                    definition=definition,
                    title="Quy định phân cấp quản lý đường bộ trên địa bàn tỉnh Đắk Lắk",
                    starter="nguyen.van.an",
                    slug=f"demo-{int(time.time())}",
                    legal_day_seconds=s.legal_day_seconds,
                    signature_roots=(pem(signers.ca.root).decode(),),
                    affected_groups=("Ủy ban nhân dân cấp xã", "Doanh nghiệp vận tải"),
                    plain_summary="Phân cấp cho xã quản lý, bảo trì đường giao thông nông thôn.",
                ),
                task_queue=s.task_queue,
            )
            say(
                "Started case ",
                (handle.id, "bold"),
                f" ({definition.name}, {definition.regime}); one legal day = "
                f"{s.legal_day_seconds:g}s",
            )
            say((f"  {definition.stages[definition.initial].label}", "dim"))

            async def step(t: Transition, st: CaseStatus) -> None:
                who = "tự động / automatic" if t.automatic else t.role
                say(
                    f"  {t.action:<26} → ",
                    (st.stage_label, "bold"),
                    f" ({st.stage_label_en}) ",
                    (f"by {who}, legal date {st.legal_today}", "dim"),
                )
                for dl in st.deadlines[:1]:
                    if not st.final:
                        say((f"  {dl.kind}: {dl.due_legal_date} — {dl.explanation}", "dim"))
                if definition.stages[t.dest].comments:
                    await _demo_comments(client, documents, handle.id, s)
                for c in st.consultations if definition.stages[t.dest].consults else []:
                    say((f"  lấy ý kiến / consulted: {c.label}, due {c.due_legal_date}", "dim"))

            await walk(
                client,
                handle.id,
                definition,
                documents,
                on_step=step,
                timeout=max(120.0, 60 * s.legal_day_seconds),
                signing=signers,
                records=PublicComments.at(s.database),
            )
            result = await handle.result()
            say("\nPhiên bản văn bản / document versions:")
            for v in result.documents:
                say(f"  {v.version:>2}. {v.document.name:<44} {v.label}")
            await _show_signature(client, documents, handle.id, s)
            return handle.id, handle.result_run_id or ""
