"""Group columns, Wilson intervals and the selection-vs-random audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmde.audit.targeting import INCOME_BANDS, group_columns, selection_vs_random, wilson
from dmde.core.errors import DmdeError
from dmde.data.synthetic import synthesize


def test_group_columns_with_zero_income_as_its_own_band() -> None:
    frame = pd.DataFrame(
        {
            "income_to_smic": [0.0, 0.2, 0.5, 0.99, 1.0, 3.0],
            "age": [18, 24, 25, 49, 64, 80],
            "mean_aah_12m": [0, 0, 500, 0, 0, 0],
        }
    )
    groups = group_columns(frame)
    assert list(groups["income_band"]) == [INCOME_BANDS[i] for i in (0, 1, 2, 2, 3, 4)]
    assert list(groups["age_band"]) == [
        "under 25",
        "under 25",
        "25-34",
        "35-49",
        "50-64",
        "65 or more",
    ]
    assert list(groups["aah"]) == ["no AAH", "no AAH", "receives AAH", "no AAH", "no AAH", "no AAH"]


def test_group_columns_need_something() -> None:
    with pytest.raises(DmdeError, match="none of the columns the audit groups are made of"):
        group_columns(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0)],
    ids=["none", "half", "all"],
)
def test_wilson_against_published_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_selection_vs_random_shares_and_hit_rates() -> None:
    groups = pd.DataFrame({"g": ["a"] * 60 + ["b"] * 60})
    controlled = np.r_[np.ones(40, bool), np.zeros(20, bool), np.ones(40, bool), np.zeros(20, bool)]
    selected = np.r_[np.zeros(40, bool), np.ones(20, bool), np.zeros(50, bool), np.ones(10, bool)]
    label = np.r_[
        np.r_[np.ones(10), np.zeros(30)],
        np.ones(20),
        np.r_[np.ones(20), np.zeros(20)],
        np.zeros(10),
        np.ones(10),
    ]
    table = selection_vs_random(
        groups, selected=selected, controlled=controlled, label=label, min_cell=5
    ).set_index("group")
    assert table.loc["a", "random_share"] == pytest.approx(0.5)
    assert table.loc["a", "score_share"] == pytest.approx(20 / 30)
    assert table.loc["a", "random_hit_rate"] == pytest.approx(10 / 40)
    assert table.loc["b", "random_hit_rate"] == pytest.approx(20 / 40)
    assert table.loc["a", "score_hit_rate"] == pytest.approx(1.0)
    assert table.loc["a", "share_ratio"] == pytest.approx((20 / 30) / 0.5)
    assert table.loc["a", "random_share_low"] < 0.5 < table.loc["a", "random_share_high"]


def test_survey_weights_count() -> None:
    groups = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50})
    controlled = np.ones(100, bool)
    weight = np.r_[np.full(50, 3.0), np.ones(50)]
    table = selection_vs_random(
        groups,
        selected=np.zeros(100, bool),
        controlled=controlled,
        control_weight=weight,
        min_cell=5,
    ).set_index("group")
    assert table.loc["a", "random_share"] == pytest.approx(0.75)
    assert np.isnan(table.loc["a", "score_share"])  # no selection: suppressed


def test_on_a_synthetic_population() -> None:
    df = synthesize(30_000, seed=61, controls=3_000, with_truth=True)
    groups = group_columns(df)
    top = df["truth_probability"].rank(ascending=False) <= 1_000
    table = selection_vs_random(
        groups,
        selected=top,
        controlled=df["controlled"] == 1,
        label=np.where(
            df["controlled"] == 1, df["target"], np.where(top, df["truth_target"], np.nan)
        ),
        control_weight=df["control_weight"],
    )
    income = table[table["attribute"] == "income_band"].set_index("group")
    assert list(income.index) == list(INCOME_BANDS)  # in band order, zero first
    # zero incomes carry less risk than low incomes: fewer of them among the selected
    zero_selected = income.loc["zero", "score_n"] / 1_000
    assert zero_selected < income.loc["zero", "random_share"]
    assert income.loc["0.5 to 1 Smic", "score_share"] > income.loc["0.5 to 1 Smic", "random_share"]
    assert (table["score_hit_rate"].dropna() > table["random_hit_rate"].dropna().min()).all()


def test_misaligned_inputs() -> None:
    with pytest.raises(DmdeError, match="need 3 values"):
        selection_vs_random(
            pd.DataFrame({"g": ["a", "b", "c"]}), selected=[True], controlled=[True, False, False]
        )


def _shares_by_masks(
    groups: pd.DataFrame,
    selected: np.ndarray,
    controlled: np.ndarray,
    label: np.ndarray,
    weight: np.ndarray,
    min_cell: int,
) -> list[float]:
    """The shares and hit rates of selection_vs_random, from a mask over every row per group."""
    from dmde.audit.targeting import _weighted_share

    w_random = np.where(controlled, weight, 0.0)
    out: list[float] = []
    for attribute in groups.columns:
        text = groups[attribute].astype(str).where(groups[attribute].notna()).to_numpy()
        for level in sorted({t for t in text if isinstance(t, str)}):
            member = text == level
            for rows_in, w in ((controlled, w_random), (selected, selected.astype(float))):
                inside = rows_in & member
                if inside.sum() < min_cell:
                    continue
                out += _weighted_share(member[rows_in], w[rows_in])
                known = inside & ~np.isnan(label)
                if known.sum() >= min_cell:
                    out += _weighted_share(label[known] == 1, w[known])
    return out


@pytest.mark.parametrize("seed", range(4))
def test_shares_from_each_methods_rows_are_those_of_every_row(seed: int) -> None:
    """The shares are computed from the rows of each method only: the same numbers, to the
    last bit, as from masks over every row."""
    rng = np.random.default_rng(seed)
    n = 30_000
    groups = pd.DataFrame(
        {"a": rng.choice(["x", "y", "z", None], n), "b": rng.choice(["u", "v"], n)}
    )
    selected, controlled = rng.random(n) < 0.05, rng.random(n) < 0.04
    label = np.where(rng.random(n) < 0.3, np.nan, (rng.random(n) < 0.2).astype(float))
    weight = rng.uniform(0.5, 3.0, n)
    table = selection_vs_random(
        groups,
        selected=selected,
        controlled=controlled,
        label=label,
        control_weight=weight,
        min_cell=10,
    )
    columns = [
        f"{m}_{k}" for m in ("random", "score") for k in ("share", "share_low", "share_high")
    ]
    hits = [f"{m}_{k}" for m in ("random", "score") for k in ("hit_rate", "hit_low", "hit_high")]
    got = [
        v
        for _, row in table.iterrows()
        for m in ("random", "score")
        for v in [row[c] for c in columns + hits if c.startswith(m)]
        if not np.isnan(v)
    ]
    expected = _shares_by_masks(groups, selected, controlled, label, weight, 10)
    assert got == expected
