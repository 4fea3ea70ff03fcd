"""Tests of dmde.data.datasets: writing, validating and reading benefit files."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmde.core.errors import DmdeError, SchemaError
from dmde.data.catalog import CATALOG, Column
from dmde.data.datasets import (
    Problem,
    ValidationReport,
    arrow_schema,
    iter_batches,
    read_dataset,
    validate_file,
    write_batches,
)

SEED = 20260101
N_ROWS = 50
FIRST_ID = 1001
STRING_SAMPLES = {
    "snapshot_month": ["2024-12", "2025-01", "2025-06"],
    "commune_code": ["75056", "2A004", "97411"],
    "postal_code": ["75001", "20000", "97400"],
}


# --------------------------------------------------------------------------------------------
# A valid file, built from the catalog
def _values(col: Column, n_rows: int, rng: np.random.Generator) -> Any:
    if col.name == "dossier_id":
        return np.arange(FIRST_ID, FIRST_ID + n_rows, dtype=np.int64)
    if col.dtype == "category":
        return pd.Categorical(rng.choice(col.levels, n_rows), categories=list(col.levels))
    if col.dtype == "string":
        return pd.array(rng.choice(STRING_SAMPLES[col.name], n_rows), dtype="string")
    assert col.minimum is not None and col.maximum is not None
    low, high = col.minimum, min(col.maximum, col.minimum + 1_000)
    gaps = rng.random(n_rows) < 0.2  # missing values, where the column is nullable
    if col.dtype == "float":
        floats = np.round(rng.uniform(low, high, n_rows), 2)
        return np.where(gaps, np.nan, floats) if col.nullable else floats
    dtype = "int8" if col.dtype == "flag" else "int64"
    ints = rng.integers(int(low), int(high) + 1, n_rows).astype(dtype)
    if not col.nullable:
        return ints
    nullable = pd.array(ints, dtype="Int8" if col.dtype == "flag" else "Int64")
    nullable[gaps] = pd.NA
    return nullable


def valid_frame(n_rows: int = N_ROWS, seed: int = SEED) -> pd.DataFrame:
    """Every catalog column with valid values (and missing ones where nullable)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c.name: _values(c, n_rows, rng) for c in CATALOG.values()})


def valid_csv_text() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "valid.csv")
        write_batches(path, [valid_frame()], schema=arrow_schema())
        return path.read_text()


VALID_CSV = valid_csv_text()
HEADER = next(csv.reader([VALID_CSV.split("\n", 1)[0]]))


def set_field(text: str, row: int, column: str, value: str) -> str:
    """CSV text with the field ``column`` of data row ``row`` (1-based) set to raw ``value``."""
    lines = text.split("\n")
    fields = next(csv.reader([lines[row]]))
    fields[HEADER.index(column)] = value
    lines[row] = ",".join(fields)
    return "\n".join(lines)


def add_column(text: str, name: str, value: str) -> str:
    lines = text.rstrip("\n").split("\n")
    out = [f"{lines[0]},{name}"] + [f"{line},{value}" for line in lines[1:]]
    return "\n".join(out) + "\n"


def drop_column(text: str, name: str) -> str:
    index = HEADER.index(name)
    rows = [next(csv.reader([line])) for line in text.rstrip("\n").split("\n")]
    return "\n".join(",".join(f for i, f in enumerate(r) if i != index) for r in rows) + "\n"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def frame() -> pd.DataFrame:
    return valid_frame()


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    return write(tmp_path / "valid.csv", VALID_CSV)


