"""One scorecard per segment of an operational routing column: :class:`ScorecardFamily`.

The 2026 model has one regression for declarative income reporting and one for pre-filled
reporting: the family fits a clone of its template :class:`~dmde.model.scorecard.Scorecard` on
each segment's rows and, when scoring, routes each row to its segment's scorecard
(:meth:`ScorecardFamily.score_columns`). A row whose segment has no scorecard is an error, not a
default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import CATALOG, DEFAULT_POLICY, check_routing_column
from dmde.model.logistic import REASON_COLUMNS, Scorecard, _BinaryWithMissing
from dmde.model.parallel import map_in_threads
from dmde.model.scored import ScoredColumns, check_reasons, subset

__all__ = ["ScorecardFamily", "family_summary"]

FloatArray = npt.NDArray[np.float64]


class ScorecardFamily(_BinaryWithMissing, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """One scorecard per segment of an operational routing column.

    Each segment's scorecard is trained on its own rows; at scoring, each row goes to its
    segment's scorecard. A row whose segment has no scorecard is an error, not a default.

    Parameters
    ----------
    scorecard : Scorecard, optional
        The template cloned for each segment (default: ``Scorecard()``).
    segment_column : str, default "income_reporting"
        An operational catalog column: routing may not use a household's situation, an excluded
        column, nor a column that locates the household such as ``caf_code`` (a geographic
        proxy); see :func:`~dmde.data.catalog.check_routing_column`.

    Attributes
    ----------
    segments_ : tuple of str
        The segments seen in fit, sorted.
    models_ : dict of str to Scorecard
    features_ : tuple of str
        Every column any segment's scorecard reads, in catalog order.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "scorecard": [Scorecard, None],
        "segment_column": [str],
    }

    def __init__(
        self, *, scorecard: Scorecard | None = None, segment_column: str = "income_reporting"
    ) -> None:
        self.scorecard = scorecard
        self.segment_column = segment_column

    def fit(self, X: pd.DataFrame, y: Any, sample_weight: npt.ArrayLike | None = None) -> Self:
        """Fit one scorecard per segment of ``segment_column``.

        Parameters
        ----------
        X : DataFrame
            Catalog columns, ``segment_column`` among them (never missing).
        y : array-like of shape (n_samples,)
            Binary target; each segment needs both classes.
        sample_weight : array-like, optional
            Survey weights, normalised to mean 1 within each segment.

        Returns
        -------
        self : ScorecardFamily
            The fitted family.

        Raises
        ------
        InvalidParameterError
            scikit-learn's, naming a bad parameter of the family or of its template scorecard.
        PolicyError
            If ``segment_column`` is not an operational catalog column, or locates the household.
        SchemaError
            If ``X`` is not a DataFrame with ``segment_column``, or a row has no segment.
        """
        self._fit(X, y, sample_weight)
        return self

    def _fit(
        self, X: pd.DataFrame, y: Any, sample_weight: npt.ArrayLike | None, *, scores: bool = False
    ) -> FloatArray | None:
        """Fit (as :meth:`fit`); with ``scores``, return the probability of each training row
        as :meth:`predict_proba` gives it (see :meth:`Scorecard._fit`)."""
        self._validate_params()
        template = self.scorecard if self.scorecard is not None else Scorecard()
        template._validate_params()  # a bad parameter is said before any segment is fitted
        _check_routing(self.segment_column)
        frame = _require_frame(X, self.segment_column)
        # Each row's segment as a code of its distinct value (not a million strings): the
        # segments are those values as text, values equal as text being one segment.
        column = frame[self.segment_column]
        if isinstance(column.dtype, pd.CategoricalDtype):  # its codes: nothing to hash
            codes = column.cat.codes.to_numpy().astype(np.intp)
            uniques: Any = column.cat.categories
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        if (codes < 0).any():
            raise SchemaError(
                f"{self.segment_column!r} is missing on {int((codes < 0).sum())} rows; "
                "every row needs a segment to be routed."
            )
        names = [str(u) for u in uniques]
        seen = np.bincount(codes, minlength=len(names)) > 0  # a category no row has: no segment
        y_arr = np.asarray(y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        read = _columns_read(frame, template)
        self.segments_ = tuple(sorted({n for n, used in zip(names, seen, strict=True) if used}))
        # Each row's segment, as its index in segments_ (codes equal as text: one segment).
        position = {name: k for k, name in enumerate(self.segments_)}
        segment = np.asarray([position.get(n, -1) for n in names], dtype=np.intp)[codes]
        segment_rows = []
        for k, name in enumerate(self.segments_):
            rows = segment == k
            if not _two_classes(y_arr[rows]):
                raise DmdeError(
                    f"segment {self.segment_column}={name!r} has {int(rows.sum())} rows but only "
                    "one class of the target: a scorecard needs both. Train on more rows or set "
                    "a coarser segment column."
                )
            segment_rows.append(rows)

        def fit_segment(rows: npt.NDArray[np.bool_]) -> tuple[Scorecard, FloatArray | None]:
            model = clone(template)
            fitted = model._fit(
                frame.loc[rows, read],
                y_arr[rows],
                None if weight is None else weight[rows],
                scores=scores,
            )
            return model, fitted

        # The segments are fitted side by side in threads, each as it would be alone.
        fits = map_in_threads(fit_segment, segment_rows)
        self.models_: dict[str, Scorecard] = {
            name: model for name, (model, _) in zip(self.segments_, fits, strict=True)
        }
        probability = np.empty(len(frame), dtype=np.float64) if scores else None
        if probability is not None:
            for rows, (_, fitted) in zip(segment_rows, fits, strict=True):
                probability[rows] = fitted
        used = {f for m in self.models_.values() for f in m.features_}
        self.features_ = tuple(c for c in CATALOG if c in used)
        self.classes_ = next(iter(self.models_.values())).classes_
        return probability

    def score_columns(
        self, columns: Mapping[str, Any], n_rows: int, *, reasons: int = 0
    ) -> ScoredColumns:
        """Route each row to its segment's scorecard and score it there.

        The one scoring path of a family (see :meth:`dmde.model.scorecard.Scorecard.score_columns`).

        Parameters
        ----------
        columns : mapping of str to array-like
            The values of ``segment_column`` and of each feature of ``features_``.
        n_rows : int
            The number of rows.
        reasons : int, default 0
            How many reasons to give per row (at most the family's number of features).

        Returns
        -------
        ScoredColumns
            ``segment`` holds each row's segment; ``reason_features`` index the family's
            ``features_``.

        Raises
        ------
        SchemaError
            If a row's segment has no scorecard (a :class:`~dmde.core.errors.DmdeError`).
        """
        reasons = check_reasons(reasons)
        check_is_fitted(self)
        segment = _segment_values(columns[self.segment_column])
        parts = self._route_values(segment)
        k = min(reasons, len(self.features_))
        points = np.empty(n_rows, dtype=np.float64)
        probability = np.empty(n_rows, dtype=np.float64)
        features = np.full((n_rows, k), -1, dtype=np.int32)
        excess = np.full((n_rows, k), np.nan, dtype=np.float64)
        position = {name: j for j, name in enumerate(self.features_)}
        for name, rows in parts.items():
            if rows.size == 0:
                continue
            model = self.models_[name]
            whole = rows.size == n_rows
            part = {f: columns[f] if whole else subset(columns[f], rows) for f in model.features_}
            scored = model.score_columns(part, rows.size, reasons=k)
            points[rows], probability[rows] = scored.points, scored.probability
            if scored.k:
                local = np.asarray([position[f] for f in model.features_], dtype=np.int32)
                chosen = scored.reason_features
                features[rows, : scored.k] = np.where(chosen >= 0, local[chosen], -1)
                excess[rows, : scored.k] = scored.reason_points
        return ScoredColumns(points, probability, segment, features, excess)

    def _route_values(self, segment: npt.NDArray[np.object_]) -> dict[str, npt.NDArray[np.intp]]:
        """The rows of each segment; an error naming the segments that have no scorecard."""
        unknown = ~np.isin(segment, np.asarray(self.segments_, dtype=object))
        if unknown.any():
            found = sorted({str(v) for v in segment[unknown]})
            raise SchemaError(
                f"{int(unknown.sum())} rows have a {self.segment_column} with no model "
                f"({', '.join(found[:5])}): the model file has models for "
                f"{', '.join(self.segments_)}."
            )
        return {s: np.flatnonzero(segment == s) for s in self.segments_}

    def _route(self, X: pd.DataFrame) -> dict[str, npt.NDArray[np.intp]]:
        check_is_fitted(self)
        frame = _require_frame(X, self.segment_column)
        return self._route_values(_segment_values(frame[self.segment_column]))

    def _score(self, X: pd.DataFrame, *, reasons: int = 0) -> ScoredColumns:
        check_is_fitted(self)
        frame = _require_frame(X, self.segment_column)
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"the input has no column {', '.join(repr(c) for c in missing)}, which the "
                f"model reads; it reads {', '.join(self.features_)}."
            )
        names = [self.segment_column, *self.features_]
        return self.score_columns({c: frame[c] for c in names}, len(frame), reasons=reasons)

    def points(self, X: pd.DataFrame) -> FloatArray:
        """Score of each row, from its segment's scorecard."""
        return self._score(X).points

    def decision_function(self, X: pd.DataFrame) -> FloatArray:
        """Log-odds of an overpayment, from each row's points."""
        check_is_fitted(self)
        scored = self._score(X)
        out = np.empty(len(scored.points), dtype=np.float64)
        for name, rows in self._route_values(_as_objects(scored.segment)).items():
            out[rows] = self.models_[name].scaling_.logit(scored.points[rows])
        return out

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Probability of each class, from each row's points."""
        p = self._score(X).probability
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> npt.NDArray[Any]:
        """The more likely class of each row."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])

    def segment_of(self, X: pd.DataFrame) -> npt.NDArray[np.object_]:
        """The segment each row is routed to (checked)."""
        self._route(X)
        return np.asarray(X[self.segment_column].astype(object).to_numpy(), dtype=object)

    def reason_codes(self, X: pd.DataFrame, *, k: int = 3) -> pd.DataFrame:
        """Reason codes of each row from its segment's scorecard (see Scorecard.reason_codes)."""
        parts = []
        for name, rows in self._route(X).items():
            if rows.size:
                codes = self.models_[name].reason_codes(X.iloc[rows], k=k)
                codes["row"] = rows[codes["row"].to_numpy()]
                parts.append(codes)
        if not parts:
            return pd.DataFrame(columns=list(REASON_COLUMNS))
        return pd.concat(parts).sort_values(["row", "rank"], kind="stable").reset_index(drop=True)

    def points_table(self) -> pd.DataFrame:
        """Every segment's published scorecard, one after the other, with a ``segment`` column."""
        check_is_fitted(self)
        parts = []
        for name in self.segments_:
            table = self.models_[name].points_table()
            table.insert(0, "segment", name)
            parts.append(table)
        return pd.concat(parts, ignore_index=True)


