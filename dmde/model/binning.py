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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from numbers import Integral, Real
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["MISSING_LABEL", "SMOOTHING", "TRENDS", "FeatureBinning", "WoEBinning"]

#: Pseudo-count added to the weighted events and non-events of every non-empty bin.
SMOOTHING = 0.5
#: Label of the missing bin, the last bin of every feature.
MISSING_LABEL = "missing"
#: Allowed values of ``monotonic_trend`` (alone or as the values of a dict).
TRENDS = ("auto", "ascending", "descending", "none")

Kind = Literal["numeric", "categorical"]
Trend = Literal["auto", "ascending", "descending", "none"]
Floats = NDArray[np.float64]
Indices = NDArray[np.intp]
_KINDS = ("numeric", "categorical")
_DICT_KEYS = (
    "name",
    "kind",
    "edges",
    "integer_valued",
    "groups",
    "default_bin",
    "woe",
    "count",
    "events",
)


# --------------------------------------------------------------------------------------------
# One learned binning, as plain data
@dataclass(frozen=True, kw_only=True)
class FeatureBinning:
    """The learned binning of one feature: bins, weighted counts and WoE, as plain data.

    Every field is a Python ``str``, ``bool``, ``int``, ``float`` or a tuple of those, so that
    :meth:`to_dict` is JSON-ready and :meth:`from_dict` rebuilds an equal object. Per-bin tuples
    (``woe``, ``count``, ``events``) have one entry per bin, the last one being the missing bin.

    Parameters
    ----------
    name : str
        Feature name.
    kind : {"numeric", "categorical"}
        How values are assigned to bins.
    edges : tuple of float, default=()
        Numeric only: strictly increasing finite cut points. Bin ``i`` holds
        ``edges[i-1] <= x < edges[i]`` (with ``-inf`` and ``+inf`` at the ends), so there are
        ``len(edges) + 1`` value bins.
    integer_valued : bool, default=False
        Numeric only: every training value was an integer; labels then read in integers.
    groups : tuple of tuple of str, default=()
        Categorical only: the levels of each value bin, as strings.
    default_bin : int, default=0
        Categorical only: the bin of a level not seen in fit (0 for numeric features).
    woe : tuple of float
        Weight of evidence of each bin (positive = riskier than average).
    count : tuple of float
        Weighted number of training rows in each bin (weights normalised to mean 1).
    events : tuple of float
        Weighted number of training events (``y = 1``) in each bin.

    Examples
    --------
    >>> b = FeatureBinning(
    ...     name="n_children", kind="numeric", edges=(0.5, 2.5), integer_valued=True,
    ...     woe=(-0.5, 0.1, 0.7, 0.0), count=(40.0, 40.0, 20.0, 0.0),
    ...     events=(4.0, 8.0, 8.0, 0.0),
    ... )
    >>> b.labels()
    ('0 or less', '1 to 2', '3 or more', 'missing')
    >>> b.assign([0, 2, 7, None]).tolist()
    [0, 1, 2, 3]
    >>> FeatureBinning.from_dict(b.to_dict()) == b
    True
    """

    name: str
    kind: Kind
    edges: tuple[float, ...] = ()
    integer_valued: bool = False
    groups: tuple[tuple[str, ...], ...] = ()
    default_bin: int = 0
    woe: tuple[float, ...]
    count: tuple[float, ...]
    events: tuple[float, ...]

    def __post_init__(self) -> None:
        # Accept numpy scalars and lists, store plain Python values; refuse anything else.
        set_ = object.__setattr__
        set_(self, "edges", _floats(self.edges, "edges"))
        set_(self, "woe", _floats(self.woe, "woe"))
        set_(self, "count", _floats(self.count, "count"))
        set_(self, "events", _floats(self.events, "events"))
        set_(self, "groups", _groups(self.groups))
        set_(self, "integer_valued", _plain(self.integer_valued, bool, "integer_valued"))
        set_(self, "default_bin", _plain(self.default_bin, int, "default_bin"))
        _plain(self.name, str, "name")
        self._check()

    def _check(self) -> None:
        where = f"FeatureBinning {self.name!r}"
        if self.kind not in _KINDS:
            raise ValueError(
                f"{where}: kind must be 'numeric' or 'categorical'; got {self.kind!r}."
            )
        if self.kind == "numeric":
            expected = len(self.edges) + 2
            if self.groups or self.default_bin != 0:
                raise ValueError(f"{where}: a numeric binning has no groups and default_bin 0.")
            if not all(math.isfinite(e) for e in self.edges) or any(
                a >= b for a, b in pairwise(self.edges)
            ):
                raise ValueError(
                    f"{where}: edges must be finite and strictly increasing; got {self.edges}."
                )
        else:
            expected = len(self.groups) + 1
            if self.edges or self.integer_valued:
                raise ValueError(f"{where}: a categorical binning has no edges.")
            levels = [level for group in self.groups for level in group]
            if any(not group for group in self.groups) or len(set(levels)) != len(levels):
                raise ValueError(
                    f"{where}: every group needs at least one level and a level may appear in "
                    f"one group only; got {self.groups}."
                )
            if not 0 <= self.default_bin < expected:
                raise ValueError(
                    f"{where}: default_bin must be a bin index in [0, {expected - 1}]; "
                    f"got {self.default_bin}."
                )
        lengths = {len(self.woe), len(self.count), len(self.events)}
        if lengths != {expected}:
            raise ValueError(
                f"{where}: woe, count and events need one entry per bin ({expected}, the last "
                f"for missing values); got {len(self.woe)}, {len(self.count)}, "
                f"{len(self.events)}."
            )
        for c, e, w in zip(self.count, self.events, self.woe, strict=True):
            if not (math.isfinite(w) and 0 <= e <= c * (1 + 1e-9) and math.isfinite(c)):
                raise ValueError(
                    f"{where}: every bin needs a finite woe and 0 <= events <= count; got "
                    f"woe={w}, count={c}, events={e}."
                )

    # ---- bins
    @property
    def n_bins(self) -> int:
        """Number of bins, the missing bin included."""
        return len(self.woe)

    @property
    def missing_bin(self) -> int:
        """Index of the missing bin (always the last one)."""
        return len(self.woe) - 1

    def assign(self, values: Any) -> Indices:
        """Bin index of each value.

        Parameters
        ----------
        values : array-like of shape (n,)
            A numpy array, a list or a pandas Series (numeric, string, object or categorical
            dtype). NaN, None and ``pd.NA`` go to the missing bin; for a categorical feature, a
            level not seen in fit goes to ``default_bin``; for a numeric feature, ``-inf`` and
            ``+inf`` go to the first and last value bins.

        Returns
        -------
        ndarray of intp, shape (n,)
            Bin indices in ``[0, n_bins)``.

        Examples
        --------
        >>> b = FeatureBinning(
        ...     name="household_type", kind="categorical",
        ...     groups=(("single",), ("couple_no_children", "lone_parent")), default_bin=1,
        ...     woe=(-0.2, 0.3, 0.0), count=(60.0, 40.0, 0.0), events=(6.0, 8.0, 0.0),
        ... )
        >>> b.assign(["single", "lone_parent", "unheard_of", None]).tolist()
        [0, 1, 1, 2]
        """
        series = _series(values, self.name)
        if self.kind == "numeric":
            x = _as_float(series, self.name)
            bins = np.searchsorted(np.asarray(self.edges, dtype=np.float64), x, side="right")
            bins[np.isnan(x)] = self.missing_bin
            return bins.astype(np.intp, copy=False)
        codes, uniques = pd.factorize(series)
        bin_of = {level: i for i, group in enumerate(self.groups) for level in group}
        lookup = np.fromiter(
            (bin_of.get(str(u), self.default_bin) for u in uniques),
            dtype=np.intp,
            count=len(uniques),
        )
        # Code -1 (missing) reads the last entry: the missing bin.
        lookup = np.append(lookup, np.intp(self.missing_bin))
        return lookup[codes]

    def labels(
        self, *, bounds: tuple[float | None, float | None] = (None, None)
    ) -> tuple[str, ...]:
        """Readable label of each bin, the last one being ``"missing"``.

        ``bounds`` are the smallest and largest values the feature can take, when known (the
        catalog's range): integer labels then read ``"0"`` rather than ``"0 or less"``, and
        ``"1"`` rather than ``"1 or more"`` for a flag.

        Examples
        --------
        >>> FeatureBinning(
        ...     name="income_to_smic", kind="numeric", edges=(0.5, 1.2),
        ...     woe=(0.4, 0.0, -0.3, 0.1), count=(30.0, 40.0, 30.0, 5.0),
        ...     events=(6.0, 5.0, 2.0, 1.0),
        ... ).labels()
        ('< 0.5', '0.5 to < 1.2', '>= 1.2', 'missing')
        """
        if self.kind == "categorical":
            values = [", ".join(group) for group in self.groups]
        elif not self.edges:
            values = ["all values"]
        else:
            values = (
                self.integer_valued and _integer_labels(self.edges, bounds)
            ) or _number_labels(self.edges)
        return (*values, MISSING_LABEL)

    # ---- statistics
    @property
    def iv(self) -> float:
        """Information value of the feature (with the smoothed shares, see the module doc)."""
        return math.fsum(_bin_ivs(self.count, self.events, self.woe))

    def table(self) -> pd.DataFrame:
        """One row per bin and a final ``total`` row: the binning as a reader checks it.

        Columns: ``bin`` (index, ``<NA>`` on the total row), ``label``, ``count`` (weighted),
        ``share`` (of all rows, missing included), ``events`` (weighted), ``event_rate``
        (NaN for an empty bin), ``woe`` (NaN on the total row), ``iv`` (the feature's IV on the
        total row).

        Examples
        --------
        >>> b = FeatureBinning(
        ...     name="flag", kind="numeric", edges=(0.5,), integer_valued=True,
        ...     woe=(-0.25, 0.5, 0.0), count=(75.0, 25.0, 0.0), events=(10.0, 8.0, 0.0),
        ... )
        >>> b.table()[["bin", "label", "count", "share", "event_rate"]]
            bin      label  count  share  event_rate
        0     0  0 or less   75.0   0.75    0.133333
        1     1  1 or more   25.0   0.25    0.320000
        2     2    missing    0.0   0.00         NaN
        3  <NA>      total  100.0   1.00    0.180000
        """
        count = np.asarray(self.count)
        events = np.asarray(self.events)
        total = float(count.sum())
        total_events = float(events.sum())
        n = self.n_bins
        share = count / total if total > 0 else np.zeros(n)
        rate = np.divide(events, count, out=np.full(n, np.nan), where=count > 0)
        ivs = _bin_ivs(self.count, self.events, self.woe)
        return pd.DataFrame(
            {
                "bin": pd.array([*range(n), None], dtype="Int64"),
                "label": [*self.labels(), "total"],
                "count": [*count.tolist(), total],
                "share": [*share.tolist(), 1.0 if total > 0 else 0.0],
                "events": [*events.tolist(), total_events],
                "event_rate": [*rate.tolist(), total_events / total if total > 0 else math.nan],
                "woe": [*self.woe, math.nan],
                "iv": [*ivs, math.fsum(ivs)],
            }
        )

    # ---- plain data
    def to_dict(self) -> dict[str, Any]:
        """The binning as a JSON-ready dict (lists, str, bool, int, float); see :meth:`from_dict`.

        Examples
        --------
        >>> import json
        >>> b = FeatureBinning(name="x", kind="numeric", woe=(0.0, 0.0), count=(3.0, 0.0),
        ...                    events=(1.0, 0.0))
        >>> json.dumps(b.to_dict())  # doctest: +NORMALIZE_WHITESPACE
        '{"name": "x", "kind": "numeric", "edges": [], "integer_valued": false, "groups": [],
          "default_bin": 0, "woe": [0.0, 0.0], "count": [3.0, 0.0], "events": [1.0, 0.0]}'
        """
        return {
            "name": self.name,
            "kind": self.kind,
            "edges": list(self.edges),
            "integer_valued": self.integer_valued,
            "groups": [list(group) for group in self.groups],
            "default_bin": self.default_bin,
            "woe": list(self.woe),
            "count": list(self.count),
            "events": list(self.events),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBinning:
        """Rebuild a binning from :meth:`to_dict` output, checking every field.

        Raises
        ------
        ValueError
            A key is missing or unknown, or the values break a rule of the binning (edges not
            increasing, lengths not matching the number of bins, ...).
        TypeError
            A value has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a binning must be a dict; got {type(data).__name__}.")
        missing = [key for key in _DICT_KEYS if key not in data]
        unknown = sorted(str(key) for key in data if key not in _DICT_KEYS)
        if missing or unknown:
            raise ValueError(
                f"binning {data.get('name', '?')!r}: keys must be exactly {list(_DICT_KEYS)}; "
                f"missing {missing}, unknown {unknown}."
            )
        return cls(
            name=data["name"],
            kind=data["kind"],
            edges=data["edges"],
            integer_valued=data["integer_valued"],
            groups=data["groups"],
            default_bin=data["default_bin"],
            woe=data["woe"],
            count=data["count"],
            events=data["events"],
        )


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
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_prebins": [Interval(Integral, 2, None, closed="left")],
        "min_bin_share": [Interval(Real, 0, 0.5, closed="both")],
        "monotonic_trend": [StrOptions(set(TRENDS)), dict],
        "rare_level_share": [Interval(Real, 0, 1, closed="both")],
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
        if not keep.all():
            columns = [_take(col, keep) for col in columns]
            target, weight = target[keep], weight[keep]
        bins: list[FeatureBinning] = []
        for name, kind, trend, col in zip(names, kinds, trends, columns, strict=True):
            if kind == "numeric":
                x = _finite(_as_float(_series(col, name), name), name)
                bins.append(_fit_numeric(name, x, target, weight, trend, self))
            else:
                bins.append(_fit_categorical(name, _series(col, name), target, weight, self))
        self.bins_ = bins
        return self

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
            WoE values, one column per fitted feature (column-major order).
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
                _finite(_as_float(_series(col, binning.name), binning.name), binning.name)
            )
        return binning.assign(col)


# --------------------------------------------------------------------------------------------
# Fitting one column
def _fit_numeric(
    name: str, x: Floats, y: Floats, w: Floats, trend: Trend, params: WoEBinning
) -> FeatureBinning:
    present = ~np.isnan(x)
    wy = w * y
    missing = (float(w[~present].sum()), float(wy[~present].sum()))
    x, w, wy = x[present], w[present], wy[present]
    if x.size == 0:
        return _numeric_binning(name, [], False, [0.0], [0.0], missing)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    values = xs[starts]
    weights = np.add.reduceat(w[order], starts)
    events = np.add.reduceat(wy[order], starts)
    cuts = _prebin_cuts(weights, params.max_prebins)
    bounds = np.r_[0, cuts + 1]
    counts = np.add.reduceat(weights, bounds).tolist()
    bin_events = np.add.reduceat(events, bounds).tolist()
    edges = [_midpoint(float(values[c]), float(values[c + 1])) for c in cuts]
    edges, counts, bin_events = _merge_small(edges, counts, bin_events, params.min_bin_share)
    integer_valued = bool(np.all(values == np.floor(values)))
    if trend == "none":
        return _numeric_binning(name, edges, integer_valued, counts, bin_events, missing)
    best: FeatureBinning | None = None
    for ascending in (True, False):
        if trend == "auto" or (trend == "ascending") == ascending:
            pooled_edges, pooled_counts, pooled_events = _pool(edges, counts, bin_events, ascending)
            binning = _numeric_binning(
                name, pooled_edges, integer_valued, pooled_counts, pooled_events, missing
            )
            if best is None or binning.iv > best.iv:  # ties keep ascending, tried first
                best = binning
    assert best is not None
    return best


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
        woe=_woe(count, event),
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


def _fit_categorical(
    name: str, values: pd.Series[Any], y: Floats, w: Floats, params: WoEBinning
) -> FeatureBinning:
    codes, uniques = pd.factorize(values)
    present = codes >= 0
    wy = w * y
    weights = np.bincount(codes[present], weights=w[present], minlength=len(uniques))
    events = np.bincount(codes[present], weights=wy[present], minlength=len(uniques))
    levels: dict[str, tuple[float, float]] = {}
    for level, c, e in zip(map(str, uniques), weights.tolist(), events.tolist(), strict=True):
        c0, e0 = levels.get(level, (0.0, 0.0))  # levels equal as text are one level
        levels[level] = (c0 + c, e0 + e)
    groups, rare_group = _group_levels(levels, params.rare_level_share, params.min_bin_share)
    if rare_group:
        default = [g[0] for g in groups].index(rare_group)
    elif groups:  # the bin of largest weight, the first one on ties
        default = min(range(len(groups)), key=lambda k: (-groups[k][1], k))
    else:  # no value at all: the only bin is the missing bin
        default = 0
    count = [*(g[1] for g in groups), float(w[~present].sum())]
    event = [*(g[2] for g in groups), float(wy[~present].sum())]
    return FeatureBinning(
        name=name,
        kind="categorical",
        groups=tuple(g[0] for g in groups),
        default_bin=default,
        woe=_woe(count, event),
        count=tuple(count),
        events=tuple(event),
    )


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


# --------------------------------------------------------------------------------------------
# WoE and IV
def _smoothed_shares(
    count: Sequence[float], events: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Event and non-event shares of each bin after adding SMOOTHING to non-empty bins."""
    smoothed_events = [e + SMOOTHING if c > 0 else 0.0 for c, e in zip(count, events, strict=True)]
    smoothed_non = [
        max(c - e, 0.0) + SMOOTHING if c > 0 else 0.0 for c, e in zip(count, events, strict=True)
    ]
    total_events, total_non = math.fsum(smoothed_events), math.fsum(smoothed_non)
    if total_events == 0:
        return [0.0] * len(count), [0.0] * len(count)
    return (
        [e / total_events for e in smoothed_events],
        [n / total_non for n in smoothed_non],
    )


def _woe(count: Sequence[float], events: Sequence[float]) -> tuple[float, ...]:
    event_share, non_share = _smoothed_shares(count, events)
    return tuple(
        math.log(pe / pn) if c > 0 else 0.0
        for c, pe, pn in zip(count, event_share, non_share, strict=True)
    )


def _bin_ivs(count: Sequence[float], events: Sequence[float], woe: Sequence[float]) -> list[float]:
    event_share, non_share = _smoothed_shares(count, events)
    return [(pe - pn) * w for pe, pn, w in zip(event_share, non_share, woe, strict=True)]


# --------------------------------------------------------------------------------------------
# Labels
def _integer_labels(
    edges: tuple[float, ...], bounds: tuple[float | None, float | None] = (None, None)
) -> list[str] | None:
    """Labels in integers ("0 or less", "1 to 2", "3 or more"), or None if a bin has none.

    With known ``bounds`` (smallest, largest possible value) the first bin reads as a range
    ("0", "0 to 2") and a last bin holding only the largest value reads as that value.
    """
    firsts = [math.ceil(e) for e in edges]  # first integer of the bin right of each edge
    if any(high <= low for low, high in pairwise(firsts)):
        return None
    lows: list[int | None] = [None, *firsts]
    highs: list[int | None] = [f - 1 for f in firsts] + [None]
    low_bound, high_bound = (None if b is None else math.ceil(b) for b in bounds)
    if low_bound is not None and low_bound <= firsts[0] - 1:
        lows[0] = low_bound
    if high_bound is not None and high_bound == firsts[-1]:  # a single value, as for a flag
        highs[-1] = high_bound
    return [_integer_range(low, high) for low, high in zip(lows, highs, strict=True)]


def _integer_range(low: int | None, high: int | None) -> str:
    if low is None:
        return f"{high} or less"
    if high is None:
        return f"{low} or more"
    return str(low) if low == high else f"{low} to {high}"


def _number_labels(edges: tuple[float, ...]) -> list[str]:
    texts = [_number(e) for e in edges]
    if len(set(texts)) < len(texts):  # 6 significant digits were not enough to tell them apart
        texts = [np.format_float_positional(e, trim="-") for e in edges]
    middle = [f"{low} to < {high}" for low, high in pairwise(texts)]
    return [f"< {texts[0]}", *middle, f">= {texts[-1]}"]


def _number(value: float) -> str:
    text = f"{value:.6g}"
    return np.format_float_positional(value, trim="-") if "e" in text else text


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


def _series(values: Any, name: str) -> pd.Series[Any]:
    if isinstance(values, pd.Series):
        return values
    if np.ndim(values) != 1:
        raise ValueError(f"values of feature {name!r} must be 1-D; got shape {np.shape(values)}.")
    if isinstance(
        values, np.ndarray | pd.Index | pd.Categorical | pd.api.extensions.ExtensionArray
    ):
        return pd.Series(values, copy=False)
    return pd.Series(list(values), dtype=object if len(values) == 0 else None)


def _as_float(series: pd.Series[Any], name: str) -> Floats:
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"feature {name!r} is numeric but holds a value that is not a number ({exc}); "
            "fix the value, or declare the column categorical."
        ) from exc


