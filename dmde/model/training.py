"""Training a model on the random-control sample, and the summary that `dmde train` prints.

The labelled rows are the files checked in the random-control survey (``controlled = 1``), weighted
by their survey weight (``control_weight``) because the survey is stratified. The summary reports
the fit on the training rows and, more honestly, out of fold (stratified k-fold cross-validation of
the whole procedure: binning, regression and points are refitted in each fold). With ``cv=0``
(``dmde train --cv 0``) there is no cross-validation: the summary and the model file's training
facts say that the only AUC is the one on the training rows, which flatters the model.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG, action_of_target
from dmde.data.parameters import Range, bad_parameter, check_parameters
from dmde.model.bin_fitting import _stable_order
from dmde.model.logistic import _without_std_errors
from dmde.model.parallel import map_in_threads
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = [
    "NOT_CROSS_VALIDATED",
    "OVERFIT_GAP",
    "TrainingData",
    "TrainingReport",
    "evaluate",
    "fit_evaluate",
    "format_points",
    "training_data",
    "training_facts",
]

Model = Scorecard | ScorecardFamily


@dataclass(frozen=True)
class TrainingData:
    """The labelled rows a model is trained on."""

    X: pd.DataFrame
    y: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    target: str


def training_data(
    frame: pd.DataFrame, *, target: str = "target", all_rows: bool = False, weighted: bool = True
) -> TrainingData:
    """The checked rows of ``frame`` with their target and survey weights.

    Parameters
    ----------
    frame : DataFrame
        A validated dataset (:func:`dmde.data.datasets.read_dataset`).
    target : str
        A binary label column (``target``; ``truth_target`` for simulations).
    all_rows : bool
        Use every row with a known target, not only ``controlled = 1``.
    weighted : bool
        Weight rows by ``control_weight`` (the survey is stratified); else weight 1.

    Raises
    ------
    ParameterError
        A parameter of the wrong type.
    DmdeError
        ``target`` is not a label column or not in the data, or no row can be trained on.
    """
    check_parameters(
        {
            "frame": [pd.DataFrame],
            "target": [str],
            "all_rows": ["boolean"],
            "weighted": ["boolean"],
        },
        {"frame": frame, "target": target, "all_rows": all_rows, "weighted": weighted},
    )
    if target not in CATALOG or CATALOG[target].family.value != "label":
        raise DmdeError(f"target {target!r} must be a label column such as 'target'.")
    if target not in frame.columns:
        said = f"the data have no column {target!r} (the target)"
        if action_of_target(target) == "outreach":
            raise DmdeError(
                f"{said}. A monthly panel (dmde synth --months) carries the overpayment labels "
                f"only, not the underpayment ones such as {target!r}: train the rights model on "
                "a snapshot written by dmde synth without --months, which has them."
            )
        raise DmdeError(f"{said}.")
    rows = frame[target].notna().to_numpy()
    if not all_rows:
        if "controlled" not in frame.columns:
            raise DmdeError(
                "the data have no column 'controlled': train on the random-control sample, or "
                "pass all_rows (--all-rows) to use every row with a known target."
            )
        rows = rows & (frame["controlled"] == 1).to_numpy()
    if not rows.any():
        raise DmdeError(
            f"no row to train on: no row has a known {target!r}"
            + ("" if all_rows else " and controlled = 1")
            + "."
        )
    # Every row kept (a file of checked rows only): the frame itself, not a copy of it.
    X = (frame if rows.all() else frame.loc[rows]).reset_index(drop=True)
    if weighted and not all_rows:
        weight = X["control_weight"].to_numpy(dtype=np.float64)
    else:
        weight = np.ones(len(X))
    y = X[target].to_numpy().astype(np.int64)
    return TrainingData(X=X, y=y, weight=weight, target=target)


#: The training fact ``validation`` of a model trained without cross-validation (``cv=0``).
NOT_CROSS_VALIDATED = (
    "none: auc_train is measured on the rows the model was fitted on, not cross-validated "
    "(trained with cv 0); it overstates how well the model ranks files it has not seen"
)

#: The smallest gap between the AUC on the training rows and the cross-validated AUC that
#: :attr:`TrainingReport.overfitting` calls overfitting, whatever the folds' spread. The default
#: scorecard family trained on a survey of 5,000 to 7,500 checked files (350 to 600 with the
#: target) is optimistic in sample by 0.05 to 0.08 (measured on synthetic populations): the
#: cross-validated figure is the one to quote, and no warning is due. On 1,000 to 2,000 checked
#: files the gap is 0.15 to 0.28, which is what the warning is for.
OVERFIT_GAP = 0.10


@dataclass(frozen=True)
class TrainingReport:
    """What `dmde train` prints: sizes, rates, discrimination in and out of fold, and whether
    the model fits its training rows much better than rows it has not seen.

    Without cross-validation (``cv=0``) ``auc_cv`` is NaN and ``auc_cv_folds`` empty
    (:attr:`cross_validated` is False): no overfitting verdict can be given.
    """

    rows: int
    events: int
    weighted_base_rate: float
    auc_train: float
    auc_cv: float
    auc_cv_folds: tuple[float, ...]
    information_values: dict[str, float]
    #: The family's routing column and the levels the catalog declares for it that have no
    #: scorecard (no training row had them): scoring rejects those rows (rule ``no_model``).
    segment_column: str = ""
    missing_segments: tuple[str, ...] = ()

    @property
    def cross_validated(self) -> bool:
        """Whether the AUC was also measured out of fold (False with ``cv=0``)."""
        return bool(self.auc_cv_folds)

    @property
    def gini_train(self) -> float:
        return 2 * self.auc_train - 1

    @property
    def gini_cv(self) -> float:
        return 2 * self.auc_cv - 1

    @property
    def auc_cv_error(self) -> float:
        """Standard error of the cross-validated AUC: the folds' standard deviation over the
        square root of their number (0 with fewer than two folds)."""
        folds = np.asarray(self.auc_cv_folds, dtype=float)
        if folds.size < 2:
            return 0.0
        return float(folds.std(ddof=1) / np.sqrt(folds.size))

    @property
    def overfit_margin(self) -> float:
        """The gap allowed between the AUC on the training rows and the cross-validated AUC:
        :data:`OVERFIT_GAP`, or twice :attr:`auc_cv_error` if larger."""
        return max(OVERFIT_GAP, 2 * self.auc_cv_error)

    @property
    def overfitting(self) -> bool:
        """Whether the AUC on the training rows exceeds the cross-validated AUC by more than
        :attr:`overfit_margin`: the model has learnt its training rows, not the risk.

        Examples
        --------
        >>> report = TrainingReport(1_000, 48, 0.05, 0.825, 0.675, (0.70, 0.64, 0.69), {})
        >>> report.overfitting, round(report.overfit_margin, 3)
        (True, 0.1)
        """
        if not self.cross_validated:
            return False  # nothing to compare with
        return round(self.auc_train - self.auc_cv, 9) > self.overfit_margin  # 0.8 - 0.7: 0.1

    def warnings(self) -> list[str]:
        """The report's warnings, one line each (empty when there is nothing to warn of)."""
        said = self._missing_segment_warnings()
        if not self.overfitting:
            return said
        gap, margin = self.auc_train - self.auc_cv, self.overfit_margin
        return [
            *said,
            f"WARNING: overfitting: AUC {self.auc_train:.3f} on the training rows but "
            f"{self.auc_cv:.3f} cross-validated (gap {gap:.3f}, more than the {margin:.3f} "
            f"allowed by the folds' spread); the points follow noise of these {self.rows:,} rows "
            f"({self.events:,} with the target). Use fewer bins (--max-prebins), a larger "
            "--min-bin-share, or more labelled rows.",
        ]

    def _missing_segment_warnings(self) -> list[str]:
        if not self.missing_segments:
            return []
        missing = ", ".join(repr(s) for s in self.missing_segments)
        plural = "s" if len(self.missing_segments) > 1 else ""
        return [
            f"WARNING: no scorecard for {self.segment_column} {missing}: the catalog declares "
            f"the value{plural} but no training row has {'them' if plural else 'it'}, so "
            f"'dmde score' will reject every row with {'them' if plural else 'it'} (rule "
            "no_model). Train on rows of every mode (for 'prefilled', snapshot months from "
            "2025-03 on), or train one scorecard for all rows with --single."
        ]

    def format(self) -> str:
        folds = ", ".join(f"{a:.3f}" for a in self.auc_cv_folds)
        out_of_fold = (
            f"AUC cross-validated: {self.auc_cv:.3f} ± {self.auc_cv_error:.3f} "
            f"(Gini {self.gini_cv:.3f}; folds {folds})"
            if self.cross_validated
            else "AUC cross-validated: not measured (no cross-validation, cv 0): the AUC above "
            "is on the rows the model was fitted on, and overstates how well it ranks files it "
            "has not seen."
        )
        lines = [
            f"rows: {self.rows:,} ({self.events:,} with the target)",
            f"weighted base rate: {self.weighted_base_rate:.2%}",
            f"AUC on the training rows: {self.auc_train:.3f} (Gini {self.gini_train:.3f})",
            out_of_fold,
            *self.warnings(),
            "information value by feature:",
        ]
        for name, iv in sorted(self.information_values.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name:<26}{iv:7.3f}")
        return "\n".join(lines)


