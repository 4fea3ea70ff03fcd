"""Select files for a check: the highest scores within a budget, by group quotas if asked.

The agency checks the files that score highest, within a budget of checks (about 166,000 a year
for 13.8 million files), often with a quota per local office. This module turns a scores table
(``dossier_id``, ``caf_code``, ``score``, ``probability``, optionally ``segment`` and reason
codes) into the list of files to check, and says in a summary how the list was made.

Rules
-----
Order
    Files are ranked by score, highest first (:func:`rank_order`). Files with equal scores are
    ordered by a tie key (:func:`tie_keys`), ascending: a keyed pseudo-random number computed
    from ``dossier_id`` and ``seed`` alone, so the order does not depend on the order of the
    rows and carries no information about the household. The key is a bijection of
    ``dossier_id``, so two files never share it and the order is total. ``rank_national`` is
    the position of a file in this order (1 = highest score).
Budget
    Exactly ``budget`` files are selected, never more because of ties. With ``share``, the
    budget is ``floor(share * n_files)``, ``share`` being read as the decimal it prints as
    (0.012 is 12/1000, so 0.012 of 13,800,000 files is exactly 165,600).
Groups
    With ``per`` (a column, e.g. ``caf_code``) the budget is split into quotas proportional to
    each group's number of files (:func:`allocate_quotas`); with ``quotas`` they are given
    explicitly (no more than a group's files, so the budget is always filled). Each group's
    quota goes to its highest files in the order above.
    ``rank_in_group`` is the rank of a file within its group (``rank_national`` without groups).
Probability floor
    With ``min_probability``, no file whose probability is below it is selected by score: each
    group's quota goes to its highest files among those at or above the floor. Places left
    empty are not moved elsewhere; the summary counts them (``unused_budget``) and says why.
Random share
    ``random_share`` reserves ``round(random_share * budget)`` places (the exact product of
    the decimal, halves rounded up; split across groups in proportion to their quotas,
    largest remainder) for a uniform random draw among the files of the group not selected
    by score, so that future training data is not only what the model chose. The draw
    ignores ``min_probability``. As quotas never exceed their group, a group always has
    enough files left; should it not, all are taken and the summary says how many places
    were left (``random_shortfall``). The draw uses ``numpy.random.default_rng(seed)``: the
    candidates of a group are listed in national rank order, and
    ``Generator.choice(n_candidates, size, replace=False)`` picks among them, group by group
    in sorted group order. Those files have ``selection_reason = "random"``.

Examples
--------
>>> import pandas as pd
>>> scores = pd.DataFrame({
...     "dossier_id": [11, 12, 13, 14, 15, 16],
...     "caf_code": ["75", "75", "75", "13", "13", "13"],
...     "score": [610.0, 580.0, 520.0, 640.0, 580.0, 500.0],
...     "probability": [0.30, 0.20, 0.10, 0.40, 0.20, 0.05],
... })
>>> chosen = select(scores, budget=4, per="caf_code")
>>> chosen.frame[["dossier_id", "caf_code", "rank_national", "rank_in_group"]]
   dossier_id caf_code  rank_national  rank_in_group
0          14       13              1              1
1          11       75              2              1
2          15       13              3              2
3          12       75              4              2
>>> chosen.summary["groups"]["13"]["quota"], chosen.summary["selected"]
(2, 4)
"""

from __future__ import annotations

import csv
import datetime
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from dmde.core.errors import DmdeError, SchemaError
from dmde.data.manifest import sha256_file, write_manifest
from dmde.data.outputs import output_columns, read_output
from dmde.data.schema import EXTENSIONS
from dmde.data.writing import write_batches

__all__ = [
    "OUTPUT_COLUMNS",
    "REQUIRED_COLUMNS",
    "TIE_RULE",
    "Selection",
    "SelectionError",
    "allocate_quotas",
    "rank_order",
    "read_quotas",
    "select",
    "select_file",
    "select_top",
    "tie_keys",
]

#: Columns a scores table must have.
REQUIRED_COLUMNS = ("dossier_id", "caf_code", "score", "probability")
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
#: The tie rule, in words (also in every summary).
TIE_RULE = (
    "files are ranked by score, highest first; files with equal scores are ordered by the tie "
    "key splitmix64(uint64(dossier_id) XOR splitmix64(seed)), ascending, a keyed pseudo-random "
    "number that depends only on the dossier_id and the seed; it is a bijection of dossier_id, "
    "so no two files share it"
)

IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.intp]

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX_1 = 0xBF58476D1CE4E5B9
_MIX_2 = 0x94D049BB133111EB
_EXTRA = re.compile(r"^(segment|reason_.+)$")  # carried to the output unchanged
_QUOTA_TEXT = re.compile(r"^-?[0-9]+$")
_ALL = "(all)"  # the one group when no ``per`` is given
_SHOWN = 5  # dossier_ids shown in an error message
_FIX = "Check that it is a scores file written by 'dmde score'."


class SelectionError(DmdeError, ValueError):
    """A selection was asked for that the scores or the parameters do not allow."""


# --------------------------------------------------------------------------------------------
# Order
def _splitmix64(value: int) -> int:
    """The splitmix64 finaliser of one integer, in exact integer arithmetic (mod 2**64)."""
    z = (value + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX_1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX_2) & _MASK64
    return z ^ (z >> 31)


def tie_keys(dossier_id: npt.ArrayLike, *, seed: int) -> UIntArray:
    """Keyed pseudo-random tie-breaking keys, one per file.

    The rule, exactly, in arithmetic modulo 2**64::

        key(seed)  = splitmix64(seed)
        tie_key(d) = splitmix64(uint64(d) XOR key(seed))
        splitmix64(x): z = x + 0x9E3779B97F4A7C15
                       z = (z XOR (z >> 30)) * 0xBF58476D1CE4E5B9
                       z = (z XOR (z >> 27)) * 0x94D049BB133111EB
                       return z XOR (z >> 31)

    where ``uint64(d)`` is the two's-complement bit pattern of the int64 ``dossier_id``. Each
    step is invertible, so distinct ids always get distinct keys. The key depends on nothing
    but the id and the seed: it carries no information about the household, and a different
    seed gives an unrelated order.

    Parameters
    ----------
    dossier_id : array-like of int
        File identifiers (int64 values).
    seed : int
        In [0, 2**64).

    Returns
    -------
    numpy.ndarray of uint64
        One key per id.

    Examples
    --------
    >>> keys = tie_keys([1, 2, 3], seed=0)
    >>> keys.dtype, [hex(k) for k in keys]
    (dtype('uint64'), ['0x8b4fda8c892b50e', '0xd7cc9674ff5ffa39', '0xc810565020d09481'])
    >>> hex(_splitmix64(_splitmix64(0) ^ 1))  # the same rule in plain integers
    '0x8b4fda8c892b50e'
    """
    seed = _checked_seed(seed, "tie_keys")
    ids = np.asarray(dossier_id)
    if not np.issubdtype(ids.dtype, np.integer):
        raise SelectionError(
            f"The 'dossier_id' parameter of tie_keys must be integers. Got an array of "
            f"{ids.dtype} instead. Pass the int64 dossier_id column."
        )
    return _tie_keys(ids.astype(np.int64, copy=False), seed)


def _tie_keys(ids: IntArray, seed: int) -> UIntArray:
    """:func:`tie_keys` without checks, vectorised in place (wrap-around uint64 arithmetic)."""
    z = ids.view(np.uint64) ^ np.uint64(_splitmix64(seed))  # a new array, changed in place
    shifted = np.empty_like(z)
    with np.errstate(over="ignore"):  # unsigned wrap-around is the intended arithmetic
        z += np.uint64(_GOLDEN)
        for shift, multiplier in ((30, _MIX_1), (27, _MIX_2)):
            np.right_shift(z, np.uint64(shift), out=shifted)
            z ^= shifted
            z *= np.uint64(multiplier)
        np.right_shift(z, np.uint64(31), out=shifted)
        z ^= shifted
    return z


def rank_order(scores: pd.DataFrame, *, seed: int = 0) -> Positions:
    """The total order of the files: highest score first, ties by tie key.

    Parameters
    ----------
    scores : pandas.DataFrame
        With columns ``dossier_id`` (unique integers) and ``score`` (finite numbers).
    seed : int, default 0
        Key of the tie order (see :func:`tie_keys`), in [0, 2**64).

    Returns
    -------
    numpy.ndarray of intp
        Row positions (as for ``scores.iloc``), from the highest score to the lowest.

    Raises
    ------
    SelectionError
        If a column is missing, a score is NaN or infinite, or a ``dossier_id`` repeats.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3, 4], "score": [10.0, 30.0, 10.0, 10.0]})
    >>> rank_order(scores, seed=0).tolist()
    [1, 0, 3, 2]
    >>> rank_order(scores, seed=1).tolist()  # another seed, another tie order
    [1, 2, 3, 0]
    """
    seed = _checked_seed(seed, "rank_order")
    _require_columns([str(c) for c in scores.columns], ("dossier_id", "score"), None)
    ids = _id_values(scores, None)
    return _order(_score_values(scores, "score", None), ids, seed)


