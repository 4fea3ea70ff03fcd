"""Shrinkage of a scorecard's log-odds (``Scorecard(shrinkage=...)``): the intercept refit, the
order kept, the calibration on new rows, the model file, and the default left as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError

from dmde.core.errors import DmdeError
from dmde.documents.describe import describe_model
from dmde.documents.description_document import limits
from dmde.documents.model_diff import SettingChange, diff_models
from dmde.model.model_file import (
    ModelFileError,
    content_hash,
    load_model,
    model_from_dict,
    model_to_dict,
    read_model_file,
    save_model,
)
from dmde.model.newton import group_rows, refit_intercept
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import training_data
from dmde.model.tuning import choose_parameters

FEATURES = ["income_to_smic", "n_children", "mean_rsa_12m", "household_type", "child_over_19"]


def _log_odds(model: Scorecard, X: Any) -> np.ndarray:
    """The unrounded log-odds: intercept plus coefficients times the rows' WoE."""
    frame = model._frame(X)
    return np.asarray(model.intercept_[0] + model.binning_.transform(frame) @ model.coef_[0])


# checked: the random controls of the shared world of tests/conftest.py
@pytest.mark.parametrize("shrinkage", [0.3, 0.6, 0.9])
def test_intercept_refit_keeps_the_weighted_base_rate(
    checked: pd.DataFrame, shrinkage: float
) -> None:
    w = checked["control_weight"].to_numpy()
    model = Scorecard(shrinkage=shrinkage).fit(checked, checked["target"], w)
    predicted = np.average(expit(_log_odds(model, checked)), weights=w)
    assert predicted == pytest.approx(model.training_.weighted_base_rate, abs=1e-10)
    assert model.training_.weighted_base_rate == pytest.approx(
        np.average(checked["target"], weights=w), abs=1e-12
    )


@pytest.mark.parametrize("seed", range(5))
def test_shrinkage_scales_the_slopes_keeps_the_order_and_the_base_rate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3_000
    x = rng.normal(size=(n, 4))
    y = (rng.random(n) < expit(-1.5 + x[:, 0] - 0.5 * x[:, 1])).astype(int)
    w = rng.uniform(0.5, 3.0, n)
    full = Scorecard().fit(x, y, w)
    factor = float(rng.uniform(0.3, 0.95))
    shrunk = Scorecard(shrinkage=factor).fit(x, y, w)
    np.testing.assert_allclose(shrunk.coef_, factor * full.coef_, rtol=1e-12)
    eta_full, eta_shrunk = _log_odds(full, x), _log_odds(shrunk, x)
    # The same order: the shrunk log-odds are an increasing function of the full ones.
    expected = factor * (eta_full - full.intercept_[0]) + shrunk.intercept_[0]
    np.testing.assert_allclose(eta_shrunk, expected, rtol=0, atol=1e-12)
    order = np.argsort(eta_full, kind="stable")
    assert np.all(np.diff(eta_shrunk[order]) >= -1e-12)
    # Calibrated in the large on the training rows (weights normalised or not: the same).
    assert np.average(expit(eta_shrunk), weights=w) == pytest.approx(
        np.average(y, weights=w), abs=1e-10
    )
    # Standard errors of the slopes scaled, the intercept's kept; the same bins.
    np.testing.assert_allclose(shrunk.std_errors_[1:], factor * full.std_errors_[1:], rtol=1e-12)
    assert shrunk.std_errors_[0] == full.std_errors_[0]
    for a, b in zip(full.binning_.bins_, shrunk.binning_.bins_, strict=True):
        assert a.to_dict() == b.to_dict()
    # Points follow from the shrunk coefficients; the reference points are their mean.
    for j, points in enumerate(shrunk.bin_points_):
        woe = np.asarray(shrunk.binning_.bins_[j].woe)
        np.testing.assert_allclose(
            points, shrunk.scaling_.bin_points(float(shrunk.coef_[0, j]), woe), atol=0
        )


