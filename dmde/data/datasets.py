"""Write, read and validate benefit files against the column catalog.

A benefit file is a CSV or Parquet file whose columns are declared in :mod:`dmde.data.catalog`. This
module writes such files atomically (:func:`write_batches`), checks them in a stream without
loading them (:func:`validate_file`), and reads them with the catalog's types
(:func:`read_dataset` for a DataFrame, :func:`iter_batches` for Arrow record batches).

Conventions
-----------
Formats
    Chosen by the extension: ``.csv`` (UTF-8, comma separated, one header line) or ``.parquet``
    / ``.pq``. The Arrow types are int64 (``int``), float64 (``float``), int8 (``flag``) and
    string (``category`` and ``string``); see :func:`arrow_schema`.
Missing values
    In CSV only an empty field is missing (quoted ``""`` too). ``NA``, ``null`` or ``-`` are
    values, and fail the type or level checks where they do not belong; ``NaN`` and ``inf``
    parse as numbers but lie outside every allowed range. In Parquet a missing value is a null.
    Only the columns the catalog marks nullable may have missing values.
Row numbers
    Problems name 1-based data rows: row 1 is the first line after the CSV header (in Parquet,
    the first row of the file). A blank line inside a CSV file is a row of empty fields. Values
    may not span lines (a quoted line break), so that rows and lines match.
Numbers in CSV
    Arrow's parser decides what a number is: an integer is decimal digits with an optional
    minus sign (Arrow also reads ``0x`` hexadecimal), a number may have a decimal point and an
    exponent; spaces and tabs around a number are ignored.
Rules
    Every problem found is a :class:`Problem` with one of these rules. About the file:
    ``not_found`` (raised as :class:`~dmde.core.errors.SchemaError`, as there is nothing to
    report on), ``extension``, ``empty_file``, ``unreadable``, ``encoding`` (not UTF-8),
    ``no_rows``, ``bad_row`` (a row with the wrong number of fields). About the header:
    ``duplicate_header``, ``missing_column``, ``unknown_column`` (its values are not read).
    About values: ``encoding``, ``type``, ``missing_value``, ``range``, ``level``, ``pattern``,
    ``duplicate_id`` (a ``dossier_id`` found on several rows of the file).

Examples
--------
>>> import os, tempfile
>>> import pandas as pd
>>> frame = pd.DataFrame({"dossier_id": [1, 2, 2], "age": [34, 212, 51]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "small.csv")
...     write_batches(path, [frame], schema=arrow_schema(frame.columns))
...     report = validate_file(path)
3
>>> report.ok
False
>>> [(p.column, p.rule, p.count, p.examples) for p in report.problems if p.rule != "missing_column"]
[('dossier_id', 'duplicate_id', 2, ((2, '2'), (3, '2'))), ('age', 'range', 1, ((2, '212'),))]
"""

from __future__ import annotations

import csv
import functools
import io
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast
from uuid import uuid4

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.core.errors import SchemaError
from dmde.data.catalog import CATALOG, Column, _unknown_column_message

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = [
    "BATCH_ROWS",
    "EXTENSIONS",
    "Problem",
    "ValidationReport",
    "arrow_schema",
    "file_columns",
    "iter_batches",
    "parse_text",
    "read_dataset",
    "repeated_values",
    "stored_type_ok",
    "type_message",
    "validate_file",
    "value_problems",
    "write_batches",
]

