"""The audit's fast paths give the same numbers, to the last bit, as the row-by-row reference.

The score-gap decomposition sums each group's points with ``bincount`` over integer codes; the
group attributes, the comparison with random checks and Cramér's V read integer codes instead of
a million strings. Each is checked here against the straightforward computation it replaced, on
random data over seeds: same values, same signs of zero, same order of rows.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.audit.bootstrap import _Attribute, _disparity_frame, _quantiles, text_codes
from dmde.audit.metric_definitions import _RATES, _UNTESTED
from dmde.audit.proxies import (
    _bins,
    _term_sums,
    feature_association,
    points_by_term,
    score_gaps,
)
from dmde.audit.result import AuditResult
from dmde.audit.run import audit
from dmde.audit.settings import AuditSettings
from dmde.audit.targeting import (
    AGE_BANDS,
    GROUP_ATTRIBUTES,
    INCOME_BANDS,
    _bands,
    composition_tests,
    group_columns,
    selection_vs_random,
)
from dmde.data.catalog import CATALOG
from dmde.model.scorecard import ScorecardFamily

SEEDS = range(8)


def _same(a: Any, b: Any) -> bool:
    """Equal arrays, NaN where NaN, and the same sign of every zero."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.array_equal(a, b, equal_nan=True) and (np.signbit(a) == np.signbit(b)).all())


def _assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column]):
            assert _same(a[column], b[column]), column


