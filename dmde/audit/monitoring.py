"""Monitoring a scorecard month after month: stability, performance and fairness drift.

:func:`monitor` compares each month of files scored in production with a **baseline** (the
population the model was trained on) and says, in plain words, what moved:

Stability
    The population stability index (PSI) of the score, on bins fixed on the baseline (its
    deciles), and the characteristic stability index (CSI) of every feature the model reads,
    on the model's own bins (per segment for a family of scorecards: what the score sees; each
    period's scorecard's for a model by period) and
    on the baseline's deciles of its values (ties merged, so that a mass at zero is a bin;
    levels for text: what the model's coarser bins may hide, such as a benefit newly paid in
    small amounts below the model's first cut):
    ``PSI = sum over bins of (month share - baseline share) * ln(month share / baseline
    share)`` (:func:`stability_index`). The usual reading (Siddiqi, *Credit Risk Scorecards*,
    2006; optbinning's ``ScorecardMonitoring``): below :data:`PSI_MODERATE` (0.10) stable,
    from 0.10 to :data:`PSI_MAJOR` (0.25) a moderate shift, from 0.25 a major shift.
Beyond chance
    A PSI computed on samples is never exactly 0. Under no change, ``PSI / (1/n + 1/m)``
    follows approximately a chi-square distribution with ``bins - 1`` degrees of freedom
    (Yurdakul, *Statistical properties of the population stability index*, 2018), ``n`` and
    ``m`` the files of the baseline and of the month (:func:`chance_bound`). A feature or the
    score is **flagged** in a month when its index reaches 0.10 *and* exceeds its chance bound
    at the Bonferroni level ``alpha / (months x characteristics)``: the chance of one false
    flag or more over the whole run, had nothing changed, is at most ``alpha`` (default 5%)
    for the features, and again for the score. The months of a panel hold the same households
    (they are not independent samples), which makes the bound conservative; at national size
    the bound is tiny and the 0.10 threshold is what decides.
Performance
    From the month's random controls (``controlled = 1``, ``target``, weighted by
    ``control_weight``): the weighted AUC of the score with its Hanley-McNeil 95% interval
    (:func:`~dmde.core.stats.auc_interval`, Kish effective sizes), and the calibration in the
    large: the observed rate of the target (Wilson 95% interval, Kish effective size) against
    the mean predicted probability.
Selection and fairness drift
    The files selected each month (the ``budget`` highest scores, ties in the order of
    :func:`~dmde.batch.ranking.rank_order`) and the score at the cut; the share of each group
    of the audit's attributes (:func:`~dmde.audit.targeting.group_columns`) among them, with
    its Wilson 95% interval. A group's share is compared with its share among the baseline's
    selection (the same share of files) by a two-sided two-proportion z test (pooled); a group
    is flagged when its p-value is below ``alpha / (months x groups tested)`` (Bonferroni): at
    most ``alpha`` chance of any false flag over the run. A group is tested when both sides
    expect at least 5 selected files in it and out of it.

Each flag becomes one :class:`MonitoringFlag` with its sentence ("feature mean_cf_12m is
unstable from 2026-06 ...").

:func:`panel_month_frames` reads a panel folder (``snapshot_month=YYYY-MM/part-0.parquet``)
month by month, only the columns the monitor needs, so that a month at a time is in memory.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special

from dmde.audit.monitoring_words import flag_sentence
from dmde.audit.targeting import ATTRIBUTE_SOURCES, GROUP_ATTRIBUTES, group_columns
from dmde.batch.ranking import rank_order
from dmde.core.errors import DmdeError
from dmde.core.rendering import Lang
from dmde.core.stats import auc_interval, hanley_mcneil_se, kish_size, normal_p, wilson
from dmde.data.opening import file_columns
from dmde.data.reading import read_batches
from dmde.data.synthetic_panel import panel_files
from dmde.model.periods import PeriodScorecards
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import evaluate, training_data

__all__ = [
    "FAMILY_ALPHA",
    "MIN_SHARE_MOVE",
    "PSI_FLOOR",
    "PSI_MAJOR",
    "PSI_MODERATE",
    "MonitoringFlag",
    "MonitoringResult",
    "chance_bound",
    "monitor",
    "monitored_columns",
    "panel_month_frames",
    "read_month",
    "stability_index",
    "stability_level",
]

Model: TypeAlias = Scorecard | ScorecardFamily | PeriodScorecards
FloatArray = npt.NDArray[np.float64]

#: PSI (or CSI) from which a distribution has moved moderately (Siddiqi 2006).
PSI_MODERATE = 0.10
#: PSI (or CSI) from which a distribution has moved a lot (Siddiqi 2006).
PSI_MAJOR = 0.25
#: Smallest share a bin counts with in the index (an empty bin would make it infinite).
PSI_FLOOR = 1e-4
#: Default family-wise false-alarm rate of each kind of flag over a whole run.
FAMILY_ALPHA = 0.05
#: Default materiality floor of a group's move among the selected: 2 share points. A move
#: beyond chance but smaller is reported as such, not flagged (at a million files a month, a
#: move of a few tenths of a point is beyond chance and of no consequence).
MIN_SHARE_MOVE = 0.02
#: Expected selected files a group needs, in it and out of it, on both sides of a test.
_MIN_EXPECTED = 5.0
#: Folds of the cross-validation that gives the baseline's AUC out of fold.
_CV_FOLDS = 5
_MONTH_LABEL = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_LABEL_COLUMNS = ("dossier_id", "controlled", "target", "control_weight")


# ---------------------------------------------------------------------------------------------
# The formulas
def stability_index(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Population stability index of two distributions over the same bins.

    ``sum((a - e) * ln(a / e))`` over the bins, the shares ``e`` (baseline) and ``a`` (month)
    being first normalised to sum to 1 and floored at :data:`PSI_FLOOR` (an empty bin on one
    side would make the index infinite).

    Parameters
    ----------
    expected, actual : array-like of float
        Counts or shares per bin (the same bins, the same order).

    Examples
    --------
    >>> round(stability_index([0.5, 0.5], [0.6, 0.4]), 6)  # 0.1 ln 1.2 + 0.1 ln 1.25
    0.040547
    >>> stability_index([10, 30], [1, 3])
    0.0
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape or e.ndim != 1 or e.sum() <= 0 or a.sum() <= 0:
        raise DmdeError(
            f"a stability index needs two non-empty distributions over the same bins; got "
            f"shapes {e.shape} and {a.shape}."
        )
    e = np.maximum(e / e.sum(), PSI_FLOOR)
    a = np.maximum(a / a.sum(), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def chance_bound(n_bins: int, n_expected: float, n_actual: float, alpha: float) -> float:
    """The index that chance alone exceeds with probability ``alpha``, had nothing changed.

    ``chi2_{1 - alpha}(n_bins - 1) * (1 / n_expected + 1 / n_actual)`` (Yurdakul 2018); 0 with
    fewer than two bins.

    Examples
    --------
    >>> round(chance_bound(10, 100_000, 100_000, 0.05), 6)  # chi2_0.95(9) = 16.919
    0.000338
    """
    if n_bins < 2 or n_expected <= 0 or n_actual <= 0:
        return 0.0 if n_bins < 2 else math.inf
    quantile = float(special.chdtri(n_bins - 1, alpha))
    return quantile * (1.0 / n_expected + 1.0 / n_actual)


def stability_level(index: float) -> str:
    """``"stable"``, ``"moderate"`` or ``"major"`` by the conventional thresholds.

    Examples
    --------
    >>> [stability_level(x) for x in (0.05, 0.10, 0.3)]
    ['stable', 'moderate', 'major']
    """
    if index >= PSI_MAJOR:
        return "major"
    return "moderate" if index >= PSI_MODERATE else "stable"


# ---------------------------------------------------------------------------------------------
# The result
@dataclass(frozen=True)
class MonitoringFlag:
    """One verdict of the monitor: one cause, named once.

    Attributes
    ----------
    kind : {"feature", "score", "group", "auc", "calibration"}
        What moved.
    subject : str
        The feature, ``"score"``, ``"auc"``, ``"calibration"``, or ``"attribute=group"`` (for
        a group, the one whose move is surest; the other groups of the same attribute that
        moved with it are in ``also``: one move of shares that sum to 1, one finding).
    first_month : str
        The first month flagged.
    months : tuple of str
        Every month flagged.
    sentence : str
        The flag in plain words (English), with the figures that justify it.
    also : tuple of str
        Other subjects of the same finding (a group's other side of the same move).
    facts : dict
        The figures of the sentence, to write it in another language
        (:func:`~dmde.audit.monitoring_words.flag_sentence`).
    """

    kind: str
    subject: str
    first_month: str
    months: tuple[str, ...]
    sentence: str
    also: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def in_words(self, lang: Lang = "en") -> str:
        """The sentence in ``lang`` ("en" or "fr")."""
        return flag_sentence(self.kind, self.facts, lang) if self.facts else self.sentence


@dataclass(frozen=True)
class MonitoringResult:
    """What :func:`monitor` found, as tables (one row per month and item) and flags.

    Attributes
    ----------
    months : tuple of str
        The months monitored, in the order given.
    stability : DataFrame
        month, segment (None for a single scorecard, and for the deciles), feature, bins
        (``"model bins"`` or ``"deciles"``), csi, chance_bound, level, flagged.
    score : DataFrame
        month, files, mean_score, psi, chance_bound, level, flagged, selected, cut (the lowest
        selected score), controls, auc, auc_low, auc_high, observed_rate, observed_low,
        observed_high, predicted_rate.
    composition : DataFrame
        month, attribute, group, selected (files of the group among the selected), share,
        share_low, share_high, baseline_share, difference, p_value, tested, flagged.
    flags : tuple of MonitoringFlag
        Features, then the score, the AUC, the calibration, then groups (one per attribute).
    alpha : float
        Family-wise false-alarm rate of each kind of flag.
    baseline : dict
        files, selected, the score's bin edges, and the reference performance: ``auc`` (out
        of fold), ``auc_low``, ``auc_high``, ``auc_se``, ``auc_note`` (why it is missing),
        ``observed_rate``, ``predicted_rate``, ``observed_se`` on its random controls.
    min_move : float
        Materiality floor of a group's move (share of the selected, 0.02 is 2 points).
    """

    months: tuple[str, ...]
    stability: pd.DataFrame
    score: pd.DataFrame
    composition: pd.DataFrame
    flags: tuple[MonitoringFlag, ...]
    alpha: float
    baseline: dict[str, Any] = field(default_factory=dict)
    min_move: float = MIN_SHARE_MOVE

    @property
    def findings(self) -> list[str]:
        """The flags in plain words (empty when nothing moved beyond chance)."""
        return [f.sentence for f in self.flags]


# ---------------------------------------------------------------------------------------------
# Per month
@dataclass(frozen=True)
class _Characteristic:
    """A feature's bins the monitor counts: the model's (per segment) or the baseline's
    deciles of the raw values (the whole population)."""

    segment: str | None
    feature: str
    grid: str  # "model bins" or "deciles"
    n_bins: int
    assign: Callable[[Any], npt.NDArray[np.intp]]


def _characteristics(model: Model, baseline: pd.DataFrame) -> list[_Characteristic]:
    """Each feature on the model's bins, then on the baseline's deciles. A family: each
    segment's bins, over the files of the segment. A model by period: each period's bins,
    over every file (see :func:`_period_rows`)."""
    cards: list[tuple[str | None, Scorecard]]
    if isinstance(model, PeriodScorecards):
        cards = [(p, model.models_[p]) for p in model.periods_]
    elif isinstance(model, ScorecardFamily):
        cards = sorted(model.models_.items())
    else:
        cards = [(None, model)]
    out = [
        _Characteristic(name, b.name, "model bins", b.n_bins, b.assign)
        for name, card in cards
        for b in card.binning_.bins_
    ]
    out += [_value_grid(name, baseline[name]) for name in model.features_]
    return out


def _value_grid(name: str, column: pd.Series[Any]) -> _Characteristic:
    """The baseline's deciles of a numeric feature (bins ``(q_i-1, q_i]``, ties merged, so
    that a mass at a value is a bin of its own) or its levels, plus a missing bin."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(
        column.dtype, pd.CategoricalDtype
    ):
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        seen = x[~np.isnan(x)]
        edges = np.unique(np.quantile(seen, np.linspace(0.1, 0.9, 9))) if seen.size else np.empty(0)

        def numeric(values: Any) -> npt.NDArray[np.intp]:
            v = np.asarray(values, dtype=np.float64)
            bins = np.searchsorted(edges, v, side="left")
            bins[np.isnan(v)] = len(edges) + 1
            return bins.astype(np.intp, copy=False)

        return _Characteristic(None, name, "deciles", len(edges) + 2, numeric)
    levels = sorted({str(v) for v in column.dropna().unique()})
    index = {level: i for i, level in enumerate(levels)}

    def categorical(values: Any) -> npt.NDArray[np.intp]:
        codes, uniques = pd.factorize(values)
        lookup = np.asarray(
            [index.get(str(u), len(levels)) for u in uniques] + [len(levels) + 1], dtype=np.intp
        )
        return np.asarray(lookup[codes], dtype=np.intp)

    return _Characteristic(None, name, "deciles", len(levels) + 2, categorical)


