"""The commands on a model by period (dmde train --by-period): score, select, monitor and audit
run end to end and say which period model scored; sql and the SQL engines refuse it in one
line naming the flag to use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dmde.audit import inputs as audit_inputs
from dmde.audit.model_parts import model_parts
from dmde.audit.settings import AuditError
from dmde.audit.targeting import group_columns
from dmde.cli import main
from dmde.model.model_file import load_model
from dmde.model.periods import PeriodScorecards


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Six months from 2025-01 (two before pre-filling), a model by period trained on them,
    the baseline (2025-01 to 2025-03) and the months after it (2025-04 to 2025-06)."""
    root = tmp_path_factory.mktemp("periods_commands")
    folder = root / "panel"
    synth = ["synth", "--months", "6", "--start", "2025-01", "--rows", "3000", "--seed", "4"]
    assert main([*synth, "--controls", "800", "--quiet", "--out", str(folder)]) == 0
    model = root / "p.json"
    assert main(["train", "--by-period", "--data", str(folder), "--out", str(model)]) == 0
    (root / "base").mkdir()
    (root / "later").mkdir()
    for part in sorted(folder.iterdir()):
        month = part.name.split("=")[1]
        shutil.copytree(part, root / ("base" if month <= "2025-03" else "later") / part.name)
    month_file = root / "m06.parquet"
    shutil.copy(folder / "snapshot_month=2025-06" / "part-0.parquet", month_file)
    return {"root": root, "model": model, "month": month_file}


def _score(panel: dict[str, Path], out: Path, *options: str) -> int:
    argv = ["score", "--model", str(panel["model"]), "--input", str(panel["month"])]
    return main([*argv, *options, "--out", str(out)])


