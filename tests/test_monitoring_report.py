"""The monitoring report as its reader meets it, and reading a panel as dmde reads elsewhere.

One finding per cause (a group's rise and the other group's fall are one flag); the verdict in
one sentence first, in French or English with the same numbers; what was not tested named; the
Markdown without HTML entities; the JSON's data month by month; ``--out`` with another
extension refused; a row whose ``snapshot_month`` is not its folder's refused; a blank CSV line
left out and counted, as ``dmde score`` rejects it.
"""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from dmde.audit.monitoring import MonitoringResult, monitor, read_month
from dmde.audit.monitoring_report import (
    monitor_files,
    monitoring_document,
    monitoring_verdict,
    write_monitoring_report,
)
from dmde.audit.monitoring_words import MONITORING_STRINGS
from dmde.cli import main
from dmde.core.errors import DmdeError, UsageError
from dmde.data.synthetic_panel import generate_panel, write_panel
from dmde.model.model_file import save_model
from dmde.model.scorecard import ScorecardFamily

START = "2025-06"


@functools.lru_cache(maxsize=2)
def _result(n: int, shift: str | None, share: float) -> MonitoringResult:
    months: dict[str, list[pa.Table]] = {}
    for month, table in generate_panel(
        n, months=14, start=START, seed=0, shift=shift, shift_month=13, controls=1_000
    ):
        months.setdefault(month, []).append(table)
    panel = [(m, pa.concat_tables(t).to_pandas()) for m, t in months.items()]
    rows = pd.concat([f for _, f in panel[:3]])
    rows = rows[rows["controlled"] == 1]
    model = ScorecardFamily().fit(
        rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
    )
    return monitor(model, panel[:3], panel[3:], share=share)


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


def test_french_and_english_have_the_same_strings_and_fields() -> None:
    en, fr = MONITORING_STRINGS["en"], MONITORING_STRINGS["fr"]
    assert sorted(en) == sorted(fr)
    assert [k for k in en if _fields(en[k]) != _fields(fr[k])] == []
    assert [k for k in fr if not fr[k].strip()] == []


def test_one_drift_is_one_finding() -> None:
    result = _result(30_000, "group_drift", 0.02)
    groups = [f for f in result.flags if f.kind == "group"]
    assert len(groups) == 1, result.findings
    (flag,) = groups
    # the surer move names the flag; the other side of the same move is in it, not beside it
    assert flag.subject == "nationality_group=non_eu" and flag.first_month == "2026-06"
    assert flag.also == ("nationality_group=french",)
    assert "The other side of the same move, in 2026-06: French nationals fell" in flag.sentence


def test_the_verdict_opens_the_report_in_one_sentence_in_either_language() -> None:
    result = _result(30_000, "group_drift", 0.02)
    en = monitoring_verdict(result, "en")
    fr = monitoring_verdict(result, "fr")
    assert en == (
        "Verdict: one change over the 11 months monitored: the share of non-EU nationals "
        "among the files selected from 2026-06."
    )
    assert fr == (
        "Verdict : un changement sur les 11 mois surveillés : la part des ressortissants hors "
        "UE parmi les dossiers sélectionnés à partir de 2026-06."
    )
    doc = monitoring_document(result, lang="fr")
    assert doc.lang == "fr" and doc.title == "Surveillance"
    assert doc.sections[0].title == "Constats"
    assert doc.sections[0].blocks[0].text == fr  # type: ignore[union-attr]
    finding = doc.sections[0].blocks[1].text  # type: ignore[union-attr]
    # the same numbers, in French conventions
    assert "a augmenté de 9,5\u202f% dans la référence à 21,0\u202f%" in finding
    assert "9.5% in the baseline to 21.0%" in result.flags[0].sentence


def test_groups_too_small_to_test_are_named(tmp_path: Path) -> None:
    result = _result(10_000, None, 0.05)
    untested = result.composition[~result.composition["tested"]]
    assert len(untested), "the case needs a group too small to test"
    texts = [b.text for b in monitoring_document(result).sections[0].blocks]  # type: ignore[union-attr]
    note = next(t for t in texts if t.startswith("Not tested, too few files selected"))
    for (attribute, group), rows in untested.groupby(["attribute", "group"]):
        from dmde.audit.words import group_label

        assert f"{group_label(str(attribute), str(group))} ({len(rows)} of 11 months)" in note


