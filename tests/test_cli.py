"""The command line: exit codes, messages, no traceback for a user mistake."""

from __future__ import annotations

import argparse
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import dmde
from dmde import __version__
from dmde.cli import main
from dmde.cli.options import _shown_default, _subcommands, build_parser
from dmde.data.dictionary import data_dictionary_markdown


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"dmde {__version__}"


def test_catalog_markdown_is_the_committed_dictionary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == data_dictionary_markdown()


def test_catalog_text_by_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--family", "sensitive"]) == 0
    out = capsys.readouterr().out
    assert "nationality_group" in out and "excluded (audit only)" in out
    assert "n_children" not in out


def test_synth_then_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pop.csv"
    assert (
        main(
            [
                "synth",
                "--rows",
                "2000",
                "--controls",
                "200",
                "--seed",
                "3",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "wrote 2,000 households (200 in the random-control sample" in capsys.readouterr().out
    assert main(["validate", str(out)]) == 0
    assert "2,000 rows" in capsys.readouterr().out


def test_validate_bad_file_exits_1_with_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "pop.csv"
    assert main(["synth", "--rows", "500", "--controls", "50", "--quiet", "--out", str(good)]) == 0
    lines = good.read_text().splitlines()
    header = lines[0].split(",")
    age = header.index("age")
    row = lines[3].split(",")
    row[age] = "212"
    lines[3] = ",".join(row)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "'age'" in out and "row 3: 212" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["validate", "no/such/file.csv"], 1, "no/such/file.csv"),
        (
            ["synth", "--rows", "10", "--controls", "20", "--out", "x.csv"],
            2,
            "--controls must be a whole number from 0 to the number of rows",
        ),
        (["synth", "--rows", "10", "--controls", "0", "--out", "x.txt"], 1, "x.txt"),
        (["synth", "--rows", "ten", "--out", "x.csv"], 2, "expected a whole number, got 'ten'"),
        (["synth", "--rows", "10"], 2, "the following arguments are required: --out"),
        (["nope"], 2, "invalid choice: 'nope'"),
    ],
    ids=[
        "missing-file",
        "too-many-controls",
        "bad-extension",
        "bad-number",
        "missing-out",
        "unknown-command",
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(
    argv: list[str],
    code: int,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        result = main(argv)
    except SystemExit as exc:  # argparse usage errors
        result = int(exc.code or 0)
    err = capsys.readouterr().err
    assert result == code
    assert message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dmde", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "synth" in proc.stdout and "validate" in proc.stdout


def test_train_on_the_committed_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(out), "--cv", "3"]) == 0
    printed = capsys.readouterr().out
    assert "rows: 1,000" in printed and "AUC cross-validated" in printed
    assert "points, segment prefilled" in printed and f"wrote {out}" in printed
    from dmde.model.model_file import load_model

    assert load_model(out).segments_ == ("declarative", "prefilled")


def test_train_tune_prints_the_table_and_fits_the_chosen_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    argv = ["train", "--data", str(sample), "--out", str(out), "--cv", "3", "--single"]
    assert main([*argv, "--tune", "--tune-rule", "best", "--C", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("chosen (best, 3 folds, seed 0): C=")
    from dmde.model.model_file import load_model
    from dmde.model.tuning import DEFAULT_GRID

    chosen = float(printed.split("C=")[1].split(",")[0])
    assert chosen in {*DEFAULT_GRID["C"], 0.5}  # the template is a candidate
    assert chosen == load_model(out).C


def test_train_tune_shrink_records_the_slope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    argv = ["train", "--data", str(sample), "--out", str(out), "--cv", "3", "--single"]
    assert main([*argv, "--tune", "--shrink"]) == 0
    printed = capsys.readouterr().out
    shrinkage = float(printed.split("\nshrinkage ")[1].split(" ")[0])
    from dmde.model.model_file import load_model

    assert 0 < shrinkage <= 1
    assert load_model(out).shrinkage == pytest.approx(shrinkage, abs=5e-5)
    assert main([*argv, "--shrink"]) == 2
    assert "--shrink shrinks by the calibration slope that --tune measures" in (
        capsys.readouterr().err
    )


def test_train_tune_rule_needs_tune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(out), "--tune-rule", "best"]) == 2
    assert "add --tune" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--features", "n_children,gender"], "column 'gender' (family 'sensitive')"),
        (["--target", "age"], "--target 'age' must be a label column"),
        (["--segment-column", "household_type"], "--segment-column 'household_type' is in family"),
    ],
    ids=["sensitive-feature", "bad-target", "situation-routing"],
)
def test_train_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    code = 2 if extra[0] == "--target" else 1  # a wrong option, or a refused column
    assert main(["train", "--data", str(sample), "--out", str(out), *extra]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_score_engine_duckdb_writes_the_python_engine_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    outs = {}
    for engine in ("python", "duckdb"):
        outs[engine] = tmp_path / f"{engine}.csv"
        argv = ["score", "--model", str(model), "--input", str(sample), "--quiet"]
        assert main([*argv, "--out", str(outs[engine]), "--engine", engine]) == 0
    assert outs["python"].read_bytes() == outs["duckdb"].read_bytes()
    assert "read 10,000 rows: scored 10,000" in capsys.readouterr().out


def test_score_engine_duckdb_says_when_it_hands_a_file_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)[:101]
    blank = tmp_path / "blank-line.csv"
    blank.write_text("".join([*lines[:51], "\n", *lines[51:]]), encoding="utf-8")
    capsys.readouterr()
    argv = ["score", "--model", str(model), "--input", str(blank), "--quiet", "--engine"]
    assert main([*argv, "duckdb", "--out", str(tmp_path / "s.csv")]) == 0
    captured = capsys.readouterr()
    assert "note: scored by the python engine" in captured.err
    assert "scored 100, rejected 1" in captured.out


