"""The layout shows the layers, and a test enforces them (docs/architecture.md).

dmde's folders are its layers, lowest first. A module imports only from lower layers or from its
own folder, and the modules of a folder do not import each other in a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from dmde.data.catalog import CATALOG, Family

PACKAGE = Path(__file__).resolve().parents[1] / "dmde"

# Lowest first. A unit (a folder, or a module at the top) may import units of lower layers only.
LAYERS: list[set[str]] = [
    {"_version"},
    {"core"},
    {"data"},
    {"model"},
    {"batch"},
    {"audit"},
    {"documents"},
    {"demo"},
    {"__init__", "cli", "__main__"},
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
FOLDERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())

# Modules by dotted name below dmde: "data.catalog", "audit.run", "cli", "model" (a package's
# __init__ is the package itself).
FILES: dict[str, Path] = {p.stem: p for p in PACKAGE.glob("*.py")}
for _folder in FOLDERS:
    for _path in (PACKAGE / _folder).glob("*.py"):
        FILES[_folder if _path.stem == "__init__" else f"{_folder}.{_path.stem}"] = _path
MODULES = sorted(FILES)


def unit(module: str) -> str:
    return module.split(".")[0]


def dmde_imports(module: str) -> set[str]:
    """The dmde modules that ``module`` imports, by dotted name below dmde."""
    tree = ast.parse(FILES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dmde"):
            base = node.module.removeprefix("dmde").removeprefix(".")
            for alias in node.names:
                name = f"{base}.{alias.name}" if base else alias.name
                found.add(name if name in FILES else base or alias.name)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("dmde.") for a in node.names if a.name.startswith("dmde.")
            )
    return found


def test_every_folder_and_module_has_a_layer() -> None:
    assert {unit(m) for m in MODULES} <= set(LAYER_OF), "add new folders to LAYERS"


def test_only_the_layers_sit_at_the_top() -> None:
    # The tree shows the layers: the top holds the folders and the shell (cli, demo) only.
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "_version", "demo"]


@pytest.mark.parametrize("module", MODULES)
def test_imports_only_lower_layers(module: str) -> None:
    own = unit(module)
    for imported in dmde_imports(module):
        other = unit(imported)
        if other == own:
            continue
        if own in {"__init__", "__main__"}:
            assert LAYER_OF[other] <= LAYER_OF[own], f"{module} imports {imported}"
        else:
            assert LAYER_OF[other] < LAYER_OF[own], f"{module} imports {imported}"


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> Iterator[list[str]]:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                yield [*path, node, nxt]
            elif nxt not in state:
                yield from visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            yield from visit(node, [])


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_import_cycle_within_a_folder(folder: str) -> None:
    inside = [m for m in MODULES if unit(m) == folder and m != folder]
    graph = {m: {i for i in dmde_imports(m) if i in inside and i != m} for m in inside}
    assert list(_cycles(graph)) == []


# The synthetic world: where households, their truth and the excluded columns are made.
SYNTHETIC_WORLD = {
    "data.synthetic",
    "data.synthetic_households",
    "data.synthetic_truth",
    "data.synthetic_panel",
}


@pytest.mark.parametrize("module", [m for m in MODULES if unit(m) in {"model", "batch"}])
def test_model_side_never_imports_the_synthetic_world(module: str) -> None:
    # The modules that build and apply a model read only what an agency's scoring file holds.
    assert not SYNTHETIC_WORLD & dmde_imports(module)


# The sensitive and address columns (what the audit groups by) are named only where they are made
# (the synthetic world), declared (the catalog), audited (the audit) and offered as the audit's
# options (the command line's --groups help). Anyone else reaches them
# through the audit's group module.
GROUP_FAMILIES = {Family.SENSITIVE, Family.ADDRESS}
GROUP_COLUMNS = {name for name, c in CATALOG.items() if c.family in GROUP_FAMILIES}
# The command line passes the attribute names the user typed on to the audit.
MAY_NAME_GROUPS = {"data.catalog", "cli.options", *SYNTHETIC_WORLD}
GROUP_NAMES = {"ATTRIBUTE_SOURCES", "GROUP_ATTRIBUTES", "group_columns"}


def _names_groups(module: str) -> list[str]:
    tree = ast.parse(FILES[module].read_text(encoding="utf-8"))
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in GROUP_COLUMNS:
            hits.append(f"line {node.lineno}: {node.value!r}")
        if isinstance(node, ast.Attribute) and node.attr in {"SENSITIVE", "ADDRESS"}:
            hits.append(f"line {node.lineno}: Family.{node.attr}")
        if isinstance(node, ast.ImportFrom):
            hits += [f"line {node.lineno}: {a.name}" for a in node.names if a.name in GROUP_NAMES]
    return hits


@pytest.mark.parametrize(
    "module", [m for m in MODULES if unit(m) != "audit" and m not in MAY_NAME_GROUPS]
)
def test_only_the_audit_and_the_synthetic_world_read_group_columns(module: str) -> None:
    assert _names_groups(module) == []


def test_the_group_column_check_can_fail() -> None:
    assert _names_groups("data.synthetic") != []
    assert {"gender", "nationality_group", "priority_neighbourhood"} <= GROUP_COLUMNS
