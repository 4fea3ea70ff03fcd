"""A model by period in the documents: the notice's period line and exact points, the public
description and model card, the panel reader and the command line (train --by-period)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pytest

from dmde.cli import main
from dmde.core.errors import DmdeError
from dmde.core.rendering import to_markdown
from dmde.data.panel_controls import read_panel_controls
from dmde.data.synthetic import synthesize
from dmde.data.synthetic_panel import write_panel
from dmde.documents.describe import describe_model
from dmde.documents.description_document import description_document
from dmde.documents.explain import ExplainError, explain
from dmde.documents.model_card import model_card_document
from dmde.documents.notice import notice, render_notice
from dmde.model.model_file import read_model_file, save_model
from dmde.model.periods import PeriodScorecards, evaluate_periods
from dmde.model.scorecard import ScorecardFamily
from dmde.model.training import training_data


@functools.cache
def _panel(tmp: str) -> tuple[Path, Path]:
    """A 24-month panel from 2024-03 (12 months before pre-filling) and its model by period."""
    folder = Path(tmp) / "panel"
    write_panel(folder, 8_000, months=24, start="2024-03", seed=4, controls=600)
    data = training_data(read_panel_controls(folder))
    model = PeriodScorecards().fit(data.X, data.y, data.weight)
    report = evaluate_periods(model, data, cv=3, seed=0)
    path = Path(tmp) / "period.json"
    save_model(model, path, training=report.facts(target="target", data_file="p", data_sha256="0"))
    return folder, path


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _panel(str(tmp_path_factory.mktemp("periods")))


def _row(folder: Path, month: str = "2025-06") -> pd.Series:
    return pd.read_parquet(folder / f"snapshot_month={month}" / "part-0.parquet").iloc[7]


# ------------------------------------------------------------------------------ panel reader
def test_read_panel_controls(panel: tuple[Path, Path]) -> None:
    folder, _ = panel
    rows = read_panel_controls(folder)
    assert len(rows) == 24 * 600 and (rows["controlled"] == 1).all()
    assert rows["snapshot_month"].iloc[0] == "2024-03"
    assert rows["snapshot_month"].iloc[-1] == "2026-02"
    assert rows["target"].notna().all()


def test_read_panel_controls_refuses_a_folder_without_months(tmp_path: Path) -> None:
    with pytest.raises(DmdeError, match=r"holds no panel"):
        read_panel_controls(tmp_path)


# ------------------------------------------------------------------------------ notice
@pytest.mark.parametrize(
    ("month", "label"),
    [
        ("2025-03", "before"),
        ("2026-01", "before 14/24 + after 10/24"),
        ("2027-05", "after"),
    ],
    ids=["before", "straddling", "after"],
)
def test_notice_points_add_up_to_the_model_score(
    panel: tuple[Path, Path], month: str, label: str
) -> None:
    folder, path = panel
    model = read_model_file(path).model
    assert isinstance(model, PeriodScorecards)
    row = _row(folder)
    dated = model.as_of(month)
    e = explain(dated, row)
    assert e.score == float(dated.points(row.to_frame().T.infer_objects())[0])
    assert round(e.intercept_points + e.items_points, e.decimals) == e.score
    assert e.periods is not None and e.periods["label"] == label
    assert e.segment is None
    months = {"before": 24, "after": 0} if label == "before" else {"before": 0, "after": 24}
    if "+" in label:
        months = {"before": 14, "after": 10}
    assert e.to_dict()["periods"]["months"] == months


def test_notice_of_one_period_is_that_scorecard(panel: tuple[Path, Path]) -> None:
    folder, path = panel
    model = read_model_file(path).model
    row = _row(folder)
    e = explain(model.as_of("2028-01"), row)
    after = model.models_["after"]
    frame = row.to_frame().T.infer_objects()
    assert [f.points for f in e.features] == list(after.contributions(frame)[0])
    assert e.intercept_points == after.intercept_points_
    text = render_notice(notice(e, lang="en"), format="md")
    assert "2026-01 to 2027-12 (24 months): the “after” table alone" in text
    assert "all after income pre-filling (2025-03)" in text


def test_notice_says_which_table_scored_which_months(panel: tuple[Path, Path]) -> None:
    folder, path = panel
    e = explain(read_model_file(path).model.as_of("2026-01"), _row(folder))
    en = render_notice(notice(e, lang="en"), format="md")
    fr = render_notice(notice(e, lang="fr"), format="md")
    assert (
        "2024-01 to 2025-12 (24 months): the “before” table for 14 months, the “after” table "
        "for 10 months" in en
    )
    assert "(before 14/24, after 10/24)" in en and "This combination rule is an assumption" in en
    assert "grille « avant » pour 14 mois, grille « après » pour 10 mois" in fr
    assert "(avant 14/24, après 10/24)" in fr
    scores = e.periods["scores"]  # type: ignore[index]
    assert set(scores) == {"before", "after"}
    data = json.loads(render_notice(notice(e, lang="en"), format="json"))
    assert data["data"]["periods"]["months"] == {"before": 14, "after": 10}


def test_notice_reads_the_row_month_or_says_it_is_missing(panel: tuple[Path, Path]) -> None:
    folder, path = panel
    model = read_model_file(path).model
    row = _row(folder, "2025-06")
    e = explain(model, row)
    assert e.periods is not None and e.periods["label"] == "before 21/24 + after 3/24"
    with pytest.raises(ExplainError, match=r"no snapshot_month: give it, or explain with"):
        explain(model, row.drop("snapshot_month"))


def test_notice_of_a_family_has_no_period(panel: tuple[Path, Path]) -> None:
    df = synthesize(5_000, seed=2, controls=2_000)
    checked = df[df["controlled"] == 1]
    family = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    e = explain(family, df.iloc[0])
    assert e.periods is None and "periods" not in e.to_dict()


# ------------------------------------------------------------------------------ description
def test_description_says_the_periods_and_weights(panel: tuple[Path, Path]) -> None:
    _, path = panel
    described = describe_model(read_model_file(path))
    assert described.periods is not None
    assert [e["month"] for e in described.periods["examples"]] == [
        "2025-03",
        "2025-09",
        "2026-03",
        "2026-09",
        "2027-03",
    ]
    assert described.periods["examples"][2]["months"] == {"before": 12, "after": 12}
    assert [a.name for a in described.aucs] == [
        "training rows, before model on its period's files",
        "cross-validated, before model on its period's files",
        "training rows, after model on its period's files",
        "cross-validated, after model on its period's files",
    ]
    markdown = to_markdown(description_document(described))
    assert "The model is made of 2 scorecards by period" in markdown
    assert "| 2026-03 | 2024-03 to 2026-02 | 12/24 | 12/24 |" in markdown
    assert "### Period before (months before 2025-03)" in markdown
    assert "the agency's exact rule is not public" in markdown
    card = to_markdown(model_card_document(described))
    assert "two logistic scorecards on weight-of-evidence bins, before and after income" in card
    assert "the “after” one alone from 2027-03" in card or 'the "after" one alone from' in card
    assert "periods" in described.to_dict()


def test_description_of_a_family_has_no_periods() -> None:
    df = synthesize(4_000, seed=3, controls=2_000)
    checked = df[df["controlled"] == 1]
    family = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    described = describe_model(_saved(family))
    assert described.periods is None and "periods" not in described.to_dict()


def _saved(model: object) -> object:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.json"
        save_model(model, path)  # type: ignore[arg-type]
        return read_model_file(path)


# ------------------------------------------------------------------------------ command line
def test_cli_train_by_period_on_a_panel(
    panel: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = panel
    out = tmp_path / "model.json"
    assert main(["train", "--by-period", "--data", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "two models by period (income pre-filling from 2025-03)" in printed
    assert "before  2024-03 to 2025-02" in printed and "after   2025-03 to 2026-02" in printed
    assert "from 2027-03 it scores alone" in printed
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["routing"] == {"column": "snapshot_month", "segments": ["before", "after"]}
    assert document["periods"]["trained_months"]["before"] == ["2024-03", "2025-02"]
    assert 0.5 < document["training"]["auc_cv_before"] < 1
    assert "auc_cv" not in document["training"]
    assert isinstance(read_model_file(out).model, PeriodScorecards)


@pytest.mark.parametrize(
    ("extra", "match"),
    [(["--single"], "drop --single"), (["--tune"], "drop --tune")],
    ids=["single", "tune"],
)
def test_cli_train_by_period_refuses(
    panel: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    match: str,
) -> None:
    folder, _ = panel
    argv = ["train", "--by-period", *extra, "--data", str(folder), "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    assert match in capsys.readouterr().err


def test_cli_score_month_needs_a_model_by_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = synthesize(3_000, seed=5, controls=1_500)
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    model = tmp_path / "m.json"
    assert main(["train", "--data", str(data), "--out", str(model)]) == 0
    capsys.readouterr()
    argv = ["score", "--model", str(model), "--input", str(data), "--out", str(tmp_path / "s.csv")]
    assert main([*argv, "--month", "2026-01"]) == 2
    assert "--month scores a model by period" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


def test_cli_train_by_period_without_cross_validation(
    panel: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = panel
    out = tmp_path / "model.json"
    argv = ["train", "--by-period", "--cv", "0", "--data", str(folder), "--out", str(out)]
    assert main(argv) == 0
    assert "not measured" in capsys.readouterr().out
    training = json.loads(out.read_text(encoding="utf-8"))["training"]
    assert "auc_cv_before" not in training and "auc_train_before" in training
    assert training["validation"].startswith("none: auc_train is measured on the rows")