def test_refit_intercept_solves_the_score_equation() -> None:
    rng = np.random.default_rng(3)
    codes = [rng.integers(0, 4, 500), rng.integers(0, 3, 500)]
    tables = [np.array([-1.0, -0.2, 0.3, 1.1]), np.array([0.5, 0.0, -0.7])]
    y = (rng.random(500) < 0.2).astype(int)
    rows = group_rows(codes, tables, y, rng.uniform(0.5, 2.0, 500))
    for coef, start in (([0.4, 0.9], 0.0), ([3.0, -2.0], 25.0), ([0.0, 0.0], -30.0)):
        a = refit_intercept(rows, np.array(coef), start=start)
        p = expit(a + rows.design @ np.array(coef))
        total = rows.events + rows.non_events
        assert total @ p == pytest.approx(rows.events.sum(), rel=1e-11)
    with pytest.raises(ValueError, match="both classes"):
        refit_intercept(group_rows(codes, tables, np.zeros(500, int), np.ones(500)), np.ones(2))


def test_each_segment_of_a_family_refits_its_own_intercept(checked: pd.DataFrame) -> None:
    w = checked["control_weight"].to_numpy()
    family = ScorecardFamily(scorecard=Scorecard(shrinkage=0.7)).fit(checked, checked["target"], w)
    plain = ScorecardFamily().fit(checked, checked["target"], w)
    for name, model in family.models_.items():
        assert model.shrinkage == 0.7
        rows = (checked["income_reporting"].astype(str) == name).to_numpy()
        predicted = np.average(expit(_log_odds(model, checked[rows])), weights=w[rows])
        assert predicted == pytest.approx(np.average(checked["target"][rows], weights=w[rows]))
        np.testing.assert_allclose(model.coef_, 0.7 * plain.models_[name].coef_, rtol=1e-12)
        assert model.intercept_[0] != plain.models_[name].intercept_[0]


# ------------------------------------------------------------------ calibration on new rows
def _overfit_world(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two informative columns and ten of pure noise: a scorecard on 2,000 rows overfits."""
    x = rng.normal(size=(n, 12))
    p = expit(-2.0 + 0.8 * x[:, 0] - 0.6 * x[:, 1])
    return x, (rng.random(n) < p).astype(int), p


def _mean_decile_gap(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean over the ten deciles of ``predicted`` of |mean predicted - mean true probability|."""
    order = np.argsort(predicted, kind="stable")
    decile = np.empty(len(order), dtype=np.intp)
    decile[order] = np.arange(len(order)) * 10 // len(order)
    return float(
        np.mean([abs(predicted[decile == d].mean() - truth[decile == d].mean()) for d in range(10)])
    )


@pytest.mark.parametrize("seed", range(10))
def test_shrinking_by_the_cv_slope_calibrates_better_on_new_rows(seed: int) -> None:
    x, y, _ = _overfit_world(2_000, np.random.default_rng(seed))
    x_new, _, p_new = _overfit_world(100_000, np.random.default_rng(1_000 + seed))
    eta = np.empty(len(y))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        eta[held] = Scorecard().fit(x[fit], y[fit]).decision_function(x[held])
    slope = float(LogisticRegression(C=1e12).fit(eta[:, None], y).coef_[0, 0])
    assert 0.6 < slope < 0.9  # overconfident out of fold (known: ten noise columns)
    full = Scorecard().fit(x, y)
    shrunk = Scorecard(shrinkage=slope).fit(x, y)
    gap_full = _mean_decile_gap(full.predict_proba(x_new)[:, 1], p_new)
    gap_shrunk = _mean_decile_gap(shrunk.predict_proba(x_new)[:, 1], p_new)
    assert gap_shrunk < gap_full


# ------------------------------------------------------------------------------ model file
def test_shrunk_family_round_trip(checked: pd.DataFrame, tmp_path: Path) -> None:
    w = checked["control_weight"].to_numpy()
    family = ScorecardFamily(scorecard=Scorecard(shrinkage=0.8)).fit(checked, checked["target"], w)
    path = tmp_path / "shrunk.json"
    digest = save_model(family, path)
    document = json.loads(path.read_text())
    assert {s["params"]["shrinkage"] for s in document["segments"].values()} == {0.8}
    loaded = load_model(path)
    assert isinstance(loaded, ScorecardFamily)
    assert {m.shrinkage for m in loaded.models_.values()} == {0.8}
    np.testing.assert_array_equal(loaded.points(checked), family.points(checked))
    np.testing.assert_array_equal(loaded.predict_proba(checked), family.predict_proba(checked))
    again = tmp_path / "again.json"
    assert save_model(loaded, again) == digest
    assert again.read_bytes() == path.read_bytes()
    model_file = read_model_file(path)
    assert {s.shrinkage for s in model_file.segments.values()} == {0.8}
    said = [item for item in limits(describe_model(model_file)) if "shrunk" in item]
    assert len(said) == len(family.models_) and "0.8 " in said[0]
    assert "shrinkage" in describe_model(model_file).to_dict()["segments"][0]


def test_diff_says_the_shrinkage_changed(
    checked: pd.DataFrame, family_file: Path, tmp_path: Path
) -> None:
    w = checked["control_weight"].to_numpy()
    family = ScorecardFamily(scorecard=Scorecard(shrinkage=0.75)).fit(checked, checked["target"], w)
    save_model(family, tmp_path / "shrunk.json")
    diff = diff_models(read_model_file(family_file), read_model_file(tmp_path / "shrunk.json"))
    changed = [c for c in diff.settings if "shrinkage" in c.setting]
    assert changed == [
        SettingChange(f"segment {name}: shrinkage", "1.0", "0.75") for name in family.segments_
    ]


def test_default_shrinkage_writes_the_file_as_before(
    checked: pd.DataFrame, family: ScorecardFamily, family_file: Path
) -> None:
    w = checked["control_weight"].to_numpy()
    again = ScorecardFamily(scorecard=Scorecard(shrinkage=1.0)).fit(checked, checked["target"], w)
    assert model_to_dict(again) == model_to_dict(family)
    document = json.loads(family_file.read_text())
    assert all("shrinkage" not in s["params"] for s in document["segments"].values())
    model_file = read_model_file(family_file)
    assert {s.shrinkage for s in model_file.segments.values()} == {1.0}
    assert not [item for item in limits(describe_model(model_file)) if "shrunk" in item]
    assert all("shrinkage" not in s for s in describe_model(model_file).to_dict()["segments"])


def _edited(document: dict[str, Any], value: Any) -> dict[str, Any]:
    edited = json.loads(json.dumps(document))
    for segment in edited["segments"].values():
        segment["params"]["shrinkage"] = value
    edited["sha256"] = content_hash(edited)
    return edited


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "a number above 0 and below 1"),
        (0.0, "a number above 0 and below 1"),
        (1.5, "a number above 0 and below 1"),
        ("0.8", "a finite number"),
        (True, "a finite number"),
    ],
)
def test_model_file_refuses_a_bad_shrinkage(
    family: ScorecardFamily, value: Any, expected: str
) -> None:
    with pytest.raises(ModelFileError, match=rf"params\.shrinkage: expected {expected}"):
        model_from_dict(_edited(model_to_dict(family), value))


