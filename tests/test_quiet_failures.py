"""What the commands say instead of failing quietly: dmde train names the reporting modes its
family has no scorecard for; dmde score gives the top reject reasons, warns when many rows
(or any for want of a scorecard) are rejected and exits 1 when all are; --month is recorded,
warned about when before the training months or the rows' own month, and read back by
dmde explain; --by-period refuses --segment-column; a missing rappel_target says why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dmde.batch.scoring import months_after, reject_reasons
from dmde.cli import main
from dmde.core.errors import EXIT_DATA, EXIT_OK, EXIT_USAGE
from dmde.data.datasets import arrow_schema, write_batches
from dmde.data.synthetic import synthesize
from dmde.model import training
from dmde.model.model_file import save_model
from dmde.model.scorecard import Scorecard, ScorecardFamily

FEATURES = ["n_children", "income_to_smic", "zero_income"]


def _family(frame: pd.DataFrame) -> ScorecardFamily:
    rows = frame[frame["controlled"] == 1]
    family = ScorecardFamily(scorecard=Scorecard(features=FEATURES))
    return family.fit(rows, rows["target"], sample_weight=rows["control_weight"])


def _write(frame: pd.DataFrame, path: Path) -> Path:
    write_batches(path, [frame], schema=arrow_schema(frame.columns))
    return path


# -- dmde train: a reporting mode without a scorecard ----------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_training_report_names_the_modes_without_a_scorecard(seed: int) -> None:
    frame = synthesize(3_000, seed=seed, controls=1_500)
    both = training.training_data(frame)
    declarative = training.training_data(frame[frame["income_reporting"] == "declarative"])
    quiet = training.evaluate(_family(both.X.assign(controlled=1)), both, cv=0)
    assert quiet.missing_segments == () and not any("no scorecard" in w for w in quiet.warnings())
    model = _family(declarative.X.assign(controlled=1))
    planted = training.evaluate(model, declarative, cv=0)
    assert planted.missing_segments == ("prefilled",)
    assert "WARNING: no scorecard for income_reporting 'prefilled'" in planted.format()
    single = Scorecard(features=FEATURES).fit(declarative.X, declarative.y)
    assert training.evaluate(single, declarative, cv=0).missing_segments == ()


# -- dmde score: the reject reasons, the warning, the exit code ------------------------------
@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quiet")
    frame = synthesize(4_000, seed=11, controls=2_000)
    families = {
        "both": _family(frame),
        "declarative": _family(frame[frame["income_reporting"] == "declarative"]),
    }
    paths = {name: root / f"{name}.json" for name in families}
    for name, model in families.items():
        save_model(model, paths[name])
    paths["population"] = _write(frame, root / "population.parquet")
    paths["root"] = root
    return paths


def _with_bad_ages(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """``share`` of the rows with an out-of-range n_children (rejected, rule range)."""
    out = frame.copy()
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(out), size=round(share * len(out)), replace=False)
    out.loc[out.index[rows], "n_children"] = 99
    return out


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("share", "warned"), [(0.0, False), (0.04, False), (0.25, True)])
def test_score_warns_from_a_tenth_of_rows_rejected(
    scored: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    seed: int,
    share: float,
    warned: bool,
) -> None:
    frame = pd.read_parquet(scored["population"]).sample(600, random_state=seed)
    data = _write(
        _with_bad_ages(frame.reset_index(drop=True), share, seed), tmp_path / "in.parquet"
    )
    argv = ["score", "--model", str(scored["both"]), "--input", str(data), "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "s.csv")]) == EXIT_OK
    out, err = capsys.readouterr()
    assert ("warning:" in err) is warned, err
    assert "Traceback" not in err
    if share:
        assert f"rejected by: range on n_children: {round(share * 600):,} rows" in out
    else:
        assert "rejected by" not in out and err == ""


@pytest.mark.parametrize("seed", range(3))
def test_score_warns_when_a_segment_has_no_scorecard_and_fails_when_all_rows_are_rejected(
    scored: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    frame = pd.read_parquet(scored["population"]).sample(800, random_state=seed)
    model = str(scored["declarative"])
    mixed = _write(frame, tmp_path / "mixed.parquet")
    prefilled = _write(frame[frame["income_reporting"] == "prefilled"], tmp_path / "pre.parquet")
    expected = int((frame["income_reporting"] == "prefilled").sum())
    argv = ["score", "--model", model, "--quiet", "--input"]
    assert main([*argv, str(mixed), "--out", str(tmp_path / "a.csv")]) == EXIT_OK
    out, err = capsys.readouterr()
    assert f"rejected by: no_model on income_reporting: {expected:,} rows" in out
    assert "warning:" in err and "dmde train --single" in err and len(err.splitlines()) == 1
    assert main([*argv, str(prefilled), "--out", str(tmp_path / "b.csv")]) == EXIT_DATA
    out, err = capsys.readouterr()
    assert "error: every row of" in err and "nothing was scored" in err
    assert (tmp_path / "b.csv.manifest.json").is_file()  # the run is recorded all the same


def test_reject_reasons_count_rows_once_per_reason(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "row,dossier_id,column,value,rule,reason\n"
        "1,7,n_children,99,range,x\n1,7,n_children,99,range,x\n2,8,age,,missing_value,y\n"
        "3,9,n_children,98,range,x\n"
    )
    found = [(r.rule, r.column, r.rows) for r in reject_reasons(path)]
    assert found == [("range", "n_children", 2), ("missing_value", "age", 1)]
    empty = tmp_path / "e.csv"
    empty.write_text("row,dossier_id,column,value,rule,reason\n")
    assert reject_reasons(empty) == []


def test_a_bad_snapshot_month_is_explained_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = synthesize(200, seed=2, controls=100)
    path = tmp_path / "bad.csv"
    frame.assign(snapshot_month="2025-4").to_csv(path, index=False)
    assert main(["validate", str(path)]) != EXIT_OK
    out = capsys.readouterr().out
    assert "expected a month written YYYY-MM (e.g. 2025-03)" in out and "[0-9]" not in out


# -- --month: recorded, warned about, read back by explain -----------------------------------
@pytest.fixture(scope="module")
def periods(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("periods")
    panel = root / "panel"
    synth = ["synth", "--months", "4", "--rows", "2500", "--seed", "5", "--controls", "600"]
    assert main([*synth, "--quiet", "--out", str(panel)]) == EXIT_OK
    model = root / "p.json"
    assert main(["train", "--by-period", "--data", str(panel), "--out", str(model)]) == EXIT_OK
    return {"root": root, "model": model, "month": panel / "snapshot_month=2025-04/part-0.parquet"}


@pytest.mark.parametrize(
    ("month", "before_training", "before_rows"),
    [("2020-01", True, True), ("2025-02", False, True), ("2025-04", False, False)],
)
def test_score_month_is_recorded_and_warned_about(
    periods: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    month: str,
    before_training: bool,
    before_rows: bool,
) -> None:
    capsys.readouterr()
    out = tmp_path / "s.parquet"
    argv = ["score", "--model", str(periods["model"]), "--input", str(periods["month"])]
    assert main([*argv, "--month", month, "--quiet", "--out", str(out)]) == EXIT_OK
    err = capsys.readouterr().err
    assert ("before the model's first training month (2025-01)" in err) is before_training, err
    assert ("before the snapshot_month of" in err) is before_rows, err
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    assert manifest["month"] == month
    assert main([*argv, "--quiet", "--out", str(tmp_path / "own.parquet")]) == EXIT_OK
    assert "month" not in json.loads((tmp_path / "own.parquet.manifest.json").read_text())
    rows = len(pd.read_parquet(periods["month"]))
    assert months_after(periods["month"], month) == (
        (rows, "2025-04") if before_rows else (0, None)
    )


def test_explain_reads_the_month_the_selection_was_scored_as_of(
    periods: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, model = str(periods["month"]), str(periods["model"])
    scores, selection = tmp_path / "s.parquet", tmp_path / "sel.csv"
    argv = ["score", "--model", model, "--input", data, "--quiet", "--month", "2026-01"]
    assert main([*argv, "--out", str(scores)]) == EXIT_OK
    assert main(["select", "--scores", str(scores), "--out", str(selection), "--budget", "5"]) == 0
    chosen = pd.read_csv(selection)
    dossier = int(chosen["dossier_id"].iloc[0])
    expected = float(pd.read_parquet(scores).set_index("dossier_id").loc[dossier, "score"])
    capsys.readouterr()
    explain = ["explain", "--model", model, "--input", data, "--selection", str(selection)]
    one = [*explain, "--dossier", str(dossier), "--out", str(tmp_path / "n.txt")]
    for extra in ([], ["--month", "2026-01"]):  # read from the scores' manifest, or given
        assert main([*one, *extra]) == EXIT_OK
        assert f"score {expected:.2f} points" in capsys.readouterr().out
    assert main([*one, "--month", "2025-09"]) == EXIT_DATA
    err = capsys.readouterr().err
    assert "scored as of 2026-01" in err and "give --month 2026-01" in err
    assert "was not made from this data file" not in err
    assert main([*explain, "--out-dir", str(tmp_path / "notes")]) == EXIT_OK


def test_explain_month_needs_a_model_by_period(
    scored: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["explain", "--model", str(scored["both"]), "--input", str(scored["population"])]
    argv += ["--dossier", "1", "--out", str(tmp_path / "n.txt"), "--month", "2025-06"]
    assert main(argv) == EXIT_USAGE
    assert "--month explains a model by period" in capsys.readouterr().err


# -- dmde train: refused flags and a missing label -------------------------------------------
def test_by_period_refuses_segment_column(
    periods: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--by-period", "--data", str(periods["month"]), "--out", str(tmp_path / "m")]
    assert main([*argv, "--segment-column", "income_reporting"]) == EXIT_USAGE
    assert "drop --segment-column" in capsys.readouterr().err


def test_rappel_target_on_a_panel_month_says_panels_do_not_carry_it(
    periods: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--data", str(periods["month"]), "--out", str(tmp_path / "m.json")]
    assert main([*argv, "--target", "rappel_target"]) == EXIT_DATA
    err = capsys.readouterr().err
    assert "monthly panel (dmde synth --months)" in err and "without --months" in err


# -- Python API: evaluate's arguments, read_scores, read_selection, the period model's display -
def test_evaluate_names_the_argument_given_a_column_name() -> None:
    import dmde
    from dmde.model.evaluation import EvaluationError

    frame = synthesize(2_000, seed=3, controls=1_000)
    rows = frame[frame["controlled"] == 1].reset_index(drop=True)
    model = Scorecard(features=FEATURES)
    for kwargs, needle in (
        ({"y": "target"}, "y=frame['target']"),
        ({"y": rows["target"], "weights": "control_weight"}, "weights=frame['control_weight']"),
        ({"y": rows["target"], "weights": rows["household_type"]}, "weights must be numbers"),
    ):
        with pytest.raises(EvaluationError, match="must be") as caught:
            dmde.evaluate(model, rows, cv=2, **kwargs)  # type: ignore[arg-type]
        assert needle in str(caught.value) and "shape ()" not in str(caught.value)


def test_read_scores_refuses_a_population_file(scored: dict[str, Path], tmp_path: Path) -> None:
    from dmde.documents.readers import ReadError, read_scores

    with pytest.raises(ReadError, match="has no columns 'score', 'probability' and no manifest"):
        read_scores(scored["population"])
    out = tmp_path / "s.csv"
    argv = ["score", "--model", str(scored["both"]), "--input", str(scored["population"])]
    assert main([*argv, "--quiet", "--out", str(out)]) == EXIT_OK
    assert read_scores(out).manifest is not None


def test_read_selection_says_a_read_error(tmp_path: Path) -> None:
    from dmde.documents.explanation import ExplainError
    from dmde.documents.readers import ReadError, read_selection

    missing = tmp_path / "sel.csv"
    with pytest.raises(ReadError, match="does not exist") as caught:
        read_selection(missing)
    assert isinstance(caught.value, ExplainError)  # as the selection table says it too


def test_period_model_shows_both_periods_and_the_window_rule(periods: dict[str, Path]) -> None:
    from dmde.model.model_file import load_model

    model = load_model(periods["model"])
    html = model._repr_html_()
    assert "PeriodScorecards" in html and "Period before" in html and "Period after" in html
    assert "M&minus;24 to M&minus;1" in html and "2027-03" in html and "<script" not in html
    assert "trained on 2025-01 to 2025-02" in html
    assert "Every row is scored as of 2026-01" in model.as_of("2026-01")._repr_html_()
    assert model._repr_mimebundle_()["text/html"] == html


def test_score_with_rejects_does_not_import_scikit_learn(
    scored: dict[str, Path], tmp_path: Path
) -> None:
    import subprocess
    import sys

    frame = pd.read_parquet(scored["population"]).head(300)
    data = _write(_with_bad_ages(frame, 0.5, 0), tmp_path / "in.parquet")
    argv = ["score", "--model", str(scored["declarative"]), "--input", str(data), "--quiet"]
    code = (
        "import sys\nfrom dmde.cli import main\n"
        f"main({[*argv, '--out', str(tmp_path / 's.csv')]!r})\n"
        "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False" and "warning:" in out.stderr