Kind = Literal["csv", "parquet"]
Rows: TypeAlias = npt.NDArray[np.int64]

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
_TEXT = ("category", "string")
_ID = "dossier_id"
_NO_ID = np.iinfo(np.int64).min  # stands for a missing or unparsable dossier_id
_MAX_EXAMPLES = 5
_SAMPLE_BYTES = 1 << 20  # the start of a CSV file read to find the header and the row length
_MIN_BLOCK, _MAX_BLOCK = 1 << 16, 4 << 20  # bytes of CSV text parsed at a time
# Numbers that Arrow certainly parses; anything else is checked value by value with Arrow's cast.
_INT_TEXT = r"^-?[0-9]{1,18}$"
_FLOAT_TEXT = r"^[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][+-]?[0-9]{1,2})?$"
# Problems are sorted by this order of rules: about the file, the header, then values.
# fmt: off
_RULES = (
    "not_found", "extension", "empty_file", "unreadable", "encoding", "no_rows", "bad_row",
    "duplicate_header", "missing_column", "unknown_column",
    "type", "missing_value", "range", "level", "pattern", "duplicate_id",
)
# fmt: on


# --------------------------------------------------------------------------------------------
# Results
@dataclass(frozen=True)
class Problem:
    """One way in which a file departs from the catalog.

    Attributes
    ----------
    column : str or None
        The column concerned, or None for a problem of the whole file.
    rule : str
        Short stable identifier of the rule broken (listed in the module docstring).
    message : str
        What was expected, in words.
    count : int
        Number of data rows affected, exact; 0 for a problem of the file or its header.
    examples : tuple of (int, str)
        Up to five ``(row, value)`` pairs, the first ones in file order. Rows are 1-based data
        rows; the value is the text found (``""`` for a missing value).
    """

    column: str | None
    rule: str
    message: str
    count: int = 0
    examples: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in a file, as data; :meth:`format` renders it.

    Attributes
    ----------
    path : str
        The file, as given.
    n_rows : int
        Number of data rows in the file (rows with the wrong number of fields included).
    problems : tuple of Problem
        File problems first, then by column in catalog order (unknown columns last, in header
        order), then by rule.
    n_columns : int
        Number of catalog columns checked.
    """

    path: str
    n_rows: int
    problems: tuple[Problem, ...] = ()
    n_columns: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file has no problem."""
        return not self.problems

    def format(self) -> str:
        """The report as readable text, one line per problem.

        Examples
        --------
        >>> print(ValidationReport("x.csv", 10_000, n_columns=49).format())
        x.csv: 10,000 rows, valid against the catalog (49 columns)
        >>> age = Problem("age", "range", "expected 16 to 110", 2, ((17, "212"), (940, "-1")))
        >>> print(ValidationReport("x.csv", 10_000, (age,)).format())
        x.csv: 1 problem in 10,000 rows (rows numbered from 1, the first line after the header)
          - column 'age' (range): 2 rows, expected 16 to 110; e.g. row 17: 212, row 940: -1
        """
        if self.ok:
            return (
                f"{self.path}: {_plural(self.n_rows, 'row')}, valid against the catalog "
                f"({_plural(self.n_columns, 'column')})"
            )
        head = f"{self.path}: {_plural(len(self.problems), 'problem')}"
        if self.n_rows:
            head += f" in {_plural(self.n_rows, 'row')} ({_numbering(self.path)})"
        return "\n".join([head, *(f"  - {_describe(p)}" for p in self.problems)])


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _numbering(path: str) -> str:
    if EXTENSIONS.get(Path(path).suffix.lower()) == "parquet":
        return "rows numbered from 1, the first row of the file"
    return "rows numbered from 1, the first line after the header"


def _describe(problem: Problem) -> str:
    where = "file" if problem.column is None else f"column {problem.column!r}"
    text = f"{where} ({problem.rule}): "
    if problem.count:
        text += f"{_plural(problem.count, 'row')}, "
    text += problem.message
    if problem.examples:
        shown = (f"row {row}: {_show(problem.rule, value)}" for row, value in problem.examples)
        text += "; e.g. " + ", ".join(shown)
    return text


def _show(rule: str, value: str) -> str:
    if rule == "missing_value":
        return "(missing)"
    if rule in ("range", "duplicate_id"):
        return value
    if rule == "encoding":  # already escaped as \xNN
        return f"'{value}'"
    return repr(value)


