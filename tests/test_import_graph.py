"""The shape of the review package's imports, read from the source with ``ast`` (nothing is imported).

Two graphs of review.* modules: the module-level one (what runs when a module is imported: top-level
statements, class bodies, ``if``/``try`` blocks — not ``if TYPE_CHECKING:`` and not function bodies),
and the full one, which adds the imports made inside functions. A cycle in the first breaks imports
outright; a cycle in the second only hides behind a function-level import, which is how such cycles
used to be papered over. Neither may have one. The demo seeds through the features' operations, so
features never import the demo back."""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import review

ROOT = Path(review.__file__).parent

# Function-level imports that close a cycle on purpose, with the reason. Keep this short.
ALLOWED_FUNCTION_LEVEL_EDGES = {
    # Archive build workers are spawned processes: each makes its own app with the factory, and the
    # factory registers every package's CLI (archive's and the demo's, whose --archive invokes it).
    ("review.archive.cli", "review"),
}

# The app factory registers the `flask demo` command: the one module outside review.demo that imports it.
DEMO_IMPORTERS_ALLOWED = {"review"}


@cache
def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name → (file, is a package) for every module of the review package."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts.pop()
        out[".".join(parts)] = (path, package)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.Module, *, in_functions: bool):
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the body never runs: annotations only
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and not in_functions:
            continue
        else:
            stack.extend(ast.iter_child_nodes(node))


def _known(name: str) -> str | None:
    """The review module that ``name`` (a module, or a name inside one) belongs to."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _targets(module: str, package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            here = (module if package else module.rpartition(".")[0]).split(".")
            base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        # `from . import x` imports the submodule x when there is one, else a name of the package.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules() else base for a in node.names]
    found = {_known(n) for n in names if n == "review" or n.startswith("review.")}
    return {t for t in found if t is not None and t != module}


@cache
def graph(in_functions: bool) -> dict[str, frozenset[str]]:
    out = {}
    for name, (path, package) in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out[name] = frozenset(t for node in _import_nodes(tree, in_functions=in_functions)
                              for t in _targets(name, package, node))
    return out


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_graph_sees_relative_absolute_and_package_imports():
    """Guards the checks below against passing on a graph that misses edges."""
    top, full = graph(False), graph(True)
    assert "review.extensions" in top["review.ballots.voting"]           # from ..extensions import db
    assert "review.ballots.models" in top["review.ballots.voting"]       # from .models import …
    assert "review.ballots.voting" in top["review.ballots.routes"]       # from . import voting
    assert "review.ballots.cli" not in top["review"]                     # inside create_app's helpers …
    assert "review.ballots.cli" in full["review"]                        # … seen by the full graph
    assert "review.pdf" not in top["review.ballots.slips"]               # under TYPE_CHECKING / in functions
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) \
        == [["a", "b", "c"]]


def test_no_import_cycles_at_module_level():
    assert cycles(graph(False)) == []


def test_no_import_cycles_hidden_in_function_level_imports():
    edges = {m: frozenset(t for t in ts if (m, t) not in ALLOWED_FUNCTION_LEVEL_EDGES)
             for m, ts in graph(True).items()}
    assert cycles(edges) == []
    # An allowance that no longer matches an import is stale: drop it from the list.
    assert all(t in graph(True)[m] for m, t in ALLOWED_FUNCTION_LEVEL_EDGES)


def test_only_the_demo_imports_the_demo():
    """Features never import review.demo, not even inside a function: the demo imports them."""
    def is_demo(name: str) -> bool:
        return name == "review.demo" or name.startswith("review.demo.")

    offenders = sorted((m, t) for m, ts in graph(True).items() if not is_demo(m) and m not in DEMO_IMPORTERS_ALLOWED
                       for t in ts if is_demo(t))
    assert offenders == []
