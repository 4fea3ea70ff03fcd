"""Tests of a dmde population's round trips through pandas, and of the files pandas or a
spreadsheet write the usual ways: what reads back, and what is refused with a message saying how
to write it. ``validate`` (validate_file), ``train`` (read_dataset) and ``score`` (read_batches
under the "reject" policy, score_file) read through the same code, so each case goes through all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dmde.batch.scoring import score_file
from dmde.core.errors import SchemaError
from dmde.data.datasets import iter_batches, read_dataset, validate_file
from dmde.data.reading import read_batches
from dmde.data.synthetic import synthesize
from dmde.model.scorecard import ScorecardFamily

ROWS, CONTROLS = 2_000, 500
_CODES = ["caf_code", "commune_code", "postal_code", "snapshot_month"]


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    """A population whose integer columns with missing values are float64 in pandas."""
    frame = synthesize(ROWS, seed=1, controls=CONTROLS)
    gappy = [c for c in ("months_since_last_control", "indu_months", "target") if c in frame]
    assert all(frame[c].dtype == np.float64 and frame[c].isna().any() for c in gappy)
    return frame


def _to_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _to_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def _csv_again(frame: pd.DataFrame, path: Path) -> Path:
    """Written by pandas, read back with dtype=str (codes kept as text), written again."""
    first = _to_csv(frame, path.with_name("first.csv"))
    return _to_csv(pd.read_csv(first, dtype=str, keep_default_na=False), path)


def _parquet_from_csv(frame: pd.DataFrame, path: Path) -> Path:
    first = _to_csv(frame, path.with_name("first.csv"))
    return _to_parquet(pd.read_csv(first, dtype={c: str for c in _CODES}), path)


ROUND_TRIPS: dict[str, tuple[Callable[[pd.DataFrame, Path], Path], str]] = {
    "to_csv": (_to_csv, "x.csv"),
    "to_parquet": (_to_parquet, "x.parquet"),
    "read_csv(dtype=str)-to_csv": (_csv_again, "x.csv"),
    "read_csv-to_parquet": (_parquet_from_csv, "x.parquet"),
}


@pytest.mark.parametrize("trip", list(ROUND_TRIPS), ids=list(ROUND_TRIPS))
def test_a_population_written_by_pandas_validates_and_reads_back_equal(
    tmp_path: Path, world: pd.DataFrame, trip: str
) -> None:
    write, name = ROUND_TRIPS[trip]
    path = write(world, tmp_path / name)
    report = validate_file(path)
    assert report.ok, report.format()
    back = read_dataset(path)
    assert len(back) == ROWS
    for column in back.columns:  # the values are those of the frame, missing where missing
        expected, found = world[column], back[column]
        assert (expected.isna().to_numpy() == found.isna().to_numpy()).all(), column
        present = expected.notna().to_numpy()
        if found.dtype.kind in "iuf" or str(found.dtype) in ("Int64", "Int8"):
            np.testing.assert_array_equal(
                found.to_numpy(dtype=float, na_value=np.nan)[present],
                expected.to_numpy(dtype=float)[present],
                err_msg=column,
            )
        else:
            assert found.astype(str)[present].tolist() == expected.astype(str)[present].tolist()
    rejected = sum(
        b.n_rejected for b in read_batches(path, list(back.columns), on_problem="reject")
    )
    assert rejected == 0
    assert sum(b.num_rows for b in iter_batches(path)) == ROWS


@pytest.mark.parametrize("trip", list(ROUND_TRIPS), ids=list(ROUND_TRIPS))
def test_a_population_written_by_pandas_is_scored_whole(
    tmp_path: Path, world: pd.DataFrame, family: ScorecardFamily, trip: str
) -> None:
    write, name = ROUND_TRIPS[trip]
    path = write(world, tmp_path / name)
    result = score_file(family, path, tmp_path / "scores.csv")
    assert (result.rows_read, result.rows_scored, result.rows_rejected) == (ROWS, ROWS, 0)


# --------------------------------------------------------------------------------------------
# Whole numbers with a decimal point: accepted; other numbers: refused with their rows
def _gappy_csv(tmp_path: Path, values: list[str]) -> Path:
    lines = ["dossier_id,months_since_last_control"]
    lines += [f"{i},{v}" for i, v in enumerate(values, start=1)]
    path = tmp_path / "gappy.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("values", "expected", "bad_rows"),
    [
        (["24.0", "", "3.", "-0.0", "7"], [24, None, 3, 0, 7], []),
        (["24.0", "3.5", "", "1e1", "7.00"], [24, None, None, None, 7], [2, 4]),
        (["24", "0.1", "1000.0", "1001.0"], [24, None, 1000, None], [2, 4]),
    ],
    ids=["whole", "fractions-and-exponents", "range-after-reading"],
)
def test_csv_integers_with_a_decimal_point_are_whole_numbers(
    tmp_path: Path, values: list[str], expected: list[int | None], bad_rows: list[int]
) -> None:
    path = _gappy_csv(tmp_path, values)
    columns = ["dossier_id", "months_since_last_control"]
    report = validate_file(path)
    assert sorted(r for p in report.problems for r, _ in p.examples) == bad_rows, report.format()
    batches = list(read_batches(path, columns, on_problem="reject"))
    assert (
        sorted(set(pa.concat_tables([b.rejects for b in batches]).column("row").to_pylist()))
        == bad_rows
    )
    kept = [v for b in batches for v in b.valid.column("months_since_last_control").to_pylist()]
    assert kept == [v for i, v in enumerate(expected, start=1) if i not in bad_rows]
    if not bad_rows:
        data = read_dataset(path, columns=columns)
        assert data["months_since_last_control"].dtype == pd.Int64Dtype()
        assert data["months_since_last_control"].tolist() == [24, pd.NA, 3, 0, 7]
    else:
        with pytest.raises(SchemaError, match="months_since_last_control"):
            list(iter_batches(path, columns=columns))


def test_a_fraction_in_a_csv_integer_column_names_its_row(tmp_path: Path) -> None:
    path = _gappy_csv(tmp_path, ["24.0", "12.0", "3.5"])
    (problem,) = [p for p in validate_file(path).problems if p.rule != "missing_column"]
    assert (problem.column, problem.rule, problem.count, problem.examples) == (
        "months_since_last_control",
        "type",
        1,
        ((3, "3.5"),),
    )
    assert "not an integer" in problem.message


def test_a_fraction_in_a_parquet_integer_column_stored_as_floats_names_its_row(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {"dossier_id": [1, 2, 3, 4], "months_since_last_control": [24.0, np.nan, 3.5, np.inf]}
    )
    path = _to_parquet(frame, tmp_path / "gappy.parquet")
    report = validate_file(path)
    (problem,) = [p for p in report.problems if p.rule != "missing_column"]
    assert (problem.column, problem.rule, problem.count) == ("months_since_last_control", "type", 2)
    assert problem.examples == ((3, "3.5"), (4, "inf"))
    assert "not a whole number" in problem.message
    columns = list(frame.columns)
    batches = list(read_batches(path, columns, on_problem="reject"))
    rejects = pa.concat_tables([b.rejects for b in batches])
    assert rejects.column("row").to_pylist() == [3, 4]
    assert set(rejects.column("rule").to_pylist()) == {"type"}
    assert [
        v for b in batches for v in b.valid.column("months_since_last_control").to_pylist()
    ] == [24, None]
    with pytest.raises(SchemaError, match=r"months_since_last_control' \(type\): 2 rows"):
        list(iter_batches(path, columns=columns))


# --------------------------------------------------------------------------------------------
# Codes that lost their leading zeros
def test_read_csv_without_dtype_str_loses_leading_zeros_and_validate_says_so(
    tmp_path: Path, world: pd.DataFrame
) -> None:
    first = _to_csv(world, tmp_path / "first.csv")
    path = _to_csv(pd.read_csv(first), tmp_path / "again.csv")
    lost = world["postal_code"].str.startswith("0")
    assert lost.any()
    report = validate_file(path)
    (problem,) = report.problems
    assert (problem.column, problem.rule, problem.count) == ("postal_code", "pattern", lost.sum())
    assert "4 digits: leading zeros lost? Read the file as text" in problem.message
    assert "dtype=str" in report.format()
    rejects = pa.concat_tables(
        [b.rejects for b in read_batches(path, ["dossier_id", "postal_code"], on_problem="reject")]
    )
    assert rejects.num_rows == lost.sum()
    assert all("leading zeros lost?" in r for r in rejects.column("reason").to_pylist())


def test_a_caf_code_without_its_zero_is_said_to_have_lost_it(tmp_path: Path) -> None:
    path = tmp_path / "caf.csv"
    path.write_text("dossier_id,caf_code\n1,75\n2,1\n3,ZZ\n")
    report = validate_file(path)
    (problem,) = [p for p in report.problems if p.rule == "level"]
    assert problem.examples == ((2, "1"), (3, "ZZ"))
    assert "1 digit: leading zeros lost?" in problem.message
    rejects = pa.concat_tables(
        [b.rejects for b in read_batches(path, ["dossier_id", "caf_code"], on_problem="reject")]
    )
    rows, why = rejects.column("row").to_pylist(), rejects.column("reason").to_pylist()
    reasons = dict(zip(rows, why, strict=True))
    assert "leading zeros lost?" in reasons[2]
    assert "leading zeros" not in reasons[3]


def test_codes_stored_as_numbers_in_parquet_are_said_to_lose_zeros(
    tmp_path: Path, world: pd.DataFrame
) -> None:
    first = _to_csv(world, tmp_path / "first.csv")
    path = _to_parquet(pd.read_csv(first), tmp_path / "x.parquet")
    (problem,) = validate_file(path).problems
    assert (problem.column, problem.rule) == ("postal_code", "type")
    assert "the file stores int64 (codes stored as numbers lose their leading zeros" in (
        problem.message
    )


# --------------------------------------------------------------------------------------------
# Another separator than the comma
@pytest.mark.parametrize(
    ("sep", "said"), [(";", "';' (semicolon)"), ("\t", "a tab")], ids=["semicolon", "tab"]
)
def test_a_file_separated_by_another_character_is_said_so_in_one_line(
    tmp_path: Path, world: pd.DataFrame, sep: str, said: str
) -> None:
    path = tmp_path / "excel.csv"
    world.head(50).to_csv(path, sep=sep, index=False)
    report = validate_file(path)
    (problem,) = report.problems
    assert (problem.column, problem.rule) == (None, "separator")
    assert f"the file seems to use {said} as the separator" in problem.message
    assert "dmde reads comma-separated CSV" in problem.message
    assert f"pd.read_csv(path, sep={sep!r}, dtype=str).to_csv(out, index=False)" in (
        problem.message
    )
    assert len(report.format().splitlines()) == 2
    for read in (
        lambda: read_dataset(path),
        lambda: list(read_batches(path, ["dossier_id"], on_problem="reject")),
        lambda: list(iter_batches(path)),
    ):
        with pytest.raises(SchemaError, match=r"seems to use .* as the separator"):
            read()


def test_the_conversion_said_for_a_french_spreadsheet_gives_a_valid_file(
    tmp_path: Path, world: pd.DataFrame
) -> None:
    """Semicolons and decimal commas, as a spreadsheet in a French locale saves CSV."""
    text = world.head(200).astype(str).replace({"nan": "", "<NA>": ""})
    decimal = {c: text[c].str.replace(".", ",", regex=False) for c in ("income_to_smic",)}
    path = tmp_path / "excel.csv"
    text.assign(**decimal).to_csv(path, sep=";", index=False)
    (problem,) = validate_file(path).problems
    fix = problem.message.split("in pandas: ", 1)[1]
    assert ".replace(" in fix  # the decimal commas were seen
    out = tmp_path / "fixed.csv"
    eval(fix, {"pd": pd, "path": path, "out": out})  # the hint is dmde's own text
    report = validate_file(out)
    assert report.ok, report.format()


@pytest.mark.parametrize(
    "header",
    ["dossier_id,age;x", "dossier_id,age,caf_code", "a;b;c", "dossier_id;age,caf_code;x,y"],
    ids=["one-name-with-semicolon", "commas", "unknown-names", "one-name-either-way"],
)
def test_a_comma_header_is_not_taken_for_another_separator(tmp_path: Path, header: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(header + "\n" + ",".join(["1"] * (header.count(",") + 1)) + "\n")
    assert "separator" not in {p.rule for p in validate_file(path).problems}
