"""The budgeted selection: parameters into a plan (budget, quotas, probability floor, random
share), the choice along the national order, and the summary that says how it was made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dmde.batch.quotas import _largest_remainder
from dmde.batch.ranking import _CHUNK, TIE_RULE, _order
from dmde.batch.scores_table import (
    SelectionParameterError,
    _checked_columns,
    _Columns,
    _counts,
    _needed,
    _require_columns,
)
from dmde.data.parameters import InstanceOf, Range, bad_parameter, check_parameters, shown

__all__ = ["OUTPUT_COLUMNS", "PARAMETER_CONSTRAINTS", "Selection", "select", "select_top"]

#: Leading columns of a selection, in order; ``segment`` and ``reason_*`` columns follow.
OUTPUT_COLUMNS = (
    "dossier_id",
    "caf_code",
    "rank_national",
    "rank_in_group",
    "score",
    "probability",
    "selection_reason",
)

IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.intp]

_EXTRA = re.compile(r"^(segment|reason_.+)$")  # carried to the output unchanged
_QUOTA = Range(Integral, 0, None, closed="left")

#: What each parameter of :func:`select` accepts (scikit-learn's constraints, as data). Rules
#: that depend on the scores (a budget of at most the number of files, quotas of at most each
#: group's files) are checked once the scores are read.
PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    "budget": [_QUOTA, None],
    "share": [Range(Real, 0, 1, closed="right"), None],
    "per": [InstanceOf(str, "a column name (str)"), None],
    "quotas": [InstanceOf(Mapping, "a mapping of group to quota (a dict)"), None],
    "min_probability": [Range(Real, 0, 1, closed="both"), None],
    "random_share": [Range(Real, 0, 1, closed="left")],
    "seed": [Range(Integral, 0, 2**64, closed="left")],
}
_FIXES = {
    "budget": "Give the number of checks to make.",
    "share": "Give the share of the files to check, e.g. 0.012.",
    "per": "Name a column of the scores, e.g. caf_code.",
    "quotas": "Pass a dict of group to quota.",
    "min_probability": "Give a probability between 0 and 1.",
    "random_share": "Give the share of the budget drawn at random, e.g. 0.1.",
    "seed": "Pass a whole number such as 0.",
}


# --------------------------------------------------------------------------------------------
# Selection
@dataclass(frozen=True, eq=False)
class Selection:
    """The files selected for a check, and how they were selected.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per selected file, sorted by ``rank_national``: the columns of
        :data:`OUTPUT_COLUMNS`, then the ``per`` column if it is not one of them, then every
        ``segment`` and ``reason_*`` column of the scores, unchanged.
    summary : dict
        JSON-ready: ``n_files``, ``budget`` and ``budget_rule``, ``selected``,
        ``selected_by_score``, ``selected_at_random``, ``score_budget``, ``random_budget``,
        ``unused_budget`` and ``unused_reason``, ``random_shortfall``, ``per``, ``groups``
        (per group: files, quota, score and random quotas, files eligible for the score part,
        selected by score and at random, unused places; None without groups), ``tie_rule``,
        ``random_rule``, ``seed`` and ``parameters`` (as given).
    """

    frame: pd.DataFrame
    summary: dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    """Validated parameters: the quota of each group (sorted names), score and random parts."""

    budget: int
    budget_rule: str
    names: tuple[str, ...]
    quotas: IntArray
    random_quotas: IntArray
    min_probability: float | None
    seed: int


def select(
    scores: pd.DataFrame,
    *,
    budget: int | None = None,
    share: float | None = None,
    per: str | None = None,
    quotas: Mapping[str, int] | None = None,
    min_probability: float | None = None,
    random_share: float = 0.0,
    seed: int = 0,
) -> Selection:
    """Select the files to check: the highest scores within a budget.

    Parameters
    ----------
    scores : pandas.DataFrame
        Columns ``dossier_id`` (unique integers), ``caf_code``, ``score`` (finite numbers,
        higher = riskier) and ``probability`` (in [0, 1]); ``segment`` and ``reason_*``
        columns are carried to the output.
    budget : int, optional
        Number of files to select, in [0, number of files]. Give ``budget`` or ``share``
        (with ``quotas``, neither: the budget is their sum).
    share : float, optional
        Share of the files to select, in (0, 1]: ``budget = floor(share * n_files)``, with
        ``share`` read as the decimal it prints as.
    per : str, optional
        A column of ``scores`` (e.g. ``"caf_code"``): the budget is split into quotas
        proportional to each group's files (:func:`allocate_quotas`) and each group's top files
        are taken. Groups are named by ``str(value)``. Defaults to ``"caf_code"`` when
        ``quotas`` is given.
    quotas : mapping of str to int, optional
        Explicit quota of each group of ``per``: whole numbers from 0 to the group's files;
        groups not in the mapping get 0. ``budget``, if given, must equal their sum.
    min_probability : float, optional
        In [0, 1]: no file with a lower probability is selected by score; the places this
        leaves empty stay unused (see the summary).
    random_share : float, default 0
        In [0, 1): share of the budget drawn uniformly at random among the files not selected
        by score (see the module docstring). These ignore ``min_probability``.
    seed : int, default 0
        Seed of the tie order and of the random draw, in [0, 2**64).

    Returns
    -------
    Selection
        ``frame`` (the selected files) and ``summary``.

    Raises
    ------
    SelectionError
        If a required column is missing, a ``dossier_id`` repeats or is missing, a score is
        NaN or infinite, a probability is outside [0, 1], or a parameter is out of its range
        (the message names it, its rule, the value and the fix).

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({
    ...     "dossier_id": [1, 2, 3, 4, 5],
    ...     "caf_code": ["75"] * 5,
    ...     "score": [700.0, 650.0, 650.0, 650.0, 600.0],
    ...     "probability": [0.5, 0.4, 0.4, 0.4, 0.3],
    ... })
    >>> chosen = select(scores, budget=3, seed=0)
    >>> chosen.frame["dossier_id"].tolist(), chosen.summary["selected"]
    ([1, 4, 3], 3)
    >>> select(scores, budget=3, seed=1).frame["dossier_id"].tolist()  # another tie order
    [1, 3, 2]
    >>> select(scores, budget=3, min_probability=0.45).summary["unused_budget"]
    2
    """
    selection, _ = _select(
        scores,
        budget=budget,
        share=share,
        per=per,
        quotas=quotas,
        min_probability=min_probability,
        random_share=random_share,
        seed=seed,
        source=None,
    )
    return selection


def select_top(
    scores: pd.DataFrame,
    *,
    budget: int | None = None,
    share: float | None = None,
    per: str | None = None,
    quotas: Mapping[str, int] | None = None,
    min_probability: float | None = None,
    random_share: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """The selected files only: ``select(scores, ...).frame`` (same parameters).

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3], "caf_code": ["01", "01", "02"],
    ...                        "score": [5.0, 9.0, 7.0], "probability": [0.1, 0.3, 0.2]})
    >>> select_top(scores, share=0.5)[["dossier_id", "rank_national", "selection_reason"]]
       dossier_id  rank_national selection_reason
    0           2              1            score
    """
    return select(
        scores,
        budget=budget,
        share=share,
        per=per,
        quotas=quotas,
        min_probability=min_probability,
        random_share=random_share,
        seed=seed,
    ).frame


def _select(
    scores: pd.DataFrame | _Columns,
    *,
    budget: int | None,
    share: float | None,
    per: str | None,
    quotas: Mapping[str, int] | None,
    min_probability: float | None,
    random_share: float,
    seed: int,
    source: str | None,
) -> tuple[Selection, Positions]:
    """:func:`select`, with the positions of the selected rows in ``scores`` (ranked).

    ``scores`` may also be its columns already checked (:class:`_Columns`, as
    :mod:`~dmde.batch.selection_file` reads them from a file). Their probabilities and scores
    are then released as soon as used (to hold less memory), and the frame returned has only
    ``dossier_id``, the ranks and ``selection_reason``: the caller adds ``caf_code``, ``score``,
    ``probability`` and the carried columns of the selected rows.
    """
    parameters = _parameters(budget, share, per, quotas, min_probability, random_share, seed)
    check_parameters(
        PARAMETER_CONSTRAINTS,
        {
            "budget": budget,
            "share": share,
            "per": per,
            "quotas": quotas,
            "min_probability": min_probability,
            "random_share": random_share,
            "seed": seed,
        },
        fixes=_FIXES,
        error=SelectionParameterError,
    )
    seed = int(seed)
    if quotas is not None and per is None:
        per = "caf_code"
    if isinstance(scores, pd.DataFrame):
        _require_columns([str(c) for c in scores.columns], _needed(per), source)
        columns = _checked_columns(scores, per, source)
    elif isinstance(scores, _Columns):
        columns = scores
    else:
        raise TypeError(
            f"select needs the scores as a pandas.DataFrame; got a {type(scores).__name__}. "
            "Read the scores file with select_file, or build a DataFrame."
        )
    n_files = len(columns.ids)
    plan = _plan(
        n_files, columns.codes, columns.names, budget, share, quotas, per, min_probability,
        random_share, seed,
    )  # fmt: skip
    eligible = None
    if plan.min_probability is not None and columns.eligible is not None:
        assert columns.floor == plan.min_probability, "eligible for another floor"
        eligible = columns.eligible
    elif plan.min_probability is not None:
        eligible = columns.probability >= plan.min_probability
    if columns is scores:  # read from a file: the caller reads the selected rows' values again
        columns.release("probability")
    order = _order(columns.score, columns.ids, seed)
    if columns is scores:
        columns.release("score")
    chosen = _choose(order, columns.codes, eligible, plan)
    rows = order[chosen.positions]
    del order, eligible
    if isinstance(scores, pd.DataFrame):
        frame = _frame(scores, rows, chosen, per)
    else:
        frame = _ranked(columns, rows, chosen, per)
    summary = _summary(n_files, per, plan, chosen, parameters)
    return Selection(frame, summary), rows


@dataclass(frozen=True)
class _Chosen:
    """Positions in the national order (ascending) of the selected files, and counts."""

    positions: Positions
    rank_in_group: IntArray
    random: BoolArray
    files: IntArray
    eligible: IntArray
    by_score: IntArray
    at_random: IntArray


def _choose(
    order: Positions,
    codes: npt.NDArray[np.integer[Any]],
    eligible: BoolArray | None,
    plan: _Plan,
) -> _Chosen:
    """Apply the plan along the national order (computation only, no I/O).

    ``eligible`` says which files may be selected by score (None: all). The files are listed
    group by group, each group in national order (``grouped``); each group's score quota goes
    to its first eligible files, the random draw picks among the others. Only the group codes,
    one position and a few flags per file are held, besides ``order``.
    """
    n_groups = len(plan.names)
    group = codes[order]  # group of each position of the order
    files = _counts(group, n_groups)
    starts = np.cumsum(files) - files
    grouped: Positions | None = None  # national positions in group order (None: the same)
    if n_groups > 1:
        grouped = _group_order(group)
    del group
    score_quota = plan.quotas - plan.random_quotas
    if eligible is None:
        taken = None  # each group's first score_quota files
        eligible_files = files
        by_score_at = _ranges(starts, score_quota)
    else:
        in_order = eligible[order]
        eligible_grouped = in_order if grouped is None else in_order[grouped]
        del in_order
        taken, eligible_files = _first_eligible(eligible_grouped, starts, files, score_quota)
        del eligible_grouped
        by_score_at = np.flatnonzero(taken)
    rng = np.random.default_rng(plan.seed)
    drawn = [np.empty(0, dtype=np.intp)]
    for g in np.flatnonzero(plan.random_quotas):  # candidates: the group's files not taken
        start, end = int(starts[g]), int(starts[g] + files[g])
        if taken is None:  # all but the first score_quota
            first = start + min(int(score_quota[g]), end - start)
            n_candidates = end - first
        else:
            n_candidates = end - start - int(np.count_nonzero(taken[start:end]))
        size = min(int(plan.random_quotas[g]), n_candidates)
        nth = rng.choice(n_candidates, size=size, replace=False)  # as if listed, in order
        if taken is None:
            drawn.append(first + nth)
        else:
            drawn.append(start + _nth_false(taken[start:end], nth))
    at_random_at = np.concatenate(drawn)
    picked = np.concatenate((by_score_at, at_random_at))  # in group order
    picked_group = np.searchsorted(starts + files, picked, side="right")
    positions = picked if grouped is None else grouped[picked]
    ranked = np.argsort(positions)
    random = np.zeros(picked.size, dtype=np.bool_)
    random[by_score_at.size :] = True
    return _Chosen(
        positions=positions[ranked],
        rank_in_group=(picked - starts[picked_group] + 1)[ranked].astype(np.int64),
        random=random[ranked],
        files=files,
        eligible=eligible_files,
        by_score=np.bincount(picked_group[: by_score_at.size], minlength=n_groups),
        at_random=np.bincount(picked_group[by_score_at.size :], minlength=n_groups),
    )


def _nth_false(flags: BoolArray, nth: npt.NDArray[np.integer[Any]]) -> Positions:
    """The positions of the ``nth[i]``-th False values of ``flags`` (from 0), in the order of
    ``nth``: ``flatnonzero(~flags)[nth]``, listing the False values of one chunk at a time."""
    bounds = range(0, flags.size, _CHUNK)
    falses = [
        (hi := min(lo + _CHUNK, flags.size)) - lo - np.count_nonzero(flags[lo:hi]) for lo in bounds
    ]
    before = np.cumsum([0, *falses])  # False values before each chunk
    chunk = np.searchsorted(before, nth, side="right") - 1
    found = np.empty(nth.size, dtype=np.intp)
    for c in np.unique(chunk):
        lo = c * _CHUNK
        here = chunk == c
        found[here] = lo + np.flatnonzero(~flags[lo : lo + _CHUNK])[nth[here] - before[c]]
    return found


def _group_order(group: npt.NDArray[np.integer[Any]]) -> Positions:
    """``argsort(group, kind="stable")``: the positions group by group, each group's ascending.

    The group (high bits) and the position (low bits) are packed into one uint64 and sorted as
    plain numbers, which needs no second array of positions.
    """
    n = group.size
    row_bits = max((n - 1).bit_length(), 1)
    if row_bits + max(int(group.max(initial=0)).bit_length(), 1) > 64:
        positions: Positions = np.argsort(group, kind="stable")
        return positions
    packed = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        part = packed[lo:hi]
        part[:] = group[lo:hi]
        part <<= np.uint64(row_bits)
        part |= np.arange(lo, hi, dtype=np.uint64)
    packed.sort()
    np.bitwise_and(packed, np.uint64((1 << row_bits) - 1), out=packed)
    positions = packed.view(np.int64)
    return positions


def _ranges(starts: IntArray, lengths: IntArray) -> Positions:
    """``concatenate([arange(s, s + k) for s, k in zip(starts, lengths)])``, vectorised."""
    offsets = np.cumsum(lengths) - lengths  # where each range starts in the result
    ranges: Positions = np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths)
    return ranges


def _first_eligible(
    eligible: BoolArray, starts: IntArray, files: IntArray, quotas: IntArray
) -> tuple[BoolArray, IntArray]:
    """In group order: the first ``quotas[g]`` eligible files of each group (flags), and the
    number of eligible files of each group. Counted in chunks, with a running count carried
    from chunk to chunk."""
    n_groups = starts.size
    label = np.int8 if n_groups < 2**7 else np.int16 if n_groups < 2**15 else np.int32
    labels = np.repeat(np.arange(n_groups, dtype=label), files)  # group of each file
    counts = np.zeros(n_groups, dtype=np.int64)
    for lo in range(0, eligible.size, _CHUNK):
        hi = lo + _CHUNK
        counts += np.bincount(labels[lo:hi][eligible[lo:hi]], minlength=n_groups)
    limit = np.cumsum(counts) - counts + quotas  # running count of the last one taken
    taken = np.empty(eligible.size, dtype=np.bool_)
    seen = 0
    for lo in range(0, eligible.size, _CHUNK):
        hi = lo + _CHUNK
        running = np.cumsum(eligible[lo:hi], dtype=np.int64)
        running += seen
        seen = int(running[-1])
        np.less_equal(running, limit[labels[lo:hi]], out=taken[lo:hi])
        taken[lo:hi] &= eligible[lo:hi]
    return taken, counts


def _frame(scores: pd.DataFrame, rows: Positions, chosen: _Chosen, per: str | None) -> pd.DataFrame:
    rank_national = chosen.positions.astype(np.int64) + 1
    columns: dict[str, Any] = {
        "dossier_id": _taken(scores["dossier_id"], rows),
        "caf_code": _taken(scores["caf_code"], rows),
        "rank_national": rank_national,
        "rank_in_group": chosen.rank_in_group if per else rank_national,
        "score": _taken(scores["score"], rows),
        "probability": _taken(scores["probability"], rows),
        "selection_reason": np.where(chosen.random, "random", "score"),
    }
    for name in _carried([str(c) for c in scores.columns], per):
        columns[name] = _taken(scores[name], rows)
    return pd.DataFrame(columns)


def _ranked(columns: _Columns, rows: Positions, chosen: _Chosen, per: str | None) -> pd.DataFrame:
    """The selection's ids, ranks and reasons (the other columns are added from the file)."""
    rank_national = chosen.positions.astype(np.int64) + 1
    return pd.DataFrame(
        {
            "dossier_id": columns.ids[rows],
            "rank_national": rank_national,
            "rank_in_group": chosen.rank_in_group if per else rank_national,
            "selection_reason": np.where(chosen.random, "random", "score"),
        }
    )


