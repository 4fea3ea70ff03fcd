"""Reading an audit's input files (dmde.audit.inputs): dmde's outputs, another system's table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dmde import ScorecardFamily, load_model, save_model, select
from dmde.audit.inputs import audit_files, audit_table, read_table
from dmde.audit.settings import AuditError, AuditSettings
from dmde.audit.targeting import GROUP_ATTRIBUTES
from dmde.batch.scoring import score_file
from dmde.cli import main
from dmde.data.datasets import read_dataset
from dmde.data.synthetic import write_population

ROWS, CONTROLS, BUDGET = 8_000, 1_500, 300
SETTINGS = AuditSettings(n_boot=50, seed=3, intersections=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, family_file: Path) -> dict[str, Path]:
    """A population scored by the shared model and a selection, as dmde's commands leave them."""
    root = tmp_path_factory.mktemp("audit-inputs")
    write_population(root / "population.parquet", ROWS, seed=12, controls=CONTROLS)
    score_file(family_file, root / "population.parquet", root / "scores.parquet")
    scores = pd.read_parquet(root / "scores.parquet")
    chosen = select(scores, budget=BUDGET, random_share=0.05, seed=1).frame
    chosen[["dossier_id", "selection_reason"]].to_csv(root / "selection.csv", index=False)
    return {
        "scores": root / "scores.parquet",
        "population": root / "population.parquet",
        "model": family_file,
        "selection": root / "selection.csv",
    }


@pytest.fixture(scope="module")
def result(world: dict[str, Path]) -> Any:
    return audit_files(**world, settings=SETTINGS)


def test_the_audit_joins_dmde_outputs(result: Any, world: dict[str, Path]) -> None:
    assert result.data["rows"] == ROWS
    assert result.data["selected"] == BUDGET
    assert result.data["selected_by_score"] + result.data["selected_at_random"] == BUDGET
    assert result.data["sample_rows"] == CONTROLS
    assert result.data["dmde_inputs"] is True
    assert result.model["sha256"] == load_model(world["model"]).model_sha256_
    assert result.exclusion["identical"] is True
    national = result.overall.set_index("metric")
    rate = national.loc["selection_rate"]
    assert rate["value"] == pytest.approx(result.data["selected_by_score"] / ROWS)
    assert rate["ci_low"] < rate["value"] < rate["ci_high"]
    assert national.loc["base_rate", "n"] == CONTROLS  # from the random sample
    # Selection metrics come from every file, error metrics from the random sample only.
    m = result.groups.metrics
    share = m[(m["metric"] == "population_share") & (m["attribute"] == "gender")]
    assert share["n"].sum() == ROWS
    base = m[(m["metric"] == "base_rate") & (m["attribute"] == "gender")]
    assert base["n"].sum() == CONTROLS
    # One correction over every test of both parts.
    d = result.groups.disparities
    assert result.groups.method["n_tested"] == int(d["tested"].sum())
    assert (d.loc[d["tested"], "p_adjusted"] >= d.loc[d["tested"], "p_value"] - 1e-15).all()


def test_the_settings_pass_through(result: Any) -> None:
    parameters = result.parameters
    assert (parameters["n_boot"], parameters["seed"], parameters["intersections"]) == (50, 3, False)
    assert (parameters["min_cell"], parameters["correction"], parameters["alpha"]) == (
        30,
        "holm",
        0.05,
    )
    assert parameters["band"] == (0.8, 1.25) and parameters["proxy_rows"] == 20_000
    assert result.groups.method["n_boot"] == 50 and result.groups.method["seed"] == 3
    assert " × " not in "".join(result.groups.metrics["attribute"])  # no intersections


def test_other_settings_change_the_audit(world: dict[str, Path]) -> None:
    settings = AuditSettings(
        n_boot=20, seed=9, min_cell=400, correction="bh", band=(0.5, 2.0), intersections=False
    )
    other = audit_files(**world, attributes=["gender", "age_band"], settings=settings)
    method = other.groups.method
    assert (method["n_boot"], method["seed"], method["correction"]) == (20, 9, "bh")
    assert method["band"] == [0.5, 2.0] and method["min_cell"] == 400
    metrics = other.groups.metrics
    assert (metrics.loc[metrics["n"] < 400, "suppressed"]).all()
    assert other.data["attributes"] == ["gender", "age_band"]


def test_reference_groups_are_the_declared_ones(result: Any) -> None:
    """Not the largest group of the day (a 50/50 attribute would flip with the data)."""
    used = result.groups.method["reference"]
    for attribute in result.data["attributes"]:
        assert used[attribute] == GROUP_ATTRIBUTES[attribute].reference


def test_a_reference_in_the_settings_replaces_the_declared_one(world: dict[str, Path]) -> None:
    settings = AuditSettings(n_boot=20, intersections=False, reference={"gender": "male"})
    other = audit_files(**world, attributes=["gender", "aah"], settings=settings)
    assert other.groups.method["reference"] == {"gender": "male", "aah": "no AAH"}
    assert other.parameters["reference"] == {"gender": "male", "aah": "no AAH"}


def test_scores_from_another_model_are_refused(world: dict[str, Path], tmp_path: Path) -> None:
    people = read_dataset(world["population"])
    checked = people[people["controlled"] == 1]
    other = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    save_model(other, tmp_path / "other.json")
    with pytest.raises(AuditError, match=r"scores\.parquet was scored by the model .*other\.json"):
        audit_files(**(world | {"model": tmp_path / "other.json"}), settings=SETTINGS)