def _two_classes(y: npt.NDArray[Any]) -> bool:
    """Whether ``y`` holds two values or more (``len(np.unique(y)) >= 2``, without sorting
    integers)."""
    if y.dtype.kind in "iub":
        return y.size > 0 and bool((y != y[0]).any())
    return len(np.unique(y)) >= 2


def _check_routing(column: str) -> None:
    """Refuse a routing column the policy does not allow (PolicyError, see the catalog)."""
    check_routing_column(column)


def _segment_values(values: Any) -> npt.NDArray[np.object_]:
    """A routing column as an object array (categoricals and Arrow-made text alike)."""
    if isinstance(values, pd.Series):
        return np.asarray(values.astype(object).to_numpy(), dtype=object)
    return _as_objects(values)


def _as_objects(values: Any) -> npt.NDArray[np.object_]:
    return np.asarray(values, dtype=object)


def _columns_read(frame: pd.DataFrame, template: Scorecard) -> npt.NDArray[np.bool_]:
    """The columns of ``frame`` a scorecard of the template can read (the others are not copied
    to each segment); every column when a name is not text, so that the scorecard sees what it
    was given.
    """
    if not all(isinstance(c, str) for c in frame.columns):
        return np.ones(len(frame.columns), dtype=bool)
    policy = template.policy or DEFAULT_POLICY
    wanted = set(policy.features if template.features is None else template.features)
    return np.asarray(frame.columns.isin(list(wanted)), dtype=bool)


def _require_frame(X: Any, column: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise SchemaError(f"a ScorecardFamily needs a DataFrame; got a {type(X).__name__}.")
    if column not in X.columns:
        raise SchemaError(f"the input has no column {column!r}, which routes rows to their model.")
    return X


def family_summary(models: Mapping[str, Scorecard]) -> dict[str, Any]:
    """Rows, events and weighted base rate of each segment (for reports)."""
    return {name: m.training_.to_dict() for name, m in models.items()}
