"""The state machine (máy trạng thái) of one procedure, built from its definition.

``transitions.Machine`` holds the structure: which action leads from which stage to which.
Guards, roles and four-eyes checks live in ``models.rules`` because they need the case's
context (time, actors), which the machine has no business knowing.
"""

from __future__ import annotations

import threading
from collections import deque

from transitions import Machine, MachineError

from models.definition import Procedure, ProcessDefinition, Transition


class IllegalTransition(Exception):
    """The action does not lead anywhere from the given stage."""


class _Token:
    """The machine's model: deliberately not the workflow instance, whose method names
    would shadow triggers of the same name (transitions then skips them silently)."""

    state: str
    simplified: bool = False

    def when_normal(self) -> bool:
        return not self.simplified

    def when_simplified(self) -> bool:
        return self.simplified


_CONDITIONS = {
    Procedure.ANY: [],
    Procedure.NORMAL: ["when_normal"],
    Procedure.SIMPLIFIED: ["when_simplified"],
}


class ProcessMachine:
    """Answers "where does this action lead from this stage?" for one definition."""

    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        # One machine may serve many cases (models/shared_definitions.py), whose workflow
        # activations can run on different threads: the token's state is set per question.
        self._asking = threading.Lock()
        self._token = _Token()
        self._machine = Machine(
            model=self._token,
            states=list(definition.stages),
            initial=definition.initial,
            transitions=[
                {
                    "trigger": t.action,
                    "source": t.source,
                    "dest": t.dest,
                    "conditions": _CONDITIONS[t.procedure],
                }
                for t in definition.transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=False,
        )

    def next_stage(self, stage: str, action: str, simplified: bool = False) -> str:
        """The stage ``action`` leads to from ``stage`` under the normal or the simplified
        procedure; raises IllegalTransition."""
        if stage not in self.definition.stages:
            raise IllegalTransition(f"unknown stage {stage!r}")
        if action not in self._machine.events:
            raise IllegalTransition(f"unknown action {action!r}")
        with self._asking:
            self._machine.set_state(stage, model=self._token)
            self._token.simplified = simplified
            try:
                moved = self._token.trigger(action)  # type: ignore[attr-defined]
            except MachineError as exc:
                raise IllegalTransition(f"{action!r} is not allowed from {stage!r}") from exc
            if not moved:  # defined here, but only for the other procedure
                procedure = "simplified" if simplified else "normal"
                raise IllegalTransition(f"{action!r} is not allowed from {stage!r} ({procedure})")
            return self._token.state

    def actions_from(self, stage: str, simplified: bool = False) -> list[str]:
        """Actions defined from ``stage`` for one procedure, in definition order."""
        triggers = set(self._machine.get_triggers(stage))
        return [
            t.action
            for t in self.definition.transitions_from(stage, simplified)
            if t.action in triggers
        ]

    def is_final(self, stage: str) -> bool:
        return stage in self.definition.final


def shortest_path(
    definition: ProcessDefinition, source: str, target: str, simplified: bool = False
) -> list[Transition]:
    """The fewest transitions from ``source`` to ``target`` (the "happy path" a demo and the
    lifecycle tests walk). Raises IllegalTransition when ``target`` cannot be reached."""
    previous: dict[str, Transition] = {}
    queue = deque([source])
    seen = {source}
    while queue:
        stage = queue.popleft()
        if stage == target:
            path: list[Transition] = []
            while stage != source:
                t = previous[stage]
                path.append(t)
                stage = t.source
            return path[::-1]
        for t in definition.transitions_from(stage, simplified):
            if t.dest not in seen:
                seen.add(t.dest)
                previous[t.dest] = t
                queue.append(t.dest)
    raise IllegalTransition(f"{target!r} cannot be reached from {source!r}")
