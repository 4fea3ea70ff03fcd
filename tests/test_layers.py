"""Import boundaries: a module imports only from lower layers (docs/architecture in DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dmde"

# Lowest first. A module may import dmde modules of strictly lower layers only.
LAYERS: list[set[str]] = [
    {"_version", "errors"},
    {"files"},
    {"catalog", "manifest", "rendering", "stats"},
    {"datasets"},
    {"synthetic", "features", "scorecard"},
    {"model"},
    {"persistence", "training"},
    {"scoring", "selection"},
    {"audit", "explain", "describe"},
    {"compare", "demo"},
    {"__init__", "cli", "__main__"},
]
# The modules that build and apply a model never see the synthetic world (where the truth and
# the excluded columns are made): they read only what a real agency's scoring file would hold.
MODEL_SIDE = {"features", "scorecard", "model", "persistence", "scoring", "selection"}
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def _dmde_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dmde"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("dmde."))
    return found


# Modules by file: a subpackage (dmde/audit/) is one unit of the layering, whose files may
# import each other.
FILES = {p.stem: p for p in PACKAGE.glob("*.py")}
FILES |= {f"audit/{p.stem}": p for p in (PACKAGE / "audit").glob("*.py")}
UNIT = {name: name.split("/")[0] for name in FILES}
MODULES = sorted(FILES)


def test_every_module_has_a_layer() -> None:
    # Names may be listed before their module is written; every module must be listed.
    assert set(UNIT.values()) <= set(LAYER_OF), "add new modules to LAYERS in test_layers.py"


@pytest.mark.parametrize("module", MODULES)
def test_imports_only_lower_layers(module: str) -> None:
    unit = UNIT[module]
    for imported in _dmde_imports(FILES[module]):
        if unit in {"__init__", "__main__", "cli"} and imported in LAYER_OF:
            assert LAYER_OF[imported] <= LAYER_OF[unit]
            continue
        if imported == unit:  # within a subpackage
            continue
        assert LAYER_OF[imported] < LAYER_OF[unit], f"{module} imports {imported}"


@pytest.mark.parametrize("module", sorted(MODEL_SIDE))
def test_model_side_never_imports_the_synthetic_world(module: str) -> None:
    assert "synthetic" not in _dmde_imports(FILES[module])
