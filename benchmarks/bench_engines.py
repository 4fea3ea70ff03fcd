"""Benchmark: the engines of dmde score, select and audit side by side (issue 15), and whether
they agree.

Three inputs, made first and outside the timings: a synthetic population of ``--rows`` rows
(5 million by default) as CSV and the same rows as Parquet, and a national file of
``--national`` rows (13.8 million) made by repeating the Parquet one with new ids. For each
input, each engine (``python``, ``duckdb``, ``spark``) runs through the command line in a fresh
process, median of ``--repeats`` runs, with the peak resident memory:

- ``dmde score`` of the input (scores written in the input's format: a CSV pipeline, a Parquet
  one);
- ``dmde select`` of the python engine's scores (``--share 0.012 --per caf_code
  --random-share 0.1``);
- ``dmde audit`` of the python engine's scores and selection with the input as population
  (the duckdb and spark engines on aggregates).

``pyarrow.csv.read_csv`` of the CSV is the parse limit (the issue's target: DuckDB scoring at
most 1.5x it; the national audit on aggregates under 30 s and 1 GB). For spark, the Java process
Spark starts runs beside the command: its peak resident memory is added to the command's.

Then the equality checks, each engine against python: the scores files (CSV: the same bytes;
Parquet: the same table, so the same scores to the cent), the selection files (the same
bytes), the audit reports (every table and flag of the JSON: counts and text equal, figures to
1e-9 relative, intervals and p-values to 1e-7, as tests/test_audit_engines.py; the largest
differences printed).

An engine the command line refuses for a step (exit code 2, e.g. an ``--engine`` choice it does
not have) is printed "not available", with its message below the table; a command that fails
otherwise is printed "FAILED" with its message, and the run goes on. A step an engine hands to
the python engine (stderr "note: ... by the python engine") is marked ``*``.

    python benchmarks/bench_engines.py                       # 5M + 13.8M rows: an hour or more
    python benchmarks/bench_engines.py --quick               # 20k + 50k rows, one run each
    python benchmarks/bench_engines.py --rows 200000 --national 0 --repeats 1
    python benchmarks/bench_engines.py --engines python,duckdb   # no spark column
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure_cli, measure_code, tile_parquet, try_cli

ENGINES = ("python", "duckdb", "spark")
STEPS = ("score", "select", "audit")
# After the command, the Java process Spark started is still alive (pyspark ends it at exit):
# its peak resident memory is read from /proc and added to the command's.
_JVM_PEAK = """
from pyspark import SparkContext
gateway = SparkContext._gateway
bench_figures = {"jvm_peak_bytes": 0}
if gateway is not None and getattr(gateway, "proc", None) is not None:
    with open(f"/proc/{gateway.proc.pid}/status") as status:
        high = [line for line in status if line.startswith("VmHWM")]
    bench_figures = {"jvm_peak_bytes": int(high[0].split()[1]) * 1024}
"""
# Names of the audit's columns that are intervals or p-values (tolerance 1e-7), as the tests.
_SPREAD = ("_low", "_high", "p_", "log_se")
_COUNTS = ("n", "random_n", "score_n", "checks", "labelled")


@dataclass
class Run:
    """One engine's step: its median figures, or why there are none."""

    seconds: float = math.nan
    peak_bytes: float = math.nan
    status: str = "ok"  # "ok", "not available", "FAILED"
    message: str = ""
    python_fallback: str = ""
    outputs: dict[str, Path] = field(default_factory=dict)

    def cell(self) -> str:
        if self.status != "ok":
            return f"{self.status:>17}"
        mark = "*" if self.python_fallback else " "
        return f"{self.seconds:>8.2f}{self.peak_bytes / 1e6:>8,.0f}{mark}"


def run_step(argv: list[str], engine: str, repeats: int, outputs: dict[str, Path]) -> Run:
    """``dmde <argv>`` ``repeats`` times (median seconds, largest peak), or the CLI's refusal."""
    runs = []
    for _ in range(repeats):
        status, err, figures = try_cli(argv, after=_JVM_PEAK if engine == "spark" else "")
        if figures is None:
            lines = [line for line in err.strip().splitlines() if line.strip()]
            message = lines[-1] if lines else f"exit {status}"
            # 2 is the CLI's usage exit: the command line does not take this engine for it
            return Run(status="not available" if status == 2 else "FAILED", message=message)
        figures["peak_bytes"] += figures.get("jvm_peak_bytes", 0)
        runs.append((figures, err))
    notes = [line for _, err in runs for line in err.splitlines() if "by the python engine" in line]
    return Run(
        seconds=statistics.median(f["seconds"] for f, _ in runs),
        peak_bytes=max(f["peak_bytes"] for f, _ in runs),
        python_fallback=notes[0] if notes else "",
        outputs=outputs,
    )


