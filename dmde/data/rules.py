"""The catalog's rules on values, and the words of every "expected ..." message.

Each rule takes a column and an Arrow array of its values and says where the rule is broken:
``missing_value``, ``range``, ``level``, ``pattern`` (:func:`value_problems`); ``type`` for
text that does not parse as the column's type (:func:`parse_text`); and whether a Parquet
column's stored type suits the column (:func:`stored_type_ok`). The validator
(:mod:`dmde.data.validation`) and the row checker (:mod:`dmde.data.reading`) both apply them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dmde.data.arrow_numpy import flags, floats, integers, numbers_array, scalar, text_array
from dmde.data.catalog import Column

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = [
    "damaged_text",
    "fraction_message",
    "lost_zeros_hint",
    "parse_text",
    "repeated_values",
    "stored_type_ok",
    "type_message",
    "value_problems",
    "whole_numbers",
]

Rows: TypeAlias = npt.NDArray[np.int64]

_TEXT = ("category", "string")
_ID = "dossier_id"
_NO_ID = np.iinfo(np.int64).min  # stands for a missing or unparsable dossier_id
# Numbers that Arrow certainly parses; anything else is checked value by value with Arrow's cast.
_INT_TEXT = r"^-?[0-9]{1,18}$"
# A whole number written with a decimal point ("3.0", "-0.0"): pandas writes an integer column
# with missing values this way. Read as the integer it is, in an integer column.
_WHOLE_TEXT = r"^(-?[0-9]{1,18})\.0*$"
_FALSE: Any = scalar(False, pa.bool_())  # filling with Python's False would load pandas
_TRUE: Any = scalar(True, pa.bool_())
_INT64_END = scalar(2.0**63, pa.float64())  # the first float beyond the int64 range
_FLOAT_TEXT = r"^[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][+-]?[0-9]{1,2})?$"


def stored_type_ok(col: Column, stored: pa.DataType) -> bool:
    """Whether a Parquet column stored as ``stored`` can hold the values of ``col``.

    An integer or flag column may be stored as floating point numbers (pandas stores an integer
    column with missing values as float64): each value is then checked to be whole
    (:func:`whole_numbers`).
    """
    if col.dtype == "int":
        return pa.types.is_integer(stored) or pa.types.is_floating(stored)
    if col.dtype == "flag":
        return (
            pa.types.is_integer(stored)
            or pa.types.is_boolean(stored)
            or pa.types.is_floating(stored)
        )
    if col.dtype == "float":
        return pa.types.is_floating(stored) or pa.types.is_integer(stored)
    if pa.types.is_dictionary(stored):
        return _is_text(stored.value_type)
    return _is_text(stored)


def _is_text(stored: pa.DataType) -> bool:
    return pa.types.is_string(stored) or pa.types.is_large_string(stored)


def _utf8(raw: Arr) -> tuple[Arr, Rows]:
    """Bytes as text, with the values that are not UTF-8 set to null, and their positions."""
    try:
        return raw.cast(pa.string()), _no_hits()
    except pa.ArrowInvalid:
        pass
    values = raw.to_pylist()
    bad = np.array(
        [i for i, v in enumerate(values) if v is not None and not _is_utf8(v)], dtype=np.int64
    )
    keep = np.ones(len(raw), dtype=bool)
    keep[bad] = False
    cleaned = pc.if_else(numbers_array(keep), raw, scalar(None, raw.type))
    return cleaned.cast(pa.string()), bad


def damaged_text(values: Arr) -> Arr | None:
    """The bytes of stored text values if some are not UTF-8 (a damaged Parquet file), else
    None: those values are then checked as the bytes of a CSV file are (rule ``encoding``)."""
    try:
        values.validate(full=True)
        return None
    except pa.ArrowInvalid:
        pass
    if pa.types.is_dictionary(values.type):
        encoded = cast("pa.DictionaryArray[Any, Any]", values)
        values = encoded.dictionary.take(encoded.indices)
    return values.view(pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary())


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_numbers(text: Arr, target: pa.DataType, pattern: str) -> tuple[Arr, Rows]:
    """Parse text as Arrow's CSV reader does; return the numbers and the unparsable positions.

    Common spellings are recognised by ``pattern`` in one pass; the other distinct values are
    tried one by one with Arrow's own cast, so the verdict is Arrow's.
    """
    trimmed = pc.utf8_trim(text, characters=" \t")
    odd = _unusual(trimmed, pattern)
    if not pc.any(odd).as_py():
        return trimmed.cast(target), _no_hits()
    if pa.types.is_integer(target):  # "3.0" is the integer 3; "3.5" stays text
        trimmed = pc.replace_substring_regex(trimmed, pattern=_WHOLE_TEXT, replacement=r"\1")
        odd = _unusual(trimmed, pattern)
        if not pc.any(odd).as_py():
            return trimmed.cast(target), _no_hits()
    candidates = [str(v) for v in pc.unique(trimmed.filter(odd)).to_pylist()]
    parsable = text_array([v for v in candidates if _arrow_parses(v, target)])
    known: Arr = pc.is_in(trimmed, value_set=parsable)
    bad = pc.and_(odd, pc.invert(known))
    cleaned = pc.if_else(bad, scalar(None, pa.string()), trimmed)
    return cleaned.cast(target), _hits(bad)


def _unusual(text: Arr, pattern: str) -> Arr:
    """Where ``text`` does not match ``pattern`` (False where it is missing)."""
    common: Arr = pc.match_substring_regex(text, pattern=pattern)
    odd: Arr = pc.invert(common).fill_null(_FALSE)
    return odd


def _arrow_parses(value: str, target: pa.DataType) -> bool:
    try:
        text_array([value]).cast(target)
    except pa.ArrowInvalid:
        return False
    return True


def whole_numbers(values: Arr) -> tuple[Arr, Rows]:
    """Floating point values of an integer column as int64: (values, positions not whole).

    A value that is not a whole number (``3.5``, NaN, an infinity, or beyond the int64 range)
    becomes null and its position is returned, for the rule ``type``; a missing value stays
    missing. Integers are returned as they are.
    """
    if not pa.types.is_floating(values.type):
        return values, _no_hits()
    numbers = values.cast(pa.float64())
    whole = pc.and_(pc.equal(pc.floor(numbers), numbers), pc.less(pc.abs(numbers), _INT64_END))
    broken: Arr = pc.invert(whole).fill_null(_FALSE)
    if not pc.any(broken).as_py():
        return numbers.cast(pa.int64()), _no_hits()
    cleaned = pc.if_else(broken, scalar(None, pa.float64()), numbers)
    return cleaned.cast(pa.int64()), _hits(broken)


def repeated_values(ids: Rows) -> Rows:
    """The values found more than once in ``ids``, sorted (one sort: fine at 13.8M ids)."""
    ordered = np.sort(ids)
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


def value_problems(col: Column, values: Arr) -> list[tuple[str, str, Arr]]:
    """The catalog rules that values of ``col`` break, row by row.

    Returns
    -------
    list of (rule, expected, mask)
        One entry per rule broken somewhere (``missing_value``, ``range``, ``level``,
        ``pattern``), with what was expected in words and a boolean mask of the rows.
    """
    found = []
    for rule, find in (("missing_value", _missing), *_VALUE_RULES):
        mask = find(col, values)
        if mask is not None and pc.any(mask).as_py():
            found.append((rule, _message(col, rule), mask.fill_null(_FALSE)))
    return found


def parse_text(col: Column, text: Arr) -> tuple[Arr, Rows]:
    """Text values of ``col`` parsed to its type, as a CSV reader would: (values, bad rows).

    Values that do not parse become null and their positions are returned, so that the caller
    can reject those rows with the rule ``type`` and :func:`value_problems` checks the rest.
    """
    if col.dtype in _TEXT:
        return text, _no_hits()
    if col.dtype == "float":
        return _parse_numbers(text, pa.float64(), _FLOAT_TEXT)
    return _parse_numbers(text, pa.int64(), _INT_TEXT)


def type_message(col: Column) -> str:
    """What a value of ``col`` was expected to be, for a value that does not parse."""
    return _message(col, "type")


def fraction_message(col: Column) -> str:
    """What a value of an integer column stored as a number was expected to be, when it is not
    a whole number."""
    return f"expected {_expected(col)}; found a number that is not a whole number"


# --------------------------------------------------------------------------------------------
# Rules on values: each returns a boolean array (true where the rule is broken) or None
def _missing(col: Column, values: Arr) -> Arr | None:
    return None if col.nullable or values.null_count == 0 else values.is_null()


def _out_of_range(col: Column, values: Arr) -> Arr | None:
    if col.dtype in _TEXT or _within(values, col.minimum, col.maximum):
        return None
    outside: list[Arr] = []
    if col.minimum is not None:
        outside.append(pc.less(values, _bound(col, col.minimum)))
    if col.maximum is not None:
        outside.append(pc.greater(values, _bound(col, col.maximum)))
    if pa.types.is_floating(values.type):
        outside.append(pc.is_nan(values))  # NaN is outside every range
    return functools.reduce(pc.or_, outside)


def _within(values: Arr, low: float | None, high: float | None) -> bool:
    """Quick test that every value lies in [low, high] (False if one is NaN), with numpy."""
    present = values.drop_null() if values.null_count else values
    if len(present) == 0:
        return True
    numbers = floats(present) if pa.types.is_floating(present.type) else integers(present)
    smallest, largest = numbers.min(), numbers.max()  # NaN if there is one
    return bool((low is None or smallest >= low) and (high is None or largest <= high))


def _not_a_level(col: Column, values: Arr) -> Arr | None:
    if col.dtype != "category":
        return None
    levels = text_array(col.levels)
    return _text_fails(values, lambda text: pc.is_in(text, value_set=levels))


def _no_match(col: Column, values: Arr) -> Arr | None:
    if col.dtype != "string" or col.pattern is None:
        return None
    pattern = f"^(?:{col.pattern})$"
    return _text_fails(values, lambda text: pc.match_substring_regex(text, pattern=pattern))


_VALUE_RULES: tuple[tuple[str, Callable[[Column, Arr], Arr | None]], ...] = (
    ("range", _out_of_range),
    ("level", _not_a_level),
    ("pattern", _no_match),
)


def _text_fails(values: Arr, accept: Callable[[Arr], Arr]) -> Arr | None:
    """Where ``accept`` rejects a text value; a dictionary is checked once per distinct value."""
    if not pa.types.is_dictionary(values.type):
        return pc.and_(values.is_valid(), pc.invert(accept(values.cast(pa.string()))))
    encoded = cast("pa.DictionaryArray[Any, Any]", values)
    accepted = accept(encoded.dictionary.cast(pa.string())).fill_null(_TRUE)
    rejected = np.flatnonzero(~flags(accepted))
    if rejected.size == 0:
        return None
    indices: Arr = encoded.indices
    hit: Arr = pc.is_in(indices, value_set=numbers_array(rejected, indices.type))
    return hit


def _bound(col: Column, value: float) -> pa.Scalar[Any]:
    if col.dtype == "float":
        return scalar(float(value), pa.float64())
    return scalar(int(value), pa.int64())


def _hits(mask: Arr | None) -> Rows:
    if mask is None or not pc.any(mask).as_py():
        return _no_hits()
    return np.flatnonzero(flags(mask)).astype(np.int64)


def _no_hits() -> Rows:
    return np.empty(0, dtype=np.int64)


def _texts(source: Arr, hits: Rows) -> list[str]:
    return [_text(v) for v in source.take(numbers_array(hits, pa.int64())).to_pylist()]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, float):
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Messages: every "expected ..." is written here
_KIND = {"int": "an integer", "flag": "an integer", "float": "a number"}
_STORED = {
    "int": "integers",
    "flag": "integers or booleans",
    "float": "numbers",
    "category": "strings",
    "string": "strings",
}


_AS_TEXT = "Read the file as text (pandas: pd.read_csv(path, dtype=str))"


def _message(col: Column, rule: str) -> str:
    expected = _expected(col)
    if rule == "type":
        return f"expected {expected}; found text that is not {_KIND.get(col.dtype, 'text')}"
    if rule == "missing_value":
        return "expected a value: the column is not nullable"
    if rule == "stored":  # Parquet
        return f"expected {expected}, stored as {_STORED[col.dtype]}"
    if rule == "encoding":
        return "expected UTF-8 text; found bytes that are not UTF-8 (shown as \\xNN)"
    return f"expected {expected}"


def lost_zeros_hint(col: Column, value: str) -> str:
    """Words for a code of ``col`` that reads as a number which lost its leading zeros.

    ``"01000"`` written back by a program that read it as a number is ``"1000"``; if ``value``
    is digits and the same digits after one to four zeros are a level or match the pattern of
    ``col``, the hint says so and how to read the file (else ``""``).

    Examples
    --------
    >>> from dmde.data.catalog import column
    >>> lost_zeros_hint(column("postal_code"), "1000")
    '4 digits: leading zeros lost? Read the file as text (pandas: pd.read_csv(path, dtype=str))'
    >>> lost_zeros_hint(column("postal_code"), "750011")
    ''
    """
    if not (value.isascii() and value.isdigit()):
        return ""
    for zeros in range(1, 5):
        padded = "0" * zeros + value
        if col.dtype == "category" and padded in col.levels:
            break
        if col.dtype == "string" and col.pattern and re.fullmatch(col.pattern, padded):
            break
    else:
        return ""
    digits = f"{len(value)} digit" + ("" if len(value) == 1 else "s")
    return f"{digits}: leading zeros lost? {_AS_TEXT}"


#: The catalog's text patterns in words, as a reject's reason says what was expected (a pattern
#: not listed here is shown as it is).
_PATTERN_FORMS = {
    r"^[0-9]{4}-(0[1-9]|1[0-2])$": "a month written YYYY-MM (e.g. 2025-03)",
    r"^[0-9]{5}$": "5 digits (e.g. 75011)",
    r"^([0-9]{5}|2[AB][0-9]{3})$": "5 digits, or 2A or 2B and 3 digits in Corsica (e.g. 2A004)",
}


def _expected(col: Column) -> str:
    if col.dtype == "flag":
        return "0 or 1"
    if col.dtype == "category":
        levels = col.levels
        if len(levels) <= 8:
            return "one of: " + ", ".join(levels)
        return f"one of: {', '.join(levels[:3])}, ... ({len(levels)} levels)"
    if col.dtype == "string":
        if not col.pattern:
            return "text"
        return _PATTERN_FORMS.get(col.pattern, f"text matching {col.pattern}")
    low = "" if col.minimum is None else _number(col.minimum)
    high = "" if col.maximum is None else _number(col.maximum)
    span = f" from {low} to {high}" if low and high else (f" of at least {low}" if low else "")
    span = span or (f" of at most {high}" if high else "")
    return _KIND[col.dtype] + span


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else repr(float(value))
