"""Any fitted scikit-learn classifier in the audit's model analyses, beside dmde's own models.

The proxy and profile analyses (:mod:`dmde.audit.proxies`, :mod:`dmde.audit.profiles`) read a
dmde model through its bins, WoE values and points. A data scientist comparing it with another
model (a gradient-boosting classifier, say) passes that model and its feature columns instead;
this module gives the analyses what they need from it:

- :func:`classifier_features`: the columns the classifier reads (given, or its
  ``feature_names_in_``), checked against the data;
- :func:`probabilities`: its ``predict_proba`` of the event on those columns;
- :func:`feature_bins`: each feature cut as the audit sees a feature without bins of its own:
  a numeric column at its deciles (equal values kept together), a categorical column by level,
  missing values in a bin of their own. The proxy strength regresses the attribute on these
  bins (one-hot), the association measures Cramér's V on them: for dmde's models the same
  analyses use the model's own bins.

A classifier has no points: the score-gap decomposition, which splits a gap in mean score into
the points of each feature, is for dmde's models only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.settings import AuditError
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = [
    "QUANTILE_BINS",
    "classifier_features",
    "feature_bins",
    "is_dmde_model",
    "one_hot",
    "probabilities",
]

#: Bins of a numeric feature of a classifier (its deciles).
QUANTILE_BINS = 10


def is_dmde_model(model: Any) -> bool:
    """Whether ``model`` is a dmde scorecard or family (read by its bins and points)."""
    return isinstance(model, Scorecard | ScorecardFamily)


def classifier_features(
    model: Any, frame: pd.DataFrame, features: Sequence[str] | None
) -> tuple[str, ...]:
    """The columns a classifier reads: ``features``, or else its ``feature_names_in_``.

    Raises
    ------
    AuditError
        If ``model`` has no ``predict_proba``, its columns are unknown, or ``frame`` lacks one.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "z": [1.0, 0.0, 1.0, 0.0]})
    >>> model = LogisticRegression().fit(frame[["x"]], [0, 0, 1, 1])
    >>> classifier_features(model, frame, None)
    ('x',)
    >>> probabilities(model, frame, ["x"]).round(2).tolist()
    [0.19, 0.38, 0.62, 0.81]
    """
    name = type(model).__name__
    if not callable(getattr(model, "predict_proba", None)):
        raise AuditError(
            f"model must be a dmde model or a fitted classifier with predict_proba; got a {name}."
        )
    if features is None:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise AuditError(
                f"the {name} was fitted without column names: pass its feature columns "
                "(features=[...]) in the order it was fitted on."
            )
        features = [str(n) for n in names]
    chosen = tuple(str(f) for f in features)
    if not chosen:
        raise AuditError(f"features is empty: pass the columns the {name} reads.")
    missing = [f for f in chosen if f not in frame.columns]
    if missing:
        raise AuditError(
            f"the data have no column {', '.join(repr(m) for m in missing)}, which the {name} "
            "reads: pass rows holding every feature column."
        )
    return chosen


def probabilities(
    model: Any, frame: pd.DataFrame, features: Sequence[str]
) -> npt.NDArray[np.float64]:
    """The classifier's probability of the event (its second class) for each row."""
    return np.asarray(model.predict_proba(frame.loc[:, list(features)])[:, 1], dtype=np.float64)


def _numeric(column: pd.Series[Any]) -> bool:
    kind = column.dtype
    if isinstance(kind, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(kind):
        return False
    return bool(pd.api.types.is_numeric_dtype(kind))


def _column_bins(column: pd.Series[Any], bins: int) -> npt.NDArray[np.int64]:
    """Each value's bin: deciles of a number, levels of a category; missing last."""
    missing = column.isna().to_numpy()
    if _numeric(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        present = values[~missing]
        inner = np.linspace(0, 1, bins + 1)[1:-1]
        edges = np.unique(np.quantile(present, inner)) if present.size else np.zeros(0)
        codes = np.searchsorted(edges, values, side="right").astype(np.int64)
        codes[missing] = edges.size + 1
        return codes
    text = column.astype(object).where(~missing, None)
    levels = sorted({str(v) for v in text[~missing]})
    position = {level: k for k, level in enumerate(levels)}
    return np.asarray(
        [len(levels) if v is None else position[str(v)] for v in text], dtype=np.int64
    )


def feature_bins(
    frame: pd.DataFrame, features: Sequence[str], *, bins: int = QUANTILE_BINS
) -> npt.NDArray[np.int64]:
    """Each row's bin per feature (see the module docstring), shape (rows, features).

    Examples
    --------
    >>> frame = pd.DataFrame({"income": [0.0, 0.5, 1.0, 2.0, None], "kind": list("abab") + [None]})
    >>> feature_bins(frame, ["income", "kind"], bins=2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]]
    """
    out = np.empty((len(frame), len(features)), dtype=np.int64)
    for j, name in enumerate(features):
        out[:, j] = _column_bins(frame[name], bins)
    return out


def one_hot(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The bins of :func:`feature_bins` as 0/1 columns (a feature's first bin left out).

    Examples
    --------
    >>> one_hot(np.array([[0, 1], [1, 0], [2, 1]])).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    """
    blocks = []
    for j in range(codes.shape[1]):
        levels = np.unique(codes[:, j])[1:]
        blocks.append((codes[:, j][:, None] == levels[None, :]).astype(np.float64))
    return np.hstack(blocks) if blocks else np.zeros((len(codes), 0))
