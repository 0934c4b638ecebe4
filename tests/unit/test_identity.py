"""legisflow's embedded sign-in (``identity/``): accounts with scrypt hashes in a file only
their owner can read, a failed sign-in that never says whether the account exists, sessions
that cannot be edited or outlive their day, and a signer that speaks only for its person."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from identity import sessions
from identity.accounts import WRONG_CREDENTIALS, AccountError, AccountStore, SignInRefused
from identity.local import LocalSignIn
from identity.passwords import verify_password
from identity.sessions import NotSignedIn, check_session
from identity.signers import SessionSigner
from models.case import ActionRequest
from settings import Settings

PASSWORD = "mat-khau-du-dai"


@pytest.fixture
def local(tmp_path: Path) -> LocalSignIn:
    return LocalSignIn(Settings(data_dir=tmp_path / "data"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_accounts_key_and_session_are_readable_by_their_owner_only(
    local: LocalSignIn, tmp_path: Path
) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    session = local.sign_in("nguyen.van.an", PASSWORD)
    sessions.save(tmp_path / "config" / "session.json", session)
    for path in (
        local.settings.accounts_path,
        local.settings.signing_key_path,
        tmp_path / "config" / "session.json",
    ):
        assert mode(path) == 0o600, path
        assert mode(path.parent) == 0o700, path.parent


def test_the_password_is_stored_as_a_scrypt_hash(local: LocalSignIn) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    text = local.settings.accounts_path.read_text()
    assert PASSWORD not in text
    stored = local.accounts.get("nguyen.van.an")
    assert stored is not None
    assert stored.password_hash.startswith("scrypt$")
    assert verify_password(PASSWORD, stored.password_hash)
    assert not verify_password(PASSWORD + "x", stored.password_hash)


def test_a_failed_sign_in_does_not_say_whether_the_account_exists(local: LocalSignIn) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    messages = set()
    for person, password in (("nguyen.van.an", "sai-mat-khau-roi"), ("khong.ai.ca", PASSWORD)):
        with pytest.raises(SignInRefused) as caught:
            local.sign_in(person, password)
        messages.add(str(caught.value))
    assert messages == {WRONG_CREDENTIALS}


def test_a_disabled_account_cannot_sign_in_and_a_reset_password_replaces_the_old(
    local: LocalSignIn,
) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    local.accounts.set_disabled("nguyen.van.an", True, by="admin")
    with pytest.raises(SignInRefused):
        local.sign_in("nguyen.van.an", PASSWORD)
    local.accounts.set_disabled("nguyen.van.an", False, by="admin")
    local.accounts.reset("nguyen.van.an", "mot-mat-khau-moi", by="admin")
    with pytest.raises(SignInRefused):
        local.sign_in("nguyen.van.an", PASSWORD)
    assert local.sign_in("nguyen.van.an", "mot-mat-khau-moi").person == "nguyen.van.an"
    assert [e.what for e in local.accounts.events()] == [
        "created (person)",
        "disabled",
        "enabled",
        "password reset",
    ]


def test_short_passwords_and_second_accounts_are_refused(local: LocalSignIn) -> None:
    with pytest.raises(AccountError, match="at least 10"):
        local.accounts.create("nguyen.van.an", "ngan", by="test")
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    with pytest.raises(AccountError, match="already exists"):
        AccountStore(local.settings.accounts_path).create("nguyen.van.an", PASSWORD, by="test")


def test_an_edited_or_expired_session_is_refused(local: LocalSignIn) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    session = local.sign_in("nguyen.van.an", PASSWORD)
    edited = session.model_copy(update={"person": "tran.thi.thu"})
    with pytest.raises(NotSignedIn, match="not valid"):
        check_session(local.key, edited)
    with pytest.raises(NotSignedIn, match="expired"):
        check_session(local.key, session, now=session.expires_at + timedelta(seconds=1))


def test_a_signer_speaks_for_its_person_only(local: LocalSignIn) -> None:
    local.accounts.create("nguyen.van.an", PASSWORD, by="test")
    signer: SessionSigner = local.signer(local.sign_in("nguyen.van.an", PASSWORD))
    mine = ActionRequest(action="submit", actor="nguyen.van.an")
    assert signer.prove("c", "act", mine).person == "nguyen.van.an"
    with pytest.raises(NotSignedIn, match="nobody acts as someone else"):
        signer.prove("c", "act", ActionRequest(action="sign", actor="tran.thi.thu"))


def test_the_demo_password_is_made_once_and_kept(local: LocalSignIn) -> None:
    first, made = local.demo_password()
    again, made_again = local.demo_password()
    assert (first, made, made_again) == (again, True, False)
    assert mode(local.settings.identity_dir / "demo-password") == 0o600
