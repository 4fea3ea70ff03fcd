"""A scores table as selection reads it: the errors of selection, and the checks of the
columns (required, unique ``dossier_id``, finite scores, probabilities in [0, 1], groups).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmde.core.errors import DmdeError, ParameterError

__all__ = ["REQUIRED_COLUMNS", "SelectionError", "SelectionParameterError"]

#: Columns a scores table must have.
REQUIRED_COLUMNS = ("dossier_id", "caf_code", "score", "probability")

IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.intp]

_ALL = "(all)"  # the one group when no ``per`` is given
_SHOWN = 5  # dossier_ids shown in an error message
_CHUNK = 1 << 20  # rows counted at a time


class SelectionError(DmdeError, ValueError):
    """A selection was asked for that the scores or the parameters do not allow."""


class SelectionParameterError(ParameterError, SelectionError):
    """A parameter of a selection function is outside what it accepts (exit code 2).

    The message names the parameter as the Python keyword: "budget must be ...; got ...".
    """


# --------------------------------------------------------------------------------------------
# Checking the scores
@dataclass(eq=False)
class _Columns:
    """The columns a selection uses, checked: unique ids, finite scores, probabilities in
    [0, 1], and the group code of each row (0..G-1, in sorted order of the names)."""

    ids: IntArray
    score: FloatArray
    probability: FloatArray
    codes: npt.NDArray[np.integer[Any]]
    names: tuple[str, ...]
    #: Whether each probability is at or above ``floor``, when the probabilities were not kept
    #: (see :func:`_arrow_columns`).
    eligible: BoolArray | None = None
    floor: float | None = None

    def release(self, name: str) -> None:
        """Let go of the column ``name`` (``score`` or ``probability``) once used: it is
        replaced by an empty array, so that its memory is freed."""
        setattr(self, name, np.empty(0, dtype=np.float64))


def _checked_columns(scores: pd.DataFrame, per: str | None, source: str | None) -> _Columns:
    """The columns of a scores frame that has the :func:`_needed` ones, checked."""
    ids = _id_values(scores, source)
    score = _score_values(scores, "score", source)
    probability = _probability_values(scores, ids, source)
    codes, names = _group_codes(scores, per, source)
    return _Columns(ids, score, probability, codes, names)


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
            "the output of 'dmde score', or set per to an existing column."
        )
    repeated = [n for n in dict.fromkeys(names) if present.count(n) > 1]
    if repeated:
        raise SelectionError(
            f"{_where(source)}column {repeated[0]!r} appears {present.count(repeated[0])} "
            "times; each column must appear once. Rename or drop the copies."
        )


def _arrow_columns(
    tables: Iterable[pa.Table], n_rows: int, per: str | None, floor: float | None = None
) -> _Columns | None:
    """The checked columns from the scores' rows as Arrow tables (in order), without pandas.

    The ids and scores are copied into one array each as the tables come (one Parquet row
    group at a time), and the group names are gathered from each table's dictionary. The
    probabilities are checked table by table and not kept: only, with a ``floor``, whether each
    is at or above it (:attr:`_Columns.eligible`). None if there are no rows, if a column is
    not of the type dmde's outputs have (int64 ``dossier_id``, float64 ``score`` and
    ``probability``, text ``per``), or if a value is missing or fails a check of
    :func:`_checked_columns`: the caller then checks the rows as a frame, which says what is
    wrong in the same words as :func:`~dmde.batch.selection.select`.
    """
    if n_rows == 0:
        return None
    ids = np.empty(n_rows, dtype=np.int64)
    score = np.empty(n_rows, dtype=np.float64)
    eligible = None if floor is None else np.empty(n_rows, dtype=np.bool_)
    labels = _Labels()
    raw_codes = np.empty(n_rows if per else 0, dtype=np.int32)
    offset = 0
    for table in tables:
        end = offset + table.num_rows
        if end > n_rows:
            return None
        numbers = [table.column(name) for name in ("dossier_id", "score", "probability")]
        kinds = [pa.int64(), pa.float64(), pa.float64()]
        if any(c.type != k or c.null_count for c, k in zip(numbers, kinds, strict=True)):
            return None
        ids[offset:end] = _concatenated(numbers[0])
        score[offset:end] = _concatenated(numbers[1])
        probability = _concatenated(numbers[2])
        if not bool(((probability >= 0) & (probability <= 1)).all()):  # NaN fails both
            return None
        if eligible is not None and floor is not None:
            np.greater_equal(probability, floor, out=eligible[offset:end])
        if per and not _label_codes(table.column(per), labels, raw_codes[offset:end]):
            return None
        offset = end
    if offset != n_rows or not bool(np.isfinite(score).all()):
        return None
    if per:
        codes, names = _sorted_codes(raw_codes, labels.names)
    else:
        codes, names = np.zeros(n_rows, dtype=np.int8), (_ALL,)
    del raw_codes
    if not _unique(ids):
        return None
    return _Columns(ids, score, np.empty(0), codes, names, eligible=eligible, floor=floor)


def _concatenated(column: pa.ChunkedArray[Any]) -> npt.NDArray[Any]:
    chunks = [chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(chunks) if len(chunks) != 1 else chunks[0]


class _Labels:
    """The texts of a group column, numbered as first seen (row group after row group)."""

    def __init__(self) -> None:
        self._known: pa.Array[Any] = pa.array([], pa.string())

    @property
    def names(self) -> list[str]:
        """The texts seen, in the order of their numbers."""
        return [str(v) for v in self._known.to_pylist()]

    def lookup(self, dictionary: pa.Array[Any]) -> npt.NDArray[np.int32] | None:
        """The number of each text of ``dictionary`` (new ones numbered); None if one is
        missing."""
        if dictionary.null_count:
            return None
        dictionary = dictionary.cast(pa.string())
        found = pc.index_in(dictionary, value_set=self._known)
        if found.null_count:
            new = pc.unique(dictionary.filter(pc.is_null(found)))
            self._known = pa.concat_arrays([self._known, new])
            found = pc.index_in(dictionary, value_set=self._known)
        numbers: npt.NDArray[np.int32] = found.to_numpy(zero_copy_only=False).astype(np.int32)
        return numbers


def _label_codes(column: pa.ChunkedArray[Any], labels: _Labels, out: npt.NDArray[np.int32]) -> bool:
    """Put the number of each row's text in ``out`` (see :class:`_Labels`); False if the
    column is not text or a value is missing."""
    kind = column.type
    is_text = _is_text_type(kind.value_type if pa.types.is_dictionary(kind) else kind)
    if not is_text or column.null_count:
        return False
    offset = 0
    for chunk in column.chunks:
        encoded = cast(
            "pa.DictionaryArray[Any, Any]",
            chunk if pa.types.is_dictionary(kind) else pc.dictionary_encode(chunk),
        )
        lookup = labels.lookup(encoded.dictionary)
        if lookup is None:
            return False
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        out[offset : offset + len(chunk)] = lookup[indices] if lookup.size else 0
        offset += len(chunk)
    return True


def _is_text_type(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _unique(ids: IntArray) -> bool:
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):  # else sorted and unique already
        ordered = np.sort(ids)
        return not bool(np.any(ordered[1:] == ordered[:-1]))
    return True


def _sorted_codes(
    raw_codes: npt.NDArray[np.int32], labels: list[str]
) -> tuple[npt.NDArray[np.integer[Any]], tuple[str, ...]]:
    """Codes numbering the labels present in sorted order of their names (as
    :func:`_group_codes` does), from codes numbering ``labels``."""
    present = _counts(raw_codes, len(labels)) > 0
    names = tuple(sorted(label for label, seen in zip(labels, present, strict=True) if seen))
    dtype = np.int8 if len(names) < 2**7 else np.int16 if len(names) < 2**15 else np.int64
    index = {name: i for i, name in enumerate(names)}
    lookup: npt.NDArray[np.integer[Any]] = np.array(
        [index.get(label, 0) for label in labels], dtype=dtype
    )
    codes: npt.NDArray[np.integer[Any]] = lookup[raw_codes]
    return codes, names


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
# Small helpers
def _counts(codes: npt.NDArray[np.integer[Any]], n_codes: int) -> IntArray:
    """``np.bincount(codes, minlength=n_codes)``, in chunks (bincount copies its input to
    int64: a chunk at a time holds less memory)."""
    counts = np.zeros(n_codes, dtype=np.int64)
    for lo in range(0, codes.size, _CHUNK):
        counts += np.bincount(codes[lo : lo + _CHUNK], minlength=n_codes)
    return counts


def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _where(source: str | None) -> str:
    return f"scores file {source!r}: " if source else "scores: "


def _ids(values: npt.NDArray[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOWN].tolist())
    return shown + (", ..." if len(values) > _SHOWN else "")
