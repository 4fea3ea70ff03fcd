"""Arrow arrays as numpy arrays and back, read and built from their buffers.

pyarrow converts between Arrow and numpy through its pandas layer: ``Array.to_numpy``,
``numpy.asarray`` of an Arrow array, ``pa.array`` of a numpy array or a list and ``pa.scalar``
import pandas on their first call (about 0.2 s), even when no pandas object is involved.
Scoring a file needs none of that: its columns are numbers, flags and dictionary-encoded text.
The functions here read the buffers of such arrays as numpy arrays (:func:`floats`,
:func:`integers`, :func:`flags`) and wrap numpy arrays or short lists of text as Arrow arrays
(:func:`numbers_array`, :func:`text_array`, :func:`repeated_text`, :func:`scalar`,
:func:`empty_table`), with the values pyarrow's own conversions give, so that ``dmde score``
runs without importing pandas (``tests/test_scoring_imports.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]
    Column: TypeAlias = pa.Array[Any] | pa.ChunkedArray[Any]

__all__ = [
    "empty_table",
    "flags",
    "floats",
    "integers",
    "numbers_array",
    "repeated_text",
    "scalar",
    "text_array",
]

_NUMPY: dict[pa.DataType, np.dtype[Any]] = {
    pa.int8(): np.dtype(np.int8),
    pa.int16(): np.dtype(np.int16),
    pa.int32(): np.dtype(np.int32),
    pa.int64(): np.dtype(np.int64),
    pa.uint8(): np.dtype(np.uint8),
    pa.uint16(): np.dtype(np.uint16),
    pa.uint32(): np.dtype(np.uint32),
    pa.uint64(): np.dtype(np.uint64),
    pa.float16(): np.dtype(np.float16),
    pa.float32(): np.dtype(np.float32),
    pa.float64(): np.dtype(np.float64),
}
_ARROW = {dtype: arrow for arrow, dtype in _NUMPY.items()} | {np.dtype(np.bool_): pa.bool_()}


def _buffer(data: Any) -> pa.Buffer:
    """A numpy array's memory as an Arrow buffer (no copy; the buffer keeps the array)."""
    return pa.py_buffer(data)


def _one_array(values: Column) -> Arr:
    """A chunked array as one array (its only chunk, or its chunks concatenated)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    whole: Any
    if values.num_chunks == 1:
        whole = values.chunk(0)
    elif values.num_chunks == 0:
        whole = pa.nulls(0, values.type)
    else:
        whole = values.combine_chunks()
    return cast("Arr", whole)


def _bits(buffer: Any, offset: int, length: int) -> npt.NDArray[np.bool_]:
    """A bitmap's bits ``offset`` to ``offset + length`` as booleans."""
    if length == 0 or buffer is None:
        return np.zeros(length, dtype=np.bool_)
    packed = np.frombuffer(buffer, dtype=np.uint8)
    bits = np.unpackbits(packed, count=offset + length, bitorder="little")[offset:]
    return bits.view(np.bool_)


def _present(array: Arr) -> npt.NDArray[np.bool_] | None:
    """Where ``array`` has a value (None when none is missing)."""
    if array.null_count == 0:
        return None
    return _bits(array.buffers()[0], array.offset, len(array))


def _stored(array: Arr) -> npt.NDArray[Any]:
    """The numbers a numeric array stores (whatever lies under its missing values), as a
    read-only view of its buffer."""
    dtype = _NUMPY.get(array.type)
    if dtype is None:
        raise TypeError(f"expected an Arrow array of numbers; got {array.type}")
    data: Any = array.buffers()[1]
    if len(array) == 0 or data is None:
        return np.empty(0, dtype=dtype)
    stored: npt.NDArray[Any] = np.frombuffer(
        data, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )
    return stored


def floats(values: Column) -> npt.NDArray[np.float64]:
    """Numbers as float64, NaN where missing (what ``to_numpy(zero_copy_only=False)`` and a
    cast to float64 give).

    Examples
    --------
    >>> import pyarrow as pa
    >>> floats(pa.chunked_array([pa.array([1, None]), pa.array([3])])).tolist()
    [1.0, nan, 3.0]
    """
    array = _one_array(values)
    if array.type not in _NUMPY:  # booleans, decimals: their numbers
        array = array.cast(pa.float64())
    numbers = _stored(array).astype(np.float64, copy=False)
    present = _present(array)
    if present is None:
        return numbers
    out = np.array(numbers, dtype=np.float64)  # a copy: the view is read-only
    out[~present] = np.nan
    return out


