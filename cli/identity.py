"""Signing in (đăng nhập) and the accounts of legisflow's embedded sign-in: `login`, `logout`,
`whoami`, and `users …` for the administrator (whoever may write the data dir's identity
folder, which only its owner can read)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import CliError, app, connect, directory, run, settings, signed_in
from cli.output import out, say

if TYPE_CHECKING:
    from settings import Settings

users = typer.Typer(
    help="Tài khoản / legisflow's own accounts for the people of the directory (administrator).",
    no_args_is_help=True,
)
app.add_typer(users, name="users")


def _password(prompt: str, *, confirm: bool = False) -> str:
    """From the prompt on a terminal (not echoed), else the first line of standard input."""
    if sys.stdin.isatty():
        value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
        return value
    return sys.stdin.readline().rstrip("\n")


@app.command()
def login(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Your person id")] = None,
    oidc: Annotated[
        bool, typer.Option("--oidc", help="With the agency's identity provider (LEGISFLOW_OIDC_*)")
    ] = False,
) -> None:
    """Sign in: the password from the prompt, or from standard input when it is not a
    terminal; or, with --oidc, in the browser at the agency's identity provider. The session
    lasts a working day (8 hours)."""
    from identity import sessions
    from identity.accounts import AccountKind
    from identity.local import LocalSignIn
    from identity.remote import remote_sign_in

    s = settings()
    if oidc and s.sign_in_url:
        raise CliError(
            "--oidc signs in here with the key of this machine; with LEGISFLOW_SIGN_IN_URL the "
            "sign-in service holds the key: sign in with your account's password there"
        )
    if oidc:
        local = LocalSignIn(s)
        person = run(_oidc_person(s))
        session = sessions.open_session(local.key, person, AccountKind.PERSON)
    else:
        person = user or typer.prompt("Tài khoản / person id")
        password = _password("Mật khẩu / password")
        if s.sign_in_url:
            session = remote_sign_in(s.sign_in_url, person, password)
        else:
            session = LocalSignIn(s).sign_in(person, password)
    sessions.save(s.session_path, session)
    name = directory(s).person(person).name
    say(
        ("Đã đăng nhập / signed in", "bold green"),
        f" as {name} ({person}) until {session.expires_at:%H:%M %d/%m/%Y} UTC",
    )


async def _oidc_person(s: Settings) -> str:
    """The directory person the identity provider signs in, through the browser."""
    from identity.loopback import await_answer
    from identity.oidc import OidcClient

    if not (s.oidc_issuer and s.oidc_client_id and s.oidc_client_secret):
        raise CliError(
            "--oidc needs LEGISFLOW_OIDC_ISSUER, LEGISFLOW_OIDC_CLIENT_ID and "
            "LEGISFLOW_OIDC_CLIENT_SECRET"
        )
    client = OidcClient(
        issuer=s.oidc_issuer,
        client_id=s.oidc_client_id,
        client_secret=s.oidc_client_secret.get_secret_value(),
        redirect_uri=s.oidc_redirect_uri,
        person_claim=s.oidc_person_claim,
    )
    provider = await client.discover()
    pending = client.begin(provider)
    found: list[str] = []

    def ready() -> None:
        say("Mở địa chỉ này trong trình duyệt / open this address in your browser:")
        out.print(pending.url)
        sys.stdout.flush()

    async def conclude(answer: dict[str, str]) -> str:
        person = client.person(await client.finish(provider, pending, answer), directory(s))
        found.append(person.id)
        return f"Đã đăng nhập / signed in as {person.name} ({person.id})"

    await await_answer(s.oidc_redirect_uri, ready, conclude)
    return found[0]


@app.command()
def logout() -> None:
    """Sign out (the session file is removed)."""
    from identity import sessions

    s = settings()
    if sessions.forget(s.session_path):
        say("Đã đăng xuất / signed out")
    else:
        say("Chưa đăng nhập / you were not signed in")


@app.command()
def whoami() -> None:
    """Who you are signed in as, your agency and roles, and until when."""
    from cli.common import signed_in
    from identity.remote import RemoteSigner

    s = settings()
    signer = signed_in(s)
    session = signer.check() if isinstance(signer, RemoteSigner) else signer.session
    person = directory(s).person(session.person)
    agency = directory(s).agency(person.agency)
    kind = " (tài khoản dịch vụ / service account)" if session.kind.value == "service" else ""
    out.print(f"{person.name} ({person.id}){kind}")
    out.print(f"{agency.name}; roles: {', '.join(person.roles)}")
    out.print(f"until {session.expires_at:%H:%M %d/%m/%Y} UTC")


@users.command("create")
def users_create(
    person: Annotated[str, typer.Argument(help="A person id of the directory")],
    service: Annotated[
        bool, typer.Option("--service", help="An automation account (its decisions say so)")
    ] = False,
) -> None:
    """Create an account; the password from the prompt (twice) or standard input."""
    from identity.accounts import AccountKind
    from identity.local import LocalSignIn

    s = settings()
    _known(s, person)
    kind = AccountKind.SERVICE if service else AccountKind.PERSON
    LocalSignIn(s).accounts.create(
        person, _password("Mật khẩu mới / new password", confirm=True), by=_admin(), kind=kind
    )
    say(f"Đã tạo / created the {kind.value} account {person}")


@users.command("reset")
def users_reset(person: Annotated[str, typer.Argument(help="A person id")]) -> None:
    """Set a new password (from the prompt, or standard input)."""
    from identity.local import LocalSignIn

    s = settings()
    LocalSignIn(s).accounts.reset(
        person, _password("Mật khẩu mới / new password", confirm=True), by=_admin()
    )
    say(f"Đã đặt lại mật khẩu / password reset for {person}")


@users.command("disable")
def users_disable(person: Annotated[str, typer.Argument(help="A person id")]) -> None:
    """Disable an account: it can no longer sign in (sessions already open end with their
    8 hours)."""
    from identity.local import LocalSignIn

    LocalSignIn(settings()).accounts.set_disabled(person, True, by=_admin())
    say(f"Đã khóa / disabled {person}")


@users.command("enable")
def users_enable(person: Annotated[str, typer.Argument(help="A person id")]) -> None:
    from identity.local import LocalSignIn

    LocalSignIn(settings()).accounts.set_disabled(person, False, by=_admin())
    say(f"Đã mở khóa / enabled {person}")


@users.command("list")
def users_list() -> None:
    """The accounts: person, kind, enabled or not, last change."""
    from identity.local import LocalSignIn

    accounts = LocalSignIn(settings()).accounts.accounts()
    if not accounts:
        say("Chưa có tài khoản / no accounts yet (`legisflow users create PERSON`)")
    for a in accounts:
        state = "disabled" if a.disabled else "enabled"
        out.print(f"{a.person:<28} {a.kind.value:<8} {state:<9} {a.changed_at:%Y-%m-%d %H:%M}")


def _known(s: Settings, person: str) -> None:
    try:
        directory(s).person(person)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


def _admin() -> str:
    """Who did it, for the accounts' log: the operating-system user."""
    import getpass

    return f"os:{getpass.getuser()}"


