"""The national order of the files: score first, ties by a keyed pseudo-random tie key."""

from __future__ import annotations

from numbers import Integral
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmde.batch.scores_table import (
    SelectionParameterError,
    _id_values,
    _require_columns,
    _score_values,
)
from dmde.data.parameters import Range, bad_parameter, check_parameters

__all__ = ["TIE_RULE", "rank_order", "tie_keys"]

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
    seed = checked_seed(seed)
    ids = np.asarray(dossier_id)
    if not np.issubdtype(ids.dtype, np.integer):
        raise bad_parameter(
            "dossier_id",
            "an array of integers",
            ids,
            "Pass the int64 dossier_id column.",
            error=SelectionParameterError,
            got=f"an array of {ids.dtype}",
        )
    return _tie_keys(ids.astype(np.int64, copy=False), seed)


def checked_seed(seed: object) -> int:
    """``seed`` as an int, if it is one in [0, 2**64) (the key of the tie order)."""
    check_parameters(
        {"seed": [Range(Integral, 0, 2**64, closed="left")]},
        {"seed": seed},
        fixes={"seed": "Pass a whole number such as 0."},
        error=SelectionParameterError,
    )
    return int(seed)  # type: ignore[call-overload,no-any-return]


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
    seed = checked_seed(seed)
    _require_columns([str(c) for c in scores.columns], ("dossier_id", "score"), None)
    ids = _id_values(scores, None)
    return _order(_score_values(scores, "score", None), ids, seed)


def _order(score: FloatArray, ids: IntArray, seed: int) -> Positions:
    """Positions by score descending, then tie key ascending (keys are distinct).

    Each file gets the dense rank of its score (0 = highest): through a hash of the distinct
    scores when there are at most :data:`_HASHED_SCORES` of them, else through one argsort of the
    scores. The rank (high bits), the leading bits of the tie key (middle bits) and the file's
    position (low bits) are packed into one uint64 and sorted as plain numbers (no argsort): the
    positions are read back from the low bits. Files whose rank and leading key bits collide
    are then put in full-key order, so the result is exact. Memory: one uint64 per file, built
    and read in chunks, besides the positions returned (and the argsort's positions when the
    scores are nearly all distinct).
    """
    n = score.size
    if n == 0:
        return np.empty(0, dtype=np.intp)
    values = _distinct(score)
    rank_bits, row_bits = (values.size - 1).bit_length(), (n - 1).bit_length()
    key_bits = min(64 - rank_bits - row_bits, _KEY_BITS)
    if key_bits < 0:  # more than 2**32 files: no room to pack; sort on the full columns
        result: Positions = np.lexsort((_tie_keys(ids, seed), np.negative(score)))
        return result
    descending: Positions | None = None
    if values.size <= _HASHED_SCORES:
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(pa.array(score)))
        dictionary = encoded.dictionary.to_numpy(zero_copy_only=False)
        rank_of = np.uint64(values.size - 1) - np.searchsorted(values, dictionary).astype(np.uint64)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        del encoded, dictionary

        def ranks(lo: int, hi: int) -> UIntArray:
            part: UIntArray = rank_of[codes[lo:hi]]
            return part

    else:
        descending = np.argsort(score)[::-1]
        ordered = score[descending]
        rank_sorted = np.empty(n, dtype=np.uint64)
        rank_sorted[0] = 0
        np.not_equal(ordered[1:], ordered[:-1], out=rank_sorted[1:], casting="unsafe")
        del ordered
        np.cumsum(rank_sorted, out=rank_sorted)

        def ranks(lo: int, hi: int) -> UIntArray:
            return rank_sorted[lo:hi]

    def rows(lo: int, hi: int) -> Positions:
        return np.arange(lo, hi) if descending is None else descending[lo:hi]

    packed = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        part = packed[lo:hi]
        if key_bits:
            np.right_shift(_tie_keys(ids[rows(lo, hi)], seed), np.uint64(64 - key_bits), out=part)
            part <<= np.uint64(row_bits)
        else:
            part[:] = 0
        part |= np.arange(lo, hi, dtype=np.uint64)
        if rank_bits:
            part |= ranks(lo, hi) << np.uint64(64 - rank_bits)
    packed.sort()
    clash = _clashes(packed, row_bits)
    np.bitwise_and(packed, np.uint64((1 << row_bits) - 1), out=packed)
    result = packed.view(np.int64) if descending is None else descending[packed.view(np.int64)]
    if clash.size:  # same rank and same leading key bits: order each run by the full key
        spots = np.union1d(clash, clash + 1)
        run = np.cumsum(~np.isin(spots, clash + 1))
        within = np.lexsort((_tie_keys(ids[result[spots]], seed), run))
        result[spots] = result[spots][within]
    return result


#: Most distinct scores for which the dense rank is found by hashing (else by one argsort).
_HASHED_SCORES = 1 << 20
_CHUNK = 1 << 18  # rows packed or compared at a time
_KEY_BITS = 64  # at most this many leading bits of the tie key are packed (fewer in tests)


def _distinct(values: FloatArray) -> FloatArray:
    """The distinct values, ascending (0.0 and -0.0 are one value)."""
    ordered = np.sort(values)
    new = np.empty(ordered.size, dtype=np.bool_)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    distinct: FloatArray = ordered[new]
    return distinct


def _clashes(packed: UIntArray, row_bits: int) -> Positions:
    """Sorted positions i where values i and i + 1 differ only in their ``row_bits`` low bits."""
    found = []
    limit = np.uint64(1 << row_bits)
    for lo in range(0, packed.size - 1, _CHUNK):
        hi = min(lo + _CHUNK, packed.size - 1)
        same = np.bitwise_xor(packed[lo + 1 : hi + 1], packed[lo:hi]) < limit
        found.append(lo + np.flatnonzero(same))
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)
