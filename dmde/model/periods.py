"""Two scorecards by period, before and after income pre-filling: :class:`PeriodScorecards`.

Since March 2025 the incomes of RSA and prime d'activité files are pre-filled; the agency
publishes that it runs two logistic models side by side, one for the periods before pre-filling
and one for the periods after, until the "before" model retires in March 2027. A check looks
back up to 24 months, so a file checked between those dates is examined over months of both
periods.

**The period of a labelled row** is that of its snapshot month (``snapshot_month``, the month
the random control was drawn): ``before`` when it comes before the pre-filling month
(:data:`PREFILLING_MONTH`), ``after`` from it on (:func:`row_periods`). In the synthetic panel
the truth reads the month's own columns, so that month's rules made the label.

**The window of a month** (:func:`window_weights`): a check in month ``M`` looks back over the
:data:`WINDOW_MONTHS` months paid before it, ``M - 24`` to ``M - 1`` (a month's benefits are paid
early the next month). Each period's weight is the share of the window's months it covers: a
check in June 2025 looks at 21 months before pre-filling and 3 after (weights 21/24 and 3/24).
From March 2027 the window lies entirely after: the "before" model has weight 0 and is not
evaluated, which is the published retirement date.

**The combination rule** (an assumption: the agency's exact combination is not public): each
item's points, and the starting points, are the month-weighted average of the two models'
published points, ``w_before * points_before + w_after * points_after``, rounded to the
scaling's decimals; the score is their sum. It is the month-weighted average of the two
models' scores up to that rounding, and since both models share one points scaling
(``points = offset + factor * log-odds``) and the weights add up to 1, the month-weighted
average of their log-odds; the probability is read from the score as for any scorecard. The
score stays a sum of points a notice can show exactly. The
alternative ``1 - prod(1 - p_period)`` would treat the periods as independent chances of an
overpayment, while the target is one overpayment of the whole window, and is not a sum of
points.

The per-file routing by ``income_reporting`` (:class:`~dmde.model.family.ScorecardFamily`)
stays what a single snapshot uses.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from dmde.core.errors import DmdeError, ParameterError, SchemaError
from dmde.data.catalog import CATALOG, check_routing_column
from dmde.data.parameters import Range
from dmde.model import display
from dmde.model.family import _columns_read
from dmde.model.logistic import Scorecard, _BinaryWithMissing
from dmde.model.model_file_checks import ModelFileError
from dmde.model.scored import ScoredColumns, check_reasons, subset, top_reasons
from dmde.model.training import NOT_CROSS_VALIDATED, TrainingData, TrainingReport, evaluate

__all__ = [
    "COMBINATION",
    "PERIODS",
    "PERIODS_VERSION",
    "PREFILLING_MONTH",
    "WINDOW_MONTHS",
    "PeriodScorecards",
    "PeriodTraining",
    "PeriodWeights",
    "evaluate_periods",
    "periods_from_record",
    "retirement_month",
    "row_periods",
    "window_weights",
]

FloatArray = npt.NDArray[np.float64]

#: The month income pre-filling was generalised (RSA and prime d'activité).
PREFILLING_MONTH = "2025-03"
#: How many months a check looks back.
WINDOW_MONTHS = 24
#: The two periods, in time order.
PERIODS = ("before", "after")
#: The rule that combines the period models over a window (recorded in the model file).
COMBINATION = "month-weighted log-odds"
#: The version of the model file's ``periods`` block this dmde writes and reads.
PERIODS_VERSION = 1

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def month_number(text: object, *, what: str = "month") -> int:
    """Months since year 0 of a ``YYYY-MM`` text (a SchemaError naming ``what`` otherwise).

    Examples
    --------
    >>> month_number("2025-03") - month_number("2024-03")
    12
    """
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise SchemaError(f"{what} must be a month written YYYY-MM (e.g. 2025-03); got {text!r}.")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_text(number: int) -> str:
    """The ``YYYY-MM`` text of a :func:`month_number`."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


