"""legisflow's own accounts (tài khoản) for the people of the directory: the embedded sign-in
of ``make demo`` and ``legisflow dev``. One JSON file under the data dir, readable by its
owner only, with scrypt hashes (``identity/passwords.py``) and a log of what the
administrator did (created, reset, disabled, enabled), each with when and by whom.

A service account (tài khoản dịch vụ) is for automation: its proofs say ``kind: service``,
so the audit trail shows that no person typed the decision.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from identity.passwords import dummy_hash, hash_password, verify_password, weak_password
from identity.private_files import private_dir, write_private

#: What a failed sign-in says, whatever failed: it never tells whether the account exists.
WRONG_CREDENTIALS = (
    "sai tài khoản hoặc mật khẩu / wrong account or password (or the account is disabled)"
)


class AccountKind(str, Enum):
    PERSON = "person"
    SERVICE = "service"


class Account(BaseModel):
    person: str
    kind: AccountKind = AccountKind.PERSON
    password_hash: str
    disabled: bool = False
    created_at: datetime
    changed_at: datetime


class AccountEvent(BaseModel):
    at: datetime
    what: str
    account: str
    by: str


class AccountFile(BaseModel):
    accounts: dict[str, Account] = Field(default_factory=dict)
    events: list[AccountEvent] = Field(default_factory=list)


class AccountError(ValueError):
    """An administrator's request that cannot be done; the message says why."""


class SignInRefused(Exception):
    """A sign-in that failed; the message is :data:`WRONG_CREDENTIALS`."""


class AccountStore:
    """The accounts file at ``path`` (one writer at a time: an advisory lock beside it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def create(
        self, person: str, password: str, *, by: str, kind: AccountKind = AccountKind.PERSON
    ) -> Account:
        _strong(password)
        now = datetime.now(UTC)
        with self._editing() as data:
            if person in data.accounts:
                raise AccountError(f"account {person!r} already exists (use `users reset`)")
            account = Account(
                person=person,
                kind=kind,
                password_hash=hash_password(password),
                created_at=now,
                changed_at=now,
            )
            data.accounts[person] = account
            data.events.append(_event(f"created ({kind.value})", person, by))
        return account

    def reset(self, person: str, password: str, *, by: str) -> None:
        _strong(password)
        with self._editing() as data:
            account = _existing(data, person)
            account.password_hash = hash_password(password)
            account.changed_at = datetime.now(UTC)
            data.events.append(_event("password reset", person, by))

    def set_disabled(self, person: str, disabled: bool, *, by: str) -> None:
        with self._editing() as data:
            account = _existing(data, person)
            account.disabled = disabled
            account.changed_at = datetime.now(UTC)
            data.events.append(_event("disabled" if disabled else "enabled", person, by))

    def accounts(self) -> list[Account]:
        return sorted(self._read().accounts.values(), key=lambda a: a.person)

    def events(self) -> list[AccountEvent]:
        return self._read().events

    def get(self, person: str) -> Account | None:
        return self._read().accounts.get(person)

    def authenticate(self, person: str, password: str) -> Account:
        """The account, when ``password`` is its password and it is enabled; otherwise
        SignInRefused with the same message and about the same time in every case."""
        account = self._read().accounts.get(person)
        stored = account.password_hash if account is not None else dummy_hash()
        ok = verify_password(password, stored)
        if account is None or not ok or account.disabled:
            raise SignInRefused(WRONG_CREDENTIALS)
        return account

    # ---- the file --------------------------------------------------------------------------

    def _read(self) -> AccountFile:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AccountFile()
        try:
            return AccountFile.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            raise AccountError(f"{self.path}: not a legisflow accounts file: {exc}") from None

    @contextmanager
    def _editing(self) -> Iterator[AccountFile]:
        lock = private_dir(self.path.parent) / f".{self.path.name}.lock"
        with open(lock, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            data = self._read()
            yield data
            write_private(self.path, data.model_dump_json(indent=1).encode())


def _existing(data: AccountFile, person: str) -> Account:
    account = data.accounts.get(person)
    if account is None:
        raise AccountError(f"no account {person!r} (see `legisflow users list`)")
    return account


def _event(what: str, person: str, by: str) -> AccountEvent:
    return AccountEvent(at=datetime.now(UTC), what=what, account=person, by=by)


def _strong(password: str) -> None:
    why = weak_password(password)
    if why:
        raise AccountError(why)
