"""Benchmark: issue 14's table, every row measured the way a user runs it.

Each step is the ``dmde`` command line in a fresh Python process (imports included), reading its
inputs from files, median of ``--repeats`` runs; peak memory is the process's maximum resident
size. The inputs are made first (synthetic population, model, scores), outside the timings.

    python benchmarks/limits.py                 # about 10 minutes on 2 cores
    python benchmarks/limits.py --rows 5000000  # the score ratio at 5M rows too
    python benchmarks/limits.py --quick         # small sizes: checks the script runs

Rows printed (target in the last columns):

- ``dmde --help`` start-up (a whole ``python -m dmde --help`` process);
- ``dmde score`` of a 2M-row CSV against ``pyarrow.csv.read_csv`` of the same file, and the
  scoring path's imports alone (a process that imports ``dmde.batch.scoring``: no scikit-learn);
- ``dmde train`` on 1M labelled rows (the family; the fit, the 5-fold CV it runs, reading and
  imports), the same with ``--cv 0`` (no cross-validation), and on a 7,500-row survey; the
  family's fit alone on the 1M rows, in memory;
- ``dmde audit`` of 1M rows, 7 attributes, ``--budget 12000``, report included;
- ``dmde select`` of 13.8M scores (a 1M-row ``dmde score`` output repeated with distinct ids).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure_cli, measure_code, tile_parquet

Measure = dict[str, float]

_FIT = """
import time
from dmde.data import datasets
from dmde.model import training
from dmde.model.scorecard import ScorecardFamily
data = training.training_data(datasets.read_dataset({path!r}))
start = time.perf_counter()
ScorecardFamily().fit(data.X, data.y, sample_weight=data.weight)
bench_figures = {{"fit_seconds": time.perf_counter() - start}}
"""


def median(step: Callable[[], Measure], repeats: int) -> Measure:
    runs = [step() for _ in range(repeats)]
    return {
        key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "peak_bytes"
    } | {"peak_bytes": max(r["peak_bytes"] for r in runs)}


def cli(*words: object) -> Measure:
    """A ``dmde`` command in a fresh process: seconds and peak bytes."""
    return measure_cli([str(w) for w in words])


def process_seconds(argv: list[str]) -> Measure:
    """Wall time of a whole process (interpreter start-up included); no memory figure."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return {"seconds": time.perf_counter() - start, "peak_bytes": float("nan")}


def row(step: str, measured: Measure, target: str, ok: bool | None, note: str = "") -> None:
    memory = measured["peak_bytes"] / 1e6
    shown = "" if memory != memory else f"{memory:,.0f}"  # NaN: not measured
    verdict = "" if ok is None else ("meets" if ok else "MISSES")
    print(
        f"{step:<46}{measured['seconds']:>9.2f}{shown:>9}  {target:<22}{verdict:<7}{note}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the score file")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--dir", type=Path, default=None, help="where the inputs go")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    score_rows = 20_000 if args.quick else args.rows
    train_rows = 20_000 if args.quick else 1_000_000
    national = 100_000 if args.quick else 13_800_000
    budget = 200 if args.quick else 12_000

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        pop_csv, pop = d / "pop.csv", d / "pop.parquet"
        labelled, survey = d / "labelled.parquet", d / "survey.parquet"
        model, scores = d / "model.json", d / "scores.parquet"
        cli("synth", "--rows", score_rows, "--quiet", "--out", pop_csv)
        cli("synth", "--rows", train_rows, "--quiet", "--out", pop)
        cli("synth", "--rows", train_rows, "--controls", train_rows, "--quiet", "--out", labelled)
        cli("synth", "--rows", 100_000, "--controls", 7_500, "--quiet", "--out", survey)
        cli("train", "--data", survey, "--out", model)
        cli("score", "--model", model, "--input", pop, "--out", scores)

        print(
            f"{'step (fresh process, from files)':<46}{'seconds':>9}{'peak MB':>9}  "
            f"{'target':<22}verdict"
        )
        help_run = median(lambda: process_seconds([sys.executable, "-m", "dmde", "--help"]), 5)
        row("dmde --help (whole process)", help_run, "<= 0.3 s", help_run["seconds"] <= 0.3)

        imports = median(
            lambda: process_seconds([sys.executable, "-c", "import dmde.batch.scoring"]), 5
        )
        row("dmde score's imports (whole process)", imports, "", None, "no scikit-learn")

        read = f"import pyarrow.csv as c\nc.read_csv({str(pop_csv)!r})"
        parse = median(lambda: measure_code(read), repeats)
        row(f"pyarrow.csv.read_csv, {score_rows:,} rows", parse, "the parse limit", None)
        out = d / "scored.parquet"
        scored = median(
            lambda: cli("score", "--model", model, "--input", pop_csv, "--out", out, "--quiet"),
            repeats,
        )
        ratio = scored["seconds"] / parse["seconds"]
        fits = ratio <= 1.5 and scored["peak_bytes"] <= 1e9
        row(
            f"dmde score CSV, {score_rows:,} rows",
            scored,
            "<= 1.5x parse, 1 GB",
            fits,
            f"{ratio:.2f}x parse",
        )

        for name, data, target, limit, options in (
            (f"dmde train, {train_rows:,} labelled rows", labelled, "<= 2 s", 2.0, ()),
            (f"dmde train --cv 0, {train_rows:,} rows", labelled, "<= 2 s", 2.0, ("--cv", 0)),
            ("dmde train, 7,500-row survey", survey, "keep ~0.3 s", None, ()),
        ):
            trained = median(
                lambda data=data, options=options: cli(
                    "train", "--data", data, "--out", d / "m2.json", *options
                ),
                repeats,
            )
            row(name, trained, target, None if limit is None else trained["seconds"] <= limit)

        fit = median(lambda: measure_code(_FIT.format(path=str(labelled))), repeats)
        row(
            f"  the family's fit alone, in memory ({train_rows:,})",
            {"seconds": fit["fit_seconds"], "peak_bytes": float("nan")},
            "<= 2 s",
            fit["fit_seconds"] <= 2.0,
            "no reading, imports or CV",
        )

        report = d / "report" / "audit.html"
        audited = median(
            lambda: cli(
                "audit",
                "--scores",
                scores,
                "--population",
                pop,
                "--model",
                model,
                "--budget",
                budget,
                "--out",
                report,
            ),
            repeats,
        )
        row(
            f"dmde audit, {train_rows:,} rows, report", audited, "<= 10 s", audited["seconds"] <= 10
        )

        big = d / "national-scores.parquet"
        tile_parquet(str(scores), national, str(big))
        chosen = median(
            lambda: cli(
                "select",
                "--scores",
                big,
                "--budget",
                round(national * 0.012),
                "--per",
                "caf_code",
                "--random-share",
                0.05,
                "--out",
                d / "selection.csv",
            ),
            repeats,
        )
        fits = chosen["seconds"] <= 5 and chosen["peak_bytes"] <= 1e9
        row(f"dmde select, {national:,} scores", chosen, "<= 5 s, 1 GB", fits)


if __name__ == "__main__":
    main()