@pytest.fixture
def parquet_path(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "valid.parquet"
    write_batches(path, [frame.iloc[:20], frame.iloc[20:]], schema=arrow_schema())
    return path


# --------------------------------------------------------------------------------------------
# Schema and writing
def test_arrow_schema_maps_catalog_types() -> None:
    schema = arrow_schema()
    assert schema.names == list(CATALOG)
    expected = {"int": pa.int64(), "float": pa.float64(), "flag": pa.int8()}
    for f in schema:
        assert f.type == expected.get(CATALOG[f.name].dtype, pa.string())
        assert f.nullable


@pytest.mark.parametrize(
    ("columns", "match"),
    [(["agee"], "Did you mean age"), (["age", "age"], "repeated: age"), ([], "is empty")],
    ids=["unknown", "repeated", "empty"],
)
def test_arrow_schema_refuses_bad_columns(columns: list[str], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        arrow_schema(columns)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".pq"])
def test_round_trip(tmp_path: Path, frame: pd.DataFrame, suffix: str) -> None:
    path = tmp_path / f"files{suffix}"
    n_rows = write_batches(path, [frame.iloc[:30], frame.iloc[30:]], schema=arrow_schema())
    assert n_rows == N_ROWS
    report = validate_file(path)
    assert report.ok, report.format()
    assert (
        report.format() == f"{path}: 50 rows, valid against the catalog ({frame.shape[1]} columns)"
    )
    pd.testing.assert_frame_equal(read_dataset(path), frame)


def test_round_trip_of_arrow_batches(tmp_path: Path, frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False).cast(arrow_schema())
    path = tmp_path / "files.csv"
    assert (
        write_batches(
            path, [table.slice(0, 10), *table.slice(10).to_batches(7)], schema=arrow_schema()
        )
        == N_ROWS
    )
    pd.testing.assert_frame_equal(read_dataset(path), frame)


def test_missing_values_are_empty_fields_in_csv_and_nulls_in_parquet(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    write_batches(tmp_path / "f.csv", [frame], schema=arrow_schema())
    write_batches(tmp_path / "f.parquet", [frame], schema=arrow_schema())
    first_gap = int(np.flatnonzero(frame["income_volatility"].isna())[0])
    text = (tmp_path / "f.csv").read_text().split("\n")[first_gap + 1]
    assert next(csv.reader([text]))[HEADER.index("income_volatility")] == ""
    stored = pq.read_table(tmp_path / "f.parquet", columns=["income_volatility"]).column(0)
    assert stored.null_count == frame["income_volatility"].isna().sum()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_writing_is_deterministic(tmp_path: Path, frame: pd.DataFrame, suffix: str) -> None:
    paths = [tmp_path / f"{name}{suffix}" for name in ("a", "b")]
    for path in paths:
        write_batches(path, [frame.iloc[:25], frame.iloc[25:]], schema=arrow_schema())
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_parquet_has_one_row_group_per_batch(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "f.parquet"
    write_batches(
        path, [frame.iloc[:20], frame.iloc[20:20], frame.iloc[20:]], schema=arrow_schema()
    )
    assert pq.ParquetFile(path).metadata.num_row_groups == 2


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_failed_write_leaves_nothing(
    tmp_path: Path, frame: pd.DataFrame, suffix: str, interruption: type[BaseException]
) -> None:
    def batches() -> Iterator[pd.DataFrame]:
        yield frame.iloc[:25]
        raise interruption("stopped mid-way")

    with pytest.raises(interruption, match="stopped mid-way"):
        write_batches(tmp_path / "out" / f"f{suffix}", batches(), schema=arrow_schema())
    assert list((tmp_path / "out").iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(tmp_path / "f.csv", "previous content\n")
    bad = frame.assign(age=frame["age"].astype(float) + 0.5)
    with pytest.raises(SchemaError, match="cannot write column 'age'"):
        write_batches(path, [frame, bad], schema=arrow_schema())
    assert path.read_text() == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


def test_write_refuses_an_unknown_extension_before_writing(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"unsupported extension '\.txt'.*\.csv, \.parquet, \.pq"):
        write_batches(tmp_path / "new" / "f.txt", [], schema=arrow_schema())
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns="age"), "missing: age"),
        (lambda f: f.assign(extra=1), "not in the schema: extra"),
        (lambda f: f.assign(caf_code=[object()] * len(f)), "cannot write column 'caf_code'"),
    ],
    ids=["missing-column", "extra-column", "bad-value"],
)
def test_write_refuses_batches_off_the_schema(
    tmp_path: Path, frame: pd.DataFrame, change: Callable[[pd.DataFrame], Any], match: str
) -> None:
    with pytest.raises(SchemaError, match=match):
        write_batches(tmp_path / "f.csv", [change(frame)], schema=arrow_schema())
    assert list(tmp_path.iterdir()) == []