# --------------------------------------------------------------------------------------------
# Schema and writing
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
    >>> arrow_schema(["dossier_id", "caf_code", "zero_income"])
    dossier_id: int64
    caf_code: string
    zero_income: int8
    """
    names = tuple(CATALOG) if columns is None else _wanted(columns)
    return pa.schema([pa.field(n, _ARROW_TYPES[CATALOG[n].dtype]) for n in names])


def write_batches(
    path: str | os.PathLike[str], batches: Iterable[Batch], *, schema: pa.Schema
) -> int:
    """Write batches of rows to a CSV or Parquet file, atomically.

    Batches are written one at a time (one Parquet row group per batch), so only one is held in
    memory. They go to a temporary file next to ``path`` (``.<name>.<random>.tmp``), renamed onto
    ``path`` once complete; on any error or interruption the temporary file is removed and
    ``path`` is left as it was. The output is deterministic: the same batches give the same bytes.

    Parameters
    ----------
    path : str or path-like
        Target file; the extension chooses the format (``.csv``, ``.parquet``, ``.pq``). Missing
        parent directories are created.
    batches : iterable of pyarrow.RecordBatch, pyarrow.Table or pandas.DataFrame
        The rows. Each must have exactly the columns of ``schema`` (in any order); values are cast
        to its types. Missing values are written as empty fields (CSV) or nulls (Parquet).
    schema : pyarrow.Schema
        Columns and types of the file, usually :func:`arrow_schema`.

    Returns
    -------
    int
        Number of rows written.

    Raises
    ------
    SchemaError
        If the extension is not supported (nothing is written), or a batch lacks a column, has
        an extra one or holds a value that its type cannot take.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"dossier_id": [1, 2], "zero_income": [0, 1]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "out", "files.csv")
    ...     n = write_batches(path, [frame, frame.assign(dossier_id=[3, 4])],
    ...                       schema=arrow_schema(frame.columns))
    ...     text = pathlib.Path(path).read_text()
    >>> n
    4
    >>> print(text)
    dossier_id,zero_income
    1,0
    2,1
    3,0
    4,1
    <BLANKLINE>
    """
    target = Path(path)
    kind = EXTENSIONS.get(target.suffix.lower())
    if kind is None:
        raise SchemaError(
            f"cannot write {os.fspath(path)!r}: unsupported extension "
            f"{target.suffix or '(none)'!r}; use one of {', '.join(EXTENSIONS)}.",
            path=os.fspath(path),
        )
    temporary = target.with_name(f".{target.name}.{uuid4().hex[:12]}.tmp")
    tables = (_as_table(batch, schema, target) for batch in batches)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("xb") as sink:
            n_rows = (
                _write_csv(sink, tables, schema)
                if kind == "csv"
                else _write_parquet(sink, tables, schema)
            )
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise SchemaError(
            f"cannot write {os.fspath(path)!r}: {reason}; check that the folder exists and "
            "is writable, and that the disk has room.",
            path=os.fspath(path),
        ) from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return n_rows


def _write_csv(sink: Any, tables: Iterable[pa.Table], schema: pa.Schema) -> int:
    sink.write(_csv_line(schema.names))  # names quoted only if they must be, unlike Arrow's
    n_rows = 0
    options = pacsv.WriteOptions(include_header=False)
    with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
        for table in tables:
            writer.write_table(table)
            n_rows += table.num_rows
    return n_rows


def _csv_line(fields: Sequence[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(fields)
    return text.getvalue().encode()


def _write_parquet(sink: Any, tables: Iterable[pa.Table], schema: pa.Schema) -> int:
    n_rows = 0
    with pq.ParquetWriter(sink, schema) as writer:
        for table in tables:
            if table.num_rows:
                writer.write_table(table, row_group_size=table.num_rows)
                n_rows += table.num_rows
    return n_rows


def _as_table(batch: Batch, schema: pa.Schema, target: Path) -> pa.Table:
    """One batch as a table of exactly ``schema``, or a SchemaError naming the column."""
    if isinstance(batch, pd.DataFrame):
        names = [str(c) for c in batch.columns]
    elif isinstance(batch, pa.RecordBatch | pa.Table):
        names = batch.schema.names
    else:
        raise TypeError(
            f"cannot write a {type(batch).__name__} to {str(target)!r}: expected a "
            "pyarrow.RecordBatch, a pyarrow.Table or a pandas.DataFrame."
        )
    missing = [n for n in schema.names if n not in names]
    extra = [n for n in names if n not in schema.names]
    if missing or extra:
        raise SchemaError(
            f"cannot write to {str(target)!r}: a batch does not have the schema's columns "
            f"(missing: {', '.join(missing) or 'none'}; not in the schema: "
            f"{', '.join(extra) or 'none'}).",
            path=str(target),
        )
    return pa.Table.from_arrays([_cast(batch, f, target) for f in schema], schema=schema)


def _cast(batch: Batch, target_field: pa.Field[Any], target: Path) -> Any:
    name = target_field.name
    try:
        if isinstance(batch, pd.DataFrame):
            return pa.array(batch[name], from_pandas=True).cast(target_field.type)
        return batch.column(name).cast(target_field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"cannot write column {name!r} to {str(target)!r} as {target_field.type}: "
            f"{_arrow_message(exc)}.",
            path=str(target),
        ) from None


def _arrow_message(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


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
    wanted = _wanted(columns) if columns is not None else None
    report, batches = _scan_file(_existing(path), columns=wanted, batch_size=BATCH_ROWS, keep=True)
    if not report.ok:
        raise _schema_error(report)
    table = pa.Table.from_batches(batches)
    names = wanted or tuple(n for n in CATALOG if n in table.column_names)
    arrays = {n: _to_pandas(CATALOG[n], table.column(n)) for n in names}
    return pd.DataFrame(arrays, copy=False)  # fresh arrays: no need to copy them again


def iter_batches(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    batch_size: int = BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream the rows of a CSV or Parquet file as Arrow record batches with catalog types.

    Only ``columns`` are read. Each batch is checked as by :func:`validate_file` before it is
    yielded; at the first problem the file is diagnosed in full and a :class:`SchemaError`
    raised, so no invalid value is ever yielded. A ``dossier_id`` repeated across batches is
    found after the last batch, so that error comes at the end of the iteration.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    columns : sequence of str, optional
        Catalog columns to read, in this order (each must be in the file). None means every
        catalog column in the file, in catalog order, and the file must pass every check.
    batch_size : int, default BATCH_ROWS (250,000)
        Maximum number of rows per batch.

    Returns
    -------
    iterator of pyarrow.RecordBatch
        Batches with the schema ``arrow_schema(columns)``.

    Raises
    ------
    SchemaError
        At the call, if the file is missing, unreadable, empty, or lacks a requested column;
        during the iteration, if a value breaks the catalog. The message names the file, the
        column, the rows and what was expected.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"dossier_id": range(1, 6), "age": [30, 41, 52, 63, 74]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "files.csv")
    ...     _ = write_batches(path, [frame], schema=arrow_schema(frame.columns))
    ...     sizes = [b.num_rows for b in iter_batches(path, columns=["age"], batch_size=2)]
    >>> sizes
    [2, 2, 1]
    """
    _check_batch_size(batch_size)
    wanted = _wanted(columns) if columns is not None else None
    shown = os.fspath(path)
    try:
        header = _inspect(_existing(path))
    except _FileError as problem:
        raise _schema_error(ValidationReport(shown, 0, (problem.as_problem(),))) from None
    plan = _plan(header, wanted)
    notes = plan.notes if header.has_rows else (*plan.notes, _no_rows(header))
    if notes:
        raise _schema_error(ValidationReport(shown, 0, _sorted(notes, header.names)))
    schema = arrow_schema(wanted or [n for n in CATALOG if n in plan.read])
    return _checked_stream(Path(path), header, plan, schema, batch_size)


