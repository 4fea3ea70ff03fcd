"""A scores table as selection reads it: the errors of selection, and the checks of the
columns (required, unique ``dossier_id``, finite scores, probabilities in [0, 1], groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd

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


class SelectionError(DmdeError, ValueError):
    """A selection was asked for that the scores or the parameters do not allow."""


class SelectionParameterError(ParameterError, SelectionError):
    """A parameter of a selection function is outside what it accepts (exit code 2).

    The message names the parameter as the Python keyword: "budget must be ...; got ...".
    """


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
            "the output of 'dmde score', or set per to an existing column."
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
# Small helpers
def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _where(source: str | None) -> str:
    return f"scores file {source!r}: " if source else "scores: "


def _ids(values: npt.NDArray[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOWN].tolist())
    return shown + (", ..." if len(values) > _SHOWN else "")
