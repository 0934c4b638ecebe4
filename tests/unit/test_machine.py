"""The state machine agrees with the data, exhaustively, for every shipped definition."""

from __future__ import annotations

import logging
from collections import deque
from itertools import pairwise

import pytest

from models.definition import ProcessDefinition
from models.machine import IllegalTransition, ProcessMachine, shortest_path
from models.registry import load_registry

REGISTRY = load_registry()
DEFINITIONS = list(REGISTRY)
MACHINES = {d.key: ProcessMachine(d) for d in DEFINITIONS}


def _ids(d: ProcessDefinition) -> str:
    return d.key


def _expected(d: ProcessDefinition, stage: str, action: str) -> str | None:
    """Read straight from the data: where ``action`` leads from ``stage`` under the normal
    procedure, if anywhere."""
    dests = [
        t.dest
        for t in d.transitions
        if t.source == stage and t.action == action and t.procedure.applies(False)
    ]
    assert len(dests) <= 1
    return dests[0] if dests else None


PAIRS = [
    pytest.param(d, stage, action, id=f"{d.key}:{stage}:{action}")
    for d in DEFINITIONS
    for stage in d.stages
    for action in d.actions
]


@pytest.mark.parametrize(("definition", "stage", "action"), PAIRS)
def test_next_stage_matches_the_data(
    definition: ProcessDefinition, stage: str, action: str
) -> None:
    machine = MACHINES[definition.key]
    expected = _expected(definition, stage, action)
    if expected is None:
        with pytest.raises(IllegalTransition) as exc:
            machine.next_stage(stage, action)
        assert action in str(exc.value)
    else:
        assert machine.next_stage(stage, action) == expected


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_there_are_pairs_to_check(definition: ProcessDefinition) -> None:
    # The exhaustive test above is only as good as its input.
    assert len(definition.stages) >= 2
    assert definition.actions
    assert set(definition.actions) == {t.action for t in definition.transitions}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_final_stages_allow_nothing(definition: ProcessDefinition) -> None:
    machine = MACHINES[definition.key]
    for stage in definition.final:
        assert machine.is_final(stage)
        assert machine.actions_from(stage) == []
        for action in definition.actions:
            with pytest.raises(IllegalTransition):
                machine.next_stage(stage, action)
    for stage in set(definition.stages) - set(definition.final):
        assert not machine.is_final(stage)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_actions_from_lists_the_data_in_order(definition: ProcessDefinition) -> None:
    machine = MACHINES[definition.key]
    for stage in definition.stages:
        for simplified in (False, True):
            expected = [
                t.action
                for t in definition.transitions
                if t.source == stage and t.procedure.applies(simplified)
            ]
            assert machine.actions_from(stage, simplified) == expected, (stage, simplified)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_unknown_stage_and_unknown_action_are_illegal(definition: ProcessDefinition) -> None:
    machine = MACHINES[definition.key]
    with pytest.raises(IllegalTransition, match="unknown stage 'nowhere'"):
        machine.next_stage("nowhere", definition.actions[0])
    with pytest.raises(IllegalTransition, match="unknown action 'fly_away'"):
        machine.next_stage(definition.initial, "fly_away")


def test_next_stage_does_not_depend_on_earlier_calls() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    machine = ProcessMachine(d)
    assert machine.next_stage("signing", "sign") == "gazette_submission"
    # The machine is positioned per call, not left where the last call ended.
    assert machine.next_stage("drafting", "open_consultation") == "consultation"
    assert machine.next_stage("signing", "sign") == "gazette_submission"
    # return_for_revision leads to a different stage from each of its sources.
    assert machine.next_stage("dossier_review", "return_for_revision") == "synthesis"
    assert machine.next_stage("appraisal_signoff", "return_for_revision") == "appraisal"
    assert machine.next_stage("signing", "return_for_revision") == "response"
    with pytest.raises(IllegalTransition, match="'sign' is not allowed from 'drafting'"):
        machine.next_stage("drafting", "sign")


# --- shortest_path -----------------------------------------------------------------------------


def _distance(d: ProcessDefinition, source: str, target: str) -> int:
    dist = {source: 0}
    queue = deque([source])
    while queue:
        stage = queue.popleft()
        for t in d.transitions:
            if t.source == stage and t.procedure.applies(False) and t.dest not in dist:
                dist[t.dest] = dist[stage] + 1
                queue.append(t.dest)
    return dist[target]


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_shortest_path_to_the_first_final_stage(definition: ProcessDefinition) -> None:
    target = definition.final[0]
    path = shortest_path(definition, definition.initial, target)
    assert path, "the initial stage is not final, so the path cannot be empty"
    assert path[0].source == definition.initial
    assert path[-1].dest == target
    for before, after in pairwise(path):
        assert before.dest == after.source
    for t in path:
        assert t in definition.transitions
    assert len(path) == _distance(definition, definition.initial, target)
    # Walking the path through the machine arrives at the target.
    machine = MACHINES[definition.key]
    stage = definition.initial
    for t in path:
        stage = machine.next_stage(stage, t.action)
    assert stage == target


def test_happy_path_of_the_provincial_decision() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    path = shortest_path(d, "drafting", "in_force")
    assert [t.action for t in path] == [
        "open_consultation",
        "close_consultation",
        "submit_synthesis",
        "request_appraisal",
        "accept_dossier",
        "submit_appraisal_report",
        "issue_appraisal_report",
        "submit_response",
        "submit_for_adoption",
        "record_adoption",
        "sign",
        "send_to_gazette",
        "record_publication",
        "enter_into_force",
    ]
    assert [t.action for t in shortest_path(d, "drafting", "withdrawn")] == ["withdraw"]
    assert shortest_path(d, "signing", "signing") == []


@pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)
def test_shortest_path_to_an_unreachable_stage_raises(definition: ProcessDefinition) -> None:
    final = definition.final[0]
    with pytest.raises(IllegalTransition, match="cannot be reached"):
        shortest_path(definition, final, definition.initial)
    with pytest.raises(IllegalTransition, match="cannot be reached"):
        shortest_path(definition, definition.initial, "no_such_stage")


# --- the machine's model is not the workflow ---------------------------------------------------


class _WorkflowLike:
    """Has methods named like actions, as a workflow class might (``sign``, ``withdraw``)."""

    def __init__(self, definition: ProcessDefinition) -> None:
        self.calls: list[str] = []
        self.machine = ProcessMachine(definition)

    def sign(self) -> None:
        self.calls.append("sign")

    def withdraw(self) -> None:
        self.calls.append("withdraw")

    def on_enter_gazette_submission(self) -> None:
        self.calls.append("on_enter_gazette_submission")

    def before_sign(self) -> None:
        self.calls.append("before_sign")


def test_machine_fires_nothing_on_the_object_holding_it() -> None:
    d = REGISTRY.get("qd_ubnd_tinh", "L2025_A87")
    wf = _WorkflowLike(d)
    before = set(vars(wf))
    assert wf.machine.next_stage("signing", "sign") == "gazette_submission"
    assert wf.machine.next_stage("response", "withdraw") == "withdrawn"
    assert wf.calls == []
    # transitions did not bind triggers or a ``state`` attribute onto it.
    assert set(vars(wf)) == before
    assert not hasattr(wf, "state")
    assert not hasattr(wf, "trigger")
    assert not hasattr(wf, "may_sign")


def test_transitions_logger_is_quiet() -> None:
    assert logging.getLogger("transitions").getEffectiveLevel() >= logging.WARNING