def _checked_stream(
    path: Path, header: _Header, plan: _Plan, schema: pa.Schema, batch_size: int
) -> Iterator[pa.RecordBatch]:
    scan = _Scan(n_fields=len(header.names))
    failure = ""
    try:
        for batch in _typed_batches(path, header, plan.read, batch_size):
            checked = _check_batch(scan, batch, plan.read, _PREPARE[header.kind])
            if scan.tallies:
                break
            yield pa.RecordBatch.from_arrays(
                [checked.column(f.name).cast(f.type) for f in schema], schema=schema
            )
        else:
            _find_duplicates(scan)
    except (pa.ArrowException, OSError) as exc:
        failure = _arrow_message(exc)
    if scan.tallies or failure:
        report = _scan_file(path, columns=plan.wanted, batch_size=batch_size, keep=False)[0]
        if report.ok:  # pragma: no cover - the diagnosis finds what the stream tripped on
            raise SchemaError(f"{path}: cannot be read: {failure}", path=str(path))
        raise _schema_error(report)


def _existing(path: str | os.PathLike[str]) -> Path:
    """``path`` if there is such a file, else a SchemaError (rule ``not_found``) naming it."""
    if not Path(path).exists():
        shown = os.fspath(path)
        problem = Problem(None, "not_found", "no such file; check the path")
        message = f"cannot read {shown!r}: {problem.message}"
        raise SchemaError(message, path=shown, problems=(problem,))
    return Path(path)


