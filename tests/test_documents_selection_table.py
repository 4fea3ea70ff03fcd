"""The selection a notice places a file in: read through the data layer's output reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dmde.documents.explanation import ExplainError
from dmde.documents.selection_table import read_selection

SELECTION = (
    "dossier_id,caf_code,rank_national,rank_in_group,score,probability,selection_reason\n"
    '7,"01",1,1,612.5,0.4,score\n'
    '9,"02",2,1,600.25,0.3,score\n'
    '4,"01",3,2,550.0,0.1,random\n'
)


def test_a_selection_file_is_read_with_its_groups_and_cuts(tmp_path: Path) -> None:
    path = tmp_path / "selection.csv"
    path.write_text(SELECTION)
    table = read_selection(path)
    assert table.per == "caf_code"  # ranks in group differ from national ranks
    assert table.ids == [7, 9, 4]
    assert table.frame["caf_code"].tolist() == ["01", "02", "01"]  # text keeps its zero
    assert table.placement(4, None).cut == 612.5  # the lowest score selected by score in 01
    assert table.score_of(9) == 600.25 and table.score_of(5) is None


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("selection.txt", SELECTION, r"'.*selection.txt': use a .csv or .parquet file"),
        ("absent.csv", None, r"'.*absent.csv' does not exist. Check the path"),
        (
            "selection.csv",
            'dossier_id,score\n"x",1\n',
            r"selection file '.*selection.csv' cannot be read as csv: .*Use the file written by "
            r"'dmde select'",
        ),
        (
            "selection.csv",
            "dossier_id,score\n7,1\n",
            r"selection.csv': the selection has no column",
        ),
    ],
    ids=["extension", "missing", "unreadable", "not-a-selection"],
)
def test_a_bad_selection_file_is_named_with_the_fix(
    tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ExplainError, match=message):
        read_selection(path)


def test_a_parquet_selection_reads_like_its_csv(tmp_path: Path) -> None:
    csv = tmp_path / "selection.csv"
    csv.write_text(SELECTION)
    frame = read_selection(csv).frame
    parquet = tmp_path / "selection.parquet"
    frame.to_parquet(parquet, index=False)
    pd.testing.assert_frame_equal(read_selection(parquet).frame, frame)