def _finite(x: Floats, name: str) -> Floats:
    if np.isinf(x).any():
        raise ValueError(
            f"column {name!r} contains infinity; replace it by a finite value or NaN (missing)."
        )
    return x


def _take(col: Any, keep: NDArray[np.bool_]) -> Any:
    return col[keep] if isinstance(col, np.ndarray) else col.iloc[np.flatnonzero(keep)]


def _floats(values: Any, field: str) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"FeatureBinning.{field} must be a sequence of numbers; got {values!r}.")
    return tuple(_plain(v, float, field) for v in values)


def _groups(values: Any) -> tuple[tuple[str, ...], ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"FeatureBinning.groups must be a sequence of sequences; got {values!r}.")
    groups = []
    for group in values:
        if isinstance(group, str) or not isinstance(group, Sequence):
            raise TypeError(f"each group must be a sequence of str; got {group!r}.")
        groups.append(tuple(_plain(level, str, "groups") for level in group))
    return tuple(groups)


def _plain(value: Any, kind: type[Any], field: str) -> Any:
    """``value`` as the plain Python ``kind`` (numpy scalars accepted), or TypeError."""
    if (
        kind is float
        and isinstance(value, int | float | np.integer | np.floating)
        and not (isinstance(value, bool | np.bool_))
    ):
        return float(value)
    if kind is int and isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    if kind is bool and isinstance(value, bool | np.bool_):
        return bool(value)
    if kind is str and isinstance(value, str):
        return str(value)
    raise TypeError(f"FeatureBinning.{field} needs {kind.__name__} values; got {value!r}.")


def _shorten(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"
