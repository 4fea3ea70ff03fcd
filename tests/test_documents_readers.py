"""dmde's outputs read back as typed objects: scores, selections (SelectionTable.from_selection),
audit reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import dmde
from dmde.documents.readers import ReadError, read_audit, read_scores
from dmde.documents.selection_table import SelectionTable, read_selection


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return dmde.run_demo(tmp_path_factory.mktemp("demo"), rows=3_000, controls=1_000, n_boot=50)


def test_scores_are_read_with_their_manifest(demo: Any) -> None:
    scores = read_scores(demo.outputs["scores"])
    assert len(scores.frame) == 3_000
    assert scores.frame["dossier_id"].dtype == "int64"
    assert scores.frame["score"].dtype == "float64"
    model = json.loads(demo.outputs["model"].read_text())
    assert scores.model_sha256 == model["sha256"]
    assert "3,000 files" in scores._repr_html_()


def test_a_selection_is_read_back_as_the_selection_table(demo: Any) -> None:
    path = demo.outputs["selection"]
    table = SelectionTable.from_selection(path)
    assert isinstance(table, SelectionTable)
    assert table.ids == read_selection(path).ids and len(table.ids) == demo.summary["selected"]
    assert table.source is not None  # checked against its manifest


def test_a_selection_without_its_manifest_is_refused(demo: Any, tmp_path: Path) -> None:
    path = demo.outputs["selection"]
    copy = tmp_path / path.name
    copy.write_text(path.read_text().replace(",score", ",random", 1))
    with pytest.raises(dmde.ExplainError, match="has no manifest"):
        SelectionTable.from_selection(copy)


def test_the_audit_is_read_with_its_findings_first(demo: Any) -> None:
    report = read_audit(demo.outputs["audit"])
    payload = json.loads(demo.outputs["audit"].with_suffix(".json").read_text())
    assert report.model_sha256 == payload["data"]["model_sha256"]
    assert len(report.findings) == len(payload["data"]["findings"])
    assert len(report.flags) == demo.summary["flags"]
    assert {"metrics", "disparities"} <= set(report.tables)
    assert isinstance(report.tables["metrics"], pd.DataFrame)
    html = report._repr_html_()
    assert html.index("Findings") < html.index("Flags")


@pytest.mark.parametrize(
    ("reader", "name", "text", "match"),
    [
        (read_scores, "absent.csv", None, r"^scores file '.*absent.csv' does not exist"),
        (read_scores, "s.csv", 'dossier_id\n"x"\n', r"cannot be read as csv.*'dmde score'"),
        (read_audit, "absent.json", None, r"^audit report '.*absent.json' does not exist"),
        (read_audit, "a.json", "{", r"is not readable JSON"),
        (read_audit, "a.json", '{"data": {}}', r"is not a report of 'dmde audit'"),
    ],
    ids=["scores-missing", "scores-unreadable", "audit-missing", "audit-json", "audit-other"],
)
def test_bad_files_are_named(
    tmp_path: Path, reader: Any, name: str, text: str | None, match: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ReadError, match=match):
        reader(path)


def test_a_scores_file_of_another_command_is_refused(demo: Any, tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("dossier_id,caf_code,score,probability\n7,01,612.5,0.08\n")
    (tmp_path / "scores.csv.manifest.json").write_text('{"command": "select"}')
    with pytest.raises(ReadError, match=r"its manifest is of 'select', not of 'dmde score'"):
        read_scores(path)


def test_a_selection_made_in_python_gives_the_table_its_file_gives(demo: Any) -> None:
    scores = read_scores(demo.outputs["scores"]).frame
    scores["caf_code"] = scores["caf_code"].astype(str)
    manifest = json.loads(Path(f"{demo.outputs['selection']}.manifest.json").read_text())
    chosen = dmde.select(scores, **manifest["summary"]["parameters"])
    in_python = SelectionTable.from_selection(chosen)
    from_file = SelectionTable.from_selection(demo.outputs["selection"])
    assert in_python.ids == from_file.ids
    assert (in_python.per, in_python.n_files) == (from_file.per, from_file.n_files)
    assert in_python.group_files == from_file.group_files
    assert in_python.source is None  # nothing vouches for a selection in memory
