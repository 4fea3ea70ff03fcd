"""Reading a data file in batches with the catalog's types, under one policy for problems.

:func:`read_batches` is dmde's one batch reader of benefit files (CSV or Parquet). It reads only
the columns asked for, with the types of :func:`~dmde.data.opening.reading_type`, numbers the
rows from 1 (the first line after the CSV header, the first row in Parquet) and checks every
value against the catalog with the rules of :mod:`dmde.data.rules`, by
:func:`check_rows`. What becomes of a row with a problem is the ``on_problem`` policy:

``"raise"``
    the file is diagnosed in full, for the columns read, as
    :func:`~dmde.data.validation.validate_file` does, and a
    :class:`~dmde.core.errors.SchemaError` lists every problem (with counts and rows); no
    batch holding a bad value is yielded. A ``dossier_id`` repeated across batches is found
    after the last batch, so that error comes at the end of the iteration.
``"reject"``
    the row is kept out of the batch's valid rows and comes back in its ``rejects`` table,
    one line per refused value (:data:`REJECT_COLUMNS`: the 1-based row number,
    ``dossier_id``, column, value, rule and what was expected). A CSV value that does not
    parse as its column's type is rejected with the rule ``type``, one that is not UTF-8 with
    the rule ``encoding``, and a CSV row with the wrong number of fields is rejected whole
    with the rule ``bad_row`` (no column, no ``dossier_id``, its first characters as the
    value): from the first such row on, the file is read again as bytes, one thread, and
    parsed value by value. Only the file itself stops the reading: a Parquet column stored
    with an unsuitable type, or CSV text that cannot be parsed at all (a
    :class:`~dmde.core.errors.SchemaError` that says to run ``dmde validate``).

Under both policies a CSV value that Arrow's typed reading refuses (``3.0`` in an integer
column, as pandas writes one with missing values) sends the rest of the file through the
value-by-value reading, which accepts a whole number written with a decimal point; a Parquet
integer column stored as floats is checked value by value to be whole.

Both policies count rows as :func:`~dmde.data.validation.validate_file` does, so that row
numbers are the same in every command: a blank CSV line (or a bare carriage return) is a row,
of missing values, and a row with the wrong number of fields is a row.

In both, problems of the file (missing, unreadable, empty, without data rows, a requested column
absent, a name repeated in the header) raise a :class:`~dmde.core.errors.SchemaError` at the
call, before any row is read.
:func:`iter_batches` is the ``"raise"`` policy with batches in the types of
:func:`~dmde.data.schema.arrow_schema`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dmde.core.errors import SchemaError
from dmde.data.arrow_numpy import integers, numbers_array, repeated_text, text_array
from dmde.data.catalog import CATALOG
from dmde.data.checking import REJECT_COLUMNS, REJECT_SCHEMA, CheckedBatch, check_rows
from dmde.data.opening import (
    FileTally,
    _existing,
    _FileError,
    _Header,
    _inspect,
    _no_rows,
    _plan,
    csv_batches,
    parquet_batches,
)
from dmde.data.parameters import StrOptions, check_parameters
from dmde.data.problems import ValidationReport, _schema_error, _sorted
from dmde.data.rules import (
    repeated_values,
    stored_type_ok,
)
from dmde.data.schema import BATCH_ROWS, _arrow_message, _check_batch_size, _wanted, arrow_schema
from dmde.data.validation import _scan_file

if TYPE_CHECKING:
    Arr: TypeAlias = pa.Array[Any]

__all__ = [
    "REJECT_COLUMNS",
    "REJECT_SCHEMA",
    "CheckedBatch",
    "OnProblem",
    "check_rows",
    "iter_batches",
    "read_batches",
]

OnProblem = Literal["raise", "reject"]
Positions: TypeAlias = npt.NDArray[np.intp]

_REJECT_BLOCK = 8 << 20  # bytes of CSV text parsed at a time under the "reject" policy


# --------------------------------------------------------------------------------------------
# The reader
def read_batches(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    *,
    batch_size: int = BATCH_ROWS,
    on_problem: OnProblem = "raise",
    tally: FileTally | None = None,
) -> Iterator[CheckedBatch]:
    """Stream the ``columns`` of a CSV or Parquet file as checked batches.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    columns : sequence of str
        Catalog columns to read (each must be in the file), ``dossier_id`` among them.
    batch_size : int, default BATCH_ROWS (250,000)
        Maximum rows per batch.
    on_problem : {"raise", "reject"}, default "raise"
        What a row with a problem does: stop the reading with the file's full diagnosis, or
        go to the batch's rejects (see the module docstring).
    tally : FileTally, optional
        Filled, for a CSV file read to its end, with its SHA-256 and lines, computed as the
        reading read the bytes (the file is not read again to hash it).

    Returns
    -------
    iterator of CheckedBatch
        In file order; ``first_row`` numbers the rows across batches.

    Raises
    ------
    SchemaError
        At the call, for a problem of the file or its header; during the iteration, as the
        policy says.
    ValueError
        If ``batch_size`` or ``on_problem`` is not allowed.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from dmde.data.datasets import arrow_schema, write_batches
    >>> frame = pd.DataFrame({"dossier_id": [1, 2, 3], "age": [34, 212, 51]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "files.csv")
    ...     _ = write_batches(path, [frame], schema=arrow_schema(frame.columns))
    ...     batches = list(read_batches(path, ["dossier_id", "age"], on_problem="reject"))
    >>> [(b.n_rows, b.n_rejected, b.rejects.column("row").to_pylist()) for b in batches]
    [(3, 1, [2])]
    """
    _check_batch_size(batch_size)
    check_parameters(
        {"on_problem": [StrOptions({"raise", "reject"})]},
        {"on_problem": on_problem},
        fixes={"on_problem": "Say what a row with a problem does: 'raise' or 'reject'."},
    )
    wanted = _wanted(columns)
    source = _existing(path)
    shown = os.fspath(path)
    try:
        header = _inspect(source)
    except _FileError as problem:
        raise _schema_error(ValidationReport(shown, 0, (problem.as_problem(),))) from None
    plan = _plan(header, wanted)
    notes = list(plan.notes)
    if not header.has_rows:
        notes.append(_no_rows(header))
    if notes:
        raise _schema_error(ValidationReport(shown, 0, _sorted(notes, header.names)))
    if on_problem == "reject":
        return _checked(source, header, wanted, batch_size, tally=tally)
    return _raising(source, header, wanted, batch_size, wanted, tally=tally)


def iter_batches(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    batch_size: int = BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream the rows of a CSV or Parquet file as Arrow record batches with catalog types.

    Only ``columns`` are read. Each batch is checked as by
    :func:`~dmde.data.validation.validate_file` before it is
    yielded (the ``"raise"`` policy of :func:`read_batches`); at the first problem the file is
    diagnosed in full and a :class:`SchemaError` raised, so no invalid value is ever yielded. A
    ``dossier_id`` repeated across batches is found after the last batch, so that error comes at
    the end of the iteration.

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
    >>> from dmde.data.datasets import arrow_schema, write_batches
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
    return _as_schema(_raising(Path(path), header, plan.read, batch_size, wanted), schema)


def _as_schema(batches: Iterator[CheckedBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for checked in batches:
        table = checked.valid
        yield pa.RecordBatch.from_arrays(
            [table.column(f.name).combine_chunks().cast(f.type) for f in schema], schema=schema
        )


def _raising(
    path: Path,
    header: _Header,
    read: Sequence[str],
    batch_size: int,
    wanted: tuple[str, ...] | None = None,
    *,
    tally: FileTally | None = None,
) -> Iterator[CheckedBatch]:
    """The "raise" policy: checked batches until a problem, then the full diagnosis."""
    ids: list[npt.NDArray[np.int64]] = []
    failed = False
    try:
        checked_batches = _checked(
            path, header, read, batch_size, dictionary=True, block_size=None, tally=tally
        )
        for checked in checked_batches:
            if checked.n_rejected:
                failed = True
                break
            if "dossier_id" in read:
                ids.append(_ids(checked.valid))
            yield checked
        else:
            failed = bool(ids) and repeated_values(np.concatenate(ids)).size > 0
    except (pa.ArrowException, OSError, SchemaError):
        failed = True
    if failed:
        report = _scan_file(path, columns=wanted, batch_size=batch_size, keep=False)[0]
        if report.ok:  # pragma: no cover - the diagnosis finds what the stream tripped on
            raise SchemaError(f"{path}: cannot be read", path=str(path))
        raise _schema_error(report)


def _ids(table: pa.Table) -> npt.NDArray[np.int64]:
    values = table.column("dossier_id").cast(pa.int64())
    return np.asarray(integers(values), dtype=np.int64)


def _checked(
    path: Path,
    header: _Header,
    read: Sequence[str],
    batch_size: int,
    *,
    dictionary: bool = False,
    block_size: int | None = _REJECT_BLOCK,
    tally: FileTally | None = None,
) -> Iterator[CheckedBatch]:
    """Checked batches of every row: typed batches, then bytes from the first row that does
    not parse as typed (a value such as "3.0" in an integer column, bytes that are not UTF-8, a
    broken row), so that each value is judged by :func:`check_rows` whatever stopped Arrow."""
    if header.kind == "parquet":
        try:
            yield from _numbered(_stored(path, read, batch_size, dictionary=dictionary))
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a damaged file
            raise _unreadable(path, exc, "Parquet") from None
        return
    done = 0
    try:
        typed = csv_batches(path, header, read, batch_size, block_size=block_size, tally=tally)
        for checked in _numbered(typed):
            yield checked
            done += checked.n_rows
        return
    except pa.ArrowInvalid:
        pass  # a value of the wrong type, bytes that are not UTF-8 or a broken row: read on
    # No broken row comes before the first ``done`` rows: the typed pass would have stopped.
    broken = _BrokenRows(len(header.names))
    raw = csv_batches(
        path,
        header,
        read,
        batch_size,
        values="bytes",
        on_bad_row=broken.add,
        block_size=_REJECT_BLOCK,
        tally=tally,
    )
    try:
        yield from _with_broken(_skip(raw, done), broken, done, read)
    except pa.ArrowInvalid as exc:
        raise _unreadable(path, exc) from None


class _BrokenRows:
    """The CSV rows with the wrong number of fields met so far (Arrow's invalid_row_handler)."""

    def __init__(self, n_fields: int) -> None:
        self.reason = f"expected {n_fields} fields in every row, as in the header"
        self.rows: list[int] = []  # 1-based data rows, increasing (one thread reads)
        self.values: list[str] = []

    def add(self, row: pacsv.InvalidRow) -> Literal["skip"]:
        self.rows.append(-1 if row.number is None else row.number - 1)  # the header is line 1
        text = row.text if len(row.text) <= 60 else row.text[:57] + "..."
        self.values.append(f"{row.actual_columns} fields: {text}")
        return "skip"

    def file_rows(self, parsed: Positions) -> Positions:
        """1-based data rows of the parsed rows at 0-based positions ``parsed``."""
        skipped = np.asarray(self.rows, dtype=np.intp)
        before = skipped - 1 - np.arange(skipped.size)  # rows parsed before each broken row
        return parsed + 1 + np.searchsorted(before, parsed, side="right")

    def rejects(self, first: int, last: int | None) -> pa.Table:
        """Reject lines of the broken rows from data row ``first`` to ``last`` (None: all)."""
        rows = np.asarray(self.rows, dtype=np.int64)
        within = rows >= first if last is None else (rows >= first) & (rows <= last)
        take = np.flatnonzero(within)
        n = int(take.size)
        return pa.table(
            [
                numbers_array(rows[take], pa.int64()),
                pa.nulls(n, pa.int64()),
                pa.nulls(n, pa.string()),
                text_array([self.values[i] for i in take]),
                repeated_text("bad_row", n),
                repeated_text(self.reason, n),
            ],
            schema=REJECT_SCHEMA,
        )


def _with_broken(
    batches: Iterator[pa.RecordBatch], broken: _BrokenRows, done: int, read: Sequence[str]
) -> Iterator[CheckedBatch]:
    """Check batches of bytes; number their rows around the broken rows, which are rejected.

    Each checked batch covers consecutive data rows: its parsed rows and the broken rows among
    or just before them; broken rows after the last parsed row come in a last batch.
    """
    parsed, first = done, done + 1  # rows parsed so far; the first data row not yet covered
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        checked = check_rows(batch, first_row=0, text=True)  # rows numbered by position
        rows = broken.file_rows(np.arange(parsed, parsed + n))
        parsed += n
        yield _placed(checked, rows, broken.rejects(first, int(rows[-1])), first)
        first = int(rows[-1]) + 1
    tail = broken.rejects(first, None)
    if tail.num_rows:
        none = pa.RecordBatch.from_arrays(
            [pa.nulls(0, pa.binary()) for _ in read], names=list(read)
        )
        valid = check_rows(none, text=True).valid
        yield CheckedBatch(valid, tail, tail.num_rows, tail.num_rows, first, np.empty(0, np.intp))


def _placed(checked: CheckedBatch, rows: Positions, lost: pa.Table, first: int) -> CheckedBatch:
    """A batch checked with rows numbered by position, renumbered as data rows ``rows``, with
    the broken rows' reject lines ``lost``."""
    rejects = checked.rejects
    if rejects.num_rows:
        at = integers(rejects.column("row"))
        rejects = rejects.set_column(0, "row", numbers_array(rows[at], pa.int64()))
    if lost.num_rows:
        rejects = pa.concat_tables([rejects, lost])
        rejects = rejects.take(pc.sort_indices(rejects, sort_keys=[("row", "ascending")]))
    kept = checked.valid_rows if checked.valid_rows is not None else np.arange(checked.n_rows)
    return CheckedBatch(
        checked.valid,
        rejects,
        checked.n_rows + lost.num_rows,
        checked.n_rejected + lost.num_rows,
        first,
        rows[kept] - first,
    )


def _stored(
    path: Path, read: Sequence[str], batch_size: int, *, dictionary: bool
) -> Iterator[pa.RecordBatch]:
    """Parquet batches, once the stored types are checked; integers and flags as int64 (or as
    stored floats, checked to be whole by :func:`check_rows`)."""
    import pyarrow.parquet as pq

    stored = pq.read_schema(path)
    for name in read:
        typ = stored.field(name).type
        if not stored_type_ok(CATALOG[name], typ):
            raise SchemaError(
                f"{path}: column {name!r} is stored as {typ}; expected "
                f"{CATALOG[name].dtype} values. Write the file with the catalog's types (dmde "
                "validate shows every problem).",
                path=str(path),
            )
    for batch in parquet_batches(path, read, batch_size, dictionary=dictionary):
        arrays = []
        for name in read:
            values = batch.column(name)
            integral = pa.types.is_integer(values.type) or pa.types.is_boolean(values.type)
            if CATALOG[name].dtype in ("int", "flag") and integral:
                values = values.cast(pa.int64())  # floats: the row checker keeps whole ones
            arrays.append(values)
        yield pa.RecordBatch.from_arrays(arrays, names=list(read))


def _skip(batches: Iterator[pa.RecordBatch], n_rows: int) -> Iterator[pa.RecordBatch]:
    """The batches after the first ``n_rows`` rows."""
    for batch in batches:
        if n_rows >= batch.num_rows:
            n_rows -= batch.num_rows
            continue
        yield batch.slice(n_rows) if n_rows else batch
        n_rows = 0


def _numbered(
    batches: Iterator[pa.RecordBatch], *, text: bool = False, first_row: int = 1
) -> Iterator[CheckedBatch]:
    """Check each batch, numbering rows across batches (1 = the first data row)."""
    row = first_row
    for batch in batches:
        yield check_rows(batch, first_row=row, text=text)
        row += batch.num_rows


def _unreadable(path: Path, exc: Exception, kind: str = "CSV") -> SchemaError:
    return SchemaError(
        f"{path}: cannot be read as {kind}: {_arrow_message(exc)}. Run 'dmde validate' to "
        "list every problem.",
        path=str(path),
    )