# --------------------------------------------------------------------------------------------
# Bad inputs: each names the file and the column
def _scores(world: dict[str, Path], tmp_path: Path, change: str) -> Path:
    scores = pd.read_parquet(world["scores"])
    if change == "no-probability":
        scores = scores.drop(columns=["probability"])
    elif change == "repeated-id":
        scores.loc[1, "dossier_id"] = scores.loc[0, "dossier_id"]
    elif change == "fewer":
        scores = scores.iloc[:-10]
    path = tmp_path / "scores.csv"
    scores.to_csv(path, index=False)
    return path


def _selection(world: dict[str, Path], tmp_path: Path, change: str) -> Path:
    chosen = pd.read_csv(world["selection"])
    if change == "stray":
        chosen.loc[0, "dossier_id"] = 10**9
    elif change == "reason":
        chosen.loc[0, "selection_reason"] = "manual"
    elif change == "no-reason":
        chosen = chosen.drop(columns=["selection_reason"])
    path = tmp_path / "selection.csv"
    chosen.to_csv(path, index=False)
    return path


FILE_MISTAKES = [
    (
        "scores",
        "no-probability",
        r"scores file '.*scores\.csv' cannot be read as csv: .*'probability'",
    ),
    ("scores", "repeated-id", r"scores\.csv: dossier_id must be unique and present"),
    ("scores", "fewer", r"files of .*population\.parquet have no score in .*scores\.csv"),
    ("selection", "stray", r"selection\.csv: 1 selected files are not in the population"),
    ("selection", "reason", r"selection\.csv: selection_reason must be 'score' or 'random'"),
    ("selection", "no-reason", r"selection\.csv: missing column\(s\) selection_reason"),
]


@pytest.mark.parametrize(
    ("which", "change", "match"),
    FILE_MISTAKES,
    ids=[f"{which}-{change}" for which, change, _ in FILE_MISTAKES],
)
def test_bad_files_are_named_with_their_column(
    world: dict[str, Path], tmp_path: Path, which: str, change: str, match: str
) -> None:
    make = _scores if which == "scores" else _selection
    changed = world | {which: make(world, tmp_path, change)}
    if which == "scores":
        changed["selection"] = None  # type: ignore[assignment]
    with pytest.raises(AuditError, match=match):
        audit_files(**changed, budget=BUDGET, settings=SETTINGS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": "truth"}, r"missing|truth_target"),
        ({"labels": "survey"}, r"labels must be one of controls, truth, none; got 'survey'"),
        ({"attributes": ["gender", "religion"]}, r"unknown group attribute\(s\) \['religion'\]"),
    ],
    ids=["truth-absent", "unknown-labels", "unknown-attribute"],
)
def test_bad_options_of_audit_files(
    world: dict[str, Path], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(Exception, match=match) as caught:
        audit_files(**world, settings=SETTINGS, **kwargs)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("t.txt", "a\n1\n", r"t\.txt: expected a \.csv or \.parquet file, got '\.txt'"),
        ("absent.csv", None, r"absent\.csv: no such file"),
        ("t.csv", "s,g,g\n1,x,y\n", r"t\.csv: the column\(s\) 'g' appear more than once"),
        ("t.csv", "s,g\n", r"t\.csv: the table has no rows \(only a header\)"),
        ("t.parquet", "not parquet", r"table '.*t\.parquet' cannot be read as parquet: "),
    ],
    ids=["suffix", "absent", "repeated-column", "header-only", "not-parquet"],
)
def test_read_table_names_the_file(
    tmp_path: Path, name: str, content: str | None, match: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(AuditError, match=match):
        read_table(path)


def _table(tmp_path: Path) -> Path:
    path = tmp_path / "other.csv"
    pd.DataFrame(
        {"risk": [0.1, 0.9, 0.5, 0.3], "flag": [0, 1, 1, 0], "g": ["a", "b", "a", "b"]}
    ).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groups": []}, r"name at least one group column"),
        ({"groups": ["g", "nope"]}, r"other\.csv: missing column\(s\) nope"),
        ({"groups": ["g"], "score": "g", "selected": "flag"}, r"score column 'g' must be numeric"),
        ({"groups": ["g"], "method_values": {"score": "x"}}, r"--method-values maps the values"),
        ({"groups": ["g"], "score": "risk"}, r"say who was selected"),
    ],
    ids=["no-groups", "absent-group", "text-score", "values-without-method", "no-selection"],
)
def test_bad_options_of_audit_table(tmp_path: Path, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(AuditError, match=match):
        audit_table(_table(tmp_path), settings=SETTINGS, **kwargs)


def test_audit_table_passes_the_settings(tmp_path: Path) -> None:
    settings = AuditSettings(n_boot=10, seed=4, min_cell=1, reference={"g": "b"})
    result = audit_table(
        _table(tmp_path), groups=["g"], score="risk", selected="flag", settings=settings
    )
    assert result.groups.method["reference"] == {"g": "b"}
    assert (result.parameters["n_boot"], result.parameters["seed"]) == (10, 4)
    assert result.data["labels"] is None and result.data["dmde_inputs"] is False


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("s,g,g,c\n1.0,x,y,1\n2.0,y,x,0\n", [], "the column\\(s\\) 'g' appear more than once"),
        ("s,g,c\n", [], "the table has no rows \\(only a header\\)"),
        ("s,g,c,o\n1.0,x,1,2\n2.0,y,0,1\n", ["--label-column", "o"], "label column 'o' holds '2'"),
    ],
    ids=["duplicated-column", "header-only", "label-not-0-1"],
)
def test_almost_right_tables_are_refused(
    content: str,
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = tmp_path / "t.csv"
    table.write_text(content, encoding="utf-8")
    args = ["audit", "--table", str(table), "--score-column", "s", "--selected-column", "c"]
    assert main([*args, "--group-columns", "g", *extra, "--out", str(tmp_path / "r.html")]) == 1
    assert re.search(message, capsys.readouterr().err)
