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
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dmde.core.errors import SchemaError
from dmde.data.schema import EXTENSIONS

__all__ = ["output_columns", "output_type", "read_output"]

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