# --------------------------------------------------------------------------------------------
# text codes
@pytest.mark.parametrize("seed", SEEDS)
def test_text_codes_read_as_the_text_of_each_row(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    raw = rng.choice(np.array(["b", "a", "c", None], dtype=object), n)
    columns = {
        "categorical": pd.Series(pd.Categorical(raw, categories=["c", "a", "b", "unused"])),
        "strings": pd.Series(raw),
        "integers": pd.Series(rng.integers(0, 4, n)),
        "mixed categories": pd.Series(pd.Categorical(rng.choice([1, 2], n), categories=[2, 1])),
    }
    for name, column in columns.items():
        codes, names = text_codes(column)
        text = column.astype(str).to_numpy()
        rebuilt = np.asarray([names[c] if c >= 0 else None for c in codes], dtype=object)
        missing = pd.isna(text)
        assert (codes[missing] == -1).all(), name
        assert (rebuilt[~missing] == text[~missing]).all(), name
        assert len(set(names)) == len(names), name


# --------------------------------------------------------------------------------------------
# score gaps
def _score_gaps_by_mask(
    model: ScorecardFamily, frame: pd.DataFrame, groups: pd.DataFrame, reference: dict[str, str]
) -> pd.DataFrame:
    """The decomposition as it was first written: a mean over each group's rows."""
    names = list(model.features_)
    points = points_by_term(model, frame)
    labels = ["intercept", *(CATALOG[f].label for f in names)]
    parts = []
    for attribute in groups.columns:
        values = groups[attribute].astype(str).to_numpy()
        ref = str(reference[attribute])
        mean_ref = points[values == ref].mean(axis=0)
        for group in sorted(set(values) - {ref}):
            rows = values == group
            mean_group = points[rows].mean(axis=0)
            parts.append(
                pd.DataFrame(
                    {
                        "attribute": attribute,
                        "group": group,
                        "reference": ref,
                        "n": int(rows.sum()),
                        "term": ["intercept", *names],
                        "label": labels,
                        "mean_points_group": mean_group,
                        "mean_points_reference": mean_ref,
                        "gap": mean_group - mean_ref,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_score_gaps_equal_the_means_over_each_groups_rows(
    population: pd.DataFrame, family: ScorecardFamily, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(len(population), size=int(rng.integers(50, 3000)), replace=False))
    frame = population.iloc[take].reset_index(drop=True)
    n = len(frame)
    groups = pd.DataFrame(
        {
            "gender": frame["gender"],
            "drawn": pd.Categorical(
                rng.choice(["x", "y", "z"], n, p=[0.6, 0.39, 0.01]), categories=["z", "y", "x", "w"]
            ),
            "text": rng.choice(["one", "two", "three"], n),
        }
    )
    reference = {"gender": "female", "drawn": "x", "text": "two"}
    _assert_same_frames(
        score_gaps(family, frame, groups, reference=reference),
        _score_gaps_by_mask(family, frame, groups, reference),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_group_sums_add_rows_in_order_from_zero(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, size = int(rng.integers(1, 400)), int(rng.integers(1, 6))
    table = rng.choice([-0.0, 0.0, 0.1, -1.37, 2.05, 1e16, -1e16, 0.3], size=(n, 4))
    table[:, 0] = -0.0  # a term with no points anywhere, written -0.0
    table[: n // 2, 1] = -0.0
    points = np.asfortranarray(table)
    codes = rng.integers(0, size, n)
    count, sums = _term_sums(points, codes, size)
    for k in range(size):
        rows = codes == k
        assert count[k] == rows.sum()
        if rows.any():
            assert _same(sums[k], np.ascontiguousarray(table)[rows].sum(axis=0))


# --------------------------------------------------------------------------------------------
# group columns, random checks, composition
def _population(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    levels = {a: [c for c, _, _ in GROUP_ATTRIBUTES[a].levels] for a in GROUP_ATTRIBUTES}

    def categorical(name: str, extra: list[str]) -> pd.Categorical:
        values = rng.choice(np.asarray([*levels[name], *extra, None], dtype=object), n)
        return pd.Categorical(values, categories=[*extra, *reversed(levels[name])])

    return pd.DataFrame(
        {
            "gender": categorical("gender", ["other"]),
            "nationality_group": rng.choice(levels["nationality_group"], n),  # text
            "age": rng.integers(16, 90, n),
            "household_type": categorical("household_type", []),
            "mean_aah_12m": np.where(rng.random(n) < 0.1, 900.0, 0.0),
            "urban_rural": categorical("urban_rural", ["unknown"]),
            "income_to_smic": np.where(rng.random(n) < 0.1, 0.0, rng.gamma(2.0, 0.5, n)),
        }
    )


def _group_columns_by_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The attributes as first written: every value as text, then categorical."""
    out: dict[str, Any] = {}
    for name in ("gender", "nationality_group"):
        out[name] = frame[name].astype(str).to_numpy()
    out["age_band"] = _bands(frame["age"].to_numpy(dtype=float), [25, 35, 50, 65], AGE_BANDS)
    out["household_type"] = frame["household_type"].astype(str).to_numpy()
    aah = frame["mean_aah_12m"].to_numpy(dtype=float) > 0
    out["aah"] = np.where(aah, "receives AAH", "no AAH")
    out["urban_rural"] = frame["urban_rural"].astype(str).to_numpy()
    income = frame["income_to_smic"].to_numpy(dtype=float)
    out["income_band"] = _bands(income, [1e-12, 0.5, 1.0, 1.5], INCOME_BANDS)
    with warnings.catch_warnings():  # text outside the levels: missing (pandas warns of it)
        warnings.simplefilter("ignore", DeprecationWarning)
        return pd.DataFrame(
            {
                k: pd.Categorical(
                    np.asarray(v, dtype=object),
                    categories=[c for c, _, _ in GROUP_ATTRIBUTES[k].levels],
                )
                for k, v in out.items()
            }
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_group_columns_read_categories_as_their_text(seed: int) -> None:
    frame = _population(seed)
    _assert_same_frames(group_columns(frame), _group_columns_by_text(frame))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_checks_and_composition_do_not_depend_on_how_groups_are_stored(
    seed: int,
) -> None:
    """Categorical groups (read by code) give the figures of the same groups as text."""
    rng = np.random.default_rng(seed)
    groups = group_columns(_population(seed))
    n = len(groups)
    text = pd.DataFrame({c: groups[c].astype(str).to_numpy() for c in groups.columns})
    selected = rng.random(n) < 0.2
    controlled = rng.random(n) < 0.3
    label = np.where(rng.random(n) < 0.5, (rng.random(n) < 0.2).astype(float), math.nan)
    weight = rng.gamma(2.0, 1.0, n)
    for run in (
        lambda g: selection_vs_random(
            g, selected=selected, controlled=controlled, label=label, control_weight=weight
        ),
        lambda g: composition_tests(
            g, selected=selected, controlled=controlled, control_weight=weight
        ),
    ):
        coded, plain = run(groups), run(text)
        key = ["attribute", "group"]
        coded = coded.sort_values(key, kind="stable").reset_index(drop=True)
        plain = plain[~plain["group"].isna()].sort_values(key, kind="stable")
        _assert_same_frames(coded, plain.reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# Cramér's V
def _cramers_v(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    na, nb = int(ia.max()) + 1, int(ib.max()) + 1
    table = np.bincount(ia * nb + ib, minlength=na * nb).reshape(na, nb).astype(float)
    if min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_cramers_v_equals_the_pairwise_computation(
    population: pd.DataFrame, family: ScorecardFamily, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(len(population), size=2000, replace=False))
    frame = population.iloc[take].reset_index(drop=True)
    groups = pd.DataFrame(
        {"gender": frame["gender"], "drawn": rng.choice(["p", "q", "r"], len(frame))}
    )
    table = feature_association(family, frame, groups)
    codes = _bins(family, frame)
    for row in table.itertuples(index=False):
        j = list(family.features_).index(row.feature)
        expected = _cramers_v(codes[:, j], groups[row.attribute].astype(str).to_numpy())
        assert row.cramers_v == expected


# --------------------------------------------------------------------------------------------
# Bootstrap intervals
@pytest.mark.parametrize("seed", SEEDS)
def test_percentile_intervals_equal_nanquantile(seed: int) -> None:
    """Slices without NaN at once, the others one by one: np.nanquantile's numbers."""
    rng = np.random.default_rng(seed)
    draws = rng.normal(size=(200, 5, 7)) * rng.gamma(1.0, 1.0, size=(1, 5, 7))
    draws[:, rng.integers(0, 5), rng.integers(0, 7)] = np.nan  # a slice of NaN only
    draws[(rng.random(draws.shape) < 0.002 * seed)] = np.nan  # NaN here and there
    draws[: seed + 1, 1, 2] = np.inf  # ratios to a reference drawn at 0
    draws[: seed + 1, 2, 3] = -np.inf
    draws[seed + 1 :, 2, 3] = np.inf
    for alpha in (0.05, 0.1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        low, high = _quantiles(draws, alpha)
        assert _same(low, expected[0]) and _same(high, expected[1])


# --------------------------------------------------------------------------------------------
# Rows already in order
@pytest.mark.parametrize("seed", SEEDS[:4])
def test_rows_already_in_order_give_the_audit_of_the_shuffled_rows(seed: int) -> None:
    """Sorted ids skip the reordering copy; any other order is sorted back: one result."""
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame({"dossier_id": np.arange(n) * 3 + 7, "score": rng.normal(500, 20, n)})
    frame["probability"] = 1 / (1 + np.exp(-(frame["score"] - 540) / 20))
    frame["controlled"] = rng.random(n) < 0.2
    frame["target"] = np.where(frame["controlled"], rng.random(n) < frame["probability"], np.nan)
    frame["weight"] = np.where(frame["controlled"], rng.gamma(4.0, 1.0, n), np.nan)
    groups = pd.DataFrame(
        {
            "gender": pd.Categorical(rng.choice(["female", "male"], n)),
            "band": pd.Categorical(rng.choice(["low", "mid", "high"], n), ["low", "mid", "high"]),
        }
    )
    settings = AuditSettings(n_boot=50, seed=seed)

    def run(order: np.ndarray[Any, Any]) -> AuditResult:
        return audit(
            frame.iloc[order],
            groups=groups.iloc[order],
            selected=None,
            budget=150,
            label="target",
            sample="controlled",
            weight="weight",
            settings=settings,
        )

    in_order, shuffled = run(np.arange(n)), run(rng.permutation(n))
    for name in ("metrics", "disparities", "deciles", "calibration"):
        _assert_same_frames(getattr(in_order.groups, name), getattr(shuffled.groups, name))
    _assert_same_frames(in_order.overall, shuffled.overall)
    assert in_order.targeting is not None and shuffled.targeting is not None
    _assert_same_frames(in_order.targeting, shuffled.targeting)


# --------------------------------------------------------------------------------------------
# Disparity rows
def _disparity_frame_with_loc(
    attribute: _Attribute,
    r: int,
    compared: list[str],
    columns: dict[str, np.ndarray[Any, Any]],
    suppressed: np.ndarray[Any, Any],
) -> pd.DataFrame:
    """The disparity rows as first written: built, then emptied with ``.loc``."""
    others = np.asarray([g for g in range(len(attribute.groups)) if g != r], dtype=np.int64)
    metric_index = np.tile(np.arange(len(compared)), len(others))
    group_index = np.repeat(others, len(compared))
    untested = np.asarray([m in _UNTESTED for m in compared])[metric_index]
    blocked = suppressed[metric_index, group_index]
    frame = pd.DataFrame(
        {
            "attribute": attribute.name,
            "group": np.asarray(attribute.groups, dtype=object)[group_index],
            "reference": attribute.groups[r],
            "metric": np.asarray(compared, dtype=object)[metric_index],
            **{
                name: np.where(blocked, np.nan, array[metric_index, group_index])
                for name, array in columns.items()
            },
            "suppressed": blocked,
        }
    )
    untested_columns = ["ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "p_percentile"]
    frame.loc[untested, [*untested_columns, "log_se"]] = np.nan
    value, reference = frame["value"].to_numpy(), frame["reference_value"].to_numpy()
    rate = frame["metric"].isin(_RATES).to_numpy()
    degenerate = (value == 0) | (reference == 0) | (rate & ((value == 1) | (reference == 1)))
    frame["tested"] = ~blocked & ~untested & ~degenerate & frame["p_value"].notna().to_numpy()
    return frame


@pytest.mark.parametrize("seed", SEEDS)
def test_disparity_rows_equal_the_rows_emptied_with_loc(seed: int) -> None:
    rng = np.random.default_rng(seed)
    compared = ["selection_rate", "mean_score", "calibration_gap", "precision", "auc"]
    n_groups = int(rng.integers(2, 6))
    attribute = _Attribute("band", np.zeros(1, np.int64), tuple(f"g{k}" for k in range(n_groups)))
    names = [
        "value",
        "reference_value",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
        "p_percentile",
        "log_se",
    ]
    shape = (len(compared), n_groups)
    columns = {n: rng.choice([0.0, 1.0, 0.3, 0.7, np.nan, -0.0], size=shape) for n in names}
    suppressed = rng.random(shape) < 0.2
    r = int(rng.integers(0, n_groups))
    _assert_same_frames(
        _disparity_frame(attribute, r, compared, columns, suppressed),
        _disparity_frame_with_loc(attribute, r, compared, columns, suppressed),
    )


def test_rows_are_coded_once_for_arrays_equal_to_the_bit() -> None:
    """Inside shared_rows, the same rows (equal copies) are coded once; a changed bit (0.0 and
    -0.0 compare equal) or a changed row is coded again; outside, every call codes its rows."""
    from dmde.audit.bootstrap import _rows_once, shared_rows

    rng = np.random.default_rng(0)
    n = 1_000
    selected, score = rng.random(n) < 0.1, rng.normal(size=n)
    score[3] = 0.0
    probability = rng.random(n)
    label = np.where(rng.random(n) < 0.5, np.nan, 1.0)
    with shared_rows():
        first = _rows_once(selected, score, probability, label, None)
        assert _rows_once(selected.copy(), score.copy(), probability, label.copy(), None) is first
        signed = score.copy()
        signed[3] = -0.0
        assert _rows_once(selected, signed, probability, label, None) is not first
        assert _rows_once(selected, score, probability, label, np.ones(n)) is not first
    assert _rows_once(selected, score, probability, label, None) is not first


def test_auc_ratio_interval_of_a_tiny_group_is_infinite_without_a_warning() -> None:
    """A group whose AUC has a huge standard error (a handful of rows) gets an infinite upper
    bound for its AUC ratio, not an overflow warning (tests treat warnings as errors)."""
    from dmde.audit.bootstrap import _normal_disparities

    auc = np.array([0.70, 0.50])
    se = np.array([0.01, 400.0])
    columns = _normal_disparities(auc, se, 0, 0.05)
    assert np.isinf(columns["ratio_ci_high"][0, 1])
    assert columns["ratio_ci_low"][0, 1] == 0.0
    assert np.isfinite(columns["ratio_ci_high"][0, 0])
