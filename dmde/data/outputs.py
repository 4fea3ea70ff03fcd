"""Reading dmde's own outputs: scores files (``dmde score``) and selection files (``dmde select``).

Both are CSV or Parquet tables whose column types follow from their names
(:func:`output_type`): identifiers and ranks are integers, scores, probabilities and reason
points are numbers, everything else is text (read as text even when it looks like a number, so
that a Caf code ``01`` keeps its zero). Their manifests are read by :mod:`dmde.data.manifest`.
A file that cannot be read gives one :class:`~dmde.core.errors.SchemaError` naming the file,
the format, Arrow's reason and the fix given by the caller.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.core.errors import SchemaError
from dmde.data.schema import EXTENSIONS

__all__ = ["output_columns", "output_row_groups", "output_type", "read_output"]

_INTEGERS = ("dossier_id", "rank_national", "rank_in_group")
_NUMBERS = re.compile(r"^(score|probability|reason_.*_points)$")
_TEXT = pa.dictionary(pa.int32(), pa.string())


def output_type(name: str, *, dictionary: bool = True) -> pa.DataType:
    """The Arrow type of an output column, from its name.

    Examples
    --------
    >>> [str(output_type(n)) for n in ("dossier_id", "reason_1_points", "caf_code")]
    ['int64', 'double', 'dictionary<values=string, indices=int32, ordered=0>']
    >>> output_type("caf_code", dictionary=False)
    DataType(string)
    """
    if name in _INTEGERS:
        return pa.int64()
    if _NUMBERS.match(name):
        return pa.float64()
    return _TEXT if dictionary else pa.string()


def output_columns(path: str | os.PathLike[str], *, what: str = "file", fix: str = "") -> list[str]:
    """The column names of an output file, from its header (Parquet: its schema).

    An empty CSV file has no columns (``[]``).

    Raises
    ------
    SchemaError
        If the header names a column twice, or the file cannot be read: "<what> '<path>'
        cannot be read as <format>: <reason>.
        <fix>".
    """
    source = Path(path)
    kind = _kind(source)
    try:
        if kind == "parquet":
            names = list(pq.read_schema(source).names)
        else:
            with source.open(encoding="utf-8-sig", newline="") as stream:
                names = next(csv.reader(stream), [])
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(source, kind, exc, what, fix) from None
    repeated = sorted(n for n, k in Counter(names).items() if k > 1)
    if repeated:
        shown = ", ".join(repr(n) for n in repeated)
        message = (
            f"{what} {source}: the column(s) {shown} appear more than once in the header; name "
            "each column once."
        )
        raise SchemaError(f"{message} {fix}" if fix else message, path=str(source))
    return names


def read_output(
    path: str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    *,
    dictionary: bool = True,
    infer: bool = False,
    what: str = "file",
    fix: str = "",
) -> pa.Table:
    """Read the ``columns`` of an output file (None: all) with the types of :func:`output_type`.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    columns : sequence of str, optional
        The columns to read, each in the file; None reads every column.
    dictionary : bool, default True
        Whether text is read dictionary-encoded (from Parquet: the columns stored as text).
    infer : bool, default False
        For a table that is not one of dmde's outputs (any columns): CSV types are inferred by
        Arrow with its default conversion (``dictionary`` is then ignored).
    what, fix : str
        How the file is named in an error message ("scores file"), and the sentence that ends
        it (what to do).

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    SchemaError
        If the file cannot be read (see :func:`output_columns`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "scores.csv")
    ...     _ = path.write_text("dossier_id,caf_code,score\\n7,01,612.5\\n")
    ...     table = read_output(path, ["dossier_id", "caf_code"], dictionary=False)
    >>> table.to_pylist()
    [{'dossier_id': 7, 'caf_code': '01'}]
    """
    source = Path(path)
    kind = _kind(source)
    header = output_columns(source, what=what, fix=fix)  # a name twice is refused
    try:
        if kind == "parquet":
            stored = pq.read_schema(source)
            names = stored.names if columns is None else list(columns)
            text = [n for n in names if dictionary and not infer and _is_text(stored.field(n).type)]
            return pq.read_table(source, columns=list(names), read_dictionary=text or None)
        if infer:
            inferred = pacsv.ConvertOptions(include_columns=list(columns or []))
            return pacsv.read_csv(source, convert_options=inferred)
        names = header if columns is None else list(columns)
        options = pacsv.ConvertOptions(
            include_columns=names,
            column_types={n: output_type(n, dictionary=dictionary) for n in names},
            null_values=[""],
            strings_can_be_null=True,
        )
        return pacsv.read_csv(source, convert_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, OSError, UnicodeDecodeError) as exc:
        raise _unreadable(source, kind, exc, what, fix) from None


def output_row_groups(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    *,
    rows: npt.ArrayLike | None = None,
    what: str = "file",
    fix: str = "",
) -> tuple[int, Iterator[pa.Table]]:
    """The number of rows of a Parquet output file, and its ``columns`` one row group at a time.

    Each row group is read as :func:`read_output` reads the whole file (text stored as text is
    read dictionary-encoded), so that only one is in memory at a time. Given ``rows`` (row
    positions, ascending), each row group gives only those of its rows, and a row group that
    has none is not read; positions past the end are left out.

    Raises
    ------
    SchemaError
        If the file is not Parquet or cannot be read (also while iterating), as for
        :func:`read_output`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "scores.parquet")
    ...     pq.write_table(pa.table({"dossier_id": [1, 2, 3], "caf_code": ["01", "75", "01"]}),
    ...                    path, row_group_size=2)
    ...     n_rows, groups = output_row_groups(path, ["caf_code"])
    ...     print(n_rows, [group.num_rows for group in groups])
    ...     _, groups = output_row_groups(path, ["dossier_id"], rows=[2])
    ...     print([group.to_pylist() for group in groups])
    3 [2, 1]
    [[{'dossier_id': 3}]]
    """
    source = Path(path)
    kind = _kind(source)
    if kind != "parquet":
        raise SchemaError(
            f"{what} {str(source)!r} cannot be read by row groups: it is {kind}, not parquet.",
            path=str(source),
        )
    try:
        stored = pq.read_schema(source)
        text = [n for n in columns if _is_text(stored.field(n).type)]
        opened = pq.ParquetFile(source, read_dictionary=text or None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, OSError) as exc:
        raise _unreadable(source, kind, exc, what, fix) from None

    wanted = None if rows is None else np.asarray(rows, dtype=np.int64)

    def groups() -> Iterator[pa.Table]:
        with opened:
            start = 0
            for index in range(opened.num_row_groups):
                end = start + opened.metadata.row_group(index).num_rows
                if wanted is not None:
                    first, last = np.searchsorted(wanted, [start, end])
                    if first == last:
                        start = end
                        continue
                try:
                    group = opened.read_row_group(index, columns=list(columns))
                except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, OSError) as exc:
                    raise _unreadable(source, kind, exc, what, fix) from None
                yield group if wanted is None else group.take(wanted[first:last] - start)
                start = end

    return opened.metadata.num_rows, groups()


def _kind(source: Path) -> str:
    kind = EXTENSIONS.get(source.suffix.lower())
    if kind is None:
        raise SchemaError(
            f"cannot read {str(source)!r}: expected a file ending in {', '.join(EXTENSIONS)}.",
            path=str(source),
        )
    return kind


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _unreadable(source: Path, kind: str, exc: BaseException, what: str, fix: str) -> SchemaError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    message = f"{what} {str(source)!r} cannot be read as {kind}: {first}."
    return SchemaError(f"{message} {fix}" if fix else message, path=str(source))
