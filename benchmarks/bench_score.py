"""Benchmark: batch scoring against the CSV parse limit and a scikit-learn baseline.

Builds a synthetic population (5 million rows by default) as CSV and Parquet, trains a model on a
random-control sample, then measures, each in a fresh process, median of 3 runs:

- ``pyarrow.csv.read_csv`` of the whole CSV file alone (the parse limit);
- ``dmde score`` end to end (validation, reason codes, outputs and manifest), CSV and Parquet in;
- a plain scikit-learn baseline: a fitted Pipeline of KBinsDiscretizer + OneHotEncoder +
  LogisticRegression doing ``predict_proba`` on the file read with pandas;
- optionally (``--national``) ``dmde score`` on 13.8 million rows (CSV), and ``dmde select`` on
  its scores.

Each line gives the wall time and the CPU time (user + system, every thread) of the process, and
both ratios to ``read_csv``'s: on a machine busy with other work the wall times say little, the
CPU times still compare.

Targets on 2 cores: dmde score at most 1.5 x read_csv on the 5M-row CSV, peak memory under 1 GB;
13.8M rows in under 30 s; select in under 10 s.

    python benchmarks/bench_score.py --rows 5000000 --national
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure_cli, measure_code

_TRAIN = """
from dmde.model.scorecard import ScorecardFamily
from dmde.model.model_file import save_model
from dmde.data.synthetic import synthesize
df = synthesize(100_000, seed=7, controls=7_500)
checked = df[df["controlled"] == 1]
model = ScorecardFamily().fit(checked, checked["target"], checked["control_weight"])
save_model(model, {model!r})
"""

_BASELINE = """
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder
from dmde.data.catalog import CATALOG, DEFAULT_POLICY
from dmde.data.synthetic import synthesize
features = list(DEFAULT_POLICY.features)
text = [f for f in features if CATALOG[f].dtype == "category"]
numbers = [f for f in features if f not in text]
train = synthesize(100_000, seed=7, controls=7_500)
train = train[train["controlled"] == 1]
pipe = make_pipeline(
    ColumnTransformer([
        ("bins", make_pipeline(
            __import__("sklearn.impute", fromlist=["SimpleImputer"]).SimpleImputer(),
            KBinsDiscretizer(n_bins=10, encode="onehot", strategy="quantile",
                             quantile_method="averaged_inverted_cdf")), numbers),
        ("levels", OneHotEncoder(handle_unknown="ignore"), text),
    ]),
    LogisticRegression(max_iter=1000),
).fit(train[features], train["target"])
import time
start = time.perf_counter()
frame = pd.read_csv({path!r})
p = pipe.predict_proba(frame[features])[:, 1]
print("baseline scored", len(p), "rows in", round(time.perf_counter() - start, 2), "s")
"""


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(step):  # type: ignore[no-untyped-def]
    """One run of ``step`` (a fresh process), with the CPU seconds (user + system) it used:
    on a busy machine the wall time says little, the CPU time and its ratio still hold."""
    before = _cpu_of_children()
    measured = step()
    return {**measured, "cpu": _cpu_of_children() - before}


def cli_once(argv: list[str]) -> dict[str, float]:
    return timed(lambda: measure_cli(argv))  # type: ignore[no-any-return]


def median_run(step, repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    runs = [timed(step) for _ in range(repeats)]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "peak_bytes": max(r["peak_bytes"] for r in runs),
    }


def line(name: str, rows: int, r: dict[str, float], ref: dict[str, float] | None) -> str:
    ratio = f"{r['seconds'] / ref['seconds']:8.2f}x" if ref else f"{'':>9}"
    cpu_ratio = f"{r['cpu'] / ref['cpu']:8.2f}x" if ref else f"{'':>9}"
    return (
        f"{name:<34}{rows:>12,}{r['seconds']:>9.2f}{r['cpu']:>9.2f}{rows / r['seconds']:>13,.0f}"
        f"{r['peak_bytes'] / 1e6:>9.0f}{ratio}{cpu_ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--national", action="store_true", help="also 13.8M rows, and select")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        model = d / "model.json"
        measure_code(_TRAIN.format(model=str(model)))
        csv, parquet = d / "pop.csv", d / "pop.parquet"
        for path in (csv, parquet):
            measure_cli(["synth", "--rows", str(args.rows), "--quiet", "--out", str(path)])
        print(
            f"{'step':<34}{'rows':>12}{'seconds':>9}{'cpu s':>9}{'rows/s':>13}{'peak MB':>9}"
            f"{'vs parse':>9}{'cpu vs':>9}"
        )
        parse = median_run(
            lambda: measure_code(f"import pyarrow.csv as c\nc.read_csv({str(csv)!r})"),
            args.repeats,
        )
        print(line("pyarrow.csv.read_csv (parse limit)", args.rows, parse, None), flush=True)
        for name, source in (("dmde score (CSV in)", csv), ("dmde score (Parquet in)", parquet)):
            out = d / "scores.parquet"
            r = median_run(
                lambda source=source, out=out: measure_cli(
                    [
                        "score",
                        "--model",
                        str(model),
                        "--input",
                        str(source),
                        "--out",
                        str(out),
                        "--quiet",
                    ]
                ),
                args.repeats,
            )
            print(line(name, args.rows, r, parse), flush=True)
        base = median_run(lambda: measure_code(_BASELINE.format(path=str(csv))), 1)
        print(
            line("scikit-learn baseline (+ fit 7.5k)", args.rows, base, parse),
            flush=True,
        )
        if not args.national:
            return
        for path in (csv, parquet):
            path.unlink()
        national = d / "national.csv"
        measure_cli(["synth", "--rows", "13800000", "--quiet", "--out", str(national)])
        scores = d / "national-scores.parquet"
        r = cli_once(
            [
                "score",
                "--model",
                str(model),
                "--input",
                str(national),
                "--out",
                str(scores),
                "--quiet",
            ]
        )
        print(line("dmde score, national CSV", 13_800_000, r, None), flush=True)
        r = cli_once(
            [
                "select",
                "--scores",
                str(scores),
                "--budget",
                "166000",
                "--per",
                "caf_code",
                "--out",
                str(d / "selection.csv"),
            ]
        )
        print(line("dmde select, 166,000 per Caf", 13_800_000, r, None), flush=True)


if __name__ == "__main__":
    main()
