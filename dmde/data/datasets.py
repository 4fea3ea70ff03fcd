"""Write, read and validate benefit files against the column catalog: the public names.

A benefit file is a CSV or Parquet file whose columns are declared in :mod:`dmde.data.catalog`.
dmde writes such files atomically (:func:`write_batches`), checks them in a stream without
loading them (:func:`validate_file`), and reads them with the catalog's types
(:func:`read_dataset` for a DataFrame, :func:`iter_batches` for Arrow record batches,
:func:`~dmde.data.reading.read_batches` for checked batches with rejected rows). This module
gathers those names and states the conventions they share; the work is done by
:mod:`~dmde.data.schema` (formats and Arrow types), :mod:`~dmde.data.rules` (the rules on
values), :mod:`~dmde.data.problems` (problems and reports), :mod:`~dmde.data.opening` (the
header and the raw batches), :mod:`~dmde.data.validation` (validating, reading into pandas),
:mod:`~dmde.data.reading` (the batch reader and its policy for problems) and
:mod:`~dmde.data.writing`.

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
    exponent; spaces and tabs around a number are ignored. In an integer column, a whole number
    written with a decimal point (``3.0``, as pandas writes an integer column with missing
    values) is that integer; ``3.5`` is a ``type`` problem.
Pandas round trips
    A frame written by pandas reads back: in Parquet, an integer column stored as floating
    point numbers is read as its whole numbers (a value that is not whole is a ``type``
    problem). Codes are text: a code read as a number loses its leading zeros (``"01000"``
    becomes ``1000``), and the ``pattern`` or ``level`` problem says so; read such files with
    ``pd.read_csv(path, dtype=str)``.
Rules
    Every problem found is a :class:`Problem` with one of these rules. About the file:
    ``not_found`` (raised as :class:`~dmde.core.errors.SchemaError`, as there is nothing to
    report on), ``extension``, ``empty_file``, ``unreadable``, ``encoding`` (not UTF-8),
    ``separator`` (a header that reads as catalog names when split on ``;`` or a tab, as
    spreadsheets in a French locale write it), ``no_rows``, ``bad_row`` (a row with the wrong
    number of fields). About the header:
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

from dmde.data.opening import file_columns
from dmde.data.problems import Problem, ValidationReport
from dmde.data.reading import iter_batches
from dmde.data.rules import (
    parse_text,
    repeated_values,
    stored_type_ok,
    type_message,
    value_problems,
)
from dmde.data.schema import BATCH_ROWS, EXTENSIONS, arrow_schema
from dmde.data.validation import read_dataset, validate_file
from dmde.data.writing import write_batches

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
