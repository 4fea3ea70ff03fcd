"""Group metrics of a selection, with bootstrap intervals and corrected tests of disparities.

:func:`audit_groups` answers the committee's question "who gets selected, and how fairly?" for
every group of every attribute passed in ``groups`` (gender, nationality group, age band, ...)
and, by default, every pairwise intersection of two attributes ("female × non_eu"). It returns a
:class:`GroupAudit`: tidy DataFrames (data first; rendering is the report's job).

Metrics
-------
All metrics are weighted by ``weight`` when it is given (survey weights); ``n`` is always the
unweighted number of rows the metric is computed from (its denominator within the group), and a
metric whose ``n`` is below ``min_cell`` is suppressed: value and interval are NaN,
``suppressed`` is True, and it is never tested. See :data:`METRIC_DEFINITIONS`.

Bootstrap: resampling cells, not rows
-------------------------------------
Every metric except the AUC is a ratio of sums over the cells (group × selected × label state,
where the label state is 0, 1 or unknown): sums of weight ``w``, of ``w·score`` and of
``w·probability``. A Poisson bootstrap of rows (each row drawn ``m ~ Poisson(1)`` times) therefore
only needs, per cell, the distribution of (number of draws, their three sums):

- the number of draws of a cell of ``n`` rows is exactly ``Poisson(n)``, independently across
  cells (this is exact: it *is* the Poisson row bootstrap's cell count);
- given ``N`` draws, the cell's three sums are drawn as ``N·μ + √N·Σ^½·z`` with ``μ`` and ``Σ``
  the within-cell mean and covariance of ``(w, w·score, w·probability)`` and ``z`` standard normal
  (the normal approximation of a sum of ``N`` draws with replacement from the cell).

With unit weights every count metric (selection rate, precision, TPR, FPR, FNR, base rate, shares,
false-positive burden) is therefore resampled *exactly* as by a Poisson row bootstrap; only the
means of score and probability (and the calibration gap) use the within-cell normal
approximation, which is accurate unless a cell is tiny, and then the count term dominates. With
sample weights, the weight sums also use it (sums clipped at 0). The cost is ``B × cells`` instead
of ``B × rows``: one pass over the rows per attribute, then arrays of about 1,000 × 300 numbers.

The AUC (within group, of the score, labelled rows only) is not a function of cell sums: its
interval is the Hanley and McNeil (1982) normal interval (Kish effective sizes under weights) and
its disparities use the normal difference of two independent AUCs (log scale for the ratio).

Intervals are bootstrap percentile intervals at level ``1 - alpha``. A disparity's ``p_value`` is
the two-sided Wald test of log ratio 0, with the bootstrap standard error of the log ratio (the
log scale stabilises the variance of rates: a Wald test of the difference, whose standard error is
estimated at the observed rather than the null rate, rejects far too easily when a group has few
events). When fewer than 95% of resampled ratios are positive and finite, the difference and its
bootstrap standard error are used instead. ``p_percentile`` is the percentile p (share of
resamples on the other side of 0, +1 corrected); it is reported for reference only, because it
cannot fall below ``2/(B+1)`` and so could never survive a correction over hundreds of tests.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.settings import CORRECTIONS, AuditError, AuditSettings
from dmde.core.stats import (
    benjamini_hochberg,
    hanley_mcneil_se,
    holm,
    kish_size,
    normal_p,
    normal_quantile,
    wilson,
)

__all__ = [
    "CORRECTIONS",
    "DISPARITY_COLUMNS",
    "DISPARITY_METRICS",
    "METRIC_DEFINITIONS",
    "AuditError",
    "GroupAudit",
    "audit_groups",
    "audit_groups_with",
    "disparity_frame",
    "flag_disparities",
    "group_codes",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEPARATOR = " × "
MISSING = "(missing)"
_UNKNOWN = 2  # label state of a row whose label is NaN
_STATES = 6  # cells per group: selected (2) × label state (0, 1, unknown)

#: Every metric of the audit, in words (the report's definitions table).
METRIC_DEFINITIONS: dict[str, str] = {
    "population_share": "weight of the group / weight of all files",
    "share_among_selected": "weight of the group's selected files / weight of all selected files",
    "selection_rate": "weight of the group's selected files / weight of the group",
    "mean_score": "weighted mean score in the group",
    "mean_probability": "weighted mean predicted probability in the group",
    "base_rate": "weighted share of label 1 among the group's labelled files",
    "precision": "weighted share of label 1 among the group's selected labelled files",
    "tpr": "weighted share selected among the group's files with label 1",
    "fpr": "weighted share selected among the group's files with label 0",
    "fnr": "weighted share not selected among the group's files with label 1 (1 - tpr)",
    "false_positive_burden": (
        "selected files with label 0 per 1,000 files of the group (all files, labelled or not: "
        "selected files of unknown label are not counted)"
    ),
    "calibration_gap": (
        "mean predicted probability - observed rate of label 1, on the group's labelled files"
    ),
    "auc": "within-group AUC of the score on labelled files (NaN if one class)",
}
_BASE_METRICS = (
    "population_share",
    "share_among_selected",
    "selection_rate",
    "mean_score",
    "mean_probability",
)
_LABEL_METRICS = (
    "base_rate",
    "precision",
    "tpr",
    "fpr",
    "fnr",
    "false_positive_burden",
    "calibration_gap",
)
#: Metrics compared with the reference group. The two shares are left out: their ratio measures
#: the size of a group, not how it is treated (selection_rate answers that).
DISPARITY_METRICS = (
    "selection_rate",
    "mean_score",
    "mean_probability",
    *_LABEL_METRICS,
    "auc",
)
#: Compared by difference only: a ratio of two signed gaps means nothing, so never tested.
_UNTESTED = frozenset({"calibration_gap"})
#: The test is on the log ratio when at least this share of resampled ratios is positive.
_LOG_SHARE = 0.95


@dataclass(frozen=True)
class GroupAudit:
    """The results of :func:`audit_groups`, as tidy DataFrames (rendering is done elsewhere).

    Attributes
    ----------
    metrics : DataFrame
        attribute, group, metric, value, ci_low, ci_high, n, suppressed.
    disparities : DataFrame
        attribute, group, reference, metric, value, reference_value, ratio, ratio_ci_low,
        ratio_ci_high, difference, difference_ci_low, difference_ci_high, p_value, p_percentile,
        log_se (standard error of the log ratio behind the test; NaN when the difference was
        tested), p_adjusted, tested, suppressed, flag (ratio outside the band and p_value < alpha),
        flagged (ratio outside the band and p_adjusted < alpha).
    deciles : DataFrame
        attribute, group, decile (1-10 of the national score distribution, 10 = highest),
        share (of the group's weight), n, suppressed.
    calibration : DataFrame
        attribute, group, decile (1-10 of the national probability distribution, or of the
        score when no probability is given: then mean_predicted is NaN), n (labelled
        rows), mean_predicted, observed_rate with its Wilson 95% interval (observed_low,
        observed_high; Kish effective size under weights), suppressed. Empty without labels.
    method : dict
        What the report's method section needs: bootstrap, intervals, test, correction, seed.
    """

    metrics: pd.DataFrame
    disparities: pd.DataFrame
    deciles: pd.DataFrame
    calibration: pd.DataFrame
    method: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Validation
def _bad(parameter: str, rule: str, got: object, fix: str) -> AuditError:
    return AuditError(
        f"The {parameter!r} parameter of audit_groups must be {rule}. Got {got} instead. {fix}"
    )


def _vector(values: object, parameter: str, n: int | None) -> npt.NDArray[Any]:
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if array.ndim != 1:
        raise _bad(parameter, "a 1-D array", f"shape {array.shape}", "Pass one value per file.")
    if n is not None and len(array) != n:
        raise _bad(
            parameter,
            f"aligned with 'selected' ({n:,} rows)",
            f"{len(array):,} rows",
            "Pass the values of the same files, in the same order.",
        )
    return array


def _floats(values: object, parameter: str, n: int, *, allow_nan: bool = False) -> FloatArray:
    array = _vector(values, parameter, n)
    try:
        out = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad(
            parameter, "numbers", f"values of type {array.dtype}", "Convert it to float."
        ) from None
    bad = ~np.isfinite(out) if not allow_nan else np.isinf(out)
    if bad.any():
        raise _bad(
            parameter,
            "finite numbers",
            f"{int(bad.sum()):,} non-finite values (first at row {int(np.flatnonzero(bad)[0])})",
            "Drop or repair those rows before the audit.",
        )
    return out


def _selected(values: object) -> npt.NDArray[np.bool_]:
    array = _vector(values, "selected", None)
    if array.dtype == np.bool_:
        return array.astype(np.bool_)
    if np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all():
        return array.astype(np.bool_)
    raise _bad(
        "selected",
        "booleans (or 0/1)",
        f"values of type {array.dtype}",
        "Pass True for the files selected for a check.",
    )


def _labels(values: object, n: int) -> FloatArray:
    label = _floats(values, "label", n, allow_nan=True)
    bad = ~(np.isnan(label) | (label == 0) | (label == 1))
    if bad.any():
        shown = ", ".join(repr(float(v)) for v in np.unique(label[bad])[:5])
        raise _bad(
            "label",
            "0, 1 or NaN (unknown)",
            f"other values ({shown})",
            "Code the outcome as 1 (overpayment found) / 0, and NaN where no check was made.",
        )
    return label


def _weights(values: object, n: int) -> FloatArray:
    weight = _floats(values, "weight", n)
    if (weight < 0).any():
        raise _bad(
            "weight",
            "non-negative",
            f"{int((weight < 0).sum()):,} negative values (min {float(weight.min())!r})",
            "Pass sample weights >= 0.",
        )
    if weight.sum() <= 0:
        raise _bad("weight", "positive in total", "a total of 0", "Pass sample weights > 0.")
    return weight


# --------------------------------------------------------------------------------------------
# Rows and attributes
@dataclass(frozen=True)
class _Rows:
    """The validated rows, and what every attribute's pass needs."""

    cell: IntArray  # selected * 3 + label state
    weight: FloatArray | None  # None: unit weights
    values: tuple[FloatArray | None, FloatArray, FloatArray]  # w, w·score, w·probability
    products: dict[tuple[int, int], FloatArray | None]  # x_i·x_j (None: an x_0 of ones)
    score: FloatArray
    label: FloatArray | None
    score_decile: IntArray
    probability_decile: IntArray
    auc_order: IntArray  # labelled rows, by increasing score (stable)


@dataclass(frozen=True)
class _Attribute:
    name: str
    codes: IntArray  # the group of each row, in [0, len(groups))
    groups: tuple[str, ...]  # natural order (see _coded)


def _national_deciles(x: FloatArray, weight: FloatArray | None, order: IntArray) -> IntArray:
    """Decile 0-9 of each row: d holds rows in (edge_d, edge_d+1], edges weighted quantiles."""
    cumulative = np.cumsum(weight[order]) if weight is not None else np.arange(1.0, len(x) + 1)
    spots = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, 10) / 10, side="left")
    edges = x[order][np.minimum(spots, len(x) - 1)]
    return np.searchsorted(edges, x, side="left").astype(np.int64)


