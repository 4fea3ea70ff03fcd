"""Tests of dmde.data.outputs: reading dmde's own scores and selection files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dmde.core.errors import SchemaError
from dmde.data.outputs import output_columns, output_row_groups, output_type, read_output

TEXT = pa.dictionary(pa.int32(), pa.string())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dossier_id", pa.int64()),
        ("rank_national", pa.int64()),
        ("rank_in_group", pa.int64()),
        ("score", pa.float64()),
        ("probability", pa.float64()),
        ("reason_2_points", pa.float64()),
        ("reason_2_feature", TEXT),
        ("caf_code", TEXT),
        ("selection_reason", TEXT),
    ],
    ids=lambda v: str(v),
)
def test_output_types_follow_from_the_names(name: str, expected: pa.DataType) -> None:
    assert output_type(name) == expected


SCORES = (
    "dossier_id,caf_code,score,probability,reason_1_points\n7,01,612.5,0.25,\n8,2A,598,0.2,3.5\n"
)


@pytest.mark.parametrize("dictionary", [True, False])
def test_a_csv_is_read_with_codes_kept_as_text(tmp_path: Path, dictionary: bool) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(SCORES)
    table = read_output(path, dictionary=dictionary)
    assert table.column_names == output_columns(path)
    assert table.column("caf_code").type == (TEXT if dictionary else pa.string())
    assert table.column("caf_code").to_pylist() == ["01", "2A"]
    assert table.column("reason_1_points").to_pylist() == [None, 3.5]
    assert read_output(path, ["score"]).column("score").to_pylist() == [612.5, 598.0]


def test_a_parquet_file_reads_text_as_dictionaries(tmp_path: Path) -> None:
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table({"dossier_id": [1, 2], "caf_code": ["75", "13"]}), path)
    assert output_columns(path) == ["dossier_id", "caf_code"]
    assert read_output(path, ["caf_code"]).column("caf_code").type == TEXT
    assert read_output(path, dictionary=False).column("caf_code").type == pa.string()


def test_any_table_is_read_with_inferred_types(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("office,n,share\n01,3,0.5\n02,NA,0.25\n")
    table = read_output(path, infer=True)
    assert table.column("office").to_pylist() == [1, 2]  # Arrow's inference, as asked
    assert table.column("n").to_pylist() == [3, None]
    assert read_output(path, ["share"], infer=True).column_names == ["share"]
    with pytest.raises(SchemaError, match=r"cannot be read as csv: .*'nope'"):
        read_output(path, ["nope"], infer=True)


def test_an_empty_csv_has_no_columns(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("")
    assert output_columns(path) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.parquet", b"not parquet", r"^scores file '.*s.parquet' cannot be read as parquet: "),
        ("s.csv", b"dossier_id,score\nx,1\n", r"^scores file '.*s.csv' cannot be read as csv: "),
        ("s.txt", b"", r"expected a file ending in .csv, .parquet, .pq"),
        ("none.csv", None, r"cannot be read as csv: .*No such file"),
    ],
    ids=["not-parquet", "bad-number", "extension", "missing"],
)
def test_unreadable_files_name_the_file_and_the_fix(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SchemaError, match=message) as raised:
        read_output(path, what="scores file", fix="Use dmde score.")
    assert raised.value.path == str(path)
    if name != "s.txt":
        assert str(raised.value).endswith(". Use dmde score.")


@pytest.mark.parametrize("kind", [".csv", ".parquet"])
@pytest.mark.parametrize("columns", [None, ["dossier_id"]], ids=["all", "some"])
def test_a_name_twice_is_refused(tmp_path: Path, kind: str, columns: list[str] | None) -> None:
    path = tmp_path / f"scores{kind}"
    if kind == ".csv":
        path.write_text("dossier_id,score,score\n1,2.0,3.0\n")
    else:
        table = pa.table({"dossier_id": [1], "score": [2.0], "other": [3.0]})
        pq.write_table(table.rename_columns(["dossier_id", "score", "score"]), path)
    message = (
        r"^scores file .*scores\.(csv|parquet): the column\(s\) 'score' appear more than once in "
        r"the header; name each column once\. Fix\.$"
    )
    with pytest.raises(SchemaError, match=message):
        output_columns(path, what="scores file", fix="Fix.")
    with pytest.raises(SchemaError, match=message):
        read_output(path, columns, what="scores file", fix="Fix.")


def _groups_file(tmp_path: Path, n: int = 25, size: int = 4) -> Path:
    path = tmp_path / "scores.parquet"
    codes = [f"{i % 7:02d}" for i in range(n)]
    table = pa.table({"dossier_id": list(range(n)), "caf_code": codes, "score": [0.5] * n})
    pq.write_table(table, path, row_group_size=size)
    return path


@pytest.mark.parametrize(
    "rows",
    [None, [], [0], [3, 4, 5], [0, 8, 9, 24], [24], list(range(25)), [5, 30]],
    ids=["all", "none", "first", "across", "spread", "last", "every", "past-the-end"],
)
def test_row_groups_give_the_rows_asked_and_read_only_their_groups(
    tmp_path: Path, rows: list[int] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _groups_file(tmp_path)
    read: list[int] = []
    original = pq.ParquetFile.read_row_group

    def counted(self: pq.ParquetFile, index: int, *args: Any, **kwargs: Any) -> pa.Table:
        read.append(index)
        return original(self, index, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", counted)
    n_rows, groups = output_row_groups(path, ["dossier_id", "caf_code"], rows=rows)
    tables = list(groups)
    assert n_rows == 25
    assert all(t.column("caf_code").type == TEXT for t in tables)
    got = [i for t in tables for i in t.column("dossier_id").to_pylist()]
    wanted = list(range(25)) if rows is None else [r for r in rows if r < 25]
    assert got == wanted
    assert read == sorted({r // 4 for r in wanted})  # groups of 4 rows; none read twice


def test_row_groups_take_an_array_of_positions(tmp_path: Path) -> None:
    path = _groups_file(tmp_path)
    _, groups = output_row_groups(path, ["caf_code"], rows=np.array([1, 2, 23], dtype=np.intp))
    assert [t.column("caf_code").to_pylist() for t in groups] == [["01", "02"], ["02"]]


@pytest.mark.parametrize(
    ("name", "content", "columns", "message"),
    [
        (
            "s.csv",
            b"dossier_id\n1\n",
            ["dossier_id"],
            r"^scores file '.*s.csv' cannot be read by row",
        ),
        ("s.parquet", b"not parquet", ["dossier_id"], r"'.*s.parquet' cannot be read as parquet: "),
        ("g.parquet", None, ["nope"], r"'.*scores.parquet' cannot be read as parquet: .*nope"),
    ],
    ids=["csv", "not-parquet", "no-column"],
)
def test_row_groups_of_unreadable_files(
    tmp_path: Path, name: str, content: bytes | None, columns: list[str], message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path = _groups_file(tmp_path)
    else:
        path.write_bytes(content)
    with pytest.raises(SchemaError, match=message):
        list(output_row_groups(path, columns, what="scores file", fix="Fix.")[1])
