"""What the group audit measures: its metrics in words, their order, and the columns of its tables.

:data:`METRIC_DEFINITIONS` says each metric in words (the report's definitions table);
:data:`DISPARITY_METRICS` are those compared with the reference group, and
:data:`DISPARITY_COLUMNS` the columns of every comparison row, whichever test made it.
"""

from __future__ import annotations

__all__ = ["DISPARITY_COLUMNS", "DISPARITY_METRICS", "METRIC_DEFINITIONS", "MISSING", "SEPARATOR"]

SEPARATOR = " × "
MISSING = "(missing)"
_UNKNOWN = 2  # label state of a row whose label is NaN
_STATES = 6  # cells per group: selected (2) × label state (0, 1, unknown)

#: Every metric of the audit, in words (the report's definitions table).
METRIC_DEFINITIONS: dict[str, str] = {
    "population_share": "weight of the group / weight of all files",
    "share_among_selected": "weight of the group's selected files / weight of all selected files",
    "selection_rate": "weight of the group's selected files / weight of the group",
    "mean_score": "weighted mean score in the group",
    "mean_probability": "weighted mean predicted probability in the group",
    "base_rate": "weighted share of label 1 among the group's labelled files",
    "precision": "weighted share of label 1 among the group's selected labelled files",
    "tpr": "weighted share selected among the group's files with label 1",
    "fpr": "weighted share selected among the group's files with label 0",
    "fnr": "weighted share not selected among the group's files with label 1 (1 - tpr)",
    "false_positive_burden": (
        "selected files with label 0 per 1,000 files of the group (all files, labelled or not: "
        "selected files of unknown label are not counted)"
    ),
    "calibration_gap": (
        "mean predicted probability - observed rate of label 1, on the group's labelled files"
    ),
    "auc": "within-group AUC of the score on labelled files (NaN if one class)",
}
_BASE_METRICS = (
    "population_share",
    "share_among_selected",
    "selection_rate",
    "mean_score",
    "mean_probability",
)
_LABEL_METRICS = (
    "base_rate",
    "precision",
    "tpr",
    "fpr",
    "fnr",
    "false_positive_burden",
    "calibration_gap",
)
#: Metrics compared with the reference group. The two shares are left out: their ratio measures
#: the size of a group, not how it is treated (selection_rate answers that).
DISPARITY_METRICS = (
    "selection_rate",
    "mean_score",
    "mean_probability",
    *_LABEL_METRICS,
    "auc",
)
#: Compared by difference only: a ratio of two signed gaps means nothing, so never tested.
_UNTESTED = frozenset({"calibration_gap"})
#: The test is on the log ratio when at least this share of resampled ratios is positive.
_LOG_SHARE = 0.95


#: Metrics that are proportions (0 and 1 are empty counts).
_RATES = frozenset({"selection_rate", "base_rate", "precision", "tpr", "fpr", "fnr"})


_NEED_PROBABILITY = ("mean_probability", "calibration_gap")


#: The figures of a comparison, blank when it is suppressed.
_FIGURES = (
    "value",
    "reference_value",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
)


_CALIBRATION_COLUMNS = (
    "attribute",
    "group",
    "decile",
    "n",
    "mean_predicted",
    "observed_rate",
    "observed_low",
    "observed_high",
    "suppressed",
)
DISPARITY_COLUMNS = (
    "attribute",
    "group",
    "reference",
    "metric",
    "value",
    "reference_value",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "p_value",
    "p_percentile",
    "log_se",
    "p_adjusted",
    "tested",
    "suppressed",
    "flag",
    "flagged",
)
