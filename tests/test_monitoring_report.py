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


# ---------------------------------------------------------------------------------------------
# The reader's words: features by their catalog labels, segments by their names
@functools.lru_cache(maxsize=1)
def _reform(seed: int) -> MonitoringResult:
    months: dict[str, list[pa.Table]] = {}
    for month, table in generate_panel(
        10_000, months=14, start=START, seed=seed, shift="benefit_reform", shift_month=13,
        controls=1_000,
    ):  # fmt: skip
        months.setdefault(month, []).append(table)
    panel = [(m, pa.concat_tables(t).to_pandas()) for m, t in months.items()]
    rows = pd.concat([f for _, f in panel[:3]])
    rows = rows[rows["controlled"] == 1]
    model = ScorecardFamily().fit(
        rows, rows["target"].astype(int), sample_weight=rows["control_weight"]
    )
    return monitor(model, panel[:3], panel[3:], share=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_french_verdict_names_features_and_segments_in_french(seed: int) -> None:
    result = _reform(seed)
    assert [(f.kind, f.subject, f.first_month) for f in result.flags] == [
        ("feature", "mean_cf_12m", "2026-06")
    ], result.findings
    assert monitoring_verdict(result, "fr") == (
        "Verdict : un changement sur les 11 mois surveillés : la variable "
        "«\u00a0complément familial\u00a0» à partir de 2026-06."
    )
    assert monitoring_verdict(result, "en") == (
        "Verdict: one change over the 11 months monitored: feature mean_cf_12m (family "
        "supplement) from 2026-06."
    )
    french = result.flags[0].in_words("fr")
    assert french.startswith("La variable «\u00a0complément familial\u00a0» (mean_cf_12m) est")
    for code in ("declarative", "prefilled"):
        assert f"segment {code}" not in french
    document = monitoring_document(result, lang="fr")
    table = next(s for s in document.sections if s.id == "stability").blocks[0]
    assert "«\u00a0complément familial\u00a0» (mean_cf_12m)" in [r[0] for r in table.rows]  # type: ignore[union-attr]


def test_a_flag_that_held_in_some_months_says_in_how_many() -> None:
    from dataclasses import replace

    result = _reform(0)
    (flag,) = result.flags
    once = replace(result, flags=(replace(flag, months=("2026-06",)),))
    assert monitoring_verdict(once, "fr").endswith(
        "la variable «\u00a0complément familial\u00a0» à partir de 2026-06 (1 des 2 mois depuis)."
    )
    first = replace(flag, first_month=result.months[0], months=(result.months[0],))
    gap = replace(result, flags=(first,))
    assert monitoring_verdict(gap, "fr") == (
        "Verdict : aucun changement pendant les 11 mois surveillés, mais un écart avec la "
        "référence dès le premier mois (2025-09), que cette surveillance ne peut pas dater "
        "(avant 2025-09, ou la référence elle-même) : la variable «\u00a0complément "
        "familial\u00a0» (1 des 11 mois)."
    )
    # the note on what a gap means names the training data when the baseline was checked as it
    for status, start in (
        ("same", "A flag from the first month monitored (2025-09) is a gap between the baseline "
         "(the model's training data) and the months"),
        ("not recorded", "A flag from the first month monitored (2025-09) is a gap between the "
         "baseline and the months"),
    ):  # fmt: skip
        checked = replace(gap, baseline={**gap.baseline, "training_data": status})
        texts = [b.text for b in monitoring_document(checked).sections[0].blocks]  # type: ignore[union-attr]
        assert any(t.startswith(start) for t in texts), texts


# ---------------------------------------------------------------------------------------------
# The baseline against the model's training data (the hash the model file records)
@functools.lru_cache(maxsize=2)
def _trained(root: str, seed: int) -> tuple[Path, Path]:
    """A panel of 4 months from 2025-06 and a model trained by dmde train on its first."""
    folder = Path(root)
    write_panel(folder / "panel", 3_000, months=4, start=START, seed=seed, controls=400)
    first = folder / "panel" / f"snapshot_month={START}" / "part-0.parquet"
    model = folder / "model.json"
    argv = ["train", "--data", str(first), "--out", str(model), "--cv", "0"]
    assert main([*argv, "--segment-column", "income_reporting"]) == 0
    return model, folder / "panel"


@pytest.mark.parametrize("seed", [3, 4])
def test_a_baseline_other_than_the_training_data_is_said_first(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    seed: int,
) -> None:
    model, panel = _trained(str(tmp_path_factory.getbasetemp() / f"trained{seed}"), seed)
    capsys.readouterr()
    first = panel / f"snapshot_month={START}" / "part-0.parquet"
    second = panel / "snapshot_month=2025-07" / "part-0.parquet"
    # the training month as the baseline: checked, nothing said
    result, _ = monitor_files(model, first, panel, tmp_path / "same.html", share=0.05)
    assert result.baseline["training_data"] == "same"
    assert monitoring_verdict(result).startswith("Verdict: ")
    blocks = [b.text for b in monitoring_document(result).sections[0].blocks]  # type: ignore[union-attr]
    assert not [t for t in blocks if "not the data the model was trained on" in t]
    # the next month, or a folder of months, as the baseline: said in the verdict and after it
    for baseline, name in ((second, "month"), (panel, "folder")):
        months = panel if name == "month" else tmp_path / "later"
        if name == "folder":
            import shutil

            months.mkdir(exist_ok=True)
            later = months / "snapshot_month=2025-10"
            shutil.copytree(panel / "snapshot_month=2025-09", later, dirs_exist_ok=True)
            frame = pd.read_parquet(later / "part-0.parquet")
            frame["snapshot_month"] = "2025-10"
            frame.to_parquet(later / "part-0.parquet")
        result, _ = monitor_files(model, baseline, months, tmp_path / f"{name}.html", share=0.05)
        assert result.baseline["training_data"] == "other", name
        document = monitoring_document(result, lang="fr")
        verdict, warning = (b.text for b in document.sections[0].blocks[:2])  # type: ignore[union-attr]
        assert verdict.startswith(
            "Verdict, contre une référence qui n'est pas les données d'apprentissage du modèle"
        )
        assert warning.startswith("La référence n'est pas les données d'apprentissage du modèle")
        assert "part-0.parquet (400 contrôles aléatoires" in warning
    argv = ["monitor", "--model", str(model), "--baseline", str(second), "--months", str(panel)]
    assert main([*argv, "--out", str(tmp_path / "cli.html"), "--share", "0.05"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].startswith("WARNING: The baseline is not the data the model was trained on")
    assert printed[2].startswith("Verdict, against a baseline that is not the model's training")


def test_a_model_file_without_its_training_hash_is_said_not_checked(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    model, first, csv = files  # saved by save_model without training facts
    result, _ = monitor_files(model, first, csv, tmp_path / "m.html", share=0.05)
    assert result.baseline["training_data"] == "not recorded"
    texts = [b.text for b in monitoring_document(result).sections[0].blocks]  # type: ignore[union-attr]
    assert texts[1] == (
        "The model file records no SHA-256 of its training data: whether the baseline is that "
        "data was not checked."
    )


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("snapshot_month=2025-07/m.html", r"inside the month folder snapshot_month=2025-07 of"),
        ("snapshot_month=2025-07/sub/m.html", r"inside the month folder snapshot_month=2025-07"),
        ("m.html", r"inside the panel .* given as --months"),
    ],
    ids=["month", "below-a-month", "panel"],
)
def test_out_inside_the_panel_is_refused(
    files: tuple[Path, Path, Path], tmp_path: Path, where: str, message: str
) -> None:
    import shutil

    model, first, csv = files
    panel = tmp_path / "panel"
    shutil.copytree(csv, panel)
    before = sorted(p.relative_to(panel) for p in panel.rglob("*"))
    with pytest.raises(UsageError, match=r"--out '.*m\.html' is " + message):
        monitor_files(model, first, panel, panel / where, share=0.05)
    assert sorted(p.relative_to(panel) for p in panel.rglob("*")) == before
