"""Tests of dmde.model.binning: supervised binning and weight of evidence."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from dmde.model import bin_fitting
from dmde.model.bin_fitting import _radix_order, _stable_order
from dmde.model.binning import MISSING_LABEL, FeatureBinning, WoEBinning

SEED = 20260101


def _event_rates(binning: FeatureBinning) -> list[float]:
    """Event rate of each value bin (the missing bin left out)."""
    return [e / c for c, e in zip(binning.count[:-1], binning.events[:-1], strict=True)]


def _rows(counts: dict[Any, tuple[int, int]]) -> tuple[list[Any], list[int]]:
    """Values and targets from {value: (rows, events)}, events first within each value."""
    values: list[Any] = []
    target: list[int] = []
    for value, (rows, events) in counts.items():
        values += [value] * rows
        target += [1] * events + [0] * (rows - events)
    return values, target


# --------------------------------------------------------------------------------------------
# A case computed by hand
def test_three_bins_computed_by_hand() -> None:
    values, y = _rows({0: (10, 1), 1: (10, 3), 2: (10, 6)})
    binning = WoEBinning().fit(pd.DataFrame({"n_children": values}), y).bins_[0]

    assert binning.edges == (0.5, 1.5)
    assert binning.integer_valued
    assert binning.labels() == ("0 or less", "1", "2 or more", MISSING_LABEL)
    assert binning.count == (10.0, 10.0, 10.0, 0.0)
    assert binning.events == (1.0, 3.0, 6.0, 0.0)
    # +0.5 to the events and non-events of each non-empty bin; the empty missing bin is left out.
    events, non_events = (1.5, 3.5, 6.5), (9.5, 7.5, 4.5)
    assert (sum(events), sum(non_events)) == (11.5, 21.5)
    woe = [math.log((e / 11.5) / (n / 21.5)) for e, n in zip(events, non_events, strict=True)]
    assert binning.woe == pytest.approx([*woe, 0.0], rel=1e-12, abs=0)
    assert [round(w, 6) for w in binning.woe] == [-1.220121, -0.136434, 0.993431, 0.0]
    iv = sum((e / 11.5 - n / 21.5) * w for e, n, w in zip(events, non_events, woe, strict=True))
    assert binning.iv == pytest.approx(iv, rel=1e-12)
    assert round(binning.iv, 6) == 0.739624

    table = binning.table()
    assert list(table.columns) == [
        "bin",
        "label",
        "count",
        "share",
        "events",
        "event_rate",
        "woe",
        "iv",
    ]
    assert table["label"].tolist() == ["0 or less", "1", "2 or more", "missing", "total"]
    assert table["event_rate"].tolist()[:3] == [0.1, 0.3, 0.6]
    assert math.isnan(table["event_rate"].iloc[3]) and math.isnan(table["woe"].iloc[4])
    assert table.iloc[4][["count", "share", "events", "event_rate"]].tolist() == [
        30.0,
        1.0,
        10.0,
        1 / 3,
    ]
    assert table["iv"].iloc[4] == pytest.approx(iv, rel=1e-12)
    assert table["bin"].iloc[:4].tolist() == [0, 1, 2, 3] and table["bin"].isna().iloc[4]


def test_positive_woe_means_more_risk() -> None:
    values, y = _rows({0: (50, 5), 1: (50, 25)})
    binning = WoEBinning().fit(np.array(values, dtype=float).reshape(-1, 1), y).bins_[0]
    assert binning.woe[0] < 0 < binning.woe[1]


# --------------------------------------------------------------------------------------------
# Monotonic trends
NDArrayInt = np.ndarray[Any, np.dtype[np.int_]]


def _signal(slope: float, n: int = 4000) -> tuple[pd.DataFrame, NDArrayInt]:
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0, 10, n)
    p = 1 / (1 + np.exp(-(slope * (x - 5) / 2.5)))
    return pd.DataFrame({"x": x}), (rng.random(n) < p).astype(int)


@pytest.mark.parametrize(
    ("slope", "trend", "direction"),
    [
        (1.0, "ascending", 1),
        (-1.0, "descending", -1),
        (1.0, "auto", 1),
        (-1.0, "auto", -1),
        (0.3, "auto", 1),
    ],
    ids=["ascending", "descending", "auto-up", "auto-down", "auto-weak"],
)
def test_monotonic_trend_gives_monotone_event_rates(
    slope: float, trend: str, direction: int
) -> None:
    data, y = _signal(slope)
    binning = WoEBinning(min_bin_share=0.02, monotonic_trend=trend).fit(data, y).bins_[0]
    rates = _event_rates(binning)
    assert len(rates) >= 3
    assert all(direction * (b - a) > 0 for a, b in pairwise(rates))
    woe = binning.woe[:-1]
    assert all(direction * (b - a) > 0 for a, b in pairwise(woe))


def test_a_trend_against_the_signal_pools_everything() -> None:
    data, y = _signal(1.0)
    binning = WoEBinning(monotonic_trend="descending").fit(data, y).bins_[0]
    assert binning.edges == ()


def test_none_keeps_a_u_shape_and_auto_does_not() -> None:
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 10, 5000)
    p = np.where((x < 2) | (x > 7), 0.5, 0.1)
    y = (rng.random(x.size) < p).astype(int)
    data = pd.DataFrame({"x": x})
    rates = _event_rates(WoEBinning(monotonic_trend="none").fit(data, y).bins_[0])
    assert rates[0] > min(rates) < rates[-1]
    auto = _event_rates(WoEBinning().fit(data, y).bins_[0])
    diffs = np.diff(auto)
    assert np.all(diffs > 0) or np.all(diffs < 0)


def test_monotonic_trend_per_column() -> None:
    data, y = _signal(1.0)
    data["same"] = data["x"]
    binning = WoEBinning(monotonic_trend={"same": "none"}).fit(data, y)
    assert binning.bins_[0].edges != binning.bins_[1].edges
    assert len(binning.bins_[1].edges) >= len(binning.bins_[0].edges)


# --------------------------------------------------------------------------------------------
# Bin sizes
@pytest.mark.parametrize("min_bin_share", [0.0, 0.02, 0.05, 0.1, 0.25, 0.5])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_min_bin_share_is_respected_by_every_value_bin(
    min_bin_share: float, weighted: bool
) -> None:
    rng = np.random.default_rng(SEED)
    n = 3000
    x = np.round(rng.lognormal(0, 1, n), 1)
    x[rng.random(n) < 0.1] = np.nan
    y = (rng.random(n) < 0.2).astype(int)
    w = rng.uniform(0.1, 5, n) if weighted else None
    binning = WoEBinning(min_bin_share=min_bin_share, monotonic_trend="none").fit(
        x.reshape(-1, 1), y, sample_weight=w
    )
    counts = binning.bins_[0].count[:-1]
    assert len(counts) >= 2 or min_bin_share == 0.5
    assert all(c / sum(counts) >= min_bin_share for c in counts)


@pytest.mark.parametrize(
    ("n_distinct", "max_prebins", "expected_bins"),
    [(5, 20, 5), (20, 20, 20), (100, 20, 20), (100, 7, 7), (1, 20, 1)],
    ids=["few-values", "as-many-as-prebins", "quantiles", "fewer-prebins", "constant"],
)
def test_prebins(n_distinct: int, max_prebins: int, expected_bins: int) -> None:
    x = np.repeat(np.arange(n_distinct, dtype=float), 10)
    y = np.tile([0, 1], x.size // 2)
    binning = (
        WoEBinning(max_prebins=max_prebins, min_bin_share=0.0, monotonic_trend="none")
        .fit(x.reshape(-1, 1), y)
        .bins_[0]
    )
    assert binning.n_bins == expected_bins + 1
    counts = binning.count[:-1]
    assert max(counts) - min(counts) <= 10  # equal, up to the 10 rows of one distinct value


# --------------------------------------------------------------------------------------------
# Missing values
@pytest.mark.parametrize("missing_value", [np.nan, None, pd.NA], ids=["nan", "none", "pd.NA"])
def test_missing_values_go_to_the_missing_bin(missing_value: Any) -> None:
    values, y = _rows({0: (30, 3), 1: (30, 9), 2: (30, 15)})
    values += [missing_value] * 10
    y += [1] * 5 + [0] * 5
    data = pd.DataFrame({"n": pd.array(values, dtype="Int64")})
    binning = WoEBinning().fit(data, y).bins_[0]
    assert binning.count[-1] == 10.0 and binning.events[-1] == 5.0
    assert binning.woe[-1] != 0.0
    assert binning.assign([missing_value, 1]).tolist() == [binning.missing_bin, 1]
    assert binning.table()["share"].iloc[-2] == 0.1


def test_without_missing_values_in_fit_the_missing_bin_is_average() -> None:
    values, y = _rows({0: (30, 3), 1: (30, 9), 2: (30, 15)})
    estimator = WoEBinning().fit(pd.DataFrame({"n": values}), y)
    binning = estimator.bins_[0]
    assert (binning.count[-1], binning.events[-1], binning.woe[-1]) == (0.0, 0.0, 0.0)
    woe = estimator.transform(pd.DataFrame({"n": [np.nan, 0.0]}))
    assert woe[0, 0] == 0.0 and woe[1, 0] == binning.woe[0]
    assert binning.table()["iv"].iloc[-2] == 0.0


def test_a_column_that_is_all_missing() -> None:
    data = pd.DataFrame({"x": [np.nan] * 4, "c": pd.Series([None] * 4, dtype="str")})
    estimator = WoEBinning().fit(data, [0, 1, 0, 1])
    numeric, text = estimator.bins_
    assert numeric.labels() == ("all values", MISSING_LABEL)
    assert numeric.count == (0.0, 4.0) and numeric.woe == (0.0, 0.0)
    assert text.groups == () and text.n_bins == 1
    assert estimator.bin_indices(pd.DataFrame({"x": [1.0], "c": ["new"]})).tolist() == [[0, 0]]


# --------------------------------------------------------------------------------------------
# Categorical features
HOUSEHOLDS = {
    "single": (40, 4),
    "couple_no_children": (30, 9),
    "lone_parent": (25, 10),
    "couple_children": (3, 1),
    "other": (2, 1),
}


@pytest.mark.parametrize("dtype", ["object", "str", "string", "category"])
def test_rare_levels_are_grouped_whatever_the_text_dtype(dtype: str) -> None:
    values, y = _rows(HOUSEHOLDS)
    data = pd.DataFrame({"household_type": pd.Series(values, dtype=dtype)})
    estimator = WoEBinning(rare_level_share=0.05, min_bin_share=0.02).fit(data, y)
    binning = estimator.bins_[0]
    assert binning.kind == "categorical"
    # Ordered by event rate (0.1, 0.3, 0.4, 0.4), ties by name; the rare group sorted inside.
    assert binning.groups == (
        ("single",),
        ("couple_no_children",),
        ("couple_children", "other"),
        ("lone_parent",),
    )
    assert binning.default_bin == 2
    assert binning.labels()[2] == "couple_children, other"
    assert binning.count == (40.0, 30.0, 5.0, 25.0, 0.0)
    unseen = pd.DataFrame({"household_type": pd.Series(["polygamous", None, "single"])})
    assert estimator.bin_indices(unseen)[:, 0].tolist() == [2, 4, 0]


def test_a_small_rare_group_joins_the_bin_of_closest_event_rate() -> None:
    values, y = _rows(HOUSEHOLDS)
    data = pd.DataFrame({"household_type": values})
    binning = WoEBinning(rare_level_share=0.05, min_bin_share=0.06).fit(data, y).bins_[0]
    assert binning.groups == (
        ("single",),
        ("couple_no_children",),
        ("couple_children", "lone_parent", "other"),
    )
    assert binning.default_bin == 2 and binning.count == (40.0, 30.0, 30.0, 0.0)


def test_without_rare_levels_unseen_levels_go_to_the_largest_bin() -> None:
    values, y = _rows({"b": (30, 3), "a": (50, 10), "c": (20, 8)})
    binning = WoEBinning().fit(pd.DataFrame({"k": values}), y).bins_[0]
    assert binning.groups == (("b",), ("a",), ("c",))
    assert binning.default_bin == 1
    assert binning.assign(["zz"]).tolist() == [1]


def test_bool_columns_are_categorical_and_an_explicit_list_overrides_auto() -> None:
    values, y = _rows({1: (30, 3), 2: (30, 10), 3: (40, 20)})
    data = pd.DataFrame({"flag": [v == 1 for v in values], "code": values})
    auto = WoEBinning().fit(data, y)
    assert [b.kind for b in auto.bins_] == ["categorical", "numeric"]
    assert auto.bins_[0].groups == (("True",), ("False",))
    listed = WoEBinning(categorical=["code"]).fit(data, y)
    assert [b.kind for b in listed.bins_] == ["numeric", "categorical"]
    assert listed.bins_[0].labels() == ("0 or less", "1 or more", MISSING_LABEL)
    assert listed.bins_[1].groups == (("1",), ("2",), ("3",))


def test_array_columns_are_categorical_by_their_x_names() -> None:
    data = np.array([["a", 1.5], ["b", 2.5], ["a", np.nan], ["b", 0.5]], dtype=object)
    estimator = WoEBinning(categorical=["x0"]).fit(data, [0, 1, 0, 1])
    assert [b.name for b in estimator.bins_] == ["x0", "x1"]
    assert [b.kind for b in estimator.bins_] == ["categorical", "numeric"]
    assert estimator.get_feature_names_out().tolist() == ["x0", "x1"]
    assert estimator.binning_table("x0")["label"].tolist()[:2] == ["a", "b"]


# --------------------------------------------------------------------------------------------
# Sample weights
def _mixed_frame(n: int, seed: int) -> tuple[pd.DataFrame, NDArrayInt]:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 2)
    x[rng.random(n) < 0.05] = np.nan
    level = rng.choice(["a", "b", "c", "d", "rare"], size=n, p=[0.4, 0.3, 0.2, 0.09, 0.01])
    y = (rng.random(n) < 1 / (1 + np.exp(-x.clip(-3, 3)))).astype(int)
    return pd.DataFrame({"x": x, "level": level}), y


def test_integer_weights_of_mean_one_equal_repeating_rows() -> None:
    data, y = _mixed_frame(2000, SEED)
    rng = np.random.default_rng(SEED + 1)
    weight = rng.permutation(np.repeat([0, 1, 2, 3], [700, 700, 500, 100]))
    assert weight.mean() == 1.0
    weighted = WoEBinning().fit(data, y, sample_weight=weight)
    repeated = WoEBinning().fit(data.loc[data.index.repeat(weight)], np.repeat(y, weight))
    for got, expected in zip(weighted.bins_, repeated.bins_, strict=True):
        assert (got.edges, got.groups, got.default_bin) == (
            expected.edges,
            expected.groups,
            expected.default_bin,
        )
        assert got.count == pytest.approx(expected.count, rel=1e-12)
        assert got.events == pytest.approx(expected.events, rel=1e-12)
        assert got.woe == pytest.approx(expected.woe, rel=1e-9, abs=1e-12)


def test_weights_are_relative_and_zero_weights_count_for_nothing() -> None:
    data, y = _mixed_frame(1500, SEED)
    weight = np.random.default_rng(SEED).uniform(0, 3, len(y))
    weight[:100] = 0.0
    base = WoEBinning().fit(data, y, sample_weight=weight).bins_
    scaled = WoEBinning().fit(data, y, sample_weight=250 * weight).bins_
    for a, b in zip(base, scaled, strict=True):
        assert (a.edges, a.groups) == (b.edges, b.groups)
        assert a.woe == pytest.approx(b.woe, rel=1e-9, abs=1e-12)
    assert sum(base[0].count) == pytest.approx(len(y), rel=1e-12)
    # Rows of weight zero are never read: their values do not matter.
    changed = data.copy()
    changed.loc[:99, "x"] = 1e6
    changed.loc[:99, "level"] = "unheard_of"
    changed = WoEBinning().fit(changed, y, sample_weight=weight).bins_
    assert changed == base


def test_fit_transform_passes_sample_weight() -> None:
    data, y = _mixed_frame(500, SEED)
    weight = np.random.default_rng(SEED).uniform(0.5, 2, len(y))
    expected = WoEBinning().fit(data, y, sample_weight=weight).transform(data)
    np.testing.assert_array_equal(
        WoEBinning().fit_transform(data, y, sample_weight=weight), expected
    )


# --------------------------------------------------------------------------------------------
# Determinism and plain data
def test_same_data_and_shuffled_rows_give_identical_bins() -> None:
    data, y = _mixed_frame(3000, SEED)
    first = WoEBinning().fit(data, y).bins_
    assert WoEBinning().fit(data, y).bins_ == first
    order = np.random.default_rng(SEED).permutation(len(y))
    shuffled = WoEBinning().fit(data.iloc[order].reset_index(drop=True), y[order]).bins_
    assert shuffled == first


def test_round_trip_through_json() -> None:
    data, y = _mixed_frame(3000, SEED)
    estimator = WoEBinning().fit(data, y)
    for binning in estimator.bins_:
        text = json.dumps(binning.to_dict())
        rebuilt = FeatureBinning.from_dict(json.loads(text))
        assert rebuilt == binning
        assert rebuilt.to_dict() == binning.to_dict()
        values = data[binning.name]
        np.testing.assert_array_equal(rebuilt.assign(values), binning.assign(values))
        assert rebuilt.table().equals(binning.table())


def test_numpy_scalars_are_stored_as_python_values() -> None:
    binning = FeatureBinning(
        name="x",
        kind="numeric",
        edges=np.array([0.5]),
        woe=[np.float64(-0.1), np.float32(0.25), 0],
        count=(np.int64(3), 2.0, 0.0),
        events=(1.0, 1.0, 0.0),
    )
    assert binning.edges == (0.5,) and type(binning.edges[0]) is float
    assert all(type(v) is float for v in (*binning.woe, *binning.count))


# --------------------------------------------------------------------------------------------
# Labels, assign on various inputs
@pytest.mark.parametrize(
    ("edges", "integer_valued", "labels"),
    [
        ((0.5, 1.2), False, ("< 0.5", "0.5 to < 1.2", ">= 1.2")),
        ((0.5, 2.5), True, ("0 or less", "1 to 2", "3 or more")),
        ((2.5, 3.5), True, ("2 or less", "3", "4 or more")),
        ((2.2, 2.7), True, ("< 2.2", "2.2 to < 2.7", ">= 2.7")),
        ((1234567.5,), False, ("< 1234567.5", ">= 1234567.5")),
        (
            (0.1234567, 0.1234568),
            False,
            ("< 0.1234567", "0.1234567 to < 0.1234568", ">= 0.1234568"),
        ),
        ((), True, ("all values",)),
    ],
    ids=["decimals", "integers", "single-integer", "no-integer-inside", "large", "close", "none"],
)
def test_numeric_labels(
    edges: tuple[float, ...], integer_valued: bool, labels: tuple[str, ...]
) -> None:
    n = len(edges) + 2
    binning = FeatureBinning(
        name="x",
        kind="numeric",
        edges=edges,
        integer_valued=integer_valued,
        woe=(0.0,) * n,
        count=(1.0,) * n,
        events=(0.0,) * n,
    )
    assert binning.labels() == (*labels, MISSING_LABEL)


@pytest.mark.parametrize(
    "values",
    [
        np.array([-np.inf, 0.0, 0.5, 1.0, np.nan, np.inf]),
        [-np.inf, 0, 0.5, 1, None, np.inf],
        pd.Series([-np.inf, 0.0, 0.5, 1.0, None, np.inf], dtype="Float64"),
    ],
    ids=["array", "list", "nullable-series"],
)
def test_numeric_assign(values: Any) -> None:
    binning = FeatureBinning(
        name="x",
        kind="numeric",
        edges=(0.5,),
        woe=(0.0,) * 3,
        count=(1.0,) * 3,
        events=(0.0,) * 3,
    )
    assert binning.assign(values).tolist() == [0, 0, 1, 1, 2, 1]


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b", None, "z"],
        np.array(["a", "b", None, "z"], dtype=object),
        pd.Series(["a", "b", pd.NA, "z"], dtype="string"),
        pd.Series(pd.Categorical(["a", "b", None, "z"], categories=["z", "b", "a", "y"])),
    ],
    ids=["list", "object-array", "string-series", "categorical-series"],
)
def test_categorical_assign(values: Any) -> None:
    binning = FeatureBinning(
        name="k",
        kind="categorical",
        groups=(("b",), ("a", "c")),
        default_bin=0,
        woe=(0.0,) * 3,
        count=(1.0,) * 3,
        events=(0.0,) * 3,
    )
    assert binning.assign(values).tolist() == [1, 0, 2, 0]


# --------------------------------------------------------------------------------------------
# Reading columns
def test_dataframe_columns_are_read_by_name_and_extra_columns_ignored() -> None:
    data, y = _mixed_frame(500, SEED)
    estimator = WoEBinning().fit(data, y)
    expected = estimator.transform(data)
    wider = data[["level", "x"]].assign(notes=[{"not": "readable"}] * len(data), extra=np.inf)
    np.testing.assert_array_equal(estimator.transform(wider), expected)
    np.testing.assert_array_equal(estimator.bin_indices(wider), estimator.bin_indices(data))
    assert estimator.get_feature_names_out().tolist() == ["x", "level"]


def test_set_output_pandas() -> None:
    data, y = _mixed_frame(200, SEED)
    out = WoEBinning().set_output(transform="pandas").fit(data, y).transform(data)
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == ["x", "level"]


def test_set_output_in_a_pipeline_keeps_the_index_and_names() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data, y = _mixed_frame(200, SEED)
    data.index = data.index + 1_000
    pipeline = make_pipeline(WoEBinning(), LogisticRegression()).set_output(transform="pandas")
    pipeline.fit(data, y)
    out = pipeline[:-1].transform(data)
    assert out.index.equals(data.index) and out.columns.tolist() == ["x", "level"]
    np.testing.assert_array_equal(out.to_numpy(), WoEBinning().fit(data, y).transform(data))
    assert pipeline[:-1].get_feature_names_out().tolist() == ["x", "level"]
    assert WoEBinning().set_output(transform="pandas").fit_transform(data, y).equals(out)


def test_binning_table_by_name_and_position() -> None:
    data, y = _mixed_frame(500, SEED)
    estimator = WoEBinning().fit(data, y)
    assert estimator.binning_table("level").equals(estimator.binning_table(1))
    assert estimator.binning_table(0).equals(estimator.bins_[0].table())


# --------------------------------------------------------------------------------------------
# Refusals, one per bad case
FRAME = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "c": ["u", "v", "u", "v"]})
Y = [0, 1, 0, 1]
TRENDS = r"\['auto', 'ascending', 'descending', 'none'\]"
PARAMETER = r"The '{}' parameter of WoEBinning must be "


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_prebins": 1}, PARAMETER.format("max_prebins") + r"an int in the range \[2, inf\)"),
        ({"min_bin_share": 0.7}, PARAMETER.format("min_bin_share") + r"a float .*Got 0\.7"),
        ({"monotonic_trend": "up"}, PARAMETER.format("monotonic_trend") + r"a str .*Got 'up'"),
        ({"rare_level_share": -0.1}, PARAMETER.format("rare_level_share") + r"a float .*Got -0\.1"),
        ({"categorical": "yes"}, PARAMETER.format("categorical") + r"a str among \{'auto'\}"),
        (
            {"categorical": ["zz"]},
            r"categorical names columns \['zz'\] that X does not have; X has",
        ),
        ({"monotonic_trend": {"zz": "none"}}, r"monotonic_trend names columns \['zz'\] that X"),
        ({"monotonic_trend": {"a": "up"}}, rf"monotonic_trend\['a'\] must be one of {TRENDS}; got"),
        ({"monotonic_trend": {"c": "ascending"}}, r"'ascending', but 'c' is categorical"),
    ],
    ids=[
        "max-prebins",
        "min-bin-share",
        "trend",
        "rare-share",
        "categorical-str",
        "categorical-unknown",
        "trend-dict-unknown",
        "trend-dict-value",
        "trend-on-categorical",
    ],
)
def test_bad_parameters(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WoEBinning(**params).fit(FRAME, Y)


BINARY = r"y must be binary, 0 or 1 \(1 = event\); found values "


@pytest.mark.parametrize(
    ("data", "y", "sample_weight", "error", "match"),
    [
        (FRAME, [0, 1, 2, 1], None, ValueError, BINARY + r"0, 1, 2\. Encode the target as 0/1"),
        (FRAME, ["no", "yes", "no", "yes"], None, ValueError, BINARY + r"'no', 'yes'\."),
        (FRAME, [0, 1, np.nan, 1], None, ValueError, BINARY + r"0\.0, 1\.0, nan\."),
        (FRAME, [0, 1, 0], None, ValueError, r"one value per row of X \(4\); got shape \(3,\)"),
        (FRAME, None, None, ValueError, r"requires y to be passed"),
        (FRAME, Y, [1, -1, 1, 1], ValueError, r"must be finite and non-negative; got \[-1\.0\]"),
        (FRAME, Y, [0, 0, 0, 0], ValueError, r"sample_weight is zero for every row"),
        (FRAME, Y, [1, 1], ValueError, r"sample_weight must be 1-D with one weight per row"),
        (FRAME.assign(a=[0, np.inf, 1, 2]), Y, None, ValueError, r"column 'a' contains infinity"),
        (np.array([[0], [np.inf], [1], [2]]), Y, None, ValueError, r"Input X contains infinity"),
        (
            FRAME.assign(a=pd.Timestamp("2026-01-01")),
            Y,
            None,
            TypeError,
            r"column 'a' has dtype datetime64.*, which is neither numeric nor text",
        ),
        (
            pd.DataFrame([[0.0, 1.0]] * 4, columns=["a", "a"]),
            Y,
            None,
            ValueError,
            r"Expected unique column names, got:\n- 'a' 2 times",
        ),
        (
            FRAME.iloc[:0],
            [],
            None,
            ValueError,
            r"at least 1 sample and 1 feature; got shape \(0, 2\)",
        ),
    ],
    ids=[
        "y-three-values",
        "y-text",
        "y-nan",
        "y-length",
        "y-none",
        "weight-negative",
        "weight-all-zero",
        "weight-length",
        "inf-in-frame",
        "inf-in-array",
        "datetime",
        "duplicated-names",
        "no-rows",
    ],
)
def test_bad_fit_data(
    data: Any, y: Any, sample_weight: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        WoEBinning().fit(data, y, sample_weight=sample_weight)


def test_text_in_a_column_declared_numeric() -> None:
    data = FRAME.assign(a=["0", "1", "2", "three"])
    with pytest.raises(ValueError, match=r"feature 'a' is numeric but holds a value that is not"):
        WoEBinning(categorical=["c"]).fit(data, Y)


TABLE = r"feature must be a fitted column name or a position in \[0, 1\]; got "


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda e: e.transform(FRAME[["c"]]), ValueError, r"X lacks column\(s\) \['a'\] that Wo"),
        (lambda e: e.transform(FRAME.assign(a=np.inf)), ValueError, r"'a' contains infinity"),
        (lambda e: e.transform(FRAME.assign(a="high")), ValueError, r"'a' is numeric but holds"),
        (lambda e: e.binning_table("zz"), ValueError, TABLE + r"'zz'\. Fitted columns: \['a'"),
        (lambda e: e.binning_table(2), ValueError, TABLE + r"2\."),
    ],
    ids=["missing-column", "inf", "text-in-numeric", "table-name", "table-position"],
)
def test_bad_transform_input(call: Any, error: type[Exception], match: str) -> None:
    estimator = WoEBinning().fit(FRAME, Y)
    with pytest.raises(error, match=match):
        call(estimator)


def test_arrays_are_read_by_position() -> None:
    estimator = WoEBinning().fit(FRAME[["a"]].to_numpy(), Y)
    assert estimator.transform([[0.0], [3.0]]).shape == (2, 1)
    with pytest.raises(ValueError, match="X has 3 features, but WoEBinning is expecting 1"):
        estimator.transform(np.zeros((2, 3)))
    fitted_on_names = WoEBinning().fit(FRAME[["a"]], Y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        by_position = fitted_on_names.transform(np.array([[0.0], [3.0]]))
    np.testing.assert_array_equal(by_position, estimator.transform([[0.0], [3.0]]))


@pytest.mark.parametrize(
    "method", ["transform", "bin_indices", "get_feature_names_out", "binning_table"]
)
def test_methods_need_a_fitted_estimator(method: str) -> None:
    args = {"transform": (FRAME,), "bin_indices": (FRAME,), "binning_table": (0,)}
    with pytest.raises(NotFittedError, match="This WoEBinning instance is not fitted yet"):
        getattr(WoEBinning(), method)(*args.get(method, ()))


VALID = {
    "name": "x",
    "kind": "numeric",
    "edges": [0.5],
    "integer_valued": False,
    "groups": [],
    "default_bin": 0,
    "woe": [-0.1, 0.2, 0.0],
    "count": [5.0, 5.0, 0.0],
    "events": [1.0, 2.0, 0.0],
}
CATEGORICAL = {**VALID, "kind": "categorical", "edges": [], "groups": [["a"], ["b", "c"]]}
WITHOUT_WOE = {k: v for k, v in VALID.items() if k != "woe"}


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ({**VALID, "kind": "ordinal"}, ValueError, r"kind must be 'numeric' or 'categorical'"),
        ({**VALID, "edges": [0.5, 0.5]}, ValueError, r"strictly increasing; got \(0\.5, 0\.5\)"),
        ({**VALID, "edges": [math.inf]}, ValueError, r"edges must be finite and strictly"),
        ({**VALID, "groups": [["a"]]}, ValueError, r"a numeric binning has no groups"),
        ({**VALID, "woe": [0.0, 0.0]}, ValueError, r"one entry per bin \(3, .*got 2, 3, 3"),
        ({**VALID, "events": [6, 2, 0]}, ValueError, r"0 <= events <= count; got woe=-0\.1, co"),
        ({**VALID, "woe": [math.nan, 0, 0]}, ValueError, r"every bin needs a finite woe"),
        ({**CATEGORICAL, "groups": [["a"], ["a"]]}, ValueError, r"may appear in one group only"),
        ({**CATEGORICAL, "groups": [["a"], []]}, ValueError, r"needs at least one level"),
        ({**CATEGORICAL, "default_bin": 3}, ValueError, r"a bin index in \[0, 2\]; got 3"),
        ({**CATEGORICAL, "edges": [1.0]}, ValueError, r"a categorical binning has no edges"),
        ({**VALID, "edges": "0.5"}, TypeError, r"edges must be a sequence of numbers; got '0\.5'"),
        ({**VALID, "woe": ["-0.1", 0, 0]}, TypeError, r"woe needs float values; got '-0\.1'"),
        ({**VALID, "name": 3}, TypeError, r"FeatureBinning\.name needs str values; got 3"),
        ({**VALID, "integer_valued": "yes"}, TypeError, r"integer_valued needs bool values"),
        ({**CATEGORICAL, "groups": [["a"], [1]]}, TypeError, r"groups needs str values; got 1"),
        (WITHOUT_WOE, ValueError, r"keys must be exactly .*; missing \['woe'\], unknown \[\]"),
        ({**VALID, "version": 1}, ValueError, r"missing \[\], unknown \['version'\]"),
        ([("name", "x")], TypeError, r"a binning must be a dict; got list"),
    ],
    ids=[
        "kind",
        "edges-not-increasing",
        "edges-infinite",
        "numeric-with-groups",
        "lengths",
        "events-above-count",
        "woe-nan",
        "level-twice",
        "empty-group",
        "default-bin",
        "categorical-with-edges",
        "edges-string",
        "woe-string",
        "name-int",
        "flag-string",
        "level-int",
        "missing-key",
        "unknown-key",
        "not-a-dict",
    ],
)
def test_from_dict_refuses_bad_data(data: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        FeatureBinning.from_dict(data)


def test_from_dict_accepts_the_valid_examples() -> None:
    assert FeatureBinning.from_dict(VALID).to_dict() == VALID
    assert FeatureBinning.from_dict(CATEGORICAL).labels() == ("a", "b, c", MISSING_LABEL)
    assert replace(FeatureBinning.from_dict(VALID), name="y").name == "y"


# --------------------------------------------------------------------------------------------
# scikit-learn's own checks
_BINARY_Y = (
    "feeds y with values {1, 2}; WoEBinning needs y in {0, 1} to know which value is the event"
)


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    return {
        "check_estimators_dtypes": _BINARY_Y,
        "check_fit2d_1feature": _BINARY_Y,
        "check_sample_weights_pandas_series": _BINARY_Y,
        "check_sample_weights_not_an_array": _BINARY_Y,
        "check_sample_weights_shape": _BINARY_Y,
        "check_sample_weights_not_overwritten": _BINARY_Y,
        "check_sample_weight_equivalence_on_dense_data": (
            "weights are normalised to mean 1, so integer weights equal repeated rows only when "
            "their mean is 1 (tested in test_integer_weights_of_mean_one_equal_repeating_rows)"
        ),
    }


@parametrize_with_checks([WoEBinning()], expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_checks(estimator: WoEBinning, check: Any) -> None:
    check(estimator)


def test_dtypes_and_sample_weight_forms_that_sklearn_checks_skip() -> None:
    # Covers what the checks above cannot run with a 0/1 target: dtypes and weight containers.
    rng = np.random.default_rng(SEED)
    data = rng.integers(0, 5, size=(60, 3))
    y = rng.integers(0, 2, 60)
    expected = WoEBinning().fit(data.astype(np.float64), y).transform(data)
    for dtype in (np.float32, np.int32, np.int64):
        np.testing.assert_array_equal(
            WoEBinning().fit(data.astype(dtype), y).transform(data), expected
        )
    weight = rng.uniform(0.5, 2.0, 60)
    kept = weight.copy()
    forms = (weight, weight.tolist(), pd.Series(weight))
    results = [WoEBinning().fit(data, y, sample_weight=w).transform(data) for w in forms]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    np.testing.assert_array_equal(weight, kept)
    one = WoEBinning().fit(data[:, :1], y)
    assert one.n_features_in_ == 1
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D with one weight per row"):
        WoEBinning().fit(data, y, sample_weight=np.ones((60, 2)))


# --------------------------------------------------------------------------------------------
# Properties
finite_or_missing = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.just(math.nan),
    st.sampled_from([0.0, 1.0, 2.0, -1.5]),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(finite_or_missing, st.integers(0, 1)), min_size=1, max_size=80),
    max_prebins=st.integers(2, 8),
    min_bin_share=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    trend=st.sampled_from(["auto", "ascending", "descending", "none"]),
)
def test_every_value_lands_in_exactly_one_bin(
    rows: list[tuple[float, int]], max_prebins: int, min_bin_share: float, trend: str
) -> None:
    x = np.array([r[0] for r in rows]).reshape(-1, 1)
    y = np.array([r[1] for r in rows])
    estimator = WoEBinning(
        max_prebins=max_prebins, min_bin_share=min_bin_share, monotonic_trend=trend
    ).fit(x, y)
    binning = estimator.bins_[0]
    bins = estimator.bin_indices(x)[:, 0]
    assert bins.min() >= 0 and bins.max() < binning.n_bins
    assert np.bincount(bins, minlength=binning.n_bins).tolist() == list(binning.count)
    assert np.bincount(bins, weights=y, minlength=binning.n_bins).tolist() == list(binning.events)
    assert set(estimator.transform(x)[:, 0].tolist()) <= set(binning.woe)
    assert FeatureBinning.from_dict(json.loads(json.dumps(binning.to_dict()))) == binning
    assert len(set(binning.labels())) == binning.n_bins


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d", "e", None]), st.integers(0, 1)),
        min_size=1,
        max_size=60,
    ),
    rare_level_share=st.sampled_from([0.0, 0.05, 0.2, 0.6]),
    unseen=st.lists(st.sampled_from(["a", "e", "zz", None]), max_size=5),
)
def test_every_level_lands_in_exactly_one_bin(
    rows: list[tuple[str | None, int]], rare_level_share: float, unseen: list[str | None]
) -> None:
    data = pd.DataFrame({"k": pd.Series([r[0] for r in rows], dtype=object)})
    y = [r[1] for r in rows]
    estimator = WoEBinning(rare_level_share=rare_level_share).fit(data, y)
    binning = estimator.bins_[0]
    bins = estimator.bin_indices(data)[:, 0]
    assert np.bincount(bins, minlength=binning.n_bins).tolist() == list(binning.count)
    new = pd.DataFrame({"k": pd.Series(unseen, dtype=object)})
    assert set(estimator.transform(new)[:, 0].tolist()) <= set(binning.woe)
    assert all(0 <= b < binning.n_bins for b in estimator.bin_indices(new)[:, 0])


# --------------------------------------------------------------------------------------------
# The fast paths give what the plain computation gives, to the last bit
def _values(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=n) * 10.0 ** float(rng.integers(-300, 300))
    if kind == "integers":
        return rng.integers(-5, 50, size=n).astype(np.float64)
    if kind == "signed_zeros":
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        return sign * rng.integers(0, 2, size=n)  # 0.0, -0.0, 1.0 and -1.0
    if kind == "extremes":
        big, tiny = np.finfo(np.float64).max, np.finfo(np.float64).smallest_subnormal
        return rng.choice([big, -big, tiny, -tiny, 0.0, -0.0, 1.0], size=n)
    return np.round(rng.lognormal(size=n) * 1_000, 2)  # money, many distinct values


@pytest.mark.parametrize("kind", ["normal", "integers", "signed_zeros", "extremes", "money"])
@pytest.mark.parametrize("seed", range(20))
def test_radix_order_is_the_stable_argsort(kind: str, seed: int) -> None:
    rng = np.random.default_rng([SEED, seed])
    x = _values(kind, rng, int(rng.integers(0, 5_000)))
    assert np.array_equal(_stable_order(x), np.argsort(x, kind="stable"))
    assert np.array_equal(_radix_order(x), np.argsort(x, kind="stable"))


@pytest.mark.parametrize("distinct", [1, 2, 300, 65_536, 65_537, 90_000])
def test_the_order_by_rank_is_the_stable_argsort_up_to_its_limit(distinct: int) -> None:
    """At most 65,536 distinct values are ordered by their rank, more by radix: both stable."""
    rng = np.random.default_rng([SEED, distinct])
    values = np.round(rng.normal(size=distinct) * 1_000, 3) * np.where(rng.random() < 0.5, -1, 1)
    values = np.unique(np.r_[values, -values, 0.0])
    values = values[np.argsort(np.abs(values), kind="stable")][:distinct]  # 0.0 among them
    x = rng.permutation(np.r_[values, rng.choice(values, 100_000), np.full(1_000, -0.0)])
    assert len(np.unique(x)) == distinct
    assert np.array_equal(_stable_order(x), np.argsort(x, kind="stable"))


def _plain_value_sums(
    x: np.ndarray, w: np.ndarray, wy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sums by value as first written: a stable argsort, then ``np.add.reduceat``."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    return xs[starts], np.add.reduceat(w[order], starts), np.add.reduceat(wy[order], starts)


@pytest.mark.parametrize("whole", [False, True], ids=["survey_weights", "whole_weights"])
@pytest.mark.parametrize(
    "kind",
    [
        "normal",
        "integers",
        "signed_zeros",
        "extremes",
        "money",
        "months",
        "flags",
        "ratios",
        "wide",
    ],
)
@pytest.mark.parametrize("seed", range(10))
def test_the_sums_by_value_are_those_of_a_stable_argsort(kind: str, seed: int, whole: bool) -> None:
    """Hashed, counted by value or sorted, and summed by bincount or in sorted order: the
    values (signs of zeros included), sums and each row's value are those of the plain way."""
    rng = np.random.default_rng([SEED, 300 + seed])
    n = int(rng.integers(1, 5_000))
    if kind == "months":  # whole numbers over a wide span
        x = rng.integers(-70_000, 70_000, size=n).astype(np.float64) * (1 + seed % 2)
    elif kind == "flags":
        x = rng.integers(0, 2, size=n).astype(np.float64) * np.where(seed % 3, 1.0, -1.0)
    elif kind == "ratios":  # 3 decimals, and a row with more on some seeds
        x = np.round(rng.uniform(-2, 5, size=n), 3)
        x[-1] += 1e-9 * (seed % 2)
    elif kind == "wide":  # whole numbers too far apart to be counted by value
        x = rng.integers(-(2**40), 2**40, size=n).astype(np.float64)
    else:
        x = _values(kind, rng, n)
    if whole:
        w = rng.integers(1, 4, size=n).astype(np.float64)
    else:
        w = rng.choice([40.0, 135.5, 1_234.25], size=n) * rng.uniform(0.5, 1.5, size=n)
    wy = w * (rng.random(n) < 0.2)
    values, weights, events, codes = bin_fitting._value_sums(x, w, wy, whole)
    plain = _plain_value_sums(x, w, wy)
    for found, expected in zip((values, weights, events), plain, strict=True):
        assert found.dtype == np.float64 and found.tobytes() == expected.tobytes()
    assert np.array_equal(values[codes], x)


