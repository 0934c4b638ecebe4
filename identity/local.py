"""The embedded sign-in service (dịch vụ đăng nhập nội bộ): legisflow's own accounts and the
sign-in key under the data dir, for ``make demo``, ``legisflow dev`` and a deployment that
has no identity provider yet. It signs people in and makes the signers the client API uses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property

from identity.accounts import AccountStore
from identity.private_files import write_private
from identity.sessions import Session, open_session
from identity.signers import DeskSigner, SessionSigner
from identity.signing_key import SigningKey, load_or_create
from models.actors import Directory
from settings import Settings


@dataclass
class LocalSignIn:
    settings: Settings
    accounts: AccountStore = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = AccountStore(self.settings.accounts_path)

    @cached_property
    def key(self) -> SigningKey:
        return load_or_create(self.settings.signing_key_path)

    def sign_in(self, person: str, password: str) -> Session:
        """A session for ``person`` when the password is theirs (SignInRefused otherwise)."""
        account = self.accounts.authenticate(person, password)
        return open_session(self.key, account.person, account.kind)

    def signer(self, session: Session) -> SessionSigner:
        return SessionSigner(self.key, session)

    # ---- the demo's accounts --------------------------------------------------------------

    def demo_password(self) -> tuple[str, bool]:
        """The demo accounts' password and whether it was made here (to print it): from
        LEGISFLOW_DEMO_PASSWORD, else the one made on a first run, kept under the data dir."""
        if self.settings.demo_password is not None:
            return self.settings.demo_password.get_secret_value(), False
        path = self.settings.identity_dir / "demo-password"
        if path.exists():
            return path.read_text(encoding="utf-8").strip(), False
        password = secrets.token_urlsafe(12)
        write_private(path, password.encode())
        return password, True

    def ensure_demo_accounts(self, directory: Directory, password: str) -> list[str]:
        """An account for each person of the directory who has none; returns who got one."""
        made = []
        for person in directory.people:
            if self.accounts.get(person.id) is None:
                self.accounts.create(person.id, password, by="legisflow demo")
                made.append(person.id)
        return made

    def demo_desk(self, password: str) -> DeskSigner:
        """A desk where each person the demo plays signs in, with the demo password, when
        they first act."""
        return DeskSigner(self.key, sign_in=lambda person: self.sign_in(person, password))
