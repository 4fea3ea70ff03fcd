"""The score shifts and the two selections of two models on one population, group by group.

:func:`compare_selections` takes the scores of every file by both models, selects the top
``budget`` with each (as ``dmde select`` does, same tie rule and seed), and reports the
distribution of the score shifts, the files that enter and leave the selection, and the
composition of both selections by the audit's groups, side by side.
:func:`population_selection_diff` does it on a population file, streamed: the scores first
(:func:`~dmde.documents.lift.score_population`), then the groups of the selected files, read
through the audit's group module (:mod:`dmde.audit.groups`), which alone names the group columns.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.audit.groups import iter_group_batches, missing_attributes, source_columns
from dmde.batch.selection import select
from dmde.core.rendering import format_value
from dmde.core.stats import spearman
from dmde.data.datasets import BATCH_ROWS
from dmde.documents.lift import score_population
from dmde.documents.model_diff import TOLERANCE, CompareError
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["GroupComposition", "SelectionDiff", "compare_selections", "population_selection_diff"]

Model = Scorecard | ScorecardFamily
FloatArray = npt.NDArray[np.float64]

_QUANTILES = (("min", 0.0), ("p01", 0.01), ("p05", 0.05), ("p25", 0.25), ("median", 0.5),
              ("p75", 0.75), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))  # fmt: skip


@dataclass(frozen=True)
class GroupComposition:
    """One group's files in the population and in each selection."""

    attribute: str
    group: str
    population: int
    population_share: float
    old: int
    old_share: float
    new: int
    new_share: float
    entering: int
    leaving: int

    @property
    def change(self) -> float:
        """Change of the group's share of the selection (new minus old)."""
        return self.new_share - self.old_share


@dataclass(frozen=True)
class SelectionDiff:
    """Score shifts and selections of the two models on one population.

    ``shift`` holds the mean, the mean absolute shift and the quantiles (``min``, ``p01``...
    ``max``) of ``new score - old score``; ``bands`` the number of files by size of shift.
    """

    population: str
    n_files: int
    budget: int
    seed: int
    shift: Mapping[str, float]
    n_changed: int
    n_up: int
    n_down: int
    spearman: float
    bands: tuple[tuple[str, int], ...]
    selected_old: int
    selected_new: int
    kept: int
    entering: int
    leaving: int
    groups: tuple[GroupComposition, ...]
    missing_groups: tuple[str, ...]
    scaling_differs: bool

    @property
    def share_changed(self) -> float:
        return self.n_changed / self.n_files if self.n_files else math.nan


def _bands(shift: FloatArray, pdo: float) -> tuple[tuple[str, int], ...]:
    big, small = pdo, pdo / 4
    b, s = format_value(big, "num0"), format_value(small, "num0")
    tol = TOLERANCE
    cases = (
        (f"lower by {b} points or more", shift <= -big),
        (f"lower by {s} to {b} points", (shift > -big) & (shift <= -small)),
        (f"lower by less than {s} points", (shift > -small) & (shift < -tol)),
        ("unchanged", np.abs(shift) <= tol),
        (f"higher by less than {s} points", (shift > tol) & (shift < small)),
        (f"higher by {s} to {b} points", (shift >= small) & (shift < big)),
        (f"higher by {b} points or more", shift >= big),
    )
    return tuple((label, int(mask.sum())) for label, mask in cases)


@dataclass(frozen=True)
class _Tally:
    """The population's files by group, and the group of each file selected by either model."""

    levels: dict[str, tuple[str, ...]]
    counts: dict[str, dict[str, int]]
    positions: npt.NDArray[np.intp]
    labels: dict[str, npt.NDArray[np.object_]]


def _tally(groups: pd.DataFrame, positions: npt.NDArray[np.intp], offset: int = 0) -> _Tally:
    """Count ``groups`` (one row per file) and keep the groups of the rows at ``positions``."""
    levels, counts, labels = {}, {}, {}
    for attribute in groups.columns:
        column = groups[attribute].astype("category")
        names = np.asarray([*map(str, column.cat.categories), "missing"], dtype=object)
        codes = column.cat.codes.to_numpy().astype(np.intp)
        codes[codes < 0] = len(names) - 1
        files = np.bincount(codes, minlength=len(names))
        key = str(attribute)
        levels[key] = tuple(names)
        counts[key] = {str(n): int(k) for n, k in zip(names, files, strict=True) if k}
        labels[key] = names[codes[positions]]
    return _Tally(levels, counts, positions + offset, labels)


