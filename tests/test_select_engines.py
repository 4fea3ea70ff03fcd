"""The DuckDB selection engine gives the Python engine's selection: the same file byte for byte,
the same summary and manifest (but for times and paths), the same refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from dmde.batch.duckdb_selection import select_file_duckdb
from dmde.batch.ranking import tie_keys
from dmde.batch.selection import SelectionError, select_file
from dmde.batch.selection_sql import tie_key_query
from dmde.cli import main

CASES: list[dict[str, Any]] = [
    {"budget": 50},
    {"share": 0.05, "per": "caf_code"},
    {"budget": 80, "per": "caf_code", "random_share": 0.2, "seed": 7},
    {"budget": 90, "per": "caf_code", "min_probability": 0.6, "random_share": 0.3, "seed": 3},
    {"quotas": {"01": 20, "75": 10, "9": 3}, "random_share": 0.5, "seed": 11},
    {"budget": 100, "min_probability": 0.9, "seed": 2**64 - 1},
    {"budget": 1000, "per": "caf_code", "random_share": 0.9, "seed": 2},
    {"budget": 1200, "per": "segment", "random_share": 0.25, "seed": 5},
]


def population(n: int, seed: int) -> pd.DataFrame:
    """Scores with many ties (whole scores), negative ids, unequal groups, empty reasons."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(-(10**6), 10**9), size=n, replace=False).astype(np.int64)
    return pd.DataFrame(
        {
            "dossier_id": ids,
            "caf_code": rng.choice(
                ["01", "75", "2A", "13", "9"], size=n, p=[0.4, 0.3, 0.1, 0.15, 0.05]
            ),
            "score": np.round(rng.normal(500, 30, n)).astype(float),
            "probability": np.round(rng.uniform(0, 1, n), 3),
            "segment": rng.choice(["declarative", "prefilled"], size=n),
            "reason_1_feature": rng.choice(["a", "b", ""], size=n),
            "reason_1_points": np.round(rng.normal(10, 5, n), 2),
        }
    )


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def manifest(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(Path(f"{path}.manifest.json").read_text())
    for key in ("started", "ended", "seconds"):
        record.pop(key)
    record["output"].pop("path")  # each engine writes into a folder of its own
    return record


def both(source: Path, tmp: Path, name: str, **kwargs: Any) -> tuple[Path, Path, str]:
    """Select with each engine into a folder of its own (same file names); the DuckDB engine's
    name (``duckdb`` unless it handed the file over)."""
    (tmp / "python").mkdir(exist_ok=True)
    (tmp / "duckdb").mkdir(exist_ok=True)
    a, b = tmp / "python" / name, tmp / "duckdb" / name
    select_file(source, a, **kwargs)
    engine = select_file_duckdb(source, b, **kwargs).engine
    return a, b, engine


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_same_selection_file_and_manifest(tmp_path: Path, seed: int, kind: str) -> None:
    source = write(population(1_500, seed), tmp_path / f"scores.{kind}")
    for i, kwargs in enumerate(CASES):
        a, b, engine = both(source, tmp_path, f"checks{i}.{kind}", **kwargs)
        assert engine == "duckdb"
        assert a.read_bytes() == b.read_bytes(), kwargs
        assert manifest(a) == manifest(b), kwargs


def test_tie_key_in_sql_is_the_python_rule() -> None:
    rng = np.random.default_rng(0)
    ids = np.concatenate(
        [rng.integers(-(2**63), 2**63 - 1, size=200, dtype=np.int64), [0, -1, 2**63 - 1, -(2**63)]]
    )
    con = duckdb.connect()
    con.register("ids", pd.DataFrame({"dossier_id": ids}))
    for seed in (0, 1, 12345, 2**63, 2**64 - 1):
        got = [k for (k,) in con.execute(tie_key_query("ids", seed=seed)).fetchall()]
        assert got == tie_keys(ids, seed=seed).tolist()


def test_zero_and_minus_zero_tie(tmp_path: Path) -> None:
    scores = pd.DataFrame(
        {
            "dossier_id": np.arange(1, 41),
            "caf_code": ["01"] * 40,
            "score": [0.0, -0.0] * 20,
            "probability": [0.5] * 40,
        }
    )
    source = write(scores, tmp_path / "scores.parquet")
    a, b, engine = both(source, tmp_path, "checks.csv", budget=7)
    assert engine == "duckdb" and a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.assign(score=f["score"].where(f.index != 3, np.nan)), "finite numbers"),
        (lambda f: f.assign(probability=f["probability"] + 0.5), r"must lie in \[0, 1\]"),
        (
            lambda f: f.assign(dossier_id=f["dossier_id"].where(f.index != 5, f["dossier_id"][6])),
            "unique",
        ),
        (lambda f: f.assign(caf_code=f["caf_code"].where(f.index != 2, None)), "must have a value"),
    ],
    ids=["nan-score", "probability", "repeated-id", "missing-group"],
)
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_bad_scores_refused_in_the_same_words(
    tmp_path: Path, change: Any, match: str, kind: str
) -> None:
    source = write(change(population(100, 4)), tmp_path / f"scores.{kind}")
    messages = []
    for engine in (select_file, select_file_duckdb):
        with pytest.raises(SelectionError, match=match) as caught:
            engine(source, tmp_path / "checks.csv", budget=10, per="caf_code")
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert not (tmp_path / "checks.csv").exists()


def test_other_types_are_selected_by_python(tmp_path: Path) -> None:
    frame = population(300, 5).astype({"dossier_id": np.int32})
    source = write(frame, tmp_path / "scores.parquet")
    kwargs = {"budget": 30, "per": "caf_code", "random_share": 0.2}
    a, b, engine = both(source, tmp_path, "checks.parquet", **kwargs)
    assert engine == "python"
    assert a.read_bytes() == b.read_bytes()


def test_odd_csv_numbers_go_to_python(tmp_path: Path) -> None:
    source = tmp_path / "scores.csv"
    population(50, 6).to_csv(source, index=False)
    text = source.read_text().splitlines()
    first = text[1].split(",")
    first[2] = "1_000"  # DuckDB would read it, Arrow refuses it
    source.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n")
    result = None
    with pytest.raises(SelectionError):
        select_file(source, tmp_path / "a.csv", budget=5)
    with pytest.raises(SelectionError):
        result = select_file_duckdb(source, tmp_path / "b.csv", budget=5)
    assert result is None


def test_parameters_refused_before_reading(tmp_path: Path) -> None:
    source = write(population(60, 7), tmp_path / "scores.csv")
    for engine in (select_file, select_file_duckdb):
        with pytest.raises(SelectionError, match="random_share must be"):
            engine(source, tmp_path / "checks.csv", budget=5, random_share=1.5)
        with pytest.raises(SelectionError, match="budget must be an int in the range"):
            engine(source, tmp_path / "checks.csv", budget=61)


def test_cli_engine_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(population(400, 8), tmp_path / "scores.csv")
    outputs = []
    for engine in ("python", "duckdb"):
        (tmp_path / engine).mkdir()
        out = tmp_path / engine / "checks.csv"
        argv = ["select", "--scores", str(source), "--out", str(out), "--budget", "40"]
        argv += ["--per", "caf_code", "--random-share", "0.1", "--engine", engine]
        assert main(argv) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert "selected 40 of 400 files" in capsys.readouterr().out
