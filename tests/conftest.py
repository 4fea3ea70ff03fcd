"""Fixtures shared by the whole suite: one synthetic population and one fitted model per session.

Building a population and fitting a family of scorecards is most of the cost of a test module;
modules that need *a* realistic world (not a particular seed or size) use these. They are shared:
a test that changes a frame works on a copy (``population.copy()``).

A module that needs its own world (a planted effect, a size, a seed whose value a test states)
defines a fixture of its own, which takes precedence over these.

It also holds the helpers several test modules share (``from conftest import ...``): ``vouch``
makes a manifest for hand-made outputs, ``read_rejects`` reads a rejects file and
``assert_agree`` checks that validate and score name the same rows.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from dmde.data.manifest import sha256_file
from dmde.data.problems import ValidationReport
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


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The lines of a rejects file (``dmde score``), each value whole."""
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a rejected value is shown whole (the huge field's 2 MB)
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            return list(csv.DictReader(stream))
    finally:
        csv.field_size_limit(limit)


def assert_agree(report: ValidationReport, rejects: list[dict[str, str]], read: set[str]) -> None:
    """validate's problems and score's rejects name the same rows under the same rules.

    Every problem of a column score reads (or of a whole row) with a count: the same number of
    rows in the rejects under that column and rule, and the first five the same rows.
    """
    by_key: dict[tuple[str | None, str], set[int]] = defaultdict(set)
    for line in rejects:
        by_key[line["column"] or None, line["rule"]].add(int(line["row"]))
    expected: set[tuple[str | None, str]] = set()
    for problem in report.problems:
        if problem.count == 0 or (problem.column is not None and problem.column not in read):
            continue
        key = (problem.column, problem.rule)
        expected.add(key)
        rows = sorted(by_key.get(key, ()))
        assert len(rows) == problem.count, (key, rows, problem)
        assert rows[: len(problem.examples)] == [r for r, _ in problem.examples], (key, problem)
    found = {k for k in by_key if k[1] != "no_model"}
    assert found == expected, (found, expected)