@dataclass(frozen=True)
class PeriodWeights:
    """How a check in ``month`` splits its look-back window between the periods.

    Attributes
    ----------
    month : str
        The month scored (``YYYY-MM``).
    first, last : str
        The window's first and last months (``month - window`` to ``month - 1``).
    months : mapping of str to int
        The window's months in each period (``before``, ``after``), adding up to the window.
    """

    month: str
    first: str
    last: str
    months: Mapping[str, int]

    @property
    def window(self) -> int:
        """The number of months of the window."""
        return sum(self.months.values())

    @property
    def weights(self) -> dict[str, float]:
        """Each period's share of the window's months (adding up to 1)."""
        return {p: n / self.window for p, n in self.months.items()}

    @property
    def label(self) -> str:
        """``before``, ``after``, or ``before 21/24 + after 3/24`` for a window across both."""
        used = [p for p in PERIODS if self.months[p]]
        if len(used) == 1:
            return used[0]
        return " + ".join(f"{p} {self.months[p]}/{self.window}" for p in used)

    def describe(self) -> str:
        """Which model scored which period, in one sentence."""
        parts = [
            f'the "{p}" model for {n} month{"s" if n > 1 else ""} '
            f"({_span(self, p)}, weight {n}/{self.window})"
            for p, n in self.months.items()
            if n
        ]
        return (
            f"{self.month}: a check looks back over {self.first} to {self.last}; scored by "
            + " and ".join(parts)
            + "."
        )


def _span(weights: PeriodWeights, period: str) -> str:
    first, last = month_number(weights.first), month_number(weights.last)
    cut = month_number(weights.month) - weights.months["after"]  # first month after
    low, high = (first, cut - 1) if period == "before" else (cut, last)
    return month_text(low) if low == high else f"{month_text(low)} to {month_text(high)}"


def window_weights(
    month: str, *, reform_month: str = PREFILLING_MONTH, window_months: int = WINDOW_MONTHS
) -> PeriodWeights:
    """The months of a check's look-back window in each period (see the module docstring).

    Examples
    --------
    >>> window_weights("2025-06").months
    {'before': 21, 'after': 3}
    >>> window_weights("2025-03").label, window_weights("2027-03").label
    ('before', 'after')
    >>> window_weights("2026-03").weights
    {'before': 0.5, 'after': 0.5}
    """
    m = month_number(month)
    reform = month_number(reform_month, what="reform_month")
    after = min(window_months, max(0, m - reform))
    return PeriodWeights(
        month=month_text(m),
        first=month_text(m - window_months),
        last=month_text(m - 1),
        months={"before": window_months - after, "after": after},
    )


def row_periods(
    months: npt.ArrayLike | pd.Series, *, reform_month: str = PREFILLING_MONTH
) -> npt.NDArray[np.object_]:
    """The period of each labelled row from its snapshot month: ``before`` or ``after``.

    Examples
    --------
    >>> row_periods(["2025-02", "2025-03", "2026-01"]).tolist()
    ['before', 'after', 'after']
    """
    reform = month_number(reform_month, what="reform_month")
    codes, uniques = _month_codes(months)
    periods = np.asarray(
        ["before" if month_number(u, what="snapshot_month") < reform else "after" for u in uniques],
        dtype=object,
    )
    return np.asarray(periods[codes], dtype=object)


