"""Writing batches of rows to a CSV or Parquet file, atomically and deterministically."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard, cast

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.core.errors import SchemaError
from dmde.core.files import FileSet, cannot_write
from dmde.data.schema import EXTENSIONS, _arrow_message

if TYPE_CHECKING:
    import pandas as pd

    Arr: TypeAlias = pa.Array[Any]
    Batch: TypeAlias = pa.RecordBatch | pa.Table | pd.DataFrame

__all__ = ["write_batches"]


def write_batches(
    path: str | os.PathLike[str],
    batches: Iterable[Batch],
    *,
    schema: pa.Schema,
    files: FileSet | None = None,
) -> int:
    """Write batches of rows to a CSV or Parquet file, atomically.

    Batches are written one at a time (one Parquet row group per batch), so only one is held in
    memory. They go to a temporary file next to ``path`` (``.<name>.<random>.tmp``), renamed onto
    ``path`` once complete; on any error or interruption the temporary file is removed and
    ``path`` is left as it was. The output is deterministic: the same batches give the same bytes.
    Given ``files``, the file is one of a run's set instead: it is written as a temporary of
    ``files`` and lands with the others (:func:`dmde.data.manifest.land_run`).

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
    files : FileSet, optional
        The run's set of outputs this file belongs to (it is then not renamed here).

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
    >>> from dmde.data.datasets import arrow_schema, write_batches
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
    if files is None:
        with FileSet(error=SchemaError) as own:
            n_rows = _write(target, kind, batches, schema, own)
            own.land()
        return n_rows
    return _write(target, kind, batches, schema, files)


def _write(
    target: Path, kind: str, batches: Iterable[Batch], schema: pa.Schema, files: FileSet
) -> int:
    temporary = files.temporary(target)
    tables = (_as_table(batch, schema, target) for batch in batches)
    try:
        with temporary.open("xb") as raw:
            sink = _HashingSink(raw)
            n_rows = (
                _write_csv(sink, tables, schema)
                if kind == "csv"
                else _write_parquet(sink, tables, schema)
            )
            raw.flush()
            os.fsync(raw.fileno())
        if temporary.stat().st_size == sink.size:  # every byte went through the hash
            files.written(target, sink.size, sink.hexdigest())
    except OSError as exc:
        raise cannot_write(target, exc, error=SchemaError) from exc
    return n_rows


class _HashingSink(io.RawIOBase):
    """A file being written whose bytes are hashed on the way (SHA-256, for the manifest), so
    that the written file is not read again to hash it."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._hash.update(data)
        self.size += memoryview(data).nbytes
        written: int = self._raw.write(data)
        return written

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


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
    if _is_frame(batch):
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


def _is_frame(batch: object) -> TypeGuard[pd.DataFrame]:
    """Whether ``batch`` is a pandas DataFrame (pandas is not imported to find out: a
    DataFrame can only exist if it was)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(batch, pandas.DataFrame)


def _cast(batch: Batch, target_field: pa.Field[Any], target: Path) -> Any:
    name = target_field.name
    try:
        if _is_frame(batch):
            return pa.array(batch[name], from_pandas=True).cast(target_field.type)
        arrow = cast("pa.RecordBatch | pa.Table", batch)
        return arrow.column(name).cast(target_field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"cannot write column {name!r} to {str(target)!r} as {target_field.type}: "
            f"{_arrow_message(exc)}.",
            path=str(target),
        ) from None
