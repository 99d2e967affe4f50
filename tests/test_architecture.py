"""The package layout is the architecture: layers import only downwards, and no sim
module imports itself round a loop.

The import graph is read from the source with `ast` (every import statement, including
those inside functions and `if TYPE_CHECKING:` blocks; relative imports resolved), so a
lazy or type-only import counts like any other. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"

# Bottom to top; a module may import modules of its own layer or of lower ones.
LAYERS = {
    "sim": 0,  # the package root: __version__ and lazily exported names (by string only)
    "sim.model": 1,
    "sim.experiments": 2,
    "sim.analysis": 3,
    "sim.cli": 4,
    "sim.app": 4,
    "sim.__main__": 4,
}


# --- the checker ---------------------------------------------------------------------


def module_names(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is_package) of every module under `package`."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


def _resolve(name: str, known: set[str]) -> str | None:
    """The module `name` refers to: itself, or the nearest enclosing known module."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The known modules that `source` (the text of `module`) imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                prefix = ".".join(filter(None, (base, node.module)))
            else:
                prefix = node.module or ""
            # `from pkg import name`: the submodule pkg.name if there is one, else pkg
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target, known)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(package)
    known = set(modules)
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, is_package, known)
        for name, (path, is_package) in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None if the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def layer_of(module: str, layers: dict[str, int] = LAYERS) -> int | None:
    """The layer of the longest prefix of `module` named in `layers`."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in layers:
            return layers[prefix]
    return None


def upward_imports(graph: dict[str, set[str]], layers: dict[str, int] = LAYERS) -> list[tuple[str, str]]:
    """Every (importer, imported) pair where a lower layer imports a higher one."""
    return sorted(
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if layer_of(a, layers) is not None
        and layer_of(b, layers) is not None
        and layer_of(b, layers) > layer_of(a, layers)
    )


# --- the package ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_is_read_from_the_source(graph):
    """Guard against a checker that sees nothing: known edges of every kind are found."""
    assert "sim.model.params" in graph["sim.model.egov_model"]  # top-level import
    assert "sim.model.egov_model" in graph["sim.experiments.runs"]  # import inside a function
    assert "sim.model.params" in graph["sim.model.agents.citizen"]
    assert sum(len(v) for v in graph.values()) > 50


def test_every_module_belongs_to_a_layer(graph):
    assert [m for m in graph if layer_of(m) is None] == []


def test_no_import_cycles(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_run_downwards(graph):
    upward = upward_imports(graph)
    assert upward == [], "imports from a lower layer to a higher one:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in upward
    )


def test_package_root_imports_nothing_of_its_own():
    """`import sim` stays light and below every layer: names are exported by string."""
    assert import_graph()["sim"] == set()


def test_agent_kinds_share_formulas_not_each_other(graph):
    kinds = {m for m in graph if m.startswith("sim.model.agents.") and m != "sim.model.agents"}
    for kind in kinds:
        assert not (graph[kind] & kinds), f"{kind} imports another agent kind: {graph[kind] & kinds}"
        assert "sim.model.formulas" in graph[kind] or kind.endswith(".region"), kind


# --- the checker itself fails on a bad graph -------------------------------------------


def test_checker_finds_a_cycle():
    fake = {"sim.model.a": {"sim.model.b"}, "sim.model.b": {"sim.model.c"}, "sim.model.c": {"sim.model.a"}}
    assert find_cycle(fake) == ["sim.model.a", "sim.model.b", "sim.model.c", "sim.model.a"]
    assert find_cycle({"x": {"x"}}) == ["x", "x"]
    assert find_cycle({"sim.model.a": {"sim.model.b"}, "sim.model.b": set()}) is None


def test_checker_finds_an_upward_import():
    fake = {
        "sim.model.params": {"sim.experiments.scenario"},  # model importing experiments: wrong
        "sim.analysis.plots": {"sim.model.framework"},  # downwards: fine
        "sim.cli.commands": {"sim.analysis.report"},
        "sim.analysis.report": {"sim.cli.common"},  # analysis importing cli: wrong
    }
    assert upward_imports(fake) == [
        ("sim.analysis.report", "sim.cli.common"),
        ("sim.model.params", "sim.experiments.scenario"),
    ]


def test_checker_reads_lazy_type_only_and_relative_imports(tmp_path):
    pkg = tmp_path / "sim"
    (pkg / "model").mkdir(parents=True)
    (pkg / "experiments").mkdir()
    for init in (pkg, pkg / "model", pkg / "experiments"):
        (init / "__init__.py").write_text("")
    (pkg / "model" / "params.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sim.experiments.scenario import Scenario\n"
    )
    (pkg / "model" / "world.py").write_text("def build():\n    from . import params\n    return params\n")
    (pkg / "experiments" / "scenario.py").write_text("from ..model.params import X\nimport sim.model.world\n")
    graph = import_graph(pkg)
    assert graph["sim.model.params"] == {"sim.experiments.scenario"}
    assert graph["sim.model.world"] == {"sim.model.params"}
    assert graph["sim.experiments.scenario"] == {"sim.model.params", "sim.model.world"}
    assert find_cycle(graph) == ["sim.experiments.scenario", "sim.model.params", "sim.experiments.scenario"]
    assert upward_imports(graph) == [("sim.model.params", "sim.experiments.scenario")]


# --- shipped data ----------------------------------------------------------------------


def test_shipped_files_are_package_data():
    """The baseline scenario (the default of `Params`) and the other shipped files live in
    the package and are declared as package data, so an installed copy finds them too;
    scenarios/ and experiments/ at the repository root point at the same folders."""
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["sim"]
    for folder in ("kazakhstan", "scenarios", "experiments"):
        assert f"data/{folder}/*" in globs
        assert any((PACKAGE / "data" / folder).iterdir())
    assert (PACKAGE / "data" / "scenarios" / "kazakhstan_baseline.yaml").is_file()
    for link in ("scenarios", "experiments"):
        assert (ROOT / link).resolve() == (PACKAGE / "data" / link).resolve()
