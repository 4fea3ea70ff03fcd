"""Tests of dmde.data.reading: one batch reader, one row checker, one policy for problems."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dmde.core.errors import SchemaError
from dmde.core.files import sha256_file
from dmde.data.datasets import arrow_schema, validate_file, write_batches
from dmde.data.opening import (
    FileTally,
    _inspect,
    _LineCount,
    csv_batches,
    data_lines,
    read_ahead,
)
from dmde.data.reading import REJECT_COLUMNS, CheckedBatch, check_rows, read_batches

COLUMNS = ["dossier_id", "age", "caf_code"]


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dossier_id": np.arange(1, n + 1),
            "age": 20 + np.arange(n) % 60,
            "caf_code": ["75", "13", "2A", "01"] * (n // 4) + ["75"] * (n % 4),
        }
    )


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "files.csv") -> Path:
    path = tmp_path / name
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


def _with_line(path: Path, row: int, text: str) -> Path:
    """Replace data row ``row`` (1-based) of a CSV file by ``text``."""
    lines = path.read_text().splitlines()
    lines[row] = text
    path.write_text("\n".join(lines) + "\n")
    return path


def _all(batches: list[CheckedBatch]) -> tuple[list[int], pa.Table]:
    ids = [i for b in batches for i in b.valid.column("dossier_id").to_pylist()]
    return ids, pa.concat_tables([b.rejects for b in batches])


def test_check_rows_splits_valid_rows_and_rejects() -> None:
    batch = pa.record_batch(
        {
            "dossier_id": [1, 2, 3, 4],
            "age": [30, 212, None, 40],
            "caf_code": ["75", "75", "13", "ZZ"],
        }
    )
    checked = check_rows(batch, first_row=11)
    assert checked.valid.column("dossier_id").to_pylist() == [1]
    assert (checked.n_rows, checked.n_rejected) == (4, 3)
    assert checked.valid_rows is not None and checked.valid_rows.tolist() == [0]
    rows = checked.rejects.select(["row", "dossier_id", "column", "rule"]).to_pylist()
    assert rows == [
        {"row": 12, "dossier_id": 2, "column": "age", "rule": "range"},
        {"row": 13, "dossier_id": 3, "column": "age", "rule": "missing_value"},
        {"row": 14, "dossier_id": 4, "column": "caf_code", "rule": "level"},
    ]
    assert tuple(checked.rejects.column_names) == REJECT_COLUMNS


def test_check_rows_parses_text_and_rejects_what_does_not_parse() -> None:
    batch = pa.record_batch({"dossier_id": ["1", "2"], "age": ["34", "x4"]})
    checked = check_rows(batch, text=True)
    assert checked.valid.column("age").to_pylist() == [34]
    assert checked.rejects.select(["row", "value", "rule"]).to_pylist() == [
        {"row": 2, "value": "x4", "rule": "type"}
    ]


def test_check_rows_without_dossier_id_leaves_the_id_empty() -> None:
    checked = check_rows(pa.record_batch({"age": [300]}))
    assert checked.rejects.column("dossier_id").to_pylist() == [None]


def test_a_batch_moves_rows_to_its_rejects_in_row_order() -> None:
    batch = pa.record_batch({"dossier_id": [1, 2, 3], "age": [300, 40, 50], "caf_code": ["75"] * 3})
    checked = check_rows(batch).reject(np.array([1]), "caf_code", "no_model", "expected more")
    assert checked.valid.column("dossier_id").to_pylist() == [2]
    assert checked.n_rejected == 2
    assert checked.rejects.column("row").to_pylist() == [1, 3]
    assert checked.rejects.column("rule").to_pylist() == ["range", "no_model"]


@pytest.mark.parametrize("kind", [".csv", ".parquet"])
def test_reject_policy_numbers_rows_across_batches(tmp_path: Path, kind: str) -> None:
    frame = _frame(40)
    frame.loc[[4, 33], "age"] = [150, 5]  # rows 5 and 34 of the file
    path = tmp_path / f"files{kind}"
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    batches = list(read_batches(path, COLUMNS, batch_size=8, on_problem="reject"))
    assert [b.first_row for b in batches] == [1, 9, 17, 25, 33]
    ids, rejects = _all(batches)
    assert rejects.column("row").to_pylist() == [5, 34]
    assert ids == [i for i in range(1, 41) if i not in (5, 34)]


def test_reject_policy_reads_on_as_text_from_a_value_that_does_not_parse(tmp_path: Path) -> None:
    frame = _frame(60_000)  # several blocks of CSV text
    path = _with_line(_csv(tmp_path, frame), 50_000, "50000,fifty,75")
    batches = list(read_batches(path, COLUMNS, batch_size=7_000, on_problem="reject"))
    ids, rejects = _all(batches)
    assert rejects.select(["row", "dossier_id", "value", "rule"]).to_pylist() == [
        {"row": 50_000, "dossier_id": 50_000, "value": "fifty", "rule": "type"}
    ]
    assert ids == [i for i in range(1, 60_001) if i != 50_000]
    assert sum(b.n_rows for b in batches) == 60_000
    assert all(b.valid.column("age").type == pa.int64() for b in batches)


def test_reject_policy_counts_a_blank_line_as_a_row_of_missing_values(tmp_path: Path) -> None:
    path = _csv(tmp_path, _frame(6))
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], "", *lines[3:]]) + "\n")
    batches = list(read_batches(path, COLUMNS, on_problem="reject"))
    ids, rejects = _all(batches)
    assert ids == [1, 2, 3, 4, 5, 6]  # the blank line is row 3, dossier 3 is on row 4
    assert set(rejects.column("row").to_pylist()) == {3}
    assert set(rejects.column("rule").to_pylist()) == {"missing_value"}
    assert sum(b.n_rows for b in batches) == 7


@pytest.mark.parametrize(
    ("text", "fields"), [("4,30", 2), ("4,30,75,9", 4)], ids=["short-row", "long-row"]
)
def test_reject_policy_rejects_a_broken_row_and_reads_on(
    tmp_path: Path, text: str, fields: int
) -> None:
    path = _with_line(_csv(tmp_path, _frame(10)), 4, text)
    batches = list(read_batches(path, COLUMNS, batch_size=3, on_problem="reject"))
    ids, rejects = _all(batches)
    assert ids == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert rejects.to_pylist() == [
        {
            "row": 4,
            "dossier_id": None,
            "column": None,
            "value": f"{fields} fields: {text}",
            "rule": "bad_row",
            "reason": "expected 3 fields in every row, as in the header",
        }
    ]
    assert sum(b.n_rows for b in batches) == 10
    assert sum(b.n_rejected for b in batches) == 1


def test_reject_policy_rejects_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = _csv(tmp_path, _frame(10))
    lines = path.read_bytes().split(b"\n")
    lines[6] = b'6,25,"7\xff"'
    lines[8] = b"8,26"  # and a broken row after it
    path.write_bytes(b"\n".join(lines))
    batches = list(read_batches(path, COLUMNS, batch_size=4, on_problem="reject"))
    ids, rejects = _all(batches)
    assert ids == [1, 2, 3, 4, 5, 7, 9, 10]
    assert rejects.select(["row", "dossier_id", "column", "value", "rule"]).to_pylist() == [
        {"row": 6, "dossier_id": 6, "column": "caf_code", "value": "7\\xff", "rule": "encoding"},
        {
            "row": 8,
            "dossier_id": None,
            "column": None,
            "value": "2 fields: 8,26",
            "rule": "bad_row",
        },
    ]


def test_a_broken_row_holding_bytes_that_are_not_utf8_is_one_rejected_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, _frame(5))
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"2,\xff5"
    lines[4] = b'4,33,"7\xc3\xa9\xff"'  # UTF-8 then a byte that is not
    path.write_bytes(b"\n".join(lines))
    ids, rejects = _all(list(read_batches(path, COLUMNS, on_problem="reject")))
    assert ids == [1, 3, 5]
    assert rejects.select(["row", "value", "rule"]).to_pylist() == [
        {"row": 2, "value": "2 fields: 2,\\xff5", "rule": "bad_row"},
        {"row": 4, "value": "7\u00e9\\xff", "rule": "encoding"},
    ]


def test_reject_policy_rejects_broken_rows_at_the_end(tmp_path: Path) -> None:
    path = _csv(tmp_path, _frame(4))
    path.write_text(path.read_text() + "5\n6,7\n")
    batches = list(read_batches(path, COLUMNS, on_problem="reject"))
    ids, rejects = _all(batches)
    assert ids == [1, 2, 3, 4]
    assert rejects.column("row").to_pylist() == [5, 6]
    assert batches[-1].valid.column_names == COLUMNS


def test_reject_policy_refuses_an_unsuitable_parquet_type(tmp_path: Path) -> None:
    path = tmp_path / "files.parquet"
    pq.write_table(pa.table({"dossier_id": [1], "age": ["34"], "caf_code": ["75"]}), path)
    with pytest.raises(SchemaError, match=r"column 'age' is stored as string; expected int"):
        list(read_batches(path, COLUMNS, on_problem="reject"))


@pytest.mark.parametrize("kind", [".csv", ".parquet"])
def test_raise_policy_diagnoses_the_whole_file(tmp_path: Path, kind: str) -> None:
    frame = _frame(30)
    frame.loc[[2, 25], "age"] = [150, 151]
    path = tmp_path / f"files{kind}"
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    with pytest.raises(SchemaError, match=r"column 'age' \(range\): 2 rows.* row 3: 150, row 26"):
        list(read_batches(path, COLUMNS, batch_size=10))


def test_raise_policy_finds_an_id_repeated_across_batches_at_the_end(tmp_path: Path) -> None:
    frame = _frame(30)
    frame.loc[25, "dossier_id"] = 2
    path = _csv(tmp_path, frame)
    stream = read_batches(path, COLUMNS, batch_size=10)
    assert next(stream).n_rows == 10
    with pytest.raises(SchemaError, match=r"dossier_id' \(duplicate_id\): 2 rows"):
        list(stream)


@pytest.mark.parametrize("on_problem", ["raise", "reject"])
def test_header_problems_stop_both_policies_at_the_call(tmp_path: Path, on_problem: str) -> None:
    path = _csv(tmp_path, _frame(4)[["dossier_id", "age"]])
    with pytest.raises(SchemaError, match=r"expected a column 'caf_code'"):
        read_batches(path, COLUMNS, on_problem=on_problem)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"no such file"):
        read_batches(tmp_path / "nope.csv", COLUMNS, on_problem=on_problem)  # type: ignore[arg-type]


@pytest.mark.parametrize("on_problem", ["raise", "reject"])
@pytest.mark.parametrize("kind", [".csv", ".parquet"])
def test_a_file_without_rows_is_refused_by_both_policies(
    tmp_path: Path, kind: str, on_problem: str
) -> None:
    path = tmp_path / f"files{kind}"
    write_batches(path, [_frame(0)], schema=arrow_schema(COLUMNS))
    with pytest.raises(SchemaError, match=r"\(no_rows\): expected at least one data row"):
        read_batches(path, COLUMNS, on_problem=on_problem)  # type: ignore[arg-type]


@pytest.mark.parametrize("on_problem", ["raise", "reject"])
@pytest.mark.parametrize("kind", [".csv", ".parquet"])
def test_a_name_twice_in_the_header_is_refused_even_if_not_read(
    tmp_path: Path, kind: str, on_problem: str
) -> None:
    table = pa.table({"dossier_id": [1], "age": [30], "caf_code": ["75"], "gender": ["F"]})
    table = table.rename_columns(["dossier_id", "age", "caf_code", "age"])
    path = tmp_path / f"files{kind}"
    if kind == ".csv":
        path.write_text("dossier_id,age,caf_code,age\n1,30,75,31\n")
    else:
        pq.write_table(table, path)
    message = rf"files{kind}: 1 problem\n  - column 'age' \(duplicate_header\): expected each"
    with pytest.raises(SchemaError, match=message):
        read_batches(path, ["dossier_id", "caf_code"], on_problem=on_problem)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"on_problem": "skip"},
            r"^on_problem must be a str among \{'raise', 'reject'\}; got 'skip'\.",
        ),
        ({"batch_size": 0}, r"^batch_size must be an int in the range \[1, inf\); got 0\."),
    ],
    ids=["policy", "batch-size"],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_batches(_csv(tmp_path, _frame(4)), COLUMNS, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"], ids=["bare-cr", "crlf", "lf"])
def test_every_line_ending_arrow_reads_is_a_line_for_the_header_too(
    tmp_path: Path, ending: str
) -> None:
    frame = _frame(9)
    text = _csv(tmp_path, frame).read_text().replace("\n", ending)
    path = tmp_path / "ends.csv"
    path.write_bytes(text.encode())
    report = validate_file(path)  # the file has 3 columns: the others are missing, no more
    assert {p.rule for p in report.problems} == {"missing_column"}, report.format()
    assert report.n_rows == 9
    ids, rejects = _all(list(read_batches(path, COLUMNS, on_problem="reject")))
    assert ids == list(range(1, 10)) and rejects.num_rows == 0


@pytest.mark.parametrize("dictionary", [False, True], ids=["plain", "dictionary"])
def test_parquet_text_that_is_not_utf8_is_an_encoding_problem_of_its_row(
    tmp_path: Path, dictionary: bool
) -> None:
    """A damaged Parquet file: the row is rejected as a CSV row with such bytes is."""
    codes = pa.array([b"75", b"\x80x", b"13", b"01"], pa.binary()).view(pa.string())
    table = pa.table({"dossier_id": pa.array([1, 2, 3, 4]), "caf_code": codes})
    path = tmp_path / "damaged.parquet"
    pq.write_table(table, path, use_dictionary=dictionary)
    columns = ["dossier_id", "caf_code"]
    ids, rejects = _all(list(read_batches(path, columns, on_problem="reject")))
    assert ids == [1, 3, 4]
    assert rejects.select(["row", "column", "value", "rule"]).to_pylist() == [
        {"row": 2, "column": "caf_code", "value": "\\x80x", "rule": "encoding"}
    ]
    with pytest.raises(SchemaError, match=r"'caf_code' \(encoding\): 1 row.*row 2: '\\x80x'"):
        list(read_batches(path, columns))


def _rows_of(path: Path, columns: list[str]) -> int:
    return sum(b.n_rows for b in read_batches(path, columns, on_problem="reject"))


@pytest.mark.parametrize("seed", range(40))
def test_one_row_per_line_holds_for_every_ending_and_blank_lines(tmp_path: Path, seed: int) -> None:
    """Quiet where nothing was planted: LF, CRLF or bare CR, blank lines, quoted text with
    commas, a last line with or without its end; every line is a row."""
    rng = np.random.default_rng(seed)
    ending = ["\n", "\r\n", "\r"][seed % 3]
    rows = [f'{i},"{rng.choice(["01", "2A", "7,5"])}",{rng.integers(16, 99)}' for i in range(1, 60)]
    for _ in range(int(rng.integers(0, 4))):
        rows.insert(int(rng.integers(0, len(rows))), "")
    text = ending.join(["dossier_id,caf_code,age", *rows]) + (ending if seed % 2 else "")
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode())
    assert _rows_of(path, ["dossier_id", "age"]) == len(rows)
    assert validate_file(path).n_rows == len(rows)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("placed", ["middle-field", "last-field", "quoted-line-break"])
def test_a_quote_that_runs_across_lines_refuses_the_file(
    tmp_path: Path, seed: int, placed: str
) -> None:
    """Finds what was planted: an opening quote without its pair, anywhere, is never a row
    that silently swallows the lines after it (validate and both reading policies refuse)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    rows = [f"{i},01,{rng.integers(16, 99)}" for i in range(1, n + 1)]
    at = int(rng.integers(0, n - 1))
    if placed == "middle-field":
        rows[at] = rows[at].replace(",01,", ',"01,')
    elif placed == "last-field":
        rows[at] = rows[at].rsplit(",", 1)[0] + ',"' + rows[at].rsplit(",", 1)[1]
    else:
        rows[at] = rows[at].replace(",01,", ',"0\n1",')
    path = tmp_path / "quote.csv"
    path.write_bytes(("\n".join(["dossier_id,caf_code,age", *rows]) + "\n").encode())
    line = at + 2  # the header is line 1
    for on_problem in ("raise", "reject"):
        with pytest.raises(SchemaError, match=rf"line {line} opens a quoted value"):
            list(read_batches(path, ["dossier_id", "age"], on_problem=on_problem))  # type: ignore[arg-type]
    report = validate_file(path)
    assert any(
        p.rule == "unreadable" and f"line {line} opens a quoted value" in p.message
        for p in report.problems
    )


