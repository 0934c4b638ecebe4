"""Loading the shipped process definitions (bộ quy trình) from ``models/processes/``.

One YAML file per legal regime. Every error names the file and the offending field, e.g.
``L2025_A87.yaml: types.qd_ubnd_tinh.stages.consultation.deadline.basis: Field required``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.definition import ProcessDefinition
from models.field_errors import field_errors

PROCESSES_DIR = Path(__file__).parent / "processes"
DEFAULT_REGIME = "L2025_A87"


class DefinitionError(ValueError):
    """A process definition file is malformed; the message names file and field."""


@dataclass(frozen=True)
class Regime:
    """A legal regime (chế độ pháp lý) and the definitions written under it."""

    key: str
    basis: str
    in_force_from: date
    in_force_until: date | None
    source: Path
    definitions: Mapping[str, ProcessDefinition] = field(default_factory=dict)


@dataclass(frozen=True)
class Registry:
    """All regimes and their definitions, looked up by (document type, regime)."""

    regimes: Mapping[str, Regime]

    def get(self, doc_type: str, regime: str = DEFAULT_REGIME) -> ProcessDefinition:
        if regime not in self.regimes:
            known = ", ".join(sorted(self.regimes))
            raise KeyError(f"unknown regime {regime!r}; known: {known}")
        defs = self.regimes[regime].definitions
        if doc_type not in defs:
            known = ", ".join(sorted(defs)) or "none"
            raise KeyError(
                f"document type {doc_type!r} has no procedure under {regime}; "
                f"types under {regime}: {known}"
            )
        return defs[doc_type]

    def __iter__(self) -> Iterator[ProcessDefinition]:
        for key in sorted(self.regimes):
            yield from (
                self.regimes[key].definitions[t] for t in sorted(self.regimes[key].definitions)
            )


def _expand_sources(raw_transitions: Any) -> tuple[Any, list[int]]:
    """Let a transition list several ``from`` stages (e.g. withdrawal from any drafting
    stage). Returns the expanded list and, for each entry, its index in the file."""
    if not isinstance(raw_transitions, list):
        return raw_transitions, []
    out: list[Any] = []
    origin: list[int] = []
    for i, t in enumerate(raw_transitions):
        sources = t.get("from") if isinstance(t, dict) else None
        if isinstance(sources, list):
            if not sources:
                sources = [None]  # an empty list is an error, reported as a missing stage
            out.extend({**t, "from": src} for src in sources)
            origin.extend([i] * len(sources))
        else:
            out.append(t)
            origin.append(i)
    return out, origin


def _file_indices(message: str, origin: list[int]) -> str:
    """Rewrite ``transitions[N]`` from expanded positions to positions in the file."""
    return re.sub(
        r"transitions(\[|\.)(\d+)",
        lambda m: (
            f"transitions{m.group(1)}{origin[int(m.group(2))]}"
            if int(m.group(2)) < len(origin)
            else m.group(0)
        ),
        message,
    )


def load_regime(path: Path) -> Regime:
    """Load and validate one regime file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise DefinitionError(f"{path.name}: expected a mapping at the top level")
    for key in ("regime", "basis", "in_force_from", "types"):
        if key not in raw:
            raise DefinitionError(f"{path.name}: {key}: Field required")
    types = raw["types"]
    if not isinstance(types, dict) or not types:
        raise DefinitionError(f"{path.name}: types: expected a non-empty mapping")
    definitions: dict[str, ProcessDefinition] = {}
    for doc_type, spec in types.items():
        if not isinstance(spec, dict):
            raise DefinitionError(f"{path.name}: types.{doc_type}: expected a mapping")
        transitions, origin = _expand_sources(spec.get("transitions"))
        data = {
            **spec,
            "transitions": transitions,
            "regime": raw["regime"],
            "regime_basis": raw["basis"],
            "doc_type": doc_type,
        }
        try:
            definitions[doc_type] = ProcessDefinition.model_validate(data)
        except ValidationError as exc:
            message = _file_indices(field_errors(exc, f"types.{doc_type}"), origin)
            raise DefinitionError(f"{path.name}: {message}") from exc
    return Regime(
        key=str(raw["regime"]),
        basis=str(raw["basis"]),
        in_force_from=_as_date(path, "in_force_from", raw["in_force_from"]),
        in_force_until=(
            _as_date(path, "in_force_until", raw["in_force_until"])
            if raw.get("in_force_until") is not None
            else None
        ),
        source=path,
        definitions=definitions,
    )


def _as_date(path: Path, name: str, value: object) -> date:
    if isinstance(value, date):
        return value
    raise DefinitionError(f"{path.name}: {name}: expected a date (YYYY-MM-DD), got {value!r}")


def load_registry(directory: Path = PROCESSES_DIR) -> Registry:
    """Load every ``*.yaml`` regime file in ``directory``."""
    regimes: dict[str, Regime] = {}
    for path in sorted(directory.glob("*.yaml")):
        regime = load_regime(path)
        if regime.key in regimes:
            raise DefinitionError(
                f"{path.name}: regime {regime.key} also defined in "
                f"{regimes[regime.key].source.name}"
            )
        regimes[regime.key] = regime
    if not regimes:
        raise DefinitionError(f"{directory}: no process definitions (*.yaml) found")
    return Registry(regimes=regimes)
