"""The command line: exit codes, messages, no traceback for a user mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dmde import __version__
from dmde.cli import main
from dmde.data.catalog import data_dictionary_markdown


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
            1,
            "controls must be a whole number from 0 to the number of rows",
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


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--features", "n_children,gender"], "column 'gender' (family 'sensitive')"),
        (["--target", "age"], "target 'age' must be a label column"),
        (["--segment-column", "household_type"], "segment_column 'household_type' is in family"),
    ],
    ids=["sensitive-feature", "bad-target", "situation-routing"],
)
def test_train_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "population-10k.csv"
    out = tmp_path / "model.json"
    assert main(["train", "--data", str(sample), "--out", str(out), *extra]) == 1
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