def _one_line_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_score_and_select_say_the_window_of_each_row(
    panel: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = panel["root"]
    own, fixed = root / "own.parquet", root / "fixed.parquet"
    assert _score(panel, own) == 0
    assert _score(panel, fixed, "--month", "2026-03") == 0
    assert set(pd.read_parquet(own)["segment"]) == {"before 21/24 + after 3/24"}
    assert set(pd.read_parquet(fixed)["segment"]) == {"before 12/24 + after 12/24"}
    selection = root / "sel.parquet"
    assert main(["select", "--scores", str(own), "--out", str(selection), "--budget", "50"]) == 0
    chosen = pd.read_parquet(selection)
    assert len(chosen) == 50 and set(chosen["segment"]) == {"before 21/24 + after 3/24"}
    capsys.readouterr()


@pytest.mark.parametrize(
    "command",
    [
        ["sql", "--table", "households", "--out", "{root}/p.sql"],
        ["score", "--engine", "duckdb", "--input", "{month}", "--out", "{root}/d.parquet"],
    ],
    ids=["sql", "score-duckdb"],
)
def test_sql_refuses_a_model_by_period_in_one_line(
    panel: dict[str, Path], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(root=panel["root"], month=panel["month"]) for a in command]
    assert main([*argv, "--model", str(panel["model"])]) == 1
    _one_line_error(capsys.readouterr().err, "has no SQL query", "--engine python", "--month")
    assert not (panel["root"] / "p.sql").exists()


def test_monitor_uses_both_period_models_bins_and_says_so(
    panel: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = panel["root"]
    out = root / "monitor" / "report.html"
    argv = ["monitor", "--model", str(panel["model"]), "--baseline", str(root / "base")]
    assert main([*argv, "--months", str(root / "later"), "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "two scorecards by period" in printed
    assert "windows 2025-04: before 23/24 + after 1/24" in printed
    assert "2025-06: before 21/24 + after 3/24" in printed
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["data"]
    assert "two scorecards by period" in data["baseline"]["model"]
    assert np.isfinite(data["baseline"]["auc"])  # out of fold: both period models refitted
    features = pd.DataFrame(data["features"])
    on_bins = features[features["bins"] == "model bins"]
    assert set(on_bins["segment"]) == {"before", "after"}
    assert on_bins["csi"].notna().all()
    assert set(pd.DataFrame(data["score"])["month"]) == {"2025-04", "2025-05", "2025-06"}


def _audited(panel: dict[str, Path]) -> tuple[PeriodScorecards, pd.DataFrame, pd.DataFrame]:
    model = load_model(panel["model"])
    assert isinstance(model, PeriodScorecards)
    frame = pd.read_parquet(panel["month"])
    return model, frame, group_columns(frame)


def _reference(groups: pd.DataFrame) -> Any:
    reference = {a: str(groups[a].astype(str).value_counts().index[0]) for a in groups.columns}
    return SimpleNamespace(method={"reference": reference})


@pytest.mark.parametrize("fixed", [None, "2026-09"], ids=["rows-months", "as-of"])
def test_audit_parts_of_a_model_by_period(panel: dict[str, Path], fixed: str | None) -> None:
    model, frame, groups = _audited(panel)
    if fixed is not None:
        model = model.as_of(fixed)
        frame = frame.drop(columns="snapshot_month")
    parts = model_parts(model, frame, groups, _reference(groups), seed=0, rows=2_000)  # type: ignore[arg-type]
    identity = parts["model"]
    window = "before 21/24 + after 3/24" if fixed is None else "before 6/24 + after 18/24"
    assert identity["kind"] == "periods" and window in identity["routing"]
    assert set(identity["points"]["segment"]) == {"before", "after"}
    # the gaps add up, group by group, to the gap in mean score of the points that scored
    score = model.points(frame)
    for (attribute, group), part in parts["gaps"].groupby(["attribute", "group"]):
        values = groups[attribute].astype(str).to_numpy()
        ref = str(part["reference"].iloc[0])
        expected = score[values == group].mean() - score[values == ref].mean()
        assert part["gap"].sum() == pytest.approx(expected, abs=1e-9)
    assert parts["exclusion"]["identical"]
    assert "snapshot_month" not in parts["exclusion"]["columns_permuted"]
    assert parts["proxies"]["auc"].dropna().between(0, 1).all() and len(parts["associations"])
    as_of = model.as_of(fixed or "2025-06")
    profiles = parts["profiles"]
    assert profiles["score"].tolist() == pytest.approx(
        as_of.points(_households(profiles["archetype"])).tolist()
    )
    changes = parts["changes"]
    assert (changes["delta"] == changes["score_after"] - changes["score_before"]).all()


def _households(archetypes: pd.Series[Any]) -> pd.DataFrame:
    from dmde.audit.profiles import _BASE, ARCHETYPES, _frame

    return _frame([{**_BASE, **ARCHETYPES[str(a)][1]} for a in archetypes])


def test_audit_parts_need_the_month_of_each_file(panel: dict[str, Path]) -> None:
    model, frame, groups = _audited(panel)
    with pytest.raises(AuditError, match=r"scores each file as of its snapshot_month.*as_of"):
        model_parts(
            model,
            frame.drop(columns="snapshot_month"),
            groups,
            _reference(groups),  # type: ignore[arg-type]
            seed=0,
            rows=500,
        )


def test_cli_audit_of_a_model_by_period(
    panel: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end, the population read with its snapshot_month (which the audit's reader
    reads for a model by period: until it does, this test adds it)."""
    read = audit_inputs.read_dataset

    def with_month(path: Any, *, columns: list[str] | None = None, **options: Any) -> Any:
        if columns is not None and "snapshot_month" not in columns:
            columns = [*columns, "snapshot_month"]
        return read(path, columns=columns, **options)

    monkeypatch.setattr(audit_inputs, "read_dataset", with_month)
    root = panel["root"]
    scores, selection = root / "audit-scores.parquet", root / "audit-sel.parquet"
    assert _score(panel, scores) == 0
    assert main(["select", "--scores", str(scores), "--out", str(selection), "--budget", "60"]) == 0
    out = root / "audit" / "audit.html"
    argv = ["audit", "--scores", str(scores), "--population", str(panel["month"])]
    argv += ["--model", str(panel["model"]), "--selection", str(selection), "--n-boot", "50"]
    assert main([*argv, "--lang", "en", "--out", str(out)]) == 0
    capsys.readouterr()
    markdown = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "two scorecards by period, weighted by the months of the look-back" in markdown
    assert "before 21/24 + after 3/24" in markdown
    assert "Traceback" not in markdown


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shift", [None, "benefit_reform"], ids=["steady", "benefit_reform"])
def test_monitor_of_a_model_by_period_finds_what_was_planted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int, shift: str | None
) -> None:
    """A model by period trained on 2025-01 to 2025-03 (both periods), watched over 2025-04 to
    2025-06: the complément familial paid from the first child in 2025-05 is found as
    mean_cf_12m from that month; a steady panel is quiet."""
    folder = tmp_path / "panel"
    argv = ["synth", "--months", "6", "--start", "2025-01", "--rows", "3000"]
    argv += ["--controls", "800", "--seed", str(seed), "--quiet", "--out", str(folder)]
    argv += [] if shift is None else ["--shift", shift, "--shift-month", "5"]
    assert main(argv) == 0
    base, later = tmp_path / "base", tmp_path / "later"
    for part in sorted(folder.iterdir()):
        (base if part.name <= "snapshot_month=2025-03" else later).mkdir(exist_ok=True)
        shutil.move(part, (base if part.name <= "snapshot_month=2025-03" else later) / part.name)
    model = tmp_path / "p.json"
    assert (
        main(["train", "--by-period", "--data", str(base), "--out", str(model), "--cv", "0"]) == 0
    )
    out = tmp_path / "report.json"
    argv = ["monitor", "--model", str(model), "--baseline", str(base), "--months", str(later)]
    assert main([*argv, "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    flags = json.loads(out.read_text(encoding="utf-8"))["data"]["flags"]
    features = {f["subject"]: f["months"] for f in flags if f["kind"] == "feature"}
    if shift is None:
        assert features == {}
    else:
        assert features.get("mean_cf_12m", [None])[0] == "2025-05"
