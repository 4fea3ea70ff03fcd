"""The statistical formulas used across dmde, each written once (with scipy where it has them).

- :data:`Z95` and :func:`normal_quantile`: two-sided quantiles of the standard normal
  distribution (``scipy.stats.norm.ppf``, as ``scipy.special.ndtri``);
- :func:`normal_p`: the two-sided p-value of a normal test statistic (``scipy.special.erfc``);
- :func:`holm` and :func:`benjamini_hochberg`: p-values adjusted for multiple comparisons;
- :func:`kish_size`: the Kish effective sample size of weighted data;
- :func:`hanley_mcneil_se` and :func:`auc_interval`: the standard error of an AUC by Hanley and
  McNeil (1982) and its normal 95% interval (used by the audit, the proxies and the model's
  public description);
- :func:`wilson`: the Wilson score 95% interval of a proportion.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "Z95",
    "auc_interval",
    "benjamini_hochberg",
    "hanley_mcneil_se",
    "holm",
    "kish_size",
    "normal_p",
    "normal_quantile",
    "spearman",
    "wilson",
]

FloatArray = npt.NDArray[np.float64]


def normal_quantile(alpha: float) -> float:
    """The two-sided normal quantile of level ``alpha``: ``z`` with ``P(|Z| > z) = alpha``.

    Examples
    --------
    >>> normal_quantile(0.05)
    1.959963984540054
    >>> round(normal_quantile(0.01), 4)
    2.5758
    """
    # scipy.stats.norm.ppf is special.ndtri (the same bits), without importing scipy.stats,
    # which costs half a second to every command that reads this module.
    return float(special.ndtri(1 - alpha / 2))


#: Two-sided 95% quantile of the standard normal distribution (``normal_quantile(0.05)``).
Z95 = normal_quantile(0.05)


def normal_p(z: Any) -> FloatArray:
    """Two-sided p-value of each normal statistic ``z``, elementwise.

    A statistic that is not finite (NaN, or infinite from a zero standard error) has no p-value:
    NaN, so that it is never counted as a test.

    Examples
    --------
    >>> normal_p([0.0, 1.959963984540054, float("nan"), float("inf")]).round(3).tolist()
    [1.0, 0.05, nan, nan]
    """
    values = np.asarray(z, dtype=np.float64)
    x = np.abs(values) / math.sqrt(2)
    with np.errstate(over="ignore", invalid="ignore"):
        # scipy's erfc flushes to 0 below 1e-308; erfcx(x)·exp(-x²) keeps the far tail, so
        # that tests that differ there are still told apart (and sorted) by their p-values.
        p = np.where(x > _FAR_TAIL, special.erfcx(x) * np.exp(-x * x), special.erfc(x))
    return np.asarray(np.where(np.isfinite(values), p, np.nan), dtype=np.float64)


#: Beyond this, erfc(x) < 1e-295: computed as erfcx(x)·exp(-x²) (see :func:`normal_p`).
_FAR_TAIL = 26.0


def _check_p(p: Any) -> FloatArray:
    values = np.asarray(p, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"p-values to adjust must be a 1-D array; got shape {values.shape}")
    return values


def holm(p: Any) -> FloatArray:
    """Holm (1979) step-down adjusted p-values (family-wise error rate), in the input's order.

    The i-th smallest p-value is multiplied by ``m - i + 1``, made non-decreasing, capped at 1.
    Ties keep their order of appearance.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    values = _check_p(p)
    m = len(values)
    order = np.argsort(values, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * values[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p: Any) -> FloatArray:
    """Benjamini-Hochberg (1995) step-up adjusted p-values (false discovery rate).

    ``scipy.stats.false_discovery_control`` with ``method="bh"``; an empty array stays empty.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.02, 0.04, 0.04, 0.02]
    """
    values = _check_p(p)
    if len(values) == 0:
        return values.copy()
    from scipy import stats

    return np.asarray(stats.false_discovery_control(values, method="bh"), dtype=np.float64)


def kish_size(total: Any, squares: Any) -> FloatArray:
    """Kish's effective sample size, ``(sum of weights)^2 / sum of squared weights``, elementwise.

    Give the sums (per group when they are arrays): with unit weights the effective size is
    the count. Where both sums are 0 the result is NaN.

    Examples
    --------
    >>> w = np.array([1.0, 1.0, 2.0, 4.0])
    >>> float(kish_size(w.sum(), (w**2).sum()))
    2.909090909090909
    """
    total = np.asarray(total, dtype=np.float64)
    squares = np.asarray(squares, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(total**2 / squares, dtype=np.float64)


def hanley_mcneil_se(auc: Any, n_pos: Any, n_neg: Any) -> FloatArray:
    """Standard error of an AUC by Hanley and McNeil (1982), elementwise.

    ``n_pos`` and ``n_neg`` are the numbers (or effective numbers) of positives and negatives.

    Examples
    --------
    >>> round(float(hanley_mcneil_se(0.7, 500, 7000)), 4)
    0.0134
    """
    auc, n_pos, n_neg = (np.asarray(v, dtype=np.float64) for v in (auc, n_pos, n_neg))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    return np.asarray(np.sqrt(np.clip(variance, 0.0, None)))


def auc_interval(auc: float, n_pos: float, n_neg: float) -> tuple[float, float]:
    """Normal 95% interval of an AUC with the Hanley-McNeil standard error, within [0, 1].

    NaN bounds when the AUC is not finite or a class is empty.

    Examples
    --------
    >>> low, high = auc_interval(0.7, 500, 7000)
    >>> round(low, 3), round(high, 3)
    (0.674, 0.726)
    """
    if not (math.isfinite(auc) and n_pos > 0 and n_neg > 0):
        return math.nan, math.nan
    se = float(hanley_mcneil_se(auc, n_pos, n_neg))
    return max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)


def wilson(successes: float, n: float) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (``n`` may be an effective size).

    Examples
    --------
    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def spearman(a: Any, b: Any) -> float:
    """Spearman's rank correlation of two samples (scipy's), ties at their average rank.

    NaN when a side has fewer than two values or is constant (the correlation is undefined, and
    scipy would warn).

    Examples
    --------
    >>> round(spearman([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 40.0, 30.0]), 12)
    0.8
    >>> spearman([1.0, 1.0], [2.0, 3.0])
    nan
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    from scipy import stats

    return float(stats.spearmanr(x, y).statistic)
