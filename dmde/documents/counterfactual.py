"""The smallest changes of a situation that would have brought a file's score below the cut.

A counterfactual changes only features a person's situation can change (:data:`CHANGEABLE`),
one at a time, then two at a time, moves each to another of its bins, applies the rule of the
features that follow it (:data:`DERIVED`), and re-scores every changed file through the model
that scored. Every feature a policy admits is declared in exactly one of :data:`CHANGEABLE`,
:data:`DERIVED` and :data:`UNCHANGEABLE` (a test checks it); :data:`FIXED_LEVELS` are never
moved to or from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dmde.data.catalog import CATALOG, Column
from dmde.documents.explanation import (
    Change,
    Counterfactual,
    CounterfactualStatus,
    Model,
    Placement,
    Value,
    plain_value,
)
from dmde.documents.value_words import bin_text
from dmde.model.binning import FeatureBinning
from dmde.model.scorecard import Scorecard

__all__ = [
    "CHANGEABLE",
    "DERIVED",
    "FIXED_LEVELS",
    "MAX_COUNTERFACTUALS",
    "UNCHANGEABLE",
    "find_counterfactuals",
]

#: At most this many counterfactual changes are reported.
MAX_COUNTERFACTUALS = 3


#: Features a person's situation can actually change, and why.
CHANGEABLE: Mapping[str, str] = {
    # Income from work or other resources can rise or fall.
    "income_to_smic": "income can rise or fall (work, hours, other resources)",
    # How regular incomes are over the year changes with the kind of work.
    "income_volatility": "how regular incomes are changes with the kind of work",
    # The holder can take up, change or stop an activity (not retire: see FIXED_LEVELS).
    "activity_holder": "the holder can take up, change or stop an activity",
    # The partner's activity, when there is a partner (having one is not changed).
    "activity_partner": "the partner can take up, change or stop an activity",
}

#: Features that follow another one when it changes, and the rule (never changed on their own).
DERIVED: Mapping[str, str] = {
    # zero_income is 1 exactly when income_to_smic is 0 (the synthetic world and the catalog).
    "zero_income": "income_to_smic",
}

#: Features never changed by a counterfactual, and why (they cannot, or should not, change).
UNCHANGEABLE: Mapping[str, str] = {
    # Family composition: nobody should be led to change their family to avoid a check.
    "household_type": "the composition of the family",
    "n_children": "the number of children",
    "child_over_19": "the age of a child",
    # The children's activity is their own choice, not the person's.
    "children_activity": "the children's own activity",
    # A legal protection measure decided by a judge.
    "guardianship": "a legal protection measure decided by a judge",
    # Past events and facts of the last 12 or 24 months cannot be undone.
    "separation_12m": "a past event",
    "alimony_24m": "a fact of the last 24 months",
    # Benefit amounts follow from the person's rights: giving up a right is no change to suggest.
    "mean_total_12m": "benefits paid according to the person's rights",
    "mean_af_12m": "benefits paid according to the person's rights",
    "mean_cf_12m": "benefits paid according to the person's rights",
    "mean_prime_activite_12m": "benefits paid according to the person's rights",
    "mean_rsa_12m": "benefits paid according to the person's rights",
    "mean_housing_aid_12m": "benefits paid according to the person's rights",
    # A disability allowance follows from a disability.
    "mean_aah_12m": "a disability",
    # Time since the file was opened.
    "months_on_file": "the age of the file",
}

#: Levels a change never goes to or from (the feature is then left as it is).
FIXED_LEVELS: Mapping[str, tuple[str, ...]] = {
    # Retirement depends on age and career, not on a choice.
    "activity_holder": ("retired",),
    # Having a partner or not is a family matter; retirement as above.
    "activity_partner": ("no_partner", "retired"),
}


@dataclass(frozen=True)
class _Move:
    column: str
    value: Value
    bin: int
    drop: float  # points lost by the move (positive)


def find_counterfactuals(
    model: Model,
    scorecard: Scorecard,
    frame: pd.DataFrame,
    score: float,
    placement: Placement | None,
) -> tuple[CounterfactualStatus, tuple[Counterfactual, ...]]:
    if placement is None:
        return "no_selection", ()
    if not placement.selected:
        return "not_selected", ()
    if placement.reason == "random":
        return "random", ()
    if placement.cut is None:  # pragma: no cover - a file selected by score sets its group's cut
        return "no_cut", ()
    found = _counterfactuals(model, scorecard, frame, cut=placement.cut)
    return ("found" if found else "none_found"), found


def _counterfactuals(
    model: Model, scorecard: Scorecard, frame: pd.DataFrame, *, cut: float
) -> tuple[Counterfactual, ...]:
    """The smallest changes of one, then two, :data:`CHANGEABLE` features bringing the score
    strictly below ``cut``, each verified by re-scoring the changed row through ``model``.

    Smallest means: fewest features, then the smallest drop of the score. For each set of
    features, only its smallest sufficient change is kept; a pair is kept only if neither of
    its features suffices alone. At most :data:`MAX_COUNTERFACTUALS` are returned.
    """
    moves = _moves(scorecard, frame)
    singles = [(m,) for ms in moves.values() for m in ms]
    pairs = [
        (a, b) for c1, c2 in itertools.combinations(moves, 2) for a in moves[c1] for b in moves[c2]
    ]
    candidates = [*singles, *pairs]
    if not candidates:
        return ()
    changed = _apply_all(frame, candidates)
    scored = model.score_columns({c: changed[c] for c in changed.columns}, len(changed))
    new_scores, new_probability = scored.points, scored.probability
    best: dict[tuple[str, ...], tuple[float, int]] = {}
    for i, combo in enumerate(candidates):
        if not new_scores[i] < cut:
            continue
        key = tuple(m.column for m in combo)
        if len(key) == 2 and any((c,) in best for c in key):
            continue
        if key not in best or new_scores[i] > best[key][0]:
            best[key] = (float(new_scores[i]), i)
    order = sorted(best.items(), key=lambda kv: (len(kv[0]), -kv[1][0], kv[0]))
    out = []
    for _, (new_score, i) in order[:MAX_COUNTERFACTUALS]:
        out.append(
            Counterfactual(
                changes=_changes(scorecard, frame, candidates[i]),
                score=new_score,
                probability=float(new_probability[i]),
            )
        )
    return tuple(out)


def _moves(scorecard: Scorecard, frame: pd.DataFrame) -> dict[str, list[_Move]]:
    """For each changeable feature, its moves to another bin that lower the points."""
    moves: dict[str, list[_Move]] = {}
    for name, binning, points in zip(
        scorecard.features_, scorecard.binning_.bins_, scorecard.bin_points_, strict=True
    ):
        if name not in CHANGEABLE:
            continue
        current = plain_value(frame[name].iloc[0], CATALOG[name])
        if current is None or current in FIXED_LEVELS.get(name, ()):
            continue
        here = int(binning.assign(frame[name])[0])
        found = []
        for b in range(binning.n_bins - 1):  # never to the missing bin
            if b == here or not points[b] < points[here]:
                continue
            value = _value_in_bin(binning, b, current, CATALOG[name])
            if value is not None:
                found.append(_Move(name, value, b, float(points[here] - points[b])))
        if found:
            moves[name] = found
    return moves


def _value_in_bin(binning: FeatureBinning, b: int, current: Value, col: Column) -> Value:
    """A value of bin ``b`` close to ``current`` (None if the bin has no allowed value)."""
    if binning.kind == "categorical":
        fixed = FIXED_LEVELS.get(col.name, ())
        levels = [lv for lv in col.levels if lv in binning.groups[b] and lv not in fixed]
        return levels[0] if levels else None
    edges = binning.edges
    low = edges[b - 1] if b > 0 else -math.inf
    high = edges[b] if b < len(edges) else math.inf
    x = float(current)  # type: ignore[arg-type]
    if x < low:
        value = math.ceil(low) if binning.integer_valued else low
    else:
        value = math.ceil(high) - 1 if binning.integer_valued else math.floor(high * 100) / 100
        if not binning.integer_valued and value >= high:
            value = round(value - 0.01, 2)
        if value < low:
            value = (low + high) / 2
    if col.minimum is not None and value < col.minimum:
        value = col.minimum
    if col.maximum is not None and value > col.maximum:
        return None
    if int(binning.assign(np.array([value], dtype=np.float64))[0]) != b:
        return None
    return int(value) if col.dtype in ("int", "flag") else float(value)


def _apply_all(frame: pd.DataFrame, candidates: Sequence[Sequence[_Move]]) -> pd.DataFrame:
    """The one-row ``frame`` repeated, row i changed by ``candidates[i]`` (and derived columns)."""
    n = len(candidates)
    changed = frame.iloc[np.zeros(n, dtype=np.intp)].reset_index(drop=True)
    columns: dict[str, Any] = {}
    for i, combo in enumerate(candidates):
        for move in combo:
            if move.column not in columns:
                columns[move.column] = changed[move.column].to_numpy(copy=True)
            columns[move.column][i] = move.value
    for name, values in columns.items():
        changed[name] = pd.Series(values, dtype=frame[name].dtype)
    for derived, source in DERIVED.items():
        if source in columns and derived in changed.columns:
            touched = np.array([any(m.column == source for m in c) for c in candidates])
            rule = (changed[source].to_numpy(dtype=np.float64) == 0).astype(np.float64)
            changed[derived] = np.where(touched, rule, changed[derived].to_numpy(np.float64))
    return changed


def _apply(frame: pd.DataFrame, combo: Sequence[_Move]) -> pd.DataFrame:
    changed = frame.copy()
    for move in combo:
        changed[move.column] = pd.Series([move.value], dtype=changed[move.column].dtype)
        for derived, source in DERIVED.items():
            if source == move.column and derived in changed.columns:
                changed[derived] = float(move.value == 0)
    return changed


def _changes(
    scorecard: Scorecard, frame: pd.DataFrame, combo: Sequence[_Move]
) -> tuple[Change, ...]:
    changed = _apply(frame, combo)
    out = []
    primary = {m.column for m in combo}
    columns = [*(m.column for m in combo), *(d for d, s in DERIVED.items() if s in primary)]
    for name in columns:
        if name not in scorecard.features_:
            continue
        binning = scorecard.binning_.bins_[scorecard.features_.index(name)]
        old, new = frame[name].iloc[0], changed[name].iloc[0]
        old_bin, new_bin = (
            int(binning.assign(frame[name])[0]),
            int(binning.assign(changed[name])[0]),
        )
        if name not in primary and plain_value(old, CATALOG[name]) == plain_value(
            new, CATALOG[name]
        ):
            continue
        new_value = plain_value(new, CATALOG[name])
        out.append(
            Change(
                column=name,
                old_value=plain_value(old, CATALOG[name]),
                new_value=new_value,
                old_bin=old_bin,
                new_bin=new_bin,
                # The bin in its usual words: the value chosen in it is not shown to the reader.
                new_bin_label_fr=bin_text(binning, new_bin, lang="fr"),
                new_bin_label_en=bin_text(binning, new_bin, lang="en"),
                derived=name not in primary,
            )
        )
    return tuple(out)