def _schema_error(report: ValidationReport) -> SchemaError:
    return SchemaError(report.format(), path=report.path, problems=report.problems)


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
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1. Got {batch_size!r} instead.")


# --------------------------------------------------------------------------------------------
# Opening a file: extension, existence, header
class _FileError(Exception):
    """A problem that stops the reading of a file before any row."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def as_problem(self) -> Problem:
        return Problem(None, self.rule, self.message)


@dataclass(frozen=True)
class _Header:
    kind: Kind
    names: tuple[str, ...]
    has_rows: bool
    n_rows: int = 0  # known in advance for Parquet only
    row_bytes: float = 256.0  # CSV: mean and longest line length in the first MiB
    longest: int = 0


def _inspect(path: Path) -> _Header:
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise _FileError(
            "extension",
            f"expected a file ending in {', '.join(EXTENSIONS)}; "
            f"got {path.suffix or 'no extension'!r}",
        )
    if path.is_dir():
        raise _FileError("unreadable", "expected a file, found a directory")
    if path.stat().st_size == 0:
        raise _FileError("empty_file", "the file is empty (0 bytes); expected a header line")
    return _inspect_csv(path) if kind == "csv" else _inspect_parquet(path)


def _inspect_csv(path: Path) -> _Header:
    with path.open("rb") as stream:
        head = stream.read(_SAMPLE_BYTES)
    if b"\x00" in head:
        hint = " (it is a Parquet file: use the .parquet extension)" if head[:4] == b"PAR1" else ""
        raise _FileError("unreadable", f"expected CSV text, found binary data{hint}")
    end = head.find(b"\n")
    if end < 0 and len(head) == _SAMPLE_BYTES:
        raise _FileError("unreadable", "expected lines of CSV text; no line break in 1 MiB")
    first, body = (head, b"") if end < 0 else (head[:end], head[end + 1 :])
    try:
        line = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise _FileError(
            "encoding", f"expected UTF-8 text; the header has a non-UTF-8 byte at {exc.start}"
        ) from None
    if not line.strip():
        raise _FileError("empty_file", "the first line is blank; expected the column names")
    names = tuple(next(csv.reader([line])))
    n_lines = max(1, body.count(b"\n"))
    longest = max(len(first), *(len(x) for x in body.split(b"\n")))
    return _Header("csv", names, bool(body), row_bytes=len(body) / n_lines, longest=longest)


def _inspect_parquet(path: Path) -> _Header:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise _FileError(
            "unreadable", f"not a readable Parquet file ({_arrow_message(exc)})"
        ) from None
    n_rows = parquet.metadata.num_rows
    return _Header("parquet", tuple(parquet.schema_arrow.names), n_rows > 0, n_rows=n_rows)


def _no_rows(header: _Header) -> Problem:
    where = "the file has only a header" if header.kind == "csv" else "the file has no rows"
    return Problem(None, "no_rows", f"expected at least one data row; {where}")


@dataclass(frozen=True)
class _Plan:
    wanted: tuple[str, ...] | None  # the columns asked for, None for all
    read: tuple[str, ...]  # catalog columns to read and check, in file order
    notes: tuple[Problem, ...]  # problems of the header


def _plan(header: _Header, wanted: tuple[str, ...] | None) -> _Plan:
    """Which columns to read, and the header's problems."""
    counts = Counter(header.names)
    seen = [n for n in counts if wanted is None or n in wanted]
    notes = [
        Problem(n, "duplicate_header", f"expected each name once; {n!r} is {counts[n]} times")
        for n in seen
        if counts[n] > 1
    ]
    if wanted is None:
        unknown = [n for n in seen if n not in CATALOG]
        notes += [Problem(n, "unknown_column", _unknown_column_message(n)) for n in unknown]
    required = wanted or tuple(c.name for c in CATALOG.values() if c.required)
    notes += [
        Problem(n, "missing_column", f"expected a column {n!r}{_label(n)}; the file has none")
        for n in required
        if n not in counts
    ]
    read = tuple(n for n in seen if n in CATALOG and counts[n] == 1)
    return _Plan(wanted, read, tuple(notes))