def _merge(parts: Sequence[_Tally]) -> _Tally:
    """One tally of several batches (levels in their common order, else sorted)."""
    first = parts[0]
    levels, counts, labels = {}, {}, {}
    for attribute, order in first.levels.items():
        orders = {p.levels[attribute] for p in parts}
        levels[attribute] = order if len(orders) == 1 else tuple(sorted(set().union(*orders)))
        total: dict[str, int] = {}
        for part in parts:
            for level, files in part.counts[attribute].items():
                total[level] = total.get(level, 0) + files
        counts[attribute] = total
        labels[attribute] = np.concatenate([p.labels[attribute] for p in parts])
    positions = np.concatenate([p.positions for p in parts])
    return _Tally(levels, counts, positions, labels)


def _composition(
    tally: _Tally, old: npt.NDArray[np.bool_], new: npt.NDArray[np.bool_]
) -> list[GroupComposition]:
    rows = []
    n, n_old, n_new = len(old), int(old.sum()), int(new.sum())
    in_old, in_new = old[tally.positions], new[tally.positions]
    for attribute, levels in tally.levels.items():
        labels = tally.labels[attribute]
        for level in levels:
            files = tally.counts[attribute].get(level, 0)
            if not files:
                continue
            member = labels == level
            k_old, k_new = int((member & in_old).sum()), int((member & in_new).sum())
            rows.append(
                GroupComposition(
                    attribute=attribute,
                    group=level,
                    population=files,
                    population_share=files / n,
                    old=k_old,
                    old_share=k_old / n_old if n_old else math.nan,
                    new=k_new,
                    new_share=k_new / n_new if n_new else math.nan,
                    entering=int((member & in_new & ~in_old).sum()),
                    leaving=int((member & in_old & ~in_new).sum()),
                )
            )
    return rows


def _selected(scores: pd.DataFrame, which: str, budget: int, seed: int) -> npt.NDArray[np.bool_]:
    frame = pd.DataFrame(
        {
            "dossier_id": scores["dossier_id"].to_numpy(),
            "caf_code": scores["caf_code"].to_numpy(),
            "score": scores[f"score_{which}"].to_numpy(),
            "probability": scores[f"probability_{which}"].to_numpy(),
        }
    )
    chosen = select(frame, budget=budget, seed=seed).frame["dossier_id"].to_numpy()
    return np.isin(frame["dossier_id"].to_numpy(), chosen)


def compare_selections(
    scores: pd.DataFrame,
    *,
    budget: int,
    groups: pd.DataFrame | None = None,
    seed: int = 0,
    pdo: float = 20.0,
    population: str = "",
    missing_groups: Sequence[str] = (),
    scaling_differs: bool = False,
) -> SelectionDiff:
    """Score shifts, and the top ``budget`` of each model compared, on one population.

    Parameters
    ----------
    scores : DataFrame
        One row per file: ``dossier_id``, ``caf_code``, ``score_old``, ``probability_old``,
        ``score_new``, ``probability_new``.
    budget : int
        Files selected by each model (:func:`dmde.batch.selection.select`, tie seed ``seed``).
    groups : DataFrame, optional
        The audit's group attributes, one row per row of ``scores``
        (as :func:`dmde.audit.groups.iter_group_batches` gives them).
    pdo : float
        Points to double the odds: the shift bands are at ``pdo / 4`` and ``pdo`` points.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3, 4], "caf_code": "75",
    ...     "score_old": [510.0, 500.0, 490.0, 480.0], "probability_old": 0.05,
    ...     "score_new": [510.0, 480.0, 495.0, 480.0], "probability_new": 0.05})
    >>> result = compare_selections(scores, budget=2)
    >>> result.n_changed, result.kept, result.entering, result.leaving
    (2, 1, 1, 1)
    """
    if groups is not None and len(groups) != len(scores):
        raise CompareError(f"groups has {len(groups)} rows for {len(scores)} scored files.")
    in_old = _selected(scores, "old", budget, seed)
    in_new = _selected(scores, "new", budget, seed)
    tally = None if groups is None else _tally(groups, np.flatnonzero(in_old | in_new))
    return _compare(
        scores,
        in_old,
        in_new,
        tally,
        budget=budget,
        seed=seed,
        pdo=pdo,
        population=population,
        missing_groups=missing_groups,
        scaling_differs=scaling_differs,
    )


