"""Benchmark: rows/s and peak memory of `dmde synth` and `dmde validate`.

Each measurement runs the command in a fresh Python process and reads that process's peak
resident memory (ru_maxrss), so figures do not leak between runs.

    python benchmarks/bench_synth_validate.py                      # 1M and 13.8M rows, CSV
    python benchmarks/bench_synth_validate.py --rows 1000000 --format parquet
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from dmde.cli import main
t = time.perf_counter()
code = main(sys.argv[1:])
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"code": code, "seconds": elapsed, "peak_bytes": peak}), file=sys.stderr)
"""


def measure(argv: list[str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, check=False
    )
    result: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{argv} failed:\n{proc.stdout}\n{proc.stderr}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 13_800_000])
    parser.add_argument("--format", choices=("csv", "parquet"), nargs="+", default=["csv"])
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        print(
            f"{'command':<10}{'rows':>12}{'format':>9}{'seconds':>10}{'rows/s':>12}"
            f"{'peak MB':>10}{'file MB':>10}"
        )
        for rows in args.rows:
            for fmt in args.format:
                path = Path(tmp) / f"population-{rows}.{fmt}"
                synth = measure(["synth", "--rows", str(rows), "--quiet", "--out", str(path)])
                size_mb = path.stat().st_size / 1e6
                valid = measure(["validate", str(path)])
                for name, r in (("synth", synth), ("validate", valid)):
                    print(
                        f"{name:<10}{rows:>12,}{fmt:>9}{r['seconds']:>10.1f}"
                        f"{rows / r['seconds']:>12,.0f}{r['peak_bytes'] / 1e6:>10.0f}"
                        f"{size_mb:>10.0f}",
                        flush=True,
                    )
                path.unlink()


if __name__ == "__main__":
    main()
