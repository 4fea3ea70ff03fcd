"""Model diff: no change against itself, exactly the changed points after a retrain."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.batch.selection import select_top
from dmde.cli import main
from dmde.core.errors import DmdeError
from dmde.core.rendering import to_text
from dmde.data.datasets import arrow_schema, read_dataset, write_batches
from dmde.data.synthetic import write_population
from dmde.documents.compare import (
    CompareError,
    Comparison,
    compare_selections,
    comparison_document,
    diff,
    diff_files,
    write_comparison,
)
from dmde.model.model_file import read_model_file, save_model
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import training_data

BUDGET = 300


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compare")


def _population(folder: Path, seed: int) -> Path:
    path = folder / f"population-{seed}.parquet"
    write_population(path, 30_000, seed=seed, controls=5_000)
    return path


def _train(data_path: Path, out: Path, **scorecard: Any) -> Path:
    data = training_data(read_dataset(data_path))
    model = ScorecardFamily(scorecard=Scorecard(**scorecard))
    model.fit(data.X, data.y, sample_weight=data.weight)
    save_model(model, out, training={"target": "target", "data_file": data_path.name})
    return out


@pytest.fixture(scope="module")
def population(folder: Path) -> Path:
    return _population(folder, 8)


@pytest.fixture(scope="module")
def old(folder: Path, population: Path) -> Path:
    return _train(population, folder / "old.json")


@pytest.fixture(scope="module")
def retrained(folder: Path) -> Path:
    """The same procedure on another survey draw (another seed)."""
    return _train(_population(folder, 9), folder / "retrained.json")


@pytest.fixture(scope="module")
def reduced(folder: Path, population: Path, old: Path) -> Path:
    """Same data, one feature fewer and another points scaling."""
    features = list(read_model_file(old).features)
    return _train(
        population,
        folder / "reduced.json",
        features=[f for f in features if f != "mean_cf_12m"],
        scaling=PointsScaling(pdo=40.0),
    )


@pytest.fixture(scope="module")
def self_diff(old: Path, population: Path) -> Comparison:
    return diff(old, old, population=population, budget=BUDGET)


@pytest.fixture(scope="module")
def retrain_diff(old: Path, retrained: Path, population: Path) -> Comparison:
    return diff(old, retrained, population=population, budget=BUDGET)


def _points(path: Path) -> dict[tuple[str, str, str], float]:
    document = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for name, segment in document["segments"].items():
        out[(name, "intercept", "every file")] = float(segment["intercept_points"])
        for variable in segment["variables"]:
            for label, value in zip(variable["bin_labels"], variable["points"], strict=True):
                out[(name, variable["name"], label)] = float(value)
    return out


def test_a_model_against_itself_changes_nothing(self_diff: Comparison, tmp_path: Path) -> None:
    models, selection = self_diff.models, self_diff.selection
    assert models.n_changes == 0 and models.points_changes == ()
    assert models.settings == () and models.features_added == models.features_removed == ()
    assert all(p.status == "unchanged" and p.change == 0 for p in models.points)
    assert selection is not None
    assert selection.n_changed == selection.entering == selection.leaving == 0
    assert selection.kept == selection.selected_old == selection.selected_new == BUDGET
    assert selection.spearman == pytest.approx(1.0)
    assert all(g.old == g.new and g.entering == g.leaving == 0 for g in selection.groups)
    written = write_comparison(self_diff, tmp_path / "self.html")
    text = (tmp_path / "self.md").read_text(encoding="utf-8")
    assert "The scorecards are identical" in text and "0 enter and 0 leave" in text
    assert {p.suffix for p in written} == {".html", ".md", ".json"}


def test_a_retrain_reports_exactly_the_changed_points(
    old: Path, retrained: Path, retrain_diff: Comparison
) -> None:
    before, after = _points(old), _points(retrained)
    expected = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys()}
    expected = {k: v for k, v in expected.items() if v[0] != v[1]}
    assert len(expected) > 20  # another survey draw moves cut points and points
    found = {
        (p.segment, p.feature, p.bin_label): (p.old, p.new)
        for p in retrain_diff.models.points_changes
    }
    assert found == expected
    unchanged = {(p.segment, p.feature, p.bin_label) for p in retrain_diff.models.points}
    assert unchanged - set(found) == {k for k in before.keys() & after.keys() if k not in expected}
    assert retrain_diff.models.n_changes == len(expected)  # no setting or feature changed


def test_a_retrain_moves_scores_and_selections(
    old: Path, retrained: Path, population: Path, retrain_diff: Comparison
) -> None:
    selection = retrain_diff.selection
    assert selection is not None
    frame = read_dataset(population)
    scores = {
        name: read_model_file(path).model.points(frame)
        for name, path in (("old", old), ("new", retrained))
    }
    shift = scores["new"] - scores["old"]
    assert selection.n_changed == int((shift != 0).sum()) > 0
    assert selection.shift["median"] == pytest.approx(float(np.median(shift)))
    assert sum(n for _, n in selection.bands) == selection.n_files == len(frame)
    assert selection.kept + selection.entering == BUDGET == selection.kept + selection.leaving
    assert selection.entering > 0
    by_attribute: dict[str, list[Any]] = {}
    for g in selection.groups:
        by_attribute.setdefault(g.attribute, []).append(g)
    assert set(by_attribute) >= {"gender", "nationality_group", "age_band", "income_band"}
    for groups in by_attribute.values():
        assert sum(g.old for g in groups) == sum(g.new for g in groups) == BUDGET
        assert sum(g.entering for g in groups) == selection.entering
        assert sum(g.population for g in groups) == len(frame)


def test_the_report_lists_every_change(retrain_diff: Comparison, tmp_path: Path) -> None:
    diff_json = tmp_path / "diff.json"
    write_comparison(retrain_diff, tmp_path / "diff.html")
    doc = json.loads(diff_json.read_text(encoding="utf-8"))
    rows = [
        row
        for section in doc["sections"]
        if section["id"] == "points"
        for block in section["blocks"]
        if block["type"] == "table"
        for row in block["rows"]
    ]
    assert {(r["segment"], r["feature"], r["bin"], r["old"], r["new"]) for r in rows} == {
        (p.segment, p.feature, p.bin_label, p.old, p.new)
        for p in retrain_diff.models.points_changes
    }
    assert doc["data"]["models"]["n_changes"] == retrain_diff.models.n_changes
    html = (tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "<script" not in html and "Who is selected" in html


def test_hashes_are_short_in_the_table_and_whole_below_it(
    retrain_diff: Comparison, tmp_path: Path
) -> None:
    """A 64-digit SHA-256 in a table cell overflowed the page: the table shows its first 12
    digits and "…", the full values follow it (and stay whole in the header and the JSON)."""
    m = retrain_diff.models
    write_comparison(retrain_diff, tmp_path / "diff.html")
    html = (tmp_path / "diff.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert f"{m.old_sha256[:12]}…" in cells and f"{m.new_sha256[:12]}…" in cells
    assert not [c for c in cells if re.search(r"[0-9a-f]{64}", c)]
    below = re.findall(r"<dd>([0-9a-f]{64})</dd>", html)
    assert m.old_sha256 in below and m.new_sha256 in below
    doc = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    assert doc["data"]["models"]["old_sha256"] == m.old_sha256
    training = {row[0]: row[1:] for row in doc["data"]["models"]["training"]}
    assert training["content hash (sha256)"] == [m.old_sha256, m.new_sha256]
    text = (tmp_path / "diff.md").read_text(encoding="utf-8")
    assert f"| content hash (sha256) | {m.old_sha256[:12]}… | {m.new_sha256[:12]}… |" in text


def test_a_removed_feature_and_a_new_scaling(old: Path, reduced: Path, tmp_path: Path) -> None:
    result = diff(old, reduced)
    assert result.selection is None
    assert result.models.features_removed == ("mean_cf_12m",)
    assert result.models.features_added == ()
    settings = {s.setting: (s.old, s.new) for s in result.models.settings}
    assert settings == {"scaling pdo": ("20.0", "40.0")}
    removed = [p for p in result.models.points if p.feature == "mean_cf_12m"]
    assert removed and all(p.status == "removed" and p.new is None for p in removed)


def test_groups_without_their_column_are_named(
    old: Path, retrained: Path, population: Path, tmp_path: Path
) -> None:
    frame = read_dataset(population).drop(columns=["gender", "age", "urban_rural"])
    smaller = tmp_path / "no-gender.parquet"
    write_batches(smaller, [frame], schema=arrow_schema(frame.columns))
    result = diff(old, retrained, population=smaller, budget=BUDGET)
    assert result.selection is not None
    assert result.selection.missing_groups == ("gender", "age_band", "urban_rural")
    attributes = {g.attribute for g in result.selection.groups}
    assert "gender" not in attributes and "household_type" in attributes
    text = " ".join(to_text(comparison_document(result)).split())
    lacking = "the population lacking their column: gender (gender), age_band (age), urban_rural"
    assert lacking in text


def test_compare_selections_matches_select_top() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    old = np.round(rng.normal(500, 20, n), 2)
    new = np.where(rng.random(n) < 0.3, np.round(old + rng.normal(0, 10, n), 2), old)
    scores = pd.DataFrame(
        {
            "dossier_id": np.arange(1, n + 1),
            "caf_code": "75",
            "score_old": old,
            "probability_old": 0.05,
            "score_new": new,
            "probability_new": 0.05,
        }
    )
    result = compare_selections(scores, budget=100, seed=5)
    top = {
        name: set(
            select_top(
                scores.rename(
                    columns={f"score_{name}": "score", f"probability_{name}": "probability"}
                ),
                budget=100,
                seed=5,
            )["dossier_id"]
        )
        for name in ("old", "new")
    }
    assert result.kept == len(top["old"] & top["new"])
    assert result.entering == len(top["new"] - top["old"])
    assert result.n_changed == int((old != new).sum())
    assert result.n_up == int((new > old).sum())


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"budget": 10}, CompareError, "population and budget go together"),
        ({"population": "POP"}, CompareError, "population and budget go together"),
        ({"population": "POP", "budget": 10**9}, DmdeError, "budget"),
    ],
    ids=["budget-alone", "population-alone", "budget-too-large"],
)
def test_diff_refusals(
    old: Path, population: Path, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    options = {k: population if v == "POP" else v for k, v in options.items()}
    with pytest.raises(error, match=message):
        diff(old, old, **options)


def test_the_report_never_replaces_a_model(old: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model.json"
    copy.write_bytes(old.read_bytes())
    with pytest.raises(
        CompareError, match=r"^out must name a new file: .*model.json would overwrite an input"
    ):
        diff_files(old, copy, tmp_path / "model.html")
    assert copy.read_bytes() == old.read_bytes()


def test_diff_command(
    old: Path,
    retrained: Path,
    population: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "diff.html"
    argv = ["diff", str(old), str(retrained), "--out", str(out)]
    assert main([*argv, "--population", str(population), "--budget", str(BUDGET)]) == 0
    printed = capsys.readouterr().out
    assert "changes in the scorecards" in printed and f"of {BUDGET} selected" in printed
    assert out.exists() and out.with_suffix(".md").exists() and out.with_suffix(".json").exists()
    assert main([*argv, "--budget", "10"]) == 2
    assert "--population and --budget go together" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "nope.json"), str(old), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "cannot read model file" in err and "Traceback" not in err


def test_a_hostile_model_file_name_is_shown_not_linked(old: Path, tmp_path: Path) -> None:
    """A file name is data: in diff.md it is text, and no format keeps a bidi control."""
    name = "[click](javascript:alert(1)) <b>x | y \u202eredro.json"
    hostile = tmp_path / name
    hostile.write_bytes(old.read_bytes())
    _, written = diff_files(hostile, old, tmp_path / "diff.html")
    md = (tmp_path / "diff.md").read_text(encoding="utf-8")
    assert "[click\\](javascript:alert(1)) &lt;b&gt;x \\| y redro.json" in md
    assert not re.search(r"(?<!\\)\]\(", md) and "<b>" not in md
    for path in written:
        assert "\u202e" not in path.read_text(encoding="utf-8")
