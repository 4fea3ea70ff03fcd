"""Benchmark: the scoring engines side by side (issue 15), and whether they agree.

For a synthetic population written as CSV and as Parquet (5 million rows by default), each
engine of ``dmde score`` runs through the command line in a fresh process, reading the file and
writing its scores (Parquet) and rejects, median of ``--repeats`` runs, with the peak resident
memory; ``pyarrow.csv.read_csv`` of the same CSV is the parse limit. Then the scores files of the
engines are compared: the same SHA-256 for CSV output, the same table for Parquet output (DuckDB
and Spark write their own row groups).

Engines measured: ``python`` (dmde's streaming scorer), ``duckdb`` (the model's SQL in embedded
DuckDB) and ``spark`` (the model's SQL in pyspark, ``local[2]``; its Java process started by the
command, whose peak resident memory is added to the command's: both run at once). The spark
column needs pyspark and Java; ``--engines python,duckdb`` leaves it out. Then ``dmde select``
with the python and duckdb engines on the Parquet scores (the same selection file expected). The
audit of the same files with the python and duckdb engines (the duckdb one on aggregates), and
whether their flags agree.

    python benchmarks/bench_engines.py                 # 5M rows, ~10 minutes on 2 cores
    python benchmarks/bench_engines.py --rows 200000 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure_cli, measure_code

ENGINES = ("python", "duckdb", "spark")
# After the command, the Java process Spark started is still alive (pyspark ends it at exit):
# its peak resident memory is read from /proc and added to the command's.
_JVM_PEAK = """
from pyspark import SparkContext
with open(f"/proc/{SparkContext._gateway.proc.pid}/status") as status:
    high = [line for line in status if line.startswith("VmHWM")]
