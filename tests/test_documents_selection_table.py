"""The selection a notice places a file in: read through the data layer's output reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import vouch

from dmde.data.manifest import manifest_path, sha256_file
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
    table = read_selection(path, trust_selection=True)
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
        read_selection(path, trust_selection=True)


def test_a_parquet_selection_reads_like_its_csv(tmp_path: Path) -> None:
    csv = tmp_path / "selection.csv"
    csv.write_text(SELECTION)
    frame = read_selection(csv, trust_selection=True).frame
    parquet = tmp_path / "selection.parquet"
    frame.to_parquet(parquet, index=False)
    pd.testing.assert_frame_equal(read_selection(parquet, trust_selection=True).frame, frame)


def _with_manifest(path: Path, **changes: object) -> Path:
    """``path`` holding SELECTION, with a manifest as 'dmde select' writes it (then ``changes``)."""
    path.write_text(SELECTION)
    record = {
        "command": "select",
        "input": {"path": str(path.with_name("scores.parquet")), "sha256": "0" * 64},
        "output": {"path": str(path), "sha256": sha256_file(path), "rows": 3},
        "summary": {"per": "caf_code", "n_files": 40, "groups": {"01": {"files": 30}}},
    }
    vouch(manifest_path(path), path, record=record | changes)
    return path


def test_a_selection_with_its_manifest_records_where_it_comes_from(tmp_path: Path) -> None:
    table = read_selection(_with_manifest(tmp_path / "selection.csv"))
    assert (table.per, table.n_files, table.group_files) == ("caf_code", 40, {"01": 30})
    assert table.source is not None and table.source.scores_sha256 == "0" * 64
    assert table.source.scores_path.endswith("scores.parquet")


@pytest.mark.parametrize(
    ("changes", "garble", "message"),
    [
        ({}, "no manifest", r"selection.csv' has no manifest \('.*selection.csv.manifest.json'"),
        ({}, "edit", r"was changed after 'dmde select' wrote it: its SHA-256 is \w{12}…"),
        ({}, "unreadable", r"selection.csv.manifest.json: not a readable manifest"),
        ({"command": "score"}, None, r"is not a manifest of 'dmde select'"),
        ({"input": {"path": "s.parquet"}}, None, r"names no output and no scores file"),
    ],
    ids=["missing", "edited", "unreadable", "other-command", "no-scores"],
)
def test_a_selection_its_manifest_does_not_vouch_for_is_refused(
    tmp_path: Path, changes: dict[str, object], garble: str | None, message: str
) -> None:
    path = _with_manifest(tmp_path / "selection.csv", **changes)
    if garble == "no manifest":
        manifest_path(path).unlink()
    elif garble == "edit":
        path.write_text(SELECTION.replace('"01",1', '"75",1'))
    elif garble == "unreadable":
        manifest_path(path).write_text("{")
    with pytest.raises(ExplainError, match=message):
        read_selection(path)


def test_trust_selection_reads_a_file_without_or_with_an_unreadable_manifest(
    tmp_path: Path,
) -> None:
    path = _with_manifest(tmp_path / "selection.csv")
    manifest_path(path).write_text("{")
    table = read_selection(path, trust_selection=True)
    assert table.source is None and table.per == "caf_code" and table.n_files is None