def test_markdown_has_no_html_entities_and_json_has_the_months(tmp_path: Path) -> None:
    result = _result(30_000, "group_drift", 0.02)
    write_monitoring_report(result, tmp_path / "m.html")
    markdown = (tmp_path / "m.md").read_text(encoding="utf-8")
    assert "&lt;" not in markdown and "&gt;" not in markdown and "&amp;" not in markdown
    data = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["data"]
    assert data["months"] == list(result.months)
    assert [row["month"] for row in data["score"]] == list(result.months)
    assert {"psi", "auc", "auc_p", "observed_rate", "calibration_p", "rejected"} <= set(
        data["score"][0]
    )
    assert len(data["features"]) == len(result.stability)
    assert len(data["composition"]) == len(result.composition)
    assert data["flags"][0]["also"] == ["nationality_group=french"]
    assert data["min_move"] == 0.02 and data["baseline"]["auc"] == pytest.approx(
        result.baseline["auc"]
    )


@functools.lru_cache(maxsize=1)
def _files(root: str) -> tuple[Path, Path, Path]:
    """A CSV panel of 4 months, and a model trained on its first month."""
    folder = Path(root)
    write_panel(folder / "panel", 3_000, months=4, start=START, seed=2, controls=300)
    first = folder / "panel" / f"snapshot_month={START}" / "part-0.parquet"
    frame = pd.read_parquet(first)
    rows = frame[frame["controlled"] == 1]
    model = ScorecardFamily().fit(
        rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
    )
    save_model(model, folder / "model.json")
    csv = folder / "csv"
    write_panel(csv, 3_000, months=4, start=START, seed=2, controls=300, file_format="csv")
    return folder / "model.json", first, csv


@pytest.fixture
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return _files(str(tmp_path_factory.getbasetemp() / "monitoring_files"))


@pytest.mark.parametrize("name", ["r.pdf", "r.txt", "report"], ids=["pdf", "txt", "none"])
def test_out_with_another_extension_is_refused(
    files: tuple[Path, Path, Path], tmp_path: Path, name: str
) -> None:
    model, first, csv = files
    with pytest.raises(UsageError, match=r"--out .*written as \.html, \.md, \.json"):
        monitor_files(model, first, csv, tmp_path / name, share=0.05)
    assert list(tmp_path.iterdir()) == []


def test_a_row_of_another_month_is_refused(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, _, csv = files
    source = csv / "snapshot_month=2025-08" / "part-0.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    at = header.index("snapshot_month")
    fields = lines[3].split(",")
    fields[at] = "2025-09"
    lines[3] = ",".join(fields)
    broken = tmp_path / "part-0.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    message = r"part-0.csv' row 3: snapshot_month is '2025-09' but the file is the folder "
    with pytest.raises(DmdeError, match=message + r"snapshot_month=2025-08"):
        read_month(broken, columns=["dossier_id"], month="2025-08")


def test_a_blank_csv_line_is_left_out_and_counted_as_dmde_score_does(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, first, csv = files
    import shutil

    panel = tmp_path / "panel"
    shutil.copytree(csv, panel)
    month = panel / "snapshot_month=2025-08" / "part-0.csv"
    lines = month.read_text(encoding="utf-8").splitlines(keepends=True)
    month.write_text("".join([*lines[:5], "\n", *lines[5:]]), encoding="utf-8")
    frame = read_month(month, columns=["dossier_id", "n_children"], month="2025-08")
    assert frame.attrs["rejected"] == 1 and frame.attrs["rejected_first"].startswith("row 5:")
    assert len(frame) == len(lines) - 1
    result, _ = monitor_files(model, first, panel, tmp_path / "m.html", share=0.05)
    rejected = result.score.set_index("month")["rejected"]
    assert rejected.to_dict() == {"2025-07": 0, "2025-08": 1, "2025-09": 0}
    texts = [b.text for b in monitoring_document(result).sections[0].blocks]  # type: ignore[union-attr]
    assert any(t.startswith("Rows left out because they break the catalog") for t in texts)
    # dmde score takes the same file with one reject
    out = tmp_path / "scores.csv"
    assert main(["score", "--model", str(model), "--input", str(month), "--out", str(out)]) == 0
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert rejects["row"].unique().tolist() == [5]


def test_cli_writes_french_unless_told(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, first, csv = files
    argv = ["monitor", "--model", str(model), "--baseline", str(first), "--months", str(csv)]
    assert main([*argv, "--out", str(tmp_path / "fr.html"), "--share", "0.05"]) == 0
    printed = capsys.readouterr().out
    assert "months monitored" in printed  # the terminal stays in English, as dmde audit's
    assert '<html lang="fr"' in (tmp_path / "fr.html").read_text(encoding="utf-8")
    assert main([*argv, "--out", str(tmp_path / "en.md"), "--lang", "en"]) == 0
    assert (tmp_path / "en.md").read_text(encoding="utf-8").startswith("# Monitoring")
    assert main([*argv, "--out", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and ".html, .md, .json" in err and "Traceback" not in err
