"""dmde.evaluate: out-of-fold predictions, AUC / Gini / KS, calibration and gains tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import dmde
from dmde.core.errors import ParameterError
from dmde.data.synthetic import synthesize
from dmde.model.evaluation import (
    EvaluationError,
    _ks,
    calibration_table,
    evaluate,
    gains_table,
)
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import evaluate as training_evaluate
from dmde.model.training import training_data

FEATURES = ["n_children", "income_to_smic", "zero_income", "household_type"]


@pytest.fixture(scope="module")
def data() -> Any:
    return training_data(synthesize(8_000, seed=5, controls=4_000))


def test_the_public_name_is_this_evaluate() -> None:
    assert dmde.evaluate is evaluate


def test_the_cross_validated_auc_is_training_evaluates(data: Any) -> None:
    family = ScorecardFamily(scorecard=Scorecard(features=FEATURES))
    fitted = family.fit(data.X, data.y, sample_weight=data.weight)
    result = evaluate(fitted, data.X, data.y, cv=4, weights=data.weight, seed=2)
    report = training_evaluate(fitted, data, cv=4, seed=2)
    assert result.auc.value == report.auc_cv
    assert result.fold_auc == report.auc_cv_folds
    assert result.gini.value == pytest.approx(report.gini_cv)
    assert result.auc.low < result.auc.value < result.auc.high
    assert result.gini.low == pytest.approx(2 * result.auc.low - 1)


def test_out_of_fold_points_and_probabilities(data: Any) -> None:
    model = Scorecard(features=FEATURES)
    result = evaluate(model, data.X, data.y, cv=3, weights=data.weight)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)  # the model given is not fitted: clones are
    assert result.points is not None and result.points.shape == (len(data.y),)
    assert sorted(np.unique(result.fold).tolist()) == [0, 1, 2]
    # Within a fold, a higher score is a higher probability (the same model).
    for k in range(3):
        rows = result.fold == k
        order = np.argsort(result.points[rows], kind="stable")
        assert np.all(np.diff(result.probability[rows][order]) >= 0)


def test_any_classifier_is_evaluated(data: Any) -> None:
    X = data.X[["n_children", "income_to_smic", "zero_income"]]
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    result = evaluate(model, X, data.y, cv=3, weights=data.weight, seed=1)
    assert result.points is None
    assert 0.5 < result.auc.value < 1
    assert result.calibration.table["decile"].tolist() == list(range(1, 11))


def test_ks_is_scipys_two_sample_statistic_without_weights() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = np.round(rng.random(300), 2)  # ties
        y = (rng.random(300) < p).astype(np.int64)
        expected = stats.ks_2samp(p[y == 1], p[y == 0]).statistic
        assert _ks(p, y, np.ones(300)) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(20))
def test_calibration_covers_a_calibrated_model_and_finds_a_miscalibrated_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 9, 20_000)
    weight = rng.choice([1.0, 3.0], 20_000)
    calibrated = calibration_table(p, (rng.random(20_000) < p).astype(np.int64), weight).table
    inside = (calibrated["observed_low"] <= calibrated["predicted"]) & (
        calibrated["predicted"] <= calibrated["observed_high"]
    )
    assert inside.sum() >= 8  # 95% intervals: 9.5 of 10 on average
    assert calibrated["weight"].sum() == pytest.approx(weight.sum())
    halved = calibration_table(p, (rng.random(20_000) < p / 2).astype(np.int64), weight).table
    assert (halved["observed_high"] < halved["predicted"]).tail(5).all()


def test_calibration_keeps_equal_probabilities_in_one_decile() -> None:
    p = np.repeat([0.1, 0.2, 0.3], [50, 30, 20])
    table = calibration_table(p, (np.arange(100) % 4 == 0).astype(np.int64), np.ones(100)).table
    assert table["rows"].tolist() == [50, 30, 20]


def test_gains_of_a_known_ranking() -> None:
    p = np.linspace(1, 0, 10)
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    table = gains_table(p, y, np.ones(10), [0.2, 0.4, 1.0]).table
    assert table["rows"].tolist() == [2, 4, 10]
    assert table["hit_rate"].tolist() == [1.0, 0.75, 0.3]
    assert table["lift"].tolist() == pytest.approx([1 / 0.3, 2.5, 1.0])
    assert table["captured"].tolist() == pytest.approx([2 / 3, 1.0, 1.0])
    assert (table["hit_low"] <= table["hit_rate"]).all()


def test_gains_select_by_weight() -> None:
    p = np.linspace(1, 0, 4)
    table = gains_table(p, np.array([1, 0, 0, 1]), np.array([1.0, 1.0, 1.0, 7.0]), [0.2]).table
    assert table["rows"].tolist() == [2] and table["selected_weight"].tolist() == [0.2]


def test_plots_return_their_axes_with_percentages(data: Any) -> None:
    result = evaluate(Scorecard(features=FEATURES), data.X, data.y, cv=2)
    for table in (result.calibration, result.gains([0.05, 0.1])):
        ax = table.plot()
        assert isinstance(ax, Axes)
        assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
        assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
        assert "<table" in table._repr_html_()
    assert "Out-of-fold evaluation" in result._repr_html_()
    ax = result.gains([0.1]).plot(label="one")
    result.gains([0.1]).plot(ax=ax, label="two")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("random selection") == 1 and {"one", "two"} <= set(labels)
    assert result.summary()["metric"].tolist() == ["AUC", "Gini", "KS"]


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"model": object()}, EvaluationError, r"^model must be a classifier with fit"),
        ({"y": [0, 1]}, EvaluationError, r"^y must have one value per row of frame \(8\)"),
        ({"y": [0, 1, 2, 0, 1, 0, 1, 0]}, EvaluationError, r"^y must be 0 or 1.*found 0, 1, 2"),
        ({"y": [0.0] * 7 + [math.nan]}, EvaluationError, r"^y must be 0 or 1"),
        ({"y": [1] * 8}, EvaluationError, r"^y holds only 1"),
        ({"weights": [1.0] * 7 + [-1.0]}, EvaluationError, r"^weights must be finite"),
        ({"weights": [1.0] * 3}, EvaluationError, r"^weights must have one value per row"),
        ({"cv": 1}, ParameterError, r"^cv must be an int in the range \[2, inf\)"),
        ({"cv": 5}, ParameterError, r"^cv must be an int in the range \[2, 4\]"),
        ({"seed": -1}, ParameterError, r"^seed must be"),
        ({"frame": "rows.csv"}, ParameterError, r"^frame must be"),
    ],
    ids=[
        "no-proba",
        "length",
        "three-classes",
        "missing",
        "one-class",
        "negative",
        "weights-len",
        "cv-1",
        "cv-too-many",
        "seed",
        "frame",
    ],
)
def test_bad_inputs_are_refused(change: dict[str, Any], error: type, match: str) -> None:
    arguments: dict[str, Any] = {
        "model": Scorecard(features=["n_children"]),
        "frame": pd.DataFrame({"n_children": range(8)}),
        "y": [0, 1] * 4,
        "cv": 2,
        **change,
    }
    model, frame, y = arguments.pop("model"), arguments.pop("frame"), arguments.pop("y")
    with pytest.raises(error, match=match):
        evaluate(model, frame, y, **arguments)


def test_gains_shares_are_checked(data: Any) -> None:
    p = np.linspace(1, 0, 10)
    y = np.array([1, 0] * 5)
    for bad in ([], [0.0], [1.5], ["a"], "0.1"):
        with pytest.raises(ParameterError, match=r"^shares must be a list of numbers in \(0, 1\]"):
            gains_table(p, y, np.ones(10), bad)


def test_a_pipeline_gets_the_weights_at_its_last_step(data: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X = data.X[["n_children", "income_to_smic", "zero_income"]]
    piped = evaluate(make_pipeline(LogisticRegression()), X, data.y, cv=3, weights=data.weight)
    bare = evaluate(LogisticRegression(), X, data.y, cv=3, weights=data.weight)
    unweighted = evaluate(LogisticRegression(), X, data.y, cv=3)
    assert piped.auc.value == bare.auc.value != unweighted.auc.value


def test_a_model_without_sample_weight_is_named() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    frame = pd.DataFrame({"x": np.arange(20.0)})
    with pytest.raises(
        EvaluationError, match=r"^a KNeighborsClassifier does not take sample_weight"
    ):
        evaluate(KNeighborsClassifier(3), frame, [0, 1] * 10, cv=2, weights=np.arange(1.0, 21.0))
