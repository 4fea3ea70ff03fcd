"""Validating a data file against the catalog in one streaming pass, and reading it into pandas.

:func:`validate_file` reports every problem of a file with exact counts and the first rows where
each occurs; :func:`read_dataset` reads a valid file into a DataFrame with the catalog's types.
The conventions (formats, missing values, row numbers, rules) are those of
:mod:`dmde.data.datasets`.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dmde.data.catalog import CATALOG, Column
from dmde.data.opening import (
    _existing,
    _FileError,
    _Header,
    _inspect,
    _no_rows,
    _plan,
    csv_batches,
    parquet_batches,
)
from dmde.data.problems import Problem, ValidationReport, _plural, _schema_error, _sorted
from dmde.data.rules import (
    _FLOAT_TEXT,
    _ID,
    _INT_TEXT,
    _NO_ID,
    _TEXT,
    _VALUE_RULES,
    Rows,
    _hits,
    _message,
    _missing,
    _parse_numbers,
    _texts,
    _utf8,
    damaged_text,
    fraction_message,
    lost_zeros_hint,
    repeated_values,
    stored_type_ok,
    whole_numbers,
)
from dmde.data.schema import (
    _ARROW_TYPES,
    BATCH_ROWS,
    Kind,
    _arrow_message,
    _check_batch_size,
    _wanted,
)

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = ["read_dataset", "validate_file"]

_MAX_EXAMPLES = 5


# --------------------------------------------------------------------------------------------
# Public reading
def validate_file(
    path: str | os.PathLike[str], *, batch_size: int = BATCH_ROWS
) -> ValidationReport:
    """Check a CSV or Parquet file against the catalog, in a stream.

    The file is read ``batch_size`` rows at a time and never held whole in memory (about 8
    bytes a row are kept to find repeated ``dossier_id``). Every problem is collected, with
    exact counts over the whole file and the first rows where it occurs.

    Checks: the file exists, has a supported extension, is readable, is UTF-8, has a header and
    rows, every row has as many fields as the header; the header has no repeated name, every
    required catalog column and no unknown column; each value has its column's type, is present
    if the column is not nullable, lies in its range, is one of its levels or matches its
    pattern; no ``dossier_id`` appears twice.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    batch_size : int, default BATCH_ROWS (250,000)
        Maximum number of rows held at a time (CSV text is also read at most 64 MiB at a time).

    Returns
    -------
    ValidationReport
        ``report.ok`` is True when the file is valid; ``report.format()`` describes the problems.
        Rows are numbered from 1, the first line after the CSV header (the first row in Parquet).

    Raises
    ------
    SchemaError
        If there is no such file (rule ``not_found``). Every other problem is reported, not
        raised.
    ValueError
        If ``batch_size`` is not a positive integer.

    Examples
    --------
    >>> validate_file("no/such/file.csv")
    Traceback (most recent call last):
    ...
    dmde.core.errors.SchemaError: cannot read 'no/such/file.csv': no such file; check the path
    """
    _check_batch_size(batch_size)
    return _scan_file(_existing(path), columns=None, batch_size=batch_size, keep=False)[0]


def read_dataset(
    path: str | os.PathLike[str], *, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame with the catalog's types, after validating it.

    The file is validated as by :func:`validate_file` while it is read (it is read once).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    columns : sequence of str, optional
        Catalog columns to return, in this order; only these are read, required and checked
        (with the checks of the whole file: rows, encoding). None means every catalog column in
        the file, in catalog order, and the file must pass every check.

    Returns
    -------
    pandas.DataFrame
        ``int`` -> int64 (``Int64`` if the column is nullable), ``float`` -> float64 (missing is
        NaN), ``flag`` -> int8 (``Int8`` if nullable), ``category`` -> categorical with the
        catalog's levels in catalog order, ``string`` -> ``string``.

    Raises
    ------
    SchemaError
        If the file has any problem; the message is :meth:`ValidationReport.format` and
        ``problems`` holds the :class:`Problem` list. Also if ``columns`` names a column
        outside the catalog.

    Examples
    --------
    >>> from dmde.data.datasets import arrow_schema, write_batches
    >>> import os, tempfile
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"dossier_id": [7, 8], "caf_code": ["2A", "75"]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "files.parquet")
    ...     _ = write_batches(path, [frame], schema=arrow_schema(frame.columns))
    ...     data = read_dataset(path, columns=["dossier_id", "caf_code"])
    >>> data.dtypes.astype(str).tolist()
    ['int64', 'category']
    >>> data["caf_code"].tolist()
    ['2A', '75']
    """
    import pandas as pd  # only here: validating or scoring a file does not load pandas

    wanted = _wanted(columns) if columns is not None else None
    report, batches = _scan_file(_existing(path), columns=wanted, batch_size=BATCH_ROWS, keep=True)
    if not report.ok:
        raise _schema_error(report)
    table = pa.Table.from_batches(batches)
    names = wanted or tuple(n for n in CATALOG if n in table.column_names)
    arrays = {n: _to_pandas(CATALOG[n], table.column(n)) for n in names}
    return pd.DataFrame(arrays, copy=False)  # fresh arrays: no need to copy them again