def _carried(columns: Sequence[str], per: str | None) -> list[str]:
    """Columns after :data:`OUTPUT_COLUMNS`: ``per`` (if new), ``segment`` and ``reason_*``."""
    carried = [c for c in columns if _EXTRA.match(c)]
    if per and per not in OUTPUT_COLUMNS and per not in carried:
        carried.insert(0, per)
    return carried


def _taken(column: pd.Series[Any], rows: Positions) -> Any:
    return column.iloc[rows].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Checking the parameters
def _plan(
    n_files: int,
    codes: npt.NDArray[np.integer[Any]],
    names: tuple[str, ...],
    budget: int | None,
    share: float | None,
    quotas: Mapping[str, int] | None,
    per: str | None,
    min_probability: float | None,
    random_share: float,
    seed: int,
) -> _Plan:
    files = dict(zip(names, _counts(codes, len(names)).tolist(), strict=True))
    return _plan_from_counts(
        n_files, files, budget, share, quotas, per, min_probability, random_share, seed
    )


def _plan_from_counts(
    n_files: int,
    files: dict[str, int],
    budget: int | None,
    share: float | None,
    quotas: Mapping[str, int] | None,
    per: str | None,
    min_probability: float | None,
    random_share: float,
    seed: int,
) -> _Plan:
    """:func:`_plan` from the number of files of each group (sorted names), as an engine that
    counts the groups where the scores live gives them."""
    names = tuple(files)
    if quotas is not None:
        given = _checked_quotas(quotas, files, per or "caf_code")
        total, rule = sum(given.values()), "the sum of the quotas"
        _check_budget_matches(budget, share, total, n_files)
        shares = given
    else:
        total, rule = _resolve_budget(budget, share, n_files)
        shares = _largest_remainder(files, total)
    ordered = np.array([shares[name] for name in names], dtype=np.int64)
    n_random = math.floor(Fraction(str(float(random_share))) * total + Fraction(1, 2))
    random_parts = _largest_remainder(dict(zip(names, ordered.tolist(), strict=True)), n_random)
    return _Plan(
        budget=total,
        budget_rule=rule,
        names=names,
        quotas=ordered,
        random_quotas=np.array([random_parts[name] for name in names], dtype=np.int64),
        min_probability=None if min_probability is None else float(min_probability),
        seed=seed,
    )