def _order(score: FloatArray, ids: IntArray, seed: int) -> Positions:
    """Positions by score descending, then tie key ascending (keys are distinct).

    One sort of the scores gives each file the dense rank of its score; the dense rank (high
    bits) and the leading bits of the tie key (low bits) are packed into one uint64 and sorted
    once more. Files whose packed values collide (same score, same leading key bits) are then
    put in full-key order, so the result is exact.
    """
    n = score.size
    if n == 0:
        return np.empty(0, dtype=np.intp)
    descending = np.argsort(score)[::-1]
    ordered = score[descending]
    new_value = np.empty(n, dtype=np.bool_)
    new_value[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
    del ordered
    packed = np.cumsum(new_value, dtype=np.uint64)  # dense rank of the score, from 1
    del new_value
    packed -= np.uint64(1)
    bits = max(int(packed[-1]).bit_length(), 1)
    packed <<= np.uint64(64 - bits)
    key = _tie_keys(ids[descending], seed)
    packed |= key >> np.uint64(bits)
    inner = np.argsort(packed)
    packed = packed[inner]
    clash = np.flatnonzero(packed[1:] == packed[:-1])
    if clash.size:
        spots = np.union1d(clash, clash + 1)
        within = np.lexsort((key[inner[spots]], packed[spots]))
        inner[spots] = inner[spots][within]
    result: Positions = descending[inner]
    return result


# --------------------------------------------------------------------------------------------
# Quotas
def allocate_quotas(counts: Mapping[str, int], budget: int) -> dict[str, int]:
    """Split a budget across groups in proportion to their sizes (largest remainder).

    Each group first gets ``floor(budget * count / total)``; the places left go one each to the
    groups with the largest remainders ``budget * count mod total``, equal remainders in
    ascending order of group name (Python string order). The arithmetic is exact (integers).

    Parameters
    ----------
    counts : mapping of str to int
        Number of files of each group (at least 0).
    budget : int
        Places to split, from 0 to the total number of files.

    Returns
    -------
    dict of str to int
        The quota of each group, in sorted group order. The quotas sum to ``budget``, each is
        within 1 of ``budget * count / total``, and none exceeds its group's count.

    Raises
    ------
    SelectionError
        If a count or the budget is not a whole number of at least 0, or the budget exceeds
        the total.

    Notes
    -----
    No quota can exceed its group: the exact share ``budget * count / total`` is at most
    ``count`` since ``budget <= total``, and a group gets the extra place only when its share
    has a fractional part, so it is then below ``count``. Nothing needs redistributing.

    Examples
    --------
    >>> allocate_quotas({"75": 500, "13": 300, "69": 200}, 7)
    {'13': 2, '69': 1, '75': 4}
    >>> allocate_quotas({"a": 1, "b": 1, "c": 1}, 2)  # equal remainders: by name
    {'a': 1, 'b': 1, 'c': 0}
    """
    if not isinstance(counts, Mapping):
        raise SelectionError(
            f"The 'counts' parameter of allocate_quotas must be a mapping of group to number of "
            f"files. Got a {type(counts).__name__} instead."
        )
    sizes: dict[str, int] = {}
    for group, count in sorted(counts.items()):
        if not _is_int(count) or count < 0:
            raise SelectionError(
                f"The 'counts' parameter of allocate_quotas must map each group to a whole "
                f"number of at least 0. Got {_show(count)} for group {group!r} instead."
            )
        sizes[str(group)] = int(count)
    total = sum(sizes.values())
    if not _is_int(budget) or not 0 <= budget <= total:
        raise SelectionError(
            f"The 'budget' parameter of allocate_quotas must be an int in [0, {total:,}] (the "
            f"total of the counts). Got {_show(budget)} instead. Lower the budget."
        )
    return _largest_remainder(sizes, int(budget))


def _largest_remainder(sizes: dict[str, int], budget: int) -> dict[str, int]:
    total = sum(sizes.values())
    if total == 0:
        return dict.fromkeys(sizes, 0)
    quotas = {g: budget * c // total for g, c in sizes.items()}
    left = budget - sum(quotas.values())
    by_remainder = sorted(sizes, key=lambda g: (-(budget * sizes[g] % total), g))
    for group in by_remainder[:left]:
        quotas[group] += 1
    return quotas


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
    scores: pd.DataFrame,
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
    """:func:`select`, with the positions of the selected rows in ``scores`` (ranked)."""
    parameters = _parameters(budget, share, per, quotas, min_probability, random_share, seed)
    seed = _checked_seed(seed, "select")
    _check_numbers(budget, share, min_probability, random_share)
    if quotas is not None and per is None:
        per = "caf_code"
    if per is not None and not isinstance(per, str):
        raise _bad_parameter("per", "a column name (str) or None", per, "Name a column.")
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(
            f"select needs the scores as a pandas.DataFrame; got a {type(scores).__name__}. "
            "Read the scores file with select_file, or build a DataFrame."
        )
    _require_columns([str(c) for c in scores.columns], _needed(per), source)
    ids = _id_values(scores, source)
    score = _score_values(scores, "score", source)
    probability = _probability_values(scores, ids, source)
    codes, names = _group_codes(scores, per, source)
    plan = _plan(
        len(ids), codes, names, budget, share, quotas, per, min_probability, random_share, seed
    )
    order = _order(score, ids, seed)
    chosen = _choose(order, codes, probability, plan)
    rows = order[chosen.positions]
    frame = _frame(scores, rows, chosen, per)
    summary = _summary(len(ids), per, plan, chosen, parameters)
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
    order: Positions, codes: npt.NDArray[np.integer[Any]], probability: FloatArray, plan: _Plan
) -> _Chosen:
    """Apply the plan along the national order (computation only, no I/O)."""
    n, n_groups = order.size, len(plan.names)
    group = codes[order]  # group of each position of the order
    files = np.bincount(group, minlength=n_groups).astype(np.int64)
    starts = np.cumsum(files) - files
    grouped: Positions = (
        np.arange(n, dtype=np.intp) if n_groups == 1 else np.argsort(group, kind="stable")
    )
    rank_in_group = np.empty(n, dtype=np.int64)
    rank_in_group[grouped] = np.arange(1, n + 1) - np.repeat(starts, files)
    if plan.min_probability is None:
        eligible_at = np.ones(n, dtype=np.bool_)
    else:
        eligible_at = probability[order] >= plan.min_probability
    eligible_grouped = eligible_at[grouped]
    seen = np.cumsum(eligible_grouped, dtype=np.int64)
    before = np.concatenate(([0], seen))[starts]
    score_quota = plan.quotas - plan.random_quotas
    take = eligible_grouped & (seen - np.repeat(before, files) <= np.repeat(score_quota, files))
    by_score = np.zeros(n, dtype=np.bool_)
    by_score[grouped] = take
    at_random = np.zeros(n, dtype=np.bool_)
    rng = np.random.default_rng(plan.seed)
    for g in np.flatnonzero(plan.random_quotas):
        members = grouped[starts[g] : starts[g] + files[g]]
        candidates = members[~by_score[members]]
        size = min(int(plan.random_quotas[g]), candidates.size)
        at_random[candidates[rng.choice(candidates.size, size=size, replace=False)]] = True
    positions = np.flatnonzero(by_score | at_random)
    return _Chosen(
        positions=positions,
        rank_in_group=rank_in_group[positions],
        random=at_random[positions],
        files=files,
        eligible=np.bincount(group[eligible_at], minlength=n_groups).astype(np.int64),
        by_score=np.bincount(group[by_score], minlength=n_groups).astype(np.int64),
        at_random=np.bincount(group[at_random], minlength=n_groups).astype(np.int64),
    )


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


def _carried(columns: Sequence[str], per: str | None) -> list[str]:
    """Columns after :data:`OUTPUT_COLUMNS`: ``per`` (if new), ``segment`` and ``reason_*``."""
    carried = [c for c in columns if _EXTRA.match(c)]
    if per and per not in OUTPUT_COLUMNS and per not in carried:
        carried.insert(0, per)
    return carried


def _taken(column: pd.Series[Any], rows: Positions) -> Any:
    return column.iloc[rows].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Checking the scores
def _needed(per: str | None) -> tuple[str, ...]:
    return (*REQUIRED_COLUMNS, *((per,) if per else ()))


def _require_columns(present: Sequence[str], names: Sequence[str], source: str | None) -> None:
    missing = [n for n in dict.fromkeys(names) if n not in present]
    if missing:
        shown = ", ".join(present[:12]) + (", ..." if len(present) > 12 else "")
        raise SelectionError(
            f"{_where(source)}missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}: a scores table needs "
            f"{', '.join(dict.fromkeys(names))}; it has {shown or 'no columns'}. Select from "
            "the output of 'dmde score', or name an existing column with per."
        )
    repeated = [n for n in dict.fromkeys(names) if present.count(n) > 1]
    if repeated:
        raise SelectionError(
            f"{_where(source)}column {repeated[0]!r} appears {present.count(repeated[0])} "
            "times; each column must appear once. Rename or drop the copies."
        )


def _id_values(scores: pd.DataFrame, source: str | None) -> IntArray:
    column = scores["dossier_id"]
    if not pd.api.types.is_integer_dtype(column.dtype) or column.hasnans:
        raise SelectionError(
            f"{_where(source)}column 'dossier_id' must hold whole numbers with no missing value; "
            f"it has dtype {column.dtype}{' and missing values' if column.hasnans else ''}. "
            "Use the dossier_id column of the scores file."
        )
    ids = column.to_numpy(dtype=np.int64)
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):  # else sorted and unique already
        ordered = np.sort(ids)
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if repeated.size:
            raise SelectionError(
                f"{_where(source)}column 'dossier_id' must be unique; found "
                f"{_plural(repeated.size, 'id')} on several rows ({_ids(repeated)}). Each "
                "file must be scored once: remove the duplicates."
            )
    return ids


