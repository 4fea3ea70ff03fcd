"""The lift at the budget, measured on a population's random-control sample, and its scores.

The **lift at the budget** needs labelled data: a population file with its random-control
sample (``controlled``, ``target``, ``control_weight``). :func:`score_population` scores it with
the model (streaming, through the model's one scoring method); :func:`lift_at_share` selects its
top ``share`` as ``dmde select`` would (same tie rule) and measures the hit rate of the randomly
checked files among them over the hit rate of all randomly checked files (survey weights), with
a bootstrap interval over the checked files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.batch.scoring import needed_columns
from dmde.batch.selection import select
from dmde.core.stats import auc_interval, kish_size
from dmde.data.catalog import CATALOG
from dmde.data.datasets import BATCH_ROWS, iter_batches
from dmde.documents.model_description import AucEstimate, DescribeError, LiftEstimate
from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["BUDGET_SHARE", "lift_at_share", "score_population"]

Model = Scorecard | ScorecardFamily
FloatArray = npt.NDArray[np.float64]

#: Assumed share of the files selected by the score for a check: about 166,000 score-driven
#: checks a year among 13.8 million files (public figures, see DESIGN.md). An assumption: pass
#: the agency's own share (``--budget-share``).
BUDGET_SHARE = 0.012

#: The labels of the random-control sample the lift needs.
LABEL_COLUMNS = ("controlled", "target", "control_weight")
_SCORE_COLUMNS = ("dossier_id", "caf_code", "score", "probability")


def check_share(share: float, *, name: str = "budget_share") -> float:
    """``share`` as a float, if in (0, 1); the error names the parameter ``name``."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise DescribeError(
            f"{name} must be a number in (0, 1), the share of the files selected for a "
            f"check; got {share!r}. The default, {BUDGET_SHARE}, assumes about 166,000 "
            "score-driven checks among 13.8 million files."
        )
    return float(share)


