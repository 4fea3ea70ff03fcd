"""Benchmark: time and peak memory of writing a synthetic monthly panel.

Each measurement runs ``write_panel`` in a fresh Python process (imports included) and reads
that process's peak resident memory (ru_maxrss) and CPU time (user + system: on a shared
machine the wall time also counts the waits for a processor). The target of issue 16:
24 months x 500,000 households in under 2 minutes within 2 GB.

    python benchmarks/bench_panel.py                       # 24 months x 500k, Parquet
    python benchmarks/bench_panel.py --rows 100000 --months 12 --format csv
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        out = Path(tmp) / "panel"
        cpu = Path(tmp) / "cpu.txt"
        code = (
            "import resource\n"
            "from dmde.data.synthetic_panel import write_panel\n"
            f"rows = write_panel({str(out)!r}, {args.rows}, months={args.months}, "
            f"seed={args.seed}, file_format={args.format!r})\n"
            "use = resource.getrusage(resource.RUSAGE_SELF)\n"
            f"open({str(cpu)!r}, 'w').write(str(use.ru_utime + use.ru_stime))\n"
        )
        result = measure_code(code)
        cpu_seconds = float(cpu.read_text())
        files = sorted(out.rglob("part-0.*"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
    rows = args.rows * args.months
    print(
        f"panel {args.months} months x {args.rows:,} households ({args.format}): "
        f"{result['seconds']:.1f} s wall, {cpu_seconds:.1f} s CPU "
        f"({rows / result['seconds']:,.0f} rows/s), "
        f"peak RSS {result['peak_bytes'] / 1e6:,.0f} MB, {len(files)} files, {size_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
