"""Small interval formulas used across dmde, written once.

- :data:`Z95`: the two-sided 95% normal quantile;
- :func:`hanley_mcneil_se` and :func:`auc_interval`: the standard error of an AUC by Hanley and
  McNeil (1982) and its normal 95% interval (used by the audit, the proxies and the model's
  public description);
- :func:`wilson`: the Wilson score 95% interval of a proportion;
- :func:`normal_p`: the two-sided p-value of a normal test statistic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Z95", "auc_interval", "hanley_mcneil_se", "normal_p", "wilson"]

#: Two-sided 95% quantile of the standard normal distribution.
Z95 = 1.959963984540054


def hanley_mcneil_se(auc: Any, n_pos: Any, n_neg: Any) -> npt.NDArray[np.float64]:
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


def normal_p(z: Any) -> npt.NDArray[np.float64]:
    """Two-sided p-value of each normal statistic ``z``, elementwise (NaN stays NaN).

    Examples
    --------
    >>> normal_p([0.0, 1.959963984540054, float("nan")]).round(3).tolist()
    [1.0, 0.05, nan]
    """
    values = np.asarray(z, dtype=np.float64)
    flat = [
        math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else math.nan for v in values.ravel()
    ]
    return np.asarray(flat, dtype=np.float64).reshape(values.shape)
