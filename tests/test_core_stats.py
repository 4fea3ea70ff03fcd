"""The statistical formulas of dmde.core.stats, against textbook values and scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dmde.core.stats import (
    Z95,
    auc_interval,
    benjamini_hochberg,
    hanley_mcneil_se,
    holm,
    kish_size,
    normal_p,
    normal_quantile,
    spearman,
    wilson,
)

# Ten p-values and their adjustments (Benjamini & Hochberg's style example; the same numbers
# as R's p.adjust(p, "holm") and p.adjust(p, "BH")).
TEXTBOOK_P = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10]
TEXTBOOK_HOLM = [0.10, 0.18, 0.24, 0.28, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30]
TEXTBOOK_BH = [0.10] * 10


def test_z95_is_the_normal_quantile() -> None:
    assert repr(Z95) == "1.959963984540054"  # the double nearest to 1.95996398454005423552
    assert normal_quantile(0.05) == Z95


@pytest.mark.parametrize("alpha", [0.5, 0.1, 0.05, 0.01, 0.001], ids=str)
def test_normal_quantile_against_scipy(alpha: float) -> None:
    z = normal_quantile(alpha)
    assert z == pytest.approx(stats.norm.isf(alpha / 2), rel=1e-12)
    assert 2 * stats.norm.sf(z) == pytest.approx(alpha, rel=1e-9)


def test_normal_p_against_scipy() -> None:
    z = np.random.default_rng(5).normal(0, 3, 1_000)
    np.testing.assert_allclose(normal_p(z), 2 * stats.norm.sf(np.abs(z)), rtol=1e-12)


def test_normal_p_in_the_far_tail() -> None:
    # scipy's erfc is 0 below 1e-308; the p-values there still order the tests
    z = np.array([30.0, 37.0, 37.7, 38.0])
    expected = [math.erfc(v / math.sqrt(2)) for v in z]
    np.testing.assert_allclose(normal_p(z), expected, rtol=1e-12)
    assert (np.diff(normal_p(z)) < 0).all()


def test_normal_p_keeps_shape_and_nan() -> None:
    p = normal_p([[0.0, math.nan], [-Z95, Z95], [math.inf, -math.inf]])
    assert p.shape == (3, 2)
    assert p[0, 0] == 1.0 and math.isnan(p[0, 1])
    assert np.isnan(p[2]).all()  # an infinite statistic (zero standard error) is no test
    assert p[1, 0] == pytest.approx(0.05) and p[1, 1] == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("adjust", "expected"),
    [(holm, TEXTBOOK_HOLM), (benjamini_hochberg, TEXTBOOK_BH)],
    ids=["holm", "bh"],
)
def test_corrections_against_textbook_values(adjust: object, expected: list[float]) -> None:
    assert callable(adjust)
    np.testing.assert_allclose(adjust(TEXTBOOK_P), expected, rtol=1e-12)
    # in the input's order, whatever it is
    order = np.random.default_rng(0).permutation(10)
    np.testing.assert_allclose(
        adjust(np.asarray(TEXTBOOK_P)[order]), np.asarray(expected)[order], rtol=1e-12
    )


def test_holm_hand_computed_and_capped() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04: times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> monotone
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]


def test_bh_agrees_with_a_step_up_by_hand() -> None:
    p = np.random.default_rng(2).uniform(size=40) ** 3
    order = np.argsort(p)
    m = len(p)
    by_hand = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    expected = np.empty(m)
    expected[order] = np.minimum(by_hand, 1.0)
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12)


@pytest.mark.parametrize("adjust", [holm, benjamini_hochberg], ids=["holm", "bh"])
def test_corrections_of_nothing_and_of_one(adjust: object) -> None:
    assert callable(adjust)
    assert adjust([]).tolist() == []
    assert adjust([0.03]).tolist() == [0.03]
    with pytest.raises(ValueError, match="1-D array"):
        adjust([[0.1, 0.2]])


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([1.0, 1.0, 1.0, 1.0], 4.0),
        ([2.0, 2.0, 2.0], 3.0),
        ([1.0, 1.0, 2.0, 4.0], 64 / 22),
        ([5.0, 0.0, 0.0], 1.0),
    ],
    ids=["unit", "equal", "unequal", "one-weighted"],
)
def test_kish_size_on_known_weights(weights: list[float], expected: float) -> None:
    w = np.asarray(weights)
    assert float(kish_size(w.sum(), (w**2).sum())) == pytest.approx(expected, rel=1e-15)


def test_kish_size_per_group_and_empty_groups() -> None:
    sizes = kish_size([4.0, 6.0, 0.0], [4.0, 20.0, 0.0])
    assert sizes[:2].tolist() == [4.0, 1.8]
    assert math.isnan(sizes[2])


def test_wilson_and_auc_interval() -> None:
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert all(math.isnan(x) for x in wilson(0, 0))
    se = float(hanley_mcneil_se(0.7, 500, 7000))
    low, high = auc_interval(0.7, 500, 7000)
    assert (low, high) == pytest.approx((0.7 - Z95 * se, 0.7 + Z95 * se))
    assert all(math.isnan(x) for x in auc_interval(0.7, 0, 10))


def test_spearman_is_scipys_with_ties_and_undefined_cases() -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(0, 20, size=500).astype(float)  # many ties
    b = a + rng.normal(0, 5, size=500)
    assert spearman(a, b) == pytest.approx(float(stats.spearmanr(a, b).statistic), abs=1e-15)
    ranks_a, ranks_b = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    assert spearman(a, b) == pytest.approx(float(np.corrcoef(ranks_a, ranks_b)[0, 1]), abs=1e-12)
    assert math.isnan(spearman([1.0], [2.0]))
    assert math.isnan(spearman([3.0, 3.0, 3.0], [1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    "alpha", [0.05, 0.01, 0.1, 0.2, 0.5, 1e-6, 0.999, *np.linspace(0.001, 0.99, 37)]
)
def test_normal_quantile_is_scipys_norm_ppf_to_the_last_bit(alpha: float) -> None:
    assert normal_quantile(alpha) == float(stats.norm.ppf(1 - alpha / 2))
