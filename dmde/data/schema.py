"""File formats and Arrow types: the extensions dmde reads and writes, and the Arrow schema of
catalog columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pyarrow as pa

from dmde.core.errors import SchemaError
from dmde.data.catalog import CATALOG, _unknown_column_message
from dmde.data.parameters import Range, check_parameters

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = ["BATCH_ROWS", "EXTENSIONS", "Kind", "arrow_schema"]

Kind = Literal["csv", "parquet"]
#: Default rows per batch when reading: larger batches cost memory (a Parquet batch of a million
#: rows takes over 1 GB to decode) and gain no speed.
BATCH_ROWS = 250_000

#: File extensions dmde reads and writes, and the format of each.
EXTENSIONS: Mapping[str, Kind] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "flag": pa.int8(),
    "category": pa.string(),
    "string": pa.string(),
}


def arrow_schema(columns: Iterable[str] | None = None) -> pa.Schema:
    """The Arrow schema of catalog columns.

    Parameters
    ----------
    columns : iterable of str, optional
        Catalog column names, in the order wanted. None means every catalog column, in catalog
        order.

    Returns
    -------
    pyarrow.Schema
        ``int`` -> int64, ``float`` -> float64, ``flag`` -> int8, ``category`` and ``string`` ->
        string. Every field is nullable for Arrow: validation checks which values may be missing.

    Raises
    ------
    SchemaError
        If a name is not in the catalog (the message suggests close names) or is repeated.

    Examples
    --------
    >>> from dmde.data.datasets import arrow_schema
    >>> arrow_schema(["dossier_id", "caf_code", "zero_income"])
    dossier_id: int64
    caf_code: string
    zero_income: int8
    """
    names = tuple(CATALOG) if columns is None else _wanted(columns)
    return pa.schema([pa.field(n, _ARROW_TYPES[CATALOG[n].dtype]) for n in names])


def _arrow_message(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


def _wanted(columns: Iterable[str]) -> tuple[str, ...]:
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of column names, not the string {columns!r}")
    names = tuple(columns)
    for name in names:
        if name not in CATALOG:
            raise SchemaError(_unknown_column_message(name))
    repeated = sorted(n for n, k in Counter(names).items() if k > 1)
    if repeated:
        raise SchemaError(f"columns must be distinct; repeated: {', '.join(repeated)}.")
    if not names:
        raise SchemaError("columns is empty; name at least one catalog column, or pass None.")
    return names


def _check_batch_size(batch_size: int) -> None:
    check_parameters(
        {"batch_size": [Range(Integral, 1, None, closed="left")]},
        {"batch_size": batch_size},
        fixes={"batch_size": "Give the number of rows per batch, e.g. 250000."},
    )
