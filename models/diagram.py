"""Mermaid state diagrams (sơ đồ quy trình) generated from a definition, never drawn by hand."""

from __future__ import annotations

from models.definition import Procedure, ProcessDefinition


def _quote(text: str) -> str:
    return text.replace('"', "'").replace(":", " -")


def mermaid(definition: ProcessDefinition) -> str:
    """A ``stateDiagram-v2`` of every stage and transition; simplified-only transitions are
    marked ``[rút gọn]``, automatic ones ``[tự động]``."""
    lines = ["stateDiagram-v2", f"    %% {definition.name} — {definition.regime}"]
    for name, stage in definition.stages.items():
        lines.append(f'    state "{_quote(stage.label)}" as {name}')
    lines.append(f"    [*] --> {definition.initial}")
    for t in definition.transitions:
        marks = []
        if t.procedure is Procedure.SIMPLIFIED:
            marks.append("[rút gọn]")
        if t.procedure is Procedure.NORMAL:
            marks.append("[thường]")
        if t.automatic:
            marks.append("[tự động]")
        label = " ".join([t.action, f"({t.role})", *marks])
        lines.append(f"    {t.source} --> {t.dest}: {_quote(label)}")
    lines += [f"    {f} --> [*]" for f in definition.final]
    return "\n".join(lines) + "\n"
