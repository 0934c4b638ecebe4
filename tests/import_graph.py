"""The product's import graph, read from the source (AST), and the rules it must keep.

Every ``import`` counts, including those inside functions and under ``TYPE_CHECKING``: an
arrow that only the type checker follows is still an arrow a reader must follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: Top-level packages and modules of the product, each a room with its own rules.
PRODUCT = (
    "models",
    "activities",
    "workflows",
    "worker_runtime",
    "client",
    "identity",
    "signatures",
    "public_records",
    "portal",
    "localdev",
    "cli",
    "web",
    "worker",
    "settings",
    "logging_config",
)

#: What the pure domain may not import (DESIGN.md: "models/ knows nothing of Temporal or I/O").
MODELS_MAY_NOT = ("activities", "workflows", "temporalio", *PRODUCT[3:])
#: What code loaded into the workflow sandbox may not import: client and worker-only code,
#: interfaces, and the adapters (a workflow reaches those only through activities, by name).
SANDBOX_MAY_NOT = ("activities", *PRODUCT[3:])


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path, tops: Iterable[str]) -> Iterator[Path]:
    for top in tops:
        if (root / f"{top}.py").is_file():
            yield root / f"{top}.py"
        if (root / top).is_dir():
            yield from sorted((root / top).rglob("*.py"))


def imports_of(root: Path, path: Path, known: set[str]) -> Iterator[Edge]:
    """What ``path`` imports: each name resolved to the module it is (``from a import b``
    where ``a.b`` is a module is an arrow to ``a.b``)."""
    source = module_name(root, path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Edge(source, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Edge(source, sub if sub in known else base, node.lineno)


def product_graph(root: Path, tops: Iterable[str] = PRODUCT) -> list[Edge]:
    files = list(source_files(root, tops))
    known = {module_name(root, f) for f in files}
    return [e for f in files for e in imports_of(root, f, known)]


def top(module: str) -> str:
    return module.split(".")[0]


def within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.source != e.target:
            graph.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(edges: Iterable[Edge]) -> list[str]:
    """Every arrow that breaks a rule of the house, said as a sentence."""
    out = []
    for e in edges:
        if top(e.target) == "tests" or (top(e.source) != "bench" and top(e.target) == "bench"):
            out.append(f"imports test or benchmark code: {e}")
        elif within(e.source, ("models",)) and within(e.target, MODELS_MAY_NOT):
            out.append(f"the domain (models/) imports outward: {e}")
        elif within(e.source, ("workflows",)) and within(e.target, SANDBOX_MAY_NOT):
            out.append(f"sandboxed workflow code imports client or worker-only code: {e}")
    return out
