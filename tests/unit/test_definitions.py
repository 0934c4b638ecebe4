"""Process definitions (quy trình): the shipped files load, their legal figures are right,
and a malformed file is rejected with an error naming the file and the offending field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.definition import DeadlineKind, ProcessDefinition
from models.registry import (
    DEFAULT_REGIME,
    PROCESSES_DIR,
    DefinitionError,
    load_regime,
    load_registry,
)

REGISTRY = load_registry()
DEFINITIONS = list(REGISTRY)
SHIPPED_FILE = PROCESSES_DIR / "L2025_A87.yaml"
SHIPPED_TEXT = SHIPPED_FILE.read_text(encoding="utf-8")
DOC_TYPE = "qd_ubnd_tinh"
TYPE_PATH = f"types.{DOC_TYPE}"


def _ids(d: ProcessDefinition) -> str:
    return d.key


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED_TEXT)
    assert isinstance(data, dict)
    return data


def _spec(raw: dict[str, Any]) -> dict[str, Any]:
    spec = raw["types"][DOC_TYPE]
    assert isinstance(spec, dict)
    return spec


def _transition(spec: dict[str, Any], action: str, source: str) -> dict[str, Any]:
    for t in spec["transitions"]:
        if t["action"] == action and t["from"] == source:
            assert isinstance(t, dict)
            return t
    raise AssertionError(f"no transition {action} from {source} in the shipped file")


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _assert_names(err: DefinitionError, file_name: str, field: str) -> None:
    """The message starts with the file name and names the field below ``types.<type>``.

    Accepts both ``types.qd_ubnd_tinh.stages.x…`` (pydantic field errors) and
    ``types.qd_ubnd_tinh: Value error, stages.x…`` (graph checks of the whole definition).
    ``field`` is a regular expression.
    """
    msg = str(err)
    assert msg.startswith(f"{file_name}: "), msg
    pattern = re.escape(TYPE_PATH) + r"(?:\.|: (?:Value error, )?)" + field
    assert re.search(pattern, msg), f"{pattern!r} not found in {msg!r}"


# --- the shipped definitions -------------------------------------------------------------------


def test_there_is_at_least_one_shipped_definition() -> None:
    assert DEFINITIONS, "load_registry() found no definitions"
    assert DEFAULT_REGIME in REGISTRY.regimes


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_every_shipped_definition_is_complete(definition: ProcessDefinition) -> None:
    assert definition.initial in definition.stages
    assert definition.final
    assert set(definition.final) <= set(definition.stages)
    assert definition.starter_role in definition.roles
    assert definition.transitions
    # The registry hands out the very definition it iterates.
    assert REGISTRY.get(definition.doc_type, definition.regime) is definition
    assert definition.key == f"{definition.doc_type}@{definition.regime}"


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_every_deadline_has_a_legal_basis(definition: ProcessDefinition) -> None:
    for name, stage in definition.stages.items():
        if stage.deadline is not None:
            assert stage.deadline.basis.strip(), f"{definition.key}: {name} has a blank basis"
            assert len(stage.deadline.basis.strip()) >= 3


def test_registry_get_the_provincial_decision() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    assert d.doc_type == "qd_ubnd_tinh"
    assert d.regime == "L2025_A87"
    assert d.name == "Quyết định của Ủy ban nhân dân cấp tỉnh"
    assert d.initial == "drafting"
    assert set(d.final) == {"in_force", "withdrawn"}
    # The default regime is the one for new cases.
    assert REGISTRY.get("qd_ubnd_tinh") is d


def test_unknown_regime_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as exc:
        REGISTRY.get("qd_ubnd_tinh", "L1999")
    msg = str(exc.value)
    assert "L1999" in msg
    for key in REGISTRY.regimes:
        assert key in msg


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as exc:
        REGISTRY.get("nghi_quyet_hdnd_xa", DEFAULT_REGIME)
    msg = str(exc.value)
    assert "nghi_quyet_hdnd_xa" in msg
    assert DEFAULT_REGIME in msg
    for doc_type in REGISTRY.regimes[DEFAULT_REGIME].definitions:
        assert doc_type in msg


def test_consultation_minimum_is_30_calendar_days_unconfirmed() -> None:
    dl = REGISTRY.get("qd_ubnd_tinh", "L2025_A87").stages["consultation"].deadline
    assert dl is not None
    assert (dl.days, dl.unit.value, dl.kind) == (30, "calendar", DeadlineKind.MINIMUM)
    assert dl.confirmed is False


def test_entry_into_force_is_10_days_after_signing_confirmed() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    sign = d.transition("signing", "sign")
    assert sign is not None
    auto = [t for t in d.transitions if t.automatic and t.dest == "in_force"]
    assert [t.source for t in auto] == ["awaiting_force"]
    dl = d.stages["awaiting_force"].deadline
    assert dl is not None
    assert (dl.days, dl.unit.value, dl.kind) == (10, "calendar", DeadlineKind.MINIMUM)
    # Counted from the day of signing, i.e. entry into the stage signing leads to.
    assert dl.anchor == sign.dest == "gazette_submission"
    assert dl.confirmed is True


def test_registry_iterates_every_regime_file(tmp_path: Path) -> None:
    (tmp_path / "L2025_A87.yaml").write_text(SHIPPED_TEXT, encoding="utf-8")
    (tmp_path / "L2099.yaml").write_text(
        SHIPPED_TEXT.replace("regime: L2025_A87", "regime: L2099"), encoding="utf-8"
    )
    reg = load_registry(tmp_path)
    shipped = sorted(load_registry().regimes["L2025_A87"].definitions)
    assert sorted(d.key for d in reg) == sorted(
        f"{t}@{r}" for t in shipped for r in ("L2025_A87", "L2099")
    )
    assert reg.get("qd_ubnd_tinh", "L2099").regime == "L2099"


def test_the_same_regime_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SHIPPED_TEXT, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SHIPPED_TEXT, encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_registry(tmp_path)
    assert "b.yaml" in str(exc.value)
    assert "a.yaml" in str(exc.value)


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no process definitions"):
        load_registry(tmp_path)


# --- invalid definitions -----------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _unknown_to(spec: dict[str, Any]) -> None:
    _transition(spec, "open_consultation", "drafting")["to"] = "nowhere"


def _unknown_from(spec: dict[str, Any]) -> None:
    _transition(spec, "close_consultation", "consultation")["from"] = "limbo"


def _unknown_role(spec: dict[str, Any]) -> None:
    _transition(spec, "open_consultation", "drafting")["role"] = "mayor"


def _no_basis(spec: dict[str, Any]) -> None:
    del spec["stages"]["consultation"]["deadline"]["basis"]


def _empty_basis(spec: dict[str, Any]) -> None:
    spec["stages"]["consultation"]["deadline"]["basis"] = ""


def _blank_basis(spec: dict[str, Any]) -> None:
    spec["stages"]["consultation"]["deadline"]["basis"] = "   "


def _unreachable(spec: dict[str, Any]) -> None:
    spec["stages"]["limbo"] = {"label": "Treo", "label_en": "Limbo"}
    spec["transitions"].append(
        {
            "action": "leave",
            "from": "limbo",
            "to": "withdrawn",
            "role": "drafter",
            "label": "Ra",
            "label_en": "Leave",
        }
    )


def _dead_end(spec: dict[str, Any]) -> None:
    spec["stages"]["limbo"] = {"label": "Treo", "label_en": "Limbo"}
    spec["transitions"].append(
        {
            "action": "park",
            "from": "drafting",
            "to": "limbo",
            "role": "drafter",
            "label": "Treo",
            "label_en": "Park",
        }
    )


def _duplicate(spec: dict[str, Any]) -> None:
    spec["transitions"].append(dict(_transition(spec, "open_consultation", "drafting")))


def _automatic_without_minimum(spec: dict[str, Any]) -> None:
    t = _transition(spec, "submit_synthesis", "synthesis")
    t.update(automatic=True, role="system")


def _automatic_on_maximum(spec: dict[str, Any]) -> None:
    t = _transition(spec, "submit_appraisal_report", "appraisal")
    t.update(automatic=True, role="system")


def _escalate_unknown(spec: dict[str, Any]) -> None:
    spec["stages"]["publication"]["deadline"]["escalate_to"] = "minister"


def _leave_final(spec: dict[str, Any]) -> None:
    spec["transitions"].append(
        {
            "action": "reopen",
            "from": "in_force",
            "to": "drafting",
            "role": "drafter",
            "label": "Mở lại",
            "label_en": "Reopen",
        }
    )


def _unknown_field(spec: dict[str, Any]) -> None:
    _transition(spec, "sign", "signing")["colour"] = "red"


def _misspelt_guard(spec: dict[str, Any]) -> None:
    _transition(spec, "close_consultation", "consultation")["guards"] = ["minimum_period_elapsd"]


def _trap(spec: dict[str, Any]) -> None:
    """Two stages that only lead to each other, entered from drafting: no withdraw, no way on."""
    spec["stages"]["review_a"] = {"label": "Rà soát A", "label_en": "Review A"}
    spec["stages"]["review_b"] = {"label": "Rà soát B", "label_en": "Review B"}
    for action, source, dest in (
        ("start_review", "drafting", "review_a"),
        ("pass_to_b", "review_a", "review_b"),
        ("pass_to_a", "review_b", "review_a"),
    ):
        spec["transitions"].append(
            {
                "action": action,
                "from": source,
                "to": dest,
                "role": "drafter",
                "label": action,
                "label_en": action,
            }
        )


INVALID: list[tuple[str, Mutation, str]] = [
    (
        "transition_to_unknown_stage",
        _unknown_to,
        r"transitions\[0\] \(open_consultation\)\.to: unknown stage 'nowhere'",
    ),
    (
        "transition_from_unknown_stage",
        _unknown_from,
        r"transitions\[1\] \(close_consultation\)\.from: unknown stage 'limbo'",
    ),
    (
        "unknown_role",
        _unknown_role,
        r"transitions\[0\] \(open_consultation\)\.role: unknown role 'mayor'",
    ),
    ("deadline_without_basis", _no_basis, r"stages\.consultation\.deadline\.basis: Field required"),
    ("deadline_with_empty_basis", _empty_basis, r"stages\.consultation\.deadline\.basis: "),
    (
        "deadline_with_blank_basis",
        _blank_basis,
        r"stages\.consultation\.deadline\.basis: String should have at least 3",
    ),
    ("unreachable_stage", _unreachable, r"stages\.limbo: unreachable from 'drafting'"),
    ("non_final_dead_end", _dead_end, r"stages\.limbo: dead end that is not final"),
    (
        "duplicate_from_action",
        _duplicate,
        r"transitions\[\d+\] \(open_consultation\): action 'open_consultation' defined twice "
        r"from 'drafting'",
    ),
    (
        "automatic_without_minimum_deadline",
        _automatic_without_minimum,
        r"transitions\[\d+\] \(submit_synthesis\)\.automatic: stage 'synthesis' has no minimum",
    ),
    (
        "automatic_on_maximum_deadline",
        _automatic_on_maximum,
        r"transitions\[\d+\] \(submit_appraisal_report\)\.automatic: stage 'appraisal' has no "
        r"minimum",
    ),
    (
        "escalate_to_unknown_role",
        _escalate_unknown,
        r"stages\.publication\.deadline\.escalate_to: unknown role 'minister'",
    ),
    (
        "transition_out_of_final",
        _leave_final,
        r"transitions\[\d+\] \(reopen\)\.from: 'in_force' is final",
    ),
    ("unknown_transition_field", _unknown_field, r"transitions\.\d+\.colour: Extra inputs"),
    (
        "misspelt_guard",
        _misspelt_guard,
        r"transitions\.\d+\.guards\.0: Input should be 'minimum_period_elapsed', "
        r"'consultation_replies_complete', 'comments_disposed' or 'contested_issues_settled'",
    ),
    (
        "cycle_without_a_way_out",
        _trap,
        r"stages review_a, review_b: no way out to a final stage \(in_force, withdrawn\) under "
        r"the normal procedure",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_definition_names_file_and_field(
    tmp_path: Path, case: str, mutate: Mutation, field: str
) -> None:
    raw = _raw()
    mutate(_spec(raw))
    path = _write(tmp_path, f"{case}.yaml", raw)
    with pytest.raises(DefinitionError) as exc:
        load_regime(path)
    _assert_names(exc.value, path.name, field)


def test_invalid_file_is_named_when_loading_the_whole_registry(tmp_path: Path) -> None:
    (tmp_path / "L2025_A87.yaml").write_text(SHIPPED_TEXT, encoding="utf-8")
    raw = _raw()
    raw["regime"] = "L2030"
    _unknown_role(_spec(raw))
    _write(tmp_path, "L2030.yaml", raw)
    with pytest.raises(DefinitionError) as exc:
        load_registry(tmp_path)
    _assert_names(exc.value, "L2030.yaml", r"transitions\[0\] \(open_consultation\)\.role")


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = SHIPPED_TEXT.replace("initial: drafting", "initial: [drafting", 1)
    assert text != SHIPPED_TEXT
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_regime(path)
    msg = str(exc.value)
    assert msg.startswith("broken.yaml: not valid YAML"), msg
    assert re.search(r"line \d+", msg), msg


def test_missing_types_names_the_file_and_field(tmp_path: Path) -> None:
    raw = _raw()
    del raw["types"]
    path = _write(tmp_path, "no_types.yaml", raw)
    with pytest.raises(DefinitionError) as exc:
        load_regime(path)
    assert str(exc.value) == "no_types.yaml: types: Field required"


def test_empty_types_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["types"] = {}
    path = _write(tmp_path, "empty_types.yaml", raw)
    with pytest.raises(DefinitionError, match=r"^empty_types\.yaml: types: "):
        load_regime(path)


def test_a_non_date_in_force_from_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["in_force_from"] = "sometime"
    path = _write(tmp_path, "bad_date.yaml", raw)
    with pytest.raises(DefinitionError, match=r"^bad_date\.yaml: in_force_from: "):
        load_regime(path)


def test_the_shipped_text_itself_loads_from_a_copy(tmp_path: Path) -> None:
    # Guards the mutation tests above: without a mutation the copy is valid.
    path = _write(tmp_path, "copy.yaml", _raw())
    regime = load_regime(path)
    assert regime.definitions[DOC_TYPE] == REGISTRY.get(DOC_TYPE, "L2025_A87")


# --- ``from: [a, b]`` --------------------------------------------------------------------------


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_list_sources_expand_to_one_transition_per_source(definition: ProcessDefinition) -> None:
    source_file = REGISTRY.regimes[definition.regime].source
    raw = yaml.safe_load(source_file.read_text(encoding="utf-8"))
    for entry in raw["types"][definition.doc_type]["transitions"]:
        sources = entry["from"] if isinstance(entry["from"], list) else [entry["from"]]
        for source in sources:
            matching = [
                t
                for t in definition.transitions
                if t.action == entry["action"] and t.source == source
            ]
            assert len(matching) == 1, (entry["action"], source)
            assert matching[0].dest == entry["to"]
            assert matching[0].role == entry["role"]


def test_withdraw_from_every_drafting_stage() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    withdraw = [t for t in d.transitions if t.action == "withdraw"]
    assert [t.source for t in withdraw] == [
        "drafting",
        "consultation",
        "synthesis",
        "dossier_review",
        "response",
    ]
    assert {(t.dest, t.role, t.label) for t in withdraw} == {
        ("withdrawn", "drafting_head", "Dừng soạn thảo")
    }


def test_list_source_expansion_in_a_new_file(tmp_path: Path) -> None:
    raw = _raw()
    spec = _spec(raw)
    n_before = len(REGISTRY.get(DOC_TYPE, "L2025_A87").transitions)
    spec["transitions"].append(
        {
            "action": "escalate",
            "from": ["appraisal", "appraisal_signoff", "adoption"],
            "to": "withdrawn",
            "role": "ops",
            "label": "Chuyển",
            "label_en": "Escalate",
        }
    )
    d = load_regime(_write(tmp_path, "expand.yaml", raw)).definitions[DOC_TYPE]
    assert len(d.transitions) == n_before + 3
    added = [t for t in d.transitions if t.action == "escalate"]
    assert [(t.source, t.dest) for t in added] == [
        ("appraisal", "withdrawn"),
        ("appraisal_signoff", "withdrawn"),
        ("adoption", "withdrawn"),
    ]


def test_list_source_repeating_a_stage_is_a_duplicate(tmp_path: Path) -> None:
    raw = _raw()
    spec = _spec(raw)
    spec["transitions"].append(
        {
            "action": "escalate",
            "from": ["appraisal", "appraisal"],
            "to": "withdrawn",
            "role": "ops",
            "label": "Chuyển",
            "label_en": "Escalate",
        }
    )
    path = _write(tmp_path, "twice.yaml", raw)
    with pytest.raises(DefinitionError) as exc:
        load_regime(path)
    _assert_names(
        exc.value,
        "twice.yaml",
        r"transitions\[\d+\] \(escalate\): action 'escalate' "
        r"defined twice from 'appraisal'",
    )


def test_the_chairmans_simplified_decision_still_consults_the_four_departments() -> None:
    """Nghị định 78/2025 Điều 51a (added by Nghị định 187/2025): under the simplified
    procedure (rút gọn) Sở Tài chính, Nội vụ, Tư pháp and Khoa học và Công nghệ are still asked
    and reply within 3 days; the simplified procedure shortens their reply, it does not remove
    them. So no path under it reaches the dossier without the consultation stage."""
    d = REGISTRY.get("qd_ct_ubnd_tinh", "L2025_A87")
    seen, queue = {d.initial}, [d.initial]
    while queue:
        for t in d.transitions_from(queue.pop(), simplified=True):
            if t.dest != "consultation" and t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    assert "dossier_review" not in seen, "the simplified route skips the consultation"
    consults = d.stages["consultation"].consults
    assert {c.label for c in consults if c.mandatory} == {
        "Sở Tài chính",
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Sở Khoa học và Công nghệ",
    }
    assert {(c.reply.days, c.reply.simplified_days) for c in consults} == {(7, 3)}
