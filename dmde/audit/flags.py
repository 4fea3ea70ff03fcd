"""The flagged differences in plain words, strongest evidence first.

Each flagged comparison becomes one sentence, "<group> <phrase> <reference>" with its ratio, its
95% interval and its adjusted p-value; a ratio below 1 is written with its inverse ("4 times less
often", never "0.25 times as often").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dmde.audit.words import attribute_label, group_label
from dmde.core.rendering import format_value

__all__ = ["PHRASES", "flag_sentences"]

#: How a flag reads, per metric: "<group> <phrase> <reference>".
PHRASES: dict[str, str] = {
    "selection_rate": "are selected for a check {ratio} times as often as",
    "mean_score": "have a mean score {ratio} times that of",
    "mean_probability": "have a mean predicted risk {ratio} times that of",
    "base_rate": "have an overpayment {ratio} times as often as",
    "precision": "when selected, are found with an overpayment {ratio} times as often as",
    "tpr": "when they have an overpayment, are selected {ratio} times as often as",
    "fpr": "when they have no overpayment, are selected {ratio} times as often as",
    "fnr": "when they have an overpayment, are missed {ratio} times as often as",
    "false_positive_burden": "bear {ratio} times as many checks that find nothing as",
    "auc": "are ranked with an AUC {ratio} times that of",
}


def _interval_words(low: float, high: float) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"95% interval {low:.2f} to {high:.2f}"
    if np.isfinite(low):
        return f"95% interval from {low:.2f}, upper bound not estimable"
    return "95% interval not estimable"


def flag_sentences(disparities: pd.DataFrame) -> pd.DataFrame:
    """The flagged disparities, strongest evidence first, each with its ``sentence`` in words."""
    flagged = disparities[disparities["flagged"].astype(bool)].copy()
    flagged = flagged.sort_values(
        ["p_adjusted", "attribute", "group", "metric"], kind="stable"
    ).reset_index(drop=True)
    sentences = []
    row: Any
    for row in flagged.itertuples(index=False):
        phrase = PHRASES.get(str(row.metric), str(row.metric) + " is {ratio} times that of")
        p = format_value(float(row.p_adjusted), "p")
        ratio, low, high = float(row.ratio), float(row.ratio_ci_low), float(row.ratio_ci_high)
        if 0 < ratio < 1 and _LESS.get(phrase, phrase) != phrase:
            # "4 times less often", never "0.25 times as often"
            phrase = _LESS[phrase]
            ratio, low, high = (
                1 / ratio,
                1 / high if high > 0 else np.inf,
                1 / low if low > 0 else np.inf,
            )
        group = group_label(str(row.attribute), str(row.group))
        reference = group_label(str(row.attribute), str(row.reference))
        # The attribute first: its label may hold brackets ("income (relative to the Smic)").
        sentences.append(
            f"By {attribute_label(str(row.attribute))}: files of {group} "
            + phrase.format(ratio=f"{ratio:.2f}")
            + f" files of {reference} ({_interval_words(low, high)}; adjusted p {p})."
        )
    flagged["sentence"] = sentences
    return flagged


#: Each phrase of :data:`PHRASES` for a ratio below 1, written with its inverse.
_LESS = {
    phrase: phrase.replace("times as often as", "times less often than")
    .replace("times as many", "times fewer")
    .replace("checks that find nothing as", "checks that find nothing than")
    for phrase in PHRASES.values()
}
