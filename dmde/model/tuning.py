"""Choosing the scorecard's binning, features and ``C`` by cross-validation on the training rows.

The defaults of :class:`~dmde.model.scorecard.Scorecard` (``C=1``, bins of at least 2% of the
weight, 20 pre-bins, monotone event rates, every feature of the policy) are a reasonable start,
not a measured choice for a given survey. :func:`choose_parameters` measures, on the training rows
only, the out-of-fold AUC of every candidate of a small grid and picks one.

The procedure, fixed and deterministic:

- **folds**: ``folds`` stratified folds (by the target, and for a family by the target within
  each segment), shuffled with ``seed``. Every candidate is scored on the same folds, so the
  candidates are compared pair by pair on the same rows.
- **candidates**: the product of the grid's values (:data:`DEFAULT_GRID`): ``C``,
  ``min_bin_share``, ``max_prebins``, ``monotonic_trend`` and ``min_iv``, a floor on a feature's
  information value below which it is dropped (feature selection; 0.02 is the textbook
  "unpredictive" line). Parameters the grid does not name keep the template's value.
- **each fold refits the whole procedure** on its training part: the binning, the information
  values that select the features, the weighted logistic regression, one per segment for a
  family. The held-out part is scored with its segment's model.
- **the score of a candidate** is the mean over the folds of the AUC on the held-out part,
  weighted by the survey weights (the AUC of the population the survey represents), with its
  standard error (the folds' standard deviation over the square root of their number).
- **the rule** (``rule``):

  - ``"guarded"`` (the default) keeps the template's own parameters (always a candidate, added
    to the grid if it is not in it) unless a candidate beats them on the same folds by more
    than ``GUARD`` (2) standard errors of the fold-by-fold differences; then it takes the
    highest mean among the candidates that do.
  - ``"best"`` takes the highest mean.
  - ``"one_se"`` takes the simplest candidate within one standard error of the highest
    (Breiman et al., 1984; Hastie, Tibshirani and Friedman, *Elements of Statistical
    Learning*, section 7.10).

  "Simplest" orders by the smallest ``C`` (the strongest penalty), then the coarser binning
  (larger ``min_bin_share``, fewer pre-bins, monotone before free), then the fewer features
  (larger ``min_iv``); exact ties go to the simplest under every rule.

  Why "guarded": on the synthetic truth (7,500 checked files, survey seeds 1 to 10, one
  scorecard and the family, every candidate of the default grid refitted on all the checked
  files and judged on a fresh population's true outcome) the defaults are within 0.0004 of
  the best candidate of the grid on average, and the folds cannot tell the top candidates
  apart: the correlation between a candidate's mean fold AUC and its AUC on the truth ranges
  from -0.4 to 0.9, and the folds' standard error (0.015 to 0.02) is ten times the
  differences that matter. "best" then picks a neighbour of the defaults by chance and loses
  0.0015 (one scorecard) and 0.0025 (family) on average, 0.017 at worst; "one_se", which stops
  at the simplest candidate as good, picks ``C = 0.1`` with 5% bins and loses 0.010 to 0.011;
  "guarded" keeps the defaults on 19 of 20 fits (the other loses 0.0004). It still moves
  where the data say so clearly: a U-shaped risk gets free bins
  (``tests/test_model_tuning.py``). On a target of pure noise it moves on 2 seeds of 10: five
  folds estimate the standard error of a difference roughly.

Speed: in each fold the binning of each binning candidate is fitted once and reused for every
``C`` and ``min_iv``, and the regression is the scorecard's own solver
(:func:`dmde.model.newton.fit_logistic`) on the WoE design of the fold. The held-out part is
ranked by the unrounded log-odds, not by the rounded points (the rounding only orders a few
near-ties differently). On 7,500 rows the default grid takes a few seconds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import DEFAULT_POLICY, check_routing_column
from dmde.data.parameters import Range, StrOptions, bad_parameter, check_parameters
from dmde.model.binning import WoEBinning
from dmde.model.newton import GroupedRows, _newton
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.training import TrainingData, _weighted_auc

__all__ = [
    "DEFAULT_GRID",
    "GRID_PARAMETERS",
    "GUARD",
    "TuningResult",
    "choose_parameters",
    "shrinkage_offsets",
]

FloatArray = npt.NDArray[np.float64]

#: The parameters a grid may vary: the four binning and regression parameters of
#: :class:`~dmde.model.scorecard.Scorecard`, and ``min_iv`` (feature selection).
GRID_PARAMETERS = ("C", "min_bin_share", "max_prebins", "monotonic_trend", "min_iv")

#: The grid :func:`choose_parameters` searches by default (40 candidates). Its values span what
#: mattered on the synthetic truth: ``C`` from a strong penalty to almost none, the default bin
#: floor and the textbook 5%, monotone or free event rates, every feature or only those of
#: information value 0.02 or more. 10 and 40 pre-bins, and a 1% floor, were measured and left
#: out: 10 pre-bins lost 0.004 of AUC on the truth, 40 and the 1% floor changed nothing.
DEFAULT_GRID: Mapping[str, tuple[Any, ...]] = MappingProxyType(
    {
        "C": (0.1, 0.3, 1.0, 3.0, 10.0),
        "min_bin_share": (0.02, 0.05),
        "max_prebins": (20,),
        "monotonic_trend": ("auto", "none"),
        "min_iv": (0.0, 0.02),
    }
)

#: Under the rule "guarded", how many standard errors of the fold-by-fold differences a
#: candidate must beat the template's parameters by to be chosen instead.
GUARD = 2.0

_BINNING = ("min_bin_share", "max_prebins", "monotonic_trend")
_TREND_ORDER = {"ascending": 0, "descending": 0, "auto": 1, "none": 2}


@dataclass(frozen=True, eq=False)  # holds a DataFrame: compared by identity
class TuningResult:
    """What :func:`choose_parameters` chose, and the cross-validation table it chose from.

    Attributes
    ----------
    parameters : Mapping[str, Any]
        The chosen value of every parameter of :data:`GRID_PARAMETERS`.
    calibration_slope : float
        The slope of the weighted logistic regression of the target on the chosen candidate's
        out-of-fold log-odds: below 1 when the model, refitted on part of the rows, ranks well
        but is overconfident on rows it has not seen (its predicted rates too spread out). See
        :meth:`estimator` (``shrink=True``) and :func:`shrinkage_offsets`.
    features : tuple of str
        The features the chosen ``min_iv`` keeps on all the training rows.
    table : DataFrame
        One row per candidate, in grid order (the template's own parameters last if the grid
        does not hold them): its parameters, ``template`` (True on the template's row),
        ``n_features`` (the mean over the folds of the features kept), ``auc_mean``,
        ``auc_se``, ``gain`` and ``gain_se`` (the mean and standard error of the fold-by-fold
        difference with the template's row), one ``fold_<k>`` column per fold, and ``chosen``
        (True on one row).
    rule : str
        ``"guarded"``, ``"best"`` or ``"one_se"``.
    folds, seed : int
        The cross-validation's folds and shuffling seed.
    scorecard : Scorecard
        The template whose other parameters (policy, scaling, ...) the estimator keeps.
    segment_column : str or None
        The routing column of a family; None for one scorecard.
    """

    parameters: Mapping[str, Any]
    calibration_slope: float
    features: tuple[str, ...]
    table: pd.DataFrame
    rule: str
    folds: int
    seed: int
    scorecard: Scorecard
    segment_column: str | None

    def estimator(self, *, shrink: bool = False) -> Scorecard | ScorecardFamily:
        """The unfitted model with the chosen parameters (a family if ``segment_column``).

        Parameters
        ----------
        shrink : bool, default False
            Also set the scorecard's ``shrinkage`` to ``min(1, calibration_slope)``: its
            coefficients are multiplied by the cross-validated calibration slope and its
            intercept refitted (each segment's own, for a family). A slope of 1 or more
            leaves the model unshrunk. Without ``shrink``, the template's ``shrinkage``
            is kept.

        Raises
        ------
        DmdeError
            With ``shrink``, a calibration slope of 0 or less (the model does not rank rows
            it has not seen).

        Examples
        --------
        >>> from dmde.data.synthetic import synthesize
        >>> from dmde.model.training import training_data
        >>> data = training_data(synthesize(20_000, seed=1, controls=2_000))
        >>> result = choose_parameters(data, grid={"C": (0.1, 1.0)})
        >>> model = result.estimator().fit(data.X, data.y, sample_weight=data.weight)
        >>> model.C == result.parameters["C"]
        True
        >>> shrunk = result.estimator(shrink=True)
        >>> shrunk.shrinkage == min(1.0, result.calibration_slope)
        True
        """
        check_parameters({"shrink": ["boolean"]}, {"shrink": shrink})
        params: dict[str, Any] = {k: v for k, v in self.parameters.items() if k != "min_iv"}
        if self.parameters["min_iv"] > 0:
            params["features"] = list(self.features)
        if shrink:
            if not self.calibration_slope > 0:
                raise DmdeError(
                    f"the cross-validated calibration slope is {self.calibration_slope:.3g}: the "
                    "model does not rank the rows it was not fitted on, and no shrinkage can "
                    "correct that. Train without shrinking, or with more rows or other features."
                )
            params["shrinkage"] = min(1.0, float(self.calibration_slope))
        scorecard: Scorecard = clone(self.scorecard).set_params(**params)
        if self.segment_column is None:
            return scorecard
        return ScorecardFamily(scorecard=scorecard, segment_column=self.segment_column)

    def format(self) -> str:
        """The chosen parameters, the best ten candidates and the chosen one, as text."""
        chosen = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        ranked = self.table.sort_values("auc_mean", ascending=False, kind="stable")
        best = ranked[(np.arange(len(ranked)) < 10) | ranked["chosen"].to_numpy()]
        shown = best[
            [*GRID_PARAMETERS, "n_features", "auc_mean", "auc_se", "gain", "gain_se", "chosen"]
        ]
        return (
            f"chosen ({self.rule}, {self.folds} folds, seed {self.seed}): {chosen}\n"
            f"{shown.to_string(index=False, float_format=lambda v: f'{v:.4f}')}"
        )


def choose_parameters(
    data: TrainingData,
    *,
    scorecard: Scorecard | None = None,
    segment_column: str | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    folds: int = 5,
    seed: int = 0,
    rule: str = "guarded",
) -> TuningResult:
    """Choose a scorecard's binning, features and ``C`` by cross-validation on ``data``.

    See the module docstring for the procedure and the rule.

    Parameters
    ----------
    data : TrainingData
        The training rows, target and survey weights (:func:`~dmde.model.training.training_data`).
    scorecard : Scorecard, optional
        The template: the grid overrides its parameters of :data:`GRID_PARAMETERS` and keeps the
        others (policy, features, scaling, ...). Default: ``Scorecard()``.
    segment_column : str, optional
        Tune a :class:`~dmde.model.scorecard.ScorecardFamily` routed by this operational column
        (``"income_reporting"`` for the published design); None tunes one scorecard.
    grid : mapping of str to sequence, optional
        Values to try for some of :data:`GRID_PARAMETERS` (default :data:`DEFAULT_GRID`); a
        parameter not named keeps the template's value (``min_iv``: 0, every feature).
    folds : int, default 5
        Number of stratified folds (at least 2).
    seed : int, default 0
        Seed of the folds' shuffling.
    rule : {"guarded", "best", "one_se"}, default "guarded"
        The template's parameters unless a candidate is clearly better; the highest mean AUC;
        or the simplest candidate within one standard error of it (see the module docstring).

    Returns
    -------
    TuningResult

    Raises
    ------
    ParameterError
        An argument of the wrong type or value, or a grid naming an unknown parameter or an
        empty list of values.
    InvalidParameterError
        scikit-learn's, naming a grid value the scorecard does not accept.
    SchemaError
        ``data.X`` lacks a feature of the template or the segment column.
    DmdeError
        A fold (of a segment) has only one class of the target: fewer folds or more rows.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.training import training_data
    >>> data = training_data(synthesize(20_000, seed=1, controls=2_000))
    >>> result = choose_parameters(data, grid={"C": (0.01, 1.0), "min_iv": (0.0, 0.02)})
    >>> len(result.table), int(result.table["chosen"].sum())
    (4, 1)
    """
    check_parameters(
        {
            "data": [TrainingData],
            "scorecard": [Scorecard, None],
            "segment_column": [str, None],
            "grid": [Mapping, None],
            "folds": [Range(Integral, 2, None, closed="left")],
            "seed": [Range(Integral, 0, 2**32 - 1, closed="both")],
            "rule": [StrOptions({"guarded", "best", "one_se"})],
        },
        {
            "data": data,
            "scorecard": scorecard,
            "segment_column": segment_column,
            "grid": grid,
            "folds": folds,
            "seed": seed,
            "rule": rule,
        },
    )
    template = Scorecard() if scorecard is None else scorecard
    candidates = _candidates(template, DEFAULT_GRID if grid is None else grid)
    features = _features(template, data.X)
    segment = _segments(data.X, segment_column)
    scores = np.empty((len(candidates), folds))
    kept = np.empty((len(candidates), folds))
    out_of_fold = np.empty((len(candidates), len(data.y)))
    # The designs are small (thousands of rows, about 20 columns): threads only contend.
    with threadpool_limits(limits=1, user_api="blas"):
        for k, (fit_rows, test_rows) in enumerate(_folds(data.y, segment, folds, seed)):
            aucs, n_kept = _score_fold(
                data,
                features,
                segment,
                candidates,
                (fit_rows, test_rows, k),
                template.rare_level_share,
                out_of_fold,
            )
            scores[:, k], kept[:, k] = aucs, n_kept
    table = _table(candidates, scores, kept, candidates.index(_own(template)))
    chosen = _choose(table, candidates, rule)
    table["chosen"] = np.arange(len(table)) == chosen
    parameters = MappingProxyType(dict(candidates[chosen]))
    y = np.asarray(data.y, dtype=np.float64)
    slope = float(_logistic(out_of_fold[chosen][:, None], y, data.weight, 1e12)[1])
    return TuningResult(
        parameters=parameters,
        calibration_slope=slope,
        features=_selected(data, features, parameters, template.rare_level_share),
        table=table,
        rule=rule,
        folds=folds,
        seed=seed,
        scorecard=template,
        segment_column=segment_column,
    )


def shrinkage_offsets(
    log_odds: npt.ArrayLike,
    y: npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    slope: float,
    segment: npt.ArrayLike | None = None,
) -> dict[str, float]:
    """The offsets that keep a model calibrated-in-the-large once its log-odds are shrunk.

    Shrinking a fitted model's log-odds ``eta`` to ``slope * eta + offset`` (``slope`` below 1,
    from :attr:`TuningResult.calibration_slope`) pulls the predicted rates toward the middle
    without changing their order; the offset of each segment is refitted so that the weighted
    mean predicted rate of its training rows equals its weighted base rate (the maximum
    likelihood intercept given the shrunk coefficients). For a scorecard this is
    ``coef_ * slope`` and ``intercept_ * slope + offset`` (van Houwelingen and le Cessie, 1990:
    uniform shrinkage by the cross-validated calibration slope).

    Parameters
    ----------
    log_odds : array-like of shape (n,)
        The model's log-odds on its training rows (``decision_function``).
    y, weight : array-like of shape (n,)
        The training target (0/1) and survey weights.
    slope : float
        The shrinkage factor, positive.
    segment : array-like of shape (n,), optional
        Each row's segment (a family): one offset per segment; else one offset, key ``""``.

    Returns
    -------
    dict of str to float
        The offset of each segment.

    Examples
    --------
    >>> import numpy as np
    >>> eta = np.array([-3.0, -2.0, -1.0, 0.0])
    >>> offsets = shrinkage_offsets(eta, [0, 0, 1, 1], np.ones(4), slope=0.5)
    >>> rate = 1 / (1 + np.exp(-(0.5 * eta + offsets[""])))
    >>> round(float(rate.mean()), 6)
    0.5
    """
    check_parameters({"slope": [Range(Real, 0, None, closed="neither")]}, {"slope": slope})
    eta = np.asarray(log_odds, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    groups = (
        np.zeros(len(eta), dtype=object) if segment is None else np.asarray(segment, dtype=object)
    )
    offsets: dict[str, float] = {}
    for name in sorted({str(g) for g in groups}) if segment is not None else [""]:
        rows = groups == name if segment is not None else slice(None)
        base = slope * eta[rows]
        offset = 0.0
        for _ in range(100):  # Newton on one parameter: the score equation of the intercept
            p = expit(base + offset)
            step = float(w[rows] @ (p - target[rows])) / max(float(w[rows] @ (p * (1 - p))), 1e-300)
            offset -= step
            if abs(step) < 1e-12:
                break
        offsets[name] = offset
    return offsets


# --------------------------------------------------------------------------------------------
# The candidates and the data
def _candidates(template: Scorecard, grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, each checked by the scorecard's own rules."""
    unknown = [k for k in grid if k not in GRID_PARAMETERS]
    if unknown:
        raise bad_parameter(
            "grid",
            f"a mapping whose keys are among {', '.join(GRID_PARAMETERS)}",
            unknown[0],
            "Remove that key.",
        )
    values: dict[str, tuple[Any, ...]] = {}
    for name in GRID_PARAMETERS:
        given = grid.get(name)
        if given is None:
            values[name] = (0.0,) if name == "min_iv" else (template.get_params()[name],)
            continue
        if isinstance(given, str) or not isinstance(given, Sequence) or len(given) == 0:
            raise bad_parameter(
                f"grid[{name!r}]", "a non-empty list or tuple of values", given, "List them."
            )
        values[name] = tuple(given)
    for iv in values["min_iv"]:
        check_parameters({"min_iv": [Range(Real, 0, None, closed="left")]}, {"min_iv": iv})
    candidates = [
        dict(zip(GRID_PARAMETERS, combo, strict=True))
        for combo in itertools.product(*values.values())
    ]
    own = _own(template)
    if own not in candidates:
        candidates.append(own)
    for candidate in candidates:  # scikit-learn's message names a bad value
        params = {k: v for k, v in candidate.items() if k != "min_iv"}
        clone(template).set_params(**params)._validate_params()
    return candidates


def _own(template: Scorecard) -> dict[str, Any]:
    """The template's own parameters as a candidate (every feature: ``min_iv`` 0)."""
    params = template.get_params()
    return {name: 0.0 if name == "min_iv" else params[name] for name in GRID_PARAMETERS}


def _features(template: Scorecard, X: pd.DataFrame) -> list[str]:
    policy = template.policy or DEFAULT_POLICY
    features = list(
        policy.check(policy.features if template.features is None else template.features)
    )
    missing = [c for c in features if c not in X.columns]
    if missing:
        raise SchemaError(
            f"the training rows have no column {', '.join(repr(c) for c in missing)}, which the "
            f"scorecard reads; it reads {', '.join(features)}."
        )
    return features


def _segments(X: pd.DataFrame, column: str | None) -> npt.NDArray[np.intp]:
    """Each row's segment as a code (all 0 for one scorecard)."""
    if column is None:
        return np.zeros(len(X), dtype=np.intp)
    check_routing_column(column)
    if column not in X.columns:
        raise SchemaError(f"the training rows have no column {column!r}, which routes the rows.")
    values = X[column].astype(object)
    if values.isna().any():
        raise SchemaError(
            f"{column!r} is missing on {int(values.isna().sum())} rows; every row needs a segment."
        )
    codes, _ = pd.factorize(values.astype(str), sort=True)
    return np.asarray(codes, dtype=np.intp)


def _folds(
    y: npt.NDArray[Any], segment: npt.NDArray[np.intp], folds: int, seed: int
) -> Iterator[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """Stratified folds by the target within each segment, shuffled with ``seed``."""
    strata = segment * 2 + np.asarray(y, dtype=np.intp)
    _, counts = np.unique(strata, return_counts=True)
    if counts.min() < folds:
        raise DmdeError(
            f"a segment has only {int(counts.min())} rows of one class of the target, fewer than "
            f"the {folds} folds: use fewer folds or train on more rows."
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros((len(strata), 1)), strata)


# --------------------------------------------------------------------------------------------
# One fold
def _score_fold(
    data: TrainingData,
    features: list[str],
    segment: npt.NDArray[np.intp],
    candidates: list[dict[str, Any]],
    split: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], int],
    rare_level_share: float,
    out_of_fold: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The held-out AUC of every candidate on one fold, and how many features each kept; the
    held-out log-odds are written to the fold's columns of ``out_of_fold``."""
    fit_rows, test_rows, fold = split
    X, y, w = data.X[features], np.asarray(data.y, dtype=np.float64), data.weight
    segments = np.unique(segment)
    aucs = np.empty(len(candidates))
    n_kept = np.empty(len(candidates))
    by_binning: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(candidates):
        by_binning.setdefault(tuple(c[k] for k in _BINNING), []).append(i)
    pooled_needed = len(segments) > 1 and any(c["min_iv"] > 0 for c in candidates)
    for key, members in by_binning.items():
        binning = {**dict(zip(_BINNING, key, strict=True)), "rare_level_share": rare_level_share}
        parts = []
        for s in segments:
            fit_s, test_s = fit_rows[segment[fit_rows] == s], test_rows[segment[test_rows] == s]
            if len(np.unique(y[fit_s])) < 2:
                raise DmdeError(
                    f"fold {fold + 1}: the training part of segment {s} has only one class of "
                    "the target; use fewer folds or train on more rows."
                )
            woe = WoEBinning(**binning).fit(X.iloc[fit_s], y[fit_s], sample_weight=w[fit_s])
            ivs = np.array([b.iv for b in woe.bins_])
            parts.append(
                (fit_s, test_s, woe.transform(X.iloc[fit_s]), woe.transform(X.iloc[test_s]), ivs)
            )
        if pooled_needed:
            pooled = WoEBinning(**binning).fit(
                X.iloc[fit_rows], y[fit_rows], sample_weight=w[fit_rows]
            )
            ivs_all = np.array([b.iv for b in pooled.bins_])
        else:
            ivs_all = parts[0][4]
        for i in members:
            keep = _kept(ivs_all, candidates[i]["min_iv"])
            logit = np.empty(len(y))
            for fit_s, test_s, z_fit, z_test, _ in parts:
                beta = _logistic(z_fit[:, keep], y[fit_s], w[fit_s], candidates[i]["C"])
                logit[test_s] = beta[0] + z_test[:, keep] @ beta[1:]
            aucs[i] = _weighted_auc(y[test_rows], logit[test_rows], w[test_rows])
            out_of_fold[i, test_rows] = logit[test_rows]
            n_kept[i] = keep.sum()
    return aucs, n_kept


def _kept(ivs: FloatArray, min_iv: float) -> npt.NDArray[np.bool_]:
    """The features of information value at least ``min_iv`` (the best one if none is)."""
    keep = ivs >= min_iv
    if not keep.any():
        keep[int(np.argmax(ivs))] = True
    return keep


def _selected(
    data: TrainingData,
    features: list[str],
    parameters: Mapping[str, Any],
    rare_level_share: float,
) -> tuple[str, ...]:
    """The features the chosen ``min_iv`` keeps, binned on all the training rows."""
    if parameters["min_iv"] <= 0:
        return tuple(features)
    binning = {k: parameters[k] for k in _BINNING}
    binning["rare_level_share"] = rare_level_share
    woe = WoEBinning(**binning).fit(data.X[features], data.y, sample_weight=data.weight)
    keep = _kept(np.array([b.iv for b in woe.bins_]), parameters["min_iv"])
    return tuple(f for f, k in zip(features, keep, strict=True) if k)


def _logistic(z: FloatArray, y: FloatArray, weight: FloatArray, C: float) -> FloatArray:
    """``[intercept, *coef]`` of :class:`~dmde.model.scorecard.Scorecard`'s regression on the
    design ``z``: its solver (:func:`dmde.model.newton.fit_logistic`), each row a group, the
    weights normalised to mean 1 as the scorecard does."""
    w = weight * (len(weight) / weight.sum())
    events = w * y
    rows = GroupedRows(
        design=np.ascontiguousarray(z, dtype=np.float64),
        events=events,
        non_events=w - events,
        events_sq=events * events,
        non_events_sq=(w - events) ** 2,
    )
    # fit_logistic without its thread limit: choose_parameters holds one around every fold
    # (entering threadpool_limits costs ~13 ms, more than a fit on 7,500 rows).
    fit = _newton(rows, C=C, max_iter=100)
    return np.asarray(np.r_[fit.intercept, fit.coef], dtype=np.float64)


# --------------------------------------------------------------------------------------------
# The table and the rule
def _table(
    candidates: list[dict[str, Any]], scores: FloatArray, kept: FloatArray, own: int
) -> pd.DataFrame:
    table = pd.DataFrame(candidates, columns=list(GRID_PARAMETERS))
    root = math.sqrt(scores.shape[1])
    gain = scores - scores[own]
    table["template"] = np.arange(len(candidates)) == own
    table["n_features"] = kept.mean(axis=1)
    table["auc_mean"] = scores.mean(axis=1)
    table["auc_se"] = scores.std(axis=1, ddof=1) / root
    table["gain"] = gain.mean(axis=1)
    table["gain_se"] = gain.std(axis=1, ddof=1) / root
    for k in range(scores.shape[1]):
        table[f"fold_{k + 1}"] = scores[:, k]
    return table


def _simplicity(candidate: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key: smaller is simpler (stronger penalty, coarser bins, fewer features)."""
    trend = candidate["monotonic_trend"]
    trend_rank = _TREND_ORDER.get(trend, 3) if isinstance(trend, str) else 3
    return (
        candidate["C"],
        -candidate["min_bin_share"],
        candidate["max_prebins"],
        trend_rank,
        -candidate["min_iv"],
    )


def _choose(table: pd.DataFrame, candidates: list[dict[str, Any]], rule: str) -> int:
    mean = table["auc_mean"].to_numpy()
    if rule == "guarded":
        clear = (table["gain"] > GUARD * table["gain_se"]).to_numpy()
        if not clear.any():
            return int(np.flatnonzero(table["template"].to_numpy())[0])
        mean = np.where(clear, mean, -np.inf)
    best = int(np.argmax(mean))
    floor = mean[best] - (table["auc_se"].to_numpy()[best] if rule == "one_se" else 0.0)
    eligible = np.flatnonzero(mean >= floor)
    return int(min(eligible, key=lambda i: (_simplicity(candidates[i]), i)))
