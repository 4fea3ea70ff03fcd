"""Out-of-fold evaluation of a classifier: what a data scientist reaches for in a notebook.

:func:`evaluate` cross-validates a model (a :class:`~dmde.model.scorecard.Scorecard`, a
:class:`~dmde.model.scorecard.ScorecardFamily` or any scikit-learn classifier with
``predict_proba``) and keeps every row's out-of-fold probability (and points, for dmde's
models). From them, :class:`Evaluation` gives:

- the AUC, the Gini (``2 AUC - 1``) and the Kolmogorov-Smirnov statistic (KS), each with a 95%
  interval: the AUC's is Hanley and McNeil's (:func:`dmde.core.stats.auc_interval`, on the
  effective numbers of events and non-events of weighted rows), the Gini's follows from it, the
  KS's is a percentile bootstrap of the rows within each class;
- :attr:`Evaluation.calibration`, a :class:`CalibrationTable` by decile of the predicted
  probability: the mean predicted rate beside the observed rate, with its Wilson interval
  (:func:`dmde.core.stats.wilson`, on the decile's effective size);
- :meth:`Evaluation.gains`, a :class:`GainsTable` at any list of budget shares: among the top
  ``share`` of the files (by weight), the hit rate with its Wilson interval, the lift over the
  base rate, and the share of all events captured.

The folds are those of :func:`dmde.model.training.evaluate` (stratified by the target, shuffled
with ``seed``) and the AUC is its weighted AUC, so that on the same rows both give the same
cross-validated AUC. Each table has ``plot(ax=None)``, which draws on ``ax`` (a new figure when
None) and returns the Axes, percentages on the axes; matplotlib is imported there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from dmde.core.errors import DmdeError
from dmde.core.stats import auc_interval, kish_size, wilson
from dmde.data.parameters import Range, bad_parameter, check_parameters
from dmde.model.logistic import _without_std_errors
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import _columns_read, _weighted_auc

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DEFAULT_SHARES",
    "CalibrationTable",
    "Estimate",
    "Evaluation",
    "EvaluationError",
    "GainsTable",
    "calibration_table",
    "evaluate",
    "gains_table",
]

FloatArray = npt.NDArray[np.float64]

#: The budget shares of :meth:`Evaluation.gains` when none are given.
DEFAULT_SHARES = (0.01, 0.02, 0.05, 0.10, 0.20, 0.50)

#: Bootstrap resamples behind the KS interval.
KS_RESAMPLES = 200


class EvaluationError(DmdeError):
    """The rows, target or weights given to :func:`evaluate` cannot be evaluated."""


@dataclass(frozen=True)
class Estimate:
    """A figure and its 95% interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0))


def _reference_line(ax: Axes, top: float, label: str) -> None:
    """The diagonal, drawn once on ``ax`` however many tables are plotted on it."""
    if label not in [line.get_label() for line in ax.get_lines()]:
        ax.plot([0, top], [0, top], color="0.6", linewidth=1, label=label)


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(5.0, 4.0)).subplots()  # no pyplot state


@dataclass(frozen=True)
class CalibrationTable:
    """Observed against predicted rates, by decile of the predicted probability.

    ``table`` has one row per decile (1 = lowest predictions): rows, events, weight (their sum
    of weights), predicted (weighted mean probability), observed (weighted event rate),
    observed_low and observed_high (its Wilson 95% interval on the decile's effective size).
    """

    table: pd.DataFrame

    def plot(self, ax: Axes | None = None, *, label: str = "decile") -> Axes:
        """Observed rate (with its interval) against mean predicted rate, and the diagonal.

        Several tables can be drawn on one ``ax`` (one ``label`` each).
        """
        ax = _new_axes(ax)
        t = self.table
        errors = np.vstack([t["observed"] - t["observed_low"], t["observed_high"] - t["observed"]])
        top = float(max(t["predicted"].max(), t["observed_high"].max()))
        _reference_line(ax, top, "perfect calibration")
        ax.errorbar(t["predicted"], t["observed"], yerr=errors, fmt="o", capsize=3, label=label)
        ax.set_xlabel("mean predicted rate")
        ax.set_ylabel("observed rate (95% interval)")
        _percent_axis(ax.xaxis)
        _percent_axis(ax.yaxis)
        ax.legend(loc="upper left", frameon=False)
        return ax

    def _repr_html_(self) -> str:
        return str(self.table.to_html(index=False, float_format=lambda v: f"{v:.4f}"))


