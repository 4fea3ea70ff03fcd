"""The model's public description: every point of the model file, measured figures, refusals."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import vouch

from dmde.batch.scoring import needed_columns, score_frame
from dmde.batch.selection import select_top
from dmde.cli import main
from dmde.core.stats import hanley_mcneil_se
from dmde.data.datasets import arrow_schema, read_dataset, write_batches
from dmde.data.synthetic import write_population
from dmde.documents.describe import (
    BUDGET_SHARE,
    TOP_FLAGS,
    DescribeError,
    auc_interval,
    describe_model,
    document_model,
    lift_at_share,
    read_model_file,
)
from dmde.documents.value_words import bin_text
from dmde.model.model_file import ModelFileError, frame_sha256, save_model
from dmde.model.scorecard import ScorecardFamily
from dmde.model.training import evaluate, training_data

SEED = 8
MODEL_CARD_SECTIONS = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Training data",
    "Evaluation data",
    "Ethical considerations",
    "Caveats and recommendations",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("describe")


@pytest.fixture(scope="module")
def population_path(folder: Path) -> Path:
    path = folder / "population.parquet"
    write_population(path, 30_000, seed=SEED, controls=5_000)
    return path


@pytest.fixture(scope="module")
def population(population_path: Path) -> pd.DataFrame:
    return read_dataset(population_path)


@pytest.fixture(scope="module")
def model_path(folder: Path, population: pd.DataFrame) -> Path:
    data = training_data(population)
    model = ScorecardFamily().fit(data.X, data.y, sample_weight=data.weight)
    report = evaluate(model, data, cv=3, seed=SEED)
    facts = {
        "target": "target",
        "date": "2026-01-15",
        "data_file": "population.parquet",
        "data_sha256": frame_sha256(data.X),
        "auc_train": report.auc_train,
        "auc_cv": report.auc_cv,
    }
    path = folder / "model.json"
    save_model(model, path, training=facts)
    return path


@pytest.fixture(scope="module")
def written(folder: Path, model_path: Path, population_path: Path) -> Path:
    out = folder / "docs"
    document_model(model_path, out, data=population_path, n_boot=300, seed=SEED)
    return out


def _model_points(model_path: Path) -> set[tuple[str, str, str, float]]:
    """Every published point of the model file, each bin worded as the notices word it."""
    document = json.loads(model_path.read_text(encoding="utf-8"))
    binnings = {
        (name, v.name): v.binning
        for name, segment in read_model_file(model_path).segments.items()
        for v in segment.variables
    }
    points = set()
    for name, segment in document["segments"].items():
        points.add((name, "intercept", "every file", float(segment["intercept_points"])))
        for variable in segment["variables"]:
            binning = binnings[(name, variable["name"])]
            for b, value in enumerate(variable["points"]):
                points.add((name, variable["name"], bin_text(binning, b, lang="en"), float(value)))
    return points


def _table_rows(doc: dict[str, Any], section_prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (section["id"], row)
        for section in doc["sections"]
        if section["id"].startswith(section_prefix)
        for block in section["blocks"]
        if block["type"] == "table"
        for row in block["rows"]
    ]


def test_every_point_of_the_model_file_is_published(model_path: Path, written: Path) -> None:
    expected = _model_points(model_path)
    assert len(expected) > 100  # two segments, 20 variables, several bins each
    described = describe_model(read_model_file(model_path))
    assert {(p.segment, p.feature, p.bin_label, p.points) for p in described.points} == expected
    doc = json.loads((written / "description.json").read_text(encoding="utf-8"))
    published = {
        (
            section.removeprefix("scorecard-"),
            row["feature"] or "intercept",
            row["bin"],
            row["points"],
        )
        for section, row in _table_rows(doc, "scorecard-")
        if "points" in row
    }
    assert published == expected
    markdown = (written / "description.md").read_text(encoding="utf-8")
    for _segment, feature, _label, value in expected:
        if feature != "intercept":
            assert f"| {feature} |" in markdown
        assert f"| {value:.2f} |".replace("-0.00", "0.00") in markdown


def test_every_variable_and_exclusion_is_published(model_path: Path, written: Path) -> None:
    document = json.loads(model_path.read_text(encoding="utf-8"))
    doc = json.loads((written / "description.json").read_text(encoding="utf-8"))
    variables = {row["column"] for _, row in _table_rows(doc, "variables")}
    assert variables == set(document["features"])
    excluded = {row["family"]: row["reason"] for _, row in _table_rows(doc, "excluded-data")}
    for family, reason in document["policy"]["excluded_families"].items():
        assert excluded[family] == reason
    text = (written / "description.md").read_text(encoding="utf-8")
    assert document["sha256"] in text and "L312-1-3" in text


def test_lift_is_the_weighted_hit_rate_ratio(
    model_path: Path, population: pd.DataFrame, written: Path
) -> None:
    described = describe_model(read_model_file(model_path))
    doc = json.loads((written / "description.json").read_text(encoding="utf-8"))
    lift = doc["data"]["lift"]
    # Independently: score in memory, take the top share, compare weighted rates.
    scores = score_frame(read_model_file(model_path).model, population, reasons=0)
    chosen = select_top(scores, share=BUDGET_SHARE)
    selected = population["dossier_id"].isin(chosen["dossier_id"]).to_numpy()
    checked = (population["controlled"] == 1).to_numpy()
    y = population["target"].to_numpy(dtype=float)[checked]
    w = population["control_weight"].to_numpy(dtype=float)[checked]
    s = selected[checked]
    expected = np.average(y[s], weights=w[s]) / np.average(y, weights=w)
    assert lift["lift"] == pytest.approx(expected, rel=1e-12)
    assert lift["budget"] == len(chosen) == math.floor(BUDGET_SHARE * len(population))
    assert lift["lift_low"] < lift["lift"] < lift["lift_high"]
    assert lift["lift"] > 1  # the model ranks: its selections hit more than random checks
    assert lift["same_name_as_training"] is True
    assert described.lift is None  # the description alone does not measure it
    text = (written / "description.md").read_text(encoding="utf-8")
    assert "measured in sample and are optimistic" in text
    assert "an assumption" in text


def test_without_data_the_description_says_what_is_missing(
    model_path: Path, tmp_path: Path
) -> None:
    described, _ = document_model(model_path, tmp_path)
    assert described.lift is None and described.audit is None
    text = (tmp_path / "description.md").read_text(encoding="utf-8")
    assert "needs labelled data" in text and "--data" in text
    assert "No audit report was given" in text
    card = (tmp_path / "model-card.md").read_text(encoding="utf-8")
    for section in MODEL_CARD_SECTIONS:
        assert f"## {section}" in card


def test_outputs_are_byte_identical(
    model_path: Path, population_path: Path, tmp_path: Path
) -> None:
    runs = []
    for name in ("a", "b"):
        _, paths = document_model(model_path, tmp_path / name, data=population_path, n_boot=50)
        runs.append({p.name: p.read_bytes() for p in paths})
    assert runs[0] == runs[1]
    assert set(runs[0]) == {
        f"{stem}.{ext}" for stem in ("description", "model-card") for ext in ("html", "md", "json")
    }


def _audit_report(folder: Path, sha: str | None, flags: list[dict[str, Any]], **data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text("<html></html>", encoding="utf-8")
    payload = {
        "kind": "dmde-audit-report",
        "data": {"model_sha256": sha, "flags": flags, **data},
    }
    (folder / "report.json").write_text(json.dumps(payload), encoding="utf-8")
    vouch(folder / "report.manifest.json", folder / "report.html", folder / "report.json")
    return folder / "report.html"


FLAG = {
    "attribute": "household_type",
    "group": "lone_parent",
    "reference": "couple_with_children",
    "metric": "selection_rate",
    "ratio": 2.4,
    "ratio_low": 1.9,
    "ratio_high": 3.1,
    "p_adjusted": 0.0001,
    "sentence": "Lone parents are selected 2.4 times as often as couples with children.",
}


def test_audit_flags_are_summarised_and_linked(model_path: Path, tmp_path: Path) -> None:
    sha = read_model_file(model_path).sha256
    report = _audit_report(tmp_path / "audit", sha, [FLAG])
    described, _ = document_model(model_path, tmp_path / "docs", audit=report)
    assert described.audit is not None and described.audit.report == "../audit/report.html"
    text = (tmp_path / "docs" / "description.md").read_text(encoding="utf-8")
    assert "(../audit/report.html)" in text and FLAG["sentence"] in text
    assert "flagged 1 disparity" in text
    many = [
        {**FLAG, "group": f"g{i:02d}", "ratio": 1.3 + i / 10, "sentence": f"flag g{i:02d}"}
        for i in range(TOP_FLAGS + 5)
    ]
    document_model(model_path, tmp_path / "many", audit=_audit_report(tmp_path / "m", sha, many))
    text = (tmp_path / "many" / "description.md").read_text(encoding="utf-8")
    listed = {f["sentence"] for f in many if f"- {f['sentence']}\n" in text}
    strongest = sorted(many, key=lambda f: -f["ratio"])[:TOP_FLAGS]
    assert listed == {f["sentence"] for f in strongest}
    assert f"| Household type | {len(many)} | selection rate | 1.30 | 2.70 |" in text
    clean = _audit_report(tmp_path / "clean", sha, [])
    document_model(model_path, tmp_path / "clean-docs", audit=clean.with_suffix(".json"))
    text = (tmp_path / "clean-docs" / "description.md").read_text(encoding="utf-8")
    assert "The audit flagged no disparity" in text


FINDING = {
    "finding": 1,
    "verdict": "beyond_risk",
    "attribute": "household_type",
    "group": "lone_parent",
    "sentence": "Lone parents are selected 2.40 times as often as single people [1.90 – 3.10].",
}


def test_the_audit_findings_come_first(model_path: Path, tmp_path: Path) -> None:
    sha = read_model_file(model_path).sha256
    report = _audit_report(tmp_path / "audit", sha, [FLAG], findings=[FINDING])
    described, _ = document_model(model_path, tmp_path / "docs", audit=report)
    assert described.audit is not None and described.audit.findings is not None
    text = (tmp_path / "docs" / "description.md").read_text(encoding="utf-8")
    assert "The audit reached 1 finding " in text
    first = f"1. Household type: selected beyond their risk (amplified). {FINDING['sentence']}"
    assert text.index(first) < text.index("flagged 1 disparity")


@pytest.mark.parametrize(
    ("data", "expected", "absent"),
    [
        ({}, "written by an older dmde", None),
        (
            {"findings": [], "method": {"n_tested": 0}},
            "This is not an all-clear",
            "The audit flagged no disparity",
        ),
    ],
    ids=["report-before-findings", "nothing-tested"],
)
def test_an_audit_without_findings_says_why(
    model_path: Path, tmp_path: Path, data: dict[str, Any], expected: str, absent: str | None
) -> None:
    sha = read_model_file(model_path).sha256
    report = _audit_report(tmp_path / "audit", sha, [], **data)
    document_model(model_path, tmp_path / "docs", audit=report)
    text = (tmp_path / "docs" / "description.md").read_text(encoding="utf-8")
    assert expected in text
    if absent is not None:
        assert absent not in text


@pytest.mark.parametrize(
    ("sha", "flags", "message"),
    [
        ("0" * 64, [], "the audit report is of another model"),
        (None, [], "generic mode"),
        ("same", {"not": "a list"}, "data.flags must be a list"),
    ],
    ids=["other-model", "generic-mode", "bad-flags"],
)
def test_audit_of_another_model_is_refused(
    model_path: Path, tmp_path: Path, sha: str | None, flags: Any, message: str
) -> None:
    real = read_model_file(model_path).sha256
    report = _audit_report(tmp_path / "audit", real if sha == "same" else sha, flags)
    with pytest.raises(DescribeError, match=message):
        document_model(model_path, tmp_path / "docs", audit=report)
    assert not (tmp_path / "docs").exists()


def test_refusals(model_path: Path, population: pd.DataFrame, tmp_path: Path) -> None:
    unlabelled = tmp_path / "unlabelled.parquet"
    frame = population[list(needed_columns(read_model_file(model_path).model))].head(500)
    write_batches(unlabelled, [frame], schema=arrow_schema(frame.columns))
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"budget_share": 0.0}, DescribeError, r"budget_share must be a number in \(0, 1\)"),
        ({"budget_share": 1.5}, DescribeError, "got 1.5"),
        ({"data": unlabelled}, DescribeError, "no column controlled, target, control_weight"),
    ]
    for options, error, message in cases:
        with pytest.raises(error, match=message):
            document_model(model_path, tmp_path / "out", **options)
    with pytest.raises(ModelFileError, match="no such file"):
        document_model(tmp_path / "missing.json", tmp_path / "out")
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "description.json").write_bytes(model_path.read_bytes())
    with pytest.raises(DescribeError, match="would overwrite an input"):
        document_model(clash / "description.json", clash)


@pytest.mark.parametrize(
    ("auc", "n_pos", "n_neg"),
    [(0.7, 500, 7000), (0.55, 30, 300), (0.9, 2000.5, 10000.25)],
    ids=["survey-size", "small", "effective-counts"],
)
def test_auc_interval_is_hanley_mcneil(auc: float, n_pos: float, n_neg: float) -> None:
    low, high = auc_interval(auc, n_pos, n_neg)
    se = float(hanley_mcneil_se(auc, n_pos, n_neg))
    assert low == pytest.approx(auc - 1.959963984540054 * se)
    assert high == pytest.approx(auc + 1.959963984540054 * se)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"controlled": 0}, "no file of the random-control sample"),
        ({"control_weight": np.nan}, "control_weight is missing or not positive"),
        ({"n_boot": -1}, "n_boot must be a whole number"),
        ({"share": 1.5}, r"^share must be a number in \(0, 1\).*got 1.5"),
    ],
    ids=["no-controls", "no-weights", "negative-n-boot", "share-names-its-keyword"],
)
def test_lift_refusals(change: dict[str, Any], message: str) -> None:
    rng = np.random.default_rng(SEED)
    frame = pd.DataFrame(
        {
            "dossier_id": np.arange(1, 1001),
            "caf_code": "75",
            "score": rng.normal(500, 20, 1000),
            "probability": 0.05,
            "controlled": 1,
            "target": rng.integers(0, 2, 1000).astype(float),
            "control_weight": 2.0,
        }
    )
    options = {"share": 0.05} | {k: v for k, v in change.items() if k in ("n_boot", "share")}
    for key, value in change.items():
        if key not in options:
            frame[key] = value
    with pytest.raises(DescribeError, match=message):
        lift_at_share(frame, **options)


def test_document_command(
    model_path: Path,
    population_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "docs"
    argv = ["document", "--model", str(model_path), "--out", str(out), "--data"]
    assert main([*argv, str(population_path), "--n-boot", "50", "--budget-share", "0.02"]) == 0
    printed = capsys.readouterr().out
    assert "lift at the top 2.0%" in printed and "no --audit" in printed
    assert (out / "description.html").exists() and (out / "model-card.html").exists()
    html = (out / "description.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'href="model-card.html"' in html
    with pytest.raises(SystemExit) as exc:
        main(["document", "--model", str(model_path), "--out", str(out), "--budget-share", "2"])
    assert exc.value.code == 2
    assert "expected a share in (0, 1)" in capsys.readouterr().err
    assert main(["document", "--model", str(tmp_path / "nope.json"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "cannot read model file" in err and "Traceback" not in err


def test_hostile_labels_and_file_names_are_shown_not_linked(
    model_path: Path, tmp_path: Path
) -> None:
    """An audit's group label, sentence and folder name are data: text in the Markdown."""
    sha = read_model_file(model_path).sha256
    hostile = "[click](javascript:alert(1)) <img src=x> \u202egnp"
    flag = {**FLAG, "group": hostile, "sentence": f"{hostile} are selected more."}
    report = _audit_report(tmp_path / "x) [y](javascript:alert(1)", sha, [flag])
    _, written = document_model(model_path, tmp_path / "docs", audit=report)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "\u202e" not in text
        if path.suffix == ".md":
            assert "[click\\](javascript:alert(1)) &lt;img src=x&gt; gnp" in text
            links = re.findall(r"(?<!\\)\]\(([^)]*)\)", text)
            assert links and not [x for x in links if re.match(r"[A-Za-z][\w+.-]*:", x)]
            assert all(re.fullmatch(r"[\w./%:-]+", link) for link in links), links


def test_the_scorecard_bins_are_worded_for_a_reader(model_path: Path, written: Path) -> None:
    """The description words each bin as the notices do (rounded bounds with units, levels and
    flags in words; one place words a bin), never two bins of a variable alike."""
    described = describe_model(read_model_file(model_path))
    by_variable: dict[tuple[str, str], list[str]] = {}
    for p in described.points:
        by_variable.setdefault((p.segment, p.feature), []).append(p.bin_label)
    assert all(len(set(labels)) == len(labels) for labels in by_variable.values())
    markdown = (written / "description.md").read_text(encoding="utf-8")
    assert "| income_to_smic | less than " in markdown and " Smic |" in markdown
    assert "| household_type | lone parent |" in markdown
    assert "| child_over_19 | yes |" in markdown and "| not given |" in markdown
    assert not re.search(r"\| income_to_smic \| [^|]*\d\.\d{3}[^|]*Smic", markdown)
    assert "couple_no_children" not in markdown.split("## Data the model does not use")[0]
    assert "the model file holds the exact bounds" in markdown
