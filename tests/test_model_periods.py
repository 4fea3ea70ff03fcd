"""Two models by period (dmde.model.periods): the window rule, the boundaries, the model file,
and known answers on the synthetic panel's random controls."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dmde.core.errors import DmdeError, ParameterError, SchemaError
from dmde.data.synthetic import synthesize
from dmde.data.synthetic_panel import generate_panel
from dmde.model.model_file import (
    ModelFileError,
    content_hash,
    load_model,
    model_from_dict,
    model_to_dict,
    read_model_file,
    save_model,
)
from dmde.model.periods import (
    PeriodScorecards,
    month_number,
    retirement_month,
    row_periods,
    window_weights,
)
from dmde.model.scorecard import Scorecard, ScorecardFamily

SEEDS = (1, 2, 3, 4, 5)


# ------------------------------------------------------------------------------ the rule
@pytest.mark.parametrize(
    ("month", "before", "after", "label"),
    [
        ("2020-01", 24, 0, "before"),
        ("2025-02", 24, 0, "before"),
        ("2025-03", 24, 0, "before"),  # the window ends in February 2025
        ("2025-04", 23, 1, "before 23/24 + after 1/24"),
        ("2025-06", 21, 3, "before 21/24 + after 3/24"),
        ("2026-03", 12, 12, "before 12/24 + after 12/24"),
        ("2027-02", 1, 23, "before 1/24 + after 23/24"),
        ("2027-03", 0, 24, "after"),  # the "before" model retires
        ("2031-12", 0, 24, "after"),
    ],
    ids=lambda v: str(v),
)
def test_window_weights(month: str, before: int, after: int, label: str) -> None:
    weights = window_weights(month)
    assert weights.months == {"before": before, "after": after}
    assert weights.label == label
    assert sum(weights.weights.values()) == pytest.approx(1.0)
    assert month_number(weights.last) - month_number(weights.first) == 23
    assert month_number(weights.month) - month_number(weights.last) == 1


def test_window_weights_over_seven_years() -> None:
    # every month from 2023 to 2029: "before" months fall by one a month from 2025-04 to 2027-03
    months = [f"{y}-{m:02d}" for y in range(2023, 2030) for m in range(1, 13)]
    before = [window_weights(m).months["before"] for m in months]
    assert all(window_weights(m).window == 24 for m in months)
    assert before[: months.index("2025-03") + 1] == [24] * (months.index("2025-03") + 1)
    assert before[months.index("2025-03") : months.index("2027-03") + 1] == list(range(24, -1, -1))
    assert set(before[months.index("2027-03") :]) == {0}


def test_retirement_is_the_first_month_fully_after() -> None:
    assert retirement_month() == "2027-03"
    assert window_weights(retirement_month()).months["before"] == 0
    assert window_weights("2027-02").months["before"] == 1
    assert retirement_month("2025-03", 12) == "2026-03"


def test_describe_names_each_model_its_months_and_weight() -> None:
    text = window_weights("2026-01").describe()
    assert text == (
        '2026-01: a check looks back over 2024-01 to 2025-12; scored by the "before" model for '
        '14 months (2024-01 to 2025-02, weight 14/24) and the "after" model for 10 months '
        "(2025-03 to 2025-12, weight 10/24)."
    )
    assert "before" not in window_weights("2027-05").describe()


def test_row_periods() -> None:
    months = pd.Series(["2024-12", "2025-02", "2025-03", "2026-07"], dtype="category")
    assert row_periods(months).tolist() == ["before", "before", "after", "after"]
    assert row_periods(months, reform_month="2024-12").tolist() == ["after"] * 4


@pytest.mark.parametrize(
    ("months", "match"),
    [
        (["2025-13"], r"snapshot_month must be a month written YYYY-MM .*got '2025-13'"),
        (["2025-3"], r"got '2025-3'"),
        (["2025-03", None], r"snapshot_month is missing on 1 rows"),
    ],
    ids=["month-13", "one-digit", "missing"],
)
def test_row_periods_refuses(months: list[str | None], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        row_periods(months)


# ------------------------------------------------------------------------------ data
@functools.cache
def _controls(seed: int, start: str = "2024-03") -> pd.DataFrame:
    """The random controls of a 24-month panel of 20,000 households, 1,500 a month."""
    parts = []
    for _, table in generate_panel(20_000, months=24, start=start, seed=seed, controls=1_500):
        frame = table.to_pandas()
        parts.append(frame[frame["controlled"] == 1])
    return pd.concat(parts, ignore_index=True)


def _truth(df: pd.DataFrame, *, same: bool) -> np.ndarray:
    """A known truth: different features matter before and after pre-filling (or the same)."""
    before = (
        -2.6
        + 1.2 * (df["mean_rsa_12m"] > 0)
        + 0.9 * (df["income_volatility"] > df["income_volatility"].median())
        - 0.8 * (df["income_to_smic"] > 1)
    )
    after = (
        -2.6
        + 1.2 * (df["child_over_19"] == 1)
        + 0.9 * (df["separation_12m"] == 1)
        + 0.25 * df["n_children"].clip(upper=4)
        - 0.5 * (df["mean_prime_activite_12m"] > 0)
    )
    if same:
        after = before
    logit = np.where(row_periods(df["snapshot_month"]) == "before", before, after)
    return np.asarray(1.0 / (1.0 + np.exp(-logit.astype(float))))


def _planted(seed: int, *, same: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and test halves (by household) with targets drawn from :func:`_truth`."""
    df = _controls(seed).copy()
    rng = np.random.default_rng(seed)
    df["target"] = (rng.random(len(df)) < _truth(df, same=same)).astype(int)
    test = (df["dossier_id"] % 2 == 0).to_numpy()
    return df[~test], df[test]


