"""The installed package holds every subpackage (a non-editable install must import them all)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "dmde.*" in include, "subpackages of dmde must be included in the wheel"
    subpackages = [p.parent for p in (ROOT / "dmde").rglob("__init__.py")]
    assert ROOT / "dmde" / "audit" in subpackages