def _score_values(scores: pd.DataFrame, name: str, source: str | None) -> FloatArray:
    column = scores[name]
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        raise SelectionError(
            f"{_where(source)}column {name!r} must hold numbers; it has dtype {column.dtype}. "
            "Use the score column written by 'dmde score'."
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        ids = scores["dossier_id"].to_numpy()[bad]
        raise SelectionError(
            f"{_where(source)}column {name!r} must hold finite numbers; found NaN, a missing "
            f"value or an infinity on {_plural(int(bad.sum()), 'row')} (dossier_id "
            f"{_ids(ids)}). Rescore these files or remove them."
        )
    return values


def _probability_values(scores: pd.DataFrame, ids: IntArray, source: str | None) -> FloatArray:
    values = _score_values(scores, "probability", source)
    bad = (values < 0) | (values > 1)
    if bad.any():
        raise SelectionError(
            f"{_where(source)}column 'probability' must lie in [0, 1]; found "
            f"{float(values[bad][0])!r} and others outside on {_plural(int(bad.sum()), 'row')} "
            f"(dossier_id {_ids(ids[bad])}). Use the probability column written by 'dmde score'."
        )
    return values


def _group_codes(
    scores: pd.DataFrame, per: str | None, source: str | None
) -> tuple[npt.NDArray[np.integer[Any]], tuple[str, ...]]:
    """Group code of each row (0..G-1, in sorted order of the names) and the names."""
    n = len(scores)
    if per is None:
        return np.zeros(n, dtype=np.int8), (_ALL,)
    raw_codes, uniques = pd.factorize(scores[per])
    if n and raw_codes.min() < 0:
        missing = raw_codes < 0
        raise SelectionError(
            f"{_where(source)}column {per!r} (per) must have a value on every row; found none "
            f"on {_plural(int(missing.sum()), 'row')} (dossier_id "
            f"{_ids(scores['dossier_id'].to_numpy()[missing])}). Fill them in or group by "
            "another column."
        )
    labels = [str(u) for u in uniques]
    names = tuple(sorted(set(labels)))
    dtype = np.int8 if len(names) < 2**7 else np.int16 if len(names) < 2**15 else np.int64
    index = {name: i for i, name in enumerate(names)}
    lookup: npt.NDArray[np.integer[Any]] = np.array([index[x] for x in labels], dtype=dtype)
    return np.take(lookup, raw_codes) if lookup.size else np.zeros(0, dtype=dtype), names


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
    files = dict(zip(names, np.bincount(codes, minlength=len(names)).tolist(), strict=True))
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
        raise SelectionError(
            f"The 'budget' and 'share' parameters of select exclude each other. Got budget="
            f"{_show(budget)} and share={_show(share)}. Give one of them."
        )
    if budget is None and share is None:
        raise SelectionError(
            "The 'budget' or 'share' parameter of select must be given (or 'quotas'). Got "
            "neither. Give the number of checks (budget=) or the share of files (share=)."
        )
    if share is not None:
        exact = Fraction(str(float(share))) * n_files
        value = math.floor(exact)
        return value, f"floor(share * n_files) = floor({float(share)!r} * {n_files:,}) = {value:,}"
    assert budget is not None
    if not _is_int(budget) or not 0 <= budget <= n_files:
        raise _bad_parameter(
            "budget",
            f"an int in [0, {n_files:,}] (at most the number of files)",
            budget,
            "Lower the budget, or give share= for a share of the files.",
        )
    return int(budget), "given"


def _check_budget_matches(
    budget: int | None, share: float | None, total: int, n_files: int
) -> None:
    if budget is not None and share is not None:
        _resolve_budget(budget, share, n_files)  # raises: both given
    if budget is not None and (not _is_int(budget) or budget != total):
        raise _bad_parameter(
            "budget",
            f"the sum of the quotas ({total:,}) when quotas are given",
            budget,
            "Leave budget out (it defaults to the sum), or change the quotas.",
        )
    if share is not None:
        value, _ = _resolve_budget(None, share, n_files)
        if value != total:
            raise _bad_parameter(
                "share",
                f"such that floor(share * n_files) equals the sum of the quotas ({total:,}); "
                f"it gives {value:,}",
                share,
                "Leave share out (the budget defaults to the sum of the quotas).",
            )


def _checked_quotas(quotas: Mapping[str, int], files: dict[str, int], per: str) -> dict[str, int]:
    if not isinstance(quotas, Mapping):
        raise _bad_parameter(
            "quotas", "a mapping of group to quota", type(quotas).__name__, "Pass a dict."
        )
    checked = dict.fromkeys(files, 0)
    for group, quota in quotas.items():
        if not isinstance(group, str) or group not in files:
            known = ", ".join(list(files)[:10]) + (", ..." if len(files) > 10 else "")
            raise SelectionError(
                f"The 'quotas' parameter of select names group {group!r}, which is not a value "
                f"of column {per!r} in the scores (groups are named by str(value): {known}). "
                "Remove it or correct its name."
            )
        if not _is_int(quota) or quota < 0:
            raise SelectionError(
                f"The 'quotas' parameter of select must give each group a whole number of at "
                f"least 0. Got {_show(quota)} for group {group!r} instead. Correct the quota."
            )
        if quota > files[group]:
            raise SelectionError(
                f"The 'quotas' parameter of select gives group {group!r} a quota of {quota:,}, "
                f"more than its {files[group]:,} files: a quota must not exceed the group's "
                "files, so that exactly the budget is selected. Lower the quota."
            )
        checked[group] = int(quota)
    return checked


def _check_numbers(
    budget: int | None, share: float | None, min_probability: float | None, random_share: float
) -> None:
    if budget is not None and (not _is_int(budget) or budget < 0):
        raise _bad_parameter(
            "budget", "a whole number of at least 0 (or None)", budget, "Give a number of checks."
        )
    checks: list[tuple[str, object, Callable[[float], bool], str]] = [
        ("share", share, lambda v: 0 < v <= 1, "a number in (0, 1] (or None)"),
        ("min_probability", min_probability, lambda v: 0 <= v <= 1, "a number in [0, 1] or None"),
        ("random_share", random_share, lambda v: 0 <= v < 1, "a number in [0, 1)"),
    ]
    for name, value, ok, rule in checks:
        if value is None and name != "random_share":
            continue
        if not _is_real(value) or not ok(float(value)):
            raise _bad_parameter(name, rule, value, f"Correct {name}.")


def _checked_seed(seed: object, function: str) -> int:
    if not _is_int(seed) or not 0 <= int(seed) < 2**64:
        raise SelectionError(
            f"The 'seed' parameter of {function} must be an int in [0, 2**64). Got "
            f"{_show(seed)} instead. Pass a whole number such as 0."
        )
    return int(seed)


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


# --------------------------------------------------------------------------------------------
# Files
def read_quotas(path: str | os.PathLike[str]) -> dict[str, int]:
    """Read quotas from a CSV file with the header ``caf_code,quota`` (or ``group,quota``).

    Rows are numbered from 1, the first line after the header. Spaces around values are
    ignored, and so are blank lines. Group names are kept as written (``01`` stays ``01``).

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8, comma separated).

    Returns
    -------
    dict of str to int
        The quota of each group, in file order.

    Raises
    ------
    SelectionError
        If the file is missing or unreadable, the header is not one of those above, or a row
        has the wrong number of fields, an empty group, a quota that is not a whole number
        of at least 0, or a group already given; the message names the file, row and value.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "quotas.csv")
    ...     _ = path.write_text("caf_code,quota\\n75,120\\n2A,8\\n")
    ...     print(read_quotas(path))
    {'75': 120, '2A': 8}
    """
    name = os.fspath(path)
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as stream:
            lines = list(csv.reader(stream))
    except FileNotFoundError:
        raise SelectionError(f"quota file {name!r} does not exist. Check the path.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SelectionError(
            f"quota file {name!r} cannot be read: {exc}. Save it as UTF-8 CSV."
        ) from None
    header = [h.strip() for h in lines[0]] if lines else []
    if header not in (["caf_code", "quota"], ["group", "quota"]):
        raise SelectionError(
            f"quota file {name!r} must start with the header 'caf_code,quota' (or "
            f"'group,quota'); found {','.join(header) if header else 'an empty file'!r}. "
            "Add or correct the header line."
        )
    quotas: dict[str, int] = {}
    first_row: dict[str, int] = {}
    for row, fields in enumerate(lines[1:], start=1):
        if not fields:
            continue
        where = f"quota file {name!r}, row {row}"
        if len(fields) != 2:
            raise SelectionError(
                f"{where}: expected 2 fields ({header[0]},quota); found {len(fields)}: "
                f"{','.join(fields)!r}. Write one group and its quota per line."
            )
        group, text = fields[0].strip(), fields[1].strip()
        if not group:
            raise SelectionError(f"{where}: the {header[0]} is empty. Name the group.")
        if not _QUOTA_TEXT.match(text):
            raise SelectionError(
                f"{where}: the quota of {group!r} must be a whole number; found {text!r}. "
                "Write digits only, e.g. 120."
            )
        if int(text) < 0:
            raise SelectionError(
                f"{where}: the quota of {group!r} must be at least 0; found {text}. Use 0 "
                "for a group with no check."
            )
        if group in quotas:
            raise SelectionError(
                f"{where}: group {group!r} was already given on row {first_row[group]}; each "
                "group must appear once. Remove one of the rows."
            )
        quotas[group], first_row[group] = int(text), row
    return quotas


def select_file(
    scores_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    budget: int | None = None,
    share: float | None = None,
    per: str | None = None,
    quotas: Mapping[str, int] | None = None,
    min_probability: float | None = None,
    random_share: float = 0.0,
    seed: int = 0,
) -> Selection:
    """Select from a scores file; write the selection and its manifest.

    Only the columns used are read from the scores file (Parquet or CSV, as written by
    ``dmde score``): those of :data:`REQUIRED_COLUMNS` and ``per`` for every row, then
    ``segment`` and the ``reason_*`` columns for the selected rows (Parquet: read after the
    selection, checking that the file still has the same rows; CSV: parsed once with the
    rest). Text is read dictionary-encoded and given back as text. In CSV, every column but
    ``dossier_id``, ``score``, ``probability`` and ``reason_*_points`` is read as text, so
    codes such as ``01`` keep their zeros. The selection is written atomically (CSV
    or Parquet by the extension of ``out_path``; see :func:`dmde.data.datasets.write_batches`),
    then the manifest ``<out_path>.manifest.json``: input path and SHA-256, output path,
    SHA-256 and rows, parameters, counts (``files = selected + not_selected``, ``budget =
    selected + unused_budget``, ``selected = selected_by_score + selected_at_random``), the
    summary, start and end times and seconds. If the manifest cannot be written the output
    is removed, so an output always has its manifest.

    Parameters
    ----------
    scores_path : str or path-like
        The scores (``.parquet``, ``.pq`` or ``.csv``).
    out_path : str or path-like
        The selection to write (``.parquet``, ``.pq`` or ``.csv``); not the scores file.
    budget, share, per, quotas, min_probability, random_share, seed
        As for :func:`select`.

    Returns
    -------
    Selection
        As :func:`select` returns it for the same rows; the manifest is
        :func:`dmde.batch.manifest.manifest_path` of ``out_path``.

    Raises
    ------
    SelectionError
        If a file is missing or unreadable, an extension is not supported, the output is the
        input, or :func:`select` refuses the scores or parameters (message prefixed by the
        file). Nothing is written then.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"dossier_id": [1, 2, 3], "caf_code": ["01", "01", "02"],
    ...                        "score": [5.0, 9.0, 7.0], "probability": [0.1, 0.3, 0.2]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     scores.to_csv(folder / "scores.csv", index=False)
    ...     chosen = select_file(folder / "scores.csv", folder / "checks.csv", budget=2)
    ...     text = (folder / "checks.csv").read_text()
    ...     manifest = json.loads((folder / "checks.csv.manifest.json").read_text())
    >>> print(text)
    dossier_id,caf_code,rank_national,rank_in_group,score,probability,selection_reason
    2,"01",1,1,9,0.3,"score"
    3,"02",2,2,7,0.2,"score"
    <BLANKLINE>
    >>> manifest["counts"]["selected"], manifest["counts"]["not_selected"]
    (2, 1)

    """
    started = time.perf_counter()
    start_time = _now()
    source, target = Path(scores_path), Path(out_path)
    _check_paths(source, target)
    if quotas is not None and per is None:
        per = "caf_code"
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_file, source)
        table, wanted = _read_scores(source, per)
        chosen, rows = _select(
            table.select([c for c in wanted if _is_core(c, per)]).to_pandas(),
            budget=budget,
            share=share,
            per=per,
            quotas=quotas,
            min_probability=min_probability,
            random_share=random_share,
            seed=seed,
            source=str(source),
        )
        input_sha256 = digest.result()
    output = _with_extras(chosen.frame, _carried(wanted, per), table, source, rows)
    written = _arrow_table(output)
    write_batches(target, [written], schema=written.schema)
    summary = chosen.summary
    record = {
        "command": "select",
        "input": {"path": str(source), "sha256": input_sha256, "rows": summary["n_files"]},
        "columns_read": wanted,
        "output": {"path": str(target), "sha256": sha256_file(target), "rows": len(output)},
        "parameters": summary["parameters"],
        "counts": {
            "files": summary["n_files"],
            "budget": summary["budget"],
            "selected": summary["selected"],
            "selected_by_score": summary["selected_by_score"],
            "selected_at_random": summary["selected_at_random"],
            "unused_budget": summary["unused_budget"],
            "not_selected": summary["n_files"] - summary["selected"],
        },
        "summary": summary,
        "started": start_time,
        "ended": _now(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    try:
        write_manifest(target, record)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Selection(output, summary)


def _check_paths(source: Path, target: Path) -> None:
    for role, path in (("scores_path", source), ("out_path", target)):
        if path.suffix.lower() not in EXTENSIONS:
            raise SelectionError(
                f"The {role!r} parameter of select_file must end in one of "
                f"{', '.join(EXTENSIONS)}. Got {str(path)!r}. Rename the file."
            )
    if not source.is_file():
        raise SelectionError(f"scores file {str(source)!r} does not exist. Check the path.")
    if target.exists() and target.resolve() == source.resolve():
        raise SelectionError(
            f"The 'out_path' parameter of select_file must differ from the scores file. Got "
            f"{str(target)!r} for both. Write the selection to another file."
        )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _is_core(name: str, per: str | None) -> bool:
    return name in REQUIRED_COLUMNS or name == per


def _read_scores(source: Path, per: str | None) -> tuple[pa.Table, list[str]]:
    """The columns a selection reads from a scores file, text dictionary-encoded.

    Returns the table and the names of every column used (required, ``per``, carried). From
    Parquet only the required and ``per`` columns are read here (the carried ones are read
    later, for the selected rows only); from CSV every column used is parsed, once.
    """
    try:
        header = output_columns(source, what="scores file", fix=_FIX)
        _require_columns(header, _needed(per), str(source))
        wanted = _wanted(header, per)
        if EXTENSIONS[source.suffix.lower()] == "parquet":
            wanted_now = [c for c in wanted if _is_core(c, per)]
        else:
            wanted_now = wanted
        return read_output(source, wanted_now, what="scores file", fix=_FIX), wanted
    except SchemaError as exc:
        raise SelectionError(str(exc)) from None


def _wanted(header: Sequence[str], per: str | None) -> list[str]:
    return [h for h in dict.fromkeys(header) if _is_core(h, per) or _EXTRA.match(h)]


def _with_extras(
    frame: pd.DataFrame, carried: list[str], table: pa.Table, source: Path, rows: Positions
) -> pd.DataFrame:
    """The selection with the carried columns of the selected rows, and text as text."""
    out = frame.copy()
    extras = [c for c in carried if c not in out.columns]
    index = pa.array(rows, pa.int64())
    if all(c in table.column_names for c in extras):
        taken = table.select(extras).take(index)
    else:  # Parquet: read now, and check that the rows are the same files
        try:
            columns = ["dossier_id", *extras]
            taken = read_output(source, columns, what="scores file", fix=_FIX).take(index)
        except SchemaError as exc:
            raise SelectionError(str(exc)) from None
        if taken.column("dossier_id").to_numpy().tolist() != out["dossier_id"].tolist():
            raise SelectionError(
                f"scores file {str(source)!r} changed while it was being read; nothing was "
                "written. Run the selection again once the file is complete."
            )
    for name in extras:
        out[name] = taken.column(name).to_pandas()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):  # read dictionary-encoded
            out[name] = out[name].astype(out[name].cat.categories.dtype)
    return out[[*OUTPUT_COLUMNS, *carried]]


def _is_text_type(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)
    )


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow, text as ``string`` and no pandas metadata (deterministic bytes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    fields = [pa.field(f.name, pa.string()) if _is_text_type(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


# --------------------------------------------------------------------------------------------
# Small helpers
def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: object) -> TypeGuard[float | int | np.integer[Any] | np.floating[Any]]:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


def _plain(value: object) -> Any:
    """A JSON-ready copy of a parameter value (numpy scalars as Python numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    return repr(value)


def _show(value: object) -> str:
    return repr(_plain(value)) if isinstance(value, np.generic) else repr(value)


def _bad_parameter(name: str, rule: str, value: object, fix: str) -> SelectionError:
    return SelectionError(
        f"The {name!r} parameter of select must be {rule}. Got {_show(value)} instead. {fix}"
    )


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _where(source: str | None) -> str:
    return f"scores file {source!r}: " if source else "scores: "


def _ids(values: npt.NDArray[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOWN].tolist())
    return shown + (", ..." if len(values) > _SHOWN else "")