def _resolve_budget(budget: int | None, share: float | None, n_files: int) -> tuple[int, str]:
    if budget is not None and share is not None:
        raise bad_parameter(
            "share",
            "None when budget is given (budget and share exclude each other)",
            share,
            "Give the number of checks or the share of files, not both.",
            error=SelectionParameterError,
        )
    if budget is None and share is None:
        raise bad_parameter(
            "budget",
            "given, unless share or quotas is",
            None,
            "Give the number of checks, the share of files to check, or quotas.",
            error=SelectionParameterError,
        )
    if share is not None:
        exact = Fraction(str(float(share))) * n_files
        value = math.floor(exact)
        return value, f"floor(share * n_files) = floor({float(share)!r} * {n_files:,}) = {value:,}"
    assert budget is not None
    if budget > n_files:
        raise bad_parameter(
            "budget",
            f"an int in the range [0, {n_files:,}] (at most the number of files)",
            budget,
            "Lower the budget, or give a share of the files instead.",
            error=SelectionParameterError,
        )
    return int(budget), "given"


def _check_budget_matches(
    budget: int | None, share: float | None, total: int, n_files: int
) -> None:
    if budget is not None and share is not None:
        _resolve_budget(budget, share, n_files)  # raises: both given
    if budget is not None and budget != total:
        raise bad_parameter(
            "budget",
            f"the sum of the quotas ({total:,}) when quotas are given",
            budget,
            "Leave the budget out (it defaults to the sum of the quotas), or change the quotas.",
            error=SelectionParameterError,
        )
    if share is not None:
        value, _ = _resolve_budget(None, share, n_files)
        if value != total:
            raise bad_parameter(
                "share",
                f"such that floor(share * n_files) equals the sum of the quotas ({total:,}); "
                f"it gives {value:,}",
                share,
                "Leave the share out (the budget defaults to the sum of the quotas).",
                error=SelectionParameterError,
            )