# --------------------------------------------------------------------------------------------
# A pass over a file
@dataclass
class _Tally:
    message: str
    count: int = 0
    positions: list[int] = field(default_factory=list)  # of the examples, among parsed rows
    values: list[str] = field(default_factory=list)


@dataclass
class _Scan:
    """What one pass over a file has found so far (private, mutable, one per pass)."""

    n_fields: int = 0
    n_kept: int = 0  # rows parsed so far; rows with the wrong number of fields are skipped
    tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)
    bad_rows: array[int] = field(default_factory=lambda: array("q"))  # data rows, compactly
    bad_examples: list[tuple[int, str]] = field(default_factory=list)
    ids: list[Rows] = field(default_factory=list)

    def add(
        self, column: str, rule: str, hits: Rows, source: Arr, offset: int, message: str = ""
    ) -> None:
        """Count the rows ``hits`` of ``source``, whose first row is parsed row ``offset``.

        The message defaults to the rule's message for the column.
        """
        if hits.size == 0:
            return
        if (column, rule) not in self.tallies:
            self.tallies[column, rule] = _Tally(message or _message(CATALOG[column], rule))
        tally = self.tallies[column, rule]
        tally.count += int(hits.size)
        first = hits[: _MAX_EXAMPLES - len(tally.positions)]
        if first.size:
            tally.positions.extend((first + offset).tolist())
            tally.values.extend(_texts(source, first))

    def on_bad_row(self, row: pacsv.InvalidRow) -> Literal["skip"]:
        """Record a row with the wrong number of fields (Arrow's invalid_row_handler)."""
        number = -1 if row.number is None else row.number - 1  # the header is line 1
        self.bad_rows.append(number)
        if len(self.bad_examples) < _MAX_EXAMPLES:
            text = row.text if len(row.text) <= 60 else row.text[:57] + "..."
            self.bad_examples.append((number, f"{row.actual_columns} fields: {text}"))
        return "skip"

    def problems(self) -> list[Problem]:
        skipped = np.sort(np.asarray(self.bad_rows, dtype=np.int64))
        found = list(self.notes)
        for (column, rule), tally in self.tallies.items():
            rows = _data_rows(np.asarray(tally.positions, dtype=np.int64), skipped).tolist()
            examples = tuple(zip(rows, tally.values, strict=True))
            message = tally.message
            if rule in ("level", "pattern"):  # "1000" for "01000": say how it came to be
                hints = (lost_zeros_hint(CATALOG[column], v) for v in tally.values)
                message = "; ".join([message, *(h for h in hints if h)][:2])
            found.append(Problem(column, rule, message, tally.count, examples))
        if skipped.size:
            message = f"expected {self.n_fields} fields in every row, as in the header"
            examples = tuple(sorted(self.bad_examples)[:_MAX_EXAMPLES])
            found.append(Problem(None, "bad_row", message, int(skipped.size), examples))
        return found


def _data_rows(positions: Rows, skipped: Rows) -> Rows:
    """1-based data rows of parsed rows ``positions``, given the sorted ``skipped`` data rows."""
    parsed_before = skipped - 1 - np.arange(skipped.size)
    return positions + 1 + np.searchsorted(parsed_before, positions, side="right")