def format_points(model: Model, *, head: int = 12) -> str:
    """The first ``head`` rows of each segment's points table, in readable numbers.

    Points are shown with the model's own rounding (the scaling's ``decimals``), weights of
    evidence with 2 decimals, and each bin's share of the training weight and its event rate as
    percentages; what has no value (the intercept's bin) is blank.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> frame = synthesize(4_000, seed=3, controls=2_000)
    >>> rows = frame[frame["controlled"] == 1]
    >>> model = Scorecard(features=["n_children"]).fit(rows, rows["target"])
    >>> print(format_points(model, head=3))  # doctest: +NORMALIZE_WHITESPACE
    points (first 3 rows; the full table is in the model file):
       feature bin bin_label points   woe share event rate
     intercept               513.18
    n_children   0         0  -7.98 -0.30 44.1%       5.8%
    n_children   1         1   0.59  0.02 12.3%       7.7%
    """
    check_is_fitted(model)
    models = model.models_ if isinstance(model, ScorecardFamily) else {"": model}
    blocks = []
    for name, scorecard in models.items():
        segment = f", segment {name}" if name else ""
        title = f"points{segment} (first {head} rows; the full table is in the model file):"
        table = _readable_points(scorecard.points_table(), scorecard.scaling_.decimals)
        blocks.append(title + "\n" + table.head(head).to_string(index=False))
    return "\n\n".join(blocks)