def _checked_quotas(quotas: Mapping[str, int], files: dict[str, int], per: str) -> dict[str, int]:
    checked = dict.fromkeys(files, 0)
    for group, quota in quotas.items():
        if not isinstance(group, str) or group not in files:
            known = ", ".join(list(files)[:10]) + (", ..." if len(files) > 10 else "")
            raise bad_parameter(
                "quotas",
                f"a mapping of groups of column {per!r} in the scores (named by str(value): "
                f"{known})",
                group,
                "Remove the group or correct its name.",
                error=SelectionParameterError,
                got=f"the group {group!r}",
            )
        if not _QUOTA.is_satisfied_by(quota):
            raise bad_parameter(
                "quotas",
                f"a mapping of each group to {_QUOTA}",
                quota,
                "Give each group a whole number of checks.",
                error=SelectionParameterError,
                got=f"{shown(quota)!r} for group {group!r}",
            )
        if quota > files[group]:
            raise bad_parameter(
                "quotas",
                "at most each group's number of files, so that exactly the budget is selected",
                quota,
                "Lower the quota.",
                error=SelectionParameterError,
                got=f"{quota:,} for group {group!r}, which has {files[group]:,} files",
            )
        checked[group] = int(quota)
    return checked


def _parameters(
    budget: object,
    share: object,
    per: object,
    quotas: object,
    min_probability: object,
    random_share: object,
    seed: object,
) -> dict[str, Any]:
    """The parameters as given, JSON-ready (quotas sorted by group)."""
    shown_quotas = None
    if isinstance(quotas, Mapping):
        shown_quotas = {
            str(k): _plain(v) for k, v in sorted(quotas.items(), key=lambda kv: str(kv[0]))
        }
    return {
        "budget": _plain(budget),
        "share": _plain(share),
        "per": per if per is None or isinstance(per, str) else str(per),
        "quotas": shown_quotas,
        "min_probability": _plain(min_probability),
        "random_share": _plain(random_share),
        "seed": _plain(seed),
    }