def test_sql_command_writes_the_query_and_the_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    query, refused = tmp_path / "score.sql", tmp_path / "rejects.sql"
    argv = ["sql", "--model", str(model), "--table", "households", "--out", str(query)]
    assert main([*argv, "--rejects", str(refused), "--reasons", "1", "--dialect", "DuckDB"]) == 0
    assert f"wrote {query} and {refused} (duckdb)" in capsys.readouterr().out  # case ignored
    from dmde.model.model_file import load_model

    text = query.read_text(encoding="utf-8")
    digest = load_model(model).model_sha256_
    assert text.startswith(f"-- dmde scorecard: model sha256 {digest}")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE households AS SELECT * FROM read_csv_auto('{sample}')")
    assert len(con.execute(text).fetchall()) == 10_000
    assert con.execute(refused.read_text(encoding="utf-8")).fetchall() == []


@pytest.mark.parametrize(
    ("extra", "message", "code"),
    [
        (["--dialect", "klingon"], "--dialect must be a SQL dialect", 2),
        (["--row-column", "row"], "--row-column numbers the rows of the rejects query", 2),
        (["--table", 'house"holds'], "--table must be a table name", 2),
        (["--table", "h'x"], "--table must be a table name", 2),
        (["--rejects", "SAME"], "--rejects must be another file than the SQL query", 2),
        (["--out", "MODEL"], "--out must be another file than the model file", 2),
    ],
    ids=[
        "dialect",
        "row-column-alone",
        "lone-double-quote",
        "lone-single-quote",
        "rejects-is-out",
        "out-is-model",
    ],
)
def test_sql_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str, code: int
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "score.sql"
    extra = [{"SAME": str(out), "MODEL": str(model)}.get(word, word) for word in extra]
    argv = ["sql", "--model", str(model), "--table", "t", "--out", str(out), *extra]
    before = model.read_bytes()
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not out.exists()
    assert model.read_bytes() == before  # the model file untouched


