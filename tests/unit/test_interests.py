"""Declarations of interest and reassignment, without a server: what a declaration must say,
which declarations a case refuses, who takes a recused sole holder's task, who may reassign an
absent person's, and how the rules treat an undeclared or recused person."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from models.actors import ActorRef, Directory, load_directory, superiors_of
from models.case import ActionRequest
from models.documents import DocumentRef
from models.interests import (
    Declaration,
    InterestDeclaration,
    InterestRefused,
    ReassignRequest,
    check_declaration,
    check_reassignment,
    handed_over,
    successors,
)
from models.machine import ProcessMachine
from models.registry import load_registry
from models.rules import ActionRefused, RuleContext, check_action, eligible_actors

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
DEF = load_registry().get("qd_ubnd_tinh")


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory()


def ref(directory: Directory, person: str) -> ActorRef:
    return directory.person(person).ref()


def declared(person: str, interest: str | None = None) -> Declaration:
    return Declaration(
        person=person,
        has_interest=interest is not None,
        detail=interest,
        at=NOW,
        legal_date=date(2026, 12, 3),
    )


def test_an_interest_must_say_what_it_is() -> None:
    with pytest.raises(ValidationError, match="say what the interest is"):
        InterestDeclaration(actor="nguyen.van.an", has_interest=True)
    with pytest.raises(ValidationError):
        InterestDeclaration(actor="nguyen.van.an", has_interest=True, detail="  x ")
    InterestDeclaration(actor="nguyen.van.an", has_interest=False)


@pytest.mark.parametrize(
    ("earlier", "actor", "interest", "code"),
    [
        ([], "ngo.thi.lan-not-here", None, "not_involved"),
        ([declared("nguyen.van.an", "Cổ đông")], "nguyen.van.an", None, "already_recused"),
        ([declared("nguyen.van.an", "Cổ đông")], "nguyen.van.an", "Khác nữa", "already_recused"),
        ([declared("nguyen.van.an")], "nguyen.van.an", None, "already_declared"),
        ([declared("nguyen.van.an")], "nguyen.van.an", "Mới phát sinh", None),
        ([], "nguyen.van.an", None, None),
    ],
)
def test_which_declarations_a_case_takes(
    directory: Directory,
    earlier: list[Declaration],
    actor: str,
    interest: str | None,
    code: str | None,
) -> None:
    deciders = deciders_of(directory)
    req = InterestDeclaration(actor=actor, has_interest=interest is not None, detail=interest)
    if code is None:
        check_declaration(earlier, deciders, req)
        return
    with pytest.raises(InterestRefused) as refused:
        check_declaration(earlier, deciders, req)
    assert refused.value.code == code


def deciders_of(directory: Directory) -> set[str]:
    return {a.id for people in directory.assign_roles(DEF, "so-xd-daklak").values() for a in people}


def test_only_who_may_decide_declares(directory: Directory) -> None:
    req = InterestDeclaration(actor="phan.van.duc", has_interest=False)
    with pytest.raises(InterestRefused):
        check_declaration([], deciders_of(directory), req)
    check_declaration([], deciders_of(directory) | {"phan.van.duc"}, req)


def test_a_sole_holders_task_passes_to_their_superior_and_a_shared_one_stays(
    directory: Directory,
) -> None:
    assignments = directory.assign_roles(DEF, "so-xd-daklak")
    superiors = superiors_of(directory, assignments)
    assert superiors["vu.thi.giang"].id == "do.van.hai"
    assert "bui.van.khoa" not in superiors  # the Chủ tịch has none in the directory

    office = [declared("vu.thi.giang", "Người nhà là nhà thầu")]
    assert {r: a and a.id for r, a in successors(assignments, office, superiors, "vu.thi.giang")
            .items()} == {"committee_office": "do.van.hai"}  # fmt: skip
    drafter = [declared("nguyen.van.an", "Cổ đông")]
    assert successors(assignments, drafter, superiors, "nguyen.van.an") == {}
    chair = [declared("bui.van.khoa", "Cổ đông")]
    assert successors(assignments, chair, superiors, "bui.van.khoa") == {"signer": None}

    moved = handed_over(assignments, ["committee_office"], superiors["vu.thi.giang"])
    assert [a.id for a in moved["committee_office"]] == ["vu.thi.giang", "do.van.hai"]
    assert [a.id for a in assignments["committee_office"]] == ["vu.thi.giang"]  # a copy


@pytest.mark.parametrize(
    ("actor", "to", "role", "code"),
    [
        ("nguyen.van.an", "phan.van.duc", None, "not_superior"),
        ("do.van.hai", "phan.van.duc", "signer", "nothing_to_reassign"),
        ("do.van.hai", "vu.thi.giang", None, "same_person"),
        ("do.van.hai", "nguyen.van.an", None, "other_agency"),
        ("do.van.hai", "phan.van.duc", None, None),
        ("ops.oncall", "phan.van.duc", "committee_office", None),
    ],
)
def test_who_may_reassign_an_absent_persons_tasks(
    directory: Directory, actor: str, to: str, role: str | None, code: str | None
) -> None:
    assignments = directory.assign_roles(DEF, "so-xd-daklak")
    superiors = superiors_of(directory, assignments)
    req = ReassignRequest(
        actor=actor, person="vu.thi.giang", to=ref(directory, to), role=role, reason="Nghỉ ốm"
    )
    if code is None:
        assert check_reassignment(assignments, superiors, ["ops.oncall"], req) == [
            "committee_office"
        ]
        return
    with pytest.raises(InterestRefused) as refused:
        check_reassignment(assignments, superiors, ["ops.oncall"], req)
    assert refused.value.code == code


def context(directory: Directory, declarations: list[Declaration]) -> RuleContext:
    return RuleContext(
        machine=ProcessMachine(DEF),
        stage=DEF.initial,
        entered_by="nguyen.van.an",
        assignments=directory.assign_roles(DEF, "so-xd-daklak"),
        deadline=None,
        now=NOW,
        declarations=declarations,
        declaration_required=True,
    )


def test_the_rules_ask_for_a_declaration_and_refuse_a_recused_person(
    directory: Directory,
) -> None:
    t = next(t for t in DEF.transitions_from(DEF.initial, False) if t.role == "drafter")
    doc = DocumentRef(sha256="0" * 64, name="d.md", size=1) if t.requires_document else None
    ask = ActionRequest(action=t.action, actor="le.thi.binh", document=doc)
    with pytest.raises(ActionRefused) as undeclared:
        check_action(context(directory, []), ask)
    assert undeclared.value.code == "interest_not_declared"
    assert check_action(context(directory, []), ask.model_copy(
        update={"declare_no_interest": True})) is t  # fmt: skip
    assert check_action(context(directory, [declared("le.thi.binh")]), ask) is t

    recused = context(directory, [declared("le.thi.binh", "Cổ đông")])
    with pytest.raises(ActionRefused) as stands:
        check_action(recused, ask.model_copy(update={"declare_no_interest": True}))
    assert stands.value.code == "recused"
    assert "le.thi.binh" not in eligible_actors(recused, t)
    assert "le.thi.binh" in eligible_actors(context(directory, []), t)

    # An action refused for another reason says that reason, not "declare first".
    with pytest.raises(ActionRefused) as wrong:
        check_action(context(directory, []), ask.model_copy(update={"actor": "bui.van.khoa"}))
    assert wrong.value.code == "wrong_role"


def test_the_directory_refuses_an_unknown_superior(directory: Directory) -> None:
    person = directory.people[0].model_copy(update={"superior": "nobody.at.all"})
    with pytest.raises(ValidationError, match="superior: unknown person"):
        Directory(agencies=directory.agencies, people=(person, *directory.people[1:]))