def _scan_file(
    path: str | os.PathLike[str],
    *,
    columns: tuple[str, ...] | None,
    batch_size: int,
    keep: bool,
) -> tuple[ValidationReport, list[pa.RecordBatch]]:
    """Validate a file; with ``keep``, also return its batches (with the types checked)."""
    shown = os.fspath(path)
    try:
        header = _inspect(Path(path))
    except _FileError as problem:
        return ValidationReport(shown, 0, (problem.as_problem(),)), []
    plan = _plan(header, columns)
    if not header.has_rows:
        problems = _sorted([*plan.notes, _no_rows(header)], header.names)
        return ValidationReport(shown, 0, problems, len(plan.read)), []
    scan_kind = _scan_csv if header.kind == "csv" else _scan_parquet
    scan, kept = scan_kind(Path(path), header, plan.read, batch_size, keep)
    _find_duplicates(scan)
    n_rows = header.n_rows if header.kind == "parquet" else scan.n_kept + len(scan.bad_rows)
    problems = _sorted([*plan.notes, *scan.problems()], header.names)
    return ValidationReport(shown, n_rows, problems, len(plan.read)), kept


def _scan_csv(
    path: Path, header: _Header, read: tuple[str, ...], batch_size: int, keep: bool
) -> tuple[_Scan, list[pa.RecordBatch]]:
    """Fast pass with typed columns; if Arrow trips on a value or a row, a diagnostic pass."""
    scan = _Scan(n_fields=len(header.names))
    try:
        batches = csv_batches(path, header, read, batch_size)
        return scan, _consume(scan, batches, read, _as_parsed, keep)
    except (pa.ArrowException, OSError):
        pass  # a value of the wrong type, bad UTF-8 or a ragged row: find them all
    scan = _Scan(n_fields=len(header.names))
    try:
        batches = csv_batches(
            path, header, read, batch_size, values="bytes", on_bad_row=scan.on_bad_row
        )
        return scan, _consume(scan, batches, read, _decode_text, keep)
    except (pa.ArrowException, OSError) as exc:
        message = f"not a readable CSV file ({_arrow_message(exc)})"
        scan.notes.append(Problem(None, "unreadable", message))
        return scan, []


def _scan_parquet(
    path: Path, header: _Header, read: tuple[str, ...], batch_size: int, keep: bool
) -> tuple[_Scan, list[pa.RecordBatch]]:
    scan = _Scan(n_fields=len(header.names))
    try:
        batches = parquet_batches(path, read, batch_size)
        return scan, _consume(scan, batches, read, _check_stored, keep)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        message = f"not a readable Parquet file ({_arrow_message(exc)})"
        scan.notes.append(Problem(None, "unreadable", message))
        return scan, []


def _consume(
    scan: _Scan,
    batches: Iterable[pa.RecordBatch],
    read: tuple[str, ...],
    prepare: _Prepare,
    keep: bool,
) -> list[pa.RecordBatch]:
    kept = []
    for batch in batches:
        checked = _check_batch(scan, batch, read, prepare)
        if keep:
            kept.append(checked)
    return kept


# --------------------------------------------------------------------------------------------
# Checking a batch
_Prepare: TypeAlias = Callable[["_Scan", Column, "Arr", int], "Arr | None"]


def _check_batch(
    scan: _Scan, batch: pa.RecordBatch, read: tuple[str, ...], prepare: _Prepare
) -> pa.RecordBatch:
    """Check the ``read`` columns of one batch; return them with the values as checked."""
    offset = scan.n_kept
    arrays = []
    for name in read:
        col, raw = CATALOG[name], batch.column(name)
        scan.add(name, "missing_value", _hits(_missing(col, raw)), raw, offset)
        values = prepare(scan, col, raw, offset)
        if values is not None:
            for rule, find in _VALUE_RULES:
                scan.add(name, rule, _hits(find(col, values)), values, offset)
        if name == _ID:
            scan.ids.append(_id_values(values, len(raw)))
        arrays.append(raw if values is None else values)
    scan.n_kept += batch.num_rows
    return pa.RecordBatch.from_arrays(arrays, names=list(read))


def _as_parsed(scan: _Scan, col: Column, raw: Arr, offset: int) -> Arr:
    """Values parsed by Arrow with the column's type: nothing more to do."""
    return raw


