"""The tree is the architecture: shared layers below capabilities, interfaces on top, and no
import cycles. Every ``import`` of rnnkit in the package is read (function-level ones too: a
cycle through a lazy import still recurses at run time)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rnnkit"
#: Each top-level part of the package and its layer; a module imports only from its own part
#: and from lower layers.
LAYERS = {
    "errors": 0,
    "core": 1,
    "data": 2,
    "models": 2,
    "numpy_rnn": 2,
    "training": 3,
    "decoding": 3,
    "embed": 4,  # word vectors: a capability that the others may start from
    "lm": 5,
    "classify": 5,
    "timeseries": 5,
    "seq2seq": 5,
    "tabular": 5,
    "cli": 6,
}
#: Capabilities of one layer stay independent of each other.
INDEPENDENT = {"lm", "classify", "timeseries", "seq2seq", "tabular"}
#: The package's face re-exports the public classes lazily, by name.
FACE = {"__init__", "__main__"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The rnnkit modules that ``path`` imports (anywhere in it)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []  # imports for type checkers only never run
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("rnnkit")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base.startswith("rnnkit"):
                found |= {f"{base}.{a.name}" for a in node.names} | {base}
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        # "from rnnkit.core import checkpoint" names a module; "from rnnkit.x import Class" a
        # name in module rnnkit.x: keep what is a module.
        graph[name] = {m for m in _imports(path) if m in files and m != name}
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = [*path[path.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            if _part(nxt) not in FACE:  # the face imports lazily, from everything
                visit(nxt, [*path, node])
        done.add(node)

    for start in sorted(graph):
        visit(start, [])


def test_arrows_point_down() -> None:
    wrong = []
    for module, imported in sorted(_graph().items()):
        here = _part(module)
        if here in FACE or here not in LAYERS:
            continue
        for other in imported:
            there = _part(other)
            if there == here or (there == "__init__" and other == "rnnkit"):
                continue
            up = there in FACE or LAYERS.get(there, 99) > LAYERS[here]
            sideways = here in INDEPENDENT and there in INDEPENDENT
            if up or sideways:
                wrong.append(f"{module} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_every_part_has_a_layer() -> None:
    parts = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert parts | (modules - FACE) <= set(LAYERS)


def test_the_kind_names_the_classifier_knows_are_the_language_models() -> None:
    # classify/ reads a word-LM checkpoint without importing lm/: the kind is written twice.
    from rnnkit.classify.warmstart import WORD_LM
    from rnnkit.lm.wordlm import KIND

    assert WORD_LM == KIND
