"""Learning the bins of one feature from a binary target, with weights.

A numeric feature is cut into pre-bins of about equal weight (at most ``max_prebins``), bins
below ``min_bin_share`` are merged into their smaller neighbour, and adjacent bins are pooled
until the event rate is monotone (``ascending``, ``descending``, or under ``auto`` the direction
of larger information value). A categorical feature groups its levels below ``rare_level_share``
into one bin (joined to the bin of closest event rate when that bin is still below
``min_bin_share``). The rules and their parameters: :class:`dmde.model.binning.WoEBinning`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.model.bins import FeatureBinning, Floats, Indices, woe_values

__all__ = ["Trend", "fit_categorical", "fit_numeric"]

Trend = Literal["auto", "ascending", "descending", "none"]


def fit_numeric(
    name: str,
    x: Floats,
    w: Floats,
    wy: Floats,
    trend: Trend,
    *,
    max_prebins: int,
    min_bin_share: float,
    whole_weights: bool = False,
) -> tuple[FeatureBinning, Indices]:
    """The bins of a numeric feature (NaN: missing) with weights ``w``, and each row's bin.

    ``wy`` is ``w * y`` (the weight of each row's event). ``whole_weights`` says that every
    weight is a whole number (as without weights): the sums by value are then exact in any
    order, and are taken without sorting the rows. The bin of each row is the one
    :meth:`~dmde.model.bins.FeatureBinning.assign` gives its value.
    """
    present = ~np.isnan(x)
    if present.all():  # the same values as below, without copying every row
        missing = (0.0, 0.0)
    else:
        missing = (float(w[~present].sum()), float(wy[~present].sum()))
        x, w, wy = x[present], w[present], wy[present]
    if x.size == 0:
        binning = _numeric_binning(name, [], False, [0.0], [0.0], missing)
        return binning, np.full(present.size, binning.missing_bin, dtype=np.intp)
    values, weights, events, value_of_row = _value_sums(x, w, wy, whole_weights)
    cuts = _prebin_cuts(weights, max_prebins)
    bounds = np.r_[0, cuts + 1]
    counts = np.add.reduceat(weights, bounds).tolist()
    bin_events = np.add.reduceat(events, bounds).tolist()
    edges = [_midpoint(float(values[c]), float(values[c + 1])) for c in cuts]
    edges, counts, bin_events = _merge_small(edges, counts, bin_events, min_bin_share)
    integer_valued = bool(np.all(values == np.floor(values)))
    best = _numeric_binning(name, edges, integer_valued, counts, bin_events, missing)
    if trend != "none":
        found: FeatureBinning | None = None
        for ascending in (True, False):
            if trend == "auto" or (trend == "ascending") == ascending:
                pooled_edges, pooled_counts, pooled_events = _pool(
                    edges, counts, bin_events, ascending
                )
                binning = _numeric_binning(
                    name, pooled_edges, integer_valued, pooled_counts, pooled_events, missing
                )
                if found is None or binning.iv > found.iv:  # ties keep ascending, tried first
                    found = binning
        assert found is not None
        best = found
    # Each distinct value's bin, then each row's: as searchsorted(edges, x, "right") would say.
    bin_of_value = np.searchsorted(np.asarray(best.edges, dtype=np.float64), values, "right")
    bins = bin_of_value.astype(np.intp)[value_of_row]
    if present.all():
        return best, bins
    out = np.full(present.size, best.missing_bin, dtype=np.intp)
    out[present] = bins
    return best, out


def _value_sums(
    x: Floats, w: Floats, wy: Floats, whole_weights: bool
) -> tuple[Floats, Floats, Floats, npt.NDArray[np.integer]]:
    """The distinct values of ``x`` (finite) in increasing order, the sums of ``w`` and ``wy``
    over the rows of each, and each row's position among the values.

    The sums are those of ``np.add.reduceat`` over the rows in the order of a stable sort of
    ``x`` (each value's rows in row order), to the last bit; each value is that of its first
    row (``-0.0`` or ``0.0``). Whole weights add up exactly in any order: their sums are then
    counted by ``np.bincount``, without sorting the rows.
    """
    codes, values, order = _value_codes(x, sortable=not whole_weights)
    weights: Floats
    events: Floats
    if whole_weights and values is not None:
        index = codes.astype(np.intp, copy=False)  # once, not once per count
        weights = np.bincount(index, weights=w, minlength=values.size).astype(np.float64)
        events = np.bincount(index, weights=wy, minlength=values.size).astype(np.float64)
        return values, weights, events, codes
    starts = np.r_[0, np.cumsum(np.bincount(codes))[:-1]]
    if order is None:
        order = np.argsort(codes, kind="stable")  # uint16: a radix sort
    weights = np.add.reduceat(w[order], starts)
    events = np.add.reduceat(wy[order], starts)
    if values is None:
        values = x[order[starts]]
    return values, weights, events, codes


def _value_codes(
    x: Floats, *, sortable: bool
) -> tuple[npt.NDArray[np.integer], Floats | None, Indices | None]:
    """Each row's rank among the distinct values of ``x`` (finite; ``-0.0`` equal to ``0.0``),
    the values themselves as their first rows hold them (or None), and the stable order of the
    rows when it was found on the way (or None).

    Numbers of at most 3 decimals over a short span (counts, flags, months, amounts in cents,
    ratios to 3 decimals): counted by value (:func:`_decimal_codes`). Else, at most 65,536
    distinct values: hashed (``pd.factorize``) and ranked. More: sorted by
    :func:`_radix_order`, ranks counted along the sorted rows. ``sortable``: the ranks must be
    ``uint16`` (at most 65,536 values), for a radix sort of the rows by them.
    """
    found = _decimal_codes(x, most=1 << 16 if sortable else x.size)
    if found is not None:
        return found
    codes, uniques = pd.factorize(x + 0.0)  # + 0.0 turns -0.0 into 0.0
    n_values = len(uniques)
    if n_values <= 1 << 16:
        by_value = np.argsort(np.asarray(uniques, dtype=np.float64))
        rank = np.empty(n_values, dtype=np.uint16)
        rank[by_value] = np.arange(n_values, dtype=np.uint16)
        values = _signed_zero(np.asarray(uniques, dtype=np.float64)[by_value], x)
        return rank[codes], values, None
    order = _radix_order(x)
    xs = x[order]
    ranks = np.cumsum(np.r_[False, xs[1:] != xs[:-1]], dtype=np.intp)
    out = np.empty(x.size, dtype=np.intp)
    out[order] = ranks
    return out, None, order


#: Numbers of at most this many decimals are counted by value rather than hashed.
_SCALES = (1.0, 100.0, 1000.0)


def _decimal_codes(x: Floats, *, most: int) -> tuple[npt.NDArray[np.integer], Floats, None] | None:
    """:func:`_value_codes` of numbers of at most 3 decimals spanning a short range, without
    hashing; None for other values (told by the first rows for most of them), or more than
    ``most`` distinct values.

    With ``scale`` 1, 100 or 1000, each row's ``k = rint(x * scale)`` is checked to give back
    its value exactly (``k / scale == x``): ``k`` then tells the values apart and keeps their
    order, so the rows are counted by ``k`` (``np.bincount`` of its offset from the smallest).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: not counted by value
        head = x[:256]
        for scale in _SCALES:
            if np.array_equal(np.rint(head * scale) / scale, head):
                break
        else:
            return None
        k = np.rint(x * scale) if scale != 1.0 else np.rint(x)  # x * 1.0 is x
        if not np.array_equal(k / scale if scale != 1.0 else k, x):  # a row with more decimals
            return None
    low, high = float(k.min()), float(k.max())
    if not high - low < max(1 << 16, 4 * x.size):
        return None
    offset = (k - low).astype(np.intp)  # exact: whole numbers this close together
    seen = np.bincount(offset) > 0
    n_values = int(seen.sum())
    if n_values > most:
        return None
    rank = np.cumsum(seen, dtype=np.intp) - 1
    if most <= 1 << 16:  # ranks to sort the rows by
        rank = rank.astype(np.uint16)
    values = _signed_zero(((low + np.flatnonzero(seen)) / scale).astype(np.float64), x)
    return rank[offset], values, None


def _signed_zero(values: Floats, x: Floats) -> Floats:
    """``values`` with its zero (if any) as the first row of ``x`` holding it: 0.0 or -0.0."""
    zero = np.flatnonzero(values == 0.0)
    if zero.size:
        values[zero[0]] = x[int(np.argmax(x == 0.0))]
    return values


def _stable_order(x: Floats) -> Indices:
    """``np.argsort(x, kind="stable")`` of finite values, 3 to 6 times faster.

    A column of at most 65,536 distinct values (counts, flags, amounts in euros) is sorted by
    the rank of each row's value: the values are hashed (``pd.factorize``, ``-0.0`` joining
    ``0.0`` as they compare equal), the distinct values sorted, and the rows ordered by one
    stable sort of their ``uint16`` rank (which numpy does by radix). Other columns go through
    :func:`_radix_order`. A stable sort has only one result, so the order is exactly that of
    ``np.argsort(x, kind="stable")``.
    """
    if x.size == 0:
        return np.arange(0, dtype=np.intp)
    codes, uniques = pd.factorize(x + 0.0)  # + 0.0 turns -0.0 into 0.0
    n_values = len(uniques)
    if n_values > 1 << 16:
        return _radix_order(x)
    rank = np.empty(n_values, dtype=np.uint16)
    rank[np.argsort(np.asarray(uniques, dtype=np.float64))] = np.arange(n_values, dtype=np.uint16)
    return np.argsort(rank[codes], kind="stable").astype(np.intp, copy=False)


def _radix_order(x: Floats) -> Indices:
    """``np.argsort(x, kind="stable")`` of finite values, by radix sort.

    The values are mapped to unsigned 64-bit keys in the same order (``-0.0`` and ``0.0`` to the
    same key, as they compare equal) and sorted by 16-bit digits, least significant first, each
    pass a stable sort of ``uint16`` (which numpy does by radix); digits equal on every row are
    skipped, so integer-valued columns take one or two passes.
    """
    bits = (x + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
    negative = bits >= np.uint64(1 << 63)
    keys = np.where(negative, ~bits, bits | np.uint64(1 << 63))
    order: Indices | None = None
    for shift in (0, 16, 32, 48):
        digit = (keys >> np.uint64(shift)).astype(np.uint16)
        if order is not None:
            digit = digit[order]
        if digit.size == 0 or (digit == digit[0]).all():
            continue
        step = np.argsort(digit, kind="stable")
        order = step if order is None else order[step]
    if order is None:
        return np.arange(x.size, dtype=np.intp)
    return order.astype(np.intp, copy=False)


def _numeric_binning(
    name: str,
    edges: list[float],
    integer_valued: bool,
    counts: list[float],
    events: list[float],
    missing: tuple[float, float],
) -> FeatureBinning:
    count = [*counts, missing[0]]
    event = [*events, missing[1]]
    return FeatureBinning(
        name=name,
        kind="numeric",
        edges=tuple(edges),
        integer_valued=integer_valued,
        woe=woe_values(count, event),
        count=tuple(count),
        events=tuple(event),
    )


def _prebin_cuts(weights: Floats, max_prebins: int) -> Indices:
    """Positions ``c`` of distinct values after which to cut (between value c and c + 1)."""
    n_values = len(weights)
    if n_values <= max_prebins:
        return np.arange(n_values - 1, dtype=np.intp)
    cumulative = np.cumsum(weights)
    targets = cumulative[-1] * np.arange(1, max_prebins) / max_prebins
    cuts = np.searchsorted(cumulative, targets, side="left")
    return np.unique(cuts[cuts < n_values - 1]).astype(np.intp)


def _midpoint(low: float, high: float) -> float:
    """A cut point in ``(low, high]``, so that ``low`` stays left and ``high`` goes right."""
    mid = low / 2 + high / 2
    return mid if low < mid <= high else high


def _merge_small(
    edges: list[float], counts: list[float], events: list[float], min_share: float
) -> tuple[list[float], list[float], list[float]]:
    """Merge bins of share below ``min_share`` into their smaller neighbour, smallest first."""
    edges, counts, events = list(edges), list(counts), list(events)
    total = math.fsum(counts)
    while len(counts) > 1:
        small = [i for i, c in enumerate(counts) if c / total < min_share]
        if not small:
            break
        i = min(small, key=lambda k: (counts[k], k))
        if i == 0:
            left = 0
        elif i == len(counts) - 1:
            left = i - 1
        else:  # the smaller neighbour; the left one on ties
            left = i - 1 if counts[i - 1] <= counts[i + 1] else i
        _merge(edges, counts, events, left)
    return edges, counts, events


def _merge(edges: list[float], counts: list[float], events: list[float], left: int) -> None:
    """Merge bin ``left`` with bin ``left + 1`` in place."""
    counts[left : left + 2] = [counts[left] + counts[left + 1]]
    events[left : left + 2] = [events[left] + events[left + 1]]
    del edges[left]


def _pool(
    edges: list[float], counts: list[float], events: list[float], ascending: bool
) -> tuple[list[float], list[float], list[float]]:
    """Pool adjacent violators until the event rate is strictly monotone in that direction."""
    blocks: list[tuple[float, float, int]] = []  # (count, events, index of its last bin)
    for i, (c, e) in enumerate(zip(counts, events, strict=True)):
        blocks.append((c, e, i))
        while len(blocks) > 1:
            (c1, e1, _), (c2, e2, last) = blocks[-2], blocks[-1]
            # Compare rates e1/c1 and e2/c2 without dividing (every count is positive).
            if (e1 * c2 < e2 * c1) if ascending else (e1 * c2 > e2 * c1):
                break
            blocks[-2:] = [(c1 + c2, e1 + e2, last)]
    kept = [edges[last] for _, _, last in blocks[:-1]]
    return kept, [b[0] for b in blocks], [b[1] for b in blocks]


Group = tuple[tuple[str, ...], float, float]  # (levels, weighted count, weighted events)


def fit_categorical(
    name: str,
    values: pd.Series[Any],
    w: Floats,
    wy: Floats,
    *,
    rare_level_share: float,
    min_bin_share: float,
) -> tuple[FeatureBinning, Indices]:
    """The bins of a categorical feature (levels compared as text) with weights ``w`` and
    event weights ``wy`` (``w * y``), and each row's bin (as
    :meth:`~dmde.model.bins.FeatureBinning.assign` gives it).
    """
    codes, uniques = pd.factorize(values)
    present = codes >= 0
    if present.all():  # the same sums, without copying every row
        weights = np.bincount(codes, weights=w, minlength=len(uniques))
        events = np.bincount(codes, weights=wy, minlength=len(uniques))
    else:
        weights = np.bincount(codes[present], weights=w[present], minlength=len(uniques))
        events = np.bincount(codes[present], weights=wy[present], minlength=len(uniques))
    levels: dict[str, tuple[float, float]] = {}
    for level, c, e in zip(map(str, uniques), weights.tolist(), events.tolist(), strict=True):
        c0, e0 = levels.get(level, (0.0, 0.0))  # levels equal as text are one level
        levels[level] = (c0 + c, e0 + e)
    groups, rare_group = _group_levels(levels, rare_level_share, min_bin_share)
    if rare_group:
        default = [g[0] for g in groups].index(rare_group)
    elif groups:  # the bin of largest weight, the first one on ties
        default = min(range(len(groups)), key=lambda k: (-groups[k][1], k))
    else:  # no value at all: the only bin is the missing bin
        default = 0
    count = [*(g[1] for g in groups), float(w[~present].sum())]
    event = [*(g[2] for g in groups), float(wy[~present].sum())]
    binning = FeatureBinning(
        name=name,
        kind="categorical",
        groups=tuple(g[0] for g in groups),
        default_bin=default,
        woe=woe_values(count, event),
        count=tuple(count),
        events=tuple(event),
    )
    bin_of = {level: i for i, group in enumerate(binning.groups) for level in group}
    lookup = [bin_of.get(str(u), default) for u in uniques]
    # Code -1 (missing) reads the last entry: the missing bin.
    return binning, np.asarray([*lookup, binning.missing_bin], dtype=np.intp)[codes]


def _group_levels(
    levels: dict[str, tuple[float, float]], rare_share: float, min_share: float
) -> tuple[list[Group], tuple[str, ...]]:
    """Bins of levels ordered by event rate then name, and the bin holding the rare levels."""
    total = math.fsum(c for c, _ in levels.values())
    rare = sorted(k for k, (c, _) in levels.items() if c / total < rare_share)
    groups: list[Group] = [((k,), *levels[k]) for k in sorted(levels) if k not in rare]
    rare_group: tuple[str, ...] = ()
    if rare:
        count = math.fsum(levels[k][0] for k in rare)
        events = math.fsum(levels[k][1] for k in rare)
        if count / total < min_share and groups:  # join the bin of closest event rate
            groups.sort(key=_rate_then_name)
            gaps = [abs(e / c - events / count) for _, c, e in groups]
            i = gaps.index(min(gaps))  # the first of the closest
            joined, c, e = groups[i]
            rare_group = tuple(sorted((*joined, *rare)))
            groups[i] = (rare_group, c + count, e + events)
        else:
            rare_group = tuple(rare)
            groups.append((rare_group, count, events))
    groups.sort(key=_rate_then_name)
    return groups, rare_group


def _rate_then_name(group: Group) -> tuple[float, tuple[str, ...]]:
    levels, count, events = group
    return events / count, levels