bench_figures = {"jvm_peak_bytes": int(high[0].split()[1]) * 1024}
"""


def measure_score(argv: list[str], engine: str) -> dict[str, float]:
    """Seconds and peak bytes of ``dmde score`` (for spark: the command's and Java's)."""
    if engine != "spark":
        return measure_cli(argv)
    code = f"from dmde.cli import main\nassert main({argv!r}) == 0, 'command failed'\n"
    figures = measure_code(code + _JVM_PEAK)
    return {**figures, "peak_bytes": figures["peak_bytes"] + figures["jvm_peak_bytes"]}


def median(step, repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    runs = [step() for _ in range(repeats)]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_bytes": max(r["peak_bytes"] for r in runs),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the inputs go")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="comma-separated, python first (the reference)"
    )
    parser.add_argument(
        "--outputs", default="csv,parquet", help="scores file formats, comma-separated"
    )
    args = parser.parse_args()
    engines = tuple(args.engines.split(","))
    suffixes = tuple(f".{s}" for s in args.outputs.split(","))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        survey, model = d / "survey.parquet", d / "model.json"
        csv, parquet = d / "pop.csv", d / "pop.parquet"
        measure_cli(["synth", "--rows", "100000", "--controls", "7500", "--out", str(survey)])
        measure_cli(["train", "--data", str(survey), "--out", str(model)])
        for path in (csv, parquet):
            measure_cli(["synth", "--rows", str(args.rows), "--quiet", "--out", str(path)])
        print(
            f"{'step (fresh process, from files)':<44}{'seconds':>9}{'peak MB':>9}{'vs parse':>10}"
        )
        parse = median(
            lambda: measure_code(f"import pyarrow.csv as c\nc.read_csv({str(csv)!r})"),
            args.repeats,
        )
        print(
            f"{f'pyarrow.csv.read_csv, {args.rows:,} rows':<44}{parse['seconds']:>9.2f}"
            f"{parse['peak_bytes'] / 1e6:>9.0f}",
            flush=True,
        )
        outputs: dict[tuple[str, str], dict[str, Path]] = {}
        for kind, source in (("CSV", csv), ("Parquet", parquet)):
            for suffix in suffixes:
                for engine in engines:
                    out = d / f"{engine}-{kind}{suffix}"
                    argv = [
                        "score",
                        "--model",
                        str(model),
                        "--input",
                        str(source),
                        "--quiet",
                        "--engine",
                        engine,
                        "--out",
                        str(out),
                    ]
                    run = median(
                        lambda argv=argv, engine=engine: measure_score(argv, engine), args.repeats
                    )
                    outputs.setdefault((kind, suffix), {})[engine] = out
                    name = f"dmde score --engine {engine}, {kind} in, {suffix[1:]} out"
                    print(
                        f"{name:<44}{run['seconds']:>9.2f}{run['peak_bytes'] / 1e6:>9.0f}"
                        f"{run['seconds'] / parse['seconds']:>9.2f}x",
                        flush=True,
                    )
        print("\nagreement of the engines' scores files:")
        for (kind, suffix), files in outputs.items():
            first, *others = (files[e] for e in engines)
            for engine, other in zip(engines[1:], others, strict=True):
                if suffix == ".csv":
                    same = sha256(first) == sha256(other)
                    how = "same SHA-256"
                else:
                    same = same_table(first, other)
                    how = "same table"
                verdict = how if same else "DIFFER"
                print(f"  {kind} in, {suffix[1:]} out: python vs {engine}: {verdict}")
        if ("Parquet", ".parquet") in outputs:
            scores = outputs[("Parquet", ".parquet")]["python"]
            chosen = select_engines(d, scores, args.repeats)
            audit_engines(d, scores, parquet, model, chosen, args.repeats)


def select_engines(d: Path, scores: Path, repeats: int) -> Path:
    """dmde select with each engine on the same scores (per Caf, a random share), and whether
    their selection files are the same bytes."""
    print()
    chosen: dict[str, Path] = {}
    for engine in ("python", "duckdb"):
        out = d / f"select-{engine}.csv"
        argv = ["select", "--scores", str(scores), "--out", str(out), "--share", "0.012"]
        argv += ["--per", "caf_code", "--random-share", "0.1", "--engine", engine]
        run = median(lambda argv=argv: measure_cli(argv), repeats)
        chosen[engine] = out
        name = f"dmde select --engine {engine}, Parquet in"
        print(f"{name:<44}{run['seconds']:>9.2f}{run['peak_bytes'] / 1e6:>9.0f}", flush=True)
    same = sha256(chosen["python"]) == sha256(chosen["duckdb"])
    print(f"  selection files, python vs duckdb: {'same SHA-256' if same else 'DIFFER'}")
    return chosen["python"]


def audit_engines(
    d: Path, scores: Path, population: Path, model: Path, selection: Path, repeats: int
) -> None:
    """dmde audit of the same files with each engine (python reads the rows; duckdb sums them
    in the engine and runs the bootstrap on the sums), and whether their flags agree."""
    print()
    flags: dict[str, list[str]] = {}
    for engine in ("python", "duckdb"):
        out = d / f"audit-{engine}" / "audit.html"
        argv = ["audit", "--scores", str(scores), "--population", str(population)]
        argv += ["--model", str(model), "--selection", str(selection), "--lang", "en"]
        argv += ["--engine", engine, "--out", str(out)]
        run = median(lambda argv=argv: measure_cli(argv), repeats)
        report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        # a flag is its subject and its sentence (figures rounded as printed): the engines' sums
        # differ in the last bits only
        flags[engine] = sorted(
            "|".join(f[k] for k in ("attribute", "group", "reference", "metric", "sentence"))
            for f in report["data"]["flags"]
        )
        name = f"dmde audit --engine {engine}, Parquet"
        print(f"{name:<44}{run['seconds']:>9.2f}{run['peak_bytes'] / 1e6:>9.0f}", flush=True)
    same = flags["python"] == flags["duckdb"]
    verdict = f"the same {len(flags['python']):,} flags" if same else "DIFFER"
    print(f"  audit flags and their sentences, python vs duckdb: {verdict}")


if __name__ == "__main__":
    main()
