"""`dmde demo` on a small population: every output exists and every link of the index resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from dmde.cli import main
from dmde.core.errors import DmdeError
from dmde.demo import run_demo


def test_demo_writes_every_output_and_the_index_links_resolve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    code = main(
        ["demo", "--out", str(out), "--rows", "20000", "--controls", "2000", "--n-boot", "50"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "index.html" in printed
    for name in (
        "population.parquet",
        "model.json",
        "scores.parquet",
        "selection.csv",
        "reports/audit.html",
        "reports/audit.md",
        "reports/audit.json",
        "model/description.html",
        "model/model-card.html",
        "rights-model.json",
        "rights-scores.parquet",
        "outreach.csv",
        "reports/outreach-audit.html",
        "index.html",
    ):
        assert (out / name).is_file(), name
    notices = sorted((out / "notices").glob("*.html"))
    assert len(notices) == 3
    letters = sorted((out / "letters").glob("*.html"))
    assert [p.name.split(".")[-2] for p in letters] == ["en", "fr"]
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#]+)"', index)
    assert len(links) >= 14
    for link in links:
        assert (out / link).is_file(), link
    for wanted in ("outreach.csv", "reports/outreach-audit.html", *(p.name for p in letters)):
        assert any(link.endswith(wanted) for link in links), wanted
    # the committee's report: checks and outreach by income band, against both truths' shares
    report = (out / "reports" / "audit.md").read_text(encoding="utf-8")
    assert "## Checks and outreach, side by side" in report
    assert "*Who is checked, who is helped, by income_band*" in report
    # a file checked is never contacted (a check first)
    checks = set(pd.read_csv(out / "selection.csv")["dossier_id"])
    assert not checks & set(pd.read_csv(out / "outreach.csv")["dossier_id"])
    # The description links the audit report, which exists relative to it.
    description = (out / "model" / "description.html").read_text(encoding="utf-8")
    for link in re.findall(r'href="([^"#]+)"', description):
        if not link.startswith(("http://", "https://")):
            assert (out / "model" / link).is_file(), link


def test_demo_refuses_a_too_small_world(tmp_path: Path) -> None:
    with pytest.raises(DmdeError, match="rows must be at least 1,000"):
        run_demo(tmp_path, rows=10, controls=5)