@pytest.mark.parametrize("distinct", [65_536, 65_537, 90_000])
@pytest.mark.parametrize("whole", [False, True])
def test_many_distinct_values_are_summed_as_by_a_stable_argsort(distinct: int, whole: bool) -> None:
    rng = np.random.default_rng([SEED, distinct])
    values = np.unique(np.round(rng.normal(size=3 * distinct) * 1_000, 3))[:distinct]
    x = rng.permutation(np.r_[values, rng.choice(values, 50_000), np.full(100, -0.0)])
    w = np.ones(x.size) if whole else rng.uniform(0.5, 3.0, size=x.size)
    wy = w * (rng.random(x.size) < 0.1)
    found = bin_fitting._value_sums(x, w, wy, whole)
    for a, b in zip(found[:3], _plain_value_sums(x, w, wy), strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(20))
def test_the_bins_found_while_fitting_are_those_of_bin_columns(seed: int) -> None:
    """Every kind of column, missing values, rows of weight 0, whole or survey weights."""
    rng = np.random.default_rng([SEED, 200 + seed])
    n = int(rng.integers(50, 6_000))
    X = pd.DataFrame(
        {
            "money": np.where(rng.random(n) < 0.1, np.nan, _values("money", rng, n)),
            "count": _values("integers", rng, n),
            "zeros": _values("signed_zeros", rng, n),
            "small": rng.integers(0, 3, size=n).astype(np.int8),
            "level": pd.Series(
                rng.choice(["a", "b", "c", "rare", None], size=n, p=[0.4, 0.3, 0.25, 0.01, 0.04])
            ).astype("category"),
            "text": rng.choice(["x", "y", None], size=n).astype(object),
        }
    )
    y = (rng.random(n) < 0.1 + 0.05 * (X["count"] > 20)).astype(int)
    if seed % 3 == 0:
        weight = None
    elif seed % 3 == 1:
        weight = rng.choice([40.0, 135.5, 1_234.25], size=n) * rng.uniform(0.5, 1.5, size=n)
    else:
        weight = rng.integers(0, 3, size=n).astype(np.float64)  # zeros among them
        weight[0] = 1.0
    binning = WoEBinning(max_prebins=int(rng.integers(2, 40)), min_bin_share=0.01)
    found = binning._fit_bins(X, y, sample_weight=weight)
    assert binning.bins_ == clone(binning).fit(X, y, sample_weight=weight).bins_
    for bins, expected in zip(found, binning.bin_columns(X), strict=True):
        assert bins.dtype == np.intp and np.array_equal(bins, expected)


def test_bin_columns_are_the_columns_of_bin_indices() -> None:
    rng = np.random.default_rng(SEED)
    X = pd.DataFrame(
        {
            "x": np.where(rng.random(1_000) < 0.1, np.nan, rng.normal(size=1_000)),
            "level": rng.choice(["a", "b", "c", None], size=1_000),
        }
    )
    y = (rng.random(1_000) < 0.3).astype(int)
    binning = WoEBinning().fit(X, y)
    columns = list(binning.bin_columns(X))
    indices = binning.bin_indices(X)
    assert len(columns) == 2
    for j, bins in enumerate(columns):
        assert bins.dtype == np.intp
        assert np.array_equal(bins, indices[:, j])
