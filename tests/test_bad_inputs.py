"""A corpus of bad inputs through the command line, each with its expected outcome (issue 13).

Every case is built from one clean 40-row population (``synthesize(40, seed=3, controls=40)``)
written as CSV or Parquet, then damaged in one way: the file itself (empty, header only, BOM,
line endings, separators, NUL bytes, not Parquet), its header (a name twice, missing, unknown,
renamed), its rows (short, long, blank, quoted line breaks, unterminated quotes, huge fields)
or its values (types, ranges, levels, bytes that are not UTF-8, codes that lost their zeros,
repeated or negative ids). Each case states what ``dmde validate`` and ``dmde score`` do: the
exit code, fragments of the message (the file, the row, the column, the rule) and, for a
scoring run, the rows read and the rejected rows by rule.

On every case, whatever its expectation:

- no traceback reaches standard error;
- a refusal says one ``dmde COMMAND: error: ...`` line naming the file, and writes nothing
  (no output, no rejects, no manifest, no temporary file);
- a scoring run reconciles: rows read = scored + rejected, the scores file holds the scored
  rows, every row is either scored or rejected, and the manifest lists the files it wrote;
- ``validate`` and ``score`` agree: the same number of rows, and for each column the model
  reads, the same rows under the same rule (all of them, from the counts; the first five
  by number).

A few cases go through a real ``python -m dmde`` process too, to see what a user sees.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import assert_agree, read_rejects

from dmde.batch.scoring import needed_columns
from dmde.cli import main
from dmde.cli.commands import REJECTED_WARNING_SHARE
from dmde.data.datasets import arrow_schema, validate_file, write_batches
from dmde.data.synthetic import synthesize
from dmde.model.model_file import load_model

ROWS, SEED = 40, 3
#: Fields in every line of the clean CSV (the population's columns, labels included).
FIELDS = len(synthesize(2, seed=SEED, controls=2).columns)


# --------------------------------------------------------------------------------------------
# The clean population, and ways to damage it
@dataclass(frozen=True)
class Clean:
    """The clean population as a frame, as CSV cells and as CSV bytes."""

    frame: pd.DataFrame
    header: list[bytes]
    rows: list[list[bytes]]  # data row r (1-based) is rows[r - 1]
    text: bytes

    def col(self, name: str) -> int:
        return self.header.index(name.encode())


def _field(value: bytes) -> bytes:
    if any(c in value for c in (b",", b'"', b"\n", b"\r")):
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


def _line(fields: Sequence[bytes]) -> bytes:
    return b",".join(_field(f) for f in fields)


def _clean() -> Clean:
    frame = synthesize(ROWS, seed=SEED, controls=ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clean.csv"
        write_batches(path, [frame], schema=arrow_schema(frame.columns))
        text = path.read_bytes()
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    header = [h.encode() for h in parsed[0]]
    rows = [[v.encode() for v in row] for row in parsed[1:]]
    return Clean(frame, header, rows, text)


@functools.cache
def _source() -> Clean:
    """The clean population, built once, on first use."""
    return _clean()


def csv_with(
    cells: dict[tuple[int, str], bytes] | None = None,
    *,
    header: Callable[[list[bytes]], list[bytes]] | None = None,
    rows: Callable[[list[list[bytes]]], list[list[bytes]]] | None = None,
    lines: Callable[[list[bytes]], list[bytes]] | None = None,
    end: bytes = b"\n",
) -> Callable[[Path], Path]:
    """A maker of a CSV file: the clean cells with ``cells`` changed ((row, column) -> bytes),
    then the header, the rows (cells) and the lines (bytes) edited in that order."""

    def make(path: Path) -> Path:
        src = _source()
        head = list(src.header)
        body = [list(r) for r in src.rows]
        for (row, name), value in (cells or {}).items():
            body[row - 1][src.col(name)] = value
        if header is not None:
            head = header(head)
        if rows is not None:
            body = rows(body)
        text = [_line(head), *(_line(r) for r in body)]
        if lines is not None:
            text = lines(text)
        path.write_bytes(end.join(text) + end)
        return path

    return make


def raw(data: bytes | Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    """A maker of a file of these bytes (or of a function of the clean CSV bytes)."""

    def make(path: Path) -> Path:
        path.write_bytes(data(_source().text) if callable(data) else data)
        return path

    return make


def parquet_with(edit: Callable[[pa.Table], pa.Table] | None = None) -> Callable[[Path], Path]:
    """A maker of a Parquet file: the clean population in the catalog's types, edited."""

    def make(path: Path) -> Path:
        frame = _source().frame
        table = pa.Table.from_pandas(frame, schema=arrow_schema(frame.columns))
        pq.write_table(edit(table) if edit else table, path)
        return path

    return make


def pandas_csv(**options: object) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        _source().frame.to_csv(path, **{"index": False, **options})  # type: ignore[call-overload]
        return path

    return make


def pandas_parquet() -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        _source().frame.to_parquet(path, index=False)
        return path

    return make


