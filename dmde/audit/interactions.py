"""Does an intersection add something? Selection of a pair of groups against what each predicts.

Women and lone parents may both be selected more often than others; the committee wants to know
whether *women who are lone parents* are selected more than those two facts together explain. A
raw ratio of the intersection to a reference intersection cannot say: it mixes both attributes'
own effects. :func:`interaction_tests` fits, for each pair of attributes, the selection rate with
the two attributes' main effects only (a logistic model on the cells of the two-way table,
weighted) and compares each cell's observed rate with that expectation:

- ``ratio`` = observed rate / expected rate (1: the two attributes explain the cell);
- its interval is the Wilson interval of the observed rate (Kish effective size under weights)
  divided by the expectation, and the test is the normal test of the cell's selected count
  against its expectation. The expectation's own uncertainty is ignored: it pools every cell of
  the table and is far more precise than one cell.

Rows whose attribute is missing form the group ``(missing)``, as in every table of the audit
(:func:`dmde.audit.metrics.group_codes`). The rows have the columns of
:attr:`dmde.audit.metrics.GroupAudit.disparities` (metric ``"interaction"``, reference
:data:`EXPECTED`), so that one multiple-comparison correction covers them with every other
test of the audit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.bootstrap import group_codes
from dmde.audit.metric_definitions import SEPARATOR
from dmde.audit.metrics import disparity_frame
from dmde.core.stats import kish_size, normal_p, wilson

__all__ = ["EXPECTED", "interaction_tests"]

#: The reference of an interaction row: the rate its two attributes predict on their own.
EXPECTED = "expected from each attribute alone"

FloatArray = npt.NDArray[np.float64]


def _main_effects(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], total: FloatArray, chosen: FloatArray
) -> FloatArray:
    """Expected rate of each cell of the (a, b) table under a logistic model with main effects.

    Newton-Raphson (iteratively reweighted least squares) on the cells, with a tiny ridge so
    that a level selected never or always keeps a finite coefficient.
    """
    n_a, n_b = int(a.max()) + 1, int(b.max()) + 1
    design = np.zeros((len(a), 1 + (n_a - 1) + (n_b - 1)))
    design[:, 0] = 1.0
    for k in range(1, n_a):
        design[a == k, k] = 1.0
    for k in range(1, n_b):
        design[b == k, n_a - 1 + k] = 1.0
    beta = np.zeros(design.shape[1])
    rate = chosen.sum() / total.sum()
    beta[0] = math.log(rate / (1 - rate)) if 0 < rate < 1 else 0.0
    ridge = 1e-6 * np.eye(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(design @ beta)))
        gradient = design.T @ (chosen - total * p) - ridge @ beta
        hessian = (design * (total * p * (1 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return np.asarray(1 / (1 + np.exp(-(design @ beta))), dtype=np.float64)


def _pair(
    name_a: str,
    name_b: str,
    coded: Mapping[str, tuple[npt.NDArray[np.int64], tuple[str, ...]]],
    selected: npt.NDArray[np.bool_],
    weights: tuple[FloatArray, FloatArray, FloatArray] | None,
    min_cell: int,
) -> pd.DataFrame:
    code_a, names_a = coded[name_a]
    code_b, names_b = coded[name_b]
    width = len(names_b)
    cell = code_a * width + code_b
    size = len(names_a) * width
    count = np.bincount(cell, minlength=size)
    if weights is None:  # unit weights: sums of ones are the counts, exactly (below 2**53)
        total = count.astype(np.float64)
        chosen = np.bincount(cell[selected], minlength=size).astype(np.float64)
        squares = total
    else:
        weight, weight_selected, weight_squared = weights
        total = np.asarray(np.bincount(cell, weights=weight, minlength=size), dtype=np.float64)
        chosen = np.asarray(np.bincount(cell, weights=weight_selected, minlength=size), np.float64)
        squares = np.asarray(np.bincount(cell, weights=weight_squared, minlength=size), np.float64)
    present = np.flatnonzero(count > 0)
    expected = np.full(size, np.nan)
    expected[present] = _main_effects(
        present // width, present % width, total[present], chosen[present]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = chosen / total
        effective = kish_size(total, squares)
        z = (chosen - total * expected) / np.sqrt(expected * (1 - expected) * squares)
        se_log = np.sqrt((1 - observed) / (effective * observed))
    p_values = normal_p(z)
    rows = []
    for k in present:
        i, j = divmod(int(k), width)
        suppressed = bool(count[k] < min_cell)
        degenerate = observed[k] in (0.0, 1.0) or not 0 < expected[k] < 1
        low, high = wilson(observed[k] * effective[k], effective[k]) if not suppressed else (0, 0)
        rows.append(
            {
                "attribute": f"{name_a}{SEPARATOR}{name_b}",
                "group": f"{names_a[i]}{SEPARATOR}{names_b[j]}",
                "reference": EXPECTED,
                "metric": "interaction",
                "value": observed[k],
                "reference_value": expected[k],
                "ratio": observed[k] / expected[k],
                "ratio_ci_low": low / expected[k],
                "ratio_ci_high": high / expected[k],
                "difference": observed[k] - expected[k],
                "difference_ci_low": low - expected[k],
                "difference_ci_high": high - expected[k],
                "p_value": p_values[k],
                "p_percentile": math.nan,
                "log_se": se_log[k],
                "tested": not suppressed and not degenerate and np.isfinite(p_values[k]),
                "suppressed": suppressed,
            }
        )
    return disparity_frame(rows)


def interaction_tests(
    groups: pd.DataFrame,
    *,
    selected: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    min_cell: int = 30,
) -> pd.DataFrame:
    """Every pairwise intersection's selection rate against its attributes' main effects.

    Parameters
    ----------
    groups : DataFrame
        The group attributes (one column each, categorical for a natural order).
    selected : array of bool
        The files selected (by the score).
    weight : array, optional
        Weights of the files (1 each by default).
    min_cell : int
        Cells with fewer files are suppressed and not tested.

    Returns
    -------
    DataFrame
        One row per present cell, with the disparity columns (``p_adjusted``, ``flag`` and
        ``flagged`` are set later by :func:`dmde.audit.metrics.flag_disparities`).

    Examples
    --------
    Selection that depends on each attribute but not on their combination finds no interaction:

    >>> rng = np.random.default_rng(0)
    >>> g = pd.DataFrame({"a": rng.choice(["x", "y"], 20_000), "b": rng.choice(["u", "v"], 20_000)})
    >>> p = 0.05 * np.where(g["a"] == "x", 2, 1) * np.where(g["b"] == "u", 1.5, 1)
    >>> rows = interaction_tests(g, selected=rng.random(20_000) < p)
    >>> bool((rows["ratio"].between(0.8, 1.25)).all())
    True
    """
    chosen = np.asarray(selected, dtype=bool)
    weights = None
    if weight is not None:  # each product once, not once per pair
        w = np.asarray(weight, dtype=np.float64)
        weights = (w, w * chosen, w * w)
    coded = {str(a): group_codes(groups[a]) for a in groups.columns}  # once per attribute
    frames = [
        _pair(str(a), str(b), coded, chosen, weights, min_cell)
        for a, b in combinations(groups.columns, 2)
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