def _label(name: str) -> str:
    label = CATALOG[name].label
    return "" if label == name.replace("_", " ") else f" ({label})"


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
            found.append(Problem(column, rule, tally.message, tally.count, examples))
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


def _sorted(problems: Iterable[Problem], header: Sequence[str]) -> tuple[Problem, ...]:
    catalog, in_header = list(CATALOG), list(header)

    def key(problem: Problem) -> tuple[int, int, int]:
        rule = _RULES.index(problem.rule)
        if problem.column is None:
            return (0, 0, rule)
        if problem.column in CATALOG:
            return (1, catalog.index(problem.column), rule)
        return (2, in_header.index(problem.column), rule)

    return tuple(sorted(problems, key=key))


def _scan_csv(
    path: Path, header: _Header, read: tuple[str, ...], batch_size: int, keep: bool
) -> tuple[_Scan, list[pa.RecordBatch]]:
    """Fast pass with typed columns; if Arrow trips on a value or a row, a diagnostic pass."""
    scan = _Scan(n_fields=len(header.names))
    try:
        batches = _csv_batches(path, header, read, batch_size, diagnose=None)
        return scan, _consume(scan, batches, read, _as_parsed, keep)
    except (pa.ArrowException, OSError):
        pass  # a value of the wrong type, bad UTF-8 or a ragged row: find them all
    scan = _Scan(n_fields=len(header.names))
    try:
        batches = _csv_batches(path, header, read, batch_size, diagnose=scan)
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
        batches = _parquet_batches(path, read, batch_size)
        return scan, _consume(scan, batches, read, _check_stored, keep)
    except (pa.ArrowException, OSError) as exc:
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


def _typed_batches(
    path: Path, header: _Header, read: tuple[str, ...], batch_size: int
) -> Iterator[pa.RecordBatch]:
    if header.kind == "csv":
        return _csv_batches(path, header, read, batch_size, diagnose=None)
    return _parquet_batches(path, read, batch_size)