def test_points_edited_in_a_shrunk_file_are_refused(checked: pd.DataFrame) -> None:
    w = checked["control_weight"].to_numpy()
    model = Scorecard(features=FEATURES, shrinkage=0.5).fit(checked, checked["target"], w)
    document = model_to_dict(model)
    assert model_from_dict(document).shrinkage == 0.5
    edited = json.loads(json.dumps(document))
    variable = edited["segments"]["all"]["variables"][0]
    variable["points"] = [2 * p for p in variable["points"]]  # the unshrunk points, roughly
    edited["sha256"] = content_hash(edited)
    with pytest.raises(ModelFileError, match=r"points\[\d+\]: expected"):
        model_from_dict(edited)


# ------------------------------------------------------------------------ parameter, tuning
@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.01, 2])
def test_shrinkage_out_of_range_is_refused(checked: pd.DataFrame, bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="shrinkage"):
        Scorecard(shrinkage=bad).fit(checked, checked["target"])


def test_tuning_estimator_shrinks_only_when_asked(checked: pd.DataFrame) -> None:
    data = training_data(checked)
    result = choose_parameters(data, grid={"C": (1.0,)})
    assert result.estimator().shrinkage == 1.0
    assert result.estimator(shrink=True).shrinkage == min(1.0, result.calibration_slope)
    family = choose_parameters(data, grid={"C": (1.0,)}, segment_column="income_reporting")
    shrunk = family.estimator(shrink=True)
    assert isinstance(shrunk, ScorecardFamily)
    assert shrunk.scorecard is not None
    assert shrunk.scorecard.shrinkage == min(1.0, family.calibration_slope)
    above = result.__class__(**{**result.__dict__, "calibration_slope": 1.3})
    assert above.estimator(shrink=True).shrinkage == 1.0
    flat = result.__class__(**{**result.__dict__, "calibration_slope": -0.1})
    with pytest.raises(DmdeError, match=r"calibration slope is -0\.1"):
        flat.estimator(shrink=True)