def _month_codes(values: Any) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Each row's month as a code into the distinct months (text); an error if one is missing.

    Hashing, not sorting: a national file's months are read in one pass.
    """
    if not isinstance(values, pd.Series):
        values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        raise SchemaError(
            f"snapshot_month is missing on {int(missing.sum())} rows; a model by period needs "
            "each row's month (YYYY-MM)."
        )
    return np.asarray(codes, dtype=np.intp), [str(u) for u in uniques]


class PeriodScorecards(_BinaryWithMissing, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A "before" and an "after" scorecard, combined over a check's look-back window.

    Each period's scorecard is trained on the labelled rows of its months; a month is scored by
    the month-weighted average of their points (see the module docstring for the rule and its
    assumption).

    Parameters
    ----------
    scorecard : Scorecard, optional
        The template cloned for each period (default: ``Scorecard()``).
    month_column : str, default "snapshot_month"
        The operational column holding each row's month (``YYYY-MM``).
    reform_month : str, default "2025-03"
        The first month after pre-filling (:data:`PREFILLING_MONTH`).
    window_months : int, default 24
        How many months a check looks back (:data:`WINDOW_MONTHS`).
    month : str, optional
        Score every row as of this month (``YYYY-MM``) instead of reading ``month_column``
        (``dmde score --month``); not used in fit.

    Attributes
    ----------
    periods_ : tuple of str
        ``("before", "after")``.
    models_ : dict of str to Scorecard
    features_ : tuple of str
        Every column either scorecard reads, in catalog order.
    trained_months_ : dict of str to tuple of str
        The first and last snapshot month of each period's training rows.

    Examples
    --------
    >>> window_weights("2025-06").describe()  # doctest: +NORMALIZE_WHITESPACE
    '2025-06: a check looks back over 2023-06 to 2025-05; scored by the "before" model for
    21 months (2023-06 to 2025-02, weight 21/24) and the "after" model for 3 months
    (2025-03 to 2025-05, weight 3/24).'
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "scorecard": [Scorecard, None],
        "month_column": [str],
        "reform_month": [str],
        "window_months": [Range(Integral, 1, None, closed="left")],
        "month": [str, None],
    }

    def __init__(
        self,
        *,
        scorecard: Scorecard | None = None,
        month_column: str = "snapshot_month",
        reform_month: str = PREFILLING_MONTH,
        window_months: int = WINDOW_MONTHS,
        month: str | None = None,
    ) -> None:
        self.scorecard = scorecard
        self.month_column = month_column
        self.reform_month = reform_month
        self.window_months = window_months
        self.month = month

    def _check_own_params(self) -> None:
        self._validate_params()
        check_routing_column(self.month_column)
        for name in ("reform_month", "month"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and _MONTH.match(value)):
                raise ParameterError(name, "a month written YYYY-MM (e.g. 2025-03)", value)

    def fit(self, X: pd.DataFrame, y: Any, sample_weight: npt.ArrayLike | None = None) -> Self:
        """Fit the "before" scorecard on the rows of months before ``reform_month``, the
        "after" one on the others.

        Parameters
        ----------
        X : DataFrame
            Catalog columns, ``month_column`` among them (never missing).
        y : array-like of shape (n_samples,)
            Binary target; each period needs both classes.
        sample_weight : array-like, optional
            Survey weights (each period's scorecard normalises its own).

        Returns
        -------
        self : PeriodScorecards

        Raises
        ------
        SchemaError
            If ``X`` has no ``month_column``, or a month is missing or not ``YYYY-MM``.
        DmdeError
            If a period has no rows, or only one class of the target.
        """
        self._check_own_params()
        template = self.scorecard if self.scorecard is not None else Scorecard()
        template._validate_params()
        frame = _require_frame(X, self.month_column)
        period = row_periods(frame[self.month_column], reform_month=self.reform_month)
        codes, uniques = _month_codes(frame[self.month_column])
        y_arr = np.asarray(y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        read = _columns_read(frame, template)
        self.periods_ = PERIODS
        self.models_: dict[str, Scorecard] = {}
        self.trained_months_: dict[str, tuple[str, str]] = {}
        for name in PERIODS:
            rows = period == name
            if len(np.unique(y_arr[rows])) < 2:
                side = "before" if name == "before" else "from"
                raise DmdeError(
                    f'the "{name}" period ({self.month_column} {side} {self.reform_month}) has '
                    f"{int(rows.sum())} labelled rows with {len(np.unique(y_arr[rows]))} class(es) "
                    "of the target: its scorecard needs both. Train on months of both periods "
                    "(e.g. a panel starting before the reform), or train one model."
                )
            model = clone(template)
            self.models_[name] = model.fit(
                frame.loc[rows, read], y_arr[rows], None if weight is None else weight[rows]
            )
            seen = sorted(uniques[c] for c in np.unique(codes[rows]))  # YYYY-MM sorts in time
            self.trained_months_[name] = (seen[0], seen[-1])
        used = {f for m in self.models_.values() for f in m.features_}
        self.features_ = tuple(c for c in CATALOG if c in used)
        self.classes_ = self.models_["after"].classes_
        return self

    # ------------------------------------------------------------------------------ scoring
    def as_of(self, month: str) -> PeriodScorecards:
        """This fitted model, scoring every row as of ``month`` (``YYYY-MM``): a copy sharing
        the fitted scorecards (what ``dmde score --month`` scores with)."""
        check_is_fitted(self)
        if not _is_month(month):
            raise ParameterError("month", "a month written YYYY-MM (e.g. 2026-01)", month)
        out = copy.copy(self)
        out.month = month
        return out

    def weights(self, month: str) -> PeriodWeights:
        """How a check in ``month`` splits its window between the two models."""
        return window_weights(
            month, reform_month=self.reform_month, window_months=self.window_months
        )

    def score_columns(
        self, columns: Mapping[str, Any], n_rows: int, *, reasons: int = 0
    ) -> ScoredColumns:
        """Score rows given as columns: the sum of the month-weighted points (the one scoring
        path of a model by period; see :meth:`weighted_points`).

        ``columns`` holds the features and, unless ``month`` is set, ``month_column``. The
        returned ``segment`` is each row's :attr:`PeriodWeights.label`; the reasons are the
        features whose weighted points are the most above their weighted references.
        """
        reasons = check_reasons(reasons)
        intercept, items, excess, labels = self._weighted(columns, n_rows)
        decimals = self.models_["after"].scaling_.decimals
        score = np.round(intercept + items.sum(axis=1), decimals) + 0.0  # no negative zeros
        probability = self.models_["after"].scaling_.probability(score)
        index, value = top_reasons(excess, min(reasons, len(self.features_)))
        return ScoredColumns(score, probability, labels, index, value)

    def weighted_points(
        self, columns: Mapping[str, Any], n_rows: int
    ) -> tuple[FloatArray, FloatArray]:
        """The points a row's score adds up: starting points and each feature's points.

        Each is the weights' average of the two scorecards' points (the period's share of the
        row's window times the scorecard's published points), rounded to the scaling's
        decimals; a feature a scorecard does not read has 0 points in it. The score is
        ``round(starting + items.sum(axis=1))``: a sum of published points, equal to the
        month-weighted average of the two scorecards' scores (and so of their log-odds) up to
        that rounding. With one period's weight 1, these are that scorecard's own points.

        Returns
        -------
        starting : ndarray of shape (n_rows,)
        items : ndarray of shape (n_rows, len(features_))
        """
        intercept, items, _, _ = self._weighted(columns, n_rows)
        return intercept, items

    def row_weights(self, columns: Mapping[str, Any], n_rows: int) -> dict[str, FloatArray]:
        """Each period's weight in each row's score: its share of the row's window (the
        month of ``month``, or else of the row's ``month_column``); a period weighs 0 in the
        rows its scorecard does not score. The months alone decide: no fit is needed.

        Examples
        --------
        >>> w = PeriodScorecards().row_weights({"snapshot_month": ["2025-06", "2027-03"]}, 2)
        >>> (w["before"] * 24).tolist(), (w["after"] * 24).tolist()
        ([21.0, 0.0], [3.0, 24.0])
        """
        codes, found = self._months_of(columns, n_rows)
        return {
            name: np.asarray([w.weights[name] for w in found], dtype=np.float64)[codes]
            for name in PERIODS
        }

    def _months_of(
        self, columns: Mapping[str, Any], n_rows: int
    ) -> tuple[npt.NDArray[np.intp], list[PeriodWeights]]:
        """Each row's code among the months scored, and each month's weights."""
        if self.month is not None:
            codes, uniques = np.zeros(n_rows, dtype=np.intp), [self.month]
        elif self.month_column in columns:
            codes, uniques = _month_codes(columns[self.month_column])
        else:
            raise SchemaError(
                f"no column {self.month_column!r} to tell the month each row is scored as of; "
                "a model by period needs it (or give the month: dmde score --month YYYY-MM)."
            )
        return codes, [self.weights(u) for u in uniques]

    def _weighted(
        self, columns: Mapping[str, Any], n_rows: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.object_]]:
        check_is_fitted(self)
        codes, found = self._months_of(columns, n_rows)
        shape = (n_rows, len(self.features_))
        intercept = np.zeros(n_rows, dtype=np.float64)
        items, excess = np.zeros(shape, dtype=np.float64), np.zeros(shape, dtype=np.float64)
        position = {f: j for j, f in enumerate(self.features_)}
        decimals = self.models_["after"].scaling_.decimals
        for name in PERIODS:
            weight = np.asarray([w.weights[name] for w in found], dtype=np.float64)[codes]
            rows = np.flatnonzero(weight > 0)
            if rows.size == 0:
                continue  # e.g. from March 2027: the "before" model is not evaluated
            model = self.models_[name]
            whole = rows.size == n_rows
            part = {f: columns[f] if whole else subset(columns[f], rows) for f in model.features_}
            points = model.contributions_of(part, rows.size)
            local = np.ix_(rows, np.asarray([position[f] for f in model.features_], np.intp))
            intercept[rows] += weight[rows] * model.intercept_points_
            items[local] += weight[rows, None] * points
            excess[local] += weight[rows, None] * (points - model.reference_points_)
        intercept = np.round(intercept, decimals) + 0.0
        items = np.round(items, decimals) + 0.0
        labels = np.asarray([w.label for w in found], dtype=object)[codes]
        return intercept, items, excess, labels

    def _score(self, X: pd.DataFrame, *, reasons: int = 0) -> ScoredColumns:
        check_is_fitted(self)
        names = list(self.features_)
        if self.month is None:
            frame = _require_frame(X, self.month_column)
            names.append(self.month_column)
        else:
            frame = _require_frame(X, None)
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"the input has no column {', '.join(repr(c) for c in missing)}, which the "
                f"model reads; it reads {', '.join(names)}."
            )
        return self.score_columns({c: frame[c] for c in names}, len(frame), reasons=reasons)

    def points(self, X: pd.DataFrame) -> FloatArray:
        """Score of each row: the month-weighted points of the two models."""
        return self._score(X).points

    def decision_function(self, X: pd.DataFrame) -> FloatArray:
        """Log-odds of an overpayment, from each row's combined points."""
        return np.asarray(self.models_["after"].scaling_.logit(self.points(X)), dtype=np.float64)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Probability of each class, from each row's combined points."""
        p = self._score(X).probability
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> npt.NDArray[Any]:
        """The more likely class of each row."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])

    def points_table(self) -> pd.DataFrame:
        """Both periods' published scorecards, one after the other, with a ``period`` column."""
        check_is_fitted(self)
        parts = []
        for name in PERIODS:
            table = self.models_[name].points_table()
            table.insert(0, "period", name)
            parts.append(table)
        return pd.concat(parts, ignore_index=True)

    # ----------------------------------------------------------------------- model file
    def periods_record(self) -> dict[str, Any]:
        """The model file's ``periods`` block: the rule, the reform month, the window and
        each period's months (versioned: :data:`PERIODS_VERSION`)."""
        check_is_fitted(self)
        return {
            "version": PERIODS_VERSION,
            "month_column": self.month_column,
            "reform_month": self.reform_month,
            "window_months": int(self.window_months),
            "combination": COMBINATION,
            "retired": {"before": retirement_month(self.reform_month, self.window_months)},
            "trained_months": {p: list(self.trained_months_[p]) for p in PERIODS},
        }


def retirement_month(
    reform_month: str = PREFILLING_MONTH, window_months: int = WINDOW_MONTHS
) -> str:
    """The first month whose window lies entirely after the reform, from which the "before"
    model is no longer used: ``reform_month + window_months``.

    Examples
    --------
    >>> retirement_month()
    '2027-03'
    """
    return month_text(month_number(reform_month, what="reform_month") + int(window_months))


def periods_from_record(
    record: Any,
    models: Mapping[str, Scorecard],
    *,
    routing_column: Any,
    template: Scorecard,
) -> PeriodScorecards:
    """The model of a model file's ``periods`` block and its two scorecards (checked).

    ``routing_column`` is the file's ``routing.column`` (it must be the block's month column);
    ``template`` the scorecard of the file's policy and scaling.
    """

    def fail(field: str, expected: str, got: Any) -> ModelFileError:
        return ModelFileError(f"field periods.{field}: expected {expected}; got {got!r}.")

    if not isinstance(record, dict):
        raise fail("", "an object", record)
    keys = {
        "version",
        "month_column",
        "reform_month",
        "window_months",
        "combination",
        "retired",
        "trained_months",
    }
    if set(record) != keys:
        odd = sorted(set(record) ^ keys)[0]
        raise ModelFileError(
            f"field periods.{odd} is "
            f"{'missing' if odd in keys else 'not a field of a dmde model file'} "
            f"(expected {', '.join(sorted(keys))})."
        )
    if record["version"] != PERIODS_VERSION or isinstance(record["version"], bool):
        raise ModelFileError(
            f"unknown periods version {record['version']!r}: this dmde reads version "
            f"{PERIODS_VERSION}. Use the dmde version that wrote the file, or retrain."
        )
    if record["combination"] != COMBINATION:
        raise fail("combination", repr(COMBINATION), record["combination"])
    if list(models) != list(PERIODS):
        raise ModelFileError(
            f"a model by period has the segments {', '.join(PERIODS)}; got {', '.join(models)}."
        )
    window = record["window_months"]
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise fail("window_months", "an integer of at least 1", window)
    for name in ("month_column", "reform_month"):
        if not isinstance(record[name], str):
            raise fail(name, "text", record[name])
    months = record["trained_months"]
    if not isinstance(months, dict) or list(months) != list(PERIODS):
        raise fail("trained_months", "an object with before and after", months)
    for p in PERIODS:
        pair = months[p]
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_month(v) for v in pair)):
            raise fail(f"trained_months.{p}", "[first, last] months written YYYY-MM", pair)
    if routing_column != record["month_column"]:
        raise fail("month_column", f"the routing column {routing_column!r}", record["month_column"])
    model = PeriodScorecards(
        scorecard=template,
        month_column=record["month_column"],
        reform_month=record["reform_month"],
        window_months=window,
    )
    try:
        model._check_own_params()
    except DmdeError as exc:
        raise ModelFileError(f"field periods: {exc}") from None
    retired = {"before": retirement_month(model.reform_month, model.window_months)}
    if record["retired"] != retired:
        raise fail("retired", repr(retired), record["retired"])
    model.periods_ = PERIODS
    model.models_ = dict(models)
    model.trained_months_ = {p: (months[p][0], months[p][1]) for p in PERIODS}
    used = {f for m in models.values() for f in m.features_}
    model.features_ = tuple(c for c in CATALOG if c in used)
    model.classes_ = models["after"].classes_
    return model


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and _MONTH.match(value) is not None


