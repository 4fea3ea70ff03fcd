"""The audit of outreach, and both actions side by side in the ethics committee's report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dmde.audit.outreach_audit import actions_side_by_side, audit_outreach_files
from dmde.audit.report import build_report, write_report
from dmde.audit.settings import AuditError, AuditSettings
from dmde.audit.targeting import group_columns
from dmde.batch.outreach import select_outreach_file
from dmde.batch.scoring import score_file
from dmde.core.rendering import to_markdown
from dmde.data.synthetic import synthesize, write_population
from dmde.model import model_file, training
from dmde.model.scorecard import Scorecard


@pytest.mark.parametrize("seed", range(5))
def test_side_by_side_finds_where_the_contacts_went(seed: int) -> None:
    """Contacts planted in one income band: all their share is there; checks drawn at random:
    their shares follow the files' shares; the label shares are the weighted controls'."""
    df = synthesize(20_000, seed=seed, controls=4_000)
    band = group_columns(df)["income_band"].astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    in_band = df["dossier_id"].to_numpy()[band == "under 0.5 Smic"]
    contacts = rng.choice(in_band, 300, replace=False)
    checks = rng.choice(df["dossier_id"].to_numpy(), 2_000, replace=False)
    table = actions_side_by_side(df, checks=checks, contacts=contacts).set_index("group")
    for share in ("share_files", "share_checks", "share_contacts", "share_overpaid"):
        assert table[share].sum() == pytest.approx(1.0)
    assert table.loc["under 0.5 Smic", "share_contacts"] == 1.0
    assert table["contacts"].sum() == 300 and table["checks"].sum() == 2_000
    np.testing.assert_allclose(table["share_checks"], table["share_files"], atol=0.035)
    c = df[df["controlled"] == 1]
    c_band = band[df["controlled"].to_numpy() == 1]
    w = c["control_weight"] * (c["rappel_target"] == 1)
    expected = w.groupby(c_band).sum() / w.sum()
    np.testing.assert_allclose(table["share_underpaid"], expected[table.index], rtol=1e-9)


@pytest.fixture(scope="module")
def outreach_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("outreach-audit")
    data = folder / "pop.parquet"
    write_population(data, 20_000, seed=4, controls=3_000)
    from dmde.data.datasets import read_dataset

    fit = training.training_data(read_dataset(data), target="rappel_target")
    model = Scorecard().fit(fit.X, fit.y, sample_weight=fit.weight)
    path = folder / "rights.json"
    model_file.save_model(model, path, training={"target": "rappel_target", "action": "outreach"})
    score_file(path, data, folder / "scores.parquet")
    select_outreach_file(folder / "scores.parquet", folder / "outreach.csv", budget=600)
    return {
        "population": data,
        "model": path,
        "scores": folder / "scores.parquet",
        "selection": folder / "outreach.csv",
    }


def test_the_outreach_audit_reads_underpayments(
    outreach_files: dict[str, Path], tmp_path: Path
) -> None:
    result = audit_outreach_files(**outreach_files, settings=AuditSettings(n_boot=50, seed=1))
    assert result.data["action"] == "outreach"
    assert "rappel_target" in str(result.data.get("labels", result.data))
    for lang in ("en", "fr"):
        document = build_report(result, lang=lang)  # type: ignore[arg-type]
        assert document.sections[0].id == "reading"
        assert "actions" not in [s.id for s in document.sections]
    text = to_markdown(build_report(result))
    assert text.startswith("# Audit of the outreach selection")
    assert "rate of underpayment" in text
    assert "rate of overpayment" not in text
    written = write_report(result, tmp_path / "outreach-audit.html", lang="fr")
    assert "Audit de la sélection pour l" in written[0].read_text()


def test_the_outreach_audit_needs_the_underpayment_labels(
    outreach_files: dict[str, Path], tmp_path: Path
) -> None:
    frame = pd.read_parquet(outreach_files["population"]).drop(columns=["rappel_target"])
    bare = tmp_path / "bare.parquet"
    frame.to_parquet(bare)
    files = outreach_files | {"population": bare}
    with pytest.raises(AuditError, match="no column 'rappel_target'"):
        audit_outreach_files(**files, settings=AuditSettings(n_boot=20))
    with pytest.raises(AuditError, match="labels must be 'controls' or 'truth'"):
        audit_outreach_files(**outreach_files, labels="none")


def test_the_report_shows_both_actions_only_when_given(outreach_files: dict[str, Path]) -> None:
    from dataclasses import replace

    result = audit_outreach_files(**outreach_files, settings=AuditSettings(n_boot=20, seed=1))
    people = pd.read_parquet(outreach_files["population"])
    table = actions_side_by_side(people, checks=[1, 2, 3], contacts=[4, 5, 6])
    both = replace(result, data={**result.data, "actions": table.to_dict("records")})
    for lang in ("en", "fr"):
        ids = [s.id for s in build_report(both, lang=lang).sections]  # type: ignore[arg-type]
        assert "actions" in ids
    text = to_markdown(build_report(both))
    assert "| Group | Share of files | Share of checks | Share of overpayments |" in text
    assert build_report(both).data["tables"]["actions"][0]["group"] == "zero"


def test_dmde_audit_audits_a_rights_model_as_outreach(
    outreach_files: dict[str, Path], tmp_path: Path
) -> None:
    from dmde.cli import main

    f = outreach_files
    args = ["audit", "--scores", str(f["scores"]), "--population", str(f["population"])]
    args += ["--model", str(f["model"]), "--n-boot", "20", "--out", str(tmp_path / "o.html")]
    assert main([*args, "--selection", str(f["selection"])]) == 0
    assert (tmp_path / "o.md").read_text().startswith("# Audit de la sélection pour l")
    assert main([*args, "--budget", "100"]) == 2  # an outreach audit needs its selection


def test_actions_from_files_is_the_table_of_the_frames(
    outreach_files: dict[str, Path], tmp_path: Path
) -> None:
    from dmde.audit.outreach_audit import actions_from_files

    people = pd.read_parquet(outreach_files["population"])
    pd.DataFrame({"dossier_id": [5, 6, 7]}).to_csv(tmp_path / "checks.csv", index=False)
    contacts = pd.read_csv(outreach_files["selection"])["dossier_id"].to_numpy()
    expected = actions_side_by_side(people, checks=[5, 6, 7], contacts=contacts)
    got = actions_from_files(
        outreach_files["population"],
        checks=tmp_path / "checks.csv",
        contacts=outreach_files["selection"],
    )
    pd.testing.assert_frame_equal(got, expected)