def _auc(model: object, rows: pd.DataFrame) -> float:
    p = model.predict_proba(rows)[:, 1]  # type: ignore[attr-defined]
    return float(roc_auc_score(rows["target"], p, sample_weight=rows["control_weight"]))


@functools.cache
def _fitted(seed: int = 1) -> tuple[PeriodScorecards, pd.DataFrame]:
    train, test = _planted(seed, same=False)
    return PeriodScorecards().fit(train, train["target"], train["control_weight"]), test


# ------------------------------------------------------------------------------ known answers
@pytest.mark.parametrize("seed", SEEDS)
def test_period_models_recover_a_truth_that_differs_by_period(seed: int) -> None:
    train, test = _planted(seed, same=False)
    model = PeriodScorecards().fit(train, train["target"], train["control_weight"])
    pooled = Scorecard().fit(train, train["target"], train["control_weight"])
    period = row_periods(test["snapshot_month"])
    for name, other in (("before", "after"), ("after", "before")):
        rows = test[period == name]
        own = _auc(model.models_[name], rows)
        assert own > _auc(pooled, rows) + 0.01, name
        assert own > _auc(model.models_[other], rows) + 0.10, name
    both = [model.models_[p].decision_function(test) for p in ("before", "after")]
    assert np.corrcoef(*both)[0, 1] < 0.5  # the two models disagree, as planted


@pytest.mark.parametrize("seed", SEEDS)
def test_period_models_agree_when_the_truth_is_the_same(seed: int) -> None:
    train, test = _planted(seed, same=True)
    model = PeriodScorecards().fit(train, train["target"], train["control_weight"])
    period = row_periods(test["snapshot_month"])
    for name in ("before", "after"):
        rows = test[period == name]
        aucs = [_auc(model.models_[p], rows) for p in ("before", "after")]
        assert abs(aucs[0] - aucs[1]) < 0.02, name
    both = [model.models_[p].decision_function(test) for p in ("before", "after")]
    assert np.corrcoef(*both)[0, 1] > 0.9


# ------------------------------------------------------------------------------ scoring
def _own_points(model: PeriodScorecards, name: str, rows: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.models_[name].points(rows))


def test_window_fully_before_is_the_before_model() -> None:
    model, test = _fitted()
    rows = test.head(500)
    scored = model.set_params(month="2025-03").points(rows)
    np.testing.assert_array_equal(scored, _own_points(model, "before", rows))
    model.set_params(month=None)


def test_window_fully_after_uses_only_the_after_model(monkeypatch: pytest.MonkeyPatch) -> None:
    model, test = _fitted()
    rows = test.head(500)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the retired model was evaluated")

    monkeypatch.setattr(model.models_["before"], "contributions_of", refuse)
    for month in ("2027-03", "2029-11"):
        scored = PeriodScorecards.points(model.set_params(month=month), rows)
        np.testing.assert_array_equal(scored, _own_points(model, "after", rows))
    model.set_params(month=None)


@pytest.mark.parametrize("month", ["2025-04", "2025-06", "2026-03", "2027-02"])
def test_straddling_window_is_a_sum_of_month_weighted_published_points(month: str) -> None:
    model, test = _fitted()
    rows = test.head(500)
    weights = window_weights(month).weights
    before, after = model.models_["before"], model.models_["after"]
    assert before.features_ == after.features_ == model.features_
    # each item: the weights' average of the two published points, rounded; the score: the sum
    items = np.round(
        weights["before"] * before.contributions(rows)
        + weights["after"] * after.contributions(rows),
        2,
    )
    start = round(
        weights["before"] * before.intercept_points_ + weights["after"] * after.intercept_points_,
        2,
    )
    scored = model.set_params(month=month).score_columns(
        {c: rows[c] for c in model.features_}, len(rows), reasons=3
    )
    np.testing.assert_allclose(scored.points, np.round(start + items.sum(axis=1), 2), atol=1e-9)
    starting, weighted = model.weighted_points({c: rows[c] for c in model.features_}, len(rows))
    np.testing.assert_allclose(weighted, items, atol=1e-12)
    assert np.all(starting == start)
    # ... the month-weighted average of the two scores up to the rounding of each item
    average = weights["before"] * before.points(rows) + weights["after"] * after.points(rows)
    assert np.abs(scored.points - average).max() <= 0.005 * (len(model.features_) + 2)
    assert set(scored.segment) == {window_weights(month).label}
    # the probability is that of the combined points, i.e. of the month-weighted log-odds
    scaling = after.scaling_
    np.testing.assert_allclose(scored.probability, scaling.probability(scored.points))
    assert scored.k == 3 and (scored.reason_features[:, 0] >= 0).any()
    model.set_params(month=None)


