"""Arrow <-> numpy through buffers: the same values as pyarrow's own conversions (which load
pandas), on arrays with and without missing values, sliced, in several chunks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dmde.data.arrow_numpy import (
    empty_table,
    flags,
    floats,
    integers,
    numbers_array,
    repeated_text,
    scalar,
    text_array,
)
from dmde.data.checking import REJECT_SCHEMA

NUMBER_TYPES = [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()]


def _random(rng: np.random.Generator, type: pa.DataType, n: int, share_missing: float) -> Any:
    values = rng.integers(-100, 100, n) if pa.types.is_signed_integer(type) else rng.random(n)
    if pa.types.is_unsigned_integer(type):
        values = rng.integers(0, 200, n)
    mask = rng.random(n) < share_missing
    return pa.array(values, type, mask=mask)


def _pieces(array: Any, rng: np.random.Generator) -> list[Any]:
    """The array whole, sliced, and in chunks."""
    n = len(array)
    cut = int(rng.integers(0, n + 1))
    start = int(rng.integers(0, max(n // 3, 1)))
    return [
        array,
        array.slice(start, n - 2 * start),
        pa.chunked_array([array.slice(0, cut), array.slice(cut)], type=array.type),
        pa.chunked_array([array]),
        pa.chunked_array([], type=array.type),
    ]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("type", NUMBER_TYPES, ids=str)
def test_floats_are_arrows_numbers_with_nan_for_missing(seed: int, type: pa.DataType) -> None:
    rng = np.random.default_rng(seed)
    for share in (0.0, 0.3, 1.0):
        array = _random(rng, type, int(rng.integers(0, 40)), share)
        for piece in _pieces(array, rng):
            expected = np.asarray(piece.cast(pa.float64()).to_numpy(zero_copy_only=False))
            got = floats(piece)
            assert got.dtype == np.float64
            np.testing.assert_array_equal(got, expected)


def test_floats_of_booleans_are_their_numbers() -> None:
    np.testing.assert_array_equal(floats(pa.array([True, None, False])), [1.0, np.nan, 0.0])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("type", [pa.int32(), pa.int64(), pa.uint8()], ids=str)
def test_integers_are_arrows_integers(seed: int, type: pa.DataType) -> None:
    rng = np.random.default_rng(seed)
    array = _random(rng, type, int(rng.integers(0, 40)), 0.0)
    for piece in _pieces(array, rng):
        got = integers(piece)
        assert got.dtype == np.dtype(type.to_pandas_dtype())
        np.testing.assert_array_equal(got, np.asarray(piece.to_numpy()))


def test_integers_refuse_missing_values() -> None:
    with pytest.raises(ValueError, match="1 missing"):
        integers(pa.array([1, None, 3]))


def test_numbers_refuse_text() -> None:
    with pytest.raises(TypeError, match="expected an Arrow array of numbers; got string"):
        integers(pa.array(["a"]))


@pytest.mark.parametrize("seed", range(8))
def test_flags_are_booleans_false_where_missing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 70))
    array = pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.2)
    for piece in _pieces(array, rng):
        expected = np.asarray(piece.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        np.testing.assert_array_equal(flags(piece), expected)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("type", [None, *NUMBER_TYPES, pa.bool_()], ids=str)
def test_numbers_array_is_pa_array(seed: int, type: pa.DataType | None) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    values: Any = rng.integers(0, 100, n)
    if type is not None and pa.types.is_floating(type):
        values = rng.random(n)
    if type == pa.bool_():
        values = rng.random(n) < 0.5
    strided = np.repeat(values, 2)[::2]  # a column of a 2-D array is not contiguous
    for mask in (None, rng.random(n) < 0.3, np.zeros(n, dtype=bool)):
        for given in (values, strided):
            expected = pa.array(given, type, mask=mask)
            got = numbers_array(given, type, mask=mask)
            assert got.type == expected.type
            assert got.equals(expected)
            got.validate(full=True)


def test_numbers_array_refuses_two_dimensions() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        numbers_array(np.zeros((2, 2)))


@pytest.mark.parametrize(
    "values", [[], ["a"], ["", "été", None, "x" * 300], [None, None], ["1000", "2A"] * 50]
)
def test_text_array_is_pa_array(values: list[str | None]) -> None:
    got = text_array(values)
    got.validate(full=True)
    assert got.equals(pa.array(values, pa.string()))
    as_bytes = [None if v is None else v.encode() for v in values]
    assert text_array(as_bytes, pa.binary()).equals(pa.array(as_bytes, pa.binary()))
    expected = pa.array(["no_model"] * len(values), pa.string())
    assert repeated_text("no_model", len(values)).equals(expected)


@pytest.mark.parametrize(
    ("value", "type"),
    [
        (2.5, pa.float64()),
        (2.0**63, pa.float64()),
        (7, pa.int32()),
        (False, pa.bool_()),
        ("x", pa.string()),
        (None, pa.string()),
        (None, pa.float64()),
    ],
)
def test_scalar_is_pa_scalar(value: Any, type: pa.DataType) -> None:
    assert scalar(value, type).equals(pa.scalar(value, type))


def test_empty_table_is_the_schemas() -> None:
    schema = pa.schema({"d": pa.dictionary(pa.int32(), pa.string()), "x": pa.float64()})
    for one in (schema, REJECT_SCHEMA):
        got = empty_table(one)
        assert got.schema == one
        assert got.num_rows == 0
        assert got.equals(one.empty_table())
