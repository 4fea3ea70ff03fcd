"""Finding files in a data file for the notices: values of valid rows, problems of bad ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dmde.core.errors import SchemaError
from dmde.data.datasets import arrow_schema, write_batches
from dmde.documents.explanation import ExplainError
from dmde.documents.row_lookup import find_rows
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


def test_a_missing_file_is_named(family: ScorecardFamily, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"absent.csv"):
        find_rows(family, tmp_path / "absent.csv", [1])
