"""Training a model on the random-control sample, and the summary that `dmde train` prints.

The labelled rows are the files checked in the random-control survey (``controlled = 1``), weighted
by their survey weight (``control_weight``) because the survey is stratified. The summary reports
the fit on the training rows and, more honestly, out of fold (stratified k-fold cross-validation of
the whole procedure: binning, regression and points are refitted in each fold).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from dmde.core.errors import DmdeError
from dmde.data.catalog import CATALOG
from dmde.data.parameters import Range, check_parameters
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["TrainingData", "TrainingReport", "evaluate", "training_data", "training_facts"]

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
        raise DmdeError(f"the data have no column {target!r} (the target).")
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
    X = frame.loc[rows].reset_index(drop=True)
    if weighted and not all_rows:
        weight = X["control_weight"].to_numpy(dtype=np.float64)
    else:
        weight = np.ones(len(X))
    y = X[target].to_numpy().astype(np.int64)
    return TrainingData(X=X, y=y, weight=weight, target=target)


@dataclass(frozen=True)
class TrainingReport:
    """What `dmde train` prints: sizes, rates, discrimination in and out of fold."""

    rows: int
    events: int
    weighted_base_rate: float
    auc_train: float
    auc_cv: float
    auc_cv_folds: tuple[float, ...]
    information_values: dict[str, float]

    @property
    def gini_train(self) -> float:
        return 2 * self.auc_train - 1

    @property
    def gini_cv(self) -> float:
        return 2 * self.auc_cv - 1

    def format(self) -> str:
        folds = ", ".join(f"{a:.3f}" for a in self.auc_cv_folds)
        lines = [
            f"rows: {self.rows:,} ({self.events:,} with the target)",
            f"weighted base rate: {self.weighted_base_rate:.2%}",
            f"AUC on the training rows: {self.auc_train:.3f} (Gini {self.gini_train:.3f})",
            f"AUC cross-validated: {self.auc_cv:.3f} (Gini {self.gini_cv:.3f}; folds {folds})",
            "information value by feature:",
        ]
        for name, iv in sorted(self.information_values.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name:<26}{iv:7.3f}")
        return "\n".join(lines)


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
    target, shuffled with ``seed``) and scores the held-out fold.

    Raises
    ------
    ParameterError
        ``cv`` below 2, ``seed`` outside [0, 2**32 - 1], or arguments of the wrong type.
    NotFittedError
        If ``model`` is not fitted.
    """
    check_parameters(
        {
            "model": [Scorecard, ScorecardFamily],
            "data": [TrainingData],
            "cv": [Range(Integral, 2, None, closed="left")],
            "seed": [Range(Integral, 0, 2**32 - 1, closed="both")],
        },
        {"model": model, "data": data, "cv": cv, "seed": seed},
    )
    check_is_fitted(model)
    p_train = model.predict_proba(data.X)[:, 1]
    auc_train = float(roc_auc_score(data.y, p_train, sample_weight=data.weight))
    out_of_fold = np.empty(len(data.y))
    folds: list[float] = []
    splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    for fit_rows, test_rows in splitter.split(data.X, data.y):
        fold = clone(model).fit(
            data.X.iloc[fit_rows], data.y[fit_rows], sample_weight=data.weight[fit_rows]
        )
        out_of_fold[test_rows] = fold.predict_proba(data.X.iloc[test_rows])[:, 1]
        folds.append(
            float(
                roc_auc_score(
                    data.y[test_rows], out_of_fold[test_rows], sample_weight=data.weight[test_rows]
                )
            )
        )
    auc_cv = float(roc_auc_score(data.y, out_of_fold, sample_weight=data.weight))
    return TrainingReport(
        rows=len(data.y),
        events=int(data.y.sum()),
        weighted_base_rate=float(np.average(data.y, weights=data.weight)),
        auc_train=auc_train,
        auc_cv=auc_cv,
        auc_cv_folds=tuple(folds),
        information_values=_information_values(model),
    )


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
    check it is the data the model was trained on. ``date`` defaults to today.
    """
    return {
        "target": data.target,
        "date": date or datetime.date.today().isoformat(),
        "data_file": data_file,
        "data_sha256": data_sha256,
        "auc_train": report.auc_train,
        "auc_cv": report.auc_cv,
    }
