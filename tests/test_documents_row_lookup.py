"""Finding files in a data file for the notices: values of valid rows, problems of bad ones."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from dmde.core.errors import SchemaError
from dmde.data.datasets import arrow_schema, write_batches
from dmde.documents.explanation import ExplainError
from dmde.documents.row_lookup import UNREAD_EXAMPLES, find_rows
from dmde.model.scorecard import ScorecardFamily


def _write(frame: pd.DataFrame, path: Path) -> Path:
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"], ids=["csv", "parquet"])
def test_rows_come_with_their_values_or_their_problems(
    family: ScorecardFamily, population: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    frame = population.head(40).copy()
    frame.loc[4, "n_children"] = 99
    path = _write(frame, tmp_path / f"files{suffix}")
    ids = [int(frame["dossier_id"].iloc[i]) for i in (4, 6)]
    found = find_rows(family, path, [*ids, 999_999_999], batch_size=7)
    assert sorted(found) == sorted(ids)  # an id not in the file is absent
    bad, good = found[ids[0]], found[ids[1]]
    assert bad.row == 5 and bad.problems == ("n_children = '99': expected an integer from 0 to 15",)
    assert good.row == 7 and good.problems == ()
    assert good.values["dossier_id"] == ids[1]
    assert good.values["income_to_smic"] == pytest.approx(frame["income_to_smic"].iloc[6])


def test_a_repeated_id_across_batches_names_both_rows(
    family: ScorecardFamily, population: pd.DataFrame, tmp_path: Path
) -> None:
    frame = pd.concat([population.head(20), population.iloc[[3]]], ignore_index=True)
    path = _write(frame, tmp_path / "twice.csv")
    dossier = int(population["dossier_id"].iloc[3])
    with pytest.raises(ExplainError, match=rf"dossier_id {dossier} is on rows 4 and 21"):
        find_rows(family, path, [dossier], batch_size=8)


def test_a_row_with_the_wrong_number_of_fields_is_not_found_the_others_are(
    family: ScorecardFamily, population: pd.DataFrame, tmp_path: Path
) -> None:
    """The reader rejects the row (its id cannot be trusted) and the lookup goes on."""
    path = _write(population.head(10), tmp_path / "files.csv")
    lines = path.read_text().splitlines()
    lines[3] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    ids = [int(i) for i in population["dossier_id"].iloc[:4]]
    found = find_rows(family, path, ids)
    assert sorted(found) == sorted(ids[:2] + ids[3:]) and found[ids[3]].row == 4
    n = len(lines[0].split(","))
    assert found.unread == 1
    assert found.unread_examples == ((3, f"line 4 of the file, {n + 1} fields, not {n}"),)


def _damage(path: Path, damage: str) -> bytes:
    """The CSV's bytes with data rows 3 and 8 (1-based) damaged as ``damage`` says."""
    lines = path.read_bytes().split(b"\n")
    for row in (3, 8):
        if damage == "short":
            lines[row] = b",".join(lines[row].split(b",")[:5])
        elif damage == "long":
            lines[row] += b",extra"
        elif damage == "bytes in the id":
            lines[row] = b"\xff\xfe," + lines[row].split(b",", 1)[1]
        elif damage == "no id":
            lines[row] = b"," + lines[row].split(b",", 1)[1]
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("damage", "why"),
    [("short", r"line \d+ of the file, 5 fields, not \d+"),
     ("long", r"line \d+ of the file, \d+ fields, not \d+"),
     ("bytes in the id", r"dossier_id = .*"),
     ("no id", r"dossier_id = \(missing\): .*")],
    ids=["short", "long", "bytes-in-the-id", "no-id"],
)  # fmt: skip
def test_rows_without_a_readable_id_are_counted_with_their_rows(
    family: ScorecardFamily, population: pd.DataFrame, tmp_path: Path, damage: str, why: str
) -> None:
    """A file not found may be on a row whose id could not be read: those rows are counted,
    the first few given with their row numbers (as 'dmde validate' numbers them) and why."""
    clean = _write(population.head(12), tmp_path / "clean.csv")
    path = tmp_path / "damaged.csv"
    path.write_bytes(_damage(clean, damage))
    ids = [int(i) for i in population["dossier_id"].iloc[:12]]
    found = find_rows(family, path, ids, batch_size=5)
    assert sorted(found) == sorted(ids[:2] + ids[3:7] + ids[8:])
    assert found.unread == 2 and [row for row, _ in found.unread_examples] == [3, 8]
    assert all(re.fullmatch(why, text) for _, text in found.unread_examples)
    assert find_rows(family, clean, ids).unread == 0


def test_only_the_first_rows_without_an_id_are_given(
    family: ScorecardFamily, population: pd.DataFrame, tmp_path: Path
) -> None:
    path = _write(population.head(30), tmp_path / "files.csv")
    lines = path.read_text().splitlines()
    for row in range(2, 30, 3):  # rows 2, 5, ..., 29: ten broken rows
        lines[row] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    found = find_rows(family, path, [1], batch_size=4)
    assert found.unread == 10
    assert [row for row, _ in found.unread_examples] == [2, 5, 8, 11, 14][:UNREAD_EXAMPLES]
    assert found.unread_text().startswith("10 rows (row 2: line 3 of the file")
    assert found.unread_text().endswith("; ...)")


def test_a_missing_file_is_named(family: ScorecardFamily, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"absent.csv"):
        find_rows(family, tmp_path / "absent.csv", [1])
