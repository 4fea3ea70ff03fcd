"""What a notice says about one file, as data: its items, points, placement and changes.

:func:`dmde.documents.explain.explain` builds an :class:`Explanation`;
:func:`dmde.documents.notice.notice` renders it. Nothing here computes: these are the frozen
records both sides share, and :class:`ExplainError`, the error of every step of a notice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from dmde.core.errors import DmdeError
from dmde.core.rendering import Lang
from dmde.data.catalog import Column
from dmde.model.periods import PeriodScorecards
from dmde.model.scaling import PointsScaling
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = [
    "Change",
    "Counterfactual",
    "ExplainError",
    "Explanation",
    "FeatureLine",
    "Placement",
    "Reason",
]

Model = Scorecard | ScorecardFamily | PeriodScorecards
Value = str | int | float | None


class ExplainError(DmdeError, ValueError):
    """A notice that cannot be produced: unknown file id, invalid row, mismatched selection."""


def plain_value(value: Any, col: Column) -> Value:
    """A cell as the plain Python value a notice records (None when missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if col.dtype in ("category", "string"):
        return str(value)
    number = float(value)
    if col.dtype in ("int", "flag") and number.is_integer():
        return int(number)
    return number


@dataclass(frozen=True)
class FeatureLine:
    """One item the model reads: the person's value, its bin and its points.

    ``points`` is what the model file gives the bin; ``average_points`` the model's reference
    (its weighted mean points over the training rows) rounded like the points, and
    ``difference`` their difference.
    """

    column: str
    value: Value
    bin: int
    bin_label_fr: str
    bin_label_en: str
    points: float
    average_points: float
    difference: float

    def bin_label(self, lang: Lang) -> str:
        """The bin in words, in ``lang``."""
        return self.bin_label_fr if lang == "fr" else self.bin_label_en


@dataclass(frozen=True)
class Reason:
    """An item that gives the file more points than the average file (reason code)."""

    column: str
    points: float
    average_points: float
    excess: float


@dataclass(frozen=True)
class Placement:
    """Where the file stands in a selection.

    ``cut`` is the lowest score among the files selected by score in the file's group
    (``group_column`` = ``group``; the whole selection when ``group_column`` is None), or None
    if no file of the group was selected by score.
    """

    selected: bool
    reason: str | None
    rank_national: int | None
    rank_in_group: int | None
    group_column: str | None
    group: str | None
    cut: float | None
    n_files: int | None = None
    group_files: int | None = None


@dataclass(frozen=True)
class Change:
    """One feature moved to another bin; ``derived`` if it follows another change."""

    column: str
    old_value: Value
    new_value: Value
    old_bin: int
    new_bin: int
    new_bin_label_fr: str
    new_bin_label_en: str
    derived: bool = False

    def new_bin_label(self, lang: Lang) -> str:
        return self.new_bin_label_fr if lang == "fr" else self.new_bin_label_en


@dataclass(frozen=True)
class Counterfactual:
    """Changes of one or two features, and the score the model gives the changed file."""

    changes: tuple[Change, ...]
    score: float
    probability: float

    @property
    def columns(self) -> tuple[str, ...]:
        """The features changed on purpose (derived changes left out)."""
        return tuple(c.column for c in self.changes if not c.derived)


CounterfactualStatus = Literal[
    "found", "none_found", "no_selection", "not_selected", "random", "no_cut"
]


@dataclass(frozen=True)
class Explanation:
    """Everything a notice says about one file, computed from the model that scored it.

    The points add up: ``round(intercept_points + sum of the features' points, decimals)``
    equals ``score``, which is what the model's ``points`` gives the row.
    """

    dossier_id: int
    model_sha256: str | None
    segment_column: str | None
    segment: str | None
    values: Mapping[str, Value]
    features: tuple[FeatureLine, ...]
    intercept_points: float
    score: float
    probability: float
    scaling: PointsScaling
    reasons: tuple[Reason, ...]
    placement: Placement | None
    counterfactuals: tuple[Counterfactual, ...]
    counterfactual_status: CounterfactualStatus
    unused_features: tuple[str, ...]
    row: int | None = None
    excluded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: For a model by period (:mod:`dmde.model.periods`): the month scored, the window, the
    #: months and weight of each period's scorecard and its own score; None otherwise.
    periods: Mapping[str, Any] | None = None
    #: What the selection was made for (the selection manifest's action): "check" or "outreach";
    #: None without a selection, or for one trusted without its manifest.
    action: str | None = None
    #: For an outreach selection: whether files chosen for a check were left out of it.
    overlap_removed: bool | None = None

    @property
    def decimals(self) -> int:
        """Decimals of the published points."""
        return self.scaling.decimals

    @property
    def items_points(self) -> float:
        """The sum of the features' points, rounded like the score."""
        return round(math.fsum(f.points for f in self.features), self.decimals) + 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready raw values (the ``data`` of the notice's JSON); ``periods`` only for a
        model by period."""
        out = self._to_dict()
        if self.periods is not None:
            out["periods"] = dict(self.periods)
        return out

    def _to_dict(self) -> dict[str, Any]:
        return {
            "dossier_id": self.dossier_id,
            "row": self.row,
            "model_sha256": self.model_sha256,
            "segment_column": self.segment_column,
            "segment": self.segment,
            "values": dict(self.values),
            "intercept_points": self.intercept_points,
            "features": [
                {
                    "column": f.column,
                    "value": f.value,
                    "bin": f.bin,
                    "bin_label": f.bin_label_en,
                    "points": f.points,
                    "average_points": f.average_points,
                    "difference": f.difference,
                }
                for f in self.features
            ],
            "score": self.score,
            "probability": self.probability,
            "scaling": self.scaling.to_dict(),
            "reasons": [r.__dict__ for r in self.reasons],
            "placement": None if self.placement is None else dict(self.placement.__dict__),
            "counterfactual_status": self.counterfactual_status,
            "counterfactuals": [
                {
                    "changes": [
                        {
                            "column": c.column,
                            "old_value": c.old_value,
                            "new_value": c.new_value,
                            "old_bin": c.old_bin,
                            "new_bin": c.new_bin,
                            "derived": c.derived,
                        }
                        for c in cf.changes
                    ],
                    "score": cf.score,
                    "probability": cf.probability,
                }
                for cf in self.counterfactuals
            ],
            "unused_features": list(self.unused_features),
            "excluded": {k: list(v) for k, v in self.excluded.items()},
        }