# --------------------------------------------------------------------------------------------
# Equality checks
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def same_table(a: Path, b: Path) -> bool:
    """The same schema and values (dictionary columns compared by value: each engine builds
    its own dictionaries)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
        if pa.types.is_dictionary(column.type):
            return pa.chunked_array([c.dictionary_decode() for c in column.chunks])
        return column

    left, right = pq.read_table(a), pq.read_table(b)
    return left.schema.equals(right.schema) and all(
        decoded(left[n]).equals(decoded(right[n])) for n in left.column_names
    )


def same_file(a: Path, b: Path) -> str:
    if a.suffix == ".parquet":
        return "same table" if same_table(a, b) else "DIFFER"
    return "same bytes" if sha256(a) == sha256(b) else "DIFFER"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare_records(
    name: str, a: list[dict[str, Any]], b: list[dict[str, Any]], worst: dict[str, float]
) -> list[str]:
    """Differences between two lists of records beyond the audit's tolerances (empty if none);
    ``worst`` keeps the largest relative differences of figures and of intervals."""
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows vs {len(b)}"]
    problems = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.keys() != y.keys():
            return [f"{name}: columns {sorted(x)} vs {sorted(y)}"]
        scale = 0.0
        if _is_number(x.get("value")) and _is_number(x.get("reference_value")):
            scale = max(abs(x["value"]), abs(x["reference_value"]))
        for key, u in x.items():
            v = y[key]
            if not (_is_number(u) and _is_number(v)) or key in _COUNTS:
                if u != v and not (u is None and v is None):
                    problems.append(f"{name}[{i}].{key}: {u!r} vs {v!r}")
                continue
            if u == v or (math.isnan(u) and math.isnan(v)):
                continue
            # as the tests: |u - v| <= tolerance * size + 1e-12
            size = max(abs(u), abs(v), scale if "difference" in key else 0.0)
            beyond = max(abs(u - v) - 1e-12, 0.0)
            relative = beyond / size if size else (math.inf if beyond else 0.0)
            kind = "interval" if any(s in key for s in _SPREAD) else "figure"
            worst[kind] = max(worst[kind], relative)
            if relative > (1e-7 if kind == "interval" else 1e-9):
                problems.append(f"{name}[{i}].{key}: {u!r} vs {v!r}")
    return problems


def same_audit(python: Path, engine: Path) -> str:
    """The engine's report (JSON) against python's: tables and flags."""
    a = json.loads(python.read_text(encoding="utf-8"))["data"]
    b = json.loads(engine.read_text(encoding="utf-8"))["data"]
    worst = {"figure": 0.0, "interval": 0.0}
    problems: list[str] = []
    left_out = sorted(set(a["tables"]) - set(b["tables"]))
    left_out += [n for n in sorted(set(a["tables"]) & set(b["tables"])) if not b["tables"][n]]
    for name in sorted(set(a["tables"]) & set(b["tables"])):
        if b["tables"][name]:
            problems += compare_records(name, a["tables"][name], b["tables"][name], worst)
    for name in ("flags", "findings"):
        problems += compare_records(name, a.get(name) or [], b.get(name) or [], worst)
    if problems:
        return f"DIFFER ({len(problems)}: {'; '.join(problems[:3])})"
    return (
        f"same {len(a['flags'])} flags; figures within {worst['figure']:.1e} (<= 1e-9), "
        f"intervals and p-values within {worst['interval']:.1e} (<= 1e-7)"
        + (f"; not computed: {', '.join(left_out)}" if left_out else "")
    )


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Input:
    label: str
    population: Path
    suffix: str  # the scores' format: the input's


def make_inputs(d: Path, rows: int, national: int) -> tuple[Path, list[Input]]:
    """The model, the population as CSV and as Parquet, the national file (not timed)."""
    survey, model = d / "survey.parquet", d / "model.json"
    csv, parquet, big = d / "pop.csv", d / "pop.parquet", d / "national.parquet"
    measure_cli(["synth", "--rows", "100000", "--controls", "7500", "--out", str(survey)])
    measure_cli(["train", "--data", str(survey), "--out", str(model)])
    for path in (csv, parquet):  # the same rows (synth's default seed)
        measure_cli(["synth", "--rows", str(rows), "--quiet", "--out", str(path)])
    inputs = [
        Input(f"{rows:,} rows, CSV", csv, ".csv"),
        Input(f"{rows:,} rows, Parquet", parquet, ".parquet"),
    ]
    if national:
        tile_parquet(str(parquet), national, str(big))
        inputs.append(Input(f"{national:,} rows, Parquet (national)", big, ".parquet"))
    return model, inputs


def steps_of(
    d: Path, model: Path, source: Input, k: int, engine: str
) -> dict[str, Callable[[], list[str]]]:
    """The command line of each step for one input and engine (python's files as inputs)."""
    scores = d / f"in{k}-score-{engine}{source.suffix}"
    python_scores = d / f"in{k}-score-python{source.suffix}"
    selection = d / f"in{k}-select-{engine}.csv"
    python_selection = d / f"in{k}-select-python.csv"
    report = d / f"in{k}-audit-{engine}" / "audit.html"
    return {
        "score": lambda: [
            "score", "--model", str(model), "--input", str(source.population), "--quiet",
            "--engine", engine, "--out", str(scores),
        ],
        "select": lambda: [
            "select", "--scores", str(python_scores), "--out", str(selection),
            "--share", "0.012", "--per", "caf_code", "--random-share", "0.1",
            "--engine", engine,
        ],
        "audit": lambda: [
            "audit", "--scores", str(python_scores), "--population", str(source.population),
            "--model", str(model), "--selection", str(python_selection), "--lang", "en",
            "--engine", engine, "--out", str(report),
        ],
    }  # fmt: skip


def output_of(argv: list[str]) -> Path:
    out = Path(argv[argv.index("--out") + 1])
    return out.with_suffix(".json") if argv[0] == "audit" else out


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the CSV and Parquet")
    parser.add_argument(
        "--national", type=int, default=13_800_000, help="rows of the national file (0: none)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20k and 50k rows, one run each")
    parser.add_argument("--dir", type=Path, default=None, help="where the inputs go")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="comma-separated (python is the reference)"
    )
    args = parser.parse_args()
    engines = tuple(e for e in args.engines.split(",") if e)
    if engines[:1] != ("python",) or not set(engines) <= set(ENGINES):
        parser.error(f"--engines: python first, then some of {', '.join(ENGINES[1:])}")
    rows, national = (20_000, 50_000) if args.quick else (args.rows, args.national)
    repeats = 1 if args.quick else args.repeats

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        model, inputs = make_inputs(d, rows, national)
        csv = inputs[0].population
        parse = [
            measure_code(f"import pyarrow.csv as c\nc.read_csv({str(csv)!r})")
            for _ in range(repeats)
        ]
        parse_seconds = statistics.median(p["seconds"] for p in parse)
        print(
            f"fresh process per step, from files; median of {repeats}; seconds and peak MB "
            "(spark: with its Java process)"
        )
        print(f"{'step':<48}" + "".join(f"{e:>17}" for e in engines))
        print(
            f"{'pyarrow.csv.read_csv (the parse limit), ' + f'{rows:,}':<48}"
            f"{parse_seconds:>8.2f}{max(p['peak_bytes'] for p in parse) / 1e6:>8,.0f}",
            flush=True,
        )
        results: dict[tuple[int, str, str], Run] = {}
        for k, source in enumerate(inputs):
            for step in STEPS:
                line = f"{step}, {source.label}"
                print(f"{line:<48}", end="", flush=True)
                for engine in engines:
                    argv = steps_of(d, model, source, k, engine)[step]()
                    run = run_step(argv, engine, repeats, {"out": output_of(argv)})
                    results[(k, step, engine)] = run
                    print(run.cell(), end="", flush=True)
                print(flush=True)
        notes = []
        for (k, step, engine), run in results.items():
            if run.status != "ok":
                notes.append(f"  {step} --engine {engine}, {inputs[k].label}: {run.message}")
            elif run.python_fallback:
                where = f"{step} --engine {engine}, {inputs[k].label}"
                notes.append(f"  * {where}: {run.python_fallback}")
        if notes:
            print("\n".join(notes))
        targets(results, inputs, parse_seconds, engines)
        print("\nequality with the python engine:")
        for (k, step, engine), run in results.items():
            reference = results[(k, step, "python")]
            if engine == "python" or run.status != "ok" or reference.status != "ok":
                continue
            a, b = reference.outputs["out"], run.outputs["out"]
            verdict = same_audit(a, b) if step == "audit" else same_file(a, b)
            print(f"  {step}, {inputs[k].label}, {engine}: {verdict}", flush=True)


def targets(
    results: dict[tuple[int, str, str], Run],
    inputs: list[Input],
    parse_seconds: float,
    engines: tuple[str, ...],
) -> None:
    """The issue's targets: DuckDB scoring of the CSV at most 1.5x the parse; the national audit
    on aggregates under 30 s and 1 GB."""
    print("\ntargets:")
    duck = results.get((0, "score", "duckdb"))
    if duck is not None and duck.status == "ok":
        ratio = duck.seconds / parse_seconds
        verdict = "meets" if ratio <= 1.5 else "MISSES"
        print(
            f"  score --engine duckdb, {inputs[0].label}: {ratio:.2f}x the parse (<= 1.5x): "
            + verdict
        )
    last = len(inputs) - 1
    for engine in engines[1:]:
        run = results.get((last, "audit", engine))
        if run is None or run.status != "ok":
            continue
        fits = run.seconds <= 30 and run.peak_bytes <= 1e9
        print(
            f"  audit --engine {engine}, {inputs[last].label}: {run.seconds:.1f} s, "
            f"{run.peak_bytes / 1e9:.2f} GB (<= 30 s, 1 GB): {'meets' if fits else 'MISSES'}"
        )


if __name__ == "__main__":
    main()
