"""The audit's report (HTML, Markdown, JSON), `dmde audit`, and the report in Chromium.

The reading of input files is tested in test_audit_inputs.py, the one-call audit in
test_audit_run.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import vouch

from dmde import ScorecardFamily, load_model, save_model, select
from dmde.audit import audit, build_report, write_report
from dmde.audit.settings import AuditSettings
from dmde.audit.targeting import group_columns
from dmde.batch.scoring import score_file
from dmde.cli import main
from dmde.data.datasets import read_dataset
from dmde.data.synthetic import synthesize, write_population

ROWS, CONTROLS, BUDGET = 20_000, 2_000, 400
SECTIONS = {
    "summary",
    "model",
    "data",
    "selection",
    "groups",
    "intersections",
    "economic",
    "random",
    "proxies",
    "calibration",
    "profiles",
    "exclusion",
    "method",
    "glossary",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A scored, selected population on disk, as dmde's commands leave it."""
    root = tmp_path_factory.mktemp("audit")
    write_population(root / "population.parquet", ROWS, seed=11, controls=CONTROLS, with_truth=True)
    df = read_dataset(root / "population.parquet")
    checked = df[df["controlled"] == 1]
    model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
    save_model(model, root / "model.json")
    score_file(root / "model.json", root / "population.parquet", root / "scores.parquet")
    scores = pd.read_parquet(root / "scores.parquet")
    chosen = select(scores, budget=BUDGET, random_share=0.05, seed=1).frame
    chosen[["dossier_id", "selection_reason"]].to_csv(root / "selection.csv", index=False)
    return {"root": root, "df": df, "model": load_model(root / "model.json")}


@pytest.fixture(scope="module")
def result(world: dict[str, Any]) -> Any:
    from dmde.audit.inputs import audit_files

    root = world["root"]
    return audit_files(
        scores=root / "scores.parquet",
        population=root / "population.parquet",
        model=root / "model.json",
        selection=root / "selection.csv",
        settings=AuditSettings(n_boot=100, seed=3),
    )


def test_report_has_every_section_and_the_flags(result: Any) -> None:
    doc = build_report(result)
    ids = {s.id for s in doc.sections}
    assert ids >= SECTIONS
    assert doc.data["model_sha256"] == result.model["sha256"]
    assert len(doc.data["flags"]) == len(result.flags)
    for flag in doc.data["flags"]:
        assert {"attribute", "group", "reference", "metric", "ratio", "p_adjusted"} <= set(flag)
        assert flag["sentence"].startswith("By ") and ": files of " in flag["sentence"]
        assert "((" not in flag["sentence"] and "))" not in flag["sentence"]
    figures = [f.id for f in doc.figures()]
    assert "income-bands" in figures
    assert any(f.startswith("selection-rate-") for f in figures)
    assert any(f.startswith("random-vs-score-") for f in figures)
    assert any(f.startswith("calibration-") for f in figures)
    assert any(f.startswith("score-deciles-") for f in figures)


def test_report_files_are_byte_identical(world: dict[str, Any], tmp_path: Path) -> None:
    root = world["root"]
    args = [
        "audit",
        "--scores",
        str(root / "scores.parquet"),
        "--population",
        str(root / "population.parquet"),
        "--model",
        str(root / "model.json"),
        "--selection",
        str(root / "selection.csv"),
        "--n-boot",
        "50",
        "--groups",
        "gender,age_band,income_band",
        "--no-intersections",
    ]
    assert main([*args, "--out", str(tmp_path / "a" / "audit.html")]) == 0
    assert main([*args, "--out", str(tmp_path / "b" / "audit.html")]) == 0
    a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert a == b and Path("audit.html") in a and Path("audit.md") in a
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    payload = json.loads((tmp_path / "a" / "audit.json").read_text(encoding="utf-8"))
    assert payload["data"]["inputs"]["attributes"] == ["gender", "age_band", "income_band"]


def test_html_is_self_contained_and_escaped(result: Any, tmp_path: Path) -> None:
    html = build_report(result)
    html_text = (write_report(result, tmp_path / "r.html", formats=["html"])[0]).read_text()
    assert "<script" not in html_text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html_text)
    assert html.kind == "dmde-audit-report"


