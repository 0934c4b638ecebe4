"""Who may sign for whom (ký thay, KT.), without a server: only a role the procedure marks
delegable, only by its holder, only to a deputy of the same agency, for a bounded period;
and the rules accept the deputy's decision only while the delegation is in force."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.actors import ActorRef, Directory, load_directory
from models.definition import ProcessDefinition
from models.delegation import (
    Delegation,
    DelegationForm,
    DelegationRefused,
    DelegationRequest,
    acting_for,
    plan_delegation,
)
from models.legal_time import LegalClock
from models.registry import load_registry

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, 03/12/2026
CLOCK = LegalClock(origin=NOW)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory()


def ref(directory: Directory, person: str) -> ActorRef:
    return directory.person(person).ref()


def request(directory: Directory, **change: object) -> DelegationRequest:
    fields: dict[str, object] = {
        "actor": "bui.van.khoa",
        "role": "signer",
        "deputy": ref(directory, "phan.van.duc"),
        "until": date(2026, 12, 5),
        "reason": "Đi công tác",
    }
    return DelegationRequest.model_validate(fields | change)


def plan(directory: Directory, req: DelegationRequest) -> Delegation:
    d = load_registry().get("qd_ubnd_tinh")
    return plan_delegation(d, directory.assign_roles(d, "so-xd-daklak"), req, CLOCK, NOW)


def test_the_delegation_runs_to_the_end_of_its_last_legal_day(directory: Directory) -> None:
    d = plan(directory, request(directory))
    assert d.ends == datetime(2026, 12, 5, 16, 59, 59, 999999, tzinfo=UTC)  # 23:59:59 UTC+7
    assert acting_for([d], "signer", "phan.van.duc", "bui.van.khoa", d.ends) is d
    after = d.ends + timedelta(microseconds=1)
    assert acting_for([d], "signer", "phan.van.duc", "bui.van.khoa", after) is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"role": "drafter", "actor": "nguyen.van.an"}, "not_delegable"),
        ({"actor": "do.van.hai"}, "wrong_role"),
        ({"deputy": "bui.van.khoa"}, "same_person"),
        ({"deputy": "ngo.thi.lan"}, "other_agency"),
        ({"until": date(2026, 12, 2)}, "bad_period"),
        ({"until": date(2028, 1, 1)}, "bad_period"),
    ],
)
def test_what_cannot_be_delegated(
    directory: Directory, change: dict[str, object], code: str
) -> None:
    if isinstance(change.get("deputy"), str):
        change = change | {"deputy": ref(directory, str(change["deputy"]))}
    with pytest.raises(DelegationRefused) as refused:
        plan(directory, request(directory, **change))
    assert refused.value.code == code


def by_order_definition(role: str) -> ProcessDefinition:
    """qd_ubnd_tinh with ``role`` marked ``by_order`` (no shipped procedure marks one)."""
    d = load_registry().get("qd_ubnd_tinh")
    marked = d.roles[role].model_copy(update={"by_order": True})
    return d.model_copy(update={"roles": {**d.roles, role: marked}})


def test_thua_lenh_only_where_the_procedure_allows_it(directory: Directory) -> None:
    """TL. (a unit head signs by the head's order) is refused on the Chủ tịch's signature of
    a legal normative document, and accepted for a role the procedure marks ``by_order``."""
    tl = DelegationForm.TL
    with pytest.raises(DelegationRefused) as refused:
        plan(directory, request(directory, form=tl))
    assert refused.value.code == "not_by_order"

    d = by_order_definition("signer")
    req = request(directory, form=tl, deputy=ref(directory, "do.van.hai"))
    done = plan_delegation(d, directory.assign_roles(d, "so-xd-daklak"), req, CLOCK, NOW)
    assert done.form is tl
    assert done.signed_as() == (
        "TL. Chủ tịch Ủy ban nhân dân tỉnh: Đỗ Văn Hải ký thừa lệnh Bùi Văn Khoa"
    )
    assert acting_for([done], "signer", "do.van.hai", "bui.van.khoa", NOW) is done
    # Marked by_order only, a role may not be delegated KT.
    drafting = by_order_definition("drafting_head")
    kt = request(directory, actor="tran.van.cuong", role="drafting_head",
                 deputy=ref(directory, "le.thi.binh"))  # fmt: skip
    with pytest.raises(DelegationRefused) as not_kt:
        plan_delegation(drafting, directory.assign_roles(drafting, "so-xd-daklak"), kt, CLOCK, NOW)
    assert not_kt.value.code == "not_delegable"
    tl_req = kt.model_copy(update={"form": tl})
    plan_delegation(drafting, directory.assign_roles(drafting, "so-xd-daklak"), tl_req, CLOCK, NOW)
