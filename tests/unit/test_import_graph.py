"""The house's rules, checked on the product's import graph (``tests/import_graph.py``): no
cycle, the domain imports nothing outward, sandboxed workflow code imports no client or
worker-only code, and nothing in the product (nor the benchmarks) imports the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.import_graph import PRODUCT, cycles, product_graph, violations

ROOT = Path(__file__).resolve().parents[2]


def test_the_product_has_no_import_cycle() -> None:
    assert cycles(product_graph(ROOT)) == []


def test_every_arrow_keeps_the_rules_of_the_house() -> None:
    assert violations(product_graph(ROOT)) == []


def test_the_benchmarks_import_no_test_code() -> None:
    assert violations(product_graph(ROOT, ("bench",))) == []


def test_the_graph_sees_every_room() -> None:
    """The rules above would pass on an empty graph: the graph must hold each room's modules
    and the arrows known to exist between them."""
    edges = product_graph(ROOT)
    sources = {e.source.split(".")[0] for e in edges}
    assert set(PRODUCT) <= sources
    assert any(
        e.source == "workflows.drafting.legislative_process" and e.target == "models.rules"
        for e in edges
    )


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "workflows/__init__.py": "",
                "workflows/a.py": "from workflows.b import x\n",
                "workflows/b.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from workflows.a import y\n",
            },
            "cycle",
        ),
        ({"models/__init__.py": "", "models/m.py": "from temporalio import workflow\n"}, "domain"),
        ({"models/__init__.py": "", "models/m.py": "import activities.ports\n"}, "domain"),
        (
            {"workflows/__init__.py": "", "workflows/w.py": "from client import cases\n"},
            "sandboxed",
        ),
        (
            {"workflows/__init__.py": "", "workflows/w.py": "def f():\n    import worker\n"},
            "sandboxed",
        ),
        ({"client/__init__.py": "", "client/c.py": "from tests.conftest import x\n"}, "test"),
        ({"cli.py": "import bench.lifecycle\n"}, "benchmark"),
    ],
)
def test_each_rule_catches_what_it_forbids(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    edges = product_graph(_tree(tmp_path, files))
    found = [" ".join(c) for c in cycles(edges)] + violations(edges)
    assert found
    assert expected in found[0] or (expected == "cycle" and cycles(edges))
