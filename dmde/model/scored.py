"""The result of scoring columns, and the one rule that picks a row's top reasons.

Every score dmde computes goes through :meth:`Scorecard.score_columns
<dmde.model.scorecard.Scorecard.score_columns>` (or the family's): batch scoring, ``points``,
``predict_proba``, ``decision_function`` and the reason codes. This module holds what they share:
the :class:`ScoredColumns` they return, and :func:`top_reasons`, the only place where the
features that add the most points above their reference are chosen (ties go to the feature that
comes first in the model's ``features_``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import numpy.typing as npt

from dmde.data.parameters import Range, check_parameters

__all__ = ["ScoredColumns", "check_reasons", "subset", "top_reasons"]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class ScoredColumns:
    """Scores of ``n`` rows from one model, with their top ``k`` reasons.

    Attributes
    ----------
    points : ndarray of float64, shape (n,)
        The score: intercept points plus the points of each feature's bin, rounded to the
        scaling's decimals (never a negative zero).
    probability : ndarray of float64, shape (n,)
        The probability of an overpayment at that score (from the rounded points).
    segment : ndarray of object, shape (n,), or None
        The segment each row was routed to (a :class:`~dmde.model.scorecard.ScorecardFamily`);
        None for a single scorecard.
    reason_features : ndarray of int32, shape (n, k)
        Indices into the model's ``features_`` of the features that give the row the most points
        above their reference, largest first (ties: the first feature); -1 where fewer than
        ``k`` features are above their reference. ``k = min(reasons, len(features_))``.
    reason_points : ndarray of float64, shape (n, k)
        The points above the reference of those features (not rounded); NaN where -1.
    """

    points: FloatArray
    probability: FloatArray
    segment: npt.NDArray[np.object_] | None
    reason_features: IndexArray
    reason_points: FloatArray

    @property
    def k(self) -> int:
        """The number of reason columns."""
        return int(self.reason_features.shape[1])


def check_reasons(reasons: object, *, name: str = "reasons", low: int = 0) -> int:
    """``reasons`` as an int of at least ``low``, or a ParameterError naming ``name``."""
    check_parameters({name: [Range(Integral, low, None, closed="left")]}, {name: reasons})
    return int(reasons)  # type: ignore[call-overload,no-any-return]


def top_reasons(excess: FloatArray, k: int) -> tuple[IndexArray, FloatArray]:
    """The ``k`` largest positive values of each row of ``excess``: their columns and values.

    Ties go to the column that comes first (``argmax`` returns the first maximum, as a stable
    sort would). ``k`` passes of argmax are cheaper than sorting every row. Columns whose value
    is not above 0 are given as -1 (value NaN). ``excess`` is used as scratch space: its chosen
    entries are set to -inf.

    Examples
    --------
    >>> index, value = top_reasons(np.array([[1.0, 3.0, 3.0, -2.0]]), 3)
    >>> index.tolist(), value.tolist()
    ([[1, 2, 0]], [[3.0, 3.0, 1.0]])
    >>> top_reasons(np.array([[0.0, -1.0]]), 2)[0].tolist()
    [[-1, -1]]
    """
    n = len(excess)
    rows = np.arange(n)
    index = np.empty((n, k), dtype=np.int32)
    value = np.empty((n, k), dtype=np.float64)
    for r in range(k):
        best = np.argmax(excess, axis=1)
        index[:, r] = best
        value[:, r] = excess[rows, best]
        excess[rows, best] = -np.inf
    below = ~(value > 0)
    index[below] = -1
    value[below] = np.nan
    return index, value


def subset(values: Any, rows: npt.NDArray[np.intp]) -> Any:
    """The ``rows`` of one column (numpy array, pandas Series or anything array-like)."""
    pandas = sys.modules.get("pandas")  # a pandas object exists only if pandas was imported
    if pandas is not None:
        if isinstance(values, pandas.Series):
            return values.iloc[rows]
        if isinstance(values, pandas.api.extensions.ExtensionArray):
            return values[rows]
    return np.asarray(values)[rows]