def test_monitor_finds_the_planted_reform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    panel, model = tmp_path / "panel", tmp_path / "model.json"
    argv = ["synth", "--rows", "20000", "--months", "14", "--start", "2025-04", "--quiet"]
    assert (
        main([*argv, "--controls", "1500", "--shift", "benefit_reform", "--out", str(panel)]) == 0
    )
    first = panel / "snapshot_month=2025-04" / "part-0.parquet"
    assert main(["train", "--data", str(first), "--out", str(model), "--cv", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "monitor" / "monitor.html"
    argv = ["monitor", "--model", str(model), "--baseline", str(first), "--months", str(panel)]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    findings = [line for line in printed.splitlines() if line.startswith("- ")]
    assert len(findings) == 1 and "mean_cf_12m is unstable from 2026-04" in findings[0]
    assert out.exists() and out.with_suffix(".json").exists()


def test_monitor_refuses_a_folder_without_months(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    capsys.readouterr()
    argv = ["monitor", "--model", str(model), "--baseline", str(sample), "--months"]
    assert main([*argv, str(tmp_path), "--out", str(tmp_path / "m.html")]) == 1
    err = capsys.readouterr().err
    assert "holds no panel" in err and "Traceback" not in err
    before = model.read_bytes()
    argv = ["monitor", "--model", str(model), "--baseline", str(sample), "--months"]
    assert main([*argv, str(tmp_path), "--out", str(tmp_path / "model.html")]) == 2
    err = capsys.readouterr().err
    assert "--out must be another file than the model file" in err
    assert model.read_bytes() == before


def test_synth_months_writes_a_panel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "panel"
    argv = ["synth", "--rows", "3000", "--months", "2", "--start", "2026-11", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "wrote 2 months (2026-11 to 2026-12)" in capsys.readouterr().out
    months = sorted(p.parent.name for p in out.glob("snapshot_month=*/part-0.parquet"))
    assert months == ["snapshot_month=2026-11", "snapshot_month=2026-12"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "2025-03"], "--start: only with --months N"),
        (["--shift", "benefit_reform", "--format", "csv"], "--format, --shift: only with"),
        (["--months", "2", "--start", "2025-3"], "--start must be a month written YYYY-MM"),
        (["--months", "4", "--shift-month", "3"], "--shift-month says when --shift happens"),
        (["--months", "6", "--shift", "benefit_reform"], "in month 13 by default, after the"),
        (["--months", "6", "--shift", "benefit_reform", "--shift-month", "0"], "got 0"),
    ],
    ids=["start-alone", "shift-alone", "bad-month", "shift-month-alone", "default-late", "zero"],
)
def test_synth_panel_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "out.parquet"
    assert main(["synth", "--rows", "500", *extra, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_score_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "scores.parquet"
    assert (
        main(["score", "--model", str(model), "--input", str(sample), "--out", str(out), "--quiet"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "read 10,000 rows: scored 10,000, rejected 0" in printed
    assert out.exists() and (tmp_path / "scores.rejects.csv").exists()
    assert (tmp_path / "scores.parquet.manifest.json").exists()
    assert (
        main(
            [
                "score",
                "--model",
                str(tmp_path / "nope.json"),
                "--input",
                str(sample),
                "--out",
                str(tmp_path / "x.parquet"),
            ]
        )
        == 1
    )
    assert "cannot read model file" in capsys.readouterr().err


def test_select_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    model, scores = tmp_path / "model.json", tmp_path / "scores.parquet"
    assert main(["train", "--data", str(sample), "--out", str(model), "--cv", "2"]) == 0
    assert (
        main(
            [
                "score",
                "--model",
                str(model),
                "--input",
                str(sample),
                "--out",
                str(scores),
                "--quiet",
            ]
        )
        == 0
    )
    capsys.readouterr()
    out = tmp_path / "selection.csv"
    assert (
        main(
            [
                "select",
                "--scores",
                str(scores),
                "--budget",
                "100",
                "--per",
                "caf_code",
                "--random-share",
                "0.1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "selected 100 of 10,000 files (90 by score, 10 at random" in capsys.readouterr().out
    import pandas as pd

    chosen = pd.read_csv(out, dtype={"caf_code": str})
    assert len(chosen) == 100 and chosen["dossier_id"].is_unique
    assert (tmp_path / "selection.csv.manifest.json").exists()
    quotas = tmp_path / "quotas.csv"
    quotas.write_text("caf_code,quota\n75,3\n2A,x\n")
    assert (
        main(
            [
                "select",
                "--scores",
                str(scores),
                "--quotas",
                str(quotas),
                "--out",
                str(tmp_path / "q.csv"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "quotas.csv" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# Every bad option of every command: one line on stderr, naming the flag, with its exit code
# (2: the command line is wrong; 1: the inputs are refused). Documented in `dmde --help`.
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small population, a model, its scores and a selection, made with the command itself."""
    folder = tmp_path_factory.mktemp("world")
    steps = [
        ["synth", "--rows", "3000", "--controls", "1500", "--out", "pop.csv", "--quiet"],
        ["train", "--data", "pop.csv", "--out", "model.json", "--cv", "2"],
        ["score", "--model", "model.json", "--input", "pop.csv", "--out", "scores.parquet"],
        ["select", "--scores", "scores.parquet", "--budget", "100", "--out", "sel.csv"],
        ["keygen", "--out", "committee"],  # a key pair; model.json stays unsigned
    ]
    here = Path.cwd()
    try:
        os.chdir(folder)
        for step in steps:
            assert main([*step[:1], *step[1:]]) == 0, step
    finally:
        os.chdir(here)
    return folder


OWN = ["--scores", "scores.parquet", "--population", "pop.csv", "--model", "model.json"]
SCORE = "--model model.json --input pop.csv --out s.parquet"
EXPLAIN = "--model model.json --input pop.csv --dossier 1 --out n.html"
BAD_OPTIONS: list[tuple[str, int, str]] = [
    # (command line, exit code, what the one line must name)
    ("catalog --format xml", 2, "--format"),
    ("catalog --family nope", 2, "--family"),
    ("synth --rows -5 --out x.csv", 2, "--rows"),
    ("synth --rows 100 --controls 500 --out x.csv", 2, "--controls"),
    ("synth --rows 100 --scenario nope --out x.csv", 2, "--scenario"),
    ("synth --rows 100 --controls 10 --out x.txt", 1, "x.txt"),
    ("synth --rows many --out x.csv", 2, "--rows"),
    ("validate missing.csv", 1, "missing.csv"),
    ("train --data pop.csv --out m.json --C -1", 2, "--C must be"),
    ("train --data pop.csv --out m.json --C 0", 2, "--C must be"),
    ("train --data pop.csv --out m.json --min-bin-share 0.9", 2, "--min-bin-share must be"),
    ("train --data pop.csv --out m.json --rare-level-share 2", 2, "--rare-level-share must be"),
    ("train --data pop.csv --out m.json --max-prebins 1", 2, "--max-prebins must be"),
    ("train --data pop.csv --out m.json --pdo -20", 2, "--pdo must be"),
    ("train --data pop.csv --out m.json --base-odds 0", 2, "--base-odds must be"),
    ("train --data pop.csv --out m.json --base-points nan", 2, "--base-points"),
    ("train --data pop.csv --out m.json --cv 1", 2, "--cv must be"),
    ("train --data pop.csv --out m.json --monotonic-trend up", 2, "--monotonic-trend"),
    ("train --data pop.csv --out m.json --features nope", 1, "'nope'"),
    ("train --data pop.csv --out m.json --features gender", 1, "'gender'"),
    ("train --data pop.csv --out m.json --target nope", 2, "--target"),
    ("train --data pop.csv --out m.json --segment-column nope", 1, "--segment-column"),
    ("train --data missing.csv --out m.json", 1, "missing.csv"),
    ("score --model model.json --input pop.csv --out s.txt", 2, "--out"),
    ("score --model pop.csv --input pop.csv --out s.parquet", 1, "pop.csv"),
    ("score --model missing.json --input pop.csv --out s.parquet", 1, "missing.json"),
    ("score --model model.json --input missing.csv --out s.parquet", 1, "missing.csv"),
    ("score --model model.json --input pop.csv --out s.parquet --reasons x", 2, "--reasons"),
    ("score --modle model.json --input pop.csv --out s.parquet", 2, "did you mean --model?"),
    ("select --scores scores.parquet --out o.csv --budget 10 --zzz 3", 2, "--zzz"),
    ("select --scores scores.parquet --out o.csv", 2, "--budget"),
    ("select --scores scores.parquet --out o.csv --budget 10 --share 0.1", 2, "--share"),
    ("select --scores scores.parquet --out o.csv --share 1.5", 2, "--share must be"),
    ("select --scores scores.parquet --out o.csv --share 0", 2, "--share must be"),
    (
        "select --scores scores.parquet --out o.csv --budget 10 --random-share 1.5",
        2,
        "--random-share",
    ),
    (
        "select --scores scores.parquet --out o.csv --budget 10 --random-share -0.1",
        2,
        "--random-share",
    ),
    (
        "select --scores scores.parquet --out o.csv --budget 10 --min-probability 2",
        2,
        "--min-probability",
    ),
    ("select --scores scores.parquet --out o.csv --budget 10 --per nope", 1, "nope"),
    (
        "select --scores scores.parquet --out o.csv --budget 10 --quotas missing.csv",
        1,
        "missing.csv",
    ),
    ("select --scores scores.parquet --out o.txt --budget 10", 2, "--out"),
    ("select --scores pop.csv --out o.csv --budget 10", 1, "pop.csv"),
    ("select --scores scores.parquet --out o.csv --budget -3", 2, "--budget"),
    ("audit --out a.html", 2, "--scores"),
    ("audit " + " ".join(OWN) + " --out a.html", 2, "--selection"),
    ("audit " + " ".join(OWN) + " --budget 10 --out a.txt", 2, "--out"),
    ("audit --table pop.csv --scores scores.parquet --out a.html", 2, "--table"),
    ("audit --table pop.csv --score-column score --out a.html", 2, "--group-columns"),
    ("audit " + " ".join(OWN) + " --budget 10 --band 2,3 --out a.html", 2, "--band"),
    (
        "audit " + " ".join(OWN) + " --budget 10 --reference gender=nope --out a.html",
        2,
        "--reference",
    ),
    ("audit " + " ".join(OWN) + " --budget 10 --reference nope --out a.html", 2, "--reference"),
    ("audit " + " ".join(OWN) + " --budget 10 --groups nope --out a.html", 2, "nope"),
    ("audit " + " ".join(OWN) + " --budget 10 --min-cell 0 --out a.html", 2, "--min-cell"),
    ("audit " + " ".join(OWN) + " --budget 100000 --out a.html", 2, "--budget"),
    ("audit " + " ".join(OWN) + " --budget 10 --correction nope --out a.html", 2, "--correction"),
    ("audit " + " ".join(OWN) + " --budget 10 --lang de --out a.html", 2, "--lang"),
    (
        "audit --table pop.csv --method-values x --group-columns gender --out a.html",
        2,
        "--method-values",
    ),
    ("document --model model.json --out d --budget-share 2", 2, "--budget-share"),
    ("document --model missing.json --out d", 1, "missing.json"),
    ("document --model model.json --out d --audit missing.html", 1, "missing"),
    ("diff model.json model.json --out d.html --budget 10", 2, "--population"),
    ("diff model.json missing.json --out d.html", 1, "missing.json"),
    ("explain --model model.json --input pop.csv", 2, "--dossier"),
    ("explain --model model.json --input pop.csv --dossier x --out n.html", 2, "--dossier"),
    ("explain --model model.json --input pop.csv --dossier -1 --out n.html", 1, "-1"),
    ("explain --model model.json --input pop.csv --dossier 1 --out n.xyz", 1, "n.xyz"),
    ("explain --model model.json --input pop.csv --out-dir nd", 2, "--out-dir"),
    (
        "explain --model model.json --input pop.csv --selection missing.csv --out-dir nd",
        1,
        "missing.csv",
    ),
    (
        "explain --model model.json --input pop.csv --dossier 1 --out n.html --format pdf",
        2,
        "--format",
    ),
    ("demo --rows 10 --out dd", 2, "--rows"),
    ("demo --rows many --out dd", 2, "--rows"),
    ("keygen", 2, "--out"),
    ("keygen --out committee", 1, "committee.key exists"),
    ("keygen --out other.key", 2, "--out must be a name without .key or .pub"),
    ("keygen --out other.pub", 2, "--out"),
    ("keygen --out nowhere/k", 1, "nowhere/k.key"),
    ("sign --model model.json", 2, "--key"),
    ("sign --key committee.key", 2, "--model"),
    ("sign --model model.json --key missing.key", 1, "missing.key"),
    ("sign --model model.json --key committee.pub", 1, "this is a public key"),
    ("sign --model model.json --key sel.csv", 1, "not a PEM private key"),
    ("sign --model model.json --key pop.csv", 1, "at most 65,536 bytes"),
    ("sign --model missing.json --key committee.key", 1, "missing.json"),
    ("sign --model pop.csv --key committee.key", 1, "pop.csv"),
    ("sign --model model.json --key committee.key --signer ''", 2, "--signer must be"),
    ("sign --model model.json --key committee.key --signer", 2, "--signer"),
    (f"score {SCORE} --verify-key committee.pub", 1, "no signature file model.json.sig"),
    (f"score {SCORE} --verify-key committee.key", 1, "this is a private key"),
    (f"score {SCORE} --verify-key missing.pub", 1, "missing.pub"),
    (f"score {SCORE} --verify-key sel.csv", 1, "not a PEM public key"),
    (f"score {SCORE} --verify-key", 2, "--verify-key"),
    ("audit " + " ".join(OWN) + " --budget 10 --out a.html --verify-key committee.pub", 1, ".sig"),
    ("document --model model.json --out d --verify-key committee.pub", 1, "model.json.sig"),
    ("diff model.json model.json --out d.html --verify-key committee.pub", 1, "model.json.sig"),
    (f"explain {EXPLAIN} --verify-key committee.pub", 1, "no signature file model.json.sig"),
    (f"explain {EXPLAIN} --verify-key committee.key", 1, "this is a private key"),
    (
        "audit " + " ".join(OWN) + " --budget 10 --out model.html",
        2,
        "--out must be another file than the model file 'model.json'",
    ),
]


@pytest.mark.parametrize(("line", "code", "names"), BAD_OPTIONS, ids=[b[0] for b in BAD_OPTIONS])
def test_every_bad_option_gets_one_line_and_its_exit_code(
    world: Path,
    line: str,
    code: int,
    names: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(world)
    before = sorted(world.iterdir())
    argv = shlex.split(line)
    try:
        result = main(argv)
    except SystemExit as exc:  # argparse's own checks
        result = int(exc.code or 0)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dmde {argv[0]}: error: "), err
    assert names in lines[0]
    assert result == code, err
    assert sorted(world.iterdir()) == before  # nothing written, not even a temporary file


def test_the_exit_codes_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 done; 1 the inputs are refused" in out and "2 the command line" in out


def test_synth_samples_every_row_of_a_file_smaller_than_the_default_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "small.csv"
    assert main(["synth", "--rows", "1000", "--out", str(out), "--quiet"]) == 0
    assert "1,000 in the random-control sample" in capsys.readouterr().out


def test_explain_refuses_a_selection_without_its_manifest_unless_trusted(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    loose = tmp_path / "loose.csv"
    shutil.copyfile(world / "sel.csv", loose)  # no manifest beside it
    dossier = pd.read_csv(loose)["dossier_id"].iloc[0]
    monkeypatch.chdir(world)
    base = ["explain", "--model", "model.json", "--input", "pop.csv", "--selection", str(loose)]
    base += ["--dossier", str(dossier), "--out", str(tmp_path / "n.html")]
    assert main(base) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--trust-selection" in err
    assert main([*base, "--trust-selection"]) == 0
    assert (tmp_path / "n.html").is_file()


def test_every_renamed_parameter_is_one_the_command_passes() -> None:
    # A flag mapped from a name no function takes would never be used: the map would drift.
    from dmde.audit.inputs import audit_files, audit_table
    from dmde.cli.options import PARAMETER_FLAGS
    from dmde.documents.compare import diff_files
    from dmde.documents.explain import explain_file, write_notices
    from dmde.model.signing import generate_key_pair

    called = {
        "score": [dmde.score_file],
        "select": [dmde.select_file],
        "diff": [diff_files],
        "explain": [explain_file, write_notices],
        "audit": [audit_files, audit_table],
        "keygen": [generate_key_pair],
    }
    for command, renamed in PARAMETER_FLAGS.items():
        taken = {p for f in called[command] for p in inspect.signature(f).parameters}
        assert set(renamed) <= taken, command


# --------------------------------------------------------------------------------------------
# Every --help says its defaults one way: "(default: X)" at the end of the option's help.
def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if a.help
        and not isinstance(a, argparse._HelpAction | argparse._VersionAction)
        and not isinstance(a, argparse._SubParsersAction)
    ]


PARSER = build_parser()
PARSERS = {"dmde": PARSER, **{name: p for name, p in _subcommands(PARSER).items()}}
DEFAULT_AT_END = re.compile(r"^(?P<help>.+?) \(default: (?P<default>[^()]+(?:\([^()]*\))?)\)$")


@pytest.mark.parametrize("command", sorted(PARSERS), ids=sorted(PARSERS))
def test_every_help_says_its_default_one_way(command: str) -> None:
    parser = PARSERS[command]
    words = getattr(parser, "default_words", {})
    for action in _options(parser):
        text = str(action.help)
        found = DEFAULT_AT_END.match(text)
        head = found["help"] if found else text
        # the help itself never says a default (nor a bare value in brackets at its end)
        assert "default" not in head.lower(), (command, action.dest, text)
        assert not re.search(r"\(\d[\d,.]*\)$", head), (command, action.dest, text)
        has_default = not (
            action.required
            or action.default is None
            or action.default is False
            or action.default == []
        )
        if action.dest in words:
            assert found and found["default"] == words[action.dest].replace("%", "%%")
        elif has_default:
            assert found, (command, action.dest, text)
            assert found["default"] == _shown_default(action)
        else:
            assert found is None, (command, action.dest, text)
    shown = " ".join(parser.format_help().split())  # argparse's % formatting works on each
    assert shown.count("(default: ") == sum(
        bool(DEFAULT_AT_END.match(str(a.help))) for a in _options(parser)
    )


@pytest.mark.parametrize(
    ("value", "dest", "expected"),
    [
        (1_000_000, "rows", "1,000,000"),
        (2026, "seed", "2026"),
        (0, "seed", "0"),
        (0.02, "min_bin_share", "0.02"),
        (1.0, "C", "1"),
        ((0.8, 1.25), "band", "0.8,1.25"),
        ("text", "format", "text"),
        (Path("demo"), "out", "demo"),
        (None, "rejects", None),
        (False, "quiet", None),
        ([], "reference", None),
    ],
    ids=[
        "count",
        "seed",
        "zero seed",
        "share",
        "float",
        "pair",
        "text",
        "path",
        "none",
        "flag",
        "empty list",
    ],
)
def test_a_default_is_shown_as_it_is_typed(value: object, dest: str, expected: str | None) -> None:
    action = argparse.Action(["--x"], dest, default=value)
    assert _shown_default(action) == expected


@pytest.mark.parametrize(
    ("line", "absent"),
    [
        ("--help", ("pandas", "sklearn", "matplotlib", "scipy", "dmde.audit", "dmde.model")),
        ("score --help", ("sklearn", "matplotlib", "dmde.audit")),
        ("select --help", ("sklearn", "matplotlib", "dmde.audit")),
    ],
)
def test_help_imports_only_what_it_shows(line: str, absent: tuple[str, ...]) -> None:
    """Start-up time is import time: help never loads the audit, scikit-learn or matplotlib."""
    code = (
        "import sys\nfrom dmde.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *shlex.split(line)], capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    assert not {m for m in loaded if m.split(".")[0] in absent or m.startswith(absent)}
