"""Tests of dmde.model.tuning: the cross-validated choice of binning, features and C.

Each verdict is checked on generated data where the right answer is planted, over several seeds:
a U-shaped risk needs free (not monotone) bins, a monotone one keeps monotone bins, pure-noise
columns are dropped, an overfit model has a calibration slope below 1 and a well-specified one
on many rows a slope near 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from dmde.core.errors import DmdeError, ParameterError, SchemaError
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import TrainingData, _weighted_auc
from dmde.model.tuning import (
    DEFAULT_GRID,
    GRID_PARAMETERS,
    TuningResult,
    _choose,
    _logistic,
    choose_parameters,
    shrinkage_offsets,
)

SIGNAL = ["income_to_smic", "n_children"]
NOISE = ["months_on_file", "mean_af_12m", "mean_cf_12m", "mean_total_12m", "income_volatility"]
SEEDS = [0, 1, 2, 3, 4]


def _data(
    seed: int,
    *,
    rows: int = 3_000,
    logit: str = "monotone",
    strength: float = 1.0,
    noise: list[str] = NOISE,
) -> TrainingData:
    """Rows of catalog columns whose true logit reads only ``SIGNAL`` (or nothing)."""
    rng = np.random.default_rng(seed)
    income = rng.uniform(0, 3, rows)
    children = rng.integers(0, 5, rows).astype(float)
    if logit == "monotone":
        eta = -2.5 + strength * (-0.8 * income + 0.3 * children)
    elif logit == "u_shape":  # risk high at both ends of income: no monotone binning fits it
        eta = -2.5 + strength * (1.6 * (income - 1.5) ** 2 - 0.9)
    else:  # pure noise
        eta = np.full(rows, -2.5)
    y = (rng.random(rows) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    frame = pd.DataFrame({"income_to_smic": income, "n_children": children})
    for name in noise:
        frame[name] = rng.gamma(2.0, 1.0, rows).round(2)
    frame["income_reporting"] = np.where(rng.random(rows) < 0.4, "declarative", "prefilled")
    weight = np.where(rng.random(rows) < 0.5, 1.0, 3.0)
    return TrainingData(X=frame, y=y, weight=weight, target="target")


def _template(data: TrainingData) -> Scorecard:
    features = [c for c in data.X.columns if c != "income_reporting"]
    return Scorecard(features=features)


# ---------------------------------------------------------------------------------------------
# Planted answers
@pytest.mark.parametrize("seed", SEEDS)
def test_a_u_shaped_risk_gets_free_bins(seed: int) -> None:
    data = _data(seed, logit="u_shape", noise=[])
    result = choose_parameters(
        data, scorecard=_template(data), grid={"monotonic_trend": ("auto", "none")}, seed=seed
    )
    assert result.parameters["monotonic_trend"] == "none"
    table = result.table.set_index("monotonic_trend")
    assert table.loc["none", "auc_mean"] > table.loc["auto", "auc_mean"] + 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_a_monotone_risk_keeps_monotone_bins_under_one_se(seed: int) -> None:
    data = _data(seed, noise=[])
    result = choose_parameters(
        data,
        scorecard=_template(data),
        grid={"monotonic_trend": ("auto", "none")},
        seed=seed,
        rule="one_se",
    )
    assert result.parameters["monotonic_trend"] == "auto"


@pytest.mark.parametrize("seed", SEEDS)
def test_pure_noise_columns_are_dropped(seed: int) -> None:
    """Eight columns of pure noise beside two of signal, a weak penalty: the folds prefer the
    model without them, and the floor on information value drops them (at most one survives).
    The gain is 0.004 to 0.015 of AUC, 2 to 15 standard errors: "best" takes it on every seed,
    "guarded" (2 standard errors) on some."""
    noise = [*NOISE, "mean_rsa_12m", "mean_housing_aid_12m", "mean_aah_12m"]
    data = _data(seed, rows=8_000, noise=noise, strength=1.5)
    template = _template(data).set_params(C=100.0)
    grid = {"min_iv": (0.0, 0.03)}
    result = choose_parameters(data, scorecard=template, grid=grid, seed=seed, rule="best")
    assert result.parameters["min_iv"] == 0.03
    assert set(SIGNAL) <= set(result.features)
    assert len(set(result.features) & set(noise)) <= 1
    table = result.table.set_index("min_iv")
    assert table.loc[0.03, "auc_mean"] > table.loc[0.0, "auc_mean"]
    model = result.estimator()
    assert isinstance(model, Scorecard)
    fitted = model.fit(data.X, data.y, sample_weight=data.weight)
    assert fitted.features_ == result.features


def test_guarded_mostly_keeps_the_template_when_nothing_is_planted() -> None:
    """On a target of pure noise every candidate is as useless as the template; the guard (2
    standard errors of 5 fold differences, a rough bar) keeps the template on 8 of these 10
    seeds (measured: the two others move on a fold-to-fold luck of 3 and 4 standard errors)."""
    grid = {"C": (0.01, 1.0, 100.0), "min_iv": (0.0, 0.05), "monotonic_trend": ("auto", "none")}
    kept = 0
    for seed in range(10):
        data = _data(seed, logit="none")
        result = choose_parameters(data, scorecard=_template(data), grid=grid, seed=seed)
        chosen = result.table.loc[result.table["chosen"]]
        kept += int(chosen["template"].item())
        assert result.table["auc_mean"].max() < 0.6
    assert kept >= 8


@pytest.mark.parametrize("seed", SEEDS)
def test_one_se_is_never_less_regularised_than_best(seed: int) -> None:
    data = _data(seed, logit="none")
    grid = {"C": (0.01, 1.0, 100.0), "min_iv": (0.0, 0.05)}
    best = choose_parameters(data, scorecard=_template(data), grid=grid, seed=seed)
    simple = choose_parameters(data, scorecard=_template(data), grid=grid, seed=seed, rule="one_se")
    assert simple.parameters["C"] <= best.parameters["C"]
    table = simple.table
    floor = table["auc_mean"].max() - table.loc[table["auc_mean"].idxmax(), "auc_se"]
    assert table.loc[table["chosen"], "auc_mean"].item() >= floor


def test_one_se_takes_the_simplest_within_one_standard_error() -> None:
    candidates = [
        {"C": c, "min_bin_share": 0.02, "max_prebins": 20, "monotonic_trend": "auto", "min_iv": 0.0}
        for c in (0.1, 1.0, 10.0)
    ]
    table = pd.DataFrame(candidates)
    table["auc_mean"] = [0.70, 0.72, 0.73]
    table["auc_se"] = [0.01, 0.01, 0.015]
    assert _choose(table, candidates, "best") == 2
    assert _choose(table, candidates, "one_se") == 1  # 0.72 >= 0.73 - 0.015 > 0.70
    table["auc_mean"] = [0.73, 0.72, 0.73]  # a tie goes to the simplest
    assert _choose(table, candidates, "best") == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_an_overfit_model_has_a_calibration_slope_below_one(seed: int) -> None:
    noise = [*NOISE, "mean_rsa_12m", "mean_housing_aid_12m", "mean_aah_12m"]
    data = _data(seed, rows=1_500, noise=noise)
    result = choose_parameters(data, scorecard=_template(data), grid={"C": (100.0,)}, seed=seed)
    assert result.calibration_slope < 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_a_well_specified_model_on_many_rows_has_a_slope_near_one(seed: int) -> None:
    data = _data(seed, rows=30_000, noise=[])
    result = choose_parameters(
        data, scorecard=Scorecard(features=SIGNAL), grid={"C": (1.0,)}, seed=seed
    )
    assert 0.9 < result.calibration_slope < 1.1


@pytest.mark.parametrize("seed", SEEDS)
def test_shrinkage_offsets_keep_each_segments_base_rate(seed: int) -> None:
    data = _data(seed)
    model = Scorecard(features=SIGNAL).fit(data.X, data.y, sample_weight=data.weight)
    eta = model.decision_function(data.X)
    segment = data.X["income_reporting"].to_numpy()
    offsets = shrinkage_offsets(eta, data.y, data.weight, slope=0.7, segment=segment)
    assert sorted(offsets) == ["declarative", "prefilled"]
    for name, offset in offsets.items():
        rows = segment == name
        p = 1 / (1 + np.exp(-(0.7 * eta[rows] + offset)))
        expected = np.average(data.y[rows], weights=data.weight[rows])
        assert np.average(p, weights=data.weight[rows]) == pytest.approx(expected, abs=1e-9)
    whole = shrinkage_offsets(eta, data.y, data.weight, slope=1.0)
    assert abs(whole[""]) < 0.02  # the fit is calibrated in the large already (up to rounding)


# ---------------------------------------------------------------------------------------------
# The procedure
def test_the_choice_is_deterministic_and_the_seed_sets_the_folds() -> None:
    data = _data(7)
    grid = {"C": (0.1, 1.0)}
    first = choose_parameters(data, scorecard=_template(data), grid=grid, seed=3)
    again = choose_parameters(data, scorecard=_template(data), grid=grid, seed=3)
    other = choose_parameters(data, scorecard=_template(data), grid=grid, seed=4)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert not np.array_equal(first.table["fold_1"], other.table["fold_1"])


def test_the_table_has_one_row_per_candidate_in_grid_order() -> None:
    data = _data(1)
    result = choose_parameters(data, scorecard=_template(data), folds=3)
    n = int(np.prod([len(v) for v in DEFAULT_GRID.values()]))
    assert len(result.table) == n
    assert list(result.table.columns) == [
        *GRID_PARAMETERS,
        "template",
        "n_features",
        "auc_mean",
        "auc_se",
        "gain",
        "gain_se",
        "fold_1",
        "fold_2",
        "fold_3",
        "chosen",
    ]
    assert list(result.table["C"].iloc[:2]) == [0.1, 0.1]
    assert result.table["template"].sum() == 1  # the defaults are in the default grid
    assert "chosen (guarded, 3 folds, seed 0)" in result.format()
    assert "auc_se" in result.format().splitlines()[1].split()


def test_a_grid_value_not_named_keeps_the_template() -> None:
    data = _data(2)
    template = Scorecard(features=SIGNAL, min_bin_share=0.04, C=0.5)
    result = choose_parameters(data, scorecard=template, grid={"max_prebins": (8, 12)})
    assert result.parameters["C"] == 0.5
    assert result.parameters["min_bin_share"] == 0.04
    assert result.parameters["min_iv"] == 0.0
    model = result.estimator()
    assert isinstance(model, Scorecard)
    assert model.features == SIGNAL  # min_iv 0: the template's features, untouched


def test_a_family_is_tuned_per_segment_and_built_as_a_family() -> None:
    data = _data(3)
    result = choose_parameters(
        data,
        scorecard=_template(data),
        segment_column="income_reporting",
        grid={"C": (0.1, 1.0), "min_iv": (0.0, 0.02)},
    )
    model = result.estimator()
    assert isinstance(model, ScorecardFamily)
    assert model.segment_column == "income_reporting"
    assert model.scorecard is not None
    assert result.parameters["C"] == model.scorecard.C
    model.fit(data.X, data.y, sample_weight=data.weight)
    assert set(model.segments_) == {"declarative", "prefilled"}


def test_the_folds_score_what_scorecard_fit_would() -> None:
    """The fast path's regression is Scorecard's: same coefficients on the same WoE design."""
    data = _data(4)
    for C in (0.05, 1.0):
        model = Scorecard(features=SIGNAL + NOISE[:2], C=C)
        model.fit(data.X, data.y, sample_weight=data.weight)
        woe = model.binning_.transform(data.X[list(model.features_)])
        beta = _logistic(woe, data.y.astype(float), data.weight, C)
        np.testing.assert_allclose(beta[0], model.intercept_[0], atol=1e-6)
        np.testing.assert_allclose(beta[1:], model.coef_[0], atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_weighted_auc_is_scikit_learns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500).astype(float)
    score = rng.integers(0, 12, 500).astype(float)  # many ties
    weight = rng.uniform(0.1, 5, 500)
    expected = roc_auc_score(y, score, sample_weight=weight)
    assert _weighted_auc(y, score, weight) == pytest.approx(expected, abs=1e-12)


def test_the_result_is_a_frozen_record() -> None:
    data = _data(5)
    result = choose_parameters(data, scorecard=_template(data), grid={"C": (1.0,)}, folds=2)
    assert isinstance(result, TuningResult)
    with pytest.raises(AttributeError):
        result.rule = "one_se"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Refusals
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"grid": {"alpha": (1.0,)}}, ParameterError, "grid must be a mapping whose keys"),
        ({"grid": {"C": ()}}, ParameterError, r"grid\['C'\] must be a non-empty list"),
        ({"grid": {"C": "1"}}, ParameterError, r"grid\['C'\] must be a non-empty list"),
        ({"grid": {"C": (0.0,)}}, InvalidParameterError, "'C' parameter of Scorecard"),
        ({"grid": {"min_iv": (-0.1,)}}, ParameterError, "min_iv must be a float"),
        ({"folds": 1}, ParameterError, "folds must be an int"),
        ({"rule": "median"}, ParameterError, "rule must be"),
        ({"segment_column": "caf_code"}, DmdeError, "caf_code"),
        ({"grid": {"C": (1.0,)}, "segment_column": 3}, ParameterError, "segment_column must"),
        ({"segment_column": "snapshot_month"}, SchemaError, "no column .snapshot_month."),
    ],
    ids=[
        "unknown",
        "empty",
        "text",
        "bad-C",
        "bad-iv",
        "folds",
        "rule",
        "office",
        "not-text",
        "absent",
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, error: type, match: str) -> None:
    data = _data(6, rows=600)
    with pytest.raises(error, match=match):
        choose_parameters(data, scorecard=_template(data), **kwargs)


def test_a_missing_feature_is_named() -> None:
    data = _data(6, rows=600, noise=[])
    with pytest.raises(SchemaError, match="no column 'months_on_file'"):
        choose_parameters(data, scorecard=Scorecard(features=["months_on_file"]))


def test_too_few_events_for_the_folds_is_said() -> None:
    data = _data(6, rows=600, noise=[])
    y = np.zeros_like(data.y)
    y[:3] = 1
    few = TrainingData(X=data.X, y=y, weight=data.weight, target="target")
    with pytest.raises(DmdeError, match="fewer than the 5 folds"):
        choose_parameters(few, scorecard=_template(few))
