"""Training on the random-control sample: the training rows, evaluation, the recorded facts, and
every option of ``dmde train`` refused by a declared constraint that names it."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from dmde.core.errors import DmdeError, ParameterError, PolicyError
from dmde.data.synthetic import synthesize
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import (
    NOT_CROSS_VALIDATED,
    TrainingData,
    TrainingReport,
    evaluate,
    fit_evaluate,
    format_points,
    training_data,
    training_facts,
)


@pytest.fixture(scope="module")
def data(population: pd.DataFrame) -> TrainingData:
    return training_data(population)


@pytest.fixture(scope="module")
def report(family: ScorecardFamily, data: TrainingData) -> TrainingReport:
    return evaluate(family, data, cv=3, seed=1)


# ------------------------------------------------------------------------------ training rows
def test_training_rows_are_the_random_controls_with_their_survey_weights(
    population: pd.DataFrame, data: TrainingData
) -> None:
    controls = population[population["controlled"] == 1].reset_index(drop=True)
    assert len(data.X) == len(controls) == 5_000
    pd.testing.assert_frame_equal(data.X, controls)
    np.testing.assert_array_equal(data.y, controls["target"].to_numpy().astype(np.int64))
    assert data.y.dtype == np.int64 and set(np.unique(data.y)) == {0, 1}
    np.testing.assert_array_equal(data.weight, controls["control_weight"].to_numpy(float))
    assert data.target == "target"
    assert len(np.unique(data.weight)) > 1  # the survey is stratified: weights differ


def test_unweighted_rows_weigh_one(population: pd.DataFrame) -> None:
    data = training_data(population, weighted=False)
    assert len(data.X) == 5_000
    np.testing.assert_array_equal(data.weight, np.ones(5_000))


def test_all_rows_uses_every_known_target_unweighted(population: pd.DataFrame) -> None:
    frame = population.copy()
    extra = frame.index[frame["controlled"] == 0][:300]
    frame.loc[extra, "target"] = 1.0  # labels known from elsewhere (targeted checks)
    data = training_data(frame, all_rows=True)
    assert len(data.X) == 5_300
    np.testing.assert_array_equal(data.weight, np.ones(5_300))
    assert training_data(frame).X.shape[0] == 5_000  # the survey only, by default


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        (None, {"target": "age"}, DmdeError, r"^target 'age' must be a label column"),
        (None, {"target": "nope"}, DmdeError, r"^target 'nope' must be a label column"),
        (
            lambda f: f.drop(columns="truth_target", errors="ignore"),
            {"target": "truth_target"},
            DmdeError,
            r"the data have no column 'truth_target' \(the target\)",
        ),
        (
            lambda f: f.drop(columns="controlled"),
            {},
            DmdeError,
            r"no column 'controlled': train on the random-control sample, or pass all_rows",
        ),
        (
            lambda f: f.assign(target=np.nan),
            {},
            DmdeError,
            r"no row to train on: no row has a known 'target' and controlled = 1\.",
        ),
        (None, {"target": 3}, ParameterError, r"^target must be an instance of 'str'; got 3\."),
        (None, {"all_rows": "yes"}, ParameterError, r"^all_rows must be .*; got 'yes'\."),
        (None, {"weighted": 1}, ParameterError, r"^weighted must be .*; got 1\."),
        (lambda f: f.to_numpy(), {}, ParameterError, r"^frame must be an instance of 'pandas"),
    ],
    ids=[
        "not-a-label",
        "unknown",
        "absent",
        "no-controlled",
        "no-known-target",
        "target-type",
        "all-rows-type",
        "weighted-type",
        "not-a-frame",
    ],
)
def test_bad_training_data(
    population: pd.DataFrame,
    change: Callable[[pd.DataFrame], Any] | None,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    frame = population if change is None else change(population)
    with pytest.raises(error, match=message):
        training_data(frame, **kwargs)


# ------------------------------------------------------------------------------ evaluation
def test_evaluation_sizes_rates_and_training_auc(
    family: ScorecardFamily, data: TrainingData, report: TrainingReport
) -> None:
    assert (report.rows, report.events) == (5_000, int(data.y.sum()))
    assert report.weighted_base_rate == pytest.approx(np.average(data.y, weights=data.weight))
    expected = roc_auc_score(data.y, family.predict_proba(data.X)[:, 1], sample_weight=data.weight)
    assert report.auc_train == expected
    assert report.gini_train == pytest.approx(2 * expected - 1)
    assert set(report.information_values) == set(family.features_)


def test_cross_validation_refits_out_of_fold(
    family: ScorecardFamily, data: TrainingData, report: TrainingReport
) -> None:
    assert len(report.auc_cv_folds) == 3
    assert all(0.5 < a < 1 for a in report.auc_cv_folds)
    # out of fold is more honest than in sample, and not absurdly so
    assert report.auc_train - 0.1 < report.auc_cv < report.auc_train
    assert report.gini_cv == pytest.approx(2 * report.auc_cv - 1)


def test_evaluation_is_deterministic_by_seed_and_leaves_the_model_alone(
    family: ScorecardFamily, data: TrainingData, report: TrainingReport
) -> None:
    before = family.points(data.X)
    assert evaluate(family, data, cv=3, seed=1) == report
    other = evaluate(family, data, cv=3, seed=2)
    assert other.auc_cv_folds != report.auc_cv_folds
    np.testing.assert_array_equal(family.points(data.X), before)


def test_the_folds_read_the_model_s_columns_only(
    family: ScorecardFamily, data: TrainingData, report: TrainingReport
) -> None:
    """Evaluation copies to each fold only the columns the model reads: the report is that of
    the same rows with nothing else."""
    read = ["income_reporting", *family.features_]
    assert len(read) < data.X.shape[1]
    narrow = TrainingData(X=data.X[read], y=data.y, weight=data.weight, target=data.target)
    assert evaluate(family, narrow, cv=3, seed=1) == report
    single = Scorecard(features=["n_children", "income_to_smic"])
    single.fit(data.X, data.y, sample_weight=data.weight)
    two = TrainingData(
        X=data.X[["n_children", "income_to_smic"]], y=data.y, weight=data.weight, target="target"
    )
    assert evaluate(single, data, cv=2) == evaluate(single, two, cv=2)


def test_a_single_scorecard_is_evaluated_too(data: TrainingData) -> None:
    model = Scorecard(features=["income_to_smic", "n_children"]).fit(
        data.X, data.y, sample_weight=data.weight
    )
    report = evaluate(model, data, cv=2)
    assert len(report.auc_cv_folds) == 2
    assert set(report.information_values) == {"income_to_smic", "n_children"}


def test_the_summary_that_dmde_train_prints(report: TrainingReport) -> None:
    text = report.format()
    lines = text.splitlines()
    assert lines[0] == f"rows: 5,000 ({report.events:,} with the target)"
    assert lines[2].startswith(f"AUC on the training rows: {report.auc_train:.3f} (Gini")
    assert lines[3].startswith(f"AUC cross-validated: {report.auc_cv:.3f} ± ")
    assert "folds" in lines[3]
    assert lines[4 : 4 + len(report.warnings())] == report.warnings()
    start = lines.index("information value by feature:")
    assert start == 4 + len(report.warnings())
    ivs = [float(line.split()[-1]) for line in lines[start + 1 :]]
    assert ivs == sorted(ivs, reverse=True) and len(ivs) == len(report.information_values)


# ------------------------------------------------------------------------------ overfitting
def _report(auc_train: float, auc_cv: float, folds: tuple[float, ...]) -> TrainingReport:
    return TrainingReport(1_000, 48, 0.05, auc_train, auc_cv, folds, {"n_children": 0.1})


@pytest.mark.parametrize(
    ("auc_train", "auc_cv", "folds", "margin", "warns"),
    [
        (0.825, 0.675, (0.70, 0.64, 0.69, 0.66, 0.69), 0.10, True),  # the figures
        (0.735, 0.682, (0.675, 0.663, 0.718, 0.675, 0.685), 0.10, False),  # a survey's optimism
        (0.80, 0.70, (0.70, 0.70, 0.70), 0.10, False),  # exactly the floor: quiet
        (0.90, 0.70, (0.50, 0.90, 0.70), 2 * 0.2 / np.sqrt(3), False),  # folds too spread
        (0.95, 0.70, (0.50, 0.90, 0.70), 2 * 0.2 / np.sqrt(3), True),  # beyond their spread
        (0.70, 0.72, (0.72, 0.71, 0.73), 0.10, False),  # out of fold better: quiet
    ],
    ids=["issue", "survey-sized", "at-floor", "spread-folds", "beyond-spread", "negative-gap"],
)
def test_the_overfitting_verdict_compares_the_gap_with_the_folds_spread(
    auc_train: float, auc_cv: float, folds: tuple[float, ...], margin: float, warns: bool
) -> None:
    report = _report(auc_train, auc_cv, folds)
    assert report.overfit_margin == pytest.approx(margin)
    assert report.overfitting is warns
    warning = [line for line in report.format().splitlines() if line.startswith("WARNING")]
    assert warning == report.warnings()
    assert len(warning) == int(warns)


def test_the_overfitting_warning_gives_the_figures_and_what_to_do() -> None:
    (line,) = _report(0.825, 0.675, (0.70, 0.64, 0.69, 0.66, 0.69)).warnings()
    assert line.startswith(
        "WARNING: overfitting: AUC 0.825 on the training rows but 0.675 cross-validated "
        "(gap 0.150, more than the 0.100 allowed"
    )
    assert "1,000 rows (48 with the target)" in line
    for remedy in ("fewer bins (--max-prebins)", "larger --min-bin-share", "more labelled rows"):
        assert remedy in line


def _verdict(seed: int, rows: int, model: Scorecard | ScorecardFamily) -> TrainingReport:
    """The report on ``model`` trained on ``rows`` labelled rows (all of them checked)."""
    frame = synthesize(rows, seed=seed, controls=rows)
    data = training_data(frame)
    model.fit(data.X, data.y, sample_weight=data.weight)
    return evaluate(model, data, cv=3, seed=seed)


OVERFITTED = {  # 1,000 labelled rows (about 70 with the target)
    "family-defaults": lambda: ScorecardFamily(),  # the case
    "many-bins": lambda: Scorecard(max_prebins=50, min_bin_share=0.005),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("make", list(OVERFITTED.values()), ids=list(OVERFITTED))
def test_few_labelled_rows_are_said_to_overfit(
    seed: int, make: Callable[[], Scorecard | ScorecardFamily]
) -> None:
    report = _verdict(seed, 1_000, make())
    assert report.overfitting, report.format()
    assert len([line for line in report.format().splitlines() if "WARNING" in line]) == 1


def test_a_survey_of_5000_checked_files_is_quiet(report: TrainingReport) -> None:
    assert 0 < report.auc_train - report.auc_cv < 0.10
    assert not report.overfitting, report.format()


@pytest.mark.parametrize("seed", range(3))
def test_enough_labelled_rows_with_the_default_settings_are_quiet(seed: int) -> None:
    report = _verdict(100 + seed, 20_000, Scorecard())
    assert not report.overfitting, report.format()
    assert report.warnings() == []


# ------------------------------------------------------------------------------ points shown
def test_the_points_are_shown_rounded_as_the_model_rounds_them(family: ScorecardFamily) -> None:
    text = format_points(family, head=12)
    blocks = text.split("\n\n")
    assert len(blocks) == len(family.models_)
    for block, (name, model) in zip(blocks, family.models_.items(), strict=True):
        title, header, *rows = block.splitlines()
        assert title == (
            f"points, segment {name} (first 12 rows; the full table is in the model file):"
        )
        assert header.split() == [
            "feature",
            "bin",
            "bin_label",
            "points",
            "woe",
            "share",
            "event",
            "rate",
        ]
        assert len(rows) == 12
        table = model.points_table().head(12)
        assert rows[0].split() == ["intercept", f"{table['points'].iloc[0]:.2f}"]
        for row, (_, expected) in zip(rows[1:], table.iloc[1:].iterrows(), strict=True):
            shown = [f"{expected['points']:.2f}", f"{expected['woe'] + 0.0:.2f}"]  # 2 decimals
            if math.isnan(expected["event_rate"]):  # an empty bin: no event rate
                assert row.split()[-3:] == [*shown, "0.0%"]
                continue
            *_, points, woe, share, rate = row.split()
            assert [points, woe] == shown
            assert re.fullmatch(r"[0-9]+\.[0-9]%", share)
            assert rate == f"{expected['event_rate']:.1%}"


def test_the_points_of_a_single_scorecard_have_no_segment(data: TrainingData) -> None:
    model = Scorecard(features=["n_children"], scaling=PointsScaling(decimals=0)).fit(
        data.X, data.y, sample_weight=data.weight
    )
    title, _, intercept, *rows = format_points(model, head=3).splitlines()
    assert title == "points (first 3 rows; the full table is in the model file):"
    assert re.fullmatch(r"intercept +-?[0-9]+", intercept.strip())
    assert all(re.fullmatch(r"-?[0-9]+", row.split()[3]) for row in rows)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"cv": 1},
            r"^cv must be 0 \(no cross-validation\) or an int in the range \[2, inf\); got 1\. "
            r"Give 0 to skip",
        ),
        ({"cv": -1}, r"^cv must be an int in the range \[0, inf\); got -1\.$"),
        ({"cv": True}, r"^cv must be .*; got True\.$"),
        ({"cv": 2.5}, r"^cv must be .*; got 2\.5\.$"),
        ({"seed": -1}, r"^seed must be an int in the range \[0, 4294967295\]; got -1\.$"),
        ({"model": "model.json"}, r"^model must be an instance of .*; got 'model\.json'\.$"),
        ({"data": (1, 2)}, r"^data must be an instance of .*TrainingData"),
    ],
    ids=[
        "one-fold",
        "negative-folds",
        "bool-folds",
        "float-folds",
        "negative-seed",
        "not-a-model",
        "not-data",
    ],
)
def test_bad_evaluation(
    family: ScorecardFamily, data: TrainingData, kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"model": family, "data": data, **kwargs}
    with pytest.raises(ParameterError, match=message):
        evaluate(**arguments)


def test_without_cross_validation_the_report_says_so(
    family: ScorecardFamily, data: TrainingData, report: TrainingReport
) -> None:
    plain = evaluate(family, data, cv=0)
    assert not plain.cross_validated and report.cross_validated
    assert plain.auc_train == report.auc_train and plain.auc_cv_folds == ()
    assert math.isnan(plain.auc_cv) and plain.auc_cv_error == 0.0
    assert not plain.overfitting and plain.warnings() == []
    lines = plain.format().splitlines()
    assert lines[2] == report.format().splitlines()[2]
    assert lines[3].startswith("AUC cross-validated: not measured (no cross-validation, cv 0)")
    assert "on the rows the model was fitted on" in lines[3] and "nan" not in plain.format()
    facts = training_facts(plain, data, data_file="pop.csv", data_sha256="ab" * 32, date="2026")
    assert "auc_cv" not in facts and facts["auc_train"] == report.auc_train
    assert facts["validation"] == NOT_CROSS_VALIDATED
    assert facts["validation"].startswith("none: auc_train is measured on the rows")


def test_dmde_train_cv_0_fits_the_same_model_and_records_no_cross_validation(
    population: pd.DataFrame, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from dmde.cli import main
    from dmde.model.model_file import read_model_file

    sample = tmp_path / "sample.parquet"
    population.to_parquet(sample)
    files = {}
    for cv in ("0", "3"):
        out = tmp_path / f"model-{cv}.json"
        assert main(["train", "--data", str(sample), "--out", str(out), "--cv", cv]) == 0
        files[cv] = json.loads(out.read_text(encoding="utf-8"))
    printed = capsys.readouterr().out
    assert printed.count("AUC cross-validated: not measured (no cross-validation, cv 0)") == 1
    plain, crossed = files["0"], files["3"]
    for key in ("policy", "features", "scaling", "routing", "segments"):
        assert plain[key] == crossed[key], key  # the same fitted model
    assert plain["training"]["validation"] == NOT_CROSS_VALIDATED
    assert "auc_cv" not in plain["training"] and "validation" not in crossed["training"]
    assert plain["training"]["auc_train"] == crossed["training"]["auc_train"]
    read = read_model_file(tmp_path / "model-0.json")
    assert read.training.auc_cv is None and read.training.facts["validation"]
    argv = ["train", "--data", str(sample), "--out", str(tmp_path / "t.json"), "--cv", "0"]
    assert main([*argv, "--tune"]) == 2
    assert "--tune chooses by cross-validation" in capsys.readouterr().err
    assert main([*argv[:-1], "1"]) == 2
    assert "--cv must be 0 (no cross-validation) or an int" in capsys.readouterr().err


@pytest.mark.parametrize("cv", [0, 3])
@pytest.mark.parametrize(
    "make",
    [
        lambda: ScorecardFamily(),
        lambda: Scorecard(),
        lambda: ScorecardFamily(scorecard=Scorecard(shrinkage=0.8, min_bin_share=0.05)),
    ],
    ids=["family", "single", "shrunk_family"],
)
def test_fit_evaluate_is_fit_then_evaluate_to_the_last_bit(
    data: TrainingData, make: Callable[[], Any], cv: int
) -> None:
    """The AUC on the training rows from the fit's own probabilities: the same floats as
    scoring the rows again, the same model and the same report."""
    fitted = make()
    report = fit_evaluate(fitted, data, cv=cv, seed=4)
    plain = make().fit(data.X, data.y, sample_weight=data.weight)
    assert report == evaluate(plain, data, cv=cv, seed=4)
    np.testing.assert_array_equal(fitted.predict_proba(data.X), plain.predict_proba(data.X))
    probability = make()._fit(data.X, data.y, data.weight, scores=True)
    assert probability.tobytes() == plain.predict_proba(data.X)[:, 1].tobytes()


def test_fit_evaluate_refuses_a_bad_cv_before_fitting(data: TrainingData) -> None:
    model = ScorecardFamily()
    with pytest.raises(ParameterError, match="cv must be 0"):
        fit_evaluate(model, data, cv=1)
    assert not hasattr(model, "models_")


def test_a_file_of_checked_rows_only_is_trained_on_as_read(population: pd.DataFrame) -> None:
    checked = population[population["controlled"] == 1].reset_index(drop=True)
    data = training_data(checked)
    pd.testing.assert_frame_equal(data.X, checked)
    assert data.y.tolist() == checked["target"].tolist()


def test_an_unfitted_model_cannot_be_evaluated(data: TrainingData) -> None:
    with pytest.raises(NotFittedError):
        evaluate(ScorecardFamily(), data)


# ------------------------------------------------------------------------------ facts
def test_training_facts(report: TrainingReport, data: TrainingData) -> None:
    facts = training_facts(report, data, data_file="pop.csv", data_sha256="ab" * 32, date="2026")
    assert facts == {
        "target": "target",
        "date": "2026",
        "data_file": "pop.csv",
        "data_sha256": "ab" * 32,
        "auc_train": report.auc_train,
        "auc_cv": report.auc_cv,
    }
    today = training_facts(report, data, data_file="x", data_sha256="y")["date"]
    assert today == datetime.date.today().isoformat()


# ------------------------------------------------------------------------------ train options
# Every option of 'dmde train' reaches the library as a parameter with a declared constraint (or
# a policy check): a bad value is refused before any fitting, naming the parameter, so that the
# command line can say the flag (dmde.core.errors.command_line_message). The estimators' own
# parameters raise scikit-learn's InvalidParameterError; the others dmde's ParameterError (its
# param attribute names the parameter).
def _family(**scorecard: Any) -> Callable[[TrainingData], object]:
    def fit(data: TrainingData) -> object:
        model = ScorecardFamily(scorecard=Scorecard(**scorecard))
        return model.fit(data.X, data.y, sample_weight=data.weight)

    return fit


TRAIN_OPTIONS: list[tuple[str, Callable[[TrainingData], object], type[Exception], str]] = [
    ("--C -1", _family(C=-1.0), InvalidParameterError, r"^The 'C' parameter of Scorecard"),
    ("--C 0", _family(C=0.0), InvalidParameterError, r"'C' parameter .* range \(0\.0, inf\)"),
    ("--min-bin-share 0.9", _family(min_bin_share=0.9), InvalidParameterError, "'min_bin_share'"),
    ("--rare-level-share 2", _family(rare_level_share=2.0), InvalidParameterError, "'rare_level"),
    ("--max-prebins 1", _family(max_prebins=1), InvalidParameterError, "'max_prebins'"),
    ("--monotonic-trend up", _family(monotonic_trend="up"), InvalidParameterError, "'monotonic"),
    ("--features gender", _family(features=["gender"]), PolicyError, r"column 'gender'"),
    ("--features nope", _family(features=["nope"]), PolicyError, r"unknown column 'nope'"),
    (
        "--segment-column household_type",
        lambda d: ScorecardFamily(segment_column="household_type").fit(d.X, d.y),
        PolicyError,
        r"^segment_column 'household_type' is in family 'household'",
    ),
    (
        "--segment-column nope",
        lambda d: ScorecardFamily(segment_column="nope").fit(d.X, d.y),
        PolicyError,
        r"^segment_column 'nope' is not a catalog column",
    ),
    ("--pdo -20", lambda d: PointsScaling(pdo=-20.0), ParameterError, r"^pdo must be a float"),
    ("--base-odds 0", lambda d: PointsScaling(base_odds=0.0), ParameterError, r"^base_odds must"),
    (
        "--base-points nan",
        lambda d: PointsScaling(base_points=math.nan),
        ParameterError,
        r"^base_points must be a float in the range \(-inf, inf\); got nan\.",
    ),
    ("--target age", lambda d: training_data(d.X, target="age"), DmdeError, r"^target 'age'"),
    (
        "--cv 1",
        lambda d: evaluate(Scorecard(), d, cv=1),
        ParameterError,
        r"^cv must be 0 \(no cross-validation\) or an int",
    ),
    ("--seed -1", lambda d: evaluate(Scorecard(), d, seed=-1), ParameterError, r"^seed must be"),
]


@pytest.mark.parametrize(
    ("option", "call", "error", "message"), TRAIN_OPTIONS, ids=[o[0] for o in TRAIN_OPTIONS]
)
def test_every_train_option_is_refused_naming_its_parameter(
    data: TrainingData,
    option: str,
    call: Callable[[TrainingData], object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        call(data)


def test_a_family_refuses_its_template_s_parameters_before_fitting(
    data: TrainingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[str] = []
    monkeypatch.setattr(Scorecard, "fit", lambda self, *a, **k: fitted.append("fit"))
    with pytest.raises(InvalidParameterError, match=r"'max_iter' parameter of Scorecard"):
        _family(max_iter=0)(data)
    assert fitted == []