def _csv_batches(
    path: Path, header: _Header, read: tuple[str, ...], batch_size: int, *, diagnose: _Scan | None
) -> Iterator[pa.RecordBatch]:
    """Batches of ``read`` columns: typed (fast, threaded), or raw bytes to ``diagnose``.

    The diagnostic pass parses in one thread, which lets Arrow number the rows it skips.
    """
    names = _distinct(header.names)
    include = list(read) or names[:1]  # Arrow reads every column when include_columns is empty
    types = {n: _scan_type(n) if diagnose is None and n in read else pa.binary() for n in include}
    wanted_bytes = batch_size * header.row_bytes
    block = max(min(int(wanted_bytes), _MAX_BLOCK), _MIN_BLOCK, 4 * header.longest)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=block, use_threads=diagnose is None
        ),
        parse_options=pacsv.ParseOptions(
            ignore_empty_lines=False,
            invalid_row_handler=None if diagnose is None else diagnose.on_bad_row,
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=include,
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    for batch in reader:
        for start in range(0, batch.num_rows, batch_size):
            yield batch.slice(start, batch_size)


def _parquet_batches(
    path: Path, read: tuple[str, ...], batch_size: int
) -> Iterator[pa.RecordBatch]:
    stored = pq.ParquetFile(path).schema_arrow
    text = [n for n in read if CATALOG[n].dtype in _TEXT and _is_text(stored.field(n).type)]
    parquet = pq.ParquetFile(path, read_dictionary=text)
    yield from parquet.iter_batches(batch_size=batch_size, columns=list(read))


def _distinct(names: Sequence[str]) -> list[str]:
    """Header names made distinct for Arrow (repeated names are never read)."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        out.append(name if not seen[name] else f"{name}\x00{seen[name]}")
        seen[name] += 1
    return out


def _scan_type(name: str) -> pa.DataType:
    """Arrow type a column is parsed to for checking (text dictionary-encoded, flags int64)."""
    dtype = CATALOG[name].dtype
    if dtype in _TEXT:
        return pa.dictionary(pa.int32(), pa.string())
    return pa.float64() if dtype == "float" else pa.int64()


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
    """Parquet values, if their stored type suits the column; else every value is counted."""
    if stored_type_ok(col, raw.type):
        return raw.cast(pa.int8()) if pa.types.is_boolean(raw.type) else raw
    message = f"{_message(col, 'stored')}; the file stores {raw.type}"
    scan.add(col.name, "type", _hits(raw.is_valid()), raw, offset, message=message)
    return None


_PREPARE: Mapping[Kind, _Prepare] = {"csv": _as_parsed, "parquet": _check_stored}


def stored_type_ok(col: Column, stored: pa.DataType) -> bool:
    """Whether a Parquet column stored as ``stored`` can hold the values of ``col``."""
    if col.dtype == "int":
        return pa.types.is_integer(stored)
    if col.dtype == "flag":
        return pa.types.is_integer(stored) or pa.types.is_boolean(stored)
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
    cleaned = pc.if_else(pa.array(keep), raw, pa.scalar(None, raw.type))
    return cleaned.cast(pa.string()), bad


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
    common: Arr = pc.match_substring_regex(trimmed, pattern=pattern)
    odd: Arr = pc.invert(common).fill_null(False)
    if not pc.any(odd).as_py():
        return trimmed.cast(target), _no_hits()
    candidates = [str(v) for v in pc.unique(trimmed.filter(odd)).to_pylist()]
    parsable = pa.array([v for v in candidates if _arrow_parses(v, target)], type=pa.string())
    known: Arr = pc.is_in(trimmed, value_set=parsable)
    bad = pc.and_(odd, pc.invert(known))
    cleaned = pc.if_else(bad, pa.scalar(None, pa.string()), trimmed)
    return cleaned.cast(target), _hits(bad)


def _arrow_parses(value: str, target: pa.DataType) -> bool:
    try:
        pa.array([value], type=pa.string()).cast(target)
    except pa.ArrowInvalid:
        return False
    return True


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


def repeated_values(ids: Rows) -> Rows:
    """The values found more than once in ``ids``, sorted (one sort: fine at 13.8M ids)."""
    ordered = np.sort(ids)
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


# --------------------------------------------------------------------------------------------
# Row-level checks for callers that reject rows instead of refusing the file (batch scoring)
def file_columns(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The column names of a CSV or Parquet file, read from its header only.

    Raises
    ------
    SchemaError
        If there is no such file, or it is empty, unreadable or of an unsupported kind.
    """
    try:
        return _inspect(_existing(path)).names
    except _FileError as problem:
        report = ValidationReport(os.fspath(path), 0, (problem.as_problem(),))
        raise _schema_error(report) from None


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
            found.append((rule, _message(col, rule), mask.fill_null(False)))
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
    numbers = present.to_numpy(zero_copy_only=False)
    smallest, largest = numbers.min(), numbers.max()  # NaN if there is one
    return bool((low is None or smallest >= low) and (high is None or largest <= high))


def _not_a_level(col: Column, values: Arr) -> Arr | None:
    if col.dtype != "category":
        return None
    return _text_fails(values, lambda text: pc.is_in(text, value_set=pa.array(col.levels)))


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
    accepted = accept(encoded.dictionary.cast(pa.string())).fill_null(True)
    rejected = np.flatnonzero(~np.asarray(accepted.to_numpy(zero_copy_only=False), dtype=bool))
    if rejected.size == 0:
        return None
    indices: Arr = encoded.indices
    hit: Arr = pc.is_in(indices, value_set=pa.array(rejected).cast(indices.type))
    return hit


def _bound(col: Column, value: float) -> pa.Scalar[Any]:
    if col.dtype == "float":
        return pa.scalar(float(value), pa.float64())
    return pa.scalar(int(value), pa.int64())


def _hits(mask: Arr | None) -> Rows:
    if mask is None or not pc.any(mask).as_py():
        return _no_hits()
    return np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False)).astype(np.int64)