def _require_frame(X: Any, column: str | None) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise SchemaError(f"a PeriodScorecards needs a DataFrame; got a {type(X).__name__}.")
    if column is not None and column not in X.columns:
        raise SchemaError(
            f"the input has no column {column!r}, which gives each row's month (YYYY-MM); "
            "add it, or score as of one month (month='YYYY-MM', dmde score --month)."
        )
    return X


# ---------------------------------------------------------------------------------- training
@dataclass(frozen=True)
class PeriodTraining:
    """How each period's scorecard fits its own labelled rows (what ``dmde train --by-period``
    prints and the model file records).

    Attributes
    ----------
    reports : mapping of str to TrainingReport
        Per period: rows, events, weighted base rate, AUC on the training rows and
        cross-validated (:func:`dmde.model.training.evaluate` on that period's rows).
    months : mapping of str to (str, str)
        The first and last snapshot month of each period's rows.
    reform_month : str
    window_months : int
    """

    reports: Mapping[str, TrainingReport]
    months: Mapping[str, tuple[str, str]]
    reform_month: str
    window_months: int

    def facts(
        self, *, target: str, data_file: str, data_sha256: str, date: str | None = None
    ) -> dict[str, Any]:
        """The model file's training facts: each period's AUCs (``auc_cv_before``...); no
        pooled AUC, since no single model scores the training rows."""
        out: dict[str, Any] = {
            "target": target,
            "date": date or datetime.date.today().isoformat(),
            "data_file": data_file,
            "data_sha256": data_sha256,
        }
        for p in PERIODS:
            out[f"auc_train_{p}"] = self.reports[p].auc_train
            if _cross_validated(self.reports[p]):
                out[f"auc_cv_{p}"] = self.reports[p].auc_cv
            else:
                out["validation"] = NOT_CROSS_VALIDATED
        return out

    def format(self) -> str:
        """The table of the two periods and what the window rule does with them."""
        lines = [
            "two models by period (income pre-filling from "
            f"{self.reform_month}); each trained on the random controls of its months:",
            f"{'period':<7} {'months':<19} {'rows':>7} {'events':>7} {'base rate':>10} "
            f"{'AUC train':>9} {'AUC cv':>13}",
        ]
        for p in PERIODS:
            r, (first, last) = self.reports[p], self.months[p]
            lines.append(
                f"{p:<7} {first + ' to ' + last:<19} {r.rows:>7,} {r.events:>7,} "
                f"{r.weighted_base_rate:>10.1%} {r.auc_train:>9.3f} "
                + (
                    f"{r.auc_cv:>6.3f} ± {r.auc_cv_error:.3f}"
                    if _cross_validated(r)
                    else f"{'not measured':>13}"
                )
            )
        retired = retirement_month(self.reform_month, self.window_months)
        first_mixed = month_text(month_number(self.reform_month) + 1)
        lines.append(
            f"scoring a month: the {self.window_months} months before it, each item's points "
            f"the average of the two periods' points weighted by their shares of those months "
            f"(rule {COMBINATION!r}, an assumption: the agency's "
            f'combination is not public); the "after" model enters in {first_mixed}, and from '
            f"{retired} it scores alone."
        )
        return "\n".join(lines)