def integers(values: Column) -> npt.NDArray[Any]:
    """Integers without missing values as numpy integers of their type (a read-only view when
    the values are in one piece).

    Raises
    ------
    ValueError
        If a value is missing.
    """
    array = _one_array(values)
    if array.null_count:
        raise ValueError(f"expected integers without missing values; {array.null_count} missing")
    return _stored(array)


def flags(values: Column) -> npt.NDArray[np.bool_]:
    """Booleans as a numpy boolean array, False where missing.

    Examples
    --------
    >>> import pyarrow as pa
    >>> flags(pa.array([True, None, False, True])).tolist()
    [True, False, False, True]
    """
    array = _one_array(values)
    if not pa.types.is_boolean(array.type):
        raise TypeError(f"expected an Arrow array of booleans; got {array.type}")
    bits = _bits(array.buffers()[1], array.offset, len(array))
    present = _present(array)
    return bits if present is None else bits & present


def numbers_array(
    values: npt.ArrayLike, type: pa.DataType | None = None, *, mask: Any = None
) -> Arr:
    """A numpy array of numbers or booleans as an Arrow array, missing where ``mask`` is true
    (what ``pa.array(values, type, mask=mask)`` gives for values that fit ``type``).

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> numbers_array(np.array([1.5, 2.0]), mask=np.array([False, True])).to_pylist()
    [1.5, None]
    >>> numbers_array(np.arange(3), pa.int32()).type
    DataType(int32)
    """
    data = np.asarray(values)
    if data.ndim != 1:
        raise ValueError(f"expected a one-dimensional array; got {data.ndim} dimensions")
    arrow = _ARROW[data.dtype] if type is None else type
    if pa.types.is_boolean(arrow):
        buffer = _buffer(np.packbits(data.astype(np.bool_, copy=False), bitorder="little"))
    else:
        buffer = _buffer(np.ascontiguousarray(data, dtype=_NUMPY[arrow]))
    validity, nulls = None, 0
    if mask is not None:
        missing = np.asarray(mask, dtype=np.bool_)
        nulls = int(np.count_nonzero(missing))
        if nulls:
            validity = _buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(arrow, data.size, [validity, buffer], null_count=nulls)


def text_array(values: Sequence[str | bytes | None], type: pa.DataType | None = None) -> Arr:
    """Python strings as an Arrow string array (None: missing); bytes as a binary array
    (``type=pa.binary()``).

    Examples
    --------
    >>> text_array(["a", None, "été"]).to_pylist()
    ['a', None, 'été']
    >>> text_array([b"\\xe9t\\xe9"], pa.binary()).to_pylist()
    [b'\\xe9t\\xe9']
    """
    arrow = pa.string() if type is None else type
    if arrow not in (pa.string(), pa.binary()):
        raise TypeError(f"expected pa.string() or pa.binary(); got {arrow}")
    encoded = [b"" if v is None else v.encode("utf-8") if isinstance(v, str) else v for v in values]
    ends = np.cumsum([len(e) for e in encoded], dtype=np.int64)
    if ends.size and ends[-1] >= 2**31:
        raise ValueError("text_array: more than 2 GiB of text")
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    offsets[1:] = ends
    missing = np.array([v is None for v in values], dtype=np.bool_)
    nulls = int(np.count_nonzero(missing))
    validity = _buffer(np.packbits(~missing, bitorder="little")) if nulls else None
    data = _buffer(b"".join(encoded))
    return pa.Array.from_buffers(
        arrow, len(encoded), [validity, _buffer(offsets), data], null_count=nulls
    )


def repeated_text(value: str, n: int) -> Arr:
    """A string array of ``n`` times ``value``."""
    repeated: Arr = pa.repeat(text_array([value])[0], n)
    return repeated


def scalar(value: Any, type: pa.DataType) -> pa.Scalar[Any]:
    """An Arrow scalar of ``type`` (a number, a boolean, text, or None for a missing one).

    Examples
    --------
    >>> import pyarrow as pa
    >>> scalar(2.5, pa.float64()).as_py(), scalar(None, pa.string()).is_valid
    (2.5, False)
    """
    one: Any
    if value is None:
        one = pa.nulls(1, cast(Any, type))
    elif pa.types.is_string(type):
        one = text_array([value])
    else:
        kind = np.bool_ if pa.types.is_boolean(type) else _NUMPY[type]
        one = numbers_array(np.array([value], dtype=kind), type)
    return cast("pa.Scalar[Any]", one[0])


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` without rows."""
    empty: list[Any] = [pa.nulls(0, f.type) for f in schema]
    return pa.Table.from_arrays(empty, schema=schema)