# --------------------------------------------------------------------------------------------
# One pass over a CSV file: its hash and lines counted as Arrow reads it
def _lines_of_pieces(pieces: list[bytes]) -> int:
    counter = _LineCount()
    for piece in pieces:
        counter.add(piece)
    return counter.total


@pytest.mark.parametrize(
    ("pieces", "lines"),
    [
        ([b"a\r", b"\nb"], 2),  # a \r\n cut in two is one line end
        ([b"a\r", b"\r\nb"], 3),
        ([b"a\r", b"", b"\n"], 1),
        ([b"a\n", b"\r"], 2),
        ([b"", b"a"], 1),
        ([b"\x00"], 1),
        ([], 0),
    ],
    ids=["crlf-cut", "cr-then-crlf", "crlf-cut-by-nothing", "lf-then-cr", "no-end", "nul", "none"],
)
def test_lines_counted_in_pieces(pieces: list[bytes], lines: int) -> None:
    assert _lines_of_pieces(pieces) == lines


@pytest.mark.parametrize("seed", range(30))
def test_lines_counted_in_pieces_are_the_lines_of_the_whole(seed: int) -> None:
    """Whatever the cuts (a \\r\\n cut in two, a bare \\r at the end of a piece, no last line
    end), the lines counted piece by piece are those of the whole bytes."""
    rng = np.random.default_rng(seed)
    data = bytes(rng.choice(list(b"ab\r\n,"), size=int(rng.integers(0, 80))))
    cuts = np.sort(rng.integers(0, len(data) + 1, size=int(rng.integers(0, len(data) + 1))))
    pieces = [data[lo:hi] for lo, hi in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    whole = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    ended = not data or data[-1:] in (b"\r", b"\n")
    assert _lines_of_pieces(pieces) == whole + (0 if ended else 1)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "bare-cr"])