def _decode_text(scan: _Scan, col: Column, raw: Arr, offset: int) -> Arr:
    """Raw CSV bytes to typed values; undecodable or unparsable ones are counted, then null."""
    text, bad = _utf8(raw)
    scan.add(col.name, "encoding", bad, raw, offset)
    if col.dtype in _TEXT:
        return text
    if col.dtype == "float":
        numbers, bad = _parse_numbers(text, pa.float64(), _FLOAT_TEXT)
    else:
        numbers, bad = _parse_numbers(text, pa.int64(), _INT_TEXT)
    scan.add(col.name, "type", bad, text, offset)
    return numbers


def _check_stored(scan: _Scan, col: Column, raw: Arr, offset: int) -> Arr | None:
    """Parquet values, if their stored type suits the column; else every value is counted.

    An integer column stored as floating point numbers is read as its whole numbers; the other
    values are counted under the rule ``type``.
    """
    if stored_type_ok(col, raw.type):
        stored_bytes = damaged_text(raw) if col.dtype in _TEXT else None
        if stored_bytes is not None:  # a damaged file: its text checked as CSV bytes are
            text, bad = _utf8(stored_bytes)
            scan.add(col.name, "encoding", bad, stored_bytes, offset)
            return text
        if pa.types.is_boolean(raw.type):
            return raw.cast(pa.int8())
        if col.dtype in ("int", "flag") and pa.types.is_floating(raw.type):
            numbers, bad = whole_numbers(raw)
            scan.add(col.name, "type", bad, raw, offset, message=fraction_message(col))
            return numbers
        return raw
    message = f"{_message(col, 'stored')}; the file stores {raw.type}"
    if col.dtype in _TEXT and (pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type)):
        message += f" (codes stored as numbers lose their leading zeros: {_CODES_AS_TEXT})"
    scan.add(col.name, "type", _hits(raw.is_valid()), raw, offset, message=message)
    return None


_CODES_AS_TEXT = "read the source with dtype=str and write the codes as text"

_PREPARE: Mapping[Kind, _Prepare] = {"csv": _as_parsed, "parquet": _check_stored}


def _id_values(values: Arr | None, n: int) -> Rows:
    if values is None:
        return np.full(n, _NO_ID, dtype=np.int64)
    ids = values.cast(pa.int64(), safe=False).fill_null(_NO_ID)
    return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=np.int64)


def _find_duplicates(scan: _Scan) -> None:
    """Count the rows whose dossier_id is on another row too (over the whole pass)."""
    if not scan.ids:
        return
    ids = np.concatenate(scan.ids)
    scan.ids.clear()
    values = repeated_values(ids[ids != _NO_ID])
    if values.size:
        message = f"expected each dossier_id once; {_plural(values.size, 'id')} on several rows"
        hits = np.flatnonzero(np.isin(ids, values))
        scan.add(_ID, "duplicate_id", hits, pa.array(ids), 0, message=message)


# --------------------------------------------------------------------------------------------
# To pandas
def _to_pandas(col: Column, data: pa.ChunkedArray[Any]) -> Any:
    """One checked column as a pandas array with the catalog's dtype."""
    import pandas as pd

    if col.dtype == "category":
        dtype = pd.CategoricalDtype(list(col.levels))
        return pd.Categorical.from_codes(_level_codes(col, data), dtype=dtype)
    if col.dtype == "float":
        return data.cast(pa.float64()).to_numpy()
    typed = data.cast(_ARROW_TYPES[col.dtype])
    if col.dtype != "string" and not col.nullable:
        return typed.to_numpy()
    nullable = {
        pa.int64(): pd.Int64Dtype(),
        pa.int8(): pd.Int8Dtype(),
        pa.string(): pd.StringDtype(),
    }
    return typed.to_pandas(types_mapper=nullable.get).array


def _level_codes(col: Column, data: pa.ChunkedArray[Any]) -> npt.NDArray[np.int32]:
    levels = pa.array(col.levels, type=pa.string())
    codes = [np.empty(0, dtype=np.int32)]
    for chunk in data.chunks:
        if pa.types.is_dictionary(chunk.type):
            encoded = cast("pa.DictionaryArray[Any, Any]", chunk)
            codes_of_values: Arr = pc.index_in(encoded.dictionary.cast(pa.string()), levels)
            indices: Arr = encoded.indices
            mapped = pc.take(codes_of_values, indices)
        else:
            mapped = pc.index_in(chunk.cast(pa.string()), value_set=levels)
        codes.append(np.asarray(mapped.fill_null(-1).to_numpy(zero_copy_only=False), np.int32))
    return np.concatenate(codes)
