"""The group audit of one attribute: rows coded in cells, the cell bootstrap, AUC, deciles.

:func:`dmde.audit.metrics.audit_groups` calls ``_audit_attribute`` once per attribute (and
pair of attributes). The rows are summed by cell (group × selected × label state); the Poisson
bootstrap resamples those cells instead of the rows (see :mod:`dmde.audit.metrics`); the AUC and
its Hanley-McNeil interval are computed within each group; each group is compared with the
reference (ratio and difference, with intervals and a test). :func:`group_codes` gives every
table of the audit its order of groups.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.metric_definitions import (
    _BASE_METRICS,
    _LOG_SHARE,
    _RATES,
    _STATES,
    _UNKNOWN,
    _UNTESTED,
    DISPARITY_METRICS,
    MISSING,
    SEPARATOR,
)
from dmde.core.stats import (
    hanley_mcneil_se,
    kish_size,
    normal_p,
    normal_quantile,
    wilson,
)

__all__ = ["group_codes", "text_codes"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


#: The rows already coded while :func:`shared_rows` is open, with the arrays they came from.
_MEMO: ContextVar[list[tuple[tuple[Any, ...], _Rows]] | None] = ContextVar(
    "dmde_rows_memo", default=None
)


@contextmanager
def shared_rows() -> Iterator[None]:
    """Code the same rows once: inside, :func:`_rows_once` reuses what an earlier call made
    from arrays equal to the bit (the audit's groups and its "all files" line share them)."""
    token = _MEMO.set([])
    try:
        yield
    finally:
        _MEMO.reset(token)


def _same_bits(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    bits = np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8)
    return bool(np.array_equal(*bits))


def _rows_once(
    selected: npt.NDArray[np.bool_],
    score: FloatArray,
    probability: FloatArray,
    label: FloatArray | None,
    weight: FloatArray | None,
) -> _Rows:
    """:func:`_rows`, or what it gave for the same arrays inside :func:`shared_rows`."""
    memo = _MEMO.get()
    key = (selected, score, probability, label, weight)
    if memo is None:
        return _rows(*key)
    for known, rows in memo:
        if all(_same_bits(a, b) for a, b in zip(known, key, strict=True)):
            return rows
    rows = _rows(*key)
    memo.append((key, rows))
    return rows


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


def text_codes(column: pd.Series[Any]) -> tuple[IntArray, tuple[str, ...]]:
    """Each row's value as text, coded: ``names[codes[i]]`` is ``column.astype(str)[i]``.

    Missing values (which ``astype(str)`` leaves missing) have code -1. ``names`` holds each
    text once, present in the column or not (a categorical's unused categories stay), in no
    particular order. The comparisons the audit makes on the text of a group
    (``values == level``) become comparisons of small integers, and a categorical column of a
    million rows is never turned into a million strings.

    >>> codes, names = text_codes(pd.Series(pd.Categorical(["b", None, "a"], ["b", "a", "c"])))
    >>> codes.tolist(), names
    ([0, -1, 1], ('b', 'a', 'c'))
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        raw = np.asarray(column.cat.codes.to_numpy(), dtype=np.int64)
        labels = [str(c) for c in column.cat.categories]
    else:
        text = column.astype(str).to_numpy()
        found, uniques = pd.factorize(text, use_na_sentinel=True)
        raw = np.asarray(found, dtype=np.int64)
        labels = [str(u) for u in uniques]
    names = tuple(dict.fromkeys(labels))
    if len(names) == len(labels):
        return raw, names
    # Two categories with the same text (1 and "1"): one name, one code.
    position = {name: i for i, name in enumerate(names)}
    remap = np.asarray([position[label] for label in labels] + [-1], dtype=np.int64)
    return remap[raw], names


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
    return _cells(count, np.stack(first, axis=1), second)


def _cells(count: FloatArray, sums: FloatArray, second: FloatArray) -> _Cells:
    """The cells from their row counts (K,), sums (K, 3) of ``(w, w·score, w·probability)``
    and sums of their products (K, 3, 3): what any engine that sums rows by cell gives
    (:mod:`dmde.audit.aggregates`)."""
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
    # np.nanquantile goes slice by slice as soon as one value is NaN (thousands of slices);
    # the slices without NaN are the same computed at once by np.quantile, to the last bit.
    q = [alpha / 2, 1 - alpha / 2]
    flat = draws.reshape(draws.shape[0], -1)
    gaps = np.isnan(flat).any(axis=0)
    bounds = np.empty((2, flat.shape[1]))
    with warnings.catch_warnings():  # all NaN, or inf - inf between two infinite draws
        warnings.simplefilter("ignore", RuntimeWarning)
        if not gaps.all():
            bounds[:, ~gaps] = np.quantile(flat[:, ~gaps], q, axis=0)
        if gaps.any():
            bounds[:, gaps] = np.nanquantile(flat[:, gaps], q, axis=0)
    low, high = bounds.reshape(2, *draws.shape[1:])
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
    cells = _aggregate(attribute.codes, len(attribute.groups), rows)
    auc = _auc(attribute, rows) if labelled else None
    return _audit_cells(
        attribute.name, attribute.groups, cells, auc, reference,
        n_boot=n_boot, rng=rng, min_cell=min_cell, alpha=alpha,
    )  # fmt: skip


def _audit_cells(
    name: str,
    groups: tuple[str, ...],
    cells: _Cells,
    auc_and_se: tuple[FloatArray, FloatArray] | None,
    reference: str | None,
    *,
    n_boot: int,
    rng: np.random.Generator,
    min_cell: int,
    alpha: float,
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """One attribute's metrics and disparities from its cells (and, with labels, each group's
    AUC and its standard error): the bootstrap and the tables, without the rows."""
    labelled = auc_and_se is not None
    attribute = _Attribute(name, np.empty(0, dtype=np.int64), groups)
    n_groups = len(groups)
    shape = (n_groups, 2, 3)
    point = _cell_metrics(cells.sums.reshape(*shape, 3), labelled)
    draws = _cell_metrics(_resample(cells, n_boot, rng).reshape(n_boot, *shape, 3), labelled)
    n = _denominators(cells.count.reshape(shape), labelled)
    names = list(point)
    values = np.stack([point[m] for m in names])  # (M, G)
    boot = np.stack([draws[m] for m in names], axis=1)  # (B, M, G)
    low, high = _quantiles(boot, alpha)
    if auc_and_se is not None:
        auc, auc_se = auc_and_se
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
    if auc_and_se is not None:
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
    with np.errstate(over="ignore", invalid="ignore"):  # a group of a few rows: an infinite bound
        ratio_low, ratio_high = ratio * np.exp(-z * se_log), ratio * np.exp(z * se_log)
    columns = {
        "value": auc,
        "reference_value": np.full_like(auc, auc[r]),
        "ratio": ratio,
        "ratio_ci_low": ratio_low,
        "ratio_ci_high": ratio_high,
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
    data = {}
    for name, array in columns.items():
        values = np.where(blocked, np.nan, array[metric_index, group_index])
        data[name] = np.where(untested, np.nan, values) if name in _UNTESTED_COLUMNS else values
    frame = pd.DataFrame(
        {
            "attribute": attribute.name,
            "group": np.asarray(attribute.groups, dtype=object)[group_index],
            "reference": attribute.groups[r],
            "metric": np.asarray(compared, dtype=object)[metric_index],
            **data,
            "suppressed": blocked,
        }
    )
    # A count of 0 (or all) has no bootstrap spread: its uncertainty cannot be measured, so
    # a ratio like 0 [0, 0] is shown but never tested (it would look certain).
    value, reference = data["value"], data["reference_value"]
    rate = np.asarray([m in _RATES for m in compared], dtype=bool)[metric_index]
    degenerate = (value == 0) | (reference == 0) | (rate & ((value == 1) | (reference == 1)))
    frame["tested"] = ~blocked & ~untested & ~degenerate & ~np.isnan(data["p_value"])
    return frame


#: Columns left empty for a metric that is compared but not tested (the calibration gap).
_UNTESTED_COLUMNS = frozenset(
    {"ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "p_percentile", "log_se"}
)


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