@pytest.mark.parametrize("last_end", [True, False], ids=["last-line-ended", "last-line-open"])
def test_a_reading_hashes_the_file_and_counts_its_lines_in_its_one_pass(
    tmp_path: Path, ending: str, last_end: bool
) -> None:
    rows = [f'{i},"{["01", "2A", "7,5"][i % 3]}",{20 + i % 50}' for i in range(1, 3000)]
    text = ending.join(["dossier_id,caf_code,age", *rows]) + (ending if last_end else "")
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode())
    header = _inspect(path)
    for block_size in (1 << 12, 5_000, 1 << 20):  # blocks cut lines, and \r\n pairs, anywhere
        tally = FileTally()
        batches = csv_batches(
            path, header, ["dossier_id", "age"], 500, block_size=block_size, tally=tally
        )
        assert sum(b.num_rows for b in batches) == len(rows)
        assert tally.sha256 == sha256_file(path)
        assert tally.lines == data_lines(path, header.body_start) == len(rows)
    tally = FileTally()
    assert sum(b.n_rows for b in read_batches(path, ["dossier_id", "age"], tally=tally)) == len(
        rows
    )
    assert tally.sha256 == sha256_file(path)


def test_a_file_read_again_as_bytes_is_hashed_by_the_reading_that_reaches_its_end(
    tmp_path: Path,
) -> None:
    path = _with_line(_csv(tmp_path, _frame(50)), 30, "30,75,abc,extra")  # a broken row
    tally = FileTally()
    batches = list(read_batches(path, COLUMNS, on_problem="reject", tally=tally))
    assert sum(b.n_rows for b in batches) == 50
    assert tally.sha256 == sha256_file(path) and tally.lines == 50


def test_read_ahead_gives_every_item_in_order_and_raises_in_place() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise pa.ArrowInvalid("the sixth item")

    seen: list[int] = []
    with pytest.raises(pa.ArrowInvalid, match="the sixth item"):
        for item in read_ahead(items()):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_read_ahead_stops_its_thread_when_the_caller_stops() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            made.append(i)
            yield i

    ahead = read_ahead(items(), depth=2)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()  # joins the thread
    assert len(made) < 10
    assert not any(t.name == "dmde-ahead" for t in threading.enumerate())