def _replace(table: pa.Table, name: str, values: Any) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _set(table: pa.Table, name: str, row: int, value: object) -> pa.Table:
    """The table with data row ``row`` (1-based) of column ``name`` set to ``value``."""
    values = table.column(name).to_pylist()
    values[row - 1] = value
    typ = table.schema.field(name).type
    return _replace(table, name, pa.array(values, typ))


def _as_type(name: str, typ: pa.DataType) -> Callable[[pa.Table], pa.Table]:
    def edit(table: pa.Table) -> pa.Table:
        values: Any = table.column(name)
        if pa.types.is_string(typ):
            values = pa.array([None if v is None else str(v) for v in values.to_pylist()], typ)
        else:
            values = values.cast(typ)
        return _replace(table, name, values)

    return edit


def _without(name: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.drop_columns([name])


def _renamed(old: str, new: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.rename_columns([new if n == old else n for n in t.column_names])


def _twice(name: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.append_column(name, t.column(name))


def corrupt_page(column: str) -> Callable[[Path], Path]:
    """A maker of the clean Parquet file with the first page header of ``column`` overwritten."""

    def make(path: Path) -> Path:
        parquet_with()(path)
        chunk = pq.ParquetFile(path).metadata.row_group(0).column(_source().col(column))
        at = chunk.dictionary_page_offset or chunk.data_page_offset
        data = bytearray(path.read_bytes())
        data[at : at + 4] = b"\xff" * 4
        path.write_bytes(bytes(data))
        return path

    return make


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _insert(at: int, *new: bytes) -> Callable[[list[bytes]], list[bytes]]:
    """Lines with ``new`` inserted before text line ``at`` (0 = the header, r = data row r)."""
    return lambda lines: [*lines[:at], *new, *lines[at:]]


# --------------------------------------------------------------------------------------------
# The corpus
NEEDS = "model"  # the command needs the shared model file


@dataclass(frozen=True)
class Case:
    """One bad input and what each command does with it.

    ``validate`` and ``score`` are the exit codes (a tuple where either is right, e.g. a file
    that may be read or refused, as long as both commands do the same); ``says`` are fragments
    of validate's report, ``score_says`` of score's error line. For a scoring run, ``read`` is
    the rows read and ``rejected`` the rejected rows by rule.
    """

    id: str
    make: Callable[[Path], Path]
    name: str = "input.csv"
    validate: int | tuple[int, ...] = 1
    says: tuple[str, ...] = ()
    score: int | tuple[int, ...] = 0
    score_says: tuple[str, ...] = ()
    read: int | None = ROWS
    rejected: dict[str, tuple[int, ...]] = field(default_factory=dict)
    others: tuple[str, ...] = ()  # other commands that must refuse it: train, explain, audit


def refused(
    id: str,
    make: Callable[[Path], Path],
    *says: str,
    name: str = "input.csv",
    score_says: tuple[str, ...] | None = None,
    others: tuple[str, ...] = ("train", "explain", "audit"),
) -> Case:
    """A file that validate and score refuse (exit 1), with the same words."""
    return Case(
        id,
        make,
        name=name,
        says=says,
        score=1,
        score_says=says if score_says is None else score_says,
        read=None,
        others=others,
    )


def rejected(
    id: str,
    make: Callable[[Path], Path],
    says: tuple[str, ...],
    rows: dict[str, tuple[int, ...]],
    *,
    read: int = ROWS,
    name: str = "input.csv",
) -> Case:
    """A file validate refuses and score reads, rejecting ``rows`` (rule -> rows)."""
    return Case(id, make, name=name, says=says, read=read, rejected=rows)


def fine(id: str, make: Callable[[Path], Path], *, name: str = "input.csv") -> Case:
    """A file both commands accept whole."""
    return Case(id, make, name=name, validate=0)


CLEAN_ROW = 5  # a row of the clean file used for single-cell damage
LONG = b"x" * 2_000_000

CASES: list[Case] = [
    # -- the file itself ------------------------------------------------------------------
    refused("empty", raw(b""), "empty_file", "0 bytes"),
    refused("header-only", raw(lambda t: t.split(b"\n")[0] + b"\n"), "no_rows", "only a header"),
    refused("header-only-no-newline", raw(lambda t: t.split(b"\n")[0]), "no_rows"),
    refused("blank-first-line", raw(lambda t: b"\n" + t), "empty_file", "first line is blank"),
    refused("only-newlines", raw(b"\n\n\n"), "empty_file"),
    fine("bom", raw(lambda t: b"\xef\xbb\xbf" + t)),
    refused(
        "bom-twice",
        raw(lambda t: b"\xef\xbb\xbf\xef\xbb\xbf" + t),
        "dossier_id",
        score_says=("dossier_id",),
    ),
    fine("crlf", raw(lambda t: t.replace(b"\n", b"\r\n"))),
    Case(
        "bare-cr",
        raw(lambda t: t.replace(b"\n", b"\r")),
        validate=(0, 1),
        score=(0, 1),
    ),
    Case(
        "bare-cr-one-line",
        csv_with(lines=lambda ls: [*ls[:8], ls[8] + b"\r" + ls[9], *ls[10:]]),
        validate=(0, 1),
        score=(0, 1),
        read=None,
    ),
    fine("no-final-newline", raw(lambda t: t.rstrip(b"\n"))),
    refused("semicolon", raw(lambda t: t.replace(b",", b";")), "separator", "';'"),
    refused("tab", raw(lambda t: t.replace(b",", b"\t")), "separator", "tab"),
    refused("nul-byte", csv_with({(CLEAN_ROW, "household_type"): b"sin\x00gle"}), "unreadable"),
    refused("parquet-as-csv", parquet_with(), "unreadable", "Parquet", name="input.csv"),
    refused("txt-extension", raw(lambda t: t), "extension", "'.txt'", name="input.txt"),
    refused("no-extension", raw(lambda t: t), "extension", name="input"),
    fine("upper-case-extension", raw(lambda t: t), name="input.CSV"),
    refused(
        "header-not-utf8",
        raw(lambda t: t.replace(b"dossier_id", b"dossier\xe9id", 1)),
        "encoding",
        "UTF-8",
    ),
    refused(
        "header-2MB-line",
        raw(lambda t: LONG + t),
        "unreadable",
        score_says=("input.csv",),
    ),
    # -- the header -----------------------------------------------------------------------
    refused(
        "duplicate-needed-column",
        csv_with(header=lambda h: [b"n_children" if n == b"age" else n for n in h]),
        "duplicate_header",
        "n_children",
        score_says=("n_children",),
    ),
    refused(
        "duplicate-unread-column",
        csv_with(header=lambda h: [b"age" if n == b"gender" else n for n in h]),
        "duplicate_header",
        "age",
        score_says=("age",),
    ),
    refused(
        "missing-needed-column",
        csv_with(
            header=lambda h: [n for n in h if n != b"n_children"],
            rows=lambda rs: [[v for i, v in enumerate(r) if i != 6] for r in rs],
        ),
        "missing_column",
        "n_children",
        score_says=("n_children",),
    ),
    Case(
        "missing-unread-required-column",  # score reads only the model's columns
        csv_with(
            header=lambda h: [n for n in h if n != b"snapshot_month"],
            rows=lambda rs: [[v for i, v in enumerate(r) if i != 2] for r in rs],
        ),
        says=("missing_column", "snapshot_month"),
    ),
    fine(
        "missing-optional-column",
        csv_with(
            header=lambda h: [n for n in h if n != b"age"],
            rows=lambda rs: [[v for i, v in enumerate(r) if i != 27] for r in rs],
        ),
    ),
    Case(
        "unknown-extra-column",
        csv_with(header=lambda h: [*h, b"shoe_size"], rows=lambda rs: [[*r, b"42"] for r in rs]),
        says=("unknown_column", "shoe_size"),
    ),
    fine(
        "columns-reordered",
        csv_with(header=lambda h: h[::-1], rows=lambda rs: [r[::-1] for r in rs]),
    ),
    refused(
        "header-upper-case",
        csv_with(header=lambda h: [n.upper() for n in h]),
        "missing_column",
        "dossier_id",
        score_says=("dossier_id",),
    ),
    refused(
        "header-name-padded",
        csv_with(header=lambda h: [b" n_children" if n == b"n_children" else n for n in h]),
        "missing_column",
        "n_children",
        score_says=("n_children",),
    ),
    Case(
        "pandas-index-column",
        pandas_csv(index=True),
        says=("unknown_column",),
    ),
    # -- rows -----------------------------------------------------------------------------
    rejected(
        "blank-line-middle",
        csv_with(lines=_insert(5, b"")),
        ("row 5", "missing_value"),
        {"missing_value": (5,)},
        read=41,
    ),
    rejected(
        "blank-lines-end",
        raw(lambda t: t + b"\n\n"),
        ("row 41", "row 42"),
        {"missing_value": (41, 42)},
        read=42,
    ),
    rejected(
        "crlf-blank-line",
        raw(lambda t: (lambda ls: b"\r\n".join([*ls[:3], b"", *ls[3:]]))(t.split(b"\n"))),
        ("row 3",),
        {"missing_value": (3,)},
        read=41,
    ),
    rejected(
        "spaces-line",
        csv_with(lines=_insert(7, b"   ")),
        ("bad_row", "row 7"),
        {"bad_row": (7,)},
        read=41,
    ),
    rejected(
        "all-fields-empty",
        csv_with(lines=_insert(2, b"," * (FIELDS - 1))),
        ("row 2", "missing_value"),
        {"missing_value": (2,)},
        read=41,
    ),
    rejected(
        "short-row",
        csv_with(rows=lambda rs: [*rs[:2], rs[2][:-3], *rs[3:]]),
        ("bad_row", "row 3", f"{FIELDS - 3} fields"),
        {"bad_row": (3,)},
    ),
    rejected(
        "long-row",
        csv_with(rows=lambda rs: [*rs[:6], [*rs[6], b"1"], *rs[7:]]),
        ("bad_row", "row 7"),
        {"bad_row": (7,)},
    ),
    rejected(
        "short-row-not-utf8",
        csv_with(rows=lambda rs: [*rs[:2], [*rs[2][:-4], b"\xff\xfe"], *rs[3:]]),
        ("bad_row", "row 3"),
        {"bad_row": (3,)},
    ),
    rejected(
        "short-rows-many",
        csv_with(rows=lambda rs: [r[:-1] if i % 5 == 1 else r for i, r in enumerate(rs)]),
        ("bad_row", "8 rows", "row 2", "row 7"),
        {"bad_row": (2, 7, 12, 17, 22, 27, 32, 37)},
    ),
    rejected(
        "short-row-then-bad-value",
        csv_with(
            {(9, "n_children"): b"many"},
            rows=lambda rs: [*rs[:2], rs[2][:-3], *rs[3:]],
        ),
        ("bad_row", "row 3", "n_children", "row 9"),
        {"bad_row": (3,), "type": (9,)},
    ),
    # A value may not span lines: each is refused, naming the line that opens the quote (a
    # quote without its pair would otherwise swallow the lines after it, unsaid).
    refused(
        "quoted-newline-in-read-column",
        csv_with({(CLEAN_ROW, "household_type"): b"sin\ngle"}),
        "unreadable",
        f"line {CLEAN_ROW + 1} opens a quoted value",
        score_says=(f"line {CLEAN_ROW + 1} opens a quoted value", "fix the quoting"),
    ),
    refused(
        "quoted-newline-in-unread-column",
        csv_with({(CLEAN_ROW, "postal_code"): b"44\n392"}),
        "unreadable",
        f"line {CLEAN_ROW + 1} opens a quoted value",
        score_says=(f"line {CLEAN_ROW + 1} opens a quoted value", "fix the quoting"),
    ),
    refused(
        "unterminated-quote",
        csv_with(lines=lambda ls: [*ls[:3], ls[3].replace(b",", b',"', 1), *ls[4:]]),
        "unreadable",
        "40 lines of data but 3 rows",
        "line 4 opens a quoted value",
        score_says=("40 lines of data but 3 rows", "line 4 opens a quoted value"),
    ),
    rejected(
        "unterminated-quote-last-row",
        csv_with(lines=lambda ls: [*ls[:-1], ls[-1] + b',"']),
        ("bad_row", "row 40"),
        {"bad_row": (40,)},
    ),
    rejected(
        "stray-quote-in-value",
        csv_with({(CLEAN_ROW, "household_type"): b'sin"gle'}),
        ("household_type", f"row {CLEAN_ROW}"),
        {"level": (CLEAN_ROW,)},
    ),
    rejected(
        "huge-field",
        csv_with({(2, "household_type"): LONG}),
        ("household_type", "row 2"),
        {"level": (2,)},
    ),
    # -- values ---------------------------------------------------------------------------
    rejected(
        "text-in-integer",
        csv_with({(4, "n_children"): b"two"}),
        ("type", "n_children", "row 4", "'two'"),
        {"type": (4,)},
    ),
    rejected(
        "text-in-float",
        csv_with({(6, "income_to_smic"): b"0,57"}),
        ("type", "income_to_smic", "row 6"),
        {"type": (6,)},
    ),
    rejected(
        "fraction-in-integer",
        csv_with({(8, "months_on_file"): b"12.5"}),
        ("type", "months_on_file", "row 8"),
        {"type": (8,)},
    ),
    fine("integer-written-3.0", csv_with({(8, "months_on_file"): b"12.0"})),
    fine(
        "pandas-to-csv",  # nullable integers written as 34.0
        pandas_csv(),
    ),
    fine("spaces-around-number", csv_with({(8, "months_on_file"): b" 12 "})),
    rejected(
        "text-in-flag",
        csv_with({(10, "zero_income"): b"yes"}),
        ("zero_income", "row 10"),
        {"type": (10,)},
    ),
    rejected(
        "flag-out-of-range",
        csv_with({(10, "zero_income"): b"2"}),
        ("zero_income", "range", "row 10"),
        {"range": (10,)},
    ),
    rejected(
        "integer-out-of-range",
        csv_with({(11, "n_children"): b"99"}),
        ("range", "n_children", "row 11", "99"),
        {"range": (11,)},
    ),
    rejected(
        "negative-months",
        csv_with({(12, "months_on_file"): b"-1"}),
        ("range", "months_on_file", "row 12"),
        {"range": (12,)},
    ),
    rejected(
        "nan-in-float",
        csv_with({(13, "income_to_smic"): b"NaN"}),
        ("income_to_smic", "row 13"),
        {"range": (13,)},
    ),
    rejected(
        "inf-in-float",
        csv_with({(14, "mean_total_12m"): b"inf"}),
        ("mean_total_12m", "row 14"),
        {"range": (14,)},
    ),
    rejected(
        "na-string-in-float",
        csv_with({(15, "income_volatility"): b"NA"}),
        ("income_volatility", "row 15"),
        {"type": (15,)},
    ),
    fine("empty-in-nullable", csv_with({(15, "income_volatility"): b""})),
    rejected(
        "empty-in-required",
        csv_with({(16, "household_type"): b""}),
        ("missing_value", "household_type", "row 16"),
        {"missing_value": (16,)},
    ),
    rejected(
        "bad-category",
        csv_with({(17, "household_type"): b"SINGLE"}),
        ("level", "household_type", "row 17", "'SINGLE'"),
        {"level": (17,)},
    ),
    rejected(
        "bad-routing-level",
        csv_with({(18, "income_reporting"): b"annual"}),
        ("level", "income_reporting", "row 18"),
        {"level": (18,)},
    ),
    rejected(
        "caf-code-lost-zero",
        csv_with({(12, "caf_code"): b"6"}),
        ("caf_code", "row 12", "zero"),
        {"level": (12,)},
    ),
    Case(
        "postal-code-lost-zero",
        csv_with({(12, "postal_code"): b"6889"}),
        says=("postal_code", "row 12", "zero"),
    ),
    rejected(
        "negative-dossier-id",
        csv_with({(19, "dossier_id"): b"-19"}),
        ("range", "dossier_id", "row 19"),
        {"range": (19,)},
    ),
    rejected(
        "zero-dossier-id",
        csv_with({(20, "dossier_id"): b"0"}),
        ("dossier_id", "row 20"),
        {"range": (20,)},
    ),
    rejected(
        "dossier-id-overflows",
        csv_with({(21, "dossier_id"): b"99999999999999999999"}),
        ("dossier_id", "row 21"),
        {"type": (21,)},
    ),
    rejected(
        "dossier-id-missing",
        csv_with({(22, "dossier_id"): b""}),
        ("missing_value", "dossier_id", "row 22"),
        {"missing_value": (22,)},
    ),
    refused(
        "repeated-dossier-id",
        csv_with({(9, "dossier_id"): b"3"}),
        "duplicate_id",
        "row 3",
        "row 9",
        score_says=("dossier_id",),
        others=("train",),
    ),
    refused(
        "repeated-dossier-id-one-copy-rejected",
        csv_with({(9, "dossier_id"): b"3", (9, "n_children"): b"two"}),
        "duplicate_id",
        "row 3",
        "row 9",
        score_says=("dossier_id",),
        others=("train",),
    ),
    rejected(
        "not-utf8-in-id",
        csv_with({(23, "dossier_id"): b"2\xe93"}),
        ("encoding", "dossier_id", "row 23"),
        {"encoding": (23,)},
    ),
    rejected(
        "not-utf8-in-category",
        csv_with({(24, "household_type"): b"c\xe9libataire"}),
        ("encoding", "household_type", "row 24", "\\xe9"),
        {"encoding": (24,)},
    ),
    rejected(
        "not-utf8-in-float",
        csv_with({(25, "mean_af_12m"): b"1\xff2"}),
        ("encoding", "mean_af_12m", "row 25"),
        {"encoding": (25,)},
    ),
    rejected(
        "not-utf8-in-routing-column",
        csv_with({(26, "income_reporting"): b"\x80prefilled"}),
        ("encoding", "income_reporting", "row 26"),
        {"encoding": (26,)},
    ),
    Case(
        "not-utf8-in-unread-column",
        csv_with({(27, "gender"): b"f\xe9minin"}),
        says=("encoding", "gender", "row 27"),
    ),
    rejected(
        "latin1-in-several-rows",
        csv_with({(r, "caf_code"): b"\xe9" for r in (2, 4, 6, 8, 10, 12, 14)}),
        ("encoding", "caf_code", "7 rows"),
        {"encoding": (2, 4, 6, 8, 10, 12, 14)},
    ),
    rejected(
        "several-problems-one-row",
        csv_with({(30, "n_children"): b"-3", (30, "household_type"): b"big"}),
        ("n_children", "household_type", "row 30"),
        {"range": (30,), "level": (30,)},
    ),
    # -- Parquet --------------------------------------------------------------------------
    fine("parquet-clean", parquet_with(), name="input.parquet"),
    fine("parquet-pq-extension", parquet_with(), name="input.pq"),
    fine("pandas-to-parquet", pandas_parquet(), name="input.parquet"),
    refused(
        "parquet-zero-rows",
        parquet_with(lambda t: t.slice(0, 0)),
        "no_rows",
        name="input.parquet",
    ),
    refused(
        "parquet-truncated",
        raw(lambda t: b""),  # replaced below: needs the Parquet bytes
        "unreadable",
        name="input.parquet",
    ),
    refused(
        "parquet-corrupt-page-in-read-column",
        corrupt_page("n_children"),
        "unreadable",
        name="input.parquet",
        score_says=(),
    ),
    # score reads only the model's columns (the manifest lists them): a damaged page of
    # another column is validate's to find; the scores do not depend on it.
    Case(
        "parquet-corrupt-page-in-unread-column",
        corrupt_page("age"),
        name="input.parquet",
        says=("unreadable",),
        others=("train",),
    ),
    refused("parquet-empty-file", raw(b""), "empty_file", name="input.parquet"),
    refused("csv-as-parquet", raw(lambda t: t), "unreadable", name="input.parquet"),
    refused(
        "parquet-needed-column-as-text",
        parquet_with(_as_type("n_children", pa.string())),
        "n_children",
        "type",
        name="input.parquet",
        score_says=("n_children",),
    ),
    Case(
        "parquet-unread-column-as-text",
        parquet_with(_as_type("age", pa.string())),
        name="input.parquet",
        says=("age", "type"),
    ),
    refused(
        "parquet-code-as-integer",
        parquet_with(_as_type("caf_code", pa.int64())),
        "caf_code",
        "leading zeros",
        name="input.parquet",
        score_says=("caf_code",),
        others=("train", "explain"),  # the audit does not read caf_code from the population
    ),
    fine(
        "parquet-integer-as-whole-floats",
        parquet_with(_as_type("n_children", pa.float64())),
        name="input.parquet",
    ),
    rejected(
        "parquet-integer-fraction",
        parquet_with(lambda t: _set(_as_type("n_children", pa.float64())(t), "n_children", 4, 2.5)),
        ("n_children", "row 4"),
        {"type": (4,)},
        name="input.parquet",
    ),
    fine(
        "parquet-flag-as-bool",
        parquet_with(_as_type("zero_income", pa.bool_())),
        name="input.parquet",
    ),
    fine(
        "parquet-float-as-integer",
        parquet_with(lambda t: _replace(t, "mean_af_12m", pa.array([0] * ROWS, pa.int32()))),
        name="input.parquet",
    ),
    rejected(
        "parquet-null-in-required",
        parquet_with(lambda t: _set(t, "household_type", 6, None)),
        ("missing_value", "household_type", "row 6"),
        {"missing_value": (6,)},
        name="input.parquet",
    ),
    rejected(
        "parquet-nan-in-float",
        parquet_with(lambda t: _set(t, "income_to_smic", 7, float("nan"))),
        ("income_to_smic", "row 7"),
        {"range": (7,)},
        name="input.parquet",
    ),
    rejected(
        "parquet-bad-level",
        parquet_with(lambda t: _set(t, "activity_holder", 8, "astronaut")),
        ("level", "activity_holder", "row 8"),
        {"level": (8,)},
        name="input.parquet",
    ),
    rejected(
        "parquet-negative-id",
        parquet_with(lambda t: _set(t, "dossier_id", 9, -9)),
        ("dossier_id", "row 9"),
        {"range": (9,)},
        name="input.parquet",
    ),
    refused(
        "parquet-repeated-id",
        parquet_with(lambda t: _set(t, "dossier_id", 9, 3)),
        "duplicate_id",
        name="input.parquet",
        score_says=("dossier_id",),
        others=("train",),
    ),
    refused(
        "parquet-duplicate-names",
        parquet_with(_twice("n_children")),
        "duplicate_header",
        "n_children",
        name="input.parquet",
        score_says=("n_children",),
    ),
    refused(
        "parquet-missing-column",
        parquet_with(_without("household_type")),
        "missing_column",
        "household_type",
        name="input.parquet",
        score_says=("household_type",),
    ),
    refused(
        "parquet-renamed-column",
        parquet_with(_renamed("months_on_file", "months_on_the_file")),
        "missing_column",
        "months_on_file",
        name="input.parquet",
        score_says=("months_on_file",),
    ),
    # -- paths ----------------------------------------------------------------------------
    refused("missing-file", lambda p: p, "no such file", name="absent.csv"),
    refused("directory", lambda p: _folder(p), "directory", name="folder.csv"),
    refused("directory-no-extension", lambda p: _folder(p), "name one of its files", name="data"),
]


def _truncated_parquet(path: Path) -> Path:
    parquet_with()(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


CASES = [
    Case(**{**c.__dict__, "make": _truncated_parquet}) if c.id == "parquet-truncated" else c
    for c in CASES
]


def test_the_corpus_is_large_and_named_once() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------------------------
# Running commands in process
@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Ran:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def _codes(expected: int | tuple[int, ...]) -> tuple[int, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def assert_said_once(ran: Ran, command: str, *fragments: str) -> None:
    """A refusal: one ``dmde COMMAND: error:`` line with the fragments, no traceback.

    The error line may be followed by the list of the file's problems, one ``  - `` line each
    (how :func:`~dmde.core.errors.command_line_message` says a report); nothing else.
    """
    assert "Traceback" not in ran.err, ran.err
    lines = ran.err.splitlines()
    assert lines, "a refusal must say why on standard error"
    assert lines[0].startswith(f"dmde {command}: error: "), ran.err
    assert all(line.startswith("  - ") for line in lines[1:]), ran.err
    for fragment in fragments:
        assert fragment in ran.err, f"{fragment!r} not in {ran.err!r}"


@pytest.fixture(scope="module")
def model_columns(family_file: Path) -> set[str]:
    return set(needed_columns(load_model(family_file)))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_and_score(
    case: Case,
    tmp_path: Path,
    family_file: Path,
    model_columns: set[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    given = tmp_path / "in" / case.name
    path = case.make(given)
    listed_before = sorted(p.name for p in (tmp_path / "in").iterdir())

    # validate: the report on standard output, the exit code, the fragments
    checked = run(capsys, ["validate", str(path)])
    assert "Traceback" not in checked.err
    assert checked.code in _codes(case.validate), checked
    if checked.code == 0:
        assert checked.err == ""
    else:
        said = checked.out + checked.err
        assert case.name in said, said
        for fragment in case.says:
            assert fragment in said, f"{fragment!r} not in {said!r}"

    # score: refused with one line and nothing written, or a run that reconciles
    out = tmp_path / "out" / "scores.csv"
    argv = ["score", "--model", str(family_file), "--input", str(path), "--out", str(out)]
    scored = run(capsys, [*argv, "--quiet"])
    assert "Traceback" not in scored.err
    assert scored.code in _codes(case.score), scored
    if checked.code == 0:
        assert scored.code == 0, (checked, scored)
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == listed_before
    if scored.code != 0:
        assert_said_once(scored, "score", case.name, *case.score_says)
        assert list((tmp_path / "out").iterdir()) == [], "a refused run wrote something"
        return
    manifest = json.loads((tmp_path / "out" / "scores.csv.manifest.json").read_text())
    n_read, n_scored, n_rejected = (
        manifest["rows_read"],
        manifest["rows_scored"],
        manifest["rows_rejected"],
    )
    # standard error holds one warning exactly when a tenth of the rows or more is rejected
    many = n_rejected >= REJECTED_WARNING_SHARE * n_read
    assert scored.err.startswith("dmde score: warning: ") if many else scored.err == "", scored.err
    assert scored.err.count("\n") == int(many), scored.err
    assert n_read == n_scored + n_rejected
    assert set(manifest["files"]) == {"scores.csv", "scores.rejects.csv"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "scores.csv",
        "scores.csv.manifest.json",
        "scores.rejects.csv",
    ]
    scores = pd.read_csv(out)
    assert len(scores) == n_scored
    rejects = read_rejects(tmp_path / "out" / "scores.rejects.csv")
    rejected_rows = {int(r["row"]) for r in rejects}
    assert len(rejected_rows) == n_rejected
    assert rejected_rows <= set(range(1, n_read + 1))
    if case.read is not None:
        assert n_read == case.read
        by_rule: dict[str, set[int]] = defaultdict(set)
        for line in rejects:
            by_rule[line["rule"]].add(int(line["row"]))
        assert {k: tuple(sorted(v)) for k, v in by_rule.items()} == case.rejected

    # validate and score agree on every row
    report = validate_file(path)
    assert report.n_rows == n_read
    assert_agree(report, rejects, model_columns)
    if report.ok:
        assert n_rejected == 0


def test_a_refusal_is_one_line(
    tmp_path: Path, family_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line's rule (dmde.cli): every error is one line on standard error.

    Checked over every file score refuses; the cases whose error takes more lines are listed.
    """
    longer = {}
    for i, case in enumerate(c for c in CASES if c.score == 1):
        folder = tmp_path / str(i)
        folder.mkdir()
        path = case.make(folder / case.name)
        argv = ["score", "--model", str(family_file), "--input", str(path), "--quiet"]
        ran = run(capsys, [*argv, "--out", str(folder / "scores.csv")])
        assert ran.code == 1, (case.id, ran)
        lines = ran.err.splitlines()
        if len(lines) != 1:
            longer[case.id] = len(lines)
    assert longer == {}, f"errors on several lines: {longer}"


# --------------------------------------------------------------------------------------------
# The other commands refuse what validate refuses, in one line, writing nothing
OTHERS = [(c, command) for c in CASES for command in c.others]


@pytest.fixture(scope="module")
def clean_run(family_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean population scored (for the audit, which also reads a population file)."""
    folder = tmp_path_factory.mktemp("clean-run")
    data = csv_with()(folder / "clean.csv")
    assert main(["score", "--model", str(family_file), "--input", str(data), "--out",
                 str(folder / "scores.csv"), "--quiet"]) == 0  # fmt: skip
    return folder / "scores.csv"


@pytest.mark.parametrize(
    ("case", "command"), OTHERS, ids=[f"{c.id}-{command}" for c, command in OTHERS]
)
def test_other_commands_refuse(
    case: Case,
    command: str,
    tmp_path: Path,
    family_file: Path,
    clean_run: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """train, explain and audit refuse what validate and score refuse: exit 1, one error line
    naming the file, nothing written."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    path = case.make(tmp_path / "in" / case.name)
    out = tmp_path / "out"
    model = ["--model", str(family_file)]
    argv = {
        "train": ["train", "--data", str(path), "--out", str(out / "model.json")],
        "explain": [
            *("explain", *model, "--input", str(path), "--dossier", "1"),
            *("--out", str(out / "notice.html")),
        ],
        "audit": [
            *("audit", "--scores", str(clean_run), "--population", str(path), *model),
            *("--budget", "5", "--n-boot", "10", "--out", str(out / "audit.html")),
        ],
    }[command]
    ran = run(capsys, argv)
    assert ran.code == 1, ran
    assert_said_once(ran, command, case.name)
    assert list(out.iterdir()) == []


def _scores_edited(edit: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    """A maker of a scores file: the clean run's scores (and manifest), then edited."""

    def make(path: Path, clean_run: Path) -> Path:
        shutil.copy(clean_run, path)
        manifest = clean_run.with_name(clean_run.name + ".manifest.json")
        shutil.copy(manifest, path.with_name(path.name + ".manifest.json"))
        path.write_bytes(edit(path.read_bytes()))
        return path

    return make


def _data_file(path: Path, clean_run: Path) -> Path:
    return csv_with()(path)


def _scores_alone(path: Path, clean_run: Path) -> Path:
    shutil.copy(clean_run, path)
    return path


SELECT_CASES = [
    ("a-data-file", _data_file, "scores.csv", ("score",), 1),
    ("edited-score", _scores_edited(lambda t: t.replace(b",", b",9", 6)), "scores.csv", (), 1),
    ("empty", _scores_edited(lambda t: b""), "scores.csv", (), 1),
    ("header-only", _scores_edited(lambda t: t.split(b"\n")[0] + b"\n"), "scores.csv", (), 1),
    (
        "duplicate-column",
        _scores_edited(lambda t: t.replace(b"probability", b"score", 1)),
        "scores.csv",
        ("score",),
        1,
    ),
    # select says a wrong extension as a usage error (2), validate and score as refused data (1)
    ("txt-extension", _scores_edited(lambda t: t), "scores.txt", (), (1, 2)),
]


@pytest.mark.parametrize(
    ("make", "name", "says", "code"),
    [c[1:] for c in SELECT_CASES],
    ids=[c[0] for c in SELECT_CASES],
)
def test_select_refuses_bad_scores(
    make: Callable[[Path, Path], Path],
    name: str,
    says: tuple[str, ...],
    code: int | tuple[int, ...],
    tmp_path: Path,
    clean_run: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """select refuses a scores file that is not what dmde score wrote, in one line naming it."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    scores = make(tmp_path / "in" / name, clean_run)
    ran = run(capsys, ["select", "--scores", str(scores), "--out", str(tmp_path / "out" / "s.csv"),
                       "--budget", "5"])  # fmt: skip
    assert ran.code in _codes(code), ran
    assert_said_once(ran, "select", name, *says)
    assert list((tmp_path / "out").iterdir()) == []


# --------------------------------------------------------------------------------------------
# Usage errors: exit 2, one line, nothing written
def test_score_usage_errors_exit_2(
    tmp_path: Path, family_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = csv_with()(tmp_path / "input.csv")
    out = tmp_path / "out"
    out.mkdir()
    base = ["score", "--model", str(family_file), "--input", str(data), "--quiet"]
    for argv, fragment in [
        ([*base, "--out", str(out / "s.csv"), "--reasons", "-1"], "--reasons"),
        ([*base, "--out", str(out / "s.txt")], "s.txt"),
        ([*base, "--out", str(out / "s.csv"), "--rejects", str(out / "s.csv")], "s.csv"),
        (["score", "--input", str(data), "--out", str(out / "s.csv")], "--model"),
    ]:
        ran = run(capsys, argv)
        assert ran.code == 2, (argv, ran)
        assert "Traceback" not in ran.err
        assert fragment in ran.err, (argv, ran.err)
        assert len(ran.err.strip().splitlines()) <= 2  # argparse: usage line, then the error
        assert list(out.iterdir()) == []


def test_score_refuses_to_overwrite_its_input(
    tmp_path: Path, family_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = csv_with()(tmp_path / "input.csv")
    before = data.read_bytes()
    argv = ["score", "--model", str(family_file), "--input", str(data), "--out", str(data)]
    ran = run(capsys, [*argv, "--quiet"])
    assert ran.code in (1, 2), ran
    assert_said_once(ran, "score", "input.csv")
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.csv"]


# --------------------------------------------------------------------------------------------
# What a user sees: a real process
PROCESS_CASES = ["bare-cr", "short-row-not-utf8", "parquet-duplicate-names"]


def test_no_traceback_in_a_real_process(tmp_path: Path, family_file: Path) -> None:
    """Validate and score in ``python -m dmde`` processes (two at a time): exit codes as in
    process, no traceback, a refusal said on standard error, nothing written."""
    by_id = {c.id: c for c in CASES}
    runs = []
    for name in PROCESS_CASES:
        case = by_id[name]
        folder = tmp_path / name
        folder.mkdir()
        path = case.make(folder / case.name)
        out = folder / "out"
        out.mkdir()
        score = ["--model", str(family_file), "--input", str(path), "--out", str(out / "s.csv")]
        runs += [(case, ["validate", str(path)], out), (case, ["score", *score], out)]
    for pair in (runs[i : i + 2] for i in range(0, len(runs), 2)):
        started = [
            (case, argv[0], out, subprocess.Popen(
                [sys.executable, "-m", "dmde", *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            ))
            for case, argv, out in pair
        ]  # fmt: skip
        for case, command, out, proc in started:
            stdout, stderr = proc.communicate(timeout=120)
            expected = case.validate if command == "validate" else case.score
            assert proc.returncode in _codes(expected), (case.id, command, stdout, stderr)
            assert "Traceback" not in stderr, (case.id, command, stderr)
            if proc.returncode != 0 and command == "score":
                assert_said_once(Ran(proc.returncode, stdout, stderr), "score", case.name)
                assert list(out.iterdir()) == []