def test_write_refuses_other_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot write a dict"):
        write_batches(tmp_path / "f.csv", [{"age": [1]}], schema=arrow_schema(["age"]))  # type: ignore[list-item]


# --------------------------------------------------------------------------------------------
# Bad files and bad values: one broken thing each
@dataclass(frozen=True)
class BadFile:
    make: Callable[[Path], Path]  # builds the file in a directory
    rule: str
    column: str | None
    count: int
    example: tuple[int, str | None] | None = None  # value None: check the row only
    batch_size: int = 1_000_000


def _csv(content: str | bytes, name: str = "bad.csv") -> Callable[[Path], Path]:
    return lambda tmp: write(tmp / name, content)


def _parquet(
    change: Callable[[bytes], bytes] | None = None, **columns: Any
) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        table = pa.Table.from_pandas(valid_frame().assign(**columns), preserve_index=False)
        pq.write_table(table, tmp / "bad.parquet")
        if change is not None:
            write(tmp / "bad.parquet", change((tmp / "bad.parquet").read_bytes()))
        return tmp / "bad.parquet"

    return make


_LINES = VALID_CSV.split("\n")
_RAGGED = "\n".join([*_LINES[:10], _LINES[10] + ",extra", *_LINES[11:]])
BAD_FILES = {
    "missing-required-column": BadFile(
        _csv(drop_column(VALID_CSV, "household_type")), "missing_column", "household_type", 0
    ),
    "unknown-column": BadFile(
        _csv(add_column(VALID_CSV, "agee", "1")), "unknown_column", "agee", 0
    ),
    "duplicated-header": BadFile(
        _csv(add_column(VALID_CSV, "age", "40")), "duplicate_header", "age", 0
    ),
    "empty-file": BadFile(_csv(""), "empty_file", None, 0),
    "header-only": BadFile(_csv(_LINES[0] + "\n"), "no_rows", None, 0),
    "ragged-row": BadFile(_csv(_RAGGED), "bad_row", None, 1, (10, None)),
    "binary-junk": BadFile(_csv(bytes(range(256)) * 4), "unreadable", None, 0),
    "corrupt-parquet": BadFile(
        _parquet(lambda data: data[: len(data) // 2]), "unreadable", None, 0
    ),
    "int-stored-as-fractions": BadFile(
        _parquet(age=valid_frame()["age"] + 0.5), "type", "age", N_ROWS, (1, None)
    ),
    "unsupported-extension": BadFile(_csv(VALID_CSV, "bad.txt"), "extension", None, 0),
}


# id: (row, column, text written, rule, rows counted, value reported)
BAD_VALUES = {
    "abc-in-int": (3, "age", "abc", "type", 1, "abc"),
    "1.5-in-flag": (5, "zero_income", "1.5", "type", 1, "1.5"),
    "NA-is-a-value": (4, "n_children", "NA", "type", 1, "NA"),
    "age-out-of-range": (17, "age", "212", "range", 1, "212"),
    "NaN-out-of-range": (3, "income_to_smic", "NaN", "range", 1, "nan"),
    "unknown-caf-code": (3, "caf_code", "99", "level", 1, "99"),
    "bad-snapshot-month": (4, "snapshot_month", "2025-13", "pattern", 1, "2025-13"),
    "missing-value": (2, "household_type", "", "missing_value", 1, ""),
    "invalid-utf8": (6, "household_type", "singl\udce9", "encoding", 1, "singl\\xe9"),
    "duplicate-id": (40, "dossier_id", str(FIRST_ID + 1), "duplicate_id", 2, str(FIRST_ID + 1)),
}


@pytest.mark.parametrize(
    ("row", "column", "text", "rule", "count", "shown"),
    list(BAD_VALUES.values()),
    ids=list(BAD_VALUES),
)
def test_bad_value_is_reported(
    tmp_path: Path, row: int, column: str, text: str, rule: str, count: int, shown: str
) -> None:
    content = set_field(VALID_CSV, row, column, text).encode("utf-8", "surrogateescape")
    path = write(tmp_path / "bad.csv", content)
    report = validate_file(path, batch_size=7)  # row 40 and row 2 are in different batches
    assert [(p.column, p.rule, p.count) for p in report.problems] == [(column, rule, count)]
    assert (row, shown) in report.problems[0].examples
    with pytest.raises(SchemaError, match=re.escape(f"column '{column}' ({rule}): {count} row")):
        read_dataset(path)


@pytest.mark.parametrize("case", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_is_reported(tmp_path: Path, case: BadFile) -> None:
    path = case.make(tmp_path)
    report = validate_file(path, batch_size=case.batch_size)
    assert [(p.rule, p.column, p.count) for p in report.problems] == [
        (case.rule, case.column, case.count)
    ], report.format()
    if case.example is not None:
        row, value = case.example
        examples = report.problems[0].examples
        assert row in [r for r, _ in examples]
        assert value is None or (row, value) in examples
    where = "file" if case.column is None else f"column '{case.column}'"
    with pytest.raises(SchemaError, match=re.escape(f"{where} ({case.rule})")) as raised:
        read_dataset(path)
    assert raised.value.problems == report.problems
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "read",
    [validate_file, read_dataset, iter_batches],
    ids=["validate_file", "read_dataset", "iter_batches"],
)
def test_a_missing_file_is_an_error_naming_it(tmp_path: Path, read: Callable[[Path], Any]) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(
        SchemaError, match=re.escape(f"cannot read '{path}': no such file")
    ) as raised:
        read(path)
    assert [p.rule for p in raised.value.problems if isinstance(p, Problem)] == ["not_found"]


def test_the_csv_header_is_plain_names(csv_path: Path) -> None:
    assert csv_path.read_text().split("\n", 1)[0] == ",".join(CATALOG)


def test_several_problems_are_all_reported_with_exact_counts(tmp_path: Path) -> None:
    text = set_field(VALID_CSV, 9, "age", "212")
    for row in (7, 12, 33):
        text = set_field(text, row, "caf_code", "99")
    text = set_field(text, 30, "dossier_id", str(FIRST_ID))
    text = set_field(text, 4, "zero_income", "yes")
    text = set_field(text, 5, "zero_income", "2")
    text = drop_column(add_column(text, "colour", "blue"), "gender")
    report = validate_file(write(tmp_path / "bad.csv", text))
    assert [(p.column, p.rule, p.count, p.examples) for p in report.problems] == [
        ("dossier_id", "duplicate_id", 2, ((1, str(FIRST_ID)), (30, str(FIRST_ID)))),
        ("caf_code", "level", 3, ((7, "99"), (12, "99"), (33, "99"))),
        ("zero_income", "type", 1, ((4, "yes"),)),
        ("zero_income", "range", 1, ((5, "2"),)),
        ("age", "range", 1, ((9, "212"),)),
        ("colour", "unknown_column", 0, ()),
    ]
    assert report.n_rows == N_ROWS
    lines = report.format().split("\n")
    assert lines[0] == (
        f"{tmp_path / 'bad.csv'}: 6 problems in 50 rows (rows numbered from 1, the first line "
        "after the header)"
    )
    assert lines[2] == (
        "  - column 'caf_code' (level): 3 rows, expected one of: 01, 02, 03, ... (101 levels); "
        "e.g. row 7: '99', row 12: '99', row 33: '99'"
    )


def _messy_csv() -> str:
    """Type errors, ragged rows, a blank line and a duplicate, spread over the file."""
    text = set_field(VALID_CSV, 2, "age", "abc")
    text = set_field(text, 20, "age", "300")
    text = set_field(text, 45, "dossier_id", str(FIRST_ID + 10))
    lines = text.split("\n")
    lines[15] += ",extra"
    lines[30] = lines[30].rsplit(",", 3)[0]
    lines.insert(38, "")
    return "\n".join(lines)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_counts_do_not_depend_on_the_batch_size(tmp_path: Path, suffix: str) -> None:
    if suffix == ".csv":
        path = write(tmp_path / "messy.csv", _messy_csv())
    else:
        frame = valid_frame().assign(age=lambda f: f["age"].where(f.index % 9 != 4, 300))
        frame.loc[[3, 44], "dossier_id"] = 5
        path = tmp_path / "messy.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    whole, batched = validate_file(path), validate_file(path, batch_size=7)
    assert not whole.ok
    assert batched == whole


def test_messy_csv_rows_are_file_rows(tmp_path: Path) -> None:
    report = validate_file(write(tmp_path / "messy.csv", _messy_csv()), batch_size=7)
    found = {(p.column, p.rule): (p.count, [r for r, _ in p.examples]) for p in report.problems}
    assert found[None, "bad_row"] == (2, [15, 30])
    assert found["age", "type"] == (1, [2])
    assert found["age", "range"] == (1, [20])
    assert found["dossier_id", "duplicate_id"] == (2, [11, 46])  # row 45 moved by the blank line
    assert found["dossier_id", "missing_value"] == (1, [38])  # the blank line
    assert report.n_rows == N_ROWS + 1


@pytest.mark.parametrize(
    ("column", "dtype"),
    [("months_on_file", pa.int64()), ("income_to_smic", pa.float64())],
    ids=["int", "float"],
)
@pytest.mark.parametrize(
    "text",
    [
        "+5",
        " 5",
        "5\t",
        "05",
        "-0",
        "0x10",
        "0X1f",
        "1e3",
        "1.0",
        ".5",
        "5.",
        "+1.5",
        "1_000",
        " ",
        "inf",
        "-Infinity",
        "nan",
        "1,5",
        "1d3",
        "e5",
        "1e400",
        "99999999999999999999",
        "0000000000000000000042",
        "١٢",
    ],
)
def test_type_errors_are_the_values_arrow_refuses(
    tmp_path: Path, column: str, dtype: pa.DataType, text: str
) -> None:
    try:
        pacsv.read_csv(
            io.BytesIO(f'x\n"{text}"\n'.encode()),
            convert_options=pacsv.ConvertOptions(column_types={"x": dtype}, null_values=[""]),
        )
        refused = False
    except pa.ArrowInvalid:
        # a whole number written with a decimal point is an integer (pandas writes them so)
        refused = not (dtype == pa.int64() and text in ("1.0", "5."))
    # row 1 has another type error, so the whole file goes through the diagnostic pass
    bad = set_field(set_field(VALID_CSV, 1, "n_children", "abc"), 2, column, f'"{text}"')
    report = validate_file(write(tmp_path / "f.csv", bad))
    flagged = [p.examples for p in report.problems if (p.column, p.rule) == (column, "type")]
    assert flagged == ([((2, text),)] if refused else [])


# --------------------------------------------------------------------------------------------
# Properties
@settings(max_examples=25, deadline=None)
@given(
    rows=st.sets(st.integers(1, N_ROWS), min_size=1, max_size=20),
    ragged=st.sets(st.integers(1, N_ROWS), max_size=5),
    batch_size=st.integers(1, 60),
)
def test_out_of_range_values_are_counted_at_their_rows(
    rows: set[int], ragged: set[int], batch_size: int
) -> None:
    text = VALID_CSV
    for row in rows:
        text = set_field(text, row, "age", str(200 + row))
    lines = text.split("\n")
    for row in ragged:
        lines[row] += ",extra"
    with tempfile.TemporaryDirectory() as tmp:
        report = validate_file(write(Path(tmp, "f.csv"), "\n".join(lines)), batch_size=batch_size)
    found = {(p.column, p.rule): p for p in report.problems}
    kept = sorted(rows - ragged)
    if kept:
        problem = found["age", "range"]
        assert problem.count == len(kept)
        assert problem.examples == tuple((r, str(200 + r)) for r in kept[:5])
    assert ("age", "range") in found or not kept
    if ragged:
        assert found[None, "bad_row"].count == len(ragged)
        assert [r for r, _ in found[None, "bad_row"].examples] == sorted(ragged)


@settings(max_examples=15, deadline=None)
@given(ids=st.lists(st.integers(1, 30), min_size=2, max_size=40), batch_size=st.integers(1, 50))
def test_duplicate_ids_are_every_row_with_a_repeated_id(ids: list[int], batch_size: int) -> None:
    frame = valid_frame(len(ids)).assign(dossier_id=ids)
    repeated = [i + 1 for i, v in enumerate(ids) if ids.count(v) > 1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "f.parquet")
        write_batches(path, [frame], schema=arrow_schema())
        report = validate_file(path, batch_size=batch_size)
    found = [p for p in report.problems if p.rule == "duplicate_id"]
    assert report.ok == (not repeated)
    if repeated:
        assert found[0].count == len(repeated)
        assert found[0].examples == tuple((r, str(ids[r - 1])) for r in repeated[:5])


# --------------------------------------------------------------------------------------------
# Reading
def test_read_dataset_returns_catalog_dtypes(csv_path: Path) -> None:
    data = read_dataset(csv_path)
    assert list(data.columns) == list(CATALOG)
    assert data["dossier_id"].dtype == np.int64
    assert data["months_since_last_control"].dtype == pd.Int64Dtype()
    assert data["zero_income"].dtype == np.int8
    assert data["target"].dtype == pd.Int8Dtype()
    assert data["income_volatility"].dtype == np.float64
    assert list(data["caf_code"].cat.categories) == list(CATALOG["caf_code"].levels)
    assert data["postal_code"].dtype == pd.StringDtype()


def test_read_dataset_reads_and_requires_only_the_columns_asked(tmp_path: Path) -> None:
    text = drop_column(set_field(VALID_CSV, 3, "n_children", "99"), "household_type")
    path = write(tmp_path / "f.csv", text)
    data = read_dataset(path, columns=["age", "dossier_id"])
    assert list(data.columns) == ["age", "dossier_id"]
    assert len(data) == N_ROWS
    with pytest.raises(SchemaError, match=r"column 'n_children' \(range\)"):
        read_dataset(path, columns=["n_children"])
    with pytest.raises(SchemaError, match=r"column 'household_type' \(missing_column\)"):
        read_dataset(path, columns=["age", "household_type"])


def test_read_dataset_refuses_unknown_column_names(csv_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"unknown column 'agee'.*Did you mean age"):
        read_dataset(csv_path, columns=["agee"])
    assert issubclass(SchemaError, DmdeError) and issubclass(SchemaError, ValueError)


@pytest.mark.parametrize("path_name", ["csv_path", "parquet_path"])
def test_iter_batches_streams_typed_columns(path_name: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(path_name)
    columns = ["caf_code", "age", "target"]
    batches = list(iter_batches(path, columns=columns, batch_size=7))
    assert all(b.schema == arrow_schema(columns) for b in batches)
    assert max(b.num_rows for b in batches) == 7
    table = pa.Table.from_batches(batches)
    expected = valid_frame()[columns]
    assert table.column("age").to_pylist() == expected["age"].tolist()
    assert table.column("caf_code").to_pylist() == expected["caf_code"].astype(str).tolist()


def test_iter_batches_refuses_a_missing_column_at_the_call(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", drop_column(VALID_CSV, "age"))
    with pytest.raises(SchemaError, match=r"(?s)f\.csv.*column 'age' \(missing_column\)"):
        iter_batches(path, columns=["dossier_id", "age"])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda tmp: write(tmp / "f.csv", set_field(VALID_CSV, 40, "age", "7")),
            r"column 'age' \(range\): 1 row, expected an integer from 16 to 110; e.g. row 40: 7",
        ),
        (
            lambda tmp: write(tmp / "f.csv", set_field(VALID_CSV, 40, "age", "old")),
            r"column 'age' \(type\).*row 40: 'old'",
        ),
        (
            lambda tmp: write(tmp / "f.csv", set_field(VALID_CSV, 45, "dossier_id", "1001")),
            r"column 'dossier_id' \(duplicate_id\).*row 1: 1001, row 45: 1001",
        ),
        (
            _parquet(age=valid_frame()["age"].astype(str)),
            r"column 'age' \(type\): 50 rows.*stored as integers; the file stores",
        ),
    ],
    ids=["range", "type", "duplicate", "parquet-storage"],
)
def test_iter_batches_raises_at_the_first_bad_value(
    tmp_path: Path, make: Callable[[Path], Path], match: str
) -> None:
    batches = iter_batches(make(tmp_path), columns=["dossier_id", "age"], batch_size=7)
    with pytest.raises(SchemaError, match=match):
        for _ in batches:
            pass


# --------------------------------------------------------------------------------------------
# Reports
def test_problems_are_ordered_file_first_then_catalog_then_rule(tmp_path: Path) -> None:
    text = add_column(drop_column(set_field(VALID_CSV, 2, "age", "1"), "caf_code"), "zz", "1")
    lines = text.split("\n")
    lines[3] += ",extra"
    report = validate_file(write(tmp_path / "f.csv", "\n".join(lines)))
    assert [(p.column, p.rule) for p in report.problems] == [
        (None, "bad_row"),
        ("caf_code", "missing_column"),
        ("age", "range"),
        ("zz", "unknown_column"),
    ]


def test_format_of_a_report() -> None:
    report = ValidationReport(
        "data/bad.parquet",
        10_000,
        (
            Problem(None, "bad_row", "expected 49 fields in every row", 1, ((3, "2 fields: a,b"),)),
            Problem("household_type", "missing_value", "expected a value", 2, ((4, ""), (9, ""))),
            Problem("gender", "missing_column", "expected column 'gender'"),
        ),
    )
    assert report.format() == (
        "data/bad.parquet: 3 problems in 10,000 rows (rows numbered from 1, the first row of the "
        "file)\n"
        "  - file (bad_row): 1 row, expected 49 fields in every row; e.g. row 3: '2 fields: a,b'\n"
        "  - column 'household_type' (missing_value): 2 rows, expected a value; e.g. row 4: "
        "(missing), row 9: (missing)\n"
        "  - column 'gender' (missing_column): expected column 'gender'"
    )
    assert not report.ok


def test_validate_file_refuses_a_bad_batch_size(csv_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"^batch_size must be an int in the range \[1, inf\); got 0\."
    ):
        validate_file(csv_path, batch_size=0)


def test_a_broken_row_holding_bytes_that_are_not_utf8_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "messy.csv", _messy_csv())
    lines = path.read_bytes().split(b"\n")
    lines[5] = b"5,\xff\xfe"  # Arrow cannot hand this row's text to a handler as UTF-8
    path.write_bytes(b"\n".join(lines))
    report = validate_file(path, batch_size=7)
    bad = {(p.column, p.rule): p for p in report.problems}[None, "bad_row"]
    assert (5, "2 fields: 5,\\xff\\xfe") in bad.examples
    assert not any(p.rule == "unreadable" for p in report.problems)


def test_a_broken_row_is_shown_with_its_bytes_as_in_the_file() -> None:
    bad = Problem(None, "bad_row", "expected 3 fields", 1, ((2, "2 fields: 2,\\xff5"),))
    assert ValidationReport("x.csv", 5, (bad,)).format().endswith("row 2: '2 fields: 2,\\xff5'")