def monitored_columns(model: Model) -> list[str]:
    """The columns :func:`monitor` reads from each month: the model's, the labels, the groups'."""
    sources = list(dict.fromkeys(ATTRIBUTE_SOURCES.values()))
    return list(dict.fromkeys([*_model_columns(model), *_LABEL_COLUMNS, *sources]))


def _model_columns(model: Model) -> list[str]:
    """The columns the model scores from: its routing column (a family), or its month column
    (a model by period not fixed to one month), and its features."""
    if isinstance(model, ScorecardFamily):
        own = [model.segment_column]
    elif isinstance(model, PeriodScorecards) and model.month is None:
        own = [model.month_column]
    else:
        own = []
    return [*own, *model.features_]


def _period_rows(model: Model) -> dict[str | None, Any]:
    """A model by period: each period's bins count every file (both scorecards see every
    file of a window that spans the reform; a period's bins also show, before it scores or
    after it retires, how the files moved on the cuts it makes)."""
    if not isinstance(model, PeriodScorecards):
        return {}
    return dict.fromkeys(model.periods_, slice(None))


@dataclass
class _Month:
    files: int
    counts: list[FloatArray]  # per characteristic
    segment_files: list[int]
    mean_score: float
    score_counts: FloatArray
    selected: int
    cut: float
    group_counts: dict[str, FloatArray]  # attribute -> count per level among the selected
    performance: dict[str, float]
    rejected: int = 0  # rows of the month's file left out by the reader (see read_month)
    rejected_first: str = ""  # the first of them, and why


