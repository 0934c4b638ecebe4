"""The workspace's sign-ins under way (``web/oidc_pages.py``): each answer is taken once,
none after its time, the oldest dropped past the limit; no provider, no OIDC sign-in."""

from __future__ import annotations

from pydantic import SecretStr

from identity.oidc import Pending
from settings import Settings
from web.oidc_pages import RETURN, PendingSignIns, oidc_client


def pending(state: str) -> Pending:
    return Pending(url=f"https://idp/auth?state={state}", state=state, nonce="n", verifier="v")


def test_an_answer_is_taken_once() -> None:
    sign_ins = PendingSignIns()
    sign_ins.add(pending("a"))
    assert sign_ins.take("a") == pending("a")
    assert sign_ins.take("a") is None
    assert sign_ins.take("never-started") is None


def test_an_answer_too_late_is_refused() -> None:
    sign_ins = PendingSignIns(seconds=-1)  # already past its time
    sign_ins.add(pending("a"))
    assert sign_ins.take("a") is None


def test_the_oldest_sign_ins_are_dropped_past_the_limit() -> None:
    sign_ins = PendingSignIns(limit=2)
    for state in "abc":
        sign_ins.add(pending(state))
    assert sign_ins.take("a") is None
    assert sign_ins.take("b") is not None
    assert sign_ins.take("c") is not None


def test_the_workspace_offers_the_provider_only_when_configured() -> None:
    assert oidc_client(Settings()) is None
    client = oidc_client(
        Settings(
            oidc_issuer="https://id.daklak.gov.vn",
            oidc_client_id="legisflow",
            oidc_client_secret=SecretStr("s"),
            web_public_url="https://legisflow.daklak.gov.vn",
        )
    )
    assert client is not None
    assert client.redirect_uri == f"https://legisflow.daklak.gov.vn{RETURN}"
