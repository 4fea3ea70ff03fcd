"""The outreach letter: the rights model's file told it may be entitled to more, same points."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmde.batch.outreach import select_outreach_file
from dmde.batch.scoring import score_file
from dmde.data.synthetic import write_population
from dmde.documents.explain import explain_file
from dmde.documents.notice import notice, render_notice
from dmde.documents.outreach_notice import outreach_notice, write_outreach_notice
from dmde.model import model_file, training
from dmde.model.scorecard import Scorecard


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("outreach")
    data = folder / "pop.csv"
    write_population(data, 4_000, seed=2, controls=2_000)
    from dmde.data.datasets import read_dataset

    frame = read_dataset(data)
    fit = training.training_data(frame, target="rappel_target")
    model = Scorecard().fit(fit.X, fit.y, sample_weight=fit.weight)
    model_path = folder / "rights.json"
    model_file.save_model(
        model, model_path, training={"target": "rappel_target", "action": "outreach"}
    )
    score_file(model_path, data, folder / "scores.csv")
    select_outreach_file(folder / "scores.csv", folder / "outreach.csv", budget=50)
    return {"data": data, "model": model_path, "selection": folder / "outreach.csv"}


def _explanation(files: dict[str, Path], rank: int = 0):  # type: ignore[no-untyped-def]
    import pandas as pd

    dossier = int(pd.read_csv(files["selection"])["dossier_id"][rank])
    return explain_file(files["model"], files["data"], dossier, selection=files["selection"])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_letter_has_the_notice_points_and_outreach_words(
    files: dict[str, Path], lang: str
) -> None:
    e = _explanation(files)
    letter = outreach_notice(e, lang=lang)  # type: ignore[arg-type]
    check = notice(e, lang=lang)  # type: ignore[arg-type]
    ids = [s.id for s in letter.sections]
    assert ids[:3] == ["entitled", "why", "todo"]
    assert "contest" not in ids and "selection" not in ids and "change" not in ids
    # the same exact points: the points table is the check notice's, block for block
    table = next(s for s in letter.sections if s.id == "points").blocks[1]
    assert table == next(s for s in check.sections if s.id == "points").blocks[1]
    text = render_notice(letter, format="txt")
    for wrong in ("versée à tort", "paid in error", "indu d'au moins", "overpayment of 600"):
        assert wrong not in text, wrong
    right = {"fr": ("rappel d'au moins 300 euros", "rang 1", "n'est pas un contrôle")}
    right["en"] = ("underpayment of 300 EUR", "ranks 1", "is not a check")
    for words in right[lang]:
        assert words in text, words
    assert letter.data["action"] == "outreach"


def test_the_letter_names_the_benefits_not_received(files: dict[str, Path], tmp_path: Path) -> None:
    e = _explanation(files, rank=3)
    missing = [c for c in ("mean_rsa_12m", "mean_prime_activite_12m") if e.values.get(c) == 0]
    text = write_outreach_notice(e, tmp_path / "l.md", lang="en", format="md").read_text()
    assert ("RSA (revenu" in text) == ("mean_rsa_12m" in missing)
    assert ("the prime d'activité (in-work" in text) == ("mean_prime_activite_12m" in missing)


def test_dmde_explain_writes_the_letter_for_a_rights_model(
    files: dict[str, Path], tmp_path: Path
) -> None:
    import pandas as pd

    from dmde.cli import main
    from dmde.documents.outreach_notice import model_action

    assert model_action(files["model"]) == "outreach"
    assert model_action(tmp_path / "missing.json") == "check"
    dossier = str(pd.read_csv(files["selection"])["dossier_id"][0])
    common = ["explain", "--model", str(files["model"]), "--input", str(files["data"])]
    out = tmp_path / "letter.txt"
    args = [*common, "--selection", str(files["selection"]), "--dossier", dossier]
    assert main([*args, "--out", str(out), "--lang", "en"]) == 0
    assert out.read_text().startswith("You may be entitled to more")
    assert main([*common, "--selection", str(files["selection"]), "--out-dir", str(tmp_path)]) == 2