def _readable_points(table: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """A points table as text: points as the model rounds them, WoE 2 decimals, % shares."""
    totals = table.groupby("feature", sort=False)["count"].transform("sum")
    share = table["count"] / totals.where(totals > 0)
    intercept = table["feature"] == "intercept"

    def shown(values: pd.Series, form: str) -> list[str]:
        return ["" if pd.isna(v) else format(v, form) for v in values]

    return pd.DataFrame(
        {
            "feature": table["feature"],
            "bin": ["" if i else str(b) for b, i in zip(table["bin"], intercept, strict=True)],
            "bin_label": table["bin_label"],
            "points": shown(table["points"] + 0.0, f".{decimals}f"),
            "woe": shown(table["woe"] + 0.0, ".2f"),
            "share": shown(share, ".1%"),
            "event rate": shown(table["event_rate"], ".1%"),
        }
    )


def _information_values(model: Model) -> dict[str, float]:
    models = model.models_.values() if isinstance(model, ScorecardFamily) else [model]
    best: dict[str, float] = {}
    for m in models:
        for name, b in zip(m.features_, m.binning_.bins_, strict=True):
            best[name] = max(best.get(name, 0.0), float(b.iv))
    return best


def evaluate(model: Model, data: TrainingData, *, cv: int = 5, seed: int = 0) -> TrainingReport:
    """Weighted AUC of a fitted ``model`` on its training rows, and out of fold.

    The cross-validation refits a clone of ``model`` on each training fold (stratified by the
    target, shuffled with ``seed``) and scores the held-out fold; the folds are fitted side by
    side in threads (:mod:`dmde.model.parallel`), each as it would be alone. ``cv=0``: no
    cross-validation (the report's ``auc_cv`` is NaN, :attr:`TrainingReport.cross_validated`
    False).

    Raises
    ------
    ParameterError
        ``cv`` 1 or negative, ``seed`` outside [0, 2**32 - 1], or arguments of the wrong type.
    NotFittedError
        If ``model`` is not fitted.
    """
    _check_evaluation(model, data, cv, seed)
    check_is_fitted(model)
    p_train = model.predict_proba(_columns_read(model, data.X))[:, 1]
    return _report(model, data, p_train, cv=cv, seed=seed)


def fit_evaluate(model: Model, data: TrainingData, *, cv: int = 5, seed: int = 0) -> TrainingReport:
    """Fit ``model`` on ``data`` and evaluate it: ``model.fit(data.X, data.y,
    sample_weight=data.weight)`` then :func:`evaluate`, the same model and the same report.

    The AUC on the training rows is computed from the probabilities the fit finds for its own
    rows (from the bins it has just learnt), not by scoring the rows again: the same floats.

    Raises
    ------
    ParameterError
        As :func:`evaluate`, before anything is fitted.

    Examples
    --------
    >>> from dmde.data.synthetic import synthesize
    >>> frame = synthesize(4_000, seed=3, controls=2_000)
    >>> data = training_data(frame)
    >>> model = Scorecard(features=["n_children", "income_to_smic"])
    >>> report = fit_evaluate(model, data, cv=0)
    >>> report.auc_train == evaluate(model, data, cv=0).auc_train
    True
    """
    _check_evaluation(model, data, cv, seed)
    p_train = model._fit(data.X, data.y, data.weight, scores=True)
    assert p_train is not None
    return _report(model, data, p_train, cv=cv, seed=seed)


def _check_evaluation(model: Model, data: TrainingData, cv: int, seed: int) -> None:
    check_parameters(
        {
            "model": [Scorecard, ScorecardFamily],
            "data": [TrainingData],
            "cv": [Range(Integral, 0, None, closed="left")],
            "seed": [Range(Integral, 0, 2**32 - 1, closed="both")],
        },
        {"model": model, "data": data, "cv": cv, "seed": seed},
    )
    if cv == 1:
        raise bad_parameter(
            "cv", "0 (no cross-validation) or an int in the range [2, inf)", cv, _CV_FIX
        )


def _report(
    model: Model, data: TrainingData, p_train: npt.NDArray[np.float64], *, cv: int, seed: int
) -> TrainingReport:
    """The report of a fitted ``model`` whose probabilities of the training rows are
    ``p_train``: the cross-validation (if ``cv``) refits clones of it."""
    auc_train = _weighted_auc(data.y, p_train, data.weight)
    folds: list[float] = []
    auc_cv = math.nan
    if cv:
        out_of_fold = _out_of_fold(model, data, cv=cv, seed=seed)
        probability = np.empty(len(data.y))
        for test_rows, p in out_of_fold:
            probability[test_rows] = p
            folds.append(_weighted_auc(data.y[test_rows], p, data.weight[test_rows]))
        auc_cv = _weighted_auc(data.y, probability, data.weight)
    return TrainingReport(
        rows=len(data.y),
        events=int(data.y.sum()),
        weighted_base_rate=float(np.average(data.y, weights=data.weight)),
        auc_train=auc_train,
        auc_cv=auc_cv,
        auc_cv_folds=tuple(folds),
        information_values=_information_values(model),
        **_missing_segments(model),
    )


def _out_of_fold(
    model: Model, data: TrainingData, *, cv: int, seed: int
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
    """Each fold's held-out rows and their probabilities from a clone of ``model`` fitted on
    the other rows, the folds fitted side by side in threads."""
    from sklearn.base import clone  # the folds' imports: not needed without them
    from sklearn.model_selection import StratifiedKFold

    X = _columns_read(model, data.X)  # each fold copies these columns only
    splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)

    def fold(rows: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]) -> npt.NDArray[np.float64]:
        fit_rows, test_rows = rows
        fitted = clone(model).fit(
            X.iloc[fit_rows], data.y[fit_rows], sample_weight=data.weight[fit_rows]
        )
        return np.asarray(fitted.predict_proba(X.iloc[test_rows])[:, 1])

    splits = list(splitter.split(X, data.y))
    # The folds' models are only scored: no standard errors (the same scores, faster).
    with _without_std_errors():
        probabilities = map_in_threads(fold, splits)
    return [(test, p) for (_, test), p in zip(splits, probabilities, strict=True)]


