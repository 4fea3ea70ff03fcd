"""The learned bins of one feature, as plain data: :class:`FeatureBinning`.

A :class:`FeatureBinning` assigns values to bins, labels them for a reader, tabulates them and
round-trips through JSON; this module also holds the weight-of-evidence and information-value
formulas (with their smoothing). What the bins and the WoE mean, and the sign convention: see
:mod:`dmde.model.binning`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pandas is imported where it is used: scoring a file never imports it
    import pandas as pd

__all__ = [
    "MISSING_LABEL",
    "SMOOTHING",
    "FeatureBinning",
    "as_float",
    "as_series",
    "bin_ivs",
    "woe_values",
]

#: Pseudo-count added to the weighted events and non-events of every non-empty bin.
SMOOTHING = 0.5
#: Label of the missing bin, the last bin of every feature.
MISSING_LABEL = "missing"

Kind = Literal["numeric", "categorical"]
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
        series = as_series(values, self.name)
        if self.kind == "numeric":
            x = as_float(series, self.name)
            bins = np.searchsorted(np.asarray(self.edges, dtype=np.float64), x, side="right")
            bins[np.isnan(x)] = self.missing_bin
            return bins.astype(np.intp, copy=False)
        import pandas as pd

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
        return math.fsum(bin_ivs(self.count, self.events, self.woe))

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
        import pandas as pd

        count = np.asarray(self.count)
        events = np.asarray(self.events)
        total = float(count.sum())
        total_events = float(events.sum())
        n = self.n_bins
        share = count / total if total > 0 else np.zeros(n)
        rate = np.divide(events, count, out=np.full(n, np.nan), where=count > 0)
        ivs = bin_ivs(self.count, self.events, self.woe)
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


def woe_values(count: Sequence[float], events: Sequence[float]) -> tuple[float, ...]:
    event_share, non_share = _smoothed_shares(count, events)
    return tuple(
        math.log(pe / pn) if c > 0 else 0.0
        for c, pe, pn in zip(count, event_share, non_share, strict=True)
    )


def bin_ivs(count: Sequence[float], events: Sequence[float], woe: Sequence[float]) -> list[float]:
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
# Values and fields
def as_series(values: Any, name: str) -> pd.Series[Any]:
    import pandas as pd

    if isinstance(values, pd.Series):
        return values
    if np.ndim(values) != 1:
        raise ValueError(f"values of feature {name!r} must be 1-D; got shape {np.shape(values)}.")
    if isinstance(
        values, np.ndarray | pd.Index | pd.Categorical | pd.api.extensions.ExtensionArray
    ):
        return pd.Series(values, copy=False)
    return pd.Series(list(values), dtype=object if len(values) == 0 else None)


def as_float(series: pd.Series[Any], name: str) -> Floats:
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"feature {name!r} is numeric but holds a value that is not a number ({exc}); "
            "fix the value, or declare the column categorical."
        ) from exc


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