def _no_hits() -> Rows:
    return np.empty(0, dtype=np.int64)


def _texts(source: Arr, hits: Rows) -> list[str]:
    return [_text(v) for v in source.take(pa.array(hits, type=pa.int64())).to_pylist()]


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


def _expected(col: Column) -> str:
    if col.dtype == "flag":
        return "0 or 1"
    if col.dtype == "category":
        levels = col.levels
        if len(levels) <= 8:
            return "one of: " + ", ".join(levels)
        return f"one of: {', '.join(levels[:3])}, ... ({len(levels)} levels)"
    if col.dtype == "string":
        return f"text matching {col.pattern}" if col.pattern else "text"
    low = "" if col.minimum is None else _number(col.minimum)
    high = "" if col.maximum is None else _number(col.maximum)
    span = f" from {low} to {high}" if low and high else (f" of at least {low}" if low else "")
    span = span or (f" of at most {high}" if high else "")
    return _KIND[col.dtype] + span


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else repr(float(value))


# --------------------------------------------------------------------------------------------
# To pandas
def _to_pandas(col: Column, data: pa.ChunkedArray[Any]) -> Any:
    """One checked column as a pandas array with the catalog's dtype."""
    if col.dtype == "category":
        dtype = pd.CategoricalDtype(list(col.levels))
        return pd.Categorical.from_codes(_level_codes(col, data), dtype=dtype)
    if col.dtype == "float":
        return data.cast(pa.float64()).to_numpy()
    typed = data.cast(_ARROW_TYPES[col.dtype])
    if col.dtype != "string" and not col.nullable:
        return typed.to_numpy()
    return typed.to_pandas(types_mapper=_PANDAS_TYPES.get).array


_PANDAS_TYPES: Mapping[pa.DataType, Any] = {
    pa.int64(): pd.Int64Dtype(),
    pa.int8(): pd.Int8Dtype(),
    pa.string(): pd.StringDtype(),
}


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