def _missing_segments(model: Model) -> dict[str, Any]:
    """A family's routing column and the levels the catalog declares that it has no scorecard
    for (empty for a single scorecard, or a column without declared levels)."""
    if not isinstance(model, ScorecardFamily):
        return {}
    column = model.segment_column
    declared = CATALOG[column].levels if column in CATALOG else ()
    missing = tuple(str(v) for v in declared or () if str(v) not in model.segments_)
    return {"segment_column": column, "missing_segments": missing}


_CV_FIX = "Give 0 to skip the cross-validation, or 2 folds or more (5 is usual)."


def _weighted_auc(
    y: npt.NDArray[np.integer] | npt.NDArray[np.float64],
    score: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
) -> float:
    """``roc_auc_score(y, score, sample_weight=weight)`` for a 0/1 ``y``: the same float.

    The same operations as scikit-learn's (rows of weight 0 left out; the rows sorted by
    decreasing score, ties in row order; cumulated weights of events and non-events at each
    distinct score; the points of the ROC curve that are collinear with their neighbours
    dropped; the trapezoids summed), without its checks of the inputs, and the sort done as
    :func:`~dmde.model.bin_fitting._stable_order` does (a column of few distinct values, such
    as probabilities of rounded points, by the rank of its values): a stable sort has one
    result. A ``y`` of one class is left to scikit-learn (NaN, with its warning).
    """
    keep = weight != 0
    if not keep.all():
        y, score, weight = y[keep], score[keep], weight[keep]
    order = _stable_order(-score)  # decreasing, ties in row order
    s = score[order]
    event = (y[order] == 1).astype(np.float64)
    w = weight[order]
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1] if s.size else np.zeros(0, np.intp)
    tps = np.cumsum(event * w, dtype=np.float64)[ends]
    fps = np.cumsum((1 - event) * w, dtype=np.float64)[ends]
    if tps.size == 0 or not tps[-1] > 0 or not fps[-1] > 0:
        from sklearn.metrics import roc_auc_score  # NaN and its warning: imported only then

        return float(roc_auc_score(y, score, sample_weight=weight))
    if fps.shape[0] > 2:
        corners = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[corners], tps[corners]
    fpr = np.r_[0.0, fps] / fps[-1]
    tpr = np.r_[0.0, tps] / tps[-1]
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2.0, dtype=np.float64))