@app.command("rotate-keys")
def rotate_keys_cmd(
    cases: Annotated[list[str], typer.Argument(help="Case ids")],
    new_key: Annotated[
        Path, typer.Option("--new-key", help="The sign-in service's new key (PEM, Ed25519)")
    ],
    reason: Annotated[str, typer.Option(help="Why the key changes")],
    keep_current: Annotated[
        bool, typer.Option("--keep-current", help="Trust the current key as well, for now")
    ] = False,
    monitoring: Annotated[
        bool, typer.Option("--monitoring", help="The documents' monitoring (after issuance)")
    ] = False,
    children: Annotated[
        bool,
        typer.Option(
            "--children",
            help="Also every workflow each case started that still runs (its consultation "
            "requests, its comment ledger)",
        ),
    ] = False,
) -> None:
    """Make running workflows trust the sign-in service's new key (an operator's decision,
    signed with the current key): drafting cases, consultation requests, comment ledgers,
    feedback cases and checks by their ids, or with --monitoring the documents' monitoring.
    Then point LEGISFLOW_SIGNING_KEY_FILE at the new key."""
    from client.after_issuance import rotate_monitoring_keys
    from client.cases import rotate_keys, running_children
    from identity.signing_key import load

    s = settings()
    me = signed_in(s)
    keys = [load(new_key).trusted(), *(me.trusted_keys() if keep_current else [])]

    async def go() -> None:
        client = await connect(s, me)
        for case in cases:
            rotate = rotate_monitoring_keys if monitoring else rotate_keys
            ids = await rotate(client, case, keys, operator=me.session.person, reason=reason)
            say(f"{case}: trusts {', '.join(ids)}")
            for child in await running_children(client, case) if children else []:
                ids = await rotate_keys(
                    client, child, keys, operator=me.session.person, reason=reason
                )
                say(f"  {child}: trusts {', '.join(ids)}")

    run(go())