def _compare(
    scores: pd.DataFrame,
    in_old: npt.NDArray[np.bool_],
    in_new: npt.NDArray[np.bool_],
    tally: _Tally | None,
    *,
    budget: int,
    seed: int,
    pdo: float,
    population: str,
    missing_groups: Sequence[str],
    scaling_differs: bool,
) -> SelectionDiff:
    old = scores["score_old"].to_numpy(dtype=float)
    new = scores["score_new"].to_numpy(dtype=float)
    shift = new - old
    summary = {"mean": float(shift.mean()), "mean_absolute": float(np.abs(shift).mean())}
    summary |= {name: float(np.quantile(shift, q)) for name, q in _QUANTILES}
    return SelectionDiff(
        population=population,
        n_files=len(scores),
        budget=budget,
        seed=seed,
        shift=summary,
        n_changed=int((np.abs(shift) > TOLERANCE).sum()),
        n_up=int((shift > TOLERANCE).sum()),
        n_down=int((shift < -TOLERANCE).sum()),
        spearman=spearman(old, new),
        bands=_bands(shift, pdo),
        selected_old=int(in_old.sum()),
        selected_new=int(in_new.sum()),
        kept=int((in_old & in_new).sum()),
        entering=int((in_new & ~in_old).sum()),
        leaving=int((in_old & ~in_new).sum()),
        groups=() if tally is None else tuple(_composition(tally, in_old, in_new)),
        missing_groups=tuple(missing_groups),
        scaling_differs=scaling_differs,
    )


def population_selection_diff(
    old: Model,
    new: Model,
    population: str | os.PathLike[str],
    *,
    budget: int,
    seed: int = 0,
    pdo: float = 20.0,
    scaling_differs: bool = False,
    batch_size: int = BATCH_ROWS,
) -> SelectionDiff:
    """:func:`compare_selections` on a population file, in two streamed passes.

    The first pass scores every file with both models; the second reads the audit's groups of
    the files selected by either (:func:`dmde.audit.groups.iter_group_batches`). The group
    attributes the file cannot give are listed in ``missing_groups``.

    Parameters
    ----------
    old, new : Scorecard or ScorecardFamily
        The two models.
    population : path
        A population file (CSV or Parquet).
    budget : int
        Files selected by each model.
    seed : int
        Seed of the selection's tie order (as ``dmde select --seed``).
    pdo : float
        Points to double the odds of the new model (the shift bands).
    scaling_differs : bool
        Whether the two models scale points differently (said in the document).

    Raises
    ------
    CompareError
        If the file changes between the two passes.
    SchemaError
        If the file cannot be read or a value breaks the catalog.
    """
    missing = missing_attributes(population)
    scores = score_population(population, {"old": old, "new": new}, batch_size=batch_size)
    in_old = _selected(scores, "old", budget, seed)
    in_new = _selected(scores, "new", budget, seed)
    tally = (
        _group_tally(population, in_old | in_new, batch_size)
        if source_columns(population)
        else None
    )
    return _compare(
        scores,
        in_old,
        in_new,
        tally,
        budget=budget,
        seed=seed,
        pdo=pdo,
        population=Path(population).name,
        missing_groups=missing,
        scaling_differs=scaling_differs,
    )


def _group_tally(
    population: str | os.PathLike[str], selected: npt.NDArray[np.bool_], batch_size: int
) -> _Tally:
    """The audit's groups of the population, streamed: counts, and the selected files' groups."""
    parts, offset = [], 0
    for groups in iter_group_batches(population, batch_size=batch_size):
        n = len(groups)
        local = np.flatnonzero(selected[offset : offset + n])
        parts.append(_tally(groups, local, offset))
        offset += n
    if offset != len(selected):
        raise CompareError(
            f"{os.fspath(population)} changed during the comparison ({len(selected):,} rows "
            f"scored, {offset:,} read for the groups): compare a file that is not being written."
        )
    return _merge(parts)
