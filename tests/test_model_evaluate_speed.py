"""The cross-validation of ``dmde train`` made cheaper without changing a figure: the weighted AUC
computed as scikit-learn does, bit for bit, and the folds' models fitted without standard errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from dmde.model.logistic import _without_std_errors
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import _weighted_auc, evaluate, training_data


def _case(rng: np.random.Generator, kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 2_000))
    if kind == 0:  # continuous: no ties
        score = rng.normal(size=n)
    elif kind == 1:  # many ties
        score = np.round(rng.normal(size=n), 1)
    elif kind == 2:  # four values
        score = rng.integers(0, 4, n).astype(np.float64)
    elif kind == 3:  # probabilities of rounded points, with -0.0 beside 0.0
        score = 1 / (1 + np.exp(-np.round(rng.normal(size=n) * 3, 2) / 1.7))
        score[rng.random(n) < 0.1] = -0.0
        score[rng.random(n) < 0.1] = 0.0
    else:  # two values, 0.0 and -0.0 tied
        score = np.where(rng.random(n) < 0.5, 0.0, -0.0) + rng.integers(0, 2, n)
    y = (rng.random(n) < rng.uniform(0.02, 0.6)).astype(np.int64)
    y[:2] = (0, 1)
    weight = rng.uniform(0.0, 3.0, n) if kind % 2 else np.ones(n)
    if rng.random() < 0.3:
        weight[2:][rng.random(n - 2) < 0.2] = 0.0  # rows of weight 0 are left out
    return y, score, weight


@pytest.mark.parametrize("seed", range(20))
def test_weighted_auc_is_scikit_learns_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for kind in range(5):
        y, score, weight = _case(rng, kind)
        expected = float(roc_auc_score(y, score, sample_weight=weight))
        assert _weighted_auc(y, score, weight) == expected  # the same float, not approx


def test_weighted_auc_of_one_class_is_left_to_scikit_learn() -> None:
    y, score = np.ones(5, dtype=np.int64), np.arange(5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(_weighted_auc(y, score, np.ones(5)))


def test_folds_without_standard_errors_score_the_same(checked: pd.DataFrame) -> None:
    w = checked["control_weight"].to_numpy()
    with _without_std_errors():
        bare = Scorecard().fit(checked, checked["target"], w)
    full = Scorecard().fit(checked, checked["target"], w)
    assert np.isnan(bare.std_errors_).all() and np.isfinite(full.std_errors_).all()
    np.testing.assert_array_equal(bare.coef_, full.coef_)
    np.testing.assert_array_equal(bare.points(checked), full.points(checked))
    np.testing.assert_array_equal(bare.reference_points_, full.reference_points_)


@pytest.mark.parametrize("make", [Scorecard, ScorecardFamily])
def test_evaluate_gives_the_figures_of_the_plain_cross_validation(
    checked: pd.DataFrame, make: type
) -> None:
    data = training_data(checked)
    model = make().fit(data.X, data.y, sample_weight=data.weight)
    report = evaluate(model, data, cv=4, seed=3)
    # The cross-validation as it was written before: sklearn's AUC, folds with standard errors.
    out_of_fold = np.empty(len(data.y))
    folds = []
    for fit, held in StratifiedKFold(4, shuffle=True, random_state=3).split(data.X, data.y):
        fold = clone(model).fit(data.X.iloc[fit], data.y[fit], sample_weight=data.weight[fit])
        assert np.isfinite(np.asarray(getattr(fold, "std_errors_", [0.0]))).all()
        out_of_fold[held] = fold.predict_proba(data.X.iloc[held])[:, 1]
        folds.append(
            roc_auc_score(data.y[held], out_of_fold[held], sample_weight=data.weight[held])
        )
    train = model.predict_proba(data.X)[:, 1]
    assert report.auc_train == roc_auc_score(data.y, train, sample_weight=data.weight)
    assert report.auc_cv == roc_auc_score(data.y, out_of_fold, sample_weight=data.weight)
    assert report.auc_cv_folds == tuple(float(a) for a in folds)