@dataclass(frozen=True)
class GainsTable:
    """Hit rate, lift and captured events among the top share of the files, by budget share.

    ``table`` has one row per share: share, rows (selected rows of the sample), selected_weight
    (their share of the weight), hit_rate with hit_low and hit_high (Wilson 95%), lift (hit
    rate over the base rate) with lift_low and lift_high (the hit rate's interval over the base
    rate, taken as known), captured (share of the weighted events among the selected).
    ``curve`` is the gains curve at every 1% (share, captured), for :meth:`plot`.
    """

    table: pd.DataFrame
    base_rate: float
    curve: pd.DataFrame = field(repr=False)

    def plot(self, ax: Axes | None = None, *, label: str = "by the model") -> Axes:
        """The gains curve (captured events by share selected), the table's shares marked.

        Several tables can be drawn on one ``ax`` (one ``label`` each).
        """
        ax = _new_axes(ax)
        _reference_line(ax, 1.0, "random selection")
        (line,) = ax.plot(self.curve["share"], self.curve["captured"], label=label)
        ax.plot(self.table["share"], self.table["captured"], "o", color=line.get_color())
        ax.set_xlabel("share of the files selected")
        ax.set_ylabel("share of the events captured")
        _percent_axis(ax.xaxis)
        _percent_axis(ax.yaxis)
        ax.legend(loc="lower right", frameon=False)
        return ax

    def _repr_html_(self) -> str:
        return str(self.table.to_html(index=False, float_format=lambda v: f"{v:.4f}"))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The out-of-fold predictions of a cross-validated model, and what follows from them.

    Attributes
    ----------
    probability : ndarray
        Each row's probability of the event, from the fold's model that did not see it.
    points : ndarray or None
        Each row's out-of-fold score in points (dmde's models; None for other classifiers).
    y, weight : ndarray
        The target (0/1) and the weights (1 when none were given).
    fold : ndarray of int
        The fold each row was held out in.
    auc, gini, ks : Estimate
        Out of fold, with 95% intervals (see the module docstring).
    fold_auc : tuple of float
        The AUC within each fold.
    cv, seed : int
        The folds and their seed.
    """

    probability: FloatArray
    points: FloatArray | None
    y: npt.NDArray[np.int64]
    weight: FloatArray
    fold: npt.NDArray[np.intp]
    auc: Estimate
    gini: Estimate
    ks: Estimate
    fold_auc: tuple[float, ...]
    cv: int
    seed: int

    @property
    def base_rate(self) -> float:
        """The weighted event rate of the rows."""
        return float(np.average(self.y, weights=self.weight))

    @property
    def calibration(self) -> CalibrationTable:
        """Observed and predicted rates by decile of the out-of-fold probability."""
        return calibration_table(self.probability, self.y, self.weight)

    def gains(self, shares: Sequence[float] = DEFAULT_SHARES) -> GainsTable:
        """Hit rate, lift and captured events among the top ``shares`` of the files.

        The files are ranked by decreasing out-of-fold probability (ties in row order); the
        top ``share`` is the first files holding at most that share of the weight.
        """
        return gains_table(self.probability, self.y, self.weight, shares)

    def summary(self) -> pd.DataFrame:
        """AUC, Gini and KS with their intervals, one row each."""
        rows = [("AUC", self.auc), ("Gini", self.gini), ("KS", self.ks)]
        return pd.DataFrame(
            [{"metric": m, "value": e.value, "low": e.low, "high": e.high} for m, e in rows]
        )

    def __repr__(self) -> str:
        return (
            f"Evaluation(rows={len(self.y)}, cv={self.cv}, auc={self.auc}, gini={self.gini}, "
            f"ks={self.ks})"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Out-of-fold evaluation</b>: {len(self.y):,} rows "
            f"({int(self.y.sum()):,} events, weighted base rate {self.base_rate:.2%}), "
            f"{self.cv} folds (seed {self.seed})</p>"
        )
        return head + str(self.summary().to_html(index=False, float_format=lambda v: f"{v:.3f}"))


def evaluate(
    model: Any,
    frame: pd.DataFrame,
    y: npt.ArrayLike,
    *,
    cv: int = 5,
    weights: npt.ArrayLike | None = None,
    seed: int = 0,
) -> Evaluation:
    """Cross-validate ``model`` on ``frame`` and keep every row's out-of-fold prediction.

    A clone of ``model`` is fitted on each training fold (with the fold's ``weights``) and
    scores the held-out fold; ``model`` itself is not fitted nor changed.

    Parameters
    ----------
    model : Scorecard, ScorecardFamily or classifier
        dmde's models, or any scikit-learn classifier with ``predict_proba`` (and, with
        ``weights``, a ``fit`` that accepts ``sample_weight``; a ``Pipeline`` gives them to
        its last step). It is given the columns of ``frame``: pass only its feature columns
        to a classifier that reads them all.
    frame : DataFrame
        The rows, e.g. ``training_data(...).X``.
    y : array-like of shape (n_rows,)
        The target, 0 or 1.
    cv : int, default 5
        Number of folds, at least 2 and at most the rows of the rarer class.
    weights : array-like of shape (n_rows,), optional
        Survey weights (``control_weight``): the folds' fits and every figure are weighted.
    seed : int, default 0
        Seed of the folds' shuffle and of the KS bootstrap.

    Returns
    -------
    Evaluation

    Raises
    ------
    ParameterError
        ``cv`` or ``seed`` out of range, or arguments of the wrong type.
    EvaluationError
        ``model`` has no ``predict_proba``; ``y`` is not 0/1 with both classes, or a length
        differs from the rows; weights are not finite and non-negative.

    Examples
    --------
    >>> import dmde
    >>> frame = dmde.synthesize(6_000, seed=1, controls=3_000)
    >>> rows = frame[frame["controlled"] == 1].reset_index(drop=True)
    >>> model = dmde.Scorecard(features=["n_children", "income_to_smic", "zero_income"])
    >>> result = dmde.evaluate(model, rows, rows["target"], cv=3, weights=rows["control_weight"])
    >>> result.auc.low < result.auc.value < result.auc.high
    True
    >>> result.calibration.table.columns.tolist()[:5]
    ['decile', 'rows', 'events', 'weight', 'predicted']
    >>> gains = result.gains([0.1, 0.2])
    >>> gains.table["share"].tolist(), bool((gains.table["lift"] > 1).all())
    ([0.1, 0.2], True)
    >>> result.points is not None  # a dmde model's out-of-fold points
    True
    """
    check_parameters(
        {
            "frame": [pd.DataFrame],
            "cv": [Range(Integral, 2, None, closed="left")],
            "seed": [Range(Integral, 0, 2**32 - 1, closed="both")],
        },
        {"frame": frame, "cv": cv, "seed": seed},
    )
    if not callable(getattr(model, "predict_proba", None)) or not hasattr(model, "fit"):
        raise EvaluationError(
            f"model must be a classifier with fit and predict_proba; got a "
            f"{type(model).__name__}. Pass a Scorecard, a ScorecardFamily or a scikit-learn "
            "classifier."
        )
    target = _target(y, len(frame))
    weight = _weights(weights, len(frame))
    smaller = int(min(target.sum(), len(target) - target.sum()))
    if cv > smaller:
        raise bad_parameter(
            "cv",
            f"an int in the range [2, {smaller}] (the rows of the rarer class)",
            cv,
            "Use fewer folds or more rows.",
        )
    probability, points, fold = _out_of_fold(model, frame, target, weight, cv=cv, seed=seed)
    fold_auc = tuple(
        _weighted_auc(target[fold == k], probability[fold == k], weight[fold == k])
        for k in range(cv)
    )
    auc = _weighted_auc(target, probability, weight)
    low, high = auc_interval(auc, *_effective_classes(target, weight))
    return Evaluation(
        probability=probability,
        points=points,
        y=target,
        weight=weight,
        fold=fold,
        auc=Estimate(auc, low, high),
        gini=Estimate(2 * auc - 1, 2 * low - 1, 2 * high - 1),
        ks=_ks_estimate(probability, target, weight, seed=seed),
        fold_auc=fold_auc,
        cv=cv,
        seed=seed,
    )


def _out_of_fold(
    model: Any,
    frame: pd.DataFrame,
    y: npt.NDArray[np.int64],
    weight: FloatArray,
    *,
    cv: int,
    seed: int,
) -> tuple[FloatArray, FloatArray | None, npt.NDArray[np.intp]]:
    """Out-of-fold probabilities, points (dmde's models) and the fold of each row."""
    from sklearn.model_selection import StratifiedKFold

    ours = isinstance(model, Scorecard | ScorecardFamily)
    # A fitted dmde model's folds copy only the columns it reads (an unfitted one, all).
    X = _columns_read(model, frame) if ours and _fitted(model) else frame
    probability = np.empty(len(y))
    points = np.empty(len(y)) if ours else None
    fold = np.empty(len(y), dtype=np.intp)
    splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    with _without_std_errors():  # the folds' models are only scored
        for k, (fit_rows, test_rows) in enumerate(splitter.split(X, y)):
            fitted = _fit(clone(model), X.iloc[fit_rows], y[fit_rows], weight[fit_rows])
            held_out = X.iloc[test_rows]
            probability[test_rows] = np.asarray(fitted.predict_proba(held_out))[:, 1]
            if points is not None:
                points[test_rows] = fitted.points(held_out)
            fold[test_rows] = k
    return probability, points, fold


def _fitted(model: Any) -> bool:
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    return True


def _fit(model: Any, X: pd.DataFrame, y: npt.NDArray[np.int64], weight: FloatArray) -> Any:
    """Fit ``model`` with the weights: a pipeline gives them to its last step."""
    if np.all(weight == 1.0):
        return model.fit(X, y)
    from sklearn.pipeline import Pipeline

    name = (
        f"{model.steps[-1][0]}__sample_weight" if isinstance(model, Pipeline) else "sample_weight"
    )
    try:
        return model.fit(X, y, **{name: weight})
    except (TypeError, ValueError) as exc:
        if "sample_weight" not in str(exc):
            raise
        raise EvaluationError(
            f"a {type(model).__name__} does not take sample_weight in fit, and weights were "
            "given; evaluate it without weights or wrap it in a model that takes them."
        ) from exc


def _not_a_name(name: str, value: object, what: str) -> None:
    """Refuse a column name where the values are expected (as scikit-learn takes arrays)."""
    if isinstance(value, str):
        raise EvaluationError(
            f"{name} must be {what}, one per row of frame, not a column name; got {value!r}. "
            f"Pass the column itself: {name}=frame[{value!r}]."
        )


def _target(y: npt.ArrayLike, n_rows: int) -> npt.NDArray[np.int64]:
    _not_a_name("y", y, "the target's values (0 or 1)")
    values = np.asarray(y)
    if values.ndim != 1 or len(values) != n_rows:
        raise EvaluationError(
            f"y must have one value per row of frame ({n_rows}); got shape {values.shape}."
        )
    binary = values.dtype.kind in "biuf" and bool(np.isin(values, (0, 1)).all())
    if not binary:
        found = sorted({str(v) for v in pd.unique(pd.Series(values, dtype=object))})[:5]
        raise EvaluationError(
            f"y must be 0 or 1 (1 = the event) with no missing value; found {', '.join(found)}. "
            "Keep the labelled rows only (training_data does)."
        )
    target = values.astype(np.int64)
    if target.min() == target.max():
        raise EvaluationError(
            f"y holds only {int(target[0])}: the evaluation needs rows of both classes."
        )
    return target


def _weights(weights: npt.ArrayLike | None, n_rows: int) -> FloatArray:
    if weights is None:
        return np.ones(n_rows)
    _not_a_name("weights", weights, "the survey weights")
    try:
        values = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        shown = np.asarray(weights, dtype=object).ravel()[:3].tolist()
        raise EvaluationError(
            f"weights must be numbers, one per row of frame; got values such as {shown}. Pass "
            "the weight column, e.g. weights=frame['control_weight']."
        ) from None
    if values.ndim != 1 or len(values) != n_rows:
        raise EvaluationError(
            f"weights must have one value per row of frame ({n_rows}); got shape {values.shape}."
        )
    if not (np.isfinite(values).all() and (values >= 0).all() and values.sum() > 0):
        raise EvaluationError(
            "weights must be finite and non-negative with a positive sum; "
            f"got {values[~(np.isfinite(values) & (values >= 0))][:3].tolist() or '0 in total'}."
        )
    return values


def _effective(weight: FloatArray) -> float:
    """Kish's effective size of weighted rows (0 for no row)."""
    squares = float((weight**2).sum())
    return float(kish_size(weight.sum(), squares)) if squares > 0 else 0.0


def _effective_classes(y: npt.NDArray[np.int64], weight: FloatArray) -> tuple[float, float]:
    return _effective(weight[y == 1]), _effective(weight[y == 0])


def _ks(probability: FloatArray, y: npt.NDArray[np.int64], weight: FloatArray) -> float:
    """Largest gap between the weighted distributions of the events and the non-events."""
    order = np.argsort(probability, kind="stable")
    p, event, w = probability[order], y[order] == 1, weight[order]
    ends = np.r_[np.flatnonzero(np.diff(p)), p.size - 1]  # the last row of each distinct value
    events = np.cumsum(np.where(event, w, 0.0))[ends]
    others = np.cumsum(np.where(event, 0.0, w))[ends]
    if not (events[-1] > 0 and others[-1] > 0):
        return math.nan
    return float(np.max(np.abs(events / events[-1] - others / others[-1])))


def _ks_estimate(
    probability: FloatArray, y: npt.NDArray[np.int64], weight: FloatArray, *, seed: int
) -> Estimate:
    """The KS and its percentile bootstrap interval (rows resampled within each class)."""
    rng = np.random.default_rng(seed)
    events, others = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    values = np.empty(KS_RESAMPLES)
    for b in range(KS_RESAMPLES):
        rows = np.r_[rng.choice(events, events.size), rng.choice(others, others.size)]
        values[b] = _ks(probability[rows], y[rows], weight[rows])
    low, high = np.nanquantile(values, [0.025, 0.975])
    return Estimate(_ks(probability, y, weight), float(low), float(high))


def _tie_groups(sorted_values: FloatArray) -> npt.NDArray[np.intp]:
    """For values sorted, the index of each one's group of equal values."""
    groups: npt.NDArray[np.intp] = np.r_[0, np.cumsum(np.diff(sorted_values) != 0)]
    return groups.astype(np.intp)


def calibration_table(
    probability: FloatArray, y: npt.NDArray[np.int64], weight: FloatArray, *, bins: int = 10
) -> CalibrationTable:
    """Rows cut into ``bins`` groups of equal weight by increasing probability (equal
    probabilities kept together), each group's mean prediction beside its observed rate.

    Examples
    --------
    >>> p = np.repeat([0.1, 0.3], 50)
    >>> y = np.r_[np.zeros(45), np.ones(5), np.zeros(35), np.ones(15)].astype(np.int64)
    >>> table = calibration_table(p, y, np.ones(100), bins=2).table
    >>> table[["decile", "rows", "predicted", "observed", "observed_low"]].round(3)
       decile  rows  predicted  observed  observed_low
    0       1    50        0.1       0.1         0.043
    1       2    50        0.3       0.3         0.191
    """
    order = np.argsort(probability, kind="stable")
    p, w = probability[order], weight[order]
    middle = (np.cumsum(w) - w / 2) / w.sum()  # each row's weighted position in (0, 1)
    groups = _tie_groups(p)
    position = np.bincount(groups, weights=middle * w) / np.bincount(groups, weights=w)
    decile = np.minimum((position[groups] * bins).astype(np.intp), bins - 1)
    rows = []
    for k in np.unique(decile):
        part = order[decile == k]
        yk, wk = y[part], weight[part]
        observed = float(np.average(yk, weights=wk))
        n = _effective(wk)
        low, high = wilson(observed * n, n)
        rows.append(
            {
                "decile": int(k) + 1,
                "rows": int(part.size),
                "events": int(yk.sum()),
                "weight": float(wk.sum()),
                "predicted": float(np.average(probability[part], weights=wk)),
                "observed": observed,
                "observed_low": low,
                "observed_high": high,
            }
        )
    return CalibrationTable(pd.DataFrame(rows))


def _check_shares(shares: Any) -> list[float]:
    values = [] if isinstance(shares, str) else list(shares)
    good = bool(values) and all(
        isinstance(s, int | float) and not isinstance(s, bool) and 0 < s <= 1 for s in values
    )
    if not good:
        raise bad_parameter(
            "shares",
            "a list of numbers in (0, 1], the shares of the files selected",
            shares,
            "For a budget of 1.2% of the files, pass [0.012].",
        )
    return [float(s) for s in values]


def gains_table(
    probability: FloatArray,
    y: npt.NDArray[np.int64],
    weight: FloatArray,
    shares: Sequence[float] = DEFAULT_SHARES,
) -> GainsTable:
    """:meth:`Evaluation.gains` from the predictions (any score that ranks), target and weights.

    Examples
    --------
    >>> p = np.linspace(1, 0, 10)
    >>> y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    >>> table = gains_table(p, y, np.ones(10), [0.2, 0.5]).table
    >>> table[["share", "rows", "hit_rate", "lift", "captured"]].round(2)
       share  rows  hit_rate  lift  captured
    0    0.2     2       1.0  3.33      0.67
    1    0.5     5       0.6  2.00      1.00
    """
    chosen = _check_shares(shares)
    order = np.argsort(-probability, kind="stable")  # decreasing, ties in row order
    w, event = weight[order], (y[order] == 1).astype(np.float64)
    total, events = float(w.sum()), float((w * event).sum())
    cum_weight, cum_events = np.cumsum(w), np.cumsum(w * event)
    base = events / total
    rows = []
    for share in chosen:
        k = int(np.searchsorted(cum_weight, share * total * (1 + 1e-12), side="right"))
        selected_w, selected_e = w[:k], event[:k]
        hit = float(np.average(selected_e, weights=selected_w)) if k and selected_w.sum() else 0.0
        n = _effective(selected_w)
        low, high = wilson(hit * n, n)
        rows.append(
            {
                "share": share,
                "rows": k,
                "selected_weight": float(cum_weight[k - 1] / total) if k else 0.0,
                "hit_rate": hit,
                "hit_low": low,
                "hit_high": high,
                "lift": hit / base,
                "lift_low": low / base,
                "lift_high": high / base,
                "captured": float(cum_events[k - 1] / events) if k else 0.0,
            }
        )
    grid = np.linspace(0.0, 1.0, 101)
    at = np.searchsorted(cum_weight, grid * total * (1 + 1e-12), side="right")
    captured = np.where(at > 0, cum_events[np.maximum(at - 1, 0)] / events, 0.0)
    return GainsTable(pd.DataFrame(rows), base, pd.DataFrame({"share": grid, "captured": captured}))
