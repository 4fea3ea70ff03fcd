"""The scoring path's imports: ``dmde score`` of a model file never loads pandas, scikit-learn,
SciPy or matplotlib (a structural test, not a timed one: start-up is most of a small run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from dmde.data.datasets import arrow_schema, write_batches

HEAVY = ("pandas", "sklearn", "scipy", "matplotlib")

_RUN = """
import json, sys
import dmde.cli.commands, dmde.batch.scoring
from dmde.cli import main
code = main(["score", "--model", sys.argv[1], "--input", sys.argv[2], "--out", sys.argv[3],
             "--quiet"])
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def _loaded_by_score(model: Path, data: Path, out: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN.format(heavy=HEAVY), str(model), str(data), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_score_of_a_csv_loads_no_heavy_library(
    population: pd.DataFrame, family_file: Path, tmp_path: Path
) -> None:
    # bad values too: the rejects are written and summed up by the same path, and a value
    # that does not parse sends the file through the value-by-value reading
    clean = tmp_path / "clean.csv"
    write_batches(clean, [population.head(3_000)], schema=arrow_schema(population.columns))
    lines = clean.read_text().splitlines()
    header = lines[0].split(",")
    edits = (
        (1, "n_children", "99"),
        (2, "income_reporting", '"monthly"'),
        (9, "income_to_smic", "x"),
    )
    for row, column, value in edits:
        cells = lines[row].split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells)
    data = tmp_path / "households.csv"
    data.write_text("\n".join(lines) + "\n")

    result = _loaded_by_score(family_file, data, tmp_path / "scores.parquet")

    assert result == {"code": 0, "loaded": []}
    assert (tmp_path / "scores.rejects.csv").read_text().count("\n") == 4  # header + 3 lines


def test_score_to_csv_from_parquet_loads_no_heavy_library(
    population: pd.DataFrame, family_file: Path, tmp_path: Path
) -> None:
    data = tmp_path / "households.parquet"
    write_batches(data, [population.head(3_000)], schema=arrow_schema(population.columns))

    result = _loaded_by_score(family_file, data, tmp_path / "scores.csv")

    assert result == {"code": 0, "loaded": []}