def _weighted_auc(y: FloatArray, score: FloatArray, weight: FloatArray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return math.nan
    return float(roc_auc_score(y, score, sample_weight=weight))


def _kish(weight: FloatArray) -> float:
    """Kish's effective size of a group's weights (0 for an empty group)."""
    squares = float((weight**2).sum())
    return float(kish_size(weight.sum(), squares)) if squares > 0 else 0.0


def lift_at_share(
    scores: pd.DataFrame,
    *,
    share: float = BUDGET_SHARE,
    n_boot: int = 1000,
    seed: int = 0,
    data: str = "",
    same_name_as_training: bool = False,
) -> LiftEstimate:
    """Lift, hit rate and captured share at a budget share, on a random-control sample.

    The top ``floor(share * n_files)`` files are selected as :func:`dmde.batch.selection.select`
    does (tie seed 0, as ``dmde select``). Among the files of the random-control sample
    (``controlled == 1`` with a known ``target``), weighted by ``control_weight``: the hit rate
    of those selected, the base rate of all, their ratio (the lift), and the share of the
    weighted overpayments that the selection holds (captured).

    Parameters
    ----------
    scores : DataFrame
        One row per file of the population: ``dossier_id``, ``caf_code``, ``score``,
        ``probability``, ``controlled``, ``target``, ``control_weight``.
    share : float
        Share of the files selected, in (0, 1).
    n_boot : int
        Bootstrap resamples of the checked files (0: no interval).
    seed : int
        Seed of the bootstrap.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 20_000
    >>> score = rng.normal(500, 20, n)
    >>> checked = rng.random(n) < 0.3
    >>> target = np.where(checked, rng.random(n) < 1 / (1 + np.exp(-(score - 540) / 10)), np.nan)
    >>> frame = pd.DataFrame({"dossier_id": np.arange(1, n + 1), "caf_code": "75",
    ...     "score": score, "probability": 0.1, "controlled": checked.astype(int),
    ...     "target": target, "control_weight": np.where(checked, 3.3, np.nan)})
    >>> estimate = lift_at_share(frame, share=0.05, n_boot=200, seed=1)
    >>> estimate.budget, estimate.lift > 3, estimate.lift_low < estimate.lift < estimate.lift_high
    (1000, True, True)
    """
    share = check_share(share, name="share")
    missing = [c for c in (*_SCORE_COLUMNS, *LABEL_COLUMNS) if c not in scores.columns]
    if missing:
        raise DescribeError(f"scores has no column {', '.join(missing)}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise DescribeError(f"n_boot must be a whole number of at least 0; got {n_boot!r}.")
    chosen = select(scores[list(_SCORE_COLUMNS)], share=share)
    selected = np.isin(scores["dossier_id"].to_numpy(), chosen.frame["dossier_id"].to_numpy())
    checked, y, weight = _random_checks(scores, data)
    s = selected[checked].astype(float)
    point = _lift_parts(np.ones((1, len(y))), y, s, weight)[0]
    (hit_low, lift_low, cap_low), (hit_high, lift_high, cap_high) = _intervals(
        _bootstrap(y, s, weight, n_boot=n_boot, seed=seed)
    )
    positive = y == 1
    score = scores["score"].to_numpy(dtype=float)[checked]
    auc = _weighted_auc(y, score, weight)
    n_pos, n_neg = _kish(weight[positive]), _kish(weight[~positive])
    return LiftEstimate(
        data=data,
        share=share,
        n_files=len(scores),
        budget=int(chosen.summary["selected"]),
        n_checked=int(checked.sum()),
        n_events=int(positive.sum()),
        n_checked_selected=int(s.sum()),
        n_events_selected=int((s * y).sum()),
        base_rate=float(np.average(y, weights=weight)),
        hit_rate=float(point[0]),
        hit_low=hit_low,
        hit_high=hit_high,
        lift=float(point[1]),
        lift_low=lift_low,
        lift_high=lift_high,
        captured=float(point[2]),
        captured_low=cap_low,
        captured_high=cap_high,
        auc=AucEstimate(
            "random checks of the data",
            auc,
            *auc_interval(auc, n_pos, n_neg),
            n_pos=n_pos,
            n_neg=n_neg,
        ),
        n_boot=n_boot,
        seed=seed,
        same_name_as_training=same_name_as_training,
    )


def _random_checks(
    scores: pd.DataFrame, data: str
) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    """The rows of the random-control sample with a known target, their target and weight."""
    target = pd.to_numeric(scores["target"], errors="coerce").to_numpy(dtype=float)
    checked = (scores["controlled"].to_numpy(dtype=float) == 1) & ~np.isnan(target)
    weight = pd.to_numeric(scores["control_weight"]).to_numpy(dtype=float)[checked]
    if checked.sum() == 0:
        raise DescribeError(
            f"{data or 'the data'}: no file of the random-control sample (controlled = 1 with a "
            "known target): the lift needs the labelled random checks."
        )
    bad = np.isnan(weight) | (weight <= 0)
    if bad.any():
        raise DescribeError(
            f"{data or 'the data'}: control_weight is missing or not positive on "
            f"{int(bad.sum())} checked files."
        )
    return checked, target[checked], weight


def _bootstrap(
    y: FloatArray, selected: FloatArray, weight: FloatArray, *, n_boot: int, seed: int
) -> FloatArray:
    """:func:`_lift_parts` of ``n_boot`` resamples of the checked files (100 at a time)."""
    rng = np.random.default_rng(seed)
    parts = [np.empty((0, 3))]
    for start in range(0, n_boot, 100):
        size = min(100, n_boot - start)
        counts = rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=size)
        parts.append(_lift_parts(counts.astype(float), y, selected, weight))
    return np.concatenate(parts)


def _lift_parts(
    multiplicity: FloatArray, y: FloatArray, selected: FloatArray, weight: FloatArray
) -> FloatArray:
    """Hit rate of the selected, lift and captured share, for each row of multiplicities."""
    m = multiplicity * weight
    total, events = m.sum(axis=1), m @ y
    chosen, hits = m @ selected, m @ (y * selected)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = np.where(chosen > 0, hits / chosen, np.nan)
        base = events / total
        lift = np.where(base > 0, hit / base, np.nan)
        captured = np.where(events > 0, hits / events, np.nan)
    return np.column_stack([hit, lift, captured])


def _intervals(draws: FloatArray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    nan3 = (math.nan, math.nan, math.nan)
    if len(draws) == 0:
        return nan3, nan3
    low, high = [], []
    for j in range(draws.shape[1]):
        column = draws[:, j][np.isfinite(draws[:, j])]
        if len(column) < 0.9 * len(draws):  # too many resamples without a selected file
            low.append(math.nan)
            high.append(math.nan)
            continue
        low.append(float(np.quantile(column, 0.025)))
        high.append(float(np.quantile(column, 0.975)))
    return tuple(low), tuple(high)


def _category(name: str, values: Any) -> Any:
    column = CATALOG[name]
    if column.dtype == "category":
        return pd.Categorical(values, categories=list(column.levels))
    return values


def score_population(
    path: str | os.PathLike[str],
    models: Mapping[str, Model],
    *,
    keep: Sequence[str] = (),
    batch_size: int = BATCH_ROWS,
) -> pd.DataFrame:
    """Score a population file with one or more models, streaming, as ``dmde score`` does.

    Each batch is read and checked against the catalog by
    :func:`~dmde.data.datasets.iter_batches`, then scored by the model's one scoring method
    (:meth:`~dmde.model.scorecard.Scorecard.score_columns`).

    Returns
    -------
    DataFrame
        One row per file, in file order: ``dossier_id``, ``caf_code``, then for each model name
        ``score_<name>`` and ``probability_<name>`` (with one model named ``""``: ``score`` and
        ``probability``), then the ``keep`` columns (categories with the catalog's levels).

    Raises
    ------
    SchemaError
        If the file is missing, unreadable, lacks a column, or a value breaks the catalog.
    """
    needed = {c for m in models.values() for c in needed_columns(m)} | set(keep)
    columns = [c for c in CATALOG if c in needed]
    parts: list[pd.DataFrame] = []
    for batch in iter_batches(path, columns=columns, batch_size=batch_size):
        values = {c: _category(c, batch.column(c).to_numpy(zero_copy_only=False)) for c in columns}
        out = pd.DataFrame({"dossier_id": values["dossier_id"], "caf_code": values["caf_code"]})
        for name, model in models.items():
            scored = model.score_columns(values, batch.num_rows)
            suffix = f"_{name}" if name else ""
            out[f"score{suffix}"] = scored.points
            out[f"probability{suffix}"] = scored.probability
        for c in keep:
            out[c] = values[c]
        parts.append(out)
    return pd.concat(parts, ignore_index=True)