def _cross_validated(report: TrainingReport) -> bool:
    """Whether the report has a cross-validated AUC (``cv=0`` measures none)."""
    return bool(getattr(report, "cross_validated", True))


def evaluate_periods(
    model: PeriodScorecards, data: TrainingData, *, cv: int = 5, seed: int = 0
) -> PeriodTraining:
    """Evaluate each period's scorecard on that period's training rows (see
    :func:`dmde.model.training.evaluate`)."""
    check_is_fitted(model)
    period = row_periods(data.X[model.month_column], reform_month=model.reform_month)
    reports = {}
    for p in PERIODS:
        rows = period == p
        part = TrainingData(
            X=data.X.loc[rows].reset_index(drop=True),
            y=data.y[rows],
            weight=data.weight[rows],
            target=data.target,
        )
        reports[p] = evaluate(model.models_[p], part, cv=cv, seed=seed)
    return PeriodTraining(
        reports=reports,
        months=dict(model.trained_months_),
        reform_month=model.reform_month,
        window_months=int(model.window_months),
    )


# What a notebook shows (dmde.model.display): the window rule, the weights by month and both
# periods' points, in place of scikit-learn's diagram (as for Scorecard and ScorecardFamily).
PeriodScorecards._repr_html_ = display.periods_html
PeriodScorecards._repr_mimebundle_ = display.mimebundle