def _score(model: Model, frame: pd.DataFrame) -> tuple[FloatArray, FloatArray, Any]:
    # The columns are there: _check_frame has seen every frame scored here.
    names = _model_columns(model)
    scored = model.score_columns(_columns(frame, names), len(frame))
    return scored.points, scored.probability, scored.segment


def _columns(frame: pd.DataFrame, names: Iterable[str]) -> dict[str, Any]:
    """Each column once as numbers (float64, NaN for missing) or as a categorical."""
    out: dict[str, Any] = {}
    for name in names:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.array
        elif pd.api.types.is_numeric_dtype(column.dtype):
            out[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            out[name] = pd.Categorical(column)
    return out


def _selection_size(n: int, budget: int | None, share: float | None) -> int:
    return min(n, budget) if budget is not None else math.floor((share or 0.0) * n)


def _summarise(
    model: Model,
    frame: pd.DataFrame,
    characteristics: Sequence[_Characteristic],
    edges: FloatArray,
    *,
    budget: int | None,
    share: float | None,
    seed: int,
) -> _Month:
    n = len(frame)
    if n == 0:
        raise DmdeError("a month has no rows: give every month its files.")
    points, probability, segment = _score(model, frame)
    values_of = _columns(frame, dict.fromkeys(c.feature for c in characteristics))
    counts: list[FloatArray] = []
    segment_files: list[int] = []
    rows_of: dict[str | None, Any] = _period_rows(model)
    for c in characteristics:
        if c.segment not in rows_of:
            rows_of[c.segment] = (
                slice(None) if c.segment is None else np.flatnonzero(segment == c.segment)
            )
        rows = rows_of[c.segment]
        values = values_of[c.feature]
        bins = c.assign(values if c.segment is None else values[rows])
        counts.append(np.bincount(bins, minlength=c.n_bins).astype(np.float64))
        segment_files.append(len(bins))
    score_bins = np.searchsorted(edges, points, side="right")
    score_counts = np.bincount(score_bins, minlength=len(edges) + 1).astype(np.float64)
    k = _selection_size(n, budget, share)
    group_counts: dict[str, FloatArray] = {}
    cut = math.nan
    if k > 0:
        if "dossier_id" in frame.columns:
            order = rank_order(
                pd.DataFrame({"dossier_id": frame["dossier_id"].to_numpy(), "score": points}),
                seed=seed,
            )
            top = order[:k]
        else:
            top = np.argsort(-points, kind="stable")[:k]
        cut = float(points[top].min())
        sources = [c for c in dict.fromkeys(ATTRIBUTE_SOURCES.values()) if c in frame.columns]
        if sources:
            groups = group_columns(frame.iloc[top][sources])
            for attribute in groups.columns:
                codes = groups[attribute].cat.codes.to_numpy()
                levels = len(groups[attribute].cat.categories)
                group_counts[attribute] = np.bincount(codes[codes >= 0], minlength=levels).astype(
                    np.float64
                )
    return _Month(
        files=n,
        counts=counts,
        segment_files=segment_files,
        mean_score=float(points.mean()),
        score_counts=score_counts,
        selected=k,
        cut=cut,
        group_counts=group_counts,
        performance=_performance(frame, points, probability),
    )


def _performance(
    frame: pd.DataFrame, points: FloatArray, probability: FloatArray
) -> dict[str, float]:
    """AUC and calibration in the large on the month's random controls (weighted)."""
    out = dict.fromkeys(
        (
            "auc",
            "auc_low",
            "auc_high",
            "observed_rate",
            "observed_low",
            "observed_high",
            "predicted_rate",
        ),
        math.nan,
    )
    out |= {"controls": 0, "controls_effective": math.nan, "auc_se": math.nan}
    if "controlled" not in frame.columns or "target" not in frame.columns:
        return out
    controlled = frame["controlled"].to_numpy(dtype=np.float64, na_value=0.0) == 1
    target = frame["target"].to_numpy(dtype=np.float64, na_value=np.nan)
    rows = controlled & ~np.isnan(target)
    out["controls"] = int(rows.sum())
    if not rows.any():
        return out
    if "control_weight" in frame.columns:
        w = frame["control_weight"].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
        w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    else:
        w = np.ones(int(rows.sum()))
    y, s, p = target[rows], points[rows], probability[rows]
    total = float(w.sum())
    if total <= 0:
        return out
    effective = float(kish_size(total, float((w * w).sum())))
    observed = float((w * y).sum() / total)
    low, high = wilson(observed * effective, effective)
    out |= {
        "controls_effective": effective,
        "observed_rate": observed,
        "observed_low": low,
        "observed_high": high,
        "predicted_rate": float((w * p).sum() / total),
    }
    positive = y == 1
    if positive.any() and (~positive).any():
        from sklearn.metrics import roc_auc_score

        auc = float(roc_auc_score(positive.astype(int), s, sample_weight=w))
        n_pos = float(kish_size(w[positive].sum(), (w[positive] ** 2).sum()))
        n_neg = float(kish_size(w[~positive].sum(), (w[~positive] ** 2).sum()))
        auc_low, auc_high = auc_interval(auc, n_pos, n_neg)
        se = float(hanley_mcneil_se(auc, n_pos, n_neg))
        out |= {"auc": auc, "auc_low": auc_low, "auc_high": auc_high, "auc_se": se}
    return out


def _reference(
    model: Model, frame: pd.DataFrame, points: FloatArray, probability: FloatArray, seed: int
) -> dict[str, Any]:
    """The baseline's performance on its random controls: calibration as scored, and the AUC
    out of fold (a clone of the model refitted on :data:`_CV_FOLDS` folds of the controls, as
    ``dmde train`` reports it). The baseline is the population the model learnt from: its AUC
    as scored would be optimistic (by 0.05 to 0.2 on a survey of a few thousand files), and
    every later month would seem to fall below it."""
    perf = _performance(frame, points, probability)
    effective = perf["controls_effective"]
    observed = perf["observed_rate"]
    out: dict[str, Any] = {
        "controls": perf["controls"],
        "observed_rate": observed,
        "predicted_rate": perf["predicted_rate"],
        "observed_se": math.sqrt(observed * (1 - observed) / effective)
        if effective > 0 and math.isfinite(observed)
        else math.nan,
        "auc": math.nan,
        "auc_low": math.nan,
        "auc_high": math.nan,
        "auc_se": math.nan,
        "auc_note": "",
    }
    if "target" not in frame.columns or "controlled" not in frame.columns:
        out["auc_note"] = "no random controls with a known target"
        return out
    try:
        data = training_data(frame)
    except DmdeError:
        out["auc_note"] = "no random controls with a known target"
        return out
    events = int(data.y.sum())
    if min(events, len(data.y) - events) < 2 * _CV_FOLDS:
        out["auc_note"] = (
            f"{events:,} controls with an overpayment and {len(data.y) - events:,} without; "
            f"{2 * _CV_FOLDS} of each are needed"
        )
        return out
    try:
        with warnings.catch_warnings():
            # a fold's fit may warn (a level unseen in a fold); the reference is still its AUC
            warnings.simplefilter("ignore")
            auc = (
                _periods_auc_cv(model, data.X, data.y, data.weight, seed)
                if isinstance(model, PeriodScorecards)
                else evaluate(model, data, cv=_CV_FOLDS, seed=seed).auc_cv
            )
    except (DmdeError, ValueError) as exc:
        out["auc_note"] = f"the refit on the folds failed: {exc}"
        return out
    w, y = data.weight, data.y == 1
    n_pos = float(kish_size(w[y].sum(), (w[y] ** 2).sum()))
    n_neg = float(kish_size(w[~y].sum(), (w[~y] ** 2).sum()))
    low, high = auc_interval(auc, n_pos, n_neg)
    se = float(hanley_mcneil_se(auc, n_pos, n_neg))
    return out | {"auc": auc, "auc_low": low, "auc_high": high, "auc_se": se}


def _periods_auc_cv(
    model: PeriodScorecards, X: pd.DataFrame, y: Any, weight: Any, seed: int
) -> float:
    """The out-of-fold AUC of a model by period, as :func:`~dmde.model.training.evaluate`
    measures a scorecard's: both period scorecards refitted on each fold (stratified by the
    target, shuffled with ``seed``), the held-out rows scored as of their months."""
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    y, weight = np.asarray(y), np.asarray(weight, dtype=np.float64)
    out_of_fold = np.empty(len(y))
    splitter = StratifiedKFold(n_splits=_CV_FOLDS, shuffle=True, random_state=seed)
    for fit_rows, test_rows in splitter.split(X, y):
        fold = clone(model).fit(X.iloc[fit_rows], y[fit_rows], sample_weight=weight[fit_rows])
        out_of_fold[test_rows] = fold.points(X.iloc[test_rows])
    return float(roc_auc_score(y, out_of_fold, sample_weight=weight))


def _score_edges(points: FloatArray, n_bins: int) -> FloatArray:
    """Cut points of the baseline's score quantiles (fewer bins where scores tie)."""
    inner = np.quantile(points, np.linspace(0, 1, n_bins + 1)[1:-1])
    edges = np.unique(inner)
    # a bin [edge_i, edge_{i+1}) must hold something: drop an edge equal to the lowest score
    return np.asarray(edges[edges > points.min()], dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# The run
def monitor(
    model: Model,
    baseline: pd.DataFrame | Sequence[tuple[str, pd.DataFrame]],
    months: Iterable[tuple[str, pd.DataFrame]],
    *,
    budget: int | None = None,
    share: float | None = None,
    alpha: float = FAMILY_ALPHA,
    score_bins: int = 10,
    seed: int = 0,
    min_move: float = MIN_SHARE_MOVE,
) -> MonitoringResult:
    """Watch a scorecard month after month against its baseline.

    Parameters
    ----------
    model : Scorecard, ScorecardFamily or PeriodScorecards
        A fitted model (e.g. from :func:`~dmde.model.model_file.load_model`). A model by
        period scores each file as of its month (or of its ``month``); each feature is
        counted on the bins of both period scorecards, over every file, and the result's
        ``baseline`` says so (``model``, ``model_windows``: each month's weights).
    baseline : DataFrame, or sequence of (str, DataFrame)
        The population the model was trained on (every file, not only the controlled ones),
        or the months it was trained on: their score deciles fix the score's bins, their
        pooled bin shares are the features' reference, their pooled selections (each month's
        ``share``, or ``budget``) the groups' reference.
    months : iterable of (str, DataFrame)
        Each month's label and files, in time order; read one at a time (a generator such as
        :func:`panel_month_frames` keeps one month in memory).
    budget : int, optional
        Files selected each month. Give ``budget`` or ``share``.
    share : float, optional
        Share of each month's files selected, in (0, 1).
    alpha : float, default FAMILY_ALPHA (0.05)
        Family-wise false-alarm rate of each kind of flag (features, score, groups) over the
        whole run, Bonferroni-controlled (see the module's docstring).
    score_bins : int, default 10
        Quantile bins of the baseline's score for the PSI.
    seed : int, default 0
        Key of the tie order among equal scores at the cut (as ``dmde select``), and of the
        folds of the baseline's AUC out of fold.
    min_move : float, default MIN_SHARE_MOVE (0.02)
        Materiality floor of a group's move among the selected, in share (0.02: 2 points): a
        move beyond chance but smaller is listed as such, not flagged.

    Returns
    -------
    MonitoringResult

    Raises
    ------
    DmdeError
        If a parameter is out of range, a month repeats or lacks the model's columns, or
        there is no month.

    Examples
    --------
    >>> from dmde.data.synthetic_panel import generate_panel
    >>> import pyarrow as pa
    >>> frames = {}
    >>> for month, table in generate_panel(3_000, months=4, seed=1, start="2025-06"):
    ...     frames.setdefault(month, []).append(table)
    >>> frames = {m: pa.concat_tables(t).to_pandas() for m, t in frames.items()}
    >>> base = frames.pop("2025-06")
    >>> card = Scorecard(features=["n_children", "income_to_smic", "mean_rsa_12m"])
    >>> trained = base[base["controlled"] == 1]
    >>> card = card.fit(trained, trained["target"].astype(int))
    >>> result = monitor(card, base, frames.items(), share=0.05)
    >>> result.findings
    []
    >>> result.score["month"].tolist()
    ['2025-07', '2025-08', '2025-09']
    """
    _check_options(budget, share, alpha, score_bins)
    if not (isinstance(min_move, float | int) and 0 <= min_move < 1):
        raise DmdeError(
            f"min_move must be a share in [0, 1), such as 0.02 for 2 points; got {min_move!r}."
        )
    base_frames = _baseline_frames(baseline)
    for frame in base_frames:
        _check_frame(model, frame, "the baseline", budget)
    pooled = base_frames[0] if len(base_frames) == 1 else pd.concat(base_frames)
    characteristics = _characteristics(model, pooled)
    base_points, base_probability, _ = _score(model, pooled)
    edges = _score_edges(base_points, score_bins)
    reference_performance = _reference(model, pooled, base_points, base_probability, seed)
    del pooled
    options: dict[str, Any] = {"budget": budget, "share": share, "seed": seed}
    reference = _pool(
        [_summarise(model, f, characteristics, edges, **options) for f in base_frames]
    )
    summaries: list[tuple[str, _Month]] = []
    seen: set[str] = set()
    for label, frame in months:
        label = str(label)
        if label in seen:
            raise DmdeError(f"month {label!r} is given twice: give each month once.")
        seen.add(label)
        _check_frame(model, frame, f"month {label}", budget)
        summary = _summarise(model, frame, characteristics, edges, **options)
        summary.rejected = int(frame.attrs.get("rejected", 0))
        summary.rejected_first = str(frame.attrs.get("rejected_first", ""))
        summaries.append((label, summary))
    if not summaries:
        raise DmdeError("no month to monitor: give at least one (label, frame) pair.")
    labels = tuple(label for label, _ in summaries)
    stability = _stability(characteristics, reference, summaries, alpha)
    score = _score_table(reference, reference_performance, summaries, alpha)
    composition = _composition(reference, summaries, alpha, min_move)
    flags = (
        *_feature_flags(stability, labels),
        *_score_flags(score),
        *_auc_flags(score, reference_performance),
        *_calibration_flags(score, reference_performance),
        *_group_flags(composition, labels, min_move),
    )
    return MonitoringResult(
        months=labels,
        stability=stability,
        score=score,
        composition=composition,
        flags=tuple(flags),
        alpha=alpha,
        baseline={
            "months": len(base_frames),
            "files": reference.files,
            "selected": reference.selected,
            "score_edges": edges.tolist(),
            "mean_score": float(base_points.mean()),
            **reference_performance,
            **_model_facts(model, labels),
        },
        min_move=float(min_move),
    )


def _model_facts(model: Model, months: Sequence[str]) -> dict[str, str]:
    """What a model by period scored and on which bins (nothing for the other models)."""
    if not isinstance(model, PeriodScorecards):
        return {}
    as_of = (
        f"every file as of {model.month}"
        if model.month is not None
        else f"each file as of its {model.month_column}"
    )
    windows = [
        f"{m}: {model.weights(model.month or m).label}"
        for m in months
        if model.month is not None or _MONTH_LABEL.match(m)
    ]
    return {
        "model": (
            f"two scorecards by period ({' and '.join(model.periods_)} income pre-filling "
            f"from {model.reform_month}), {as_of}; each feature's stability on the bins of "
            "both (segments before and after), each counted over every file"
        ),
        "model_windows": "; ".join(windows),
    }


def _check_frame(model: Model, frame: pd.DataFrame, what: str, budget: int | None) -> None:
    """A baseline or a month holds the model's columns, and more files than the budget (a
    budget that selects every file leaves no selection to compare)."""
    missing = [c for c in _model_columns(model) if c not in frame.columns]
    if missing:
        raise DmdeError(
            f"{what} has no column {', '.join(map(repr, missing))}, which the model reads: "
            "give the baseline and every month the model's columns."
        )
    if budget is not None and budget >= len(frame):
        raise DmdeError(
            f"budget {budget:,} selects every file of {what} ({len(frame):,} files), so there is "
            "no selection to compare: give a smaller budget, or a share."
        )


def _baseline_frames(baseline: Any) -> list[pd.DataFrame]:
    if isinstance(baseline, pd.DataFrame):
        return [baseline]
    frames = [item[1] for item in baseline] if isinstance(baseline, Sequence) else []
    if not frames or not all(isinstance(f, pd.DataFrame) for f in frames):
        raise DmdeError(
            "baseline must be a DataFrame or a sequence of (month, DataFrame) pairs; got "
            f"{type(baseline).__name__}."
        )
    return frames


def _pool(parts: Sequence[_Month]) -> _Month:
    """The baseline months as one reference: counts added up."""
    if len(parts) == 1:
        return parts[0]
    attributes = [a for a in parts[0].group_counts if all(a in p.group_counts for p in parts)]
    return _Month(
        files=sum(p.files for p in parts),
        counts=[np.sum([p.counts[j] for p in parts], axis=0) for j in range(len(parts[0].counts))],
        segment_files=[sum(v) for v in zip(*(p.segment_files for p in parts), strict=True)],
        mean_score=float(
            np.average([p.mean_score for p in parts], weights=[p.files for p in parts])
        ),
        score_counts=np.sum([p.score_counts for p in parts], axis=0),
        selected=sum(p.selected for p in parts),
        cut=math.nan,
        group_counts={a: np.sum([p.group_counts[a] for p in parts], axis=0) for a in attributes},
        performance={},
    )


def _check_options(budget: int | None, share: float | None, alpha: float, score_bins: int) -> None:
    if (budget is None) == (share is None):
        raise DmdeError(
            "give the selection's size as budget (files a month) or share (of the files), "
            f"one of them; got budget={budget!r}, share={share!r}."
        )
    if budget is not None and (
        not isinstance(budget, int | np.integer) or isinstance(budget, bool) or budget < 1
    ):
        raise DmdeError(f"budget must be a whole number of files, 1 or more; got {budget!r}.")
    if share is not None and not (isinstance(share, float | int) and 0 < share < 1):
        raise DmdeError(f"share must be a number in (0, 1), such as 0.01; got {share!r}.")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise DmdeError(f"alpha must be a false-alarm rate in (0, 1), such as 0.05; got {alpha!r}.")
    if not isinstance(score_bins, int) or isinstance(score_bins, bool) or score_bins < 2:
        raise DmdeError(f"score_bins must be a whole number, 2 or more; got {score_bins!r}.")


def _stability(
    characteristics: Sequence[_Characteristic],
    reference: _Month,
    summaries: Sequence[tuple[str, _Month]],
    alpha: float,
) -> pd.DataFrame:
    level = alpha / (len(summaries) * max(1, len(characteristics)))
    rows = []
    for label, month in summaries:
        for j, c in enumerate(characteristics):
            base, now = reference.counts[j], month.counts[j]
            if base.sum() <= 0 or now.sum() <= 0:
                csi, bound = math.nan, math.nan
            else:
                csi = stability_index(base, now)
                used = int(((base > 0) | (now > 0)).sum())
                bound = chance_bound(used, base.sum(), now.sum(), level)
            rows.append(
                {
                    "month": label,
                    "segment": c.segment,
                    "feature": c.feature,
                    "bins": c.grid,
                    "csi": csi,
                    "chance_bound": bound,
                    "level": stability_level(csi) if math.isfinite(csi) else "not computed",
                    "flagged": bool(csi >= PSI_MODERATE and csi > bound),
                }
            )
    return pd.DataFrame(rows)


def _score_table(
    reference: _Month,
    performance: dict[str, Any],
    summaries: Sequence[tuple[str, _Month]],
    alpha: float,
) -> pd.DataFrame:
    level = alpha / len(summaries)
    rows = []
    for label, month in summaries:
        psi = stability_index(reference.score_counts, month.score_counts)
        used = int(((reference.score_counts > 0) | (month.score_counts > 0)).sum())
        bound = chance_bound(used, reference.files, month.files, level)
        rows.append(
            {
                "month": label,
                "files": month.files,
                "rejected": month.rejected,
                "rejected_first": month.rejected_first,
                "mean_score": month.mean_score,
                "psi": psi,
                "chance_bound": bound,
                "level": stability_level(psi),
                "flagged": bool(psi >= PSI_MODERATE and psi > bound),
                "selected": month.selected,
                "cut": month.cut,
                **month.performance,
            }
        )
    frame = pd.DataFrame(rows)
    # The AUC: below the baseline's out-of-fold AUC beyond chance (one-sided z).
    z_auc = (performance["auc"] - frame["auc"]) / np.sqrt(
        performance["auc_se"] ** 2 + frame["auc_se"] ** 2
    )
    p_auc = normal_p(z_auc.to_numpy(dtype=np.float64)) / 2
    frame["auc_p"] = np.where(z_auc > 0, p_auc, 1 - p_auc)
    frame["auc_p"] = frame["auc_p"].where(np.isfinite(z_auc), np.nan)
    frame["auc_flagged"] = (frame["auc_p"] < level).to_numpy(dtype=bool)
    # Calibration: the month's gap (observed - predicted) against the baseline's (two-sided).
    observed = frame["observed_rate"]
    gap = observed - frame["predicted_rate"]
    base_gap = performance["observed_rate"] - performance["predicted_rate"]
    variance = observed * (1 - observed) / frame["controls_effective"]
    z_cal = (gap - base_gap) / np.sqrt(variance + performance["observed_se"] ** 2)
    frame["calibration_gap"] = gap
    frame["calibration_p"] = normal_p(z_cal.to_numpy(dtype=np.float64))
    frame["calibration_flagged"] = (frame["calibration_p"] < level).to_numpy(dtype=bool)
    return frame


_COMPOSITION_COLUMNS = (
    "month",
    "attribute",
    "group",
    "selected",
    "share",
    "share_low",
    "share_high",
    "baseline_share",
    "difference",
    "z",
    "tested",
)


def _composition(
    reference: _Month, summaries: Sequence[tuple[str, _Month]], alpha: float, min_move: float
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for label, month in summaries:
        for attribute, counts in month.group_counts.items():
            base = reference.group_counts.get(attribute)
            levels = [code for code, _, _ in GROUP_ATTRIBUTES[attribute].levels]
            n1, n0 = float(counts.sum()), float(base.sum()) if base is not None else 0.0
            for i, group in enumerate(levels):
                x1 = float(counts[i])
                x0 = float(base[i]) if base is not None and n0 > 0 else math.nan
                p1 = x1 / n1 if n1 > 0 else math.nan
                p0 = x0 / n0 if n0 > 0 else math.nan
                low, high = wilson(x1, n1) if n1 > 0 else (math.nan, math.nan)
                pooled = (x1 + x0) / (n1 + n0) if n0 > 0 else math.nan
                expected = pooled * min(n1, n0) if n0 > 0 else 0.0
                tested = bool(
                    n0 > 0
                    and expected >= _MIN_EXPECTED
                    and (1 - pooled) * min(n1, n0) >= _MIN_EXPECTED
                )
                z = (
                    (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
                    if tested
                    else math.nan
                )
                rows.append(
                    {
                        "month": label,
                        "attribute": attribute,
                        "group": group,
                        "selected": int(x1),
                        "share": p1,
                        "share_low": low,
                        "share_high": high,
                        "baseline_share": p0,
                        "difference": p1 - p0,
                        "z": z,
                        "tested": tested,
                    }
                )
    frame = pd.DataFrame(rows, columns=list(_COMPOSITION_COLUMNS))
    frame["p_value"] = normal_p(frame["z"].to_numpy(dtype=np.float64))
    m = int(frame["tested"].sum())
    frame["significant"] = frame["tested"] & (frame["p_value"] < alpha / max(m, 1))
    # a hair's breadth of rounding must not put a move of exactly the floor below it
    frame["material"] = frame["difference"].abs().round(12) >= min_move
    frame["flagged"] = frame["significant"] & frame["material"]
    return frame.drop(columns="z")


# ---------------------------------------------------------------------------------------------
# Flags in words: one per cause
def _flag(
    kind: str, subject: str, months: tuple[str, ...], facts: dict[str, Any]
) -> MonitoringFlag:
    facts = {"months": months, **facts}
    also = tuple(o["subject"] for o in facts.get("others", ()))
    sentence = flag_sentence(kind, facts, "en")
    return MonitoringFlag(kind, subject, months[0], months, sentence, also, facts)


def _ordered(months: Iterable[str], labels: Sequence[str]) -> tuple[str, ...]:
    hit = set(months)
    return tuple(m for m in labels if m in hit)


def _feature_flags(stability: pd.DataFrame, labels: Sequence[str]) -> list[MonitoringFlag]:
    flags = []
    hit = stability[stability["flagged"]]
    for feature in dict.fromkeys(hit["feature"]):
        rows = hit[hit["feature"] == feature]
        months = _ordered(rows["month"], labels)
        worst = rows.iloc[int(np.argmax(rows["csi"].to_numpy()))]
        facts = {
            "labels": tuple(labels),
            "feature": str(feature),
            "csi": float(worst["csi"]),
            "grid": str(worst["bins"]),
            "segment": None if worst["segment"] is None else str(worst["segment"]),
            "month": str(worst["month"]),
            "level": str(worst["level"]),
        }
        flags.append(_flag("feature", str(feature), months, facts))
    return flags


def _score_flags(score: pd.DataFrame) -> list[MonitoringFlag]:
    hit = score[score["flagged"]]
    if hit.empty:
        return []
    labels = tuple(score["month"])
    worst = hit.iloc[int(np.argmax(hit["psi"].to_numpy()))]
    facts = {
        "labels": labels,
        "psi": float(worst["psi"]),
        "month": str(worst["month"]),
        "level": str(worst["level"]),
    }
    return [_flag("score", "score", tuple(hit["month"]), facts)]


def _auc_flags(score: pd.DataFrame, performance: dict[str, Any]) -> list[MonitoringFlag]:
    hit = score[score["auc_flagged"]]
    if hit.empty:
        return []
    first = hit.iloc[0]
    facts = {
        "labels": tuple(score["month"]),
        "month": str(first["month"]),
        "auc": float(first["auc"]),
        "auc_low": float(first["auc_low"]),
        "auc_high": float(first["auc_high"]),
        "reference": float(performance["auc"]),
        "reference_low": float(performance["auc_low"]),
        "reference_high": float(performance["auc_high"]),
        "p_value": float(first["auc_p"]),
    }
    return [_flag("auc", "auc", tuple(hit["month"]), facts)]


def _calibration_flags(score: pd.DataFrame, performance: dict[str, Any]) -> list[MonitoringFlag]:
    hit = score[score["calibration_flagged"]]
    if hit.empty:
        return []
    first = hit.iloc[0]
    facts = {
        "labels": tuple(score["month"]),
        "month": str(first["month"]),
        "observed_rate": float(first["observed_rate"]),
        "observed_low": float(first["observed_low"]),
        "observed_high": float(first["observed_high"]),
        "predicted_rate": float(first["predicted_rate"]),
        "gap": float(first["calibration_gap"]),
        "baseline_gap": float(performance["observed_rate"] - performance["predicted_rate"]),
        "p_value": float(first["calibration_p"]),
    }
    return [_flag("calibration", "calibration", tuple(hit["month"]), facts)]


def _group_facts(row: pd.Series[Any]) -> dict[str, Any]:
    return {
        "subject": f"{row['attribute']}={row['group']}",
        "way": "rose" if row["difference"] > 0 else "fell",
        "baseline_share": float(row["baseline_share"]),
        "share": float(row["share"]),
        "share_low": float(row["share_low"]),
        "share_high": float(row["share_high"]),
        "p_value": float(row["p_value"]),
    }


def _group_flags(
    composition: pd.DataFrame, labels: Sequence[str], min_move: float
) -> list[MonitoringFlag]:
    """One flag per attribute: its groups' shares sum to 1, so a group that rises makes
    another fall; the group whose move is surest (smallest p in the first month flagged)
    names the flag, the others that moved beyond chance that month are its other side."""
    flags = []
    hit = composition[composition["flagged"]]
    for attribute, rows in hit.groupby("attribute", sort=False):
        months = _ordered(rows["month"], labels)
        first = rows[rows["month"] == months[0]]
        first = first.iloc[np.lexsort((-first["difference"].abs(), first["p_value"]))]
        lead = _group_facts(first.iloc[0])
        others = [_group_facts(r) for _, r in first.iloc[1:].iterrows()]
        facts = {
            "labels": tuple(labels),
            "attribute": str(attribute),
            **lead,
            "others": others,
            "floor": float(min_move),
        }
        flags.append(_flag("group", lead["subject"], months, facts))
    return flags


# ---------------------------------------------------------------------------------------------
# Reading a panel
def panel_month_frames(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    since: str | None = None,
    after: bool = False,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The months of a panel folder, one ``(month, frame)`` at a time, in month order.

    Each file is read by :func:`read_month`: rows that break the catalog are left out and
    counted (as ``dmde score`` rejects them), and a ``snapshot_month`` that is not the month
    of the file's folder is refused.

    Parameters
    ----------
    path : str or path-like
        A folder of ``snapshot_month=YYYY-MM/part-0.parquet`` (or ``.csv``) files, as
        ``dmde synth --months`` writes.
    columns : sequence of str, optional
        Columns to read (those the file has; e.g. :func:`monitored_columns`); None reads all.
    since : str, optional
        A month ``YYYY-MM``: the months before it are not read.
    after : bool, default False
        With ``since``: start after that month (the baseline's last month, say).

    Raises
    ------
    DmdeError
        If the folder holds no panel, a file cannot be read, or a row's month is not its
        folder's.
    """
    for month, file in panel_files(path):
        if since is not None and (month < since or (after and month == since)):
            continue
        yield month, read_month(file, columns=columns, month=month)


def read_month(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    month: str | None = None,
) -> pd.DataFrame:
    """One month's file as a frame, read as ``dmde score`` reads it.

    dmde's one batch reader (:func:`~dmde.data.reading.read_batches`) under its ``"reject"``
    policy: a row that breaks the catalog (a blank CSV line is a row of missing values) is
    left out, not scored, and counted; the frame's ``attrs`` say how many (``"rejected"``)
    and the first (``"rejected_first"``), which the monitor reports month by month. A
    problem of the file itself (missing, unreadable, a column absent) is refused.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file.
    columns : sequence of str, optional
        Columns to read (those the file has); None reads every catalog column it has.
        ``snapshot_month`` is read too when the file has it.
    month : str, optional
        The month the file stands for (its folder's ``YYYY-MM``): every row's
        ``snapshot_month`` must be it.

    Raises
    ------
    DmdeError
        If the file cannot be read, or a row's ``snapshot_month`` is not ``month`` (naming the
        file, the row and both values).
    """
    header = file_columns(path)
    wanted = [c for c in (columns if columns is not None else header) if c in header]
    extra = ["dossier_id", "snapshot_month"]
    wanted = list(dict.fromkeys([*wanted, *(c for c in extra if c in header)]))
    tables: list[pa.Table] = []
    rejected = 0
    first = ""
    for checked in read_batches(path, wanted, on_problem="reject"):
        if checked.n_rejected and not first:
            line = checked.rejects.slice(0, 1).to_pylist()[0]
            column = line["column"] or "the row"
            first = f"row {line['row']}: {column} ({line['rule']})"
        rejected += checked.n_rejected
        if month is not None and "snapshot_month" in checked.valid.column_names:
            _check_month(path, checked, month)
        tables.append(checked.valid)
    table = pa.concat_tables(tables) if tables else pa.table({})
    frame = table.to_pandas(strings_to_categorical=True)
    frame.attrs["rejected"] = rejected
    frame.attrs["rejected_first"] = first
    return frame


def _check_month(path: str | os.PathLike[str], checked: Any, month: str) -> None:
    """Every row of a month's file carries that month (its folder's name)."""
    values = checked.valid.column("snapshot_month")
    text = values.cast(pa.string())
    wrong = pc.not_equal(text, pa.scalar(month, pa.string())).fill_null(False)
    positions = np.flatnonzero(np.asarray(wrong.to_numpy(zero_copy_only=False), dtype=bool))
    if positions.size == 0:
        return
    i = int(positions[0])
    valid_rows = checked.valid_rows
    row = checked.first_row + (i if valid_rows is None else int(valid_rows[i]))
    raise DmdeError(
        f"{os.fspath(path)!r} row {row:,}: snapshot_month is {text[i].as_py()!r} but the "
        f"file is the folder snapshot_month={month} ({positions.size:,} rows of this batch "
        "differ): put each month's rows in its own folder, or rename the folder."
    )
