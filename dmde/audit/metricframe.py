"""fairlearn's MetricFrame at run time: extra metrics per group, and the audit as a MetricFrame.

dmde computes its own group metrics (with intervals and tests, :mod:`dmde.audit.metrics`);
fairlearn is what a data scientist already uses for the same point estimates. Two bridges:

- **extra metrics**: :func:`dmde.audit.run.audit` accepts fairlearn-style metric functions
  (``y_true, y_pred -> value``, e.g. ``sklearn.metrics.balanced_accuracy_score``), computed
  per group of every attribute with ``fairlearn.metrics.MetricFrame`` on the labelled files
  (the outcome against the selection by the score) by :func:`extra_metric_table`. They are
  shown beside dmde's metrics (``AuditResult.extra_metrics``, the report's JSON), without
  intervals or tests, so never in the findings;
- **the result as a MetricFrame**: :meth:`dmde.audit.run.AuditResult.to_metricframe` (through
  :func:`metric_frame`) gives dmde's point estimates per group, selection rate and, with
  labels, base rate (the overpayment rate), weighted as in the audit, plus the extra metrics.

fairlearn is imported when one of these is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.bootstrap import group_codes
from dmde.audit.settings import AuditError

__all__ = [
    "MetricFunction",
    "MetricInputs",
    "base_rate",
    "check_metrics",
    "extra_metric_table",
    "metric_frame",
]

#: A fairlearn-style metric: ``(y_true, y_pred) -> value`` (e.g. from ``sklearn.metrics``).
MetricFunction = Callable[[Any, Any], Any]

_TABLE_COLUMNS = ("attribute", "group", "metric", "value", "n", "suppressed")


@dataclass(frozen=True)
class MetricInputs:
    """The rows behind the point estimates, as the audit used them.

    ``label`` is NaN where the outcome is unknown or not used (outside the random sample when
    there is one); ``selection_weight`` weighs the selection rate, ``label_weight`` the base
    rate (None: every file counts 1).
    """

    groups: pd.DataFrame
    selected: npt.NDArray[np.bool_]
    label: npt.NDArray[np.float64] | None
    selection_weight: npt.NDArray[np.float64] | None
    label_weight: npt.NDArray[np.float64] | None
    extra_metrics: Mapping[str, MetricFunction]


def base_rate(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Weighted share of outcome 1 among the labelled rows (NaN outcomes are left out).

    The overpayment rate of a group, as dmde's ``base_rate``; ``y_pred`` is not used (as
    ``y_true`` in fairlearn's ``selection_rate``).

    Examples
    --------
    >>> base_rate(np.array([1.0, 0.0, np.nan, 1.0]), np.zeros(4))
    0.6666666666666666
    """
    truth = np.asarray(y_true, dtype=np.float64)
    known = ~np.isnan(truth)
    if not known.any():
        return float("nan")
    weight = None if sample_weight is None else np.asarray(sample_weight, np.float64)[known]
    return float(np.average(truth[known], weights=weight))


def check_metrics(extra_metrics: Mapping[str, MetricFunction] | None) -> dict[str, MetricFunction]:
    """The extra metrics as a dict, or an :class:`~dmde.audit.settings.AuditError`."""
    if extra_metrics is None:
        return {}
    if not isinstance(extra_metrics, Mapping):
        raise AuditError(
            "extra_metrics must be a dict of name to metric function (y_true, y_pred -> value); "
            f"got {type(extra_metrics).__name__}. Pass e.g. "
            "{'balanced_accuracy': sklearn.metrics.balanced_accuracy_score}."
        )
    for name, function in extra_metrics.items():
        if not isinstance(name, str) or not callable(function):
            raise AuditError(
                f"extra_metrics must map names (str) to functions (y_true, y_pred -> value); "
                f"got {name!r}: {function!r}. Pass e.g. "
                "{'balanced_accuracy': sklearn.metrics.balanced_accuracy_score}."
            )
    return dict(extra_metrics)


def _on_labelled(function: MetricFunction, least: int) -> MetricFunction:
    """The metric on the rows whose outcome is known; NaN with fewer than ``least`` of them."""

    def metric(y_true: Any, y_pred: Any) -> Any:
        truth = np.asarray(y_true, dtype=np.float64)
        known = ~np.isnan(truth)
        if int(known.sum()) < least:
            return float("nan")
        return function(truth[known].astype(np.int64), np.asarray(y_pred)[known])

    return metric


def _named_groups(column: pd.Series[Any]) -> tuple[npt.NDArray[Any], tuple[str, ...]]:
    """Each row's group name (missing values as ``"(missing)"``) and the natural order."""
    codes, names = group_codes(column)
    return np.asarray(names, dtype=object)[codes], names


