"""Supervised binning with weight of evidence (WoE): the first stage of a logistic scorecard.

Each feature is cut into a few bins learned from the target, and each bin is replaced by its
weight of evidence. A logistic regression on WoE values gives one coefficient per feature, and
points per bin follow from ``coefficient x WoE``: every point of the score traces back to a bin
that a reader can name ("2 or more children: +14 points").

**Sign convention.** With ``y = 1`` the event (an overpayment found at control)::

    woe = ln( share of events in the bin / share of non-events in the bin )

so a **positive WoE means more risk than average**, a negative WoE less risk, and 0 the average.
This is the opposite of optbinning's default (``ln(non-event share / event share)``); a
coefficient fitted on these WoE values is positive.

**Smoothing.** 0.5 is added to the weighted events and to the weighted non-events of every bin
that holds data, before the shares are taken, so that a bin with no event (or no non-event) still
gets a finite WoE. A bin that holds no data at all gets WoE 0 exactly (the average); this is the
case of the missing bin of a feature that had no missing value in ``fit``. The information value
is ``IV = sum over bins of (event share - non-event share) x woe``, with the same smoothed shares.

**Weights.** Sample weights are normalised to mean 1 over the rows given, so that the 0.5 of
the smoothing weighs half a row whatever the scale of the weights (survey weights run in the
hundreds). Counts and events are sums of these normalised weights: without weights they are row
counts, and with weights they total the number of rows. Multiplying every weight by a constant
changes nothing; integer weights of mean 1 (zeros included) give exactly the binning of the data
with each row repeated that many times. Other integer weights give slightly different WoE than
repetition (and, rarely, another trend under ``"auto"``): the smoothing weighs another share.

**Bins.** A numeric feature is cut at sorted ``edges``; bin ``i`` holds ``edges[i-1] <= x <
edges[i]`` (``np.searchsorted(edges, x, side="right")``). A categorical feature has ``groups`` of
levels; a level never seen in ``fit`` goes to ``default_bin``. Every feature has a final
*missing* bin, index ``n_bins - 1``, for NaN, None and ``pd.NA``. Shares used by the binning
rules (``min_bin_share``, ``rare_level_share``) are shares of the feature's non-missing weight.

The module is policy-agnostic: the model selects the allowed columns before binning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from dmde.data.parameters import Range
from dmde.model.bin_fitting import Trend, fit_categorical, fit_numeric
from dmde.model.bins import (
    MISSING_LABEL,
    SMOOTHING,
    FeatureBinning,
    Floats,
    Indices,
    Kind,
    as_float,
    as_series,
)
from dmde.model.parallel import map_in_threads

__all__ = ["MISSING_LABEL", "SMOOTHING", "TRENDS", "FeatureBinning", "WoEBinning"]

#: Allowed values of ``monotonic_trend`` (alone or as the values of a dict).
TRENDS = ("auto", "ascending", "descending", "none")


# --------------------------------------------------------------------------------------------
# The transformer
class WoEBinning(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Learn a supervised binning of every column and transform values to their WoE.

    Numeric columns: pre-bins (one per distinct value, or weighted quantiles), then bins smaller
    than ``min_bin_share`` merged into their smaller neighbour (smallest first, ties to the
    left), then adjacent bins pooled until the event rate follows ``monotonic_trend``.
    Categorical columns: one bin per level of share at least ``rare_level_share``, rarer levels
    grouped (and that group merged into the bin of closest event rate if it is smaller than
    ``min_bin_share``), bins ordered by event rate then name. Every column has a missing bin.
    See the module docstring for the WoE sign, smoothing and weights. Fitting is deterministic.

    Parameters
    ----------
    max_prebins : int, default=20
        Maximum number of pre-bins of a numeric column (at least 2).
    min_bin_share : float, default=0.05
        Minimum weighted share of a numeric bin, and of the group of rare levels, in
        ``[0, 0.5]``; shares are of the column's non-missing weight.
    monotonic_trend : {"auto", "ascending", "descending", "none"} or dict, default="auto"
        Trend of the event rate across numeric bins. ``"auto"`` fits both directions and keeps
        the one of higher IV (ties: ascending). A dict maps column names to trends; columns
        not in it use ``"auto"``. Categorical columns have no trend.
    rare_level_share : float, default=0.01
        Levels of a categorical column below this weighted share (in ``[0, 1]``) are grouped
        into one bin.
    categorical : "auto" or list of str, default="auto"
        ``"auto"``: DataFrame columns of object, string, category or bool dtype are
        categorical, numeric dtypes numeric; every column of an array is numeric. A list names
        the categorical columns (for arrays, by the names ``x0``, ``x1``, ...).

    Attributes
    ----------
    bins_ : list of FeatureBinning
        The binning of each column, in column order.
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit; set only when ``X`` was a DataFrame with string column
        names. Then ``transform`` reads the columns by name and ignores any other column.

    Examples
    --------
    >>> import pandas as pd
    >>> from dmde.model.binning import WoEBinning
    >>> X = pd.DataFrame({
    ...     "n_children": [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] * 5,
    ...     "housing": ["owner", "tenant"] * 40,
    ... })
    >>> y = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1] * 5
    >>> binning = WoEBinning().fit(X, y)
    >>> binning.bins_[0].labels()
    ('0 or less', '1', '2', '3 or more', 'missing')
    >>> binning.bins_[1].groups
    (('owner',), ('tenant',))
    >>> binning.binning_table("n_children")[["label", "count", "events", "woe", "iv"]].round(3)
           label  count  events    woe     iv
    0  0 or less   20.0     0.0 -3.228  1.222
    1          1   20.0     5.0 -0.551  0.069
    2          2   20.0    10.0  0.486  0.061
    3  3 or more   20.0    15.0  1.522  0.576
    4    missing    0.0     0.0  0.000  0.000
    5      total   80.0    30.0    NaN  1.929
    >>> binning.transform(X.head(2)).round(3)
    array([[-3.228, -0.569],
           [-3.228,  0.498]])

    As any scikit-learn transformer, it gives DataFrames on request (``set_output``), with the
    input's index and :meth:`get_feature_names_out` as columns:

    >>> binning.set_output(transform="pandas").transform(X.tail(2)).round(3)
        n_children  housing
    78       1.522   -0.569
    79       1.522    0.498
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_prebins": [Range(Integral, 2, None, closed="left")],
        "min_bin_share": [Range(Real, 0, 0.5, closed="both")],
        "monotonic_trend": [StrOptions(set(TRENDS)), dict],
        "rare_level_share": [Range(Real, 0, 1, closed="both")],
        "categorical": [StrOptions({"auto"}), list, tuple],
    }

    def __init__(
        self,
        *,
        max_prebins: int = 20,
        min_bin_share: float = 0.05,
        monotonic_trend: str | Mapping[str, str] = "auto",
        rare_level_share: float = 0.01,
        categorical: str | Sequence[str] = "auto",
    ) -> None:
        self.max_prebins = max_prebins
        self.min_bin_share = min_bin_share
        self.monotonic_trend = monotonic_trend
        self.rare_level_share = rare_level_share
        self.categorical = categorical

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True
        # The target is a binary class label. This tag says so to scikit-learn's common checks,
        # which then feed a binary y (as they do for binary-only classifiers).
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    # ---- fit
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """Learn the binning of every column of ``X`` against the binary target ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features; NaN, None and ``pd.NA`` are missing values. Infinite values are refused.
        y : array-like of shape (n_samples,)
            Binary target, 0 or 1 (1 = event).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights with a positive sum, normalised to mean 1 (see the module
            docstring); rows of weight 0 count for nothing.

        Returns
        -------
        self : WoEBinning
            The fitted transformer.
        """
        self._fit_bins(X, y, sample_weight)
        return self

    def _fit_bins(self, X: Any, y: Any, sample_weight: Any = None) -> list[Indices]:
        """Fit (as :meth:`fit`) and return the bin of each row of ``X``, one array per column:
        those :meth:`bin_columns` gives, found while fitting (the values are sorted or hashed
        once, not twice). The columns are fitted side by side in threads
        (:mod:`dmde.model.parallel`): each as it would be alone.
        """
        self._validate_params()
        columns = self._fit_columns(X)
        n_samples = len(columns[0])
        target = _check_target(y, n_samples)
        weight = _check_weight(sample_weight, n_samples)
        names = self._names()
        kinds = self._kinds(X, names)
        trends = self._trends(names, kinds)
        weight = weight / weight.mean()  # counts then total the number of rows
        keep = weight > 0
        fitted = columns
        if not keep.all():
            fitted = [_take(col, keep) for col in columns]
            target, weight = target[keep], weight[keep]
        event_weight = weight * target
        # Whole weights (as without weights) add up exactly in any order: no sort is needed.
        whole = bool(np.all(weight == np.floor(weight)))

        def fit_one(j: int) -> tuple[FeatureBinning, Indices]:
            name, col = names[j], fitted[j]
            if kinds[j] == "numeric":
                return fit_numeric(
                    name,
                    _finite(as_float(as_series(col, name), name), name),
                    weight,
                    event_weight,
                    trends[j],
                    max_prebins=self.max_prebins,
                    min_bin_share=self.min_bin_share,
                    whole_weights=whole,
                )
            return fit_categorical(
                name,
                as_series(col, name),
                weight,
                event_weight,
                rare_level_share=self.rare_level_share,
                min_bin_share=self.min_bin_share,
            )

        results = map_in_threads(fit_one, range(len(names)))
        self.bins_ = [binning for binning, _ in results]
        if keep.all():
            return [bins for _, bins in results]
        # Rows of weight 0 were not fitted on, but have bins.
        return [self._assign(b, col) for b, col in zip(self.bins_, columns, strict=True)]

    def _fit_columns(self, X: Any) -> list[Any]:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X=X, reset=True, skip_check_array=True)
            if X.shape[0] < 1 or X.shape[1] < 1:
                raise ValueError(
                    f"X must have at least 1 sample and 1 feature; got shape {X.shape}."
                )
            return [X.iloc[:, j] for j in range(X.shape[1])]
        textual = self.categorical != "auto" and len(self.categorical) > 0
        array = validate_data(
            self,
            X=X,
            reset=True,
            dtype=None if textual else np.float64,
            ensure_all_finite="allow-nan",
        )
        return [array[:, j] for j in range(array.shape[1])]

    def _names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(name) for name in self.feature_names_in_]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _kinds(self, X: Any, names: list[str]) -> list[Kind]:
        if self.categorical == "auto":
            if isinstance(X, pd.DataFrame):
                return [_kind_of(X.iloc[:, j].dtype, name) for j, name in enumerate(names)]
            return ["numeric"] * len(names)
        listed = list(self.categorical)
        unknown = [c for c in listed if c not in names]
        if unknown:
            raise ValueError(
                f"categorical names columns {unknown} that X does not have; "
                f"X has {_shorten(names)}."
            )
        return ["categorical" if name in listed else "numeric" for name in names]

    def _trends(self, names: list[str], kinds: list[Kind]) -> list[Trend]:
        if isinstance(self.monotonic_trend, str):
            return [_trend(self.monotonic_trend)] * len(names)
        unknown = [key for key in self.monotonic_trend if key not in names]
        if unknown:
            raise ValueError(
                f"monotonic_trend names columns {unknown} that X does not have; "
                f"X has {_shorten(names)}."
            )
        trends: list[Trend] = []
        for name, kind in zip(names, kinds, strict=True):
            trend = self.monotonic_trend.get(name, "auto")
            if trend not in TRENDS:
                raise ValueError(
                    f"monotonic_trend[{name!r}] must be one of {list(TRENDS)}; got {trend!r}."
                )
            if kind == "categorical" and trend in ("ascending", "descending"):
                raise ValueError(
                    f"monotonic_trend[{name!r}] is {trend!r}, but {name!r} is categorical and "
                    "its levels have no order; remove it from monotonic_trend."
                )
            trends.append(_trend(trend))
        return trends

    # ---- transform
    def transform(self, X: Any) -> Floats:
        """Replace every value by the WoE of its bin.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            If fitted on a DataFrame, a DataFrame holding the fitted columns (read by name;
            other columns are ignored); otherwise columns are read by position.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_features_in_)
            WoE values, one column per fitted feature (column-major order); a DataFrame
            (columns :meth:`get_feature_names_out`, the input's index) after
            ``set_output(transform="pandas")``.
        """
        check_is_fitted(self, "bins_")
        columns = self._columns(X)
        # Column-major: each feature is written contiguously (twice as fast on 1M rows).
        out = np.empty((len(columns[0]), len(self.bins_)), dtype=np.float64, order="F")
        for j, (binning, col) in enumerate(zip(self.bins_, columns, strict=True)):
            out[:, j] = np.asarray(binning.woe, dtype=np.float64)[self._assign(binning, col)]
        return out

    def bin_indices(self, X: Any) -> Indices:
        """Bin index of every value, shape (n_samples, n_features_in_); see :meth:`transform`.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [np.nan]] * 4)
        >>> y = np.array([0, 0, 1, 1, 0] * 4)
        >>> WoEBinning(min_bin_share=0.0).fit(X, y).bin_indices([[0.5], [3.0], [np.nan]])
        array([[0],
               [1],
               [2]])
        """
        check_is_fitted(self, "bins_")
        columns = self._columns(X)
        out = np.empty((len(columns[0]), len(self.bins_)), dtype=np.intp, order="F")
        for j, (binning, col) in enumerate(zip(self.bins_, columns, strict=True)):
            out[:, j] = self._assign(binning, col)
        return out

    def bin_columns(self, X: Any) -> Iterator[Indices]:
        """Bin index of every value, one array of shape (n_samples,) per fitted feature.

        The columns of :meth:`bin_indices`, found one at a time as they are read (only one is
        held if the caller keeps none).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [np.nan, 1.0]] * 4)
        >>> y = np.array([0, 1, 0] * 4)
        >>> [b.tolist() for b in WoEBinning(min_bin_share=0.0).fit(X, y).bin_columns(X[:3])]
        [[0, 1, 2], [1, 0, 1]]
        """
        check_is_fitted(self, "bins_")
        columns = self._columns(X)
        return (self._assign(b, col) for b, col in zip(self.bins_, columns, strict=True))

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """Output feature names: the input names (one WoE column per input column)."""
        check_is_fitted(self, "bins_")
        names: NDArray[np.object_] = super().get_feature_names_out(input_features)
        return names

    def binning_table(self, feature: str | int) -> pd.DataFrame:
        """The table of one feature's bins (see :meth:`FeatureBinning.table`).

        Parameters
        ----------
        feature : str or int
            Feature name (``x0``, ``x1``, ... for array input) or position.
        """
        check_is_fitted(self, "bins_")
        names = [b.name for b in self.bins_]
        if isinstance(feature, str) and feature in names:
            return self.bins_[names.index(feature)].table()
        if isinstance(feature, int | np.integer) and 0 <= feature < len(names):
            return self.bins_[int(feature)].table()
        raise ValueError(
            f"feature must be a fitted column name or a position in [0, {len(names) - 1}]; "
            f"got {feature!r}. Fitted columns: {_shorten(names)}."
        )

    def _columns(self, X: Any) -> list[Any]:
        if isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            names = list(self.feature_names_in_)
            missing = [name for name in names if name not in X.columns]
            if missing:
                raise ValueError(
                    f"X lacks column(s) {missing} that WoEBinning was fitted on; pass a "
                    "DataFrame holding every column of feature_names_in_ (other columns are "
                    "ignored)."
                )
            columns = [X[name] for name in names]
            twice = [name for name, col in zip(names, columns, strict=True) if col.ndim != 1]
            if twice:
                raise ValueError(f"X has several columns named {twice}; keep one of each.")
            return columns
        if isinstance(X, pd.DataFrame):
            validate_data(self, X=X, reset=False, skip_check_array=True)
            return [X.iloc[:, j] for j in range(X.shape[1])]
        textual = any(b.kind == "categorical" for b in self.bins_)
        array = validate_data(
            self,
            X=X,
            reset=False,
            dtype=None if textual else np.float64,
            ensure_all_finite="allow-nan",
        )
        return [array[:, j] for j in range(array.shape[1])]

    @staticmethod
    def _assign(binning: FeatureBinning, col: Any) -> Indices:
        if binning.kind == "numeric":
            return binning.assign(
                _finite(as_float(as_series(col, binning.name), binning.name), binning.name)
            )
        return binning.assign(col)


# --------------------------------------------------------------------------------------------
# Input checks and conversions
def _kind_of(dtype: Any, name: str) -> Kind:
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    raise TypeError(
        f"column {name!r} has dtype {dtype}, which is neither numeric nor text; convert it to "
        "a number or a string before binning."
    )


def _trend(value: str) -> Trend:
    for trend in ("auto", "ascending", "descending", "none"):
        if value == trend:
            return trend
    raise ValueError(f"monotonic_trend must be one of {list(TRENDS)}; got {value!r}.")


def _check_target(y: Any, n_samples: int) -> Floats:
    if y is None:
        raise ValueError("WoEBinning requires y to be passed, but the target y is None.")
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"y must be 1-D with one value per row of X ({n_samples}); got shape {values.shape}."
        )
    if values.dtype.kind in "biuf" and ((values == 0) | (values == 1)).all():
        return values.astype(np.float64)  # binary: the check below would find only 0 and 1
    found = pd.unique(pd.Series(values, dtype=object)).tolist()
    binary = values.dtype.kind in "biufO" and all(_is_number(v) and v in (0, 1) for v in found)
    if not binary:
        shown = ", ".join(sorted(map(repr, found))[:10])
        raise ValueError(
            f"y must be binary, 0 or 1 (1 = event); found values {shown}"
            f"{' and more' if len(found) > 10 else ''}. Encode the target as 0/1."
        )
    return values.astype(np.float64)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number | np.bool_)


def _check_weight(sample_weight: Any, n_samples: int) -> Floats:
    if sample_weight is None:
        return np.ones(n_samples)
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must be numbers; got {exc}.") from exc
    if weight.ndim != 1 or len(weight) != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per row of X ({n_samples}); got shape "
            f"{weight.shape}."
        )
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        bad = weight[~(np.isfinite(weight) & (weight >= 0))]
        raise ValueError(
            f"sample_weight must be finite and non-negative; got {bad[:5].tolist()}"
            f"{' and more' if bad.size > 5 else ''}."
        )
    if not weight.sum() > 0:
        raise ValueError(
            "sample_weight is zero for every row: at least one weight must be positive."
        )
    return weight


def _finite(x: Floats, name: str) -> Floats:
    if np.isinf(x).any():
        raise ValueError(
            f"column {name!r} contains infinity; replace it by a finite value or NaN (missing)."
        )
    return x


def _take(col: Any, keep: NDArray[np.bool_]) -> Any:
    return col[keep] if isinstance(col, np.ndarray) else col.iloc[np.flatnonzero(keep)]


def _shorten(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"