def test_as_of_is_a_copy_scoring_one_month() -> None:
    model, test = _fitted()
    rows = test.head(50).drop(columns="snapshot_month")
    dated = model.as_of("2026-03")
    assert model.month is None and dated.month == "2026-03"
    assert dated.models_ is model.models_
    assert dated.points(rows).shape == (50,)
    with pytest.raises(ParameterError, match=r"month must be a month written YYYY-MM"):
        model.as_of("2026")


def test_each_row_scored_as_of_its_own_month() -> None:
    model, test = _fitted()
    rows = test.head(300).copy()
    rows["snapshot_month"] = np.where(np.arange(300) % 2, "2025-01", "2028-01")
    scored = model.points(rows)
    np.testing.assert_array_equal(scored[1::2], _own_points(model, "before", rows)[1::2])
    np.testing.assert_array_equal(scored[::2], _own_points(model, "after", rows)[::2])
    p = model.predict_proba(rows)
    assert p.shape == (300, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert set(model.predict(rows)) <= {0, 1}


def test_scoring_needs_a_month() -> None:
    model, test = _fitted()
    with pytest.raises(SchemaError, match=r"no column 'snapshot_month'.*dmde score --month"):
        model.score_columns({c: test[c] for c in model.features_}, len(test))
    with pytest.raises(SchemaError, match=r"input has no column 'snapshot_month'"):
        model.points(test.drop(columns="snapshot_month"))


# ------------------------------------------------------------------------------ fit errors
def test_fit_refuses_a_period_without_rows() -> None:
    df = _controls(1)
    after = df[df["snapshot_month"] >= "2025-03"]
    with pytest.raises(DmdeError, match=r'the "before" period .* has 0 labelled rows'):
        PeriodScorecards().fit(after, after["target"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"reform_month": "March 2025"}, r"reform_month must be a month written YYYY-MM"),
        ({"month": "2025-3"}, r"month must be a month written YYYY-MM"),
        ({"month_column": "caf_code"}, r"segment_column 'caf_code' locates the household"),
    ],
    ids=["reform", "month", "caf"],
)
def test_fit_refuses_bad_parameters(params: dict[str, str], match: str) -> None:
    df = _controls(1)
    with pytest.raises(DmdeError, match=match):
        PeriodScorecards(**params).fit(df, df["target"])  # type: ignore[arg-type]


def test_parameter_error_is_a_usage_error() -> None:
    with pytest.raises(ParameterError):
        PeriodScorecards(month="nope")._check_own_params()


# ------------------------------------------------------------------------------ model file
def test_model_file_round_trip(tmp_path: Path) -> None:
    model, test = _fitted()
    path = f"{tmp_path}/model.json"
    save_model(model, path)
    record = read_model_file(path)
    loaded = record.model
    assert isinstance(loaded, PeriodScorecards)
    assert list(record.segments) == ["before", "after"]
    assert record.routing_column == "snapshot_month"
    np.testing.assert_array_equal(loaded.points(test), model.points(test))
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["format_version"] == 1
    assert document["periods"] == {
        "version": 1,
        "month_column": "snapshot_month",
        "reform_month": "2025-03",
        "window_months": 24,
        "combination": "month-weighted log-odds",
        "retired": {"before": "2027-03"},
        "trained_months": {"before": ["2024-03", "2025-02"], "after": ["2025-03", "2026-02"]},
    }


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda p: p.update(version=2), r"unknown periods version 2"),
        (lambda p: p.update(combination="max"), r"field periods.combination: expected"),
        (lambda p: p.update(window_months=12), r"field periods.retired: expected"),
        (lambda p: p.pop("retired"), r"field periods.retired is missing"),
        (lambda p: p.update(extra=1), r"field periods.extra is not a field"),
        (lambda p: p.update(month_column="income_reporting"), r"the routing column"),
        (lambda p: p["trained_months"].update(after=["2025-03"]), r"trained_months.after"),
    ],
    ids=["version", "combination", "window", "missing", "unknown", "column", "months"],
)
def test_model_file_refuses_an_edited_periods_block(edit: object, match: str) -> None:
    model, _ = _fitted()
    document = model_to_dict(model)
    edit(document["periods"])  # type: ignore[operator]
    document["sha256"] = content_hash(document)  # an editor who recomputes the hash
    with pytest.raises(ModelFileError, match=match):
        model_from_dict(document)


def test_other_model_files_have_no_periods_block(tmp_path: Path) -> None:
    df = synthesize(4_000, seed=3, controls=2_000)
    checked = df[df["controlled"] == 1]
    for model in (Scorecard(), ScorecardFamily()):
        model.fit(checked, checked["target"], checked["control_weight"])
        document = model_to_dict(model)
        assert "periods" not in document
        path = f"{tmp_path}/m.json"
        save_model(model, path)
        assert type(load_model(path)) is type(model)
