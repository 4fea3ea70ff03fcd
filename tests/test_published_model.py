"""A model file read as its checked tables (dmde.model.published_model): the same checks as
load_model, the same model, and ``dmde score`` without scikit-learn or scipy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dmde.cli import main
from dmde.core.stats import Z95
from dmde.data.synthetic import synthesize
from dmde.model import model_file_checks
from dmde.model.model_file import (
    ModelFileError,
    build_model,
    content_hash,
    load_model,
    save_model,
)
from dmde.model.published_model import read_published_model
from dmde.model.scorecard import Scorecard, ScorecardFamily


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A family model file, a single scorecard's, and a small population (CSV and Parquet)."""
    root = tmp_path_factory.mktemp("published")
    frame = synthesize(6_000, seed=5, controls=3_000)
    checked = frame[frame["controlled"] == 1]
    save_model(
        ScorecardFamily().fit(checked, checked["target"], checked["control_weight"]),
        root / "family.json",
    )
    save_model(
        Scorecard().fit(checked, checked["target"], checked["control_weight"]),
        root / "single.json",
    )
    for name in ("pop.csv", "pop.parquet"):
        assert (
            main(["synth", "--rows", "2000", "--seed", "6", "--quiet", "--out", str(root / name)])
            == 0
        )
    return root


def test_z95_written_out_is_core_stats() -> None:
    assert model_file_checks._Z95 == Z95


@pytest.mark.parametrize("name", ["family.json", "single.json"])
def test_the_tables_are_the_models(folder: Path, name: str) -> None:
    published = read_published_model(folder / name)
    model = load_model(folder / name)
    assert published.sha256 == model.model_sha256_
    scorecards = model.models_ if isinstance(model, ScorecardFamily) else {"all": model}
    assert list(published.segments) == list(scorecards)
    for segment, scorecard in scorecards.items():
        tables = published.segments[segment]
        assert tables.features == tuple(scorecard.features_)
        assert tables.intercept_points == scorecard.intercept_points_
        assert np.array_equal(tables.reference_points, scorecard.reference_points_)
        for mine, theirs in zip(tables.points, scorecard.bin_points_, strict=True):
            assert np.array_equal(mine, theirs)
    assert build_model(published).model_sha256_ == published.sha256


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format_version=2), r"unknown format version 2"),
        (lambda d: d.update(features=[*d["features"], "gender"]), r"gender"),
        (lambda d: d["segments"]["all"]["variables"][0]["points"].append(1.0), r"points"),
        (lambda d: d.update(sha256="0" * 64), r"content hash does not match"),
    ],
    ids=["version", "excluded-column", "points", "hash"],
)
def test_both_readers_refuse_with_the_same_message(
    folder: Path, tmp_path: Path, edit: object, message: str
) -> None:
    document = json.loads((folder / "single.json").read_text(encoding="utf-8"))
    edit(document)  # type: ignore[operator]
    if document["sha256"] != "0" * 64:
        document["sha256"] = content_hash(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(Exception, match=message) as published:
        read_published_model(path)
    with pytest.raises(Exception, match=message) as built:
        load_model(path)
    assert type(published.value) is type(built.value)
    assert str(published.value) == str(built.value)
    assert isinstance(published.value, ModelFileError) or "gender" in message


_RUN = """
import sys
from dmde.cli import main
code = main(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy"})
print("loaded:", ",".join(loaded) or "none")
sys.exit(code)
"""


@pytest.mark.parametrize(
    ("model", "source", "out", "extra"),
    [
        ("family.json", "pop.csv", "scores.csv", ["--reasons", "3"]),
        ("single.json", "pop.parquet", "scores.parquet", ["--reasons", "0"]),
    ],
    ids=["family-csv", "single-parquet"],
)
def test_dmde_score_imports_neither_scikit_learn_nor_scipy(
    folder: Path, tmp_path: Path, model: str, source: str, out: str, extra: list[str]
) -> None:
    argv = [
        "score",
        "--model",
        str(folder / model),
        "--input",
        str(folder / source),
        "--out",
        str(tmp_path / out),
        "--quiet",
        *extra,
    ]
    run = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "loaded: none"
    assert (tmp_path / out).exists()