def extra_metric_table(
    extra_metrics: Mapping[str, MetricFunction],
    *,
    groups: pd.DataFrame,
    selected: npt.NDArray[np.bool_],
    label: npt.NDArray[np.float64],
    min_cell: int,
) -> pd.DataFrame:
    """The extra metrics per group of every attribute, through fairlearn's MetricFrame.

    Each metric is computed on the group's labelled rows (``label`` not NaN), unweighted:
    ``y_true`` the outcome (0/1), ``y_pred`` the selection by the score (0/1). A group with
    fewer than ``min_cell`` labelled rows is suppressed (NaN), as in dmde's own metrics.

    Returns
    -------
    DataFrame
        attribute, group (in the audit's order), metric, value, n (labelled rows), suppressed.
    """
    from fairlearn.metrics import MetricFrame

    known = ~np.isnan(label)
    wrapped = {name: _on_labelled(f, min_cell) for name, f in extra_metrics.items()}
    metric_names = list(extra_metrics)
    parts = []
    for attribute in groups.columns:
        named, order = _named_groups(groups[attribute])
        frame = MetricFrame(
            metrics=wrapped,
            y_true=label,
            y_pred=selected.astype(np.int64),
            sensitive_features=pd.Series(named, name=str(attribute)),
        )
        values = frame.by_group.reindex(list(order))[metric_names].to_numpy(dtype=np.float64)
        counts = pd.Series(named[known]).value_counts().reindex(list(order), fill_value=0)
        n = counts.to_numpy(dtype=np.int64)
        parts.append(
            pd.DataFrame(  # group-major, as dmde's metrics table
                {
                    "attribute": str(attribute),
                    "group": np.repeat(np.asarray(order, dtype=object), len(metric_names)),
                    "metric": np.tile(np.asarray(metric_names, dtype=object), len(order)),
                    "value": values.ravel(),
                    "n": np.repeat(n, len(metric_names)),
                    "suppressed": np.repeat(n < min_cell, len(metric_names)),
                }
            )
        )
    if not parts or not metric_names:
        return pd.DataFrame(columns=list(_TABLE_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def metric_frame(inputs: MetricInputs, attributes: str | Sequence[str] | None = None) -> Any:
    """The audit's point estimates per group as a ``fairlearn.metrics.MetricFrame``.

    Parameters
    ----------
    inputs : MetricInputs
        The rows as the audit used them.
    attributes : str or sequence of str, optional
        The group attribute(s) to use as sensitive features; several give their intersections
        (fairlearn's ``by_group`` with a MultiIndex). Default: every attribute of the audit.

    Returns
    -------
    fairlearn.metrics.MetricFrame
        Metrics ``selection_rate`` (fairlearn's, weighted as the audit's), with labels
        ``base_rate`` (:func:`base_rate`, the overpayment rate) and the extra metrics
        (on the labelled rows, unweighted).
    """
    from fairlearn.metrics import MetricFrame, selection_rate

    names = list(inputs.groups.columns)
    if attributes is None:
        chosen = names
    else:
        chosen = [attributes] if isinstance(attributes, str) else list(attributes)
    unknown = [a for a in chosen if a not in names]
    if unknown or not chosen:
        raise AuditError(
            f"to_metricframe: {', '.join(map(repr, unknown)) or 'no attribute'} is not an "
            f"attribute of the audit; choose among {', '.join(map(str, names))}."
        )
    features = pd.DataFrame({a: _categorical(inputs.groups[a]) for a in chosen})
    n = len(inputs.selected)
    metrics: dict[str, MetricFunction] = {"selection_rate": selection_rate}
    params: dict[str, dict[str, Any]] = {}
    if inputs.selection_weight is not None:
        params["selection_rate"] = {"sample_weight": inputs.selection_weight}
    label = np.full(n, np.nan) if inputs.label is None else inputs.label
    if inputs.label is not None:
        metrics["base_rate"] = base_rate
        if inputs.label_weight is not None:
            params["base_rate"] = {"sample_weight": inputs.label_weight}
        metrics |= {k: _on_labelled(f, 1) for k, f in inputs.extra_metrics.items()}
    return MetricFrame(
        metrics=metrics,
        y_true=label,
        y_pred=inputs.selected.astype(np.int64),
        sensitive_features=features if len(chosen) > 1 else features[chosen[0]],
        sample_params=params or None,
    )


def _categorical(column: pd.Series[Any]) -> pd.Categorical:
    """The groups as a categorical in the audit's order (missing values as a group)."""
    named, order = _named_groups(column)
    return pd.Categorical(named, categories=list(order))