def _columns_read(model: Model, X: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``X`` that ``model`` (or a clone fitted on rows of ``X``) reads: a
    scorecard its features, a family its routing column too. ``X`` itself when the model reads
    columns by position (fitted on anonymous columns) or a name is not text.

    A clone reads the same columns as the model: they follow from its parameters (features and
    policy), not from the rows it is fitted on.
    """
    if not all(isinstance(c, str) for c in X.columns):
        return X
    if isinstance(model, ScorecardFamily):
        names = [model.segment_column, *model.features_]
    elif model.catalog_features_:
        names = list(model.features_)
    else:
        return X
    return X.loc[:, names]


def training_facts(
    report: TrainingReport,
    data: TrainingData,
    *,
    data_file: str,
    data_sha256: str,
    date: str | None = None,
) -> dict[str, Any]:
    """What the model file records about its training (``save_model(..., training=...)``).

    ``data_sha256`` is the hash of the training rows as read
    (:func:`dmde.model.model_file.frame_sha256` of ``data.X``), so a reviewer holding the data can
    check it is the data the model was trained on. ``date`` defaults to today. A model trained
    without cross-validation has no ``auc_cv`` but a ``validation`` fact that says so
    (:data:`NOT_CROSS_VALIDATED`).
    """
    facts: dict[str, Any] = {
        "target": data.target,
        "date": date or datetime.date.today().isoformat(),
        "data_file": data_file,
        "data_sha256": data_sha256,
        "auc_train": report.auc_train,
    }
    if report.cross_validated:
        facts["auc_cv"] = report.auc_cv
    else:
        facts["validation"] = NOT_CROSS_VALIDATED
    return facts
