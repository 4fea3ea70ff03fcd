"""Outreach: the rights model's selection (dmde select --action outreach) and its rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dmde.batch.outreach import select_outreach_file
from dmde.batch.scores_table import SelectionError
from dmde.batch.selection import select_file
from dmde.cli import main


def _scores(path: Path, seed: int, n: int = 400) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "dossier_id": np.arange(1, n + 1),
            "caf_code": rng.choice(["01", "13", "75"], n),
            "score": np.round(rng.normal(500, 40, n), 2),
            "probability": rng.uniform(0, 1, n),
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_without_checks_outreach_selects_as_a_check_selection(tmp_path: Path) -> None:
    scores = _scores(tmp_path / "rights.csv", 1)
    plain = select_file(scores, tmp_path / "plain.csv", budget=40, per="caf_code", seed=3)
    mine = select_outreach_file(scores, tmp_path / "out.csv", budget=40, per="caf_code", seed=3)
    pd.testing.assert_frame_equal(plain.frame, mine.frame)
    assert mine.summary["action"] == "outreach" and mine.summary["checked_first"] == 0
    manifest = json.loads((tmp_path / "out.csv.manifest.json").read_text())
    assert manifest["summary"]["action"] == "outreach"


@pytest.mark.parametrize("seed", range(5))
def test_a_check_first_files_checked_are_not_contacted(tmp_path: Path, seed: int) -> None:
    checks_scores = _scores(tmp_path / "control.csv", 100 + seed)
    rights = _scores(tmp_path / "rights.csv", 200 + seed)
    checks = select_file(checks_scores, tmp_path / "checks.csv", budget=30)
    alone = select_outreach_file(rights, tmp_path / "alone.csv", budget=60)
    both = select_outreach_file(
        rights, tmp_path / "both.csv", budget=60, checks=tmp_path / "checks.csv"
    )
    checked = set(checks.frame["dossier_id"])
    contacted = set(both.frame["dossier_id"])
    assert len(contacted) == 60 and not contacted & checked
    # the files outreach gives up to the check are replaced by the next ones, in score order
    kept = [d for d in alone.frame["dossier_id"] if d not in checked]
    assert kept == [d for d in both.frame["dossier_id"]][: len(kept)]
    assert both.summary["checked_first"] == 30
    manifest = json.loads((tmp_path / "both.csv.manifest.json").read_text())
    assert manifest["summary"]["checks"]["path"].endswith("checks.csv")


def test_outreach_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rights = _scores(tmp_path / "rights.csv", 1, n=20)
    everything = select_file(rights, tmp_path / "all.csv", budget=20)
    assert len(everything.frame) == 20
    with pytest.raises(SelectionError, match="no file is left to contact"):
        select_outreach_file(rights, tmp_path / "o.csv", budget=5, checks=tmp_path / "all.csv")
    with pytest.raises(SelectionError, match="does not exist"):
        select_outreach_file(rights, tmp_path / "o.csv", budget=5, checks=tmp_path / "no.csv")
    with pytest.raises(SelectionError, match="also the scores file"):
        select_outreach_file(rights, tmp_path / "o.csv", budget=5, checks=rights)
    args = ["select", "--scores", str(rights), "--budget", "5", "--out", str(tmp_path / "o.csv")]
    assert main([*args, "--checks", str(tmp_path / "all.csv")]) == 2
    assert "add --action outreach" in capsys.readouterr().err
    assert main([*args, "--action", "outreach", "--engine", "duckdb"]) == 2
    assert main([*args, "--action", "outreach"]) == 0
    assert json.loads((tmp_path / "o.csv.manifest.json").read_text())["summary"]["action"] == (
        "outreach"
    )


def test_the_model_file_says_its_target_and_action(tmp_path: Path) -> None:
    from dmde.data.synthetic import write_population

    data = tmp_path / "pop.csv"
    write_population(data, 6_000, seed=3, controls=3_000)
    for target, action in (("rappel_target", "outreach"), ("target", None)):
        out = tmp_path / f"{target}.json"
        args = ["train", "--data", str(data), "--target", target, "--single", "--out", str(out)]
        assert main(args) == 0
        training = json.loads(out.read_text())["training"]
        assert training["target"] == target
        assert training.get("action") == action  # a check model's file is as it always was
