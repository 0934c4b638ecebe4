"""One copy of each procedure per worker (issue #21): cases decoded with the same definition
share one object and one machine, a different definition gets its own, and the shared
machine answers correctly when many threads ask at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from models import shared_definitions
from models.actors import load_directory
from models.case import CaseInput
from models.definition import ProcessDefinition
from models.registry import load_registry
from models.shared_definitions import shared_definition, shared_machine
from models.starting import StartRequest, plan_case

REGISTRY = load_registry()


def _input(doc_type: str, slug: str) -> str:
    """A case's input as it travels (JSON), as the worker decodes it."""
    opening = plan_case(
        load_directory(),
        StartRequest(
            definition=REGISTRY.get(doc_type), title=f"Quy định {slug}",
            starter="nguyen.van.an", slug=slug,
        ),
    )  # fmt: skip
    return opening.inp.model_dump_json()


def test_cases_under_one_procedure_share_its_definition_and_machine() -> None:
    a = CaseInput.model_validate_json(_input("qd_ubnd_tinh", "mot"))
    b = CaseInput.model_validate_json(_input("qd_ubnd_tinh", "hai"))
    assert a.case_id != b.case_id
    assert a.definition is b.definition
    assert shared_machine(a.definition) is shared_machine(b.definition)


def test_a_different_procedure_or_variant_has_its_own() -> None:
    base = REGISTRY.get("qd_ubnd_tinh")
    other = REGISTRY.get("nq_hdnd_tinh")
    variant = base.model_copy(update={"regime_basis": base.regime_basis + " (sửa)"})
    assert shared_definition(base) is not shared_definition(other)
    assert shared_definition(variant) is not shared_definition(base)
    assert shared_definition(variant).regime_basis.endswith("(sửa)")
    assert shared_machine(variant) is not shared_machine(base)


def test_the_shared_machine_answers_each_thread_right() -> None:
    definition = REGISTRY.get("qd_ubnd_tinh")
    machine = shared_machine(definition)
    questions = [
        (t.source, t.action, simplified)
        for t in definition.transitions
        for simplified in (False, True)
        if t.procedure.applies(simplified)
    ]
    expected = [machine.next_stage(*q) for q in questions]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):
            assert list(pool.map(lambda q: machine.next_stage(*q), questions)) == expected


def test_the_shared_copy_is_found_without_a_second_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    a = CaseInput.model_validate_json(_input("qd_ubnd_tinh", "ba"))
    digests: list[str] = []
    real = shared_definitions.digest

    def counted(definition: ProcessDefinition) -> str:
        digests.append("x")
        return real(definition)

    monkeypatch.setattr(shared_definitions, "digest", counted)
    assert shared_machine(a.definition) is shared_machine(a.definition)
    assert digests == []
    copy = a.definition.model_copy(deep=True)  # the same content, another object
    assert shared_definition(copy) is a.definition
    assert digests == ["x"]