def _rows(
    selected: npt.NDArray[np.bool_],
    score: FloatArray,
    probability: FloatArray,
    label: FloatArray | None,
    weight: FloatArray | None,
) -> _Rows:
    state = np.full(len(score), _UNKNOWN, dtype=np.int64)
    if label is not None:
        known = ~np.isnan(label)
        state[known] = label[known].astype(np.int64)
    w = weight
    values = (w, score if w is None else w * score, probability if w is None else w * probability)
    products: dict[tuple[int, int], FloatArray | None] = {}
    for i in range(3):
        for j in range(i, 3):
            a, b = values[i], values[j]
            products[i, j] = b if a is None else (a if b is None else a * b)
    score_order = np.argsort(score, kind="stable")
    labelled = state[score_order] != _UNKNOWN
    return _Rows(
        cell=selected.astype(np.int64) * 3 + state,
        weight=w,
        values=values,
        products=products,
        score=score,
        label=label,
        score_decile=_national_deciles(score, w, score_order),
        probability_decile=_national_deciles(
            probability, w, np.argsort(probability, kind="stable")
        ),
        auc_order=score_order[labelled],
    )


def group_codes(column: pd.Series[Any]) -> tuple[IntArray, tuple[str, ...]]:
    """Each row's group code and the groups in their natural order.

    A categorical keeps its declared order, other values are sorted; missing values are the
    group :data:`MISSING`, last. Every table of the audit uses this order.

    >>> codes, names = group_codes(pd.Series(pd.Categorical(["b", None, "a"], ["b", "a"])))
    >>> codes.tolist(), names
    ([0, 2, 1], ('b', 'a', '(missing)'))
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    codes = np.asarray(codes, dtype=np.int64)
    if isinstance(column.dtype, pd.CategoricalDtype):
        declared = [str(c) for c in column.cat.categories]
        names = [c for c in declared if c in set(labels)]
        names += sorted(set(labels) - set(names))
    else:
        names = sorted(set(labels))
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
        names.append(MISSING)
    position = {label: i for i, label in enumerate(names)}
    remap = np.asarray([position[label] for label in labels], dtype=np.int64)
    return remap[codes], tuple(names)


def _coded(name: str, column: pd.Series) -> _Attribute:
    codes, names = group_codes(column)
    return _Attribute(name, codes, names)


def _intersection(a: _Attribute, b: _Attribute) -> _Attribute:
    width = len(b.groups)
    combined = a.codes * width + b.codes
    present = np.bincount(combined, minlength=len(a.groups) * width) > 0
    remap = np.cumsum(present) - 1
    names = tuple(
        f"{a.groups[i // width]}{SEPARATOR}{b.groups[i % width]}" for i in np.flatnonzero(present)
    )
    return _Attribute(f"{a.name}{SEPARATOR}{b.name}", remap[combined].astype(np.int64), names)


def _attributes(groups: pd.DataFrame, intersections: bool) -> list[_Attribute]:
    singles = [_coded(str(c), groups[c]) for c in groups.columns]
    pairs = [_intersection(a, b) for a, b in combinations(singles, 2)] if intersections else []
    return singles + pairs


# --------------------------------------------------------------------------------------------
# Cells and their bootstrap
@dataclass(frozen=True)
class _Cells:
    """Per cell (group × selected × label state): row count, sums and within-cell spread."""

    count: FloatArray  # (K,)
    sums: FloatArray  # (K, 3): w, w·score, w·probability
    root: FloatArray  # (K, 3, 3): square root of the within-cell covariance of those three


def _aggregate(codes: IntArray, n_groups: int, rows: _Rows) -> _Cells:
    index = codes * _STATES + rows.cell
    size = n_groups * _STATES
    count = np.bincount(index, minlength=size).astype(np.float64)

    def total(x: FloatArray | None) -> FloatArray:
        if x is None:
            return count
        return np.bincount(index, weights=x, minlength=size).astype(np.float64)

    first = [total(x) for x in rows.values]
    second = np.empty((size, 3, 3))
    for (i, j), product in rows.products.items():
        unit = rows.values[i] is None
        second[:, i, j] = second[:, j, i] = first[j] if unit else total(product)
    sums = np.stack(first, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count[:, None] > 0, sums / count[:, None], 0.0)
        moment = np.where(count[:, None, None] > 0, second / count[:, None, None], 0.0)
    covariance = moment - mean[:, :, None] * mean[:, None, :]
    eigenvalues, vectors = np.linalg.eigh(covariance)
    scale = np.sqrt(np.clip(eigenvalues, 0.0, None))
    root = np.einsum("kij,kj,klj->kil", vectors, scale, vectors)
    return _Cells(count=count, sums=sums, root=np.asarray(root, dtype=np.float64))


def _resample(cells: _Cells, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """(B, K, 3) resampled cell sums: Poisson counts, normal within-cell sums (module doc)."""
    counts = rng.poisson(cells.count, size=(n_boot, len(cells.count))).astype(np.float64)
    noise = np.einsum("kij,bkj->bki", cells.root, rng.standard_normal((n_boot, *cells.sums.shape)))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(cells.count[:, None] > 0, cells.sums / cells.count[:, None], 0.0)
    out = counts[..., None] * mean + np.sqrt(counts)[..., None] * noise
    out[..., 0] = np.clip(out[..., 0], 0.0, None)
    return np.asarray(out, dtype=np.float64)


def _cell_metrics(sums: FloatArray, labelled: bool) -> dict[str, FloatArray]:
    """Metrics per group from cell sums shaped (..., G, 2, 3, 3): selected, state, quantity."""
    w, s, p = sums[..., 0], sums[..., 1], sums[..., 2]
    group = w.sum(axis=(-1, -2))
    chosen = w[..., 1, :].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "population_share": group / group.sum(axis=-1, keepdims=True),
            "share_among_selected": chosen / chosen.sum(axis=-1, keepdims=True),
            "selection_rate": chosen / group,
            "mean_score": s.sum(axis=(-1, -2)) / group,
            "mean_probability": p.sum(axis=(-1, -2)) / group,
        }
        if labelled:
            positive, negative = w[..., 1].sum(axis=-1), w[..., 0].sum(axis=-1)
            known = positive + negative
            base_rate = positive / known
            out |= {
                "base_rate": base_rate,
                "precision": w[..., 1, 1] / (w[..., 1, 1] + w[..., 1, 0]),
                "tpr": w[..., 1, 1] / positive,
                "fpr": w[..., 1, 0] / negative,
                "fnr": w[..., 0, 1] / positive,
                "false_positive_burden": 1000 * w[..., 1, 0] / group,
                "calibration_gap": p[..., :2].sum(axis=(-1, -2)) / known - base_rate,
            }
    return out


def _denominators(count: FloatArray, labelled: bool) -> dict[str, IntArray]:
    """Unweighted rows behind each metric, per group, from cell counts shaped (G, 2, 3)."""
    group = count.sum(axis=(1, 2)).astype(np.int64)
    out = dict.fromkeys(_BASE_METRICS, group)
    if labelled:
        known = count[:, :, :2].sum(axis=(1, 2)).astype(np.int64)
        positive = count[:, :, 1].sum(axis=1).astype(np.int64)
        out |= {
            "base_rate": known,
            "precision": count[:, 1, :2].sum(axis=1).astype(np.int64),
            "tpr": positive,
            "fpr": count[:, :, 0].sum(axis=1).astype(np.int64),
            "fnr": positive,
            "false_positive_burden": group,
            "calibration_gap": known,
            "auc": known,
        }
    return out


# --------------------------------------------------------------------------------------------
# AUC
def _auc(attribute: _Attribute, rows: _Rows) -> tuple[FloatArray, FloatArray]:
    """Weighted within-group AUC of the score (ties count 1/2) and its Hanley-McNeil SE."""
    n_groups = len(attribute.groups)
    order, label = rows.auc_order, rows.label
    if label is None or len(order) == 0:
        return np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    small = np.int16 if n_groups < 2**15 else np.int64  # int16: numpy's radix sort
    within = order[np.argsort(attribute.codes[order].astype(small), kind="stable")]
    group, score, y = attribute.codes[within], rows.score[within], label[within]
    w = np.ones(len(within)) if rows.weight is None else rows.weight[within]
    new = np.ones(len(within), dtype=np.bool_)
    new[1:] = (group[1:] != group[:-1]) | (score[1:] != score[:-1])
    starts = np.flatnonzero(new)
    block = group[starts]
    positive = np.add.reduceat(w * y, starts)
    negative = np.add.reduceat(w * (1 - y), starts)
    positive_total = np.bincount(block, weights=positive, minlength=n_groups)
    negative_total = np.bincount(block, weights=negative, minlength=n_groups)
    offset = np.concatenate([[0.0], np.cumsum(negative_total)[:-1]])
    below = np.cumsum(negative) - negative - offset[block]
    numerator = np.bincount(block, weights=positive * (below + negative / 2), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = numerator / (positive_total * negative_total)
        squares_pos = np.bincount(group, weights=w * w * y, minlength=n_groups)
        squares_neg = np.bincount(group, weights=w * w * (1 - y), minlength=n_groups)
        n_pos = kish_size(positive_total, squares_pos)  # (= counts, unweighted)
        n_neg = kish_size(negative_total, squares_neg)
        se = hanley_mcneil_se(auc, n_pos, n_neg)
    return auc, se


# --------------------------------------------------------------------------------------------
# One attribute
def _quantiles(draws: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval along axis 0, ignoring NaN resamples (all NaN: NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _percentile_p(draws: FloatArray) -> FloatArray:
    """Two-sided share of resamples on either side of 0, +1 corrected, along axis 0."""
    valid = (~np.isnan(draws)).sum(axis=0)
    below, above = (draws <= 0).sum(axis=0), (draws >= 0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * (np.minimum(below, above) + 1) / (valid + 1)
    return np.where(valid > 0, np.minimum(p, 1.0), np.nan)


def _audit_attribute(
    attribute: _Attribute,
    rows: _Rows,
    reference: str | None,
    *,
    n_boot: int,
    rng: np.random.Generator,
    min_cell: int,
    alpha: float,
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    labelled = rows.label is not None
    n_groups = len(attribute.groups)
    cells = _aggregate(attribute.codes, n_groups, rows)
    shape = (n_groups, 2, 3)
    point = _cell_metrics(cells.sums.reshape(*shape, 3), labelled)
    draws = _cell_metrics(_resample(cells, n_boot, rng).reshape(n_boot, *shape, 3), labelled)
    n = _denominators(cells.count.reshape(shape), labelled)
    names = list(point)
    values = np.stack([point[m] for m in names])  # (M, G)
    boot = np.stack([draws[m] for m in names], axis=1)  # (B, M, G)
    low, high = _quantiles(boot, alpha)
    if labelled:
        auc, auc_se = _auc(attribute, rows)
        z = normal_quantile(alpha)
        names.append("auc")
        values = np.vstack([values, auc])
        low = np.vstack([low, np.clip(auc - z * auc_se, 0.0, 1.0)])
        high = np.vstack([high, np.clip(auc + z * auc_se, 0.0, 1.0)])
    counts = np.stack([n[m] for m in names])
    suppressed = counts < min_cell
    values, low, high = (np.where(suppressed, np.nan, a) for a in (values, low, high))
    metrics = pd.DataFrame(  # group-major: (G, M) arrays, transposed
        {
            "attribute": attribute.name,
            "group": np.repeat(np.asarray(attribute.groups, dtype=object), len(names)),
            "metric": np.tile(np.asarray(names, dtype=object), n_groups),
            "value": values.T.ravel(),
            "ci_low": low.T.ravel(),
            "ci_high": high.T.ravel(),
            "n": counts.T.ravel(),
            "suppressed": suppressed.T.ravel(),
        }
    )
    order = {m: i for i, m in enumerate(names)}

    group_weight = cells.sums[:, 0].reshape(n_groups, _STATES).sum(axis=1)
    r = attribute.groups.index(reference) if reference is not None else int(np.argmax(group_weight))
    compared = [m for m in DISPARITY_METRICS if m in order and m != "auc"]
    rows_index = [order[m] for m in compared]
    columns = _bootstrap_disparities(values[rows_index], boot[:, rows_index, :], r, alpha)
    if labelled:
        compared.append("auc")
        rows_index.append(order["auc"])
        auc_columns = _normal_disparities(auc, auc_se, r, alpha)
        columns = {k: np.vstack([v, auc_columns[k]]) for k, v in columns.items()}
    blocked = suppressed[rows_index] | suppressed[rows_index][:, [r]]
    return metrics, _disparity_frame(attribute, r, compared, columns, blocked), attribute.groups[r]


def _bootstrap_disparities(
    values: FloatArray, draws: FloatArray, r: int, alpha: float
) -> dict[str, FloatArray]:
    """Ratio and difference to group r, (M, G) each, from point values and (B, M, G) draws."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_draws = draws / draws[:, :, [r]]
        difference_draws = draws - draws[:, :, [r]]
        difference = values - values[:, [r]]
        ratio = values / values[:, [r]]
        positive = (ratio_draws > 0) & np.isfinite(ratio_draws)
        log_draws = np.where(positive, np.log(np.where(positive, ratio_draws, 1.0)), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            se = np.nanstd(difference_draws, axis=0, ddof=1)
            se_log = np.nanstd(log_draws, axis=0, ddof=1)
        on_log = (positive.mean(axis=0) >= _LOG_SHARE) & (ratio > 0) & np.isfinite(ratio)
        z = np.where(on_log, np.log(np.where(on_log, ratio, 1.0)) / se_log, difference / se)
        p_value = normal_p(z)
    ratio_low, ratio_high = _quantiles(ratio_draws, alpha)
    difference_low, difference_high = _quantiles(difference_draws, alpha)
    return {
        "value": values,
        "reference_value": np.repeat(values[:, [r]], values.shape[1], axis=1),
        "ratio": ratio,
        "ratio_ci_low": ratio_low,
        "ratio_ci_high": ratio_high,
        "difference": difference,
        "difference_ci_low": difference_low,
        "difference_ci_high": difference_high,
        "p_value": np.where((se == 0) & (difference == 0), 1.0, p_value),
        "p_percentile": _percentile_p(difference_draws),
        "log_se": np.where(on_log, se_log, np.nan),
    }


def _normal_disparities(
    auc: FloatArray, se: FloatArray, r: int, alpha: float
) -> dict[str, FloatArray]:
    """The AUC's ratio and difference to group r (independent groups, normal), (1, G) each."""
    z = normal_quantile(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = auc - auc[r]
        se_difference = np.sqrt(se**2 + se[r] ** 2)
        ratio = auc / auc[r]
        se_log = np.sqrt((se / auc) ** 2 + (se[r] / auc[r]) ** 2)
        p_value = normal_p(difference / se_difference)
    columns = {
        "value": auc,
        "reference_value": np.full_like(auc, auc[r]),
        "ratio": ratio,
        "ratio_ci_low": ratio * np.exp(-z * se_log),
        "ratio_ci_high": ratio * np.exp(z * se_log),
        "difference": difference,
        "difference_ci_low": difference - z * se_difference,
        "difference_ci_high": difference + z * se_difference,
        "p_value": p_value,
        "p_percentile": np.full_like(auc, np.nan),
        "log_se": se_log,
    }
    return {k: v[None, :] for k, v in columns.items()}


def _disparity_frame(
    attribute: _Attribute,
    r: int,
    compared: list[str],
    columns: dict[str, FloatArray],
    suppressed: npt.NDArray[np.bool_],
) -> pd.DataFrame:
    """One row per (group other than r, metric), groups sorted, metrics in declared order."""
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
    untested_columns = [
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "p_value",
        "p_percentile",
        "log_se",
    ]
    frame.loc[untested, untested_columns] = np.nan
    # A count of 0 (or all) has no bootstrap spread: its uncertainty cannot be measured, so
    # a ratio like 0 [0, 0] is shown but never tested (it would look certain).
    value, reference = frame["value"].to_numpy(), frame["reference_value"].to_numpy()
    rate = frame["metric"].isin(_RATES).to_numpy()
    degenerate = (value == 0) | (reference == 0) | (rate & ((value == 1) | (reference == 1)))
    frame["tested"] = ~blocked & ~untested & ~degenerate & frame["p_value"].notna().to_numpy()
    return frame


#: Metrics that are proportions (0 and 1 are empty counts).
_RATES = frozenset({"selection_rate", "base_rate", "precision", "tpr", "fpr", "fnr"})


#: The function of each correction (:data:`CORRECTIONS`), from :mod:`dmde.core.stats`.
_ADJUST = {"holm": holm, "bh": benjamini_hochberg}


# --------------------------------------------------------------------------------------------
# Deciles and calibration
def _deciles(attribute: _Attribute, rows: _Rows, min_cell: int) -> pd.DataFrame:
    n_groups = len(attribute.groups)
    index = attribute.codes * 10 + rows.score_decile
    count = np.bincount(index, minlength=n_groups * 10).reshape(n_groups, 10)
    weight = (
        count.astype(np.float64)
        if rows.weight is None
        else np.bincount(index, weights=rows.weight, minlength=n_groups * 10).reshape(n_groups, 10)
    )
    suppressed = np.repeat(count.sum(axis=1) < min_cell, 10)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (weight / weight.sum(axis=1, keepdims=True)).ravel()
    return pd.DataFrame(
        {
            "attribute": attribute.name,
            "group": np.repeat(np.asarray(attribute.groups, dtype=object), 10),
            "decile": np.tile(np.arange(1, 11), n_groups),
            "share": np.where(suppressed, np.nan, share),
            "n": count.ravel(),
            "suppressed": suppressed,
        }
    )


def _calibration(
    attribute: _Attribute, rows: _Rows, min_cell: int, calibrated: bool
) -> pd.DataFrame:
    """Observed rate by decile of the probability (or of the score, when there is none)."""
    assert rows.label is not None
    n_groups = len(attribute.groups)
    known = ~np.isnan(rows.label)
    decile = rows.probability_decile if calibrated else rows.score_decile
    index = (attribute.codes * 10 + decile)[known]
    size = n_groups * 10
    w = np.ones(int(known.sum())) if rows.weight is None else rows.weight[known]
    wp = rows.values[2][known]
    count = np.bincount(index, minlength=size)
    total = np.bincount(index, weights=w, minlength=size)
    suppressed = count < min_cell
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted = np.bincount(index, weights=wp, minlength=size) / total
        observed = np.bincount(index, weights=w * rows.label[known], minlength=size) / total
        # Wilson interval of the observed rate, with Kish's effective size under weights.
        effective = kish_size(total, np.bincount(index, weights=w * w, minlength=size))
    pairs = zip(observed, effective, strict=True)
    bounds = np.asarray([wilson(o * e, e) if e > 0 else (np.nan, np.nan) for o, e in pairs])
    low = np.where(suppressed, np.nan, bounds[:, 0])
    high = np.where(suppressed, np.nan, bounds[:, 1])
    return pd.DataFrame(
        {
            "attribute": attribute.name,
            "group": np.repeat(np.asarray(attribute.groups, dtype=object), 10),
            "decile": np.tile(np.arange(1, 11), n_groups),
            "n": count,
            "mean_predicted": np.where(suppressed | (not calibrated), np.nan, predicted),
            "observed_rate": np.where(suppressed, np.nan, observed),
            "observed_low": low,
            "observed_high": high,
            "suppressed": suppressed,
        }
    )


# --------------------------------------------------------------------------------------------
# The public function
def _references(
    reference: Mapping[str, str] | None, attributes: list[_Attribute]
) -> dict[str, str | None]:
    known = {a.name: a for a in attributes}
    chosen: dict[str, str | None] = dict.fromkeys(known)
    for name, group in (reference or {}).items():
        if name not in known:
            raise _bad(
                "reference",
                f"keyed by audited attributes ({', '.join(sorted(known)[:8])})",
                f"an unknown attribute {name!r}",
                "Name a column of 'groups' (or an intersection 'a × b').",
            )
        if group not in known[name].groups:
            raise _bad(
                "reference",
                f"a group present in {name!r} ({', '.join(known[name].groups[:10])})",
                f"{name!r}: {group!r}",
                "Pick one of the groups present, or leave it out for the largest group.",
            )
        chosen[name] = group
    return chosen


def audit_groups(
    *,
    selected: npt.ArrayLike,
    score: npt.ArrayLike,
    probability: npt.ArrayLike | None,
    groups: pd.DataFrame,
    label: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
    reference: Mapping[str, str] | None = None,
    intersections: bool = True,
    band: tuple[float, float] = (0.8, 1.25),
    n_boot: int = 1000,
    seed: int = 0,
    min_cell: int = 30,
    alpha: float = 0.05,
    correction: str = "holm",
) -> GroupAudit:
    """Who gets selected, how fairly: group metrics, intervals and corrected disparity tests.

    Parameters
    ----------
    selected : array-like of bool, shape (n,)
        True for the files selected for a check.
    score, probability : array-like of float, shape (n,)
        The score that ranked the files, and the predicted probability (in [0, 1]). A system
        that gives no probability passes ``probability=None``: the mean probability, the
        calibration gap and the calibration table are then left out.
    groups : DataFrame, n rows
        One column per attribute (strings or categoricals; NaN becomes ``"(missing)"``). These
        columns are never model inputs: they arrive only here. Rows align by position.
    label : array-like of {0, 1, NaN}, optional
        The outcome (of a check, or the synthetic truth); NaN where unknown. Without it only
        the metrics that need no label are computed, and ``calibration`` is empty.
    weight : array-like of float >= 0, optional
        Sample (survey) weights. Default: every file counts 1.
    reference : dict, optional
        Reference group per attribute, e.g. ``{"gender": "male"}``. Default: the largest group
        by weight.
    intersections : bool
        Also audit every pair of attributes (``"gender × nationality_group"``).
    band : (low, high)
        A ratio to the reference outside ``[low, high]`` is a disparity worth flagging.
    n_boot : int
        Bootstrap resamples (of cells: see the module docstring).
    seed : int
        Seed of the bootstrap; the same inputs and seed give identical results.
    min_cell : int
        Metrics computed from fewer rows are suppressed (NaN) and never tested.
    alpha : float
        Test level; intervals are at level ``1 - alpha``.
    correction : {"holm", "bh"}
        Multiple-comparison correction over every tested disparity of the audit.

        These options make an :class:`~dmde.audit.settings.AuditSettings`, which checks them;
        :func:`audit_groups_with` takes one directly.

    Returns
    -------
    GroupAudit
        ``metrics``, ``disparities``, ``deciles``, ``calibration`` and ``method``.

    Raises
    ------
    AuditError
        Misaligned inputs, labels other than 0/1/NaN, negative weights, an unknown reference
        group or a bad parameter; the message names it, the value and the fix.

    Examples
    --------
    >>> groups = pd.DataFrame({"gender": ["female"] * 100 + ["male"] * 100})
    >>> selected = np.arange(200) % 10 < np.where(np.arange(200) < 100, 2, 1)
    >>> audit = audit_groups(
    ...     selected=selected, score=np.linspace(0, 1, 200), probability=np.full(200, 0.1),
    ...     groups=groups, reference={"gender": "male"}, n_boot=200,
    ... )
    >>> audit.metrics.query("metric == 'selection_rate'")[["group", "value", "n"]]
        group  value    n
    2  female    0.2  100
    7    male    0.1  100
    >>> audit.disparities.loc[audit.disparities["metric"] == "selection_rate", "ratio"].item()
    2.0
    """
    settings = AuditSettings(
        reference=reference,
        intersections=intersections,
        band=band,
        n_boot=n_boot,
        seed=seed,
        min_cell=min_cell,
        alpha=alpha,
        correction=correction,
    )
    return audit_groups_with(
        settings=settings,
        selected=selected,
        score=score,
        probability=probability,
        groups=groups,
        label=label,
        weight=weight,
    )


def audit_groups_with(
    *,
    settings: AuditSettings,
    selected: npt.ArrayLike,
    score: npt.ArrayLike,
    probability: npt.ArrayLike | None,
    groups: pd.DataFrame,
    label: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
) -> GroupAudit:
    """:func:`audit_groups` with its options in one validated :class:`AuditSettings`.

    The other parameters, the result and the errors are those of :func:`audit_groups`
    (``settings.proxy_rows`` is not used here).
    """
    sel = _selected(selected)
    n = len(sel)
    scores = _floats(score, "score", n)
    calibrated = probability is not None
    probabilities = np.zeros(n) if probability is None else _floats(probability, "probability", n)
    if ((probabilities < 0) | (probabilities > 1)).any():
        raise _bad(
            "probability",
            "in [0, 1]",
            f"values from {probabilities.min()!r} to {probabilities.max()!r}",
            "Pass the predicted probability, not the score.",
        )
    labels = None if label is None else _labels(label, n)
    weights = None if weight is None else _weights(weight, n)
    if not isinstance(groups, pd.DataFrame) or groups.shape[1] == 0:
        raise _bad(
            "groups",
            "a DataFrame with at least one column",
            type(groups).__name__ if not isinstance(groups, pd.DataFrame) else "no columns",
            "Pass the group columns (e.g. gender, age_band) of the same files.",
        )
    if len(groups) != n:
        raise _bad(
            "groups",
            f"aligned with 'selected' ({n:,} rows)",
            f"{len(groups):,} rows",
            "Pass the group columns of the same files, in the same order.",
        )
    if n == 0:
        raise _bad("selected", "non-empty", "0 rows", "Pass the files to audit.")
    n_boot, seed, min_cell = settings.n_boot, settings.seed, settings.min_cell
    alpha, correction, intersections = settings.alpha, settings.correction, settings.intersections
    low, high = settings.band

    rows = _rows(sel, scores, probabilities, labels, weights)
    attributes = _attributes(groups, intersections)
    references = _references(settings.reference, attributes)
    metric_frames, disparity_frames, decile_frames, calibration_frames = [], [], [], []
    used: dict[str, str] = {}
    for k, attribute in enumerate(attributes):
        metrics, disparities, used[attribute.name] = _audit_attribute(
            attribute,
            rows,
            references[attribute.name],
            n_boot=n_boot,
            rng=np.random.default_rng([seed, k]),
            min_cell=min_cell,
            alpha=alpha,
        )
        metric_frames.append(metrics)
        disparity_frames.append(disparities)
        decile_frames.append(_deciles(attribute, rows, min_cell))
        if labels is not None:
            calibration_frames.append(_calibration(attribute, rows, min_cell, calibrated))

    metrics = pd.concat(metric_frames, ignore_index=True)
    disparities = pd.concat(disparity_frames, ignore_index=True)
    if not calibrated:
        metrics = metrics[~metrics["metric"].isin(_NEED_PROBABILITY)].reset_index(drop=True)
        keep = ~disparities["metric"].isin(_NEED_PROBABILITY)
        disparities = disparities[keep].reset_index(drop=True)
    disparities = flag_disparities(
        disparities, band=(low, high), alpha=alpha, correction=correction
    )
    tested = disparities["tested"].to_numpy()
    calibration = (
        pd.concat(calibration_frames, ignore_index=True)
        if calibration_frames
        else pd.DataFrame(columns=_CALIBRATION_COLUMNS)
    )
    method = _method(
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        band=(low, high),
        min_cell=min_cell,
        correction=correction,
        references=used,
        intersections=intersections,
        weighted=weights is not None,
        n_tested=int(tested.sum()),
    )
    return GroupAudit(
        metrics=metrics,
        disparities=disparities[list(DISPARITY_COLUMNS)],
        deciles=pd.concat(decile_frames, ignore_index=True),
        calibration=calibration,
        method=method,
    )


_NEED_PROBABILITY = ("mean_probability", "calibration_gap")


def flag_disparities(
    disparities: pd.DataFrame,
    *,
    band: tuple[float, float] = (0.8, 1.25),
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """Adjust the p-values of the tested disparities jointly, and set ``flag`` and ``flagged``.

    :func:`audit_groups` calls it on its own disparities; call it again on the concatenation
    of several audits' disparities (e.g. selection metrics on the whole population and error
    metrics on the random-control sample) so that the correction covers every test reported.
    """
    low, high = band
    out = disparities.copy()
    tested = out["tested"].to_numpy(dtype=bool)
    adjusted = np.full(len(out), np.nan)
    adjusted[tested] = _ADJUST[correction](out["p_value"].to_numpy(dtype=float)[tested])
    out["p_adjusted"] = adjusted
    ratio = out["ratio"].to_numpy(dtype=float)
    outside = tested & ~((ratio >= low) & (ratio <= high))
    out["flag"] = outside & (out["p_value"].to_numpy(dtype=float) < alpha)
    out["flagged"] = outside & (adjusted < alpha)
    return out


def disparity_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Comparison rows built outside :func:`audit_groups`, in the disparities' columns.

    Each row gives every column of :data:`DISPARITY_COLUMNS` up to ``suppressed`` (flags are
    set later by :func:`flag_disparities`). As in the group audit, a suppressed comparison
    shows no figure, and an untested one no p-value nor standard error.
    """
    built = DISPARITY_COLUMNS[: DISPARITY_COLUMNS.index("p_adjusted")]
    frame = pd.DataFrame(rows, columns=[*built, "tested", "suppressed"])
    if frame.empty:
        return frame
    suppressed = frame["suppressed"].to_numpy(dtype=bool)
    frame.loc[suppressed, list(_FIGURES)] = np.nan
    frame.loc[~frame["tested"].to_numpy(dtype=bool), ["p_value", "log_se"]] = np.nan
    return frame


#: The figures of a comparison, blank when it is suppressed.
_FIGURES = (
    "value",
    "reference_value",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
)


_CALIBRATION_COLUMNS = (
    "attribute",
    "group",
    "decile",
    "n",
    "mean_predicted",
    "observed_rate",
    "observed_low",
    "observed_high",
    "suppressed",
)
DISPARITY_COLUMNS = (
    "attribute",
    "group",
    "reference",
    "metric",
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
    "p_adjusted",
    "tested",
    "suppressed",
    "flag",
    "flagged",
)


def _method(
    *,
    n_boot: int,
    seed: int,
    alpha: float,
    band: tuple[float, float],
    min_cell: int,
    correction: str,
    references: dict[str, str],
    intersections: bool,
    weighted: bool,
    n_tested: int,
) -> dict[str, Any]:
    level = f"{100 * (1 - alpha):g}%"
    return {
        "bootstrap": (
            f"{n_boot} Poisson bootstrap resamples of cells (group × selected × label state): "
            "each cell's number of draws is Poisson(its rows), exact for count metrics with "
            "unit weights; the cell's sums of weight, weight·score and weight·probability given "
            "the draws use a normal approximation from the within-cell mean and covariance."
        ),
        "n_boot": n_boot,
        "seed": seed,
        "interval": f"bootstrap percentile, {level}",
        "auc_interval": (
            f"Hanley-McNeil (1982) normal, {level}; disparities: normal difference of two "
            "independent AUCs, delta method on the log ratio"
        ),
        "test": (
            "two-sided Wald test of log ratio 0 with the bootstrap standard error of the log "
            f"ratio (of the difference when under {_LOG_SHARE:.0%} of resampled ratios are "
            "positive); calibration_gap is compared by difference only, not tested; a "
            "disparity where either group's value is an empty count (0, or 1 for a rate) is "
            "not tested, since the bootstrap cannot measure its uncertainty"
        ),
        "alpha": alpha,
        "correction": correction,
        "correction_name": CORRECTIONS[correction],
        "n_tested": n_tested,
        "band": list(band),
        "flag_rule": (
            f"ratio outside [{band[0]:g}, {band[1]:g}] and p < {alpha:g} (flag) or adjusted p "
            f"< {alpha:g} (flagged)"
        ),
        "min_cell": min_cell,
        "reference": dict(references),
        "intersections": intersections,
        "weights": "sample weights" if weighted else "unit",
        "deciles": "national weighted deciles; decile d holds (edge d-1, edge d], 10 = highest",
        "definitions": dict(METRIC_DEFINITIONS),
    }