def test_planted_effect_is_flagged_and_absent_without_it() -> None:
    """An excluded column with a true effect shows up as a flagged base-rate gap."""

    def under_25_base_rate(scenario: str) -> pd.Series:
        df = synthesize(60_000, seed=5, controls=3_000, scenario=scenario, with_truth=True)
        checked = df[df["controlled"] == 1]
        model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
        df["score"] = model.points(df)
        df["probability"] = model.predict_proba(df)[:, 1]
        res = audit(
            df,
            groups=group_columns(df)[["age_band"]],
            selected=None,
            budget=1_000,
            label="truth_target",
            settings=AuditSettings(n_boot=200, seed=0, reference={"age_band": "35-49"}),
        )
        d = res.groups.disparities
        return d[(d["group"] == "under 25") & (d["metric"] == "base_rate")].iloc[0]

    planted, neutral = under_25_base_rate("planted_age"), under_25_base_rate("neutral")
    assert planted["flagged"] and planted["ratio"] > 1.25
    assert not neutral["flagged"]
    assert planted["ratio"] > neutral["ratio"] + 0.5


def test_generic_mode_on_another_systems_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 5_000
    group = rng.choice(["a", "b", "<b>c</b>"], n)
    risk = rng.normal(size=n) + (group == "a") * 0.8
    table = pd.DataFrame(
        {
            "risk": risk,
            "flagged_for_check": risk > np.quantile(risk, 0.9),
            "outcome": (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int),
            "district": group,
        }
    )
    table.to_csv(tmp_path / "other.csv", index=False)
    out = tmp_path / "generic" / "audit.html"
    code = main(
        [
            "audit",
            "--table",
            str(tmp_path / "other.csv"),
            "--score-column",
            "risk",
            "--selected-column",
            "flagged_for_check",
            "--label-column",
            "outcome",
            "--group-columns",
            "district",
            "--reference",
            "district=b",
            "--n-boot",
            "100",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;c&lt;/b&gt;" in html and "<b>c</b>" not in html
    assert "Mode générique" in html  # the CLI writes the report in French by default
    payload = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    flagged = {(f["group"], f["metric"]) for f in payload["data"]["flags"]}
    assert ("a", "selection_rate") in flagged  # group a's risk is shifted up
    assert ("<b>c</b>", "selection_rate") not in flagged  # b and c are treated alike
    assert payload["data"]["model_sha256"] is None


GENERIC = ["--out", "r.html", "--table", "{table}", "--group-columns", "g"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "r.txt", "--table", "x.csv"], "--out must end in .html"),
        (["--out", "r.html"], "give --scores, --population and --model"),
        (["--out", "r.html", "--table", "missing.csv", "--group-columns", "g"], "no such file"),
        (
            ["--out", "r.html", "--table", "{table}", "--group-columns", "nope"],
            "missing column\\(s\\) nope",
        ),
        (
            [
                "--out",
                "r.html",
                "--table",
                "{table}",
                "--group-columns",
                "g",
                "--score-column",
                "s",
            ],
            "say who was selected: --selected-column, --method-column, or --budget",
        ),
        (
            ["--out", "r.html", "--table", "{table}", "--group-columns", "g", "--budget", "1"],
            "a budget selects the highest scores: name the score column",
        ),
        (
            [
                "--out",
                "r.html",
                "--table",
                "{table}",
                "--group-columns",
                "g",
                "--method-column",
                "g",
            ],
            "the method column 'g' holds 'x', 'y'; expected 'score', 'random'.*--method-values",
        ),
        (
            [*GENERIC, "--method-column", "g", "--method-values", "model=x"],
            "--method-values maps to 'model'; the methods are 'score'",
        ),
        (
            [*GENERIC, "--method-column", "g", "--method-values", "random=x|y"],
            "no file is selected by the score among 2 \\(methods found: random\\)",
        ),
        (
            [*GENERIC, "--method-column", "g", "--method-values", "score=x"],
            "'y' is not mapped",
        ),
    ],
    ids=[
        "suffix",
        "no-inputs",
        "no-file",
        "no-group-column",
        "no-selection",
        "budget-without-score",
        "unknown-method-value",
        "mapped-to-unknown-method",
        "nothing-selected-by-the-score",
        "value-left-unmapped",
    ],
)
def test_audit_mistakes_get_a_message(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = tmp_path / "t.csv"
    pd.DataFrame({"s": [1.0, 2.0], "g": ["x", "y"]}).to_csv(table, index=False)
    monkeypatch.chdir(tmp_path)
    argv = ["audit", *(a.replace("{table}", str(table)) for a in args)]
    # Options that do not go together or name nothing are usage errors (2); what the table
    # cannot satisfy is refused input (1).
    usage = "--out" in message or "say who" in message or "budget selects" in message
    usage |= "method-values maps" in message or "--scores" in message
    assert main(argv) == (2 if usage else 1)
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# The report in a real browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def _browser() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium found: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium on this machine (CI installs it)")
    return found


def _open(page: Path, tmp_path: Path) -> dict[str, Any]:
    """Open a page headless: screenshot, console messages, requests made by the page."""
    netlog, shot = tmp_path / f"{page.stem}.netlog.json", tmp_path / f"{page.stem}.png"
    run = subprocess.run(
        [
            _browser(),
            *FLAGS,
            f"--log-net-log={netlog}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    # Requests of the page itself (not the browser's own housekeeping): their network
    # isolation key is the page's file:// origin.
    requests = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start
        and str(e.get("params", {}).get("network_isolation_key", "")).startswith("file://")
    ]
    return {"code": run.returncode, "console": console, "requests": requests, "shot": shot}


def test_the_browser_check_catches_a_bad_page(tmp_path: Path) -> None:
    """The detector itself: a page with a console error and a remote image is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><body><img src="http://example.invalid/x.png">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    seen = _open(bad, tmp_path)
    assert any("boom" in line for line in seen["console"])
    assert "http://example.invalid/x.png" in seen["requests"]


def test_report_opens_in_chromium_without_errors_or_requests(result: Any, tmp_path: Path) -> None:
    page = write_report(result, tmp_path / "audit.html", formats=["html"])[0]
    seen = _open(page, tmp_path)
    assert seen["code"] == 0
    assert seen["shot"].stat().st_size > 20_000  # a real screenshot, not a blank page
    assert seen["console"] == []
    assert seen["requests"] == []


# --------------------------------------------------------------------------------------------
# Findings first, in words, both languages; invariant to row order


def _files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_shuffled_rows_give_byte_identical_reports(world: dict[str, Any], tmp_path: Path) -> None:
    """dmde's files, rows shuffled: same figures, intervals, findings and selection, same bytes."""
    root, shuffled = world["root"], tmp_path / "shuffled"
    shuffled.mkdir()
    rng = np.random.default_rng(5)
    for name in ("population.parquet", "scores.parquet"):
        table = pq.read_table(root / name)
        pq.write_table(table.take(rng.permutation(table.num_rows)), shuffled / name)
    shutil.copy(root / "scores.parquet.manifest.json", shuffled / "scores.parquet.manifest.json")
    vouch(shuffled / "scores.parquet.manifest.json", shuffled / "scores.parquet")
    for folder in (root, shuffled):
        args = ["audit", "--scores", str(folder / "scores.parquet")]
        args += ["--population", str(folder / "population.parquet")]
        args += ["--model", str(root / "model.json"), "--budget", str(BUDGET)]
        args += ["--n-boot", "50", "--groups", "gender,age_band,household_type"]
        out = tmp_path / f"report-{folder.name}" / "audit.html"
        assert main([*args, "--out", str(out)]) == 0
    a, b = _files(tmp_path / f"report-{root.name}"), _files(tmp_path / "report-shuffled")
    assert a.keys() == b.keys() and a == b


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_findings_come_first_in_words_and_every_one_is_shown(
    result: Any, lang: str, tmp_path: Path
) -> None:
    written = write_report(result, tmp_path / "audit.html", lang=lang)  # type: ignore[arg-type]
    html = written[0].read_text(encoding="utf-8")
    markdown = (tmp_path / "audit.md").read_text(encoding="utf-8")
    payload = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    findings = payload["data"]["findings"]
    assert findings, "the demo-like world has findings"
    start = html.index('<section id="findings">')
    # Hashes, raw codes and p-values are below the findings.
    assert html.index(result.model["sha256"]) > start
    first_p = html.find("Adjusted p")
    assert first_p == -1 or first_p > start
    assert "couple_with_children" not in html[: html.index("</section>", start)]
    for finding in findings:  # every finding of the JSON is in the HTML and Markdown
        assert finding["sentence"] in html.replace("&#39;", "'")
        assert finding["sentence"] in markdown
        assert {"verdict", "ratio", "ratio_low", "ratio_high", "p_adjusted"} <= set(finding)
    word = "Constats" if lang == "fr" else "Findings"
    assert f"<h2>{word}</h2>" in html


def test_first_screen_shows_the_findings_block(result: Any, tmp_path: Path) -> None:
    """1400×900 in Chromium: the findings' coloured boxes are on the first screen."""
    import matplotlib.image as mpimg

    page = write_report(result, tmp_path / "audit.html", formats=["html"], lang="fr")[0]
    shot = tmp_path / "first-screen.png"
    run = subprocess.run(
        [_browser(), *FLAGS, f"--screenshot={shot}", "--window-size=1400,900", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    pixels = (mpimg.imread(shot)[:, :, :3] * 255).round().astype(int)
    assert pixels.shape[:2] == (900, 1400)
    boxes = {(255, 244, 229), (237, 247, 238)}  # .box.warning and .box.ok backgrounds
    coloured = sum(int((pixels == colour).all(axis=2).sum()) for colour in boxes)
    assert coloured > 0.05 * 900 * 1400, f"findings boxes cover {coloured} pixels"


def test_nothing_tested_is_said_loudly_not_as_an_all_clear(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"s": rng.normal(size=500), "c": rng.random(500) < 0.1, "g": "only"})
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["audit", "--table", str(tmp_path / "t.csv"), "--score-column", "s"]
    args += ["--selected-column", "c", "--group-columns", "g", "--lang", "en"]
    assert main([*args, "--n-boot", "20", "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    findings = html[html.index('<section id="findings">') : html.index("</section>")]
    assert 'class="box ok"' not in findings
    assert "a single group in this table" in findings and "This is not an all-clear" in findings


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_tiny_population_says_why_it_has_no_income_chart(
    family_file: Path, tmp_path: Path, lang: str
) -> None:
    """40 files: every band is suppressed, so the report says so instead of failing to draw."""
    from dmde.audit.inputs import audit_files
    from dmde.batch.scoring import score_file
    from dmde.data.synthetic import write_population

    population, scores = tmp_path / "p.parquet", tmp_path / "s.parquet"
    write_population(population, 40, seed=3, controls=40)
    score_file(family_file, population, scores)
    result = audit_files(
        scores=scores,
        population=population,
        model=family_file,
        budget=5,
        settings=AuditSettings(n_boot=20),
    )
    written = write_report(result, tmp_path / "audit.html", lang=lang)  # type: ignore[arg-type]
    markdown = (tmp_path / "audit.md").read_text(encoding="utf-8")
    note = "No chart by income band" if lang == "en" else "Pas de graphique par tranche"
    assert note in markdown and "income-bands.svg" not in markdown
    assert all(p.exists() for p in written)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_figures_written_at_the_end_in_two_processes_are_the_same_bytes(
    result: Any, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report draws its figures as it goes and writes their SVG at the end, half of them
    in a child process: the same figures, in the same places, as writing each when drawn."""
    import dmde.audit.report as report_module
    from dmde.audit import report_text

    deferred = build_report(result, lang=lang)  # type: ignore[arg-type]
    monkeypatch.setattr(report_module, "_deferred_figures", _no_deferral)
    monkeypatch.setattr(report_module, "_with_figures", lambda sections, _: tuple(sections))
    each = build_report(result, lang=lang)  # type: ignore[arg-type]
    assert len(deferred.figures()) >= report_text.FIGURES_IN_CHILD  # the child wrote some
    assert [(f.id, f.svg) for f in deferred.figures()] == [(f.id, f.svg) for f in each.figures()]
    from dmde.core.rendering import to_html, to_json

    assert to_html(deferred) == to_html(each) and to_json(deferred) == to_json(each)


@contextlib.contextmanager
def _no_deferral() -> Iterator[list[Any]]:
    yield []