# --------------------------------------------------------------------------------------------
# Summary
def _summary(
    n_files: int, per: str | None, plan: _Plan, chosen: _Chosen, parameters: dict[str, Any]
) -> dict[str, Any]:
    by_score, at_random = int(chosen.by_score.sum()), int(chosen.at_random.sum())
    random_budget = int(plan.random_quotas.sum())
    shortfall = random_budget - at_random
    unused = plan.budget - by_score - at_random
    unused_score = unused - shortfall
    reasons = []
    if unused_score:
        reasons.append(
            f"min_probability={plan.min_probability!r}: {unused_score:,} places of the score "
            "budget were left unused, as fewer files had a probability at or above it "
            "than the score quota" + (" of their group" if per else "")
        )
    if shortfall:
        reasons.append(
            f"{shortfall:,} places of the random budget were left unused, as fewer files than "
            "the random quota were left after the score selection"
            + (" in their group" if per else "")
        )
    groups = None
    if per is not None:
        groups = {
            name: {
                "files": int(chosen.files[g]),
                "quota": int(plan.quotas[g]),
                "score_quota": int(plan.quotas[g] - plan.random_quotas[g]),
                "random_quota": int(plan.random_quotas[g]),
                "eligible": int(chosen.eligible[g]),
                "selected_by_score": int(chosen.by_score[g]),
                "selected_at_random": int(chosen.at_random[g]),
                "unused_budget": int(plan.quotas[g] - chosen.by_score[g] - chosen.at_random[g]),
            }
            for g, name in enumerate(plan.names)
        }
    return {
        "n_files": n_files,
        "budget": plan.budget,
        "budget_rule": plan.budget_rule,
        "selected": by_score + at_random,
        "selected_by_score": by_score,
        "selected_at_random": at_random,
        "score_budget": plan.budget - random_budget,
        "random_budget": random_budget,
        "eligible": int(chosen.eligible.sum()),
        "unused_budget": unused,
        "unused_reason": "; ".join(reasons) or None,
        "random_shortfall": shortfall,
        "per": per,
        "groups": groups,
        "tie_rule": TIE_RULE,
        "random_rule": (
            f"{random_budget:,} files drawn uniformly among those not selected by score"
            + (" in each group (quota split by largest remainder)" if per else "")
            + f", with numpy.random.default_rng({plan.seed})"
        ),
        "seed": plan.seed,
        "parameters": parameters,
    }


def _plain(value: object) -> Any:
    """A JSON-ready copy of a parameter value (numpy scalars as Python numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    return repr(value)
