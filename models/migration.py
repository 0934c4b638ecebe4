"""Moving a case between legal regimes (chuyển hồ sơ sang chế độ pháp lý mới).

A case keeps the regime it started under until an authorised operator moves it. The plan
says how the current stage maps into the target procedure and what changes ahead of it;
the same plan is checked by the workflow before it accepts the move.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache

from models.authorship import canonical
from models.definition import Deadline, ProcessDefinition
from models.machine import IllegalTransition, shortest_path
from models.registry import load_registry


@dataclass(frozen=True)
class DeadlineChange:
    stage: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class MigrationPlan:
    source: str
    target: str
    stage: str
    refusal: str | None = None
    deadline_changes: list[DeadlineChange] = field(default_factory=list)
    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return self.refusal is None

    def render(self) -> str:
        lines = [f"{self.source} → {self.target}, current stage: {self.stage}"]
        if self.refusal:
            return "\n".join([*lines, f"REFUSED: {self.refusal}"])
        lines.append(f"the case stays in stage {self.stage!r} under {self.target}")
        lines += [f"+ step ahead: {s}" for s in self.steps_added]
        lines += [f"- step no longer needed: {s}" for s in self.steps_removed]
        lines += [f"+ role: {r}" for r in self.roles_added]
        lines += [
            f"~ deadline of {c.stage}: {c.before or 'none'} → {c.after or 'none'}"
            for c in self.deadline_changes
        ]
        if len(lines) == 2:
            lines.append("no change to the steps ahead or their deadlines")
        return "\n".join(lines)


def _describe(d: Deadline | None, simplified: bool) -> str | None:
    if d is None:
        return None
    days = d.simplified_days if simplified and d.simplified_days is not None else d.days
    mark = "" if d.confirmed else ", unconfirmed"
    return f"{d.kind.value} {days} {d.unit.value} days ({d.basis.split('(')[0].strip()}{mark})"


def _remaining(d: ProcessDefinition, stage: str, simplified: bool) -> list[str]:
    try:
        return [t.dest for t in shortest_path(d, stage, d.final[0], simplified)]
    except IllegalTransition:
        return []


def plan_migration(
    source: ProcessDefinition, target: ProcessDefinition, stage: str, simplified: bool
) -> MigrationPlan:
    """How a case in ``stage`` of ``source`` would continue under ``target``."""
    plan = MigrationPlan(source=source.key, target=target.key, stage=stage)

    def refused(reason: str) -> MigrationPlan:
        return MigrationPlan(source.key, target.key, stage, refusal=reason)

    if source.doc_type != target.doc_type:
        return refused(f"{target.key} is a different document type")
    if source.regime == target.regime:
        return refused(f"the case already runs under {source.regime}")
    if stage in source.final:
        return refused(f"the case is closed ({stage})")
    if stage not in target.stages:
        return refused(
            f"stage {stage!r} ({source.stages[stage].label}) has no counterpart in {target.key}; "
            "finish or return the step first"
        )
    if stage in target.final:
        return refused(f"stage {stage!r} is final in {target.key}")
    if simplified and target.simplified is None:
        return refused(f"the case follows the simplified procedure, which {target.key} lacks")
    ahead_source = _remaining(source, stage, simplified)
    ahead_target = _remaining(target, stage, simplified)
    if not ahead_target:
        return refused(f"from {stage!r} no path leads to {target.final[0]!r} in {target.key}")
    changes = []
    for name in dict.fromkeys([stage, *ahead_target]):
        before = (
            _describe(source.stages[name].deadline, simplified) if name in source.stages else None
        )
        after = _describe(target.stages[name].deadline, simplified)
        if before != after:
            changes.append(DeadlineChange(name, before, after))
    return MigrationPlan(
        source=plan.source,
        target=plan.target,
        stage=stage,
        deadline_changes=changes,
        steps_added=[s for s in ahead_target if s not in ahead_source],
        steps_removed=[s for s in ahead_source if s not in ahead_target],
        roles_added=sorted(set(target.roles) - set(source.roles)),
    )


def definition_digest(definition: ProcessDefinition) -> str:
    """SHA-256 of a definition's content: what a migration names its target by."""
    return hashlib.sha256(canonical(definition.model_dump(mode="json"))).hexdigest()


@cache
def shipped_digests() -> frozenset[str]:
    """The digests of every definition this deployment ships (``models/processes/``), read
    once per process: a migration may move a case only to one of these (issue #17: a forged
    migration carried a definition of its own, from drafting straight to entry into force).
    A validator reads it; validators are not replayed, so a later deployment's files never
    change a recorded history."""
    return frozenset(definition_digest(d) for d in load_registry())
