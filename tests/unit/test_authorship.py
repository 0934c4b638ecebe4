"""A case's check of a decision's proof of authorship (``models/authorship.py``), without a
server: each way a proof can be wrong is refused with its own reason, and the one right
proof is accepted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signers import issue
from identity.signing_key import SigningKey
from models.authorship import ProofLedger, ProofRefused
from models.case import ActionRequest

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
CASE = "so-xd-daklak:quy-dinh"


@pytest.fixture
def key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate())


def signed(
    key: SigningKey, request: ActionRequest, *, case: str = CASE, update: str = "act",
    person: str | None = None, at: datetime = NOW,
) -> ActionRequest:  # fmt: skip
    session = open_session(key, person or request.actor, AccountKind.PERSON, now=at)
    return request.model_copy(update={"proof": issue(key, session, case, update, request, now=at)})


def refusal(ledger: ProofLedger, request: ActionRequest, now: datetime = NOW) -> str:
    with pytest.raises(ProofRefused) as caught:
        ledger.check(request, case_id=CASE, update="act", now=now)
    return caught.value.code


SEND = ActionRequest(action="submit", actor="nguyen.van.an", note="Trình thẩm định")


def test_the_right_proof_is_accepted_once(key: SigningKey) -> None:
    ledger = ProofLedger([key.trusted()])
    request = signed(key, SEND)
    assert ledger.check(request, case_id=CASE, update="act", now=NOW).person == "nguyen.van.an"
    ledger.record(request, NOW)
    assert refusal(ledger, request) == "proof_replayed"


def test_a_decision_without_a_proof_is_refused(key: SigningKey) -> None:
    assert refusal(ProofLedger([key.trusted()]), SEND) == "unsigned"


def test_a_case_without_trusted_keys_accepts_no_decision(key: SigningKey) -> None:
    assert refusal(ProofLedger([]), signed(key, SEND)) == "no_trusted_keys"


def test_a_proof_from_a_key_the_case_does_not_trust_is_refused(key: SigningKey) -> None:
    other = SigningKey(Ed25519PrivateKey.generate())
    assert refusal(ProofLedger([key.trusted()]), signed(other, SEND)) == "unknown_key"


def test_a_proof_signed_by_another_key_under_a_trusted_id_is_refused(key: SigningKey) -> None:
    other = SigningKey(Ed25519PrivateKey.generate())
    forged = signed(other, SEND)
    assert forged.proof is not None
    forged = forged.model_copy(
        update={"proof": forged.proof.model_copy(update={"key_id": key.key_id})}
    )
    assert refusal(ProofLedger([key.trusted()]), forged) == "bad_signature"


@pytest.mark.parametrize(
    ("case", "update", "person", "says"),
    [
        ("so-xd-daklak:another", "act", None, "case"),
        (CASE, "reply", None, "action"),
        (CASE, "act", "bui.van.khoa", "person"),
    ],
)
def test_a_proof_for_another_case_action_or_person_is_refused(
    key: SigningKey, case: str, update: str, person: str | None, says: str
) -> None:
    ledger = ProofLedger([key.trusted()])
    request = signed(key, SEND, case=case, update=update, person=person)
    with pytest.raises(ProofRefused) as caught:
        ledger.check(request, case_id=CASE, update="act", now=NOW)
    assert caught.value.code == "proof_mismatch"
    assert f"for {says}" in caught.value.message


def test_a_proof_to_send_a_draft_cannot_sign_it(key: SigningKey) -> None:
    proof = signed(key, SEND).proof
    sign = ActionRequest(action="sign", actor="nguyen.van.an", note="Trình thẩm định")
    assert refusal(ProofLedger([key.trusted()]), sign.model_copy(update={"proof": proof})) == (
        "proof_mismatch"
    )


def test_a_proof_for_another_note_is_refused(key: SigningKey) -> None:
    proof = signed(key, SEND).proof
    edited = SEND.model_copy(update={"note": "Một ghi chú khác", "proof": proof})
    assert refusal(ProofLedger([key.trusted()]), edited) == "proof_mismatch"


def test_an_expired_proof_is_refused_and_one_from_the_future_too(key: SigningKey) -> None:
    ledger = ProofLedger([key.trusted()])
    assert refusal(ledger, signed(key, SEND), NOW + timedelta(minutes=11)) == "proof_expired"
    assert refusal(ledger, signed(key, SEND, at=NOW + timedelta(hours=1))) == "proof_expired"


def test_used_proofs_are_forgotten_once_they_could_no_longer_be_used(key: SigningKey) -> None:
    ledger = ProofLedger([key.trusted()])
    first = signed(key, SEND)
    ledger.record(first, NOW)
    assert len(ledger.used) == 1
    ledger.record(signed(key, SEND, at=NOW + timedelta(hours=1)), NOW + timedelta(hours=1))
    assert len(ledger.used) == 1
