"""Fixtures shared by the whole suite: one synthetic population and one fitted model per session.

Building a population and fitting a family of scorecards is most of the cost of a test module;
modules that need *a* realistic world (not a particular seed or size) use these. They are shared:
a test that changes a frame works on a copy (``population.copy()``).

A module that needs its own world (a planted effect, a size, a seed whose value a test states)
defines a fixture of its own, which takes precedence over these.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from dmde.data.manifest import sha256_file
from dmde.data.synthetic import synthesize
from dmde.model.model_file import save_model
from dmde.model.scorecard import ScorecardFamily

# The shared world: big enough for stable scorecards (5,000 random controls, two periods),
# small enough to build in about a second.
ROWS, CONTROLS, SEED = 20_000, 5_000, 41


@pytest.fixture(scope="session")
def population() -> pd.DataFrame:
    """A synthetic population of 20,000 households with 5,000 random controls (seed 41)."""
    return synthesize(ROWS, seed=SEED, controls=CONTROLS)


@pytest.fixture(scope="session")
def checked(population: pd.DataFrame) -> pd.DataFrame:
    """The random-control sample of :func:`population`: the rows with a label."""
    return population[population["controlled"] == 1]


@pytest.fixture(scope="session")
def family(checked: pd.DataFrame) -> ScorecardFamily:
    """The default model family (one scorecard per period), fitted on the random controls."""
    return ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])


@pytest.fixture(scope="session")
def family_file(family: ScorecardFamily, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`family` saved as a model file."""
    path = tmp_path_factory.mktemp("shared-model") / "model.json"
    save_model(family, path)
    return path


def vouch(manifest: Path, *files: Path, record: dict[str, object] | None = None) -> Path:
    """Write ``manifest`` vouching for ``files`` as they are now (for hand-made test outputs).

    Keeps what an existing manifest says of its run (``record`` replaces it when given).
    """
    previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    head = {k: v for k, v in (record or previous).items() if k not in ("status", "files")}
    listed = {
        Path(os.path.relpath(f, manifest.parent)).as_posix(): {
            "bytes": f.stat().st_size,
            "sha256": sha256_file(f),
        }
        for f in files
    }
    text = json.dumps({**head, "status": "complete", "files": listed}, indent=2)
    manifest.write_text(text + "\n", encoding="utf-8")
    return manifest
