"""The logistic scorecard on weight-of-evidence bins: :class:`Scorecard`.

Fitting (policy check, binning, weighted logistic regression, points), the one scoring path
(:meth:`Scorecard.score_columns`, which ``points``, ``predict_proba``, ``decision_function`` and
``reason_codes`` go through) and the published tables. What a scorecard is and why it is built
this way: :mod:`dmde.model.scorecard`, where the public names live.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import assert_all_finite
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from dmde.core.errors import SchemaError
from dmde.core.stats import Z95
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, FeaturePolicy
from dmde.data.parameters import Range
from dmde.model.binning import FeatureBinning, WoEBinning
from dmde.model.newton import fit_logistic, group_rows, refit_intercept, sandwich_std_errors
from dmde.model.parallel import map_in_threads
from dmde.model.scaling import PointsScaling
from dmde.model.scored import ScoredColumns, check_reasons, top_reasons

__all__ = ["REASON_COLUMNS", "Scorecard", "TrainingSummary", "bin_labels"]

REASON_COLUMNS = (
    "row",
    "rank",
    "feature",
    "label",
    "value",
    "bin_label",
    "points",
    "reference",
    "above_reference",
)

FloatArray = npt.NDArray[np.float64]

#: Rows of the training probabilities added up at a time (their points fit in the cache).
_SCORE_BLOCK = 4_096

#: False within :func:`_without_std_errors`.
_STD_ERRORS: ContextVar[bool] = ContextVar("dmde_std_errors", default=True)


@contextmanager
def _without_std_errors() -> Iterator[None]:
    """Within the block, scorecards are fitted without standard errors (``std_errors_`` NaN).

    For the models of a cross-validation's folds (:func:`dmde.model.training.evaluate`), which
    are only scored: the standard errors change no coefficient, point or score, and cost as much
    as a Newton step.
    """
    token = _STD_ERRORS.set(False)
    try:
        yield
    finally:
        _STD_ERRORS.reset(token)


@dataclass(frozen=True)
class TrainingSummary:
    """What a model was trained on (recorded in the model file)."""

    rows: int
    events: int
    weighted_base_rate: float
    sum_of_weights: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "events": self.events,
            "weighted_base_rate": self.weighted_base_rate,
            "sum_of_weights": self.sum_of_weights,
        }


class _BinaryWithMissing:
    """scikit-learn tags shared by the scorecards: binary targets, missing values allowed."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags


class Scorecard(_BinaryWithMissing, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Logistic scorecard on weight-of-evidence bins, restricted by a feature policy.

    Parameters
    ----------
    features : sequence of str, optional
        Catalog columns to use. None means every feature of ``policy``. Each is checked against
        the policy: an excluded column raises :class:`~dmde.core.errors.PolicyError`.
    policy : FeaturePolicy, optional
        The policy (default: :data:`~dmde.data.catalog.DEFAULT_POLICY`, the 2026 guarantees).
    max_prebins, min_bin_share, monotonic_trend, rare_level_share
        Binning parameters, see :class:`~dmde.model.binning.WoEBinning`. The default minimum bin
        share is 2%, not the textbook 5%: a 5% floor merges away rare situations that matter
        (a guardian, a recent separation: 2 to 4% of files), and on the synthetic truth it
        costs 0.006 of AUC.
    C : float, default 1.0
        Inverse L2 regularisation strength of the logistic regression. Sample weights are
        normalised to mean 1 first, so ``C`` weighs against the number of rows.
    scaling : PointsScaling, optional
        Points scaling (default: :class:`~dmde.model.scaling.PointsScaling` defaults).
    max_iter : int, default 1000
        Most Newton steps of the logistic regression (5 to 8 reach the optimum; fewer raise a
        ``ConvergenceWarning``).
    shrinkage : float, default 1.0
        Uniform shrinkage of the fitted log-odds, in (0, 1]. After the fit, the coefficients
        are multiplied by ``shrinkage`` and the intercept is re-solved with them fixed (Newton's
        method on the weighted score equation of the intercept over the grouped rows, so the
        weighted mean predicted rate of the training rows stays their weighted base rate);
        the coefficients' standard errors are multiplied by ``shrinkage`` (the intercept's is
        that of the fit). Points and reference points follow from the shrunk coefficients.
        The order of the files' log-odds does not change, only their spread: a factor below 1
        corrects a model that is overconfident on rows it has not seen (van Houwelingen and
        le Cessie, 1990). The cross-validated calibration slope is the usual choice
        (:meth:`dmde.model.tuning.TuningResult.estimator` with ``shrink=True``). The default,
        1, is the fit itself.

    Attributes
    ----------
    features_ : tuple of str
        The columns the model reads, in order.
    catalog_features_ : bool
        True when fitted on a DataFrame of catalog columns (the only kind of model that can be
        saved and used for batch scoring). A model fitted on a bare array reads anonymous
        columns ``x0, x1, ...``: no policy applies to them, so it can be used in memory only.
    binning_ : WoEBinning
        The fitted binning.
    coef_, intercept_ : ndarray
        The logistic regression on WoE values (as scikit-learn's ``LogisticRegression``, fitted
        by Newton's method on the distinct rows: :mod:`dmde.model.newton`), after
        ``shrinkage``.
    n_iter_ : ndarray of shape (1,)
        Newton steps taken.
    std_errors_ : ndarray
        Robust (sandwich) standard errors of ``[intercept, *coef]``, with the sample weights
        (those of the coefficients times ``shrinkage``).
    intercept_points_ : float
        Points every file gets.
    bin_points_ : tuple of ndarray
        Points of each bin of each feature (the missing-value bin last).
    reference_points_ : ndarray
        Weighted mean points of each feature over the training rows: the reference of the
        reason codes ("more points than the average file").
    training_ : TrainingSummary

    Notes
    -----
    A DataFrame whose column names are all strings is read as catalog columns, under the policy;
    any other input (arrays, DataFrames with integer column names) is read as anonymous columns.
    scikit-learn's ``parametrize_with_checks`` passes on this class, but for one check that
    does not apply: survey weights are normalised to mean 1, so a weight of 2 is not the same
    as a repeated row (see ``tests/test_model_scorecard.py``).

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> df = synthesize(20_000, seed=1, controls=0, with_truth=True)
    >>> model = Scorecard(features=["income_to_smic", "n_children", "mean_rsa_12m"])
    >>> model = model.fit(df, df["truth_target"])
    >>> model.features_
    ('income_to_smic', 'n_children', 'mean_rsa_12m')
    >>> points = model.points(df.head(3))
    >>> bool(np.allclose(model.predict_proba(df.head(3))[:, 1],
    ...                  model.scaling_.probability(points)))
    True
    >>> Scorecard(features=["nationality_group"]).fit(df, df["truth_target"])
    Traceback (most recent call last):
    ...
    dmde.core.errors.PolicyError: column 'nationality_group' (family 'sensitive') cannot be ...
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "features": [list, tuple, None],
        "policy": [FeaturePolicy, None],
        "max_prebins": [Range(Integral, 2, None, closed="left")],
        "min_bin_share": [Range(Real, 0, 0.5, closed="both")],
        "monotonic_trend": [StrOptions({"auto", "ascending", "descending", "none"}), dict],
        "rare_level_share": [Range(Real, 0, 1, closed="both")],
        "C": [Range(Real, 0, None, closed="neither")],
        "scaling": [PointsScaling, None],
        "max_iter": [Range(Integral, 1, None, closed="left")],
        "shrinkage": [Range(Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        *,
        features: Sequence[str] | None = None,
        policy: FeaturePolicy | None = None,
        max_prebins: int = 20,
        min_bin_share: float = 0.02,
        monotonic_trend: str | dict[str, str] = "auto",
        rare_level_share: float = 0.01,
        C: float = 1.0,
        scaling: PointsScaling | None = None,
        max_iter: int = 1000,
        shrinkage: float = 1.0,
    ) -> None:
        self.features = features
        self.policy = policy
        self.max_prebins = max_prebins
        self.min_bin_share = min_bin_share
        self.monotonic_trend = monotonic_trend
        self.rare_level_share = rare_level_share
        self.C = C
        self.scaling = scaling
        self.max_iter = max_iter
        self.shrinkage = shrinkage

    # ---------------------------------------------------------------------------- fitting
    def fit(self, X: Any, y: Any, sample_weight: npt.ArrayLike | None = None) -> Self:
        """Bin the features, fit the logistic regression, compute the points.

        Parameters
        ----------
        X : DataFrame (catalog columns) or 2-D array
            A DataFrame is read only for the model's features; other columns are ignored.
        y : array-like of shape (n_samples,)
            Binary target (for example ``target``, 1 = overpayment found).
        sample_weight : array-like, optional
            Survey weights (``control_weight``); normalised to mean 1.
        """
        self._fit(X, y, sample_weight)
        return self

    def _fit(
        self, X: Any, y: Any, sample_weight: npt.ArrayLike | None, *, scores: bool = False
    ) -> FloatArray | None:
        """Fit (as :meth:`fit`); with ``scores``, return the probability of each training row
        as :meth:`predict_proba` gives it (from the bins found while fitting, to the last bit).
        """
        self._validate_params()
        frame = self._frame(X, fitting=True)
        y_arr = _binary_target(y, len(frame))
        self.classes_ = np.unique(y_arr)
        y01 = (y_arr == self.classes_[1]).astype(np.int64)
        weight = _check_sample_weight(sample_weight, frame, dtype=np.float64)
        if weight.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum.")
        weight = weight * (len(weight) / weight.sum())

        self.binning_ = WoEBinning(
            max_prebins=self.max_prebins,
            min_bin_share=self.min_bin_share,
            monotonic_trend=self.monotonic_trend,
            rare_level_share=self.rare_level_share,
            categorical="auto",
        )
        # Each row's bins, found while binning: the regression and the reference points both
        # read them. Kept in the smallest integer type: 20 MB rather than 160 MB at 1M rows x 20.
        found = self.binning_._fit_bins(frame, y01, sample_weight=weight)
        indices = [
            bins.astype(np.min_scalar_type(binning.n_bins - 1))
            for binning, bins in zip(self.binning_.bins_, found, strict=True)
        ]
        del found
        # The WoE design has few distinct rows (tuples of bins): the regression is fitted on
        # them, with the weights of their events and non-events (dmde.model.newton).
        rows = group_rows(
            indices, [np.asarray(b.woe, dtype=np.float64) for b in self.binning_.bins_], y01, weight
        )
        fit = fit_logistic(rows, C=self.C, max_iter=self.max_iter)
        coef, intercept = fit.coef, fit.intercept
        if self.shrinkage != 1.0:
            coef = coef * float(self.shrinkage)
            intercept = refit_intercept(rows, coef, start=fit.intercept)
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.n_iter_ = np.array([fit.n_iter], dtype=np.int32)

        def std_errors() -> None:  # of the fit, then times the shrinkage
            if not _STD_ERRORS.get():  # a model of a cross-validation fold: never published
                self.std_errors_ = np.full(len(coef) + 1, np.nan)
                return
            errors = sandwich_std_errors(rows, fit.intercept, fit.coef, self.C)
            if self.shrinkage != 1.0:
                errors = errors * np.r_[1.0, np.full(len(coef), float(self.shrinkage))]
            self.std_errors_ = errors

        def points() -> FloatArray | None:
            self._set_points(self.binning_.bins_, self.coef_[0], float(self.intercept_[0]))
            return self._reference_points(indices, weight, scores=scores)

        # The standard errors and the points need only the fit: found side by side.
        _, probability = map_in_threads(lambda part: part(), [std_errors, points])
        self.training_ = TrainingSummary(
            rows=len(frame),
            events=int(y01.sum()),
            weighted_base_rate=float(np.average(y01, weights=weight)),
            sum_of_weights=float(_check_sample_weight(sample_weight, frame).sum()),
        )
        return probability

    def _reference_points(
        self, indices: Sequence[npt.NDArray[np.integer]], weight: FloatArray, *, scores: bool
    ) -> FloatArray | None:
        """Set ``reference_points_`` from each training row's bins; with ``scores``, return the
        probability of each row, as :meth:`score_columns` adds the points up."""
        # np.average(points[bins], weights=weight) of each feature, the weights summed once.
        total_weight = weight.sum()
        self.reference_points_ = np.array(
            [
                np.multiply(points[bins], weight).sum() / total_weight
                for bins, points in zip(indices, self.bin_points_, strict=True)
            ]
        )
        if not scores:
            return None
        # Each row's points added up as score_columns adds them (a row of the rows x features
        # contributions at a time), a block of rows at a time: the same sums, in the cache.
        total = np.empty(len(weight), dtype=np.float64)
        block = np.empty((_SCORE_BLOCK, len(indices)), dtype=np.float64)
        for start in range(0, len(weight), _SCORE_BLOCK):
            stop = min(start + _SCORE_BLOCK, len(weight))
            part = block[: stop - start]
            for j, (bins, points) in enumerate(zip(indices, self.bin_points_, strict=True)):
                part[:, j] = points[bins[start:stop]]
            total[start:stop] = part.sum(axis=1)
        total = self.intercept_points_ + total
        return self.scaling_.probability(np.round(total, self.scaling_.decimals) + 0.0)

    def _set_points(
        self, bins: Sequence[FeatureBinning], coef: FloatArray, intercept: float
    ) -> None:
        self.scaling_ = self.scaling or PointsScaling()
        self.intercept_points_ = self.scaling_.intercept_points(intercept)
        self.bin_points_ = tuple(
            self.scaling_.bin_points(float(c), b.woe) for c, b in zip(coef, bins, strict=True)
        )

    def _frame(self, X: Any, *, fitting: bool = False) -> pd.DataFrame:
        """The columns the model reads, as a DataFrame (and nothing else of ``X``).

        Every input that does not match the model (a missing column, an array for a model of
        catalog columns, the wrong number of columns) raises :class:`~dmde.core.errors.SchemaError`,
        which is both a ``DmdeError`` and a ``ValueError``.
        """
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            if fitting:
                policy = self.policy or DEFAULT_POLICY
                wanted = policy.features if self.features is None else self.features
                self.features_ = policy.check(wanted)
                self.catalog_features_ = True
                self.n_features_in_ = len(self.features_)
                self.feature_names_in_ = np.asarray(self.features_, dtype=object)
            elif not self.catalog_features_:
                raise SchemaError(
                    "this Scorecard was fitted on an array without column names; pass an array "
                    "with the same columns, not a DataFrame."
                )
            missing = [c for c in self.features_ if c not in X.columns]
            if missing:
                raise SchemaError(
                    f"the input has no column {', '.join(repr(c) for c in missing)}, which the "
                    f"model reads; it reads {', '.join(self.features_)}."
                )
            return X.loc[:, list(self.features_)]
        if fitting and self.features is not None:
            raise SchemaError(
                "features name catalog columns, so X must be a DataFrame with those columns; "
                f"got a {type(X).__name__}."
            )
        if not fitting and self.catalog_features_:
            raise SchemaError(
                "this Scorecard reads catalog columns by name: pass a DataFrame with the "
                f"columns {', '.join(self.features_)}."
            )
        try:
            array = check_array(X, ensure_all_finite="allow-nan", dtype=np.float64)
        except ValueError as exc:  # scikit-learn's message (shape, non-numeric values)
            raise SchemaError(str(exc)) from exc
        if fitting:
            self.features_ = tuple(f"x{i}" for i in range(array.shape[1]))
            self.catalog_features_ = False
            self.n_features_in_ = array.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif array.shape[1] != self.n_features_in_:
            raise SchemaError(
                f"X has {array.shape[1]} features, but Scorecard is expecting "
                f"{self.n_features_in_} features as input."
            )
        return pd.DataFrame(array, columns=list(self.features_))

    # ---------------------------------------------------------------------------- scoring
    def score_columns(
        self, columns: Mapping[str, Any], n_rows: int, *, reasons: int = 0
    ) -> ScoredColumns:
        """Points, probability and top reasons of rows given as columns by name.

        The one scoring path: :meth:`points`, :meth:`predict_proba`,
        :meth:`decision_function`, :meth:`reason_codes` and batch scoring all go through it.

        Parameters
        ----------
        columns : mapping of str to array-like
            The values of each feature of ``features_`` (numpy arrays of floats with NaN for
            missing values, pandas Series, categoricals); other keys are not read.
        n_rows : int
            The number of rows.
        reasons : int, default 0
            How many reasons to give per row (at most the number of features).

        Returns
        -------
        ScoredColumns
            With ``segment`` None.

        Examples
        --------
        >>> from dmde.data.synthetic import synthesize
        >>> df = synthesize(5_000, seed=1, controls=0, with_truth=True)
        >>> model = Scorecard(features=["income_to_smic", "n_children"])
        >>> model = model.fit(df, df["truth_target"])
        >>> scored = model.score_columns(df, len(df), reasons=1)
        >>> bool((scored.points == model.points(df)).all()), scored.reason_features.shape
        (True, (5000, 1))
        """
        reasons = check_reasons(reasons)
        check_is_fitted(self)
        contributions = self.contributions_of(columns, n_rows)
        total = self.intercept_points_ + contributions.sum(axis=1)
        points = np.round(total, self.scaling_.decimals) + 0.0  # + 0.0: no negative zeros
        probability = self.scaling_.probability(points)
        k = min(reasons, len(self.features_))
        if k:
            contributions -= self.reference_points_  # the excess over the reference, in place
        index, value = top_reasons(contributions, k)
        return ScoredColumns(points, probability, None, index, value)

    def _score(self, X: Any, *, reasons: int = 0) -> ScoredColumns:
        frame = self._frame(X)
        return self.score_columns(
            {name: frame[name] for name in self.features_}, len(frame), reasons=reasons
        )

    def contributions(self, X: Any) -> FloatArray:
        """Points of each feature for each row, shape (n_rows, n_features)."""
        check_is_fitted(self)
        frame = self._frame(X)
        return self.contributions_of({name: frame[name] for name in self.features_}, len(frame))

    def contributions_of(self, columns: Mapping[str, Any], n_rows: int) -> FloatArray:
        """Points of each feature from its values given by name (arrays, Series, categoricals).

        The one place where values become points: :meth:`contributions` and
        :meth:`score_columns` both go through it. Only the columns of ``features_`` are looked
        up.
        """
        check_is_fitted(self)
        out = np.empty((n_rows, len(self.features_)), dtype=np.float64)
        for j, (name, binning, points) in enumerate(
            zip(self.features_, self.binning_.bins_, self.bin_points_, strict=True)
        ):
            out[:, j] = points[binning.assign(columns[name])]
        return out

    def points(self, X: Any) -> FloatArray:
        """The score of each row: intercept points plus the points of its bins (rounded)."""
        check_is_fitted(self)
        return self._score(X).points

    def decision_function(self, X: Any) -> FloatArray:
        """Log-odds of an overpayment, from the points (positive: more likely than not)."""
        check_is_fitted(self)
        return self.scaling_.logit(self._score(X).points)

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability of each class, from the points."""
        check_is_fitted(self)
        p = self._score(X).probability
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The more likely class of each row (rarely useful: files are ranked, not classified)."""
        check_is_fitted(self)
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        """The features the model reads."""
        check_is_fitted(self)
        return np.asarray(self.features_, dtype=object)

    # ---------------------------------------------------------------------------- tables
    def coefficient_table(self) -> pd.DataFrame:
        """Coefficients on the WoE scale with robust standard errors and 95% intervals."""
        check_is_fitted(self)
        coef = np.r_[self.intercept_, self.coef_[0]]
        se = self.std_errors_
        iv = [math.nan, *(b.iv for b in self.binning_.bins_)]
        return pd.DataFrame(
            {
                "term": ["intercept", *self.features_],
                "coefficient": coef,
                "std_error": se,
                "ci_low": coef - Z95 * se,
                "ci_high": coef + Z95 * se,
                "z": np.divide(coef, se, out=np.full_like(coef, np.nan), where=se > 0),
                "iv": iv,
            }
        )

    def points_table(self) -> pd.DataFrame:
        """The published scorecard: one row per bin with its points (plus the intercept)."""
        check_is_fitted(self)
        rows: list[dict[str, Any]] = [
            {
                "feature": "intercept",
                "label": "every file",
                "bin": 0,
                "bin_label": "",
                "points": self.intercept_points_,
                "woe": math.nan,
                "count": math.nan,
                "event_rate": math.nan,
            }
        ]
        for name, binning, points in zip(
            self.features_, self.binning_.bins_, self.bin_points_, strict=True
        ):
            # The count and event rate of binning.table(), without building it.
            for b, label in enumerate(bin_labels(binning)):
                count, events = binning.count[b], binning.events[b]
                rows.append(
                    {
                        "feature": name,
                        "label": _label(name),
                        "bin": b,
                        "bin_label": label,
                        "points": float(points[b]),
                        "woe": binning.woe[b],
                        "count": count,
                        "event_rate": events / count if count > 0 else math.nan,
                    }
                )
        return pd.DataFrame(rows)

    def reason_codes(self, X: Any, *, k: int = 3) -> pd.DataFrame:
        """The features that add the most points above their reference, for each row.

        The reference of a feature is its weighted mean points over the training rows
        (``reference_points_``): a reason is a feature that gives this file more points than it
        gives the average file. Only features above their reference are listed, at most ``k``.

        Returns
        -------
        DataFrame
            One line per (row, rank): ``row`` (0-based position in ``X``), ``rank`` (1 = the
            largest), ``feature``, ``label`` (the catalog's readable label), ``value``,
            ``bin_label``, ``points``, ``reference``, ``above_reference``.
        """
        k = check_reasons(k, name="k", low=1)
        check_is_fitted(self)
        frame = self._frame(X)
        scored = self._score(frame, reasons=k)
        chosen = scored.reason_features.ravel()
        keep = chosen >= 0
        rows = np.repeat(np.arange(len(frame)), scored.k)[keep]
        cols = chosen[keep].astype(np.intp)
        indices = self.binning_.bin_indices(frame)
        values = np.empty(len(rows), dtype=object)
        bin_texts = np.empty(len(rows), dtype=object)
        points = np.empty(len(rows), dtype=np.float64)
        for j in np.unique(cols):
            here = cols == j
            bins = indices[rows[here], j]
            values[here] = frame.iloc[rows[here], j].to_numpy(dtype=object)
            labels = np.asarray(bin_labels(self.binning_.bins_[j]), dtype=object)
            bin_texts[here] = labels[bins]
            points[here] = self.bin_points_[j][bins]
        return pd.DataFrame(
            {
                "row": rows,
                "rank": (np.arange(len(keep)) % max(scored.k, 1) + 1)[keep],
                "feature": [self.features_[c] for c in cols],
                "label": [_label(self.features_[c]) for c in cols],
                "value": values,
                "bin_label": bin_texts,
                "points": points,
                "reference": self.reference_points_[cols],
                "above_reference": scored.reason_points.ravel()[keep],
            }
        )


def _binary_target(y: Any, n_rows: int) -> npt.NDArray[Any]:
    """``y`` as a 1-D array of two classes, or a ValueError saying what is wrong."""
    if y is None:
        raise ValueError("Scorecard requires y to be passed, but the target y is None.")
    y_arr = column_or_1d(y, warn=True)
    if len(y_arr) != n_rows:
        raise ValueError(f"y has {len(y_arr)} values for {n_rows} rows of X.")
    if y_arr.dtype.kind in "fc":
        assert_all_finite(y_arr, input_name="y")
    check_classification_targets(y_arr)  # "Unknown label type: continuous" for amounts
    classes = np.unique(y_arr)
    if len(classes) != 2:
        raise ValueError(
            f"Only binary classification is supported. y has {len(classes)} class"
            f"{'es' if len(classes) != 1 else ''} ({', '.join(map(str, classes[:5]))}): a "
            "scorecard needs a 0/1 target such as 'target', on rows where it is known."
        )
    return np.asarray(y_arr)


def _label(name: str) -> str:
    return CATALOG[name].label if name in CATALOG else name


def bin_labels(binning: FeatureBinning) -> tuple[str, ...]:
    """Readable bin labels of a feature, with the catalog's range for integer features."""
    col = CATALOG.get(binning.name)
    bounds = (None, None) if col is None else (col.minimum, col.maximum)
    return binning.labels(bounds=bounds)
